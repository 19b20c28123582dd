use std::fmt;
use std::ops::Deref;

/// A Postgres schema holding a read model, its offsets and positions. It
/// goes into SQL text, so only a plain identifier is one
/// (`check_identifier`).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct SchemaName(String);

const LIVE_PREFIX: &str = "projection_";

impl SchemaName {
    pub fn parse(raw: impl Into<String>) -> anyhow::Result<Self> {
        let raw = raw.into();
        wavestack_adapters::postgres::check_identifier(&raw)?;
        Ok(Self(raw))
    }

    /// `projection_<name>`, where the live model of a projection lives.
    pub(crate) fn live(projection: &str) -> Self {
        Self(format!("{LIVE_PREFIX}{projection}"))
    }

    /// The projection whose live model `schema` would be, by its name alone.
    pub(crate) fn live_projection(schema: &str) -> Option<&str> {
        schema.strip_prefix(LIVE_PREFIX)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl Deref for SchemaName {
    type Target = str;
    fn deref(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for SchemaName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}
