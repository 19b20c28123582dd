//! Starting `wavestack up` as an operator does, with a config file, on
//! ports of its own, and talking to it: shared by the end-to-end tests.
#![allow(dead_code)]

use std::net::TcpListener;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{json, Value};
use sqlx::PgPool;
use wavestack::settings::Settings;

pub(crate) struct Stack {
    /// `wavestack up` as a process of its own (`start_binary`), or `None`
    /// for a stack built in this process (`Stack::build`).
    pub child: Option<Child>,
    in_process: Option<InProcess>,
    pub command_api: String,
    pub query_api: String,
    pub kafka: String,
    pub _dir: tempfile::TempDir,
    /// Where this stack's log starts in the process's captured log.
    log_from: usize,
    /// One stack at a time: each runs a broker, four projections and two
    /// APIs, and on two cores two of them at once starve each other (the
    /// live-feed test measures latency).
    _serial: Option<tokio::sync::MutexGuard<'static, ()>>,
}

struct InProcess {
    cancel: tokio_util::sync::CancellationToken,
    run: tokio::task::JoinHandle<anyhow::Result<()>>,
    broker: Option<wavestack_adapters::kafka::BrokerProcess>,
}

static ONE_STACK_AT_A_TIME: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

impl Drop for Stack {
    fn drop(&mut self) {
        if let Some(child) = self.child.as_mut() {
            let _ = child.kill();
            let _ = child.wait();
        }
        if let Some(stack) = self.in_process.take() {
            // Aborting drops every component and the local broker with it.
            stack.cancel.cancel();
            stack.run.abort();
        }
        // A failing test shows what the stack said.
        if std::thread::panicking() {
            let log = self.log();
            let tail: Vec<&str> = log.lines().rev().take(40).collect();
            eprintln!("--- the last lines of the stack's log ---");
            for line in tail.iter().rev() {
                eprintln!("{line}");
            }
        }
    }
}

impl Stack {
    /// Everything the stack has logged so far.
    pub(crate) fn log(&self) -> String {
        match &self.child {
            Some(_) => std::fs::read_to_string(self._dir.path().join("up.log")).unwrap_or_default(),
            None => log_capture::since(self.log_from),
        }
    }

    /// The local broker's process now (the watchdog restarts it).
    pub(crate) fn broker_pid(&self) -> Option<u32> {
        match (&self.child, &self.in_process) {
            (Some(child), _) => {
                let out = Command::new("pgrep").args(["-P", &child.id().to_string(), "-x", "tansu"]).output().ok()?;
                String::from_utf8_lossy(&out.stdout).lines().next().and_then(|l| l.trim().parse().ok())
            }
            (None, Some(stack)) => stack.broker.as_ref().and_then(|b| b.pid()),
            (None, None) => None,
        }
    }

    /// SIGKILLs `wavestack up` (nothing of it runs its shutdown) and keeps
    /// its directory, config and data, for `relaunch`.
    pub(crate) fn kill(mut self) -> tempfile::TempDir {
        let mut child = self.child.take().expect("a stack started with start_binary");
        let _ = child.kill();
        let _ = child.wait();
        std::mem::replace(&mut self._dir, tempfile::tempdir().unwrap())
    }
}

pub(crate) fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

pub(crate) fn database_url(pool: &PgPool) -> String {
    let base = std::env::var("DATABASE_URL").expect("DATABASE_URL is set by scripts/test");
    let (server, _) = base.rsplit_once('/').unwrap();
    format!("{server}/{}", pool.connect_options().get_database().unwrap())
}

pub(crate) async fn start(pool: &PgPool) -> Stack {
    start_with(pool, "").await
}

/// `extra` goes into the config file before its `[[clients]]`: top-level
/// keys first, then its own tables.
pub(crate) async fn start_with(pool: &PgPool, extra: &str) -> Stack {
    start_with_settings(pool, extra, |_| {}).await
}

/// As `start_with`, with more settings set on the typed `Settings`.
pub(crate) async fn start_with_settings(pool: &PgPool, extra: &str, set: impl FnOnce(&mut Settings)) -> Stack {
    let dir = configured_dir(extra);
    build_in_process(pool, dir, set).await
}

/// `wavestack up` as an operator runs it: the real binary, for what only
/// a process shows (SIGTERM, SIGKILL).
pub(crate) async fn start_binary(pool: &PgPool) -> Stack {
    launch(pool, configured_dir(""), &[]).await
}

