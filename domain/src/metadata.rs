//! Metadata written with every event: who, for which tenant, why, when.
//! cqrs-es stores it as a string map; this type is its checked form.

use std::collections::HashMap;

use uuid::Uuid;

use crate::value::{ActorId, OrgId, Timestamp, ValueError};

pub const ORG: &str = "org";
pub const ACTOR: &str = "actor";
pub const CORRELATION_ID: &str = "correlation_id";
pub const CAUSATION_ID: &str = "causation_id";
pub const REQUEST_ID: &str = "request_id";
pub const OCCURRED_AT: &str = "occurred_at";

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EventMetadata {
    pub org: OrgId,
    pub actor: ActorId,
    /// Shared by everything one user action set off (a chat message, its
    /// points award, the clip it requested, that clip's publication).
    pub correlation_id: Uuid,
    /// The event or request that directly caused this one, if any.
    pub causation_id: Option<Uuid>,
    pub request_id: Option<String>,
    pub occurred_at: Timestamp,
}

impl EventMetadata {
    pub fn to_map(&self) -> HashMap<String, String> {
        let mut map = HashMap::from([
            (ORG.to_owned(), self.org.to_string()),
            (ACTOR.to_owned(), self.actor.to_string()),
            (CORRELATION_ID.to_owned(), self.correlation_id.to_string()),
            (OCCURRED_AT.to_owned(), self.occurred_at.to_rfc3339()),
        ]);
        if let Some(causation) = self.causation_id {
            map.insert(CAUSATION_ID.to_owned(), causation.to_string());
        }
        if let Some(request) = &self.request_id {
            map.insert(REQUEST_ID.to_owned(), request.clone());
        }
        map
    }

    pub fn from_map(map: &HashMap<String, String>) -> Result<Self, MetadataError> {
        let get = |key: &'static str| map.get(key).ok_or(MetadataError::Missing(key));
        let uuid = |key: &'static str, raw: &str| {
            Uuid::parse_str(raw).map_err(|_| MetadataError::Invalid(key, ValueError::Invalid("must be a UUID")))
        };
        Ok(Self {
            org: OrgId::parse(get(ORG)?.as_str()).map_err(|e| MetadataError::Invalid(ORG, e))?,
            actor: ActorId::parse(get(ACTOR)?.as_str()).map_err(|e| MetadataError::Invalid(ACTOR, e))?,
            correlation_id: uuid(CORRELATION_ID, get(CORRELATION_ID)?)?,
            causation_id: map.get(CAUSATION_ID).map(|raw| uuid(CAUSATION_ID, raw)).transpose()?,
            request_id: map.get(REQUEST_ID).cloned(),
            occurred_at: Timestamp::parse_rfc3339(get(OCCURRED_AT)?)
                .map_err(|e| MetadataError::Invalid(OCCURRED_AT, e))?,
        })
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MetadataError {
    #[error("event metadata lacks `{0}`")]
    Missing(&'static str),
    #[error("event metadata `{0}` {1}")]
    Invalid(&'static str, ValueError),
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn metadata_round_trips_through_the_string_map() {
        let meta = EventMetadata {
            org: OrgId::parse("acme").unwrap(),
            actor: ActorId::parse("svc:chat-bot").unwrap(),
            correlation_id: Uuid::new_v4(),
            causation_id: Some(Uuid::new_v4()),
            request_id: Some("req-1".into()),
            occurred_at: Timestamp::parse_rfc3339("2026-11-22T10:00:00Z").unwrap(),
        };
        assert_eq!(EventMetadata::from_map(&meta.to_map()), Ok(meta));
        assert_eq!(EventMetadata::from_map(&HashMap::new()), Err(MetadataError::Missing(ORG)));
    }
}
