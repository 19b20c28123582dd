//! The optional TOML config file (`--config` / `WAVESTACK_CONFIG`). Its
//! keys are the long flag names (`database-url` or `database_url`); a key
//! applies only where neither the flag nor its environment variable is
//! given, so the order is flag > environment > file > default. Service
//! clients, channel recordings and each org's publishing destinations,
//! which have no flag, live in `[[clients]]`, `[[recordings]]` and
//! `[[destinations]]` tables.

use std::collections::HashMap;
use std::path::Path;

use anyhow::{bail, Context};
use clap::CommandFactory;
use wavestack_adapters::auth::ClientConfig;
use wavestack_adapters::publishers::{redact, DestinationConfig};
use wavestack_workers::chat_clips::Recording;

/// What only the file can say.
#[derive(Debug, Default)]
pub struct FileConfig {
    pub clients: Vec<ClientConfig>,
    /// Per org and channel, what `!clip` cuts from.
    pub recordings: Vec<Recording>,
    /// Per org, where it publishes (secrets included: keep the file private).
    pub destinations: Vec<DestinationConfig>,
}

/// Reads the file and exports each key as its flag's environment variable
/// where that variable is unset. Call before the runtime starts (it sets
/// process environment variables), then parse the command line again.
pub fn apply<C: CommandFactory>(path: &Path) -> anyhow::Result<FileConfig> {
    let (file, keys) = read(path)?;
    let env_of = flag_env_names(&C::command());
    for (long, value) in keys {
        let Some(env) = env_of.get(&long) else {
            bail!(
                "unknown key `{long}` in {}; keys are the long flag names of `wavestack <command> --help`",
                path.display()
            );
        };
        if std::env::var_os(env).is_none() {
            // Single-threaded here: nothing else reads the environment yet.
            std::env::set_var(env, value);
        }
    }
    Ok(file)
}

/// The file's tables, and its other keys as (long flag name, value).
pub fn read(path: &Path) -> anyhow::Result<(FileConfig, Vec<(String, String)>)> {
    let text = std::fs::read_to_string(path).with_context(|| format!("reading the config file {}", path.display()))?;
    let mut table: toml::Table =
        toml::from_str(&text).with_context(|| format!("parsing the config file {}", path.display()))?;
    let clients = match table.remove("clients") {
        Some(value) => value.try_into().context("reading [[clients]] in the config file")?,
        None => Vec::new(),
    };
    let recordings = match table.remove("recordings") {
        Some(value) => value.try_into().context("reading [[recordings]] in the config file")?,
        None => Vec::new(),
    };
    let destinations = match table.remove("destinations") {
        Some(value) => destinations(value)?,
        None => Vec::new(),
    };
    let mut keys = Vec::with_capacity(table.len());
    for (key, value) in table {
        let long = key.replace('_', "-");
        let value = match value {
            toml::Value::String(s) => s,
            toml::Value::Integer(i) => i.to_string(),
            toml::Value::Float(f) => f.to_string(),
            toml::Value::Boolean(b) => b.to_string(),
            other => {
                bail!("`{key}` in {} must be a string, number or boolean, not {}", path.display(), other.type_str())
            }
        };
        keys.push((long, value));
    }
    Ok((FileConfig { clients, recordings, destinations }, keys))
}

/// The `[[destinations]]` tables. They hold secrets, and a parse error
/// quotes the value it could not read: each entry's strings are scrubbed
/// from its error, so that a typo in a webhook URL does not print the URL's
/// token to the log.
fn destinations(value: toml::Value) -> anyhow::Result<Vec<DestinationConfig>> {
    let toml::Value::Array(entries) = value else {
        bail!("[[destinations]] in the config file must be tables");
    };
    let mut destinations = Vec::with_capacity(entries.len());
    for (index, entry) in entries.into_iter().enumerate() {
        let strings: Vec<String> = match &entry {
            toml::Value::Table(table) => table.values().filter_map(|v| v.as_str().map(str::to_owned)).collect(),
            _ => Vec::new(),
        };
        let parsed: Result<DestinationConfig, _> = entry.try_into();
        match parsed {
            Ok(destination) => destinations.push(destination),
            Err(error) => bail!(
                "reading [[destinations]] entry {} in the config file: {}",
                index + 1,
                redact(&error.to_string(), &strings)
            ),
        }
    }
    Ok(destinations)
}

/// Long flag name → environment variable, over every subcommand.
pub(crate) fn flag_env_names(command: &clap::Command) -> HashMap<String, String> {
    let mut names = HashMap::new();
    let mut stack = vec![command];
    while let Some(command) = stack.pop() {
        for arg in command.get_arguments() {
            if let (Some(long), Some(env)) = (arg.get_long(), arg.get_env()) {
                names.insert(long.to_owned(), env.to_string_lossy().into_owned());
            }
        }
        stack.extend(command.get_subcommands());
    }
    names
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_malformed_destination_is_refused_without_quoting_its_secret() {
        let text = r#"
[[destinations]]
org = "acme"
platform = "discord"
url = "not a url, but a secret-ish s3cr3t-token-value"
"#;
        let mut table: toml::Table = toml::from_str(text).unwrap();
        let entries = table.remove("destinations").unwrap();
        // What the parser alone says quotes the value…
        let raw: Result<Vec<DestinationConfig>, _> = entries.clone().try_into();
        assert!(raw.unwrap_err().to_string().contains("s3cr3t"), "the parser no longer quotes values");
        // …and what we print does not.
        let error = destinations(entries).unwrap_err();
        let message = format!("{error:#}");
        assert!(message.contains("entry 1"), "{message}");
        assert!(!message.contains("s3cr3t"), "{message}");
    }
    use clap::Parser;

    #[derive(Parser)]
    struct Cli {
        #[arg(long, env = "WAVESTACK_TEST_CONFIG_FILE_LISTEN", default_value = "default")]
        listen: String,
        #[arg(long, env = "WAVESTACK_TEST_CONFIG_FILE_LIMIT", default_value_t = 1)]
        limit: u32,
    }

    #[test]
    fn file_fills_in_under_flags_and_environment() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("wavestack.toml");
        std::fs::write(
            &path,
            r#"
listen = "from-file"
limit = 7
[[clients]]
id = "bot"
secret_hash = "$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHQ$aGFzaGhhc2hoYXNoaGFzaA"
org = "acme"
scopes = ["chat:write"]
"#,
        )
        .unwrap();
        let file = apply::<Cli>(&path).unwrap();
        assert_eq!(file.clients.len(), 1);
        let cli = Cli::parse_from(["wavestack"]);
        assert_eq!((cli.listen.as_str(), cli.limit), ("from-file", 7));
        let cli = Cli::parse_from(["wavestack", "--limit", "9"]);
        assert_eq!(cli.limit, 9, "a flag beats the file");
    }

    #[test]
    fn unknown_keys_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("wavestack.toml");
        std::fs::write(&path, "lisen = \"typo\"\n").unwrap();
        let error = apply::<Cli>(&path).unwrap_err();
        assert!(error.to_string().contains("unknown key `lisen`"), "{error}");
    }
}
