//! What a token lets its bearer do. Each route names the one scope it needs.

use std::collections::BTreeSet;
use std::fmt;

/// Scopes in the order docs/bot-authors.md documents them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Scope {
    ChatWrite,
    ClipsWrite,
    ClipsWork,
    PublicationsWrite,
    PublicationsWork,
    Read,
    AuditRead,
    /// Channel managers: a channel's commands, points policy, prefix,
    /// regulars and built-ins.
    ChannelsWrite,
    /// Owners of the dashboard: who may log in with which role, and the
    /// overlays' keys.
    TeamWrite,
    Admin,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown scope `{0}`")]
pub struct UnknownScope(pub String);

impl Scope {
    pub const ALL: [Scope; 10] = [
        Scope::ChatWrite,
        Scope::ClipsWrite,
        Scope::ClipsWork,
        Scope::PublicationsWrite,
        Scope::PublicationsWork,
        Scope::Read,
        Scope::AuditRead,
        Scope::ChannelsWrite,
        Scope::TeamWrite,
        Scope::Admin,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Scope::ChatWrite => "chat:write",
            Scope::ClipsWrite => "clips:write",
            Scope::ClipsWork => "clips:work",
            Scope::PublicationsWrite => "publications:write",
            Scope::PublicationsWork => "publications:work",
            Scope::Read => "read",
            Scope::AuditRead => "audit:read",
            Scope::ChannelsWrite => "channels:write",
            Scope::TeamWrite => "team:write",
            Scope::Admin => "admin",
        }
    }

    pub fn parse(raw: &str) -> Result<Self, UnknownScope> {
        Self::ALL.into_iter().find(|s| s.as_str() == raw).ok_or_else(|| UnknownScope(raw.to_owned()))
    }
}

impl fmt::Display for Scope {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A set of scopes; on the wire a space-separated string (RFC 6749 §3.3).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ScopeSet(BTreeSet<Scope>);

impl ScopeSet {
    /// Parses the wire form; every name must be known.
    pub fn parse(raw: &str) -> Result<Self, UnknownScope> {
        raw.split_ascii_whitespace().map(Scope::parse).collect::<Result<_, _>>().map(Self)
    }

    /// Parses a token's scope claim, dropping names this version does not
    /// know (a newer issuer may grant more), so they grant nothing here.
    pub fn parse_lenient(raw: &str) -> Self {
        Self(raw.split_ascii_whitespace().filter_map(|s| Scope::parse(s).ok()).collect())
    }

    pub fn contains(&self, scope: Scope) -> bool {
        self.0.contains(&scope)
    }

    pub fn intersection(&self, other: &ScopeSet) -> ScopeSet {
        Self(self.0.intersection(&other.0).copied().collect())
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn iter(&self) -> impl Iterator<Item = Scope> + '_ {
        self.0.iter().copied()
    }
}

impl FromIterator<Scope> for ScopeSet {
    fn from_iter<I: IntoIterator<Item = Scope>>(iter: I) -> Self {
        Self(iter.into_iter().collect())
    }
}

impl fmt::Display for ScopeSet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let names: Vec<&str> = self.0.iter().map(|s| s.as_str()).collect();
        f.write_str(&names.join(" "))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wire_form_round_trips() {
        let set = ScopeSet::parse("read chat:write  read").unwrap();
        assert_eq!(set.to_string(), "chat:write read");
        assert_eq!(ScopeSet::parse("chat:write superuser"), Err(UnknownScope("superuser".into())));
        assert_eq!(ScopeSet::parse_lenient("chat:write superuser").to_string(), "chat:write");
    }

    #[test]
    fn intersection_grants_only_what_both_allow() {
        let allowed = ScopeSet::parse("chat:write read").unwrap();
        let requested = ScopeSet::parse("read admin").unwrap();
        assert_eq!(allowed.intersection(&requested).to_string(), "read");
    }
}