/// A directory with the config file every stack of these tests reads.
fn configured_dir(extra: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let hash = wavestack_adapters::auth::hash_secret("e2e-secret");
    std::fs::write(
        dir.path().join("wavestack.toml"),
        format!(
            "token-ttl-seconds = 600\n{extra}\n[[clients]]\nid = \"e2e-bot\"\nsecret_hash = \"{hash}\"\n\
             org = \"acme\"\nscopes = [\"chat:write\", \"clips:write\", \"publications:write\", \"read\"]\n\
             \n[[destinations]]\norg = \"acme\"\nplatform = \"youtube\"\naccess_token = \"e2e-youtube-token\"\n\
             api_url = \"http://127.0.0.1:9\"\n"
        ),
    )
    .unwrap();
    dir
}

/// `Stack::build` in this process, every listener on port 0.
async fn build_in_process(pool: &PgPool, dir: tempfile::TempDir, set: impl FnOnce(&mut Settings)) -> Stack {
    let serial = Some(ONE_STACK_AT_A_TIME.lock().await);
    let log_from = log_capture::install_and_mark();
    let mut settings =
        Settings::from_file(&dir.path().join("wavestack.toml")).expect("the test's configuration parses");
    settings.up.database.database_url = database_url(pool);
    settings.up.keys.data_dir = dir.path().join("data");
    settings.up.api.command_api_addr = "127.0.0.1:0".parse().unwrap();
    settings.up.api.query_api_addr = "127.0.0.1:0".parse().unwrap();
    settings.up.local_kafka_port = 0;
    set(&mut settings);
    let cancel = tokio_util::sync::CancellationToken::new();
    let built = wavestack::stack::Stack::build(settings, cancel.clone()).await.expect("the stack starts");
    let (command_api, query_api) = (built.command_api(), built.query_api());
    let kafka = built.brokers().to_owned();
    let broker = built.local_broker();
    let run = tokio::spawn(built.run());
    let stack = Stack {
        child: None,
        in_process: Some(InProcess { cancel, run, broker }),
        command_api: format!("http://{command_api}"),
        query_api: format!("http://{query_api}"),
        kafka,
        _dir: dir,
        log_from,
        _serial: serial,
    };
    until_ready(&stack).await;
    stack
}

/// Starts `wavestack up` again on what a killed one left in `dir`.
pub(crate) async fn relaunch(pool: &PgPool, dir: tempfile::TempDir) -> Stack {
    launch(pool, dir, &[]).await
}

/// `start_binary` with more of the environment set.
pub(crate) async fn start_binary_with_env(pool: &PgPool, env: &[(&str, &str)]) -> Stack {
    launch(pool, configured_dir(""), env).await
}

/// `relaunch` with more of the environment set.
pub(crate) async fn relaunch_with_env(pool: &PgPool, dir: tempfile::TempDir, env: &[(&str, &str)]) -> Stack {
    launch(pool, dir, env).await
}

/// A second `wavestack up` on the same database, beside a stack this test
/// already started (which holds the one-stack-at-a-time turn).
pub(crate) async fn start_binary_beside(pool: &PgPool, env: &[(&str, &str)]) -> Stack {
    launch_with(pool, configured_dir(""), env, None).await
}

async fn launch(pool: &PgPool, dir: tempfile::TempDir, env: &[(&str, &str)]) -> Stack {
    let serial = ONE_STACK_AT_A_TIME.lock().await;
    launch_with(pool, dir, env, Some(serial)).await
}

async fn launch_with(
    pool: &PgPool,
    dir: tempfile::TempDir,
    env: &[(&str, &str)],
    serial: Option<tokio::sync::MutexGuard<'static, ()>>,
) -> Stack {
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
        child: Some(child),
        in_process: None,
        command_api: format!("http://127.0.0.1:{command_port}"),
        query_api: format!("http://127.0.0.1:{query_port}"),
        kafka: format!("127.0.0.1:{kafka_port}"),
        _dir: dir,
        log_from: 0,
        _serial: serial,
    };
    until_ready(&stack).await;
    stack
}

