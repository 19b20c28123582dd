//! YouTube's resumable upload (YouTube Data API v3, `videos.insert` with
//! `uploadType=resumable`):
//!
//! 1. `POST /upload/youtube/v3/videos?uploadType=resumable&part=snippet,status`
//!    with the metadata; the answer's `Location` is the session URI, which
//!    is stored under the attempt's idempotency key before any byte is sent;
//! 2. `PUT <session>` chunk by chunk (multiples of 256 KiB) with
//!    `Content-Range: bytes a-b/total`; `308 Resume Incomplete` says, in
//!    `Range`, what the server has; the last chunk is answered `200`/`201`
//!    with the video;
//! 3. after an interruption, `PUT <session>` with `Content-Range: bytes */total`
//!    asks where to continue. A publisher taking over after a crash finds
//!    the stored session and resumes it, so the video is uploaded once. A
//!    session the server forgot (404/410) starts over.
//!
//! The access token is an OAuth 2.0 bearer token with the `youtube.upload`
//! scope, given in configuration; refreshing it is not done here.

use std::io::SeekFrom;
use std::path::Path;
use std::time::Duration;

use anyhow::Context;
use futures::future::BoxFuture;
use sqlx::PgPool;
use tokio::io::{AsyncReadExt, AsyncSeekExt};
use wavestack_domain::value::TargetPlatform;

use super::{failure_of, unreachable, PublishOutcome, PublishRequest, Publisher};

/// Chunks must be multiples of this.
pub const CHUNK_UNIT: usize = 256 * 1024;

#[derive(Debug)]
pub struct YoutubePublisher {
    client: reqwest::Client,
    /// `https://www.googleapis.com` in production.
    base: reqwest::Url,
    access_token: String,
    privacy: String,
    chunk: usize,
    sessions: PgPool,
}

/// Where an upload stands.
enum Progress {
    /// The next byte the server wants.
    At(u64),
    Done {
        video_id: String,
    },
    /// The server no longer knows the session (404/410): start over.
    Forgotten,
}

impl YoutubePublisher {
    pub fn new(base: reqwest::Url, access_token: String, sessions: PgPool) -> anyhow::Result<Self> {
        let client = reqwest::Client::builder().timeout(Duration::from_secs(120)).build()?;
        Ok(Self { client, base, access_token, privacy: "public".into(), chunk: 8 * CHUNK_UNIT, sessions })
    }

    /// Chunk size in units of 256 KiB.
    pub fn with_chunk_units(mut self, units: usize) -> Self {
        self.chunk = units.max(1) * CHUNK_UNIT;
        self
    }

    async fn stored_session(&self, key: &str) -> anyhow::Result<Option<String>> {
        sqlx::query_scalar("SELECT session_uri FROM upload_sessions WHERE idempotency_key = $1")
            .bind(key)
            .fetch_optional(&self.sessions)
            .await
            .context("reading the upload session")
    }

    async fn forget_session(&self, key: &str) -> anyhow::Result<()> {
        sqlx::query("DELETE FROM upload_sessions WHERE idempotency_key = $1").bind(key).execute(&self.sessions).await?;
        Ok(())
    }

    /// Opens a session and stores it before any byte is sent.
    async fn open_session(&self, request: &PublishRequest, total: u64) -> Result<String, PublishOutcome> {
        let mut url =
            self.base.join("/upload/youtube/v3/videos").map_err(|e| PublishOutcome::permanent(e.to_string()))?;
        url.query_pairs_mut().append_pair("uploadType", "resumable").append_pair("part", "snippet,status");
        let description = if request.hashtags.is_empty() {
            request.caption.clone()
        } else {
            let tags: Vec<String> = request.hashtags.iter().map(|t| format!("#{t}")).collect();
            format!("{}\n\n{}", request.caption, tags.join(" "))
        };
        let metadata = serde_json::json!({
            "snippet": { "title": request.title, "description": description, "tags": request.hashtags },
            "status": { "privacyStatus": self.privacy },
        });
        let response = self
            .client
            .post(url)
            .bearer_auth(&self.access_token)
            .header("x-upload-content-length", total)
            .header("x-upload-content-type", "video/mp4")
            .json(&metadata)
            .send()
            .await
            .map_err(unreachable)?;
        let (status, headers) = (response.status(), response.headers().clone());
        if !status.is_success() {
            return Err(failure_of(status, &headers, &response.text().await.unwrap_or_default()));
        }
        let session = headers
            .get(reqwest::header::LOCATION)
            .and_then(|l| l.to_str().ok())
            .ok_or_else(|| PublishOutcome::transient("YouTube opened no upload session (no Location)", None))?
            .to_owned();
        sqlx::query("INSERT INTO upload_sessions (idempotency_key, session_uri) VALUES ($1, $2)")
            .bind(&request.idempotency_key)
            .bind(&session)
            .execute(&self.sessions)
            .await
            .map_err(|e| PublishOutcome::transient(format!("storing the upload session: {e}"), None))?;
        Ok(session)
    }

