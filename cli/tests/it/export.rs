//! `wavestack export` read by an analyst's tools: chat through the whole
//! stack, exported to Parquet and Avro, then per-viewer messages and points
//! computed by DuckDB (from PyPI, `scripts/analyst-venv`) from the Parquet
//! files alone must equal the leaderboard read model; pyarrow reads the
//! documented columns; the Avro files hold the log's records in the log's
//! schema; a second export carries on with no event twice.

use std::collections::BTreeMap;
use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use crate::support::{database_url, get_json, issue_token, post_json, start, Stack};
use serde_json::{json, Value};
use sqlx::PgPool;
use wavestack_schemas::{latest_schema, AggregateKind};

/// DuckDB's and pyarrow's python: `scripts/test` installs it.
fn analyst_python() -> String {
    std::env::var("WAVESTACK_ANALYST_PYTHON").unwrap_or_else(|_| {
        let venv = Path::new(env!("CARGO_MANIFEST_DIR")).join("../target/analyst-venv/bin/python");
        assert!(venv.exists(), "no DuckDB: run scripts/analyst-venv (scripts/test does)");
        venv.display().to_string()
    })
}

fn export(pool: &PgPool, out: &Path, extra: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_wavestack"))
        .args(["export", "--aggregate", "chat", "--format", "parquet,avro", "--out"])
        .arg(out)
        .args(extra)
        .env("DATABASE_URL", database_url(pool))
        .output()
        .unwrap()
}

fn duckdb(out: &Path) -> Value {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/export_check.py");
    let run = Command::new(analyst_python()).arg(script).arg(out).output().unwrap();
    assert!(run.status.success(), "{}", String::from_utf8_lossy(&run.stderr));
    serde_json::from_slice(&run.stdout).unwrap()
}

/// Chat by `viewers` viewers in three channels, `rounds` messages each.
async fn chat(http: &reqwest::Client, stack: &Stack, bot: &str, round: usize, viewers: usize) -> usize {
    let channels = [("twitch", "alpha"), ("twitch", "beta"), ("discord", "77")];
    let messages: Vec<Value> = (0..viewers)
        .flat_map(|v| {
            channels.iter().filter(move |_| v % 2 == 0 || round == 0).map(move |(platform, channel)| {
                json!({"platform": platform, "channel": channel, "user_id": format!("v{v}"),
                       "message_id": format!("{channel}-{round}-{v}"), "author": format!("Viewer {v}"),
                       "text": format!("round {round} from {v}")})
            })
        })
        .collect();
    let count = messages.len();
    for chunk in messages.chunks(200) {
        let answer = post_json(http, stack, bot, "/v1/chat/messages", &json!({"messages": chunk})).await;
        assert_eq!(answer["accepted"].as_u64(), Some(chunk.len() as u64), "{answer}");
    }
    count
}

/// The leaderboard read model, per (platform, channel, user): (messages, points).
async fn leaderboard(
    http: &reqwest::Client,
    stack: &Stack,
    reader: &str,
) -> BTreeMap<(String, String, String), (i64, i64)> {
    let mut viewers = BTreeMap::new();
    for channel in ["alpha", "beta", "77"] {
        let page = get_json(
            http,
            stack,
            reader,
            &format!("/v1/channels/{channel}/leaderboard"),
            &[("window", "all"), ("limit", "100")],
        )
        .await;
        for entry in page["entries"].as_array().unwrap_or_else(|| panic!("{page}")) {
            let key = (
                entry["platform"].as_str().unwrap().to_owned(),
                channel.to_owned(),
                entry["user_id"].as_str().unwrap().to_owned(),
            );
            viewers.insert(key, (entry["messages"].as_i64().unwrap(), entry["points"].as_i64().unwrap()));
        }
    }
    viewers
}

/// Waits until the leaderboard counts `messages` messages in all.
async fn caught_up(
    http: &reqwest::Client,
    stack: &Stack,
    reader: &str,
    messages: usize,
) -> BTreeMap<(String, String, String), (i64, i64)> {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let viewers = leaderboard(http, stack, reader).await;
        if viewers.values().map(|(m, _)| *m as usize).sum::<usize>() == messages {
            return viewers;
        }
        assert!(Instant::now() < deadline, "the leaderboard never counted {messages} messages");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

fn duckdb_viewers(report: &Value) -> BTreeMap<(String, String, String), (i64, i64)> {
    report["viewers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| {
            let s = |i: usize| v[i].as_str().unwrap().to_owned();
            ((s(0), s(1), s(2)), (v[3].as_i64().unwrap(), v[4].as_i64().unwrap()))
        })
        .collect()
}