async fn until_ready(stack: &Stack) {
    let http = reqwest::Client::new();
    let deadline = Instant::now() + Duration::from_secs(60);
    for api in [&stack.command_api, &stack.query_api] {
        loop {
            let answer = match http.get(format!("{api}/ready")).send().await {
                Ok(r) if r.status().is_success() => break,
                Ok(r) => format!("{}: {}", r.status(), r.text().await.unwrap_or_default()),
                Err(error) => error.to_string(),
            };
            assert!(Instant::now() < deadline, "{api} did not become ready: {answer}");
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }
}

/// What the stacks of this test process log, captured: one subscriber for
/// the process (installed by the first stack), each stack reading from
/// where it started.
mod log_capture {
    use std::io::Write;
    use std::sync::{Mutex, OnceLock};

    static LOG: Mutex<Vec<u8>> = Mutex::new(Vec::new());
    static INSTALLED: OnceLock<()> = OnceLock::new();

    struct Capture;

    impl Write for Capture {
        fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
            LOG.lock().unwrap_or_else(|p| p.into_inner()).extend_from_slice(bytes);
            Ok(bytes.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    /// Installs the subscriber if needed; where the log is now.
    pub(super) fn install_and_mark() -> usize {
        INSTALLED.get_or_init(|| {
            let filter = tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
            let _ = tracing_subscriber::fmt().with_env_filter(filter).json().with_writer(|| Capture).try_init();
        });
        LOG.lock().unwrap_or_else(|p| p.into_inner()).len()
    }

    pub(super) fn since(from: usize) -> String {
        let log = LOG.lock().unwrap_or_else(|p| p.into_inner());
        String::from_utf8_lossy(&log[from.min(log.len())..]).into_owned()
    }
}

/// Decodes a record the way a registry-aware client does: magic byte, id,
/// schema from the registry, Avro datum.
pub(crate) async fn decode(http: &reqwest::Client, registry: &str, bytes: &[u8]) -> Value {
    assert_eq!(bytes[0], 0, "Confluent magic byte");
    let id = u32::from_be_bytes(bytes[1..5].try_into().unwrap());
    let answer: Value = http.get(format!("{registry}/schemas/ids/{id}")).send().await.unwrap().json().await.unwrap();
    let schema = apache_avro::Schema::parse_str(answer["schema"].as_str().unwrap()).unwrap();
    let reader = apache_avro::reader::datum::GenericDatumReader::builder(&schema).build().unwrap();
    let datum = reader.read_value(&mut &bytes[5..]).unwrap();
    let json: Value = apache_avro::from_value::<Value>(&datum).unwrap_or_else(|_| avro_to_json(&datum));
    json
}

pub(crate) fn avro_to_json(value: &apache_avro::types::Value) -> Value {
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

pub(crate) async fn token(http: &reqwest::Client, stack: &Stack) -> String {
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
pub(crate) fn issue_token(stack: &Stack, org: &str, scope: &str) -> String {
    issue_token_for(stack, org, scope, 600)
}

/// A token that lives `ttl_seconds`.
pub(crate) fn issue_token_for(stack: &Stack, org: &str, scope: &str, ttl_seconds: u64) -> String {
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
pub(crate) fn record(stack: &Stack, path: &str, seconds: u32) {
    record_for(stack, "acme", path, seconds)
}

pub(crate) fn record_for(stack: &Stack, org: &str, path: &str, seconds: u32) {
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
pub(crate) async fn get_json(
    http: &reqwest::Client,
    stack: &Stack,
    token: &str,
    path: &str,
    query: &[(&str, &str)],
) -> Value {
    let response = http.get(format!("{}{path}", stack.query_api)).bearer_auth(token).query(query).send().await.unwrap();
    response.json().await.unwrap()
}

/// POSTs JSON to the command API and returns the answer's body.
pub(crate) async fn post_json(http: &reqwest::Client, stack: &Stack, token: &str, path: &str, body: &Value) -> Value {
    let response =
        http.post(format!("{}{path}", stack.command_api)).bearer_auth(token).json(body).send().await.unwrap();
    response.json().await.unwrap()
}

/// Event metadata for a command a test writes straight through the
/// command bus, as `actor` of `org`, now.
pub(crate) fn metadata(org: &str, actor: &str) -> wavestack_domain::metadata::EventMetadata {
    use wavestack_domain::value::{ActorId, OrgId, Timestamp};
    wavestack_domain::metadata::EventMetadata {
        org: OrgId::parse(org).unwrap(),
        actor: ActorId::parse(actor).unwrap(),
        correlation_id: uuid::Uuid::new_v4(),
        causation_id: None,
        request_id: None,
        occurred_at: Timestamp::from_datetime(time::OffsetDateTime::now_utc()),
    }
}
