//! `wavestack audit …`: what an auditor runs against the Kafka log alone.

mod giveaway;
mod keygen;
mod verify;

pub use giveaway::{audit_giveaway, GiveawayArgs, GiveawayAudit, LogFinding};
pub use keygen::KeygenArgs;
pub use verify::{verify_log, VerifyArgs};

#[derive(Debug, clap::Subcommand)]
pub enum AuditCommand {
    /// Recomputes a giveaway's winners from the Kafka log alone and says
    /// whether the published ones match (exit 1 when not).
    Giveaway(GiveawayArgs),
    /// Recomputes every stream's audit chain from the Kafka log and checks
    /// it against the signed checkpoints (exit 1 on any discrepancy).
    Verify(VerifyArgs),
    /// Writes a new checkpoint signing key and prints its public key.
    Keygen(KeygenArgs),
}

/// Prints a report (JSON, or the text form) and exits 1 if it found
/// anything: what every audit command ends with.
fn report<R: serde::Serialize>(report: &R, json: bool, text: impl Fn(&R) -> String, holds: bool) -> anyhow::Result<()> {
    if json {
        println!("{}", serde_json::to_string_pretty(report)?);
    } else {
        print!("{}", text(report));
    }
    if !holds {
        std::process::exit(1);
    }
    Ok(())
}

pub async fn run(command: AuditCommand) -> anyhow::Result<()> {
    match command {
        AuditCommand::Giveaway(args) => giveaway::run(args).await,
        AuditCommand::Verify(args) => verify::run(args).await,
        AuditCommand::Keygen(args) => keygen::run(args),
    }
}
