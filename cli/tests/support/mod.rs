//! Starting `wavestack up` as an operator does, with a config file, on
//! ports of its own, and talking to it: shared by the end-to-end tests.
#![allow(dead_code)]

use std::net::TcpListener;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{json, Value};
use sqlx::PgPool;

pub struct Stack {
    pub child: Child,
    pub command_api: String,
    pub query_api: String,
    pub kafka: String,
    pub _dir: tempfile::TempDir,
    /// One stack at a time: each runs a broker, four projections and two
    /// APIs, and on two cores two of them at once starve each other (the
    /// live-feed test measures latency).
    _serial: std::sync::MutexGuard<'static, ()>,
}

static ONE_STACK_AT_A_TIME: std::sync::Mutex<()> = std::sync::Mutex::new(());

impl Drop for Stack {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        // A failing test shows what the stack said.
        if std::thread::panicking() {
            let log = self.log();
            let tail: Vec<&str> = log.lines().rev().take(40).collect();
            eprintln!("--- the last lines of wavestack up's log ---");
            for line in tail.iter().rev() {
                eprintln!("{line}");
            }
        }
    }
}

impl Stack {
    /// Everything `wavestack up` has logged so far.
    pub fn log(&self) -> String {
        std::fs::read_to_string(self._dir.path().join("up.log")).unwrap_or_default()
    }

    /// SIGKILLs `wavestack up` (nothing of it runs its shutdown) and keeps
    /// its directory, config and data, for `relaunch`.
    pub fn kill(mut self) -> tempfile::TempDir {
        let _ = self.child.kill();
        let _ = self.child.wait();
        std::mem::replace(&mut self._dir, tempfile::tempdir().unwrap())
    }
}

pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

pub fn database_url(pool: &PgPool) -> String {
    let base = std::env::var("DATABASE_URL").expect("DATABASE_URL is set by scripts/test");
    let (server, _) = base.rsplit_once('/').unwrap();
    format!("{server}/{}", pool.connect_options().get_database().unwrap())
}

pub async fn start(pool: &PgPool) -> Stack {
    start_with(pool, "").await
}

/// `extra` goes into the config file before its `[[clients]]`: top-level
/// keys first, then its own tables.
pub async fn start_with(pool: &PgPool, extra: &str) -> Stack {
    start_with_env(pool, extra, &[]).await
}

/// As `start_with`, with more environment for `wavestack up`.
pub async fn start_with_env(pool: &PgPool, extra: &str, env: &[(&str, &str)]) -> Stack {
    let dir = tempfile::tempdir().unwrap();
    let hash = wavestack_adapters::auth::hash_secret("e2e-secret");
    let config = dir.path().join("wavestack.toml");
    std::fs::write(
        &config,
        format!(
            "token-ttl-seconds = 600\n{extra}\n[[clients]]\nid = \"e2e-bot\"\nsecret_hash = \"{hash}\"\n\
             org = \"acme\"\nscopes = [\"chat:write\", \"clips:write\", \"publications:write\", \"read\"]\n\
             \n[[destinations]]\norg = \"acme\"\nplatform = \"youtube\"\naccess_token = \"e2e-youtube-token\"\n\
             api_url = \"http://127.0.0.1:9\"\n"
        ),
    )
    .unwrap();
    launch(pool, dir, env).await
}

/// Starts `wavestack up` again on what a killed one left in `dir`.
pub async fn relaunch(pool: &PgPool, dir: tempfile::TempDir) -> Stack {
    launch(pool, dir, &[]).await
}