    /// Asks the server how much of the upload it has.
    async fn status(&self, session: &str, total: u64) -> Result<Progress, PublishOutcome> {
        let response = self
            .client
            .put(session)
            .bearer_auth(&self.access_token)
            .header(reqwest::header::CONTENT_LENGTH, 0)
            .header(reqwest::header::CONTENT_RANGE, format!("bytes */{total}"))
            .send()
            .await
            .map_err(unreachable)?;
        progress_of(response).await
    }

    async fn upload(&self, request: &PublishRequest, file: &Path) -> Result<String, PublishOutcome> {
        let total = tokio::fs::metadata(file)
            .await
            .map_err(|e| PublishOutcome::permanent(format!("the clip file cannot be read: {e}")))?
            .len();
        let key = &request.idempotency_key;
        let stored = self.stored_session(key).await.map_err(|e| PublishOutcome::transient(format!("{e:#}"), None))?;
        let (session, mut progress) = match stored {
            Some(session) => match self.status(&session, total).await? {
                Progress::Forgotten => {
                    let _ = self.forget_session(key).await;
                    (self.open_session(request, total).await?, Progress::At(0))
                }
                progress => (session, progress),
            },
            None => (self.open_session(request, total).await?, Progress::At(0)),
        };
        let mut file = tokio::fs::File::open(file)
            .await
            .map_err(|e| PublishOutcome::permanent(format!("the clip file cannot be read: {e}")))?;
        let mut interruptions = 0;
        loop {
            let offset = match progress {
                Progress::Done { video_id } => {
                    let _ = self.forget_session(key).await;
                    return Ok(video_id);
                }
                Progress::Forgotten => {
                    let _ = self.forget_session(key).await;
                    return Err(PublishOutcome::transient(
                        "the upload session expired; the next attempt starts over",
                        None,
                    ));
                }
                Progress::At(offset) => offset,
            };
            let end = (offset + self.chunk as u64).min(total);
            let mut chunk = vec![0u8; (end - offset) as usize];
            file.seek(SeekFrom::Start(offset)).await.map_err(|e| PublishOutcome::transient(e.to_string(), None))?;
            file.read_exact(&mut chunk).await.map_err(|e| PublishOutcome::transient(e.to_string(), None))?;
            let sent = self
                .client
                .put(&session)
                .bearer_auth(&self.access_token)
                .header(reqwest::header::CONTENT_RANGE, format!("bytes {offset}-{}/{total}", end - 1))
                .body(chunk)
                .send()
                .await;
            progress = match sent {
                Ok(response) => match progress_of(response).await {
                    Ok(progress) => progress,
                    Err(PublishOutcome::Failed { retryable: true, .. }) => {
                        self.after_interruption(&session, total, &mut interruptions).await?
                    }
                    Err(outcome) => return Err(outcome),
                },
                Err(_) => self.after_interruption(&session, total, &mut interruptions).await?,
            };
        }
    }

    /// The connection broke or the server stumbled: ask where to go on.
    async fn after_interruption(
        &self,
        session: &str,
        total: u64,
        interruptions: &mut u32,
    ) -> Result<Progress, PublishOutcome> {
        *interruptions += 1;
        if *interruptions > 5 {
            return Err(PublishOutcome::transient("the upload kept being interrupted; resuming later", None));
        }
        tokio::time::sleep(Duration::from_millis(200 * u64::from(*interruptions))).await;
        self.status(session, total).await
    }
}

/// 308 with `Range: bytes=0-N` → at N+1 (no `Range`: at 0); 200/201 →
/// done, with the video's id; 404/410 → forgotten; anything else → the
/// failure it is.
async fn progress_of(response: reqwest::Response) -> Result<Progress, PublishOutcome> {
    let (status, headers) = (response.status(), response.headers().clone());
    if status.as_u16() == 308 {
        let next = headers
            .get(reqwest::header::RANGE)
            .and_then(|r| r.to_str().ok())
            .and_then(|r| r.strip_prefix("bytes=0-"))
            .and_then(|last| last.parse::<u64>().ok())
            .map_or(0, |last| last + 1);
        return Ok(Progress::At(next));
    }
    if matches!(status.as_u16(), 404 | 410) {
        return Ok(Progress::Forgotten);
    }
    let text = response.text().await.unwrap_or_default();
    if status.is_success() {
        #[derive(serde::Deserialize)]
        struct Video {
            id: String,
        }
        return serde_json::from_str::<Video>(&text)
            .map(|v| Progress::Done { video_id: v.id })
            .map_err(|e| PublishOutcome::permanent(format!("YouTube answered {status} without a video: {e}")));
    }
    Err(failure_of(status, &headers, &text))
}

impl Publisher for YoutubePublisher {
    fn platform(&self) -> TargetPlatform {
        TargetPlatform::Youtube
    }

    fn publish<'a>(&'a self, request: &'a PublishRequest) -> BoxFuture<'a, PublishOutcome> {
        Box::pin(async move {
            let Some(file) = &request.media_file else {
                return PublishOutcome::permanent("a YouTube upload needs the rendered clip on this machine");
            };
            match self.upload(request, file).await {
                Ok(video_id) => {
                    PublishOutcome::Published { url: Some(format!("https://youtu.be/{video_id}")), post_id: video_id }
                }
                Err(outcome) => outcome,
            }
        })
    }
}
