//! Metadata written with every event: who, for which tenant, why, when.
//! cqrs-es stores it as a string map; this type is its checked form.

use std::borrow::Cow;
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
    /// An action that starts here, under `actor`: a correlation of its own,
    /// caused by no event and carried by no request (a gateway hearing its
    /// platform, an operator's command, a scheduled job).
    pub fn initiated(org: OrgId, actor: ActorId, occurred_at: Timestamp) -> Self {
        Self { org, actor, correlation_id: Uuid::new_v4(), causation_id: None, request_id: None, occurred_at }
    }

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
        Self::from_lookup(|key| map.get(key).map(String::as_str))
    }

    /// From the stored map's keys, looked up by `get`: the relay and the
    /// replays read the stored JSON text into a borrowed struct
    /// (`StoredMetadata`) rather than a map of owned strings.
    pub fn from_lookup<'a>(get: impl Fn(&'static str) -> Option<&'a str>) -> Result<Self, MetadataError> {
        let required = |key: &'static str| get(key).ok_or(MetadataError::Missing(key));
        let uuid = |key: &'static str, raw: &str| {
            Uuid::parse_str(raw).map_err(|_| MetadataError::Invalid(key, ValueError::Invalid("must be a UUID")))
        };
        Ok(Self {
            org: OrgId::parse(required(ORG)?).map_err(|e| MetadataError::Invalid(ORG, e))?,
            actor: ActorId::parse(required(ACTOR)?).map_err(|e| MetadataError::Invalid(ACTOR, e))?,
            correlation_id: uuid(CORRELATION_ID, required(CORRELATION_ID)?)?,
            causation_id: get(CAUSATION_ID).map(|raw| uuid(CAUSATION_ID, raw)).transpose()?,
            request_id: get(REQUEST_ID).map(str::to_owned),
            occurred_at: Timestamp::parse_rfc3339(required(OCCURRED_AT)?)
                .map_err(|e| MetadataError::Invalid(OCCURRED_AT, e))?,
        })
    }
}

/// The stored metadata's JSON object, borrowed from its text where it can
/// be (a string with escapes is copied); unknown keys are ignored.
#[derive(Debug, serde::Deserialize)]
pub struct StoredMetadata<'a> {
    #[serde(borrow, default)]
    pub org: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    pub actor: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    pub correlation_id: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    pub causation_id: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    pub request_id: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    pub occurred_at: Option<Cow<'a, str>>,
}

impl StoredMetadata<'_> {
    pub fn checked(&self) -> Result<EventMetadata, MetadataError> {
        EventMetadata::from_lookup(|key| {
            match key {
                ORG => &self.org,
                ACTOR => &self.actor,
                CORRELATION_ID => &self.correlation_id,
                CAUSATION_ID => &self.causation_id,
                REQUEST_ID => &self.request_id,
                OCCURRED_AT => &self.occurred_at,
                _ => &None,
            }
            .as_deref()
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

    #[test]
    fn stored_metadata_text_reads_as_the_map_does() {
        let meta = EventMetadata {
            org: OrgId::parse("acme").unwrap(),
            actor: ActorId::parse("member:ada").unwrap(),
            correlation_id: Uuid::new_v4(),
            causation_id: None,
            request_id: Some("req \"1\"".into()),
            occurred_at: Timestamp::parse_rfc3339("2026-11-22T10:00:00Z").unwrap(),
        };
        let text = serde_json::to_string(&meta.to_map()).unwrap();
        let stored: StoredMetadata<'_> = serde_json::from_str(&text).unwrap();
        assert_eq!(stored.checked(), Ok(meta));
        let partial: StoredMetadata<'_> = serde_json::from_str(r#"{"org":"acme","extra":"x"}"#).unwrap();
        assert_eq!(partial.checked(), Err(MetadataError::Missing(ACTOR)));
    }
}
