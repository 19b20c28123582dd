//! `!clip [seconds]` in chat becomes a clip request: the last `seconds`
//! (default 30, 5 to 120) of the channel's current recording, ending at the
//! moment of the message. A worker group (`chat-clipper`) on the chat topic.
//!
//! Recordings are configured per org and channel (`[[recordings]]` in the
//! config file): the source under the media root and the instant the
//! recording started, which maps chat time onto the recording's timeline.
//! The clip id derives from the chat message, so a redelivered command
//! requests the clip once. A recording may name platforms to publish its
//! clips to: the publication is queued with the request and goes out once
//! the clip is rendered.

mod invocation;

pub use invocation::{clip_window, ClipWindow};

use std::collections::HashMap;
use std::sync::Arc;

use anyhow::Context;
use serde::Deserialize;
use wavestack_adapters::command_bus::{CommandBus, CommandError};
use wavestack_adapters::media::RenderQuota;
use wavestack_domain::chat::{ChatCommandInvoked, ChatEvent};
use wavestack_domain::clip::{self, ClipCommand, ClipError, RequestClip};
use wavestack_domain::metadata::EventMetadata;
use wavestack_domain::publication::{self, CreatePublication, PublicationCommand, PublicationError};
use wavestack_domain::value::*;
use wavestack_schemas::{AggregateKind, LogEnvelope, LogEvent};

use wavestack_adapters::consumer::group::{GroupConfig, Handler, HandlerError};

/// What a channel is recording now.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Recording {
    pub org: OrgId,
    pub channel: ChannelId,
    /// A path under the media root (or an allowed URL).
    pub source: ClipSource,
    /// When the recording's first frame was captured.
    pub started_at: Timestamp,
    /// Where a `!clip` of this channel is published once rendered (none:
    /// the clip is only rendered).
    #[serde(default)]
    pub publish_to: Vec<TargetPlatform>,
}

#[derive(Debug, Clone)]
pub struct ChatClipper {
    bus: Arc<CommandBus>,
    recordings: Arc<HashMap<(OrgId, ChannelId), Recording>>,
    quota: Option<RenderQuota>,
}

impl ChatClipper {
    pub fn new(bus: Arc<CommandBus>, recordings: Vec<Recording>) -> Self {
        let recordings = recordings.into_iter().map(|r| ((r.org.clone(), r.channel.clone()), r)).collect();
        Self { bus, recordings: Arc::new(recordings), quota: None }
    }

    pub fn with_quota(mut self, quota: RenderQuota) -> Self {
        self.quota = Some(quota);
        self
    }

    pub fn group_config() -> GroupConfig {
        GroupConfig::new("chat-clipper", vec![AggregateKind::Chat])
    }

    async fn clip(&self, envelope: &LogEnvelope, invoked: &ChatCommandInvoked) -> Result<(), HandlerError> {
        let stream = ChatStreamId::parse(&envelope.aggregate_id)
            .map_err(|error| HandlerError::permanent(anyhow::anyhow!("`{}` {error}", envelope.aggregate_id)))?;
        let (platform, user) = (stream.platform(), stream.user());
        let org = &envelope.metadata.org;
        let channel = stream.channel().clone();
        let Some(recording) = self.recordings.get(&(org.clone(), channel.clone())) else {
            tracing::info!(%org, %channel, "!clip in a channel with no recording configured; ignored");
            return Ok(());
        };
        let Some(window) = clip_window(&invoked.args, recording.started_at, invoked.invoked_at) else {
            tracing::info!(%org, %channel, "!clip before the recording started; ignored");
            return Ok(());
        };
        let seed = format!("{org}/{platform}/{channel}/{}", invoked.message_id);
        let clip_id = ClipId::from_uuid(uuid::Uuid::new_v5(&uuid::Uuid::NAMESPACE_URL, seed.as_bytes()));
        let request = RequestClip {
            clip_id,
            channel: channel.clone(),
            source: recording.source.clone(),
            start: ClipStart::from_millis(window.start_ms).context("the clip's start")?,
            duration: ClipDuration::from_millis(window.duration_ms).context("the clip's length")?,
            container: Container::Mp4,
            reencode: false,
            title: Title::parse(format!("!clip by {user} in {channel}"))
                .or_else(|_| Title::parse(format!("!clip in {channel}")))
                .context("the clip's title")?,
            requested_by: ActorId::parse(format!("{platform}:{user}")).context("the viewer")?,
        };
        // The clipper acts (the viewer is `requested_by`), because of the
        // chat command it read.
        let metadata = EventMetadata {
            actor: ActorId::parse("svc:chat-clipper").context("the clipper's actor id")?,
            causation_id: Some(envelope.event_id),
            request_id: None,
            occurred_at: Timestamp::from_datetime(time::OffsetDateTime::now_utc()),
            ..envelope.metadata.clone()
        };
        let title = request.title.clone();
        let clip_stream = clip::stream_id(org, clip_id);
        // A chat full of `!clip` counts against the org's share of the
        // renderers like requests over HTTP do.
        let mut reservation = None;
        if let Some(quota) = &self.quota {
            let length = std::time::Duration::from_millis(request.duration.millis());
            match quota.reserve(org, clip_id.as_uuid(), length).await? {
                Ok(reserved) => reservation = Some(reserved),
                Err(exceeded) => {
                    tracing::info!(%org, %channel, reason = %exceeded, "!clip over the org's render quota; ignored");
                    return Ok(());
                }
            }
        }
        let requested = self.bus.clip.execute(&clip_stream, ClipCommand::RequestClip(request), &metadata).await;
        if let (Some(quota), Some(reservation)) = (&self.quota, reservation) {
            let created = matches!(&requested, Ok(accepted) if accepted.events_written > 0);
            quota.settle(clip_id.as_uuid(), reservation, created).await?;
        }
        match requested {
            Ok(_) => tracing::info!(%org, %channel, clip = %clip_id, "!clip requested a clip"),
            // Delivered again: requested the first time.
            Err(CommandError::Rejected(ClipError::AlreadyRequested)) => {}
            Err(error) => return Err(error.into()),
        }
        if recording.publish_to.is_empty() {
            return Ok(());
        }
        // Queued now, published once rendered; derived from the clip, so
        // created once however often this runs.
        let publication_id = PublicationId::from_uuid(uuid::Uuid::new_v5(&clip_id.as_uuid(), b"publication"));
        let create = PublicationCommand::CreatePublication(CreatePublication {
            publication_id,
            asset: Asset::Clip(clip_id),
            targets: Targets::parse(recording.publish_to.iter().copied()).context("the recording's targets")?,
            title,
            caption: Caption::parse(format!("Clipped live in {channel}")).context("the caption")?,
            hashtags: Hashtags::parse(Vec::new()).context("the hashtags")?,
            scheduled_at: None,
            idempotency_key: None,
        });
        let stream = publication::stream_id(org, publication_id);
        match self.bus.publication.execute(&stream, create, &metadata).await {
            Ok(_) | Err(CommandError::Rejected(PublicationError::AlreadyExists)) => Ok(()),
            Err(error) => Err(error.into()),
        }
    }
}

impl Handler for ChatClipper {
    async fn handle(&self, envelope: LogEnvelope) -> Result<(), HandlerError> {
        match &envelope.event {
            LogEvent::Chat(ChatEvent::ChatCommandInvoked(invoked)) if invoked.name == "clip" => {
                self.clip(&envelope, invoked).await
            }
            _ => Ok(()),
        }
    }
}
