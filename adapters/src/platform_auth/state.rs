//! The OAuth `state` of a dashboard's "connect" (RFC 6749 §10.12): it says
//! which member of which org started the flow, until when it holds, and it
//! is bound to the browser that started it through a short-lived cookie
//! (the session cookie is `SameSite=Strict`, so it does not come back on
//! the platform's redirect). Signed with a key of the deployment's; no
//! table keeps it.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use hmac::{Hmac, Mac};
use rand::RngCore;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use time::OffsetDateTime;

/// How long a streamer has to authorize on the platform.
pub const STATE_LIFETIME: time::Duration = time::Duration::minutes(10);

/// Who started a flow through the platform's authorize page, and what for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Started {
    pub org: String,
    /// The member who started it; empty for a sign-in (no one is signed in yet).
    pub username: String,
    pub platform: String,
    #[serde(default)]
    pub purpose: Purpose,
}

/// What the flow is for: the platform sends every one back to one
/// registered redirect URL, and the state says which it was.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Purpose {
    /// An owner connects a channel for the bot.
    #[default]
    Connect,
    /// A member links the account they will sign in with.
    LinkSignIn,
    /// Someone signs in to the dashboard with a linked account.
    SignIn,
}

#[derive(Serialize, Deserialize)]
struct Claims {
    #[serde(flatten)]
    started: Started,
    /// Unix seconds.
    expires: i64,
    /// SHA-256 of the browser's cookie value, hex.
    browser: String,
}

/// Signs and checks states with one key.
#[derive(Clone)]
pub struct StateSigner([u8; 32]);

impl std::fmt::Debug for StateSigner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("StateSigner(..)")
    }
}

/// Why a state was refused (said to the browser as one code).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StateRefused {
    #[error("the state is not one this deployment signed")]
    Forged,
    #[error("the connect flow took longer than ten minutes; start it again")]
    Expired,
    #[error("the connect flow was started in another browser")]
    OtherBrowser,
}

impl StateSigner {
    /// `secret`: the deployment's `platform-tokens` secret.
    pub fn new(secret: &[u8; 32]) -> Self {
        Self(crate::sealing::derive(secret, "wavestack oauth state v1"))
    }

    /// A state for `started`, and the cookie value that binds it to the browser.
    pub fn issue(&self, started: Started, now: OffsetDateTime) -> (String, String) {
        let mut browser = [0u8; 32];
        rand::rngs::OsRng.fill_bytes(&mut browser);
        let cookie = URL_SAFE_NO_PAD.encode(browser);
        let claims = Claims {
            started,
            expires: (now + STATE_LIFETIME).unix_timestamp(),
            browser: hex::encode(Sha256::digest(cookie.as_bytes())),
        };
        let body = URL_SAFE_NO_PAD.encode(serde_json::to_vec(&claims).expect("claims serialize"));
        let mac = URL_SAFE_NO_PAD.encode(self.mac(&body));
        (format!("{body}.{mac}"), cookie)
    }

    /// Who started the flow, if `state` is ours, fresh, and `cookie` is the
    /// browser's that started it.
    pub fn check(&self, state: &str, cookie: Option<&str>, now: OffsetDateTime) -> Result<Started, StateRefused> {
        let (body, mac) = state.split_once('.').ok_or(StateRefused::Forged)?;
        let mac = URL_SAFE_NO_PAD.decode(mac).map_err(|_| StateRefused::Forged)?;
        let mut check = Hmac::<Sha256>::new_from_slice(&self.0).expect("HMAC takes any key length");
        check.update(body.as_bytes());
        check.verify_slice(&mac).map_err(|_| StateRefused::Forged)?;
        let bytes = URL_SAFE_NO_PAD.decode(body).map_err(|_| StateRefused::Forged)?;
        let claims: Claims = serde_json::from_slice(&bytes).map_err(|_| StateRefused::Forged)?;
        if now.unix_timestamp() > claims.expires {
            return Err(StateRefused::Expired);
        }
        let browser = cookie.map(|c| hex::encode(Sha256::digest(c.as_bytes())));
        if browser.as_deref() != Some(claims.browser.as_str()) {
            return Err(StateRefused::OtherBrowser);
        }
        Ok(claims.started)
    }

    fn mac(&self, body: &str) -> Vec<u8> {
        let mut mac = Hmac::<Sha256>::new_from_slice(&self.0).expect("HMAC takes any key length");
        mac.update(body.as_bytes());
        mac.finalize().into_bytes().to_vec()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn started() -> Started {
        Started { org: "acme".into(), username: "vic".into(), platform: "twitch".into(), purpose: Purpose::Connect }
    }

    #[test]
    fn a_state_holds_for_its_browser_for_ten_minutes_and_is_unforgeable() {
        let signer = StateSigner::new(&[1; 32]);
        let now = OffsetDateTime::now_utc();
        let (state, cookie) = signer.issue(started(), now);
        assert_eq!(signer.check(&state, Some(&cookie), now), Ok(started()));
        assert_eq!(signer.check(&state, Some("another"), now), Err(StateRefused::OtherBrowser));
        assert_eq!(signer.check(&state, None, now), Err(StateRefused::OtherBrowser));
        assert_eq!(
            signer.check(&state, Some(&cookie), now + STATE_LIFETIME + time::Duration::seconds(1)),
            Err(StateRefused::Expired)
        );
        assert_eq!(StateSigner::new(&[2; 32]).check(&state, Some(&cookie), now), Err(StateRefused::Forged));
        let (body, mac) = state.split_once('.').unwrap();
        let mut claims: serde_json::Value = serde_json::from_slice(&URL_SAFE_NO_PAD.decode(body).unwrap()).unwrap();
        claims["org"] = "rival".into();
        let forged = format!("{}.{mac}", URL_SAFE_NO_PAD.encode(claims.to_string()));
        assert_eq!(signer.check(&forged, Some(&cookie), now), Err(StateRefused::Forged));
        assert_eq!(signer.check("junk", Some(&cookie), now), Err(StateRefused::Forged));
    }
}
