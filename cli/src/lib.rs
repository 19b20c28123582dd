//! The `wavestack` binary's library: the stack assembled in one place
//! (`stack`), the configuration it is built from, and the subcommands.

pub mod commands;
pub mod config;
pub mod config_file;
pub mod settings;
pub mod shutdown;
pub mod stack;
