//! A generic signed webhook: the publication as JSON, POSTed to the
//! receiver's URL with an HMAC-SHA256 signature over the timestamp and the
//! body (`X-WaveStack-Signature: sha256=<hex>` of `"<timestamp>.<body>"`,
//! the timestamp in `X-WaveStack-Timestamp`, so a captured request cannot
//! be replayed later) and an `Idempotency-Key` that is the same for every
//! attempt at this target. A 2xx answer may name the post (`{"id", "url"}`).

use std::time::Duration;

use futures::future::BoxFuture;
use hmac::{Hmac, Mac};
use serde::Deserialize;
use sha2::Sha256;
use wavestack_domain::value::TargetPlatform;

use super::{failure_of, unreachable, PublishOutcome, PublishRequest, Publisher};

pub const SIGNATURE_HEADER: &str = "x-wavestack-signature";
pub const TIMESTAMP_HEADER: &str = "x-wavestack-timestamp";

#[derive(Debug)]
pub struct WebhookPublisher {
    client: reqwest::Client,
    url: reqwest::Url,
    secret: Vec<u8>,
}

impl WebhookPublisher {
    pub fn new(url: reqwest::Url, secret: impl Into<Vec<u8>>, timeout: Duration) -> anyhow::Result<Self> {
        let client = reqwest::Client::builder().timeout(timeout).build()?;
        Ok(Self { client, url, secret: secret.into() })
    }
}

/// `sha256=<hex HMAC-SHA256(secret, message)>`.
pub fn sign(secret: &[u8], message: &[u8]) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret).expect("HMAC takes keys of any length");
    mac.update(message);
    format!("sha256={}", hex::encode(mac.finalize().into_bytes()))
}

#[derive(Deserialize)]
struct Answer {
    id: Option<serde_json::Value>,
    url: Option<String>,
}

impl Publisher for WebhookPublisher {
    fn platform(&self) -> TargetPlatform {
        TargetPlatform::Webhook
    }

    fn publish<'a>(&'a self, request: &'a PublishRequest) -> BoxFuture<'a, PublishOutcome> {
        Box::pin(async move {
            let body = serde_json::json!({
                "publication_id": request.publication_id,
                "target": request.target.as_str(),
                "attempt": request.attempt,
                "title": request.title,
                "caption": request.caption,
                "hashtags": request.hashtags,
                "media_url": request.media_url,
            })
            .to_string();
            let timestamp = time::OffsetDateTime::now_utc().unix_timestamp().to_string();
            let signature = sign(&self.secret, format!("{timestamp}.{body}").as_bytes());
            let sent = self
                .client
                .post(self.url.clone())
                .header(reqwest::header::CONTENT_TYPE, "application/json")
                .header(TIMESTAMP_HEADER, &timestamp)
                .header(SIGNATURE_HEADER, signature)
                .header("idempotency-key", &request.idempotency_key)
                .body(body)
                .send()
                .await;
            let response = match sent {
                Ok(response) => response,
                Err(error) => return unreachable(error),
            };
            let (status, headers) = (response.status(), response.headers().clone());
            let text = response.text().await.unwrap_or_default();
            if !status.is_success() {
                return failure_of(status, &headers, &text);
            }
            let answer: Option<Answer> = serde_json::from_str(&text).ok();
            let post_id = answer
                .as_ref()
                .and_then(|a| a.id.as_ref())
                .map(|id| id.as_str().map_or_else(|| id.to_string(), str::to_owned))
                .unwrap_or_else(|| request.idempotency_key.clone());
            PublishOutcome::Published { post_id, url: answer.and_then(|a| a.url) }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// RFC 4231, test cases 1 and 2.
    #[test]
    fn signatures_match_the_published_hmac_sha256_vectors() {
        assert_eq!(
            sign(&[0x0b; 20], b"Hi There"),
            "sha256=b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7"
        );
        assert_eq!(
            sign(b"Jefe", b"what do ya want for nothing?"),
            "sha256=5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
    }
}