async fn launch(pool: &PgPool, dir: tempfile::TempDir, env: &[(&str, &str)]) -> Stack {
    let serial = ONE_STACK_AT_A_TIME.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
    let config = dir.path().join("wavestack.toml");
    let (command_port, query_port, kafka_port) = (free_port(), free_port(), free_port());
    let child = Command::new(env!("CARGO_BIN_EXE_wavestack"))
        .args(["up", "--config"])
        .arg(&config)
        .env("DATABASE_URL", database_url(pool))
        .env("WAVESTACK_DATA_DIR", dir.path().join("data"))
        .env("WAVESTACK_LOCAL_KAFKA_PORT", kafka_port.to_string())
        .env("WAVESTACK_COMMAND_API_ADDR", format!("127.0.0.1:{command_port}"))
        .env("WAVESTACK_QUERY_API_ADDR", format!("127.0.0.1:{query_port}"))
        .envs(env.iter().copied())
        .env_remove("KAFKA_BROKERS")
        .env_remove("SCHEMA_REGISTRY_URL")
        .stdout(Stdio::null())
        .stderr(std::fs::OpenOptions::new().create(true).append(true).open(dir.path().join("up.log")).unwrap())
        .spawn()
        .expect("starting wavestack up");
    let stack = Stack {
        child,
        command_api: format!("http://127.0.0.1:{command_port}"),
        query_api: format!("http://127.0.0.1:{query_port}"),
        kafka: format!("127.0.0.1:{kafka_port}"),
        _dir: dir,
        _serial: serial,
    };
    let http = reqwest::Client::new();
    let deadline = Instant::now() + Duration::from_secs(60);
    for api in [&stack.command_api, &stack.query_api] {
        loop {
            let ready = http.get(format!("{api}/ready")).send().await.map(|r| r.status().is_success());
            if ready.unwrap_or(false) {
                break;
            }
            assert!(Instant::now() < deadline, "{api} did not become ready");
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }
    stack
}

/// Decodes a record the way a registry-aware client does: magic byte, id,
/// schema from the registry, Avro datum.
pub async fn decode(http: &reqwest::Client, registry: &str, bytes: &[u8]) -> Value {
    assert_eq!(bytes[0], 0, "Confluent magic byte");
    let id = u32::from_be_bytes(bytes[1..5].try_into().unwrap());
    let answer: Value = http.get(format!("{registry}/schemas/ids/{id}")).send().await.unwrap().json().await.unwrap();
    let schema = apache_avro::Schema::parse_str(answer["schema"].as_str().unwrap()).unwrap();
    let reader = apache_avro::reader::datum::GenericDatumReader::builder(&schema).build().unwrap();
    let datum = reader.read_value(&mut &bytes[5..]).unwrap();
    let json: Value = apache_avro::from_value::<Value>(&datum).unwrap_or_else(|_| avro_to_json(&datum));
    json
}

pub fn avro_to_json(value: &apache_avro::types::Value) -> Value {
    use apache_avro::types::Value as A;
    match value {
        A::Null => Value::Null,
        A::Boolean(b) => json!(b),
        A::Int(i) => json!(i),
        A::Long(l) | A::TimestampMicros(l) | A::TimestampMillis(l) => json!(l),
        A::Float(f) => json!(f),
        A::Double(d) => json!(d),
        A::String(s) | A::Enum(_, s) => json!(s),
        A::Uuid(u) => json!(u.to_string()),
        A::Bytes(b) | A::Fixed(_, b) => json!(b),
        A::Union(_, inner) => avro_to_json(inner),
        A::Array(items) => Value::Array(items.iter().map(avro_to_json).collect()),
        A::Map(map) => map.iter().map(|(k, v)| (k.clone(), avro_to_json(v))).collect(),
        A::Record(fields) => fields.iter().map(|(k, v)| (k.clone(), avro_to_json(v))).collect(),
        other => json!(format!("{other:?}")),
    }
}

pub async fn token(http: &reqwest::Client, stack: &Stack) -> String {
    let token: Value = http
        .post(format!("{}/v1/auth/token", stack.command_api))
        .form(&[("grant_type", "client_credentials"), ("client_id", "e2e-bot"), ("client_secret", "e2e-secret")])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    token["access_token"].as_str().expect("a token").to_owned()
}

/// A token from `wavestack token issue`, signed with the stack's keys.
pub fn issue_token(stack: &Stack, org: &str, scope: &str) -> String {
    issue_token_for(stack, org, scope, 600)
}

/// A token that lives `ttl_seconds`.
pub fn issue_token_for(stack: &Stack, org: &str, scope: &str, ttl_seconds: u64) -> String {
    let issued = Command::new(env!("CARGO_BIN_EXE_wavestack"))
        .args(["token", "issue", "--org", org, "--scope", scope])
        .env("WAVESTACK_DATA_DIR", stack._dir.path().join("data"))
        .env("WAVESTACK_TOKEN_TTL_SECONDS", ttl_seconds.to_string())
        .output()
        .unwrap();
    assert!(issued.status.success(), "{}", String::from_utf8_lossy(&issued.stderr));
    String::from_utf8(issued.stdout).unwrap().trim().to_owned()
}

/// A stream recording of `seconds` (H.264/AAC, a keyframe a second) at
/// `path` under acme's media.
pub fn record(stack: &Stack, path: &str, seconds: u32) {
    record_for(stack, "acme", path, seconds)
}

pub fn record_for(stack: &Stack, org: &str, path: &str, seconds: u32) {
    let file = stack._dir.path().join("data/media").join(org).join(path);
    std::fs::create_dir_all(file.parent().unwrap()).unwrap();
    let made = Command::new("ffmpeg")
        .args(["-nostdin", "-loglevel", "error", "-f", "lavfi", "-i"])
        .arg(format!("testsrc=duration={seconds}:size=320x240:rate=25"))
        .args(["-f", "lavfi", "-i"])
        .arg(format!("sine=duration={seconds}"))
        .args(["-c:v", "libx264", "-preset", "ultrafast", "-g", "25", "-c:a", "aac", "-shortest"])
        .arg(file)
        .status()
        .unwrap();
    assert!(made.success());
}

/// GETs a query API path and returns the answer's body.
pub async fn get_json(http: &reqwest::Client, stack: &Stack, token: &str, path: &str, query: &[(&str, &str)]) -> Value {
    let response = http.get(format!("{}{path}", stack.query_api)).bearer_auth(token).query(query).send().await.unwrap();
    response.json().await.unwrap()
}

/// POSTs JSON to the command API and returns the answer's body.
pub async fn post_json(http: &reqwest::Client, stack: &Stack, token: &str, path: &str, body: &Value) -> Value {
    let response =
        http.post(format!("{}{path}", stack.command_api)).bearer_auth(token).json(body).send().await.unwrap();
    response.json().await.unwrap()
}
