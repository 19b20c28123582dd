//! `wavestack status`: the broker, the relay's lag and each consumer's, read
//! from Postgres and the broker as `/ready` reads them. Exits 1 when the
//! broker cannot be reached, so scripts can wait on it.

use wavestack_adapters::kafka::KafkaConfig;
use wavestack_adapters::postgres;
use wavestack_adapters::status::PipelineStatus;

use crate::config::StatusArgs;

pub async fn run(args: StatusArgs) -> anyhow::Result<()> {
    let pool = postgres::connect(&args.database.database_url, 2).await?;
    let status = PipelineStatus::read(&pool, &KafkaConfig::new(&args.kafka_brokers)).await?;
    pool.close().await;
    if args.json {
        println!("{}", serde_json::to_string_pretty(&status)?);
    } else {
        print!("{}", table(&status, &args.kafka_brokers));
    }
    if !status.serving() {
        std::process::exit(1);
    }
    Ok(())
}

fn table(status: &PipelineStatus, brokers: &str) -> String {
    let mut out = String::new();
    let broker = match (&status.broker.reachable, &status.broker.error) {
        (true, _) => "reachable".to_owned(),
        (false, Some(error)) => format!("UNREACHABLE ({error})"),
        (false, None) => "UNREACHABLE".to_owned(),
    };
    out.push_str(&format!("broker {brokers}: {broker}\n"));
    let oldest = status.relay.oldest_seconds.map_or(String::new(), |s| format!(", oldest {s:.1} s old"));
    out.push_str(&format!("relay: {} events not yet on the log{oldest}\n", status.relay.events_behind));
    let width = status.consumers.iter().map(|c| c.name.len()).max().unwrap_or(0);
    for consumer in &status.consumers {
        let behind = consumer
            .records_behind
            .map_or("unknown (broker unreachable)".to_owned(), |n| format!("{n} records behind"));
        out.push_str(&format!("{:width$}  {behind}\n", consumer.name));
    }
    out
}
