//! `wavestack user …`: the operator's way to the dashboard's people,
//! first of all an org's first owner (owners then invite the others from
//! the dashboard). Each change is an event on the org's `team` stream
//! whose actor is `operator:cli`; the password goes only to
//! `member_passwords`, as an argon2 hash.

use std::io::Read;

use anyhow::Context;
use clap::{Args, Subcommand};
use wavestack_adapters::auth::{add_member, AddMemberError};
use wavestack_adapters::command_bus::{CommandBus, CommandError, Policies};
use wavestack_domain::metadata::EventMetadata;
use wavestack_domain::value::{ActorId, MemberRole, OrgId, Timestamp, Username};

use super::connect_and_migrate;
use crate::config::DatabaseArgs;

#[derive(Debug, Subcommand)]
pub enum UserCommand {
    /// Adds a person to an org's dashboard with a role and a password.
    Add(AddArgs),
}

#[derive(Debug, Args)]
pub struct AddArgs {
    #[arg(long)]
    org: String,
    /// 2 to 32 lowercase letters, digits and `-_.`.
    #[arg(long)]
    username: String,
    /// owner, moderator or viewer.
    #[arg(long)]
    role: String,
    /// The password (12 to 256 characters), read from standard input,
    /// unless given here or in the environment.
    #[arg(long, env = "WAVESTACK_USER_PASSWORD", hide_env_values = true)]
    password: Option<String>,
    #[command(flatten)]
    database: DatabaseArgs,
}

pub async fn run(command: UserCommand) -> anyhow::Result<()> {
    let UserCommand::Add(args) = command;
    let org = OrgId::parse(args.org.clone()).with_context(|| format!("--org `{}`", args.org))?;
    let username = Username::parse(args.username.clone()).with_context(|| format!("--username `{}`", args.username))?;
    let role = MemberRole::parse(&args.role).with_context(|| format!("--role `{}`", args.role))?;
    let password = match args.password {
        Some(password) => password,
        None => {
            let mut read = String::new();
            std::io::stdin().read_to_string(&mut read).context("reading the password from standard input")?;
            read.trim_end_matches(['\r', '\n']).to_owned()
        }
    };
    wavestack_adapters::auth::check_password(&password).context("the password")?;
    let pool = connect_and_migrate(&args.database).await?;
    let bus = CommandBus::new(pool.clone(), Policies::default());
    let at = Timestamp::from_datetime(time::OffsetDateTime::now_utc());
    let metadata = EventMetadata::initiated(org.clone(), ActorId::parse("operator:cli")?, at);
    match add_member(&bus, &pool, &org, &username, role, &password, None, &metadata).await {
        Ok(()) => {}
        Err(AddMemberError::Command(CommandError::Rejected(refused))) => {
            anyhow::bail!("{refused} ({})", refused.code())
        }
        Err(error) => return Err(error).context("adding the person"),
    }
    pool.close().await;
    println!("{username} joined {org} as {role}");
    Ok(())
}
