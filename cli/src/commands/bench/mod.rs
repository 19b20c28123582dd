//! `wavestack bench`: brings a throwaway stack up (its own database, data
//! directory and ports, rate limits out of the way), drives it with
//! realistic chat over HTTP, and writes the results as JSON and as a table.

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{bail, Context};
use clap::Args;
use wavestack_bench::{BenchConfig, Target};

mod replay;
pub mod twitch;

#[derive(Debug, Args, Clone)]
pub struct BenchArgs {
    /// Postgres server to create the throwaway database on.
    #[arg(long, env = "DATABASE_URL", default_value = "postgres://localhost/postgres")]
    database_url: String,
    /// Seconds of each phase but the batch phase.
    #[arg(long, default_value_t = 20)]
    seconds: u64,
    /// Seconds of the batch phase: the ingest target is sustained for 60 s.
    #[arg(long, default_value_t = 60)]
    batch_seconds: u64,
    /// Clients of the flat-out single-post phase.
    #[arg(long, default_value_t = 32)]
    clients: usize,
    /// Offered single posts per second of the fixed-rate phase.
    #[arg(long, default_value_t = 500)]
    rate: u64,
    /// Messages per batch of the batch phase.
    #[arg(long, default_value_t = 500)]
    batch_size: usize,
    /// Clients of the batch phase.
    #[arg(long, default_value_t = 4)]
    batch_clients: usize,
    /// Offered messages per second of the command-to-visible phases (one
    /// sends single posts, the other batches of --visible-batch).
    #[arg(long, default_value_t = 1000)]
    visible_rate: u64,
    #[arg(long, default_value_t = 50)]
    visible_batch: usize,
    #[arg(long, default_value_t = 50)]
    channels: u64,
    #[arg(long, default_value_t = 20_000)]
    viewers: u64,
    /// Records of the raw produce/consume baseline against the stack's broker.
    #[arg(long, default_value_t = 100_000)]
    baseline_records: u64,
    /// Events the log must hold for the replay measurement (filled with
    /// batches first); 0 skips the replay.
    #[arg(long, default_value_t = 1_000_000)]
    replay_events: u64,
    /// Directory the results are written to (`<time>.json` and `<time>.md`).
    #[arg(long, default_value = "bench-results")]
    output: PathBuf,
    /// `pipeline`: the phases above, limits lifted. `walls`: a well-behaved
    /// org beside a token flood and beside another org's chat flood, on
    /// the default limits. `stall`: chat at --stall-rate while the local
    /// broker is stopped for --stall-seconds; how long the catch-up takes.
    /// `bot`: single posts at --bot-rate, plain chat then with commands; the
    /// latency of the reply in the 202. `moderation`: single posts at
    /// --moderation-rate, no filters then every filter on (200 terms, 20
    /// regexes); the decision's share of the latency, adversarial messages.
    /// `twitch`: the Twitch gateway against the fake Twitch: chat → reply
    /// latency, the recorded rate beside an HTTP baseline, memory per 1,000
    /// connected channels.
    #[arg(long, value_enum, default_value_t = Scenario::Pipeline)]
    scenario: Scenario,
    /// walls: the well-behaved org's single posts per second.
    #[arg(long, default_value_t = 200)]
    quiet_rate: u64,
    /// walls: concurrent clients of each flood.
    #[arg(long, default_value_t = 32)]
    flood_clients: usize,
    /// walls: chat messages per second the noisy org offers (ten times the
    /// stack's batched ingest on 2 cores).
    #[arg(long, default_value_t = 80_000)]
    flood_rate: u64,
    /// stall: chat messages per second throughout (batches of --visible-batch).
    #[arg(long, default_value_t = 1000)]
    stall_rate: u64,
    /// stall: how long the broker is stopped.
    #[arg(long, default_value_t = 60)]
    stall_seconds: u64,
    /// bot: chat messages per second, one POST each.
    #[arg(long, default_value_t = 500)]
    bot_rate: u64,
    /// bot: the share of messages that are commands.
    #[arg(long, default_value_t = 0.10)]
    bot_command_share: f64,
    /// moderation: chat messages per second, one POST each.
    #[arg(long, default_value_t = 1000)]
    moderation_rate: u64,
    /// moderation: messages per POST (1: single posts).
    #[arg(long, default_value_t = 10)]
    moderation_batch: usize,
    /// moderation: the share of messages that are spam.
    #[arg(long, default_value_t = 0.05)]
    spam_share: f64,
    /// twitch: chat messages per second, said on the fake Twitch over
    /// --channels connected channels (and posted over HTTP for the baseline).
    #[arg(long, default_value_t = 500)]
    twitch_rate: u64,
    /// twitch: `!points` per second per channel (chat's send limit is 100
    /// per 30 s for the broadcaster).
    #[arg(long, default_value_t = 2.0)]
    twitch_commands_per_channel_second: f64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum Scenario {
    Pipeline,
    Walls,
    Stall,
    Bot,
    Moderation,
    Twitch,
}

/// `wavestack up`, stopped (SIGTERM, then killed) when dropped.
struct Stack {
    child: Child,
}

impl Drop for Stack {
    fn drop(&mut self) {
        let _ = Command::new("kill").args(["-TERM", &self.child.id().to_string()]).status();
        let deadline = Instant::now() + Duration::from_secs(30);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        let _ = self.child.kill();
    }
}

pub async fn run(args: BenchArgs) -> anyhow::Result<()> {
    let stamp = time::OffsetDateTime::now_utc().unix_timestamp();
    let work = std::env::temp_dir().join(format!("wavestack-bench-{stamp}"));
    std::fs::create_dir_all(&work)?;
    let database_url =
        wavestack_adapters::postgres::sibling_database_url(&args.database_url, &format!("wavestack_bench_{stamp}"))?;
    let (command_port, query_port, kafka_port) = (free_port()?, free_port()?, free_port()?);
    let exe = std::env::current_exe().context("finding the wavestack binary")?;
    let log = std::fs::File::create(work.join("up.log"))?;
    // The traffic's clip requests name this source in the bench org's
    // media: accepted at the edge, then failed by the renderer (it is no
    // video), as a bad upload would be.
    std::fs::create_dir_all(work.join("data/media/bench/vods"))?;
    std::fs::write(work.join("data/media/bench/vods/bench.mkv"), b"")?;
    let lifted = [
        ("WAVESTACK_RATE_LIMIT_PER_SECOND", "1000000"),
        ("WAVESTACK_RATE_LIMIT_BURST", "1000000"),
        ("WAVESTACK_ORG_RATE_LIMIT_PER_SECOND", "1000000"),
        ("WAVESTACK_ORG_RATE_LIMIT_BURST", "1000000"),
        ("WAVESTACK_MAX_IN_FLIGHT", "100000"),
        // One token reads for every request of the visibility phases.
        ("WAVESTACK_MAX_WAITS_PER_CALLER", "100000"),
        ("WAVESTACK_REQUEST_TIMEOUT_SECONDS", "600"),
        ("WAVESTACK_ORG_RENDER_CLIPS", "1000000"),
        ("WAVESTACK_ORG_RENDER_QUEUE_SECONDS", "1000000000"),
    ];
    // The walls are measured on the limits a deployment runs with.
    let limits: &[(&str, &str)] = if args.scenario == Scenario::Walls { &[] } else { &lifted };
    // The Twitch scenario's fake, before the stack that connects to it.
    let fake = if args.scenario == Scenario::Twitch {
        let fake = wavestack_gateways::fakes::twitch::FakeTwitch::start(
            twitch::CLIENT_ID,
            wavestack_gateways::fakes::twitch::Timings::default(),
        )
        .await;
        fake.register_app(twitch::CLIENT_SECRET, "http://127.0.0.1:9/app/connections/twitch/callback");
        Some(fake)
    } else {
        None
    };
    let twitch_env: Vec<(&str, String)> = match &fake {
        Some(fake) => vec![
            ("WAVESTACK_TWITCH_CLIENT_ID", twitch::CLIENT_ID.to_owned()),
            ("WAVESTACK_TWITCH_CLIENT_SECRET", twitch::CLIENT_SECRET.to_owned()),
            ("WAVESTACK_TWITCH_ID_URL", fake.id_url().to_string()),
            ("WAVESTACK_TWITCH_HELIX_URL", fake.helix_url().to_string()),
            ("WAVESTACK_TWITCH_EVENTSUB_URL", fake.eventsub_url().to_string()),
        ],
        None => Vec::new(),
    };
    let child = Command::new(&exe)
        .arg("up")
        .env("DATABASE_URL", &database_url)
        .env("WAVESTACK_DATA_DIR", work.join("data"))
        .env("WAVESTACK_COMMAND_API_ADDR", format!("127.0.0.1:{command_port}"))
        .env("WAVESTACK_QUERY_API_ADDR", format!("127.0.0.1:{query_port}"))
        .env("WAVESTACK_LOCAL_KAFKA_PORT", kafka_port.to_string())
        .envs(limits.iter().copied())
        .envs(twitch_env.iter().map(|(k, v)| (*k, v.as_str())))
        .env("RUST_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(log)
        .spawn()
        .context("starting wavestack up")?;
    let pid = child.id();
    let stack = Stack { child };
    let (command_api, query_api) =
        (format!("http://127.0.0.1:{command_port}"), format!("http://127.0.0.1:{query_port}"));
    // Tokens only once the stack is up: it holds the signing key by then.
    wait_ready(&[&command_api, &query_api], &work).await?;
    // The scenarios that only chat: a writer and a reader of the bench org.
    let chat_target = || -> anyhow::Result<Target> {
        Ok(Target {
            command_api: command_api.clone(),
            query_api: query_api.clone(),
            write_token: token(&exe, &work, &["chat:write"])?,
            read_token: token(&exe, &work, &["read"])?,
            kafka_brokers: None,
            database_url: None,
        })
    };
    if args.scenario == Scenario::Walls {
        let target_of = |org: &str| -> anyhow::Result<Target> {
            Ok(Target {
                command_api: command_api.clone(),
                query_api: query_api.clone(),
                write_token: token_for(&exe, &work, org, &["chat:write"])?,
                read_token: token_for(&exe, &work, org, &["read"])?,
                kafka_brokers: None,
                database_url: None,
            })
        };
        let (quiet, noisy) = (target_of("quiet")?, target_of("noisy")?);
        let config = wavestack_bench::walls::WallsConfig {
            seconds: args.seconds,
            quiet_rate: args.quiet_rate,
            flood_clients: args.flood_clients,
            flood_batch: args.batch_size,
            flood_messages_per_second: args.flood_rate,
        };
        let report = wavestack_bench::walls::run(&quiet, &noisy, pid, config).await;
        return finish(stack, &args, stamp, &work, "walls", Ok(report)).await;
    }
    if args.scenario == Scenario::Bot {
        let target = chat_target()?;
        let config = wavestack_bench::bot::BotConfig {
            seconds: args.seconds,
            rate: args.bot_rate,
            command_share: args.bot_command_share,
            channels: args.channels,
            viewers: args.viewers,
            manager_token: token(&exe, &work, &["channels:write"])?,
        };
        eprintln!("stack up (pid {pid}); {} msg/s, plain then with commands, {} s each", config.rate, config.seconds);
        let report = wavestack_bench::bot::run(&target, config).await;
        return finish(stack, &args, stamp, &work, "bot", report).await;
    }
    if args.scenario == Scenario::Moderation {
        let target = chat_target()?;
        let config = wavestack_bench::moderation::ModerationConfig {
            seconds: args.seconds,
            rate: args.moderation_rate,
            batch: args.moderation_batch,
            spam_share: args.spam_share,
            command_share: args.bot_command_share,
            channels: args.channels,
            viewers: args.viewers,
            manager_token: token(&exe, &work, &["channels:write"])?,
        };
        eprintln!(
            "stack up (pid {pid}); {} msg/s, no filters then every filter, {} s each",
            config.rate, config.seconds
        );
        let report = wavestack_bench::moderation::run(&target, config).await;
        return finish(stack, &args, stamp, &work, "moderation", report).await;
    }
    if let Some(fake) = &fake {
        let target = chat_target()?;
        let stage =
            twitch::Stage { fake, target: &target, database_url: &database_url, key_dir: work.join("data/keys"), pid };
        let config = twitch::TwitchBenchConfig {
            seconds: args.seconds,
            rate: args.twitch_rate,
            channels: args.channels,
            viewers: args.viewers,
            commands_per_channel_second: args.twitch_commands_per_channel_second,
        };
        eprintln!(
            "stack up (pid {pid}); {} channels connected to the fake Twitch, {} msg/s",
            config.channels, config.rate
        );
        let report = twitch::run(stage, config).await;
        return finish(stack, &args, stamp, &work, "twitch", report).await;
    }
    if args.scenario == Scenario::Stall {
        let target = chat_target()?;
        let config = wavestack_bench::stall::StallConfig {
            rate: args.stall_rate,
            batch: args.visible_batch,
            warmup_seconds: args.seconds,
            stall_seconds: args.stall_seconds,
            catch_up_limit_seconds: 600,
        };
        eprintln!(
            "stack up (pid {pid}); chat at {} msg/s, the broker stopped for {} s after {} s",
            config.rate, config.stall_seconds, config.warmup_seconds
        );
        let report = wavestack_bench::stall::run(&target, pid, &work.join("data/kafka/tansu.log"), config).await;
        return finish(stack, &args, stamp, &work, "stall", Ok(report)).await;
    }
    let target = Target {
        command_api,
        query_api,
        write_token: token(&exe, &work, &["chat:write", "clips:write", "publications:write"])?,
        read_token: token(&exe, &work, &["read"])?,
        kafka_brokers: Some(format!("127.0.0.1:{kafka_port}")),
        database_url: Some(database_url.clone()),
    };
    eprintln!(
        "stack up (pid {pid}, logs in {}); running five phases of {} s (batches {} s)",
        work.display(),
        args.seconds,
        args.batch_seconds
    );
    let config = BenchConfig {
        seconds: args.seconds,
        batch_seconds: args.batch_seconds,
        clients: args.clients,
        rate: args.rate,
        batch_size: args.batch_size,
        batch_clients: args.batch_clients,
        visible_rate: args.visible_rate,
        visible_batch: args.visible_batch,
        channels: args.channels,
        viewers: args.viewers,
        baseline_records: args.baseline_records,
        replay_events: args.replay_events,
    };
    let mut report = wavestack_bench::run(&target, config.clone(), Some(pid)).await?;
    if args.replay_events > 0 {
        match replay::measure(&target, &config).await {
            Ok(replay) => report.replay = Some(replay),
            Err(error) => eprintln!("the replay measurement failed: {error:#}"),
        }
    }
    drop(stack);

    std::fs::create_dir_all(&args.output)?;
    let name = report.started_at.replace(':', "-");
    let json = args.output.join(format!("{name}.json"));
    std::fs::write(&json, serde_json::to_string_pretty(&report)?)?;
    let table = report.table();
    std::fs::write(args.output.join(format!("{name}.md")), &table)?;
    println!("{table}");
    println!("written to {}", json.display());
    // The stack's log, for what the numbers do not say.
    let _ = std::fs::copy(work.join("up.log"), args.output.join(format!("{name}.up.log")));
    clean_up(&args.database_url, stamp, &work).await;
    Ok(())
}

/// A scenario's report as the files name and show it.
trait ScenarioReport: serde::Serialize {
    fn started_at(&self) -> &str;
    fn table(&self) -> String;
}

macro_rules! scenario_reports {
    ($($report:ty),+) => {$(
        impl ScenarioReport for $report {
            fn started_at(&self) -> &str {
                &self.started_at
            }

            fn table(&self) -> String {
                <$report>::table(self)
            }
        }
    )+};
}

scenario_reports!(
    wavestack_bench::walls::WallsReport,
    wavestack_bench::bot::BotReport,
    wavestack_bench::moderation::ModerationReport,
    wavestack_bench::stall::StallReport,
    twitch::TwitchReport
);

/// After a scenario: the stack stopped, its results written as
/// `<kind>-<started at>`, the throwaway database and directory gone.
async fn finish(
    stack: Stack,
    args: &BenchArgs,
    stamp: i64,
    work: &std::path::Path,
    kind: &str,
    report: anyhow::Result<impl ScenarioReport>,
) -> anyhow::Result<()> {
    drop(stack);
    let written = report.and_then(|report| {
        let name = format!("{kind}-{}", report.started_at().replace(':', "-"));
        write_results(&args.output, &name, &report, &ScenarioReport::table(&report), work)
    });
    clean_up(&args.database_url, stamp, work).await;
    written
}

/// The throwaway stack's database and directory, gone.
async fn clean_up(server_url: &str, stamp: i64, work: &std::path::Path) {
    drop_database(server_url, &format!("wavestack_bench_{stamp}")).await;
    let _ = std::fs::remove_dir_all(work);
}

/// `<name>.json`, `<name>.md` (also printed) and the stack's log, for what
/// the numbers do not say.
fn write_results(
    output: &std::path::Path,
    name: &str,
    report: &impl serde::Serialize,
    table: &str,
    work: &std::path::Path,
) -> anyhow::Result<()> {
    std::fs::create_dir_all(output)?;
    std::fs::write(output.join(format!("{name}.json")), serde_json::to_string_pretty(report)?)?;
    std::fs::write(output.join(format!("{name}.md")), table)?;
    println!("{table}");
    let _ = std::fs::copy(work.join("up.log"), output.join(format!("{name}.up.log")));
    Ok(())
}

/// A token for the bench org, signed with the throwaway stack's key.
fn token(exe: &std::path::Path, work: &std::path::Path, scopes: &[&str]) -> anyhow::Result<String> {
    token_for(exe, work, "bench", scopes)
}

fn token_for(exe: &std::path::Path, work: &std::path::Path, org: &str, scopes: &[&str]) -> anyhow::Result<String> {
    let mut command = Command::new(exe);
    command
        .args(["token", "issue", "--org", org])
        .env("WAVESTACK_DATA_DIR", work.join("data"))
        .env("WAVESTACK_TOKEN_TTL_SECONDS", "3600");
    for scope in scopes {
        command.args(["--scope", scope]);
    }
    let output = command.output().context("issuing a bench token")?;
    if !output.status.success() {
        bail!("issuing a bench token: {}", String::from_utf8_lossy(&output.stderr));
    }
    Ok(String::from_utf8(output.stdout)?.trim().to_owned())
}

async fn wait_ready(apis: &[&str], work: &std::path::Path) -> anyhow::Result<()> {
    let http = reqwest::Client::new();
    let deadline = Instant::now() + Duration::from_secs(120);
    for api in apis {
        loop {
            if http.get(format!("{api}/ready")).send().await.is_ok_and(|r| r.status().is_success()) {
                break;
            }
            if Instant::now() > deadline {
                bail!("the stack did not come up; see {}", work.join("up.log").display());
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }
    // The projections and workers join shortly after the APIs answer.
    tokio::time::sleep(Duration::from_secs(3)).await;
    Ok(())
}

fn free_port() -> anyhow::Result<u16> {
    Ok(std::net::TcpListener::bind("127.0.0.1:0")?.local_addr()?.port())
}

async fn drop_database(server_url: &str, name: &str) {
    let dropped = async {
        let pool = sqlx::PgPool::connect(server_url).await?;
        sqlx::query(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)")).execute(&pool).await?;
        pool.close().await;
        Ok::<_, sqlx::Error>(())
    };
    if let Err(error) = dropped.await {
        eprintln!("could not drop the bench database {name}: {error}");
    }
}
