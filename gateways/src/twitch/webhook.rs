//! EventSub's webhook transport, the checks every delivery must pass before
//! anything of it is read (dev.twitch.tv, "Handling Webhook Events",
//! "Verifying the event message"):
//!
//! - the signature: `sha256=` and the hex HMAC-SHA256, under the
//!   subscription's secret, of the message id, the timestamp and the raw
//!   body, compared in constant time;
//! - freshness: a message older than ten minutes is refused (a replay);
//! - at least once: a message id seen lately is a redelivery, acknowledged
//!   and not handled again.
//!
//! The callback route ([`super::callback`]) builds on this.

use std::sync::Mutex;

use hmac::{Hmac, Mac};
use sha2::Sha256;
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

use super::seen::Seen;
use crate::Secret;

pub const MESSAGE_ID: &str = "twitch-eventsub-message-id";
pub const MESSAGE_TIMESTAMP: &str = "twitch-eventsub-message-timestamp";
pub const MESSAGE_SIGNATURE: &str = "twitch-eventsub-message-signature";
pub const MESSAGE_TYPE: &str = "twitch-eventsub-message-type";

/// How old a delivery may be.
const FRESH_FOR: time::Duration = time::Duration::minutes(10);
/// How far ahead of this clock a timestamp may be (clocks differ a little).
const CLOCK_SKEW: time::Duration = time::Duration::minutes(1);

/// What a verified delivery is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Delivery {
    /// An event: handle the body's `event`.
    Notification { message_id: String },
    /// Prove the callback is ours: answer 200 with the body's `challenge`.
    Verification { message_id: String },
    /// Twitch revoked the subscription: the body says why.
    Revocation { message_id: String },
    /// Seen before: answer 2xx and do nothing.
    Redelivered { message_id: String },
}

/// Why a delivery is refused: answered 403 (a forged or stale one) or 400.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Refused {
    #[error("the `{0}` header is missing")]
    MissingHeader(&'static str),
    #[error("the signature does not match")]
    Forged,
    #[error("the message is older than ten minutes, or from the future")]
    Stale,
    #[error("the timestamp is not RFC 3339")]
    BadTimestamp,
    #[error("unknown message type `{0}`")]
    UnknownType(String),
}

/// Checks the deliveries of one secret's subscriptions.
#[derive(Debug)]
pub struct WebhookVerifier {
    secret: Secret,
    seen: Mutex<Seen>,
}

impl WebhookVerifier {
    /// Twitch takes secrets of 10 to 100 ASCII characters.
    pub fn new(secret: Secret) -> Result<Self, String> {
        let length = secret.expose().len();
        if !(10..=100).contains(&length) || !secret.expose().is_ascii() {
            return Err("a webhook secret is 10 to 100 ASCII characters".to_owned());
        }
        Ok(Self { secret, seen: Mutex::new(Seen::default()) })
    }

