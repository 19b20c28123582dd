//! What a stack is built from, typed: every setting of `wavestack up`
//! (its flags, which also read the environment and the config file's
//! top-level keys) and what only the config file can say (service
//! clients, recordings, publishing destinations). The binary parses its
//! command line into one; a test takes the defaults and sets fields.

use std::path::Path;

use anyhow::Context;
use clap::Parser;

use crate::config::UpArgs;
use crate::config_file::FileConfig;

#[derive(Debug)]
pub struct Settings {
    pub up: UpArgs,
    pub file: FileConfig,
}

/// `UpArgs` alone, to read the defaults and a config file's keys into.
#[derive(Debug, Parser)]
#[command(name = "up")]
struct UpOnly {
    #[command(flatten)]
    up: UpArgs,
}

impl Settings {
    /// `wavestack up`'s settings with nothing given but the config file at
    /// `path` (and, as for the binary, the process environment where the
    /// file says nothing).
    pub fn from_file(path: &Path) -> anyhow::Result<Self> {
        let (file, keys) = crate::config_file::read(path)?;
        // Each key's text becomes its typed field as the same flag's would.
        let flags = keys.iter().map(|(long, value)| format!("--{long}={value}"));
        let parsed = UpOnly::try_parse_from(std::iter::once("up".to_owned()).chain(flags))
            .with_context(|| format!("the settings in {}", path.display()))?;
        Ok(Self { up: parsed.up, file })
    }
}
