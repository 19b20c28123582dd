//! `wavestack up`: everything in one process (`Stack`). On SIGINT/SIGTERM
//! both APIs stop accepting and finish their in-flight requests, the relay
//! finishes the batch in hand, and the local broker (if we started it)
//! stops.

use crate::config::UpArgs;
use crate::config_file::FileConfig;
use crate::settings::Settings;
use crate::shutdown;
use crate::stack::Stack;

pub async fn run(args: UpArgs, file: FileConfig) -> anyhow::Result<()> {
    let cancel = shutdown::on_signal();
    Stack::build(Settings { up: args, file }, cancel).await?.run().await
}