/// Every record of the Avro files under `dir`, read with the writer's
/// schema from each file's header.
fn avro_records(dir: &Path) -> Vec<apache_avro::types::Value> {
    let mut records = Vec::new();
    let mut stack = vec![dir.to_owned()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
            } else if path.extension().is_some_and(|e| e == "avro") {
                let reader = apache_avro::Reader::new(std::fs::File::open(&path).unwrap()).unwrap();
                assert_eq!(reader.writer_schema(), latest_schema(AggregateKind::Chat).unwrap(), "{}", path.display());
                records.extend(reader.map(Result::unwrap));
            }
        }
    }
    records
}

#[sqlx::test(migrations = false)]
async fn duckdb_reads_the_export_and_agrees_with_the_leaderboard(pool: PgPool) {
    let stack = start(&pool).await;
    let http = reqwest::Client::new();
    let bot = issue_token(&stack, "acme", "chat:write");
    let reader = issue_token(&stack, "acme", "read");
    let mut messages = chat(&http, &stack, &bot, 0, 40).await;
    let live = caught_up(&http, &stack, &reader, messages).await;
    assert_eq!(live.len(), 120);

    let out = tempfile::tempdir().unwrap();
    let first = export(&pool, out.path(), &[]);
    assert!(first.status.success(), "{}", String::from_utf8_lossy(&first.stderr));
    let report = duckdb(out.path());
    assert_eq!(duckdb_viewers(&report), live);
    assert_eq!(report["rows"], report["distinct_events"]);
    // The documented columns, as pyarrow reads them.
    let schema = &report["schema"];
    for (column, arrow_type) in [
        ("event_id", "string"),
        ("aggregate_id", "string"),
        ("sequence", "int64"),
        ("occurred_at", "timestamp[us, tz=UTC]"),
        ("org", "string"),
        ("actor", "string"),
        ("correlation_id", "string"),
        ("causation_id", "string"),
        ("request_id", "string"),
        ("hash", "string"),
        ("event_type", "string"),
        ("text", "string"),
        ("sent_at", "timestamp[us, tz=UTC]"),
        ("points", "int64"),
        ("balance", "int64"),
    ] {
        assert_eq!(schema[column], arrow_type, "column {column}: {schema}");
    }
    let exported_rows = report["rows"].as_u64().unwrap();
    assert_eq!(avro_records(&out.path().join("avro")).len() as u64, exported_rows);

    // More chat; the second export writes only what came after the first.
    messages += chat(&http, &stack, &bot, 1, 40).await;
    let live = caught_up(&http, &stack, &reader, messages).await;
    let files_before = report["files"].as_u64().unwrap();
    let second = export(&pool, out.path(), &[]);
    assert!(second.status.success(), "{}", String::from_utf8_lossy(&second.stderr));
    let report = duckdb(out.path());
    assert_eq!(duckdb_viewers(&report), live);
    assert_eq!(report["rows"], report["distinct_events"], "no event is exported twice");
    assert!(report["files"].as_u64().unwrap() > files_before);
    assert_eq!(avro_records(&out.path().join("avro")).len() as u64, report["rows"].as_u64().unwrap());
    // A third with nothing new writes nothing.
    let third = export(&pool, out.path(), &[]);
    assert!(String::from_utf8_lossy(&third.stdout).contains("exported 0 events"), "{third:?}");

    // The directory holds a chat export: another kind of export is refused.
    let other = Command::new(env!("CARGO_BIN_EXE_wavestack"))
        .args(["export", "--aggregate", "clip", "--out"])
        .arg(out.path())
        .env("DATABASE_URL", database_url(&pool))
        .output()
        .unwrap();
    assert!(!other.status.success());
    assert!(String::from_utf8_lossy(&other.stderr).contains("carry it on with the same options"), "{other:?}");
    // A bad instant names its flag.
    let bad = export(&pool, tempfile::tempdir().unwrap().path(), &["--until", "yesterday"]);
    assert!(!bad.status.success());
    assert!(String::from_utf8_lossy(&bad.stderr).contains("--until `yesterday`"), "{bad:?}");
}
