//! `wavestack bench`: drives a running stack over its public HTTP API with
//! realistic chat and measures what the issue asks: accepted commands/s,
//! command latency percentiles, command-to-visible latency, the pipeline's
//! rates from its metrics, and the process's peak memory and CPU.

pub mod baselines;
pub mod bot;
pub mod latency;
pub mod metrics;
pub mod moderation;
pub mod phases;
pub mod probes;
pub mod process;
pub mod report;
pub mod run;
pub mod stall;
pub mod traffic;
pub mod walls;

pub use phases::Target;
pub use report::{BenchConfig, ReplayResult, Report};
pub use run::run;
