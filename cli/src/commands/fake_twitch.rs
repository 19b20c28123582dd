//! `wavestack fake-twitch`: the local fake Twitch the tests use, as a
//! process of its own, for tests outside Rust (the browser tests connect a
//! channel through it from the dashboard). Never a stand-in for Twitch in a
//! deployment: it consents for whoever it is told to and keeps nothing.

use std::net::SocketAddr;
use std::sync::Arc;

use clap::Args;
use wavestack_gateways::fakes::twitch::{control_router, FakeTwitch, Timings};

use crate::shutdown;

#[derive(Debug, Args)]
pub struct FakeTwitchArgs {
    /// Where the fake Twitch (id server, Helix, EventSub) listens.
    #[arg(long, default_value = "127.0.0.1:28090")]
    pub addr: SocketAddr,
    /// Where its control API (what a test makes Twitch do) listens.
    #[arg(long, default_value = "127.0.0.1:28091")]
    pub control_addr: SocketAddr,
    /// The application registered with the fake, as the stack is given it.
    #[arg(long, env = "WAVESTACK_TWITCH_CLIENT_ID")]
    pub client_id: String,
    #[arg(long, env = "WAVESTACK_TWITCH_CLIENT_SECRET", hide_env_values = true)]
    pub client_secret: String,
    /// The application's registered OAuth redirect URL.
    #[arg(long)]
    pub redirect_url: String,
}

pub async fn run(args: FakeTwitchArgs) -> anyhow::Result<()> {
    let stop = shutdown::on_signal();
    let fake = FakeTwitch::start_on(args.addr, &args.client_id, Timings::default()).await?;
    fake.register_app(&args.client_secret, &args.redirect_url);
    let control = tokio::net::TcpListener::bind(args.control_addr).await?;
    tracing::info!(addr = %args.addr, control = %args.control_addr, "the fake Twitch is serving");
    axum::serve(control, control_router(Arc::new(fake))).with_graceful_shutdown(stop.cancelled_owned()).await?;
    Ok(())
}
