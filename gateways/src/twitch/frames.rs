//! The EventSub WebSocket server's messages (dev.twitch.tv, "EventSub
//! WebSocket Messages"). Twitch adds fields over time, so unknown fields are
//! ignored here; a missing field the gateway relies on is a protocol error.

use serde::Deserialize;
use serde_json::Value;

#[derive(Debug, Deserialize)]
struct Frame {
    metadata: Metadata,
    #[serde(default)]
    payload: Value,
}

#[derive(Debug, Deserialize)]
struct Metadata {
    message_id: String,
    message_type: String,
    #[serde(default)]
    message_timestamp: Option<String>,
    #[serde(default)]
    subscription_type: Option<String>,
}

/// `payload.session` of a welcome or reconnect message.
#[derive(Debug, Clone, Deserialize)]
pub(crate) struct Session {
    pub(crate) id: String,
    /// In a welcome: how long silence may last, and the window to subscribe
    /// in. Null in a reconnect message.
    pub(crate) keepalive_timeout_seconds: Option<u64>,
    pub(crate) reconnect_url: Option<String>,
}

/// `payload.subscription` of a notification or a revocation.
#[derive(Debug, Clone, Deserialize)]
pub(crate) struct SubscriptionInfo {
    #[serde(rename = "type")]
    pub(crate) kind: String,
    pub(crate) status: String,
    /// Whose events: what a conduit's shard routes a delivery by.
    #[serde(default)]
    pub(crate) condition: Value,
}

#[derive(Debug)]
pub(crate) enum ServerMessage {
    Welcome(Session),
    Keepalive,
    Notification(Notification),
    Reconnect(Session),
    Revocation(SubscriptionInfo),
}

/// One event, as delivered (at least once: `message_id` repeats on a
/// redelivery).
#[derive(Debug, Clone)]
pub(crate) struct Notification {
    pub(crate) message_id: String,
    pub(crate) subscription_type: String,
    pub(crate) sent_at: Option<String>,
    pub(crate) event: Value,
    /// The subscription's condition (whose events these are).
    pub(crate) condition: Value,
    /// Its place in the platform inbox (webhook transport), forgotten once
    /// it is heard; none for a WebSocket delivery.
    pub(crate) receipt: Option<i64>,
}

pub(crate) fn parse(text: &str) -> Result<ServerMessage, String> {
    let frame: Frame = serde_json::from_str(text).map_err(|e| format!("not an EventSub message: {e}"))?;
    let session = |payload: &Value| -> Result<Session, String> {
        serde_json::from_value(payload.get("session").cloned().unwrap_or(Value::Null))
            .map_err(|e| format!("{} without a session: {e}", frame.metadata.message_type))
    };
    match frame.metadata.message_type.as_str() {
        "session_welcome" => Ok(ServerMessage::Welcome(session(&frame.payload)?)),
        "session_keepalive" => Ok(ServerMessage::Keepalive),
        "session_reconnect" => Ok(ServerMessage::Reconnect(session(&frame.payload)?)),
        "revocation" => {
            let subscription = frame.payload.get("subscription").cloned().unwrap_or(Value::Null);
            serde_json::from_value(subscription)
                .map(ServerMessage::Revocation)
                .map_err(|e| format!("revocation without a subscription: {e}"))
        }
        "notification" => {
            let subscription_type = frame
                .metadata
                .subscription_type
                .ok_or_else(|| "notification without metadata.subscription_type".to_owned())?;
            let event =
                frame.payload.get("event").cloned().ok_or_else(|| "notification without an event".to_owned())?;
            let condition = frame.payload["subscription"]["condition"].clone();
            Ok(ServerMessage::Notification(Notification {
                message_id: frame.metadata.message_id,
                subscription_type,
                sent_at: frame.metadata.message_timestamp,
                event,
                condition,
                receipt: None,
            }))
        }
        other => Err(format!("unknown message_type `{other}`")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The welcome message as the EventSub WebSocket reference shows it.
    const WELCOME: &str = r#"{
      "metadata": {
        "message_id": "96a3f3b5-5dec-4eed-908e-e11ee657416c",
        "message_type": "session_welcome",
        "message_timestamp": "2023-07-19T14:56:51.634234626Z"
      },
      "payload": {
        "session": {
          "id": "AQoQILE98gtqShGmLD7AM6yJThAB",
          "status": "connected",
          "connected_at": "2023-07-19T14:56:51.616329898Z",
          "keepalive_timeout_seconds": 10,
          "reconnect_url": null,
          "recovery_url": null
        }
      }
    }"#;

    #[test]
    fn reads_the_documented_welcome_keepalive_reconnect_and_notification() {
        let ServerMessage::Welcome(session) = parse(WELCOME).unwrap() else { panic!("a welcome") };
        assert_eq!(session.id, "AQoQILE98gtqShGmLD7AM6yJThAB");
        assert_eq!(session.keepalive_timeout_seconds, Some(10));
        let keepalive = r#"{"metadata":{"message_id":"84c1e79a-2a4b-4c13-ba0b-4312293e9308","message_type":"session_keepalive","message_timestamp":"2023-07-19T10:11:12.634234626Z"},"payload":{}}"#;
        assert!(matches!(parse(keepalive).unwrap(), ServerMessage::Keepalive));
        let reconnect = r#"{"metadata":{"message_id":"84c1e79a-2a4b-4c13-ba0b-4312293e9308","message_type":"session_reconnect","message_timestamp":"2022-11-18T09:10:11.634234626Z"},"payload":{"session":{"id":"AQoQexAWVYKSTIu4ec_2VAxyuhAB","status":"reconnecting","keepalive_timeout_seconds":null,"reconnect_url":"wss://eventsub.wss.twitch.tv?...","connected_at":"2022-11-16T10:11:12.634234626Z"}}}"#;
        let ServerMessage::Reconnect(session) = parse(reconnect).unwrap() else { panic!("a reconnect") };
        assert_eq!(session.reconnect_url.as_deref(), Some("wss://eventsub.wss.twitch.tv?..."));
        let chat = include_str!("../../fixtures/twitch/channel.chat.message.notification.json");
        let ServerMessage::Notification(n) = parse(chat).unwrap() else { panic!("a notification") };
        assert_eq!(n.subscription_type, "channel.chat.message");
        assert_eq!(n.event["chatter_user_login"], "viewer32");
    }

    #[test]
    fn refuses_what_is_not_eventsub() {
        assert!(parse("{}").is_err());
        assert!(parse(r#"{"metadata":{"message_id":"x","message_type":"gossip"},"payload":{}}"#).is_err());
        assert!(
            parse(r#"{"metadata":{"message_id":"x","message_type":"notification"},"payload":{"event":{}}}"#).is_err()
        );
    }
}
