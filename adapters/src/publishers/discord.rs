//! A Discord channel webhook (`https://discord.com/api/webhooks/{id}/{token}`):
//! the clip uploaded as an attachment with the title, caption and hashtags
//! as the message (`multipart/form-data`: `payload_json` and `files[0]`,
//! `?wait=true` so Discord answers with the message it created). A clip
//! larger than the attachment limit, or hosted elsewhere, is posted as a
//! link. Discord's 429 carries `retry_after` (seconds) in its body.

use std::time::Duration;

use futures::future::BoxFuture;
use serde::Deserialize;
use wavestack_domain::value::TargetPlatform;

use super::{failure_of, unreachable, PublishOutcome, PublishRequest, Publisher};

/// Attachments above this go as a link (Discord's limit without boosts).
pub const ATTACHMENT_LIMIT: u64 = 25 * 1024 * 1024;

#[derive(Debug)]
pub struct DiscordPublisher {
    client: reqwest::Client,
    webhook: reqwest::Url,
}

#[derive(Deserialize)]
struct Message {
    id: String,
    channel_id: Option<String>,
    guild_id: Option<String>,
}

#[derive(Deserialize)]
struct RateLimited {
    retry_after: f64,
}

impl DiscordPublisher {
    pub fn new(webhook: reqwest::Url, timeout: Duration) -> anyhow::Result<Self> {
        Ok(Self { client: reqwest::Client::builder().timeout(timeout).build()?, webhook })
    }

    async fn attachment(&self, request: &PublishRequest) -> Option<reqwest::multipart::Part> {
        let file = request.media_file.as_ref()?;
        let size = tokio::fs::metadata(file).await.ok()?.len();
        if size > ATTACHMENT_LIMIT {
            return None;
        }
        let bytes = tokio::fs::read(file).await.ok()?;
        let name = file.file_name()?.to_string_lossy().into_owned();
        reqwest::multipart::Part::bytes(bytes).file_name(name).mime_str("video/mp4").ok()
    }
}

/// The message: title, caption, hashtags, and the link when not attached.
fn content(request: &PublishRequest, attached: bool) -> String {
    let mut lines = vec![format!("**{}**", request.title)];
    if !request.caption.is_empty() {
        lines.push(request.caption.clone());
    }
    if !request.hashtags.is_empty() {
        lines.push(request.hashtags.iter().map(|t| format!("#{t}")).collect::<Vec<_>>().join(" "));
    }
    if !attached {
        lines.push(request.media_url.clone());
    }
    // Discord caps a message at 2,000 characters.
    lines.join("\n").chars().take(2000).collect()
}

impl Publisher for DiscordPublisher {
    fn platform(&self) -> TargetPlatform {
        TargetPlatform::Discord
    }

    fn publish<'a>(&'a self, request: &'a PublishRequest) -> BoxFuture<'a, PublishOutcome> {
        Box::pin(async move {
            let attachment = self.attachment(request).await;
            let payload = serde_json::json!({
                "content": content(request, attachment.is_some()),
                // No @everyone or role pings from a clip title.
                "allowed_mentions": { "parse": [] },
            });
            let mut form = reqwest::multipart::Form::new().text("payload_json", payload.to_string());
            if let Some(part) = attachment {
                form = form.part("files[0]", part);
            }
            let mut url = self.webhook.clone();
            url.query_pairs_mut().append_pair("wait", "true");
            let response = match self.client.post(url).multipart(form).send().await {
                Ok(response) => response,
                Err(error) => return unreachable(error),
            };
            let (status, headers) = (response.status(), response.headers().clone());
            let text = response.text().await.unwrap_or_default();
            if status.as_u16() == 429 {
                let after =
                    serde_json::from_str::<RateLimited>(&text).ok().map(|r| Duration::from_secs_f64(r.retry_after));
                return PublishOutcome::transient(format!("429 from Discord: {}", text.trim()), after);
            }
            if !status.is_success() {
                return failure_of(status, &headers, &text);
            }
            match serde_json::from_str::<Message>(&text) {
                Ok(message) => {
                    let url = match (&message.guild_id, &message.channel_id) {
                        (Some(guild), Some(channel)) => {
                            Some(format!("https://discord.com/channels/{guild}/{channel}/{}", message.id))
                        }
                        _ => None,
                    };
                    PublishOutcome::Published { post_id: message.id, url }
                }
                Err(error) => {
                    PublishOutcome::permanent(format!("Discord answered {status} without a message: {error}"))
                }
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_message_carries_title_caption_tags_and_the_link_when_not_attached() {
        let request = PublishRequest {
            publication_id: uuid::Uuid::nil(),
            target: TargetPlatform::Discord,
            attempt: 1,
            title: "The play".into(),
            caption: "what a night".into(),
            hashtags: vec!["gaming".into(), "fps".into()],
            media_url: "https://cdn.example.com/a.mp4".into(),
            media_file: None,
            idempotency_key: "k".into(),
        };
        assert_eq!(content(&request, true), "**The play**\nwhat a night\n#gaming #fps");
        assert_eq!(content(&request, false), "**The play**\nwhat a night\n#gaming #fps\nhttps://cdn.example.com/a.mp4");
    }
}