    /// The delivery's kind, once its signature and freshness hold.
    /// `header`: the request's header of that (lower-case) name.
    pub fn verify<'a>(
        &self,
        header: impl Fn(&str) -> Option<&'a str>,
        body: &[u8],
        now: OffsetDateTime,
    ) -> Result<Delivery, Refused> {
        let get = |name: &'static str| header(name).ok_or(Refused::MissingHeader(name));
        let (id, timestamp, signature) = (get(MESSAGE_ID)?, get(MESSAGE_TIMESTAMP)?, get(MESSAGE_SIGNATURE)?);
        let kind = get(MESSAGE_TYPE)?;
        let hex = signature.strip_prefix("sha256=").ok_or(Refused::Forged)?;
        let presented = hex::decode(hex).map_err(|_| Refused::Forged)?;
        let mut mac = Hmac::<Sha256>::new_from_slice(self.secret.expose().as_bytes()).expect("HMAC takes any key");
        mac.update(id.as_bytes());
        mac.update(timestamp.as_bytes());
        mac.update(body);
        mac.verify_slice(&presented).map_err(|_| Refused::Forged)?;
        let sent = OffsetDateTime::parse(timestamp, &Rfc3339).map_err(|_| Refused::BadTimestamp)?;
        if now - sent > FRESH_FOR || sent - now > CLOCK_SKEW {
            return Err(Refused::Stale);
        }
        let message_id = id.to_owned();
        let kind = match kind {
            "notification" => Delivery::Notification { message_id },
            "webhook_callback_verification" => Delivery::Verification { message_id },
            "revocation" => Delivery::Revocation { message_id },
            other => return Err(Refused::UnknownType(other.to_owned())),
        };
        if !self.seen.lock().unwrap_or_else(|p| p.into_inner()).first(id) {
            return Ok(Delivery::Redelivered { message_id: id.to_owned() });
        }
        Ok(kind)
    }

    /// The delivery `id` could not be handled: Twitch's retry is new again.
    pub fn forget(&self, id: &str) {
        self.seen.lock().unwrap_or_else(|p| p.into_inner()).forget(id);
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::*;

    const SECRET: &str = "this-is-a-webhook-secret";
    const ID: &str = "e76c6bd4-55c9-4987-8304-da1588d8988b";
    const TIMESTAMP: &str = "2019-11-16T10:11:12.634234626Z";
    /// A `channel.follow` notification shaped as the docs' example, as one line.
    const BODY: &str = r#"{"subscription":{"id":"f1c2a387-161a-49f9-a165-0f21d7a4e1c4","type":"channel.follow","version":"2","status":"enabled","cost":0,"condition":{"broadcaster_user_id":"1337","moderator_user_id":"1337"},"transport":{"method":"webhook","callback":"https://example.com/webhooks/callback"},"created_at":"2019-11-16T10:11:12.634234626Z"},"event":{"user_id":"1234","user_login":"cool_user","user_name":"Cool_User","broadcaster_user_id":"1337","broadcaster_user_login":"cooler_user","broadcaster_user_name":"Cooler_User","followed_at":"2020-07-15T18:16:11.17106713Z"}}"#;
    /// Computed independently of this code, with OpenSSL:
    /// `printf '%s%s%s' "$ID" "$TIMESTAMP" "$BODY" | openssl dgst -sha256 -hmac "$SECRET"`.
    const SIGNATURE: &str = "sha256=3b89cb250fefd9749ec0896eab60d8d96b1a984330329b6187e25b4187abc1bb";

    fn headers(kind: &str, signature: &str) -> HashMap<&'static str, String> {
        HashMap::from([
            (MESSAGE_ID, ID.to_owned()),
            (MESSAGE_TIMESTAMP, TIMESTAMP.to_owned()),
            (MESSAGE_SIGNATURE, signature.to_owned()),
            (MESSAGE_TYPE, kind.to_owned()),
        ])
    }

    fn at(offset: time::Duration) -> OffsetDateTime {
        OffsetDateTime::parse(TIMESTAMP, &Rfc3339).unwrap() + offset
    }

    fn verify(
        verifier: &WebhookVerifier,
        h: &HashMap<&'static str, String>,
        body: &str,
        now: OffsetDateTime,
    ) -> Result<Delivery, Refused> {
        verifier.verify(|name| h.get(name).map(String::as_str), body.as_bytes(), now)
    }

    #[test]
    fn the_signature_holds_once_and_a_redelivery_is_recognised() {
        let verifier = WebhookVerifier::new(Secret::new(SECRET)).unwrap();
        let h = headers("notification", SIGNATURE);
        let fresh = at(time::Duration::seconds(3));
        assert_eq!(verify(&verifier, &h, BODY, fresh), Ok(Delivery::Notification { message_id: ID.into() }));
        assert_eq!(verify(&verifier, &h, BODY, fresh), Ok(Delivery::Redelivered { message_id: ID.into() }));
    }

    #[test]
    fn forged_stale_and_incomplete_deliveries_are_refused() {
        let verifier = WebhookVerifier::new(Secret::new(SECRET)).unwrap();
        let now = at(time::Duration::seconds(3));
        let h = headers("notification", SIGNATURE);
        let tampered = BODY.replace("cool_user", "evil_user");
        assert_eq!(verify(&verifier, &h, &tampered, now), Err(Refused::Forged), "the body changed");
        let other = WebhookVerifier::new(Secret::new("another-secret-entirely")).unwrap();
        assert_eq!(verify(&other, &h, BODY, now), Err(Refused::Forged), "another secret");
        let bad = headers("notification", "sha256=00");
        assert_eq!(verify(&verifier, &bad, BODY, now), Err(Refused::Forged));
        let unprefixed = headers("notification", SIGNATURE.trim_start_matches("sha256="));
        assert_eq!(verify(&verifier, &unprefixed, BODY, now), Err(Refused::Forged));
        let late = at(time::Duration::minutes(10) + time::Duration::seconds(1));
        assert_eq!(verify(&verifier, &h, BODY, late), Err(Refused::Stale), "a replay past ten minutes");
        let early = at(-time::Duration::minutes(2));
        assert_eq!(verify(&verifier, &h, BODY, early), Err(Refused::Stale), "from the future");
        let mut missing = headers("notification", SIGNATURE);
        missing.remove(MESSAGE_TIMESTAMP);
        assert_eq!(verify(&verifier, &missing, BODY, now), Err(Refused::MissingHeader(MESSAGE_TIMESTAMP)));
        assert_eq!(
            verify(&verifier, &headers("gossip", SIGNATURE), BODY, now),
            Err(Refused::UnknownType("gossip".into()))
        );
        // None of those refusals counted as seen: the real one still is new.
        assert_eq!(verify(&verifier, &h, BODY, now), Ok(Delivery::Notification { message_id: ID.into() }));
    }

    #[test]
    fn a_secret_is_ten_to_a_hundred_ascii_characters() {
        assert!(WebhookVerifier::new(Secret::new("short")).is_err());
        assert!(WebhookVerifier::new(Secret::new("x".repeat(101))).is_err());
        assert!(WebhookVerifier::new(Secret::new("ünïcödé-secret")).is_err());
        assert!(WebhookVerifier::new(Secret::new("x".repeat(100))).is_ok());
    }
}
