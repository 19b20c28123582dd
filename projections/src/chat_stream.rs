//! Reading a chat stream id (`org/platform/channel/user`), which events such
//! as `PointsAwarded` and `ChatCommandInvoked` do not repeat in their payload.

use wavestack_schemas::LogEnvelope;

/// org, platform, channel, user
pub(crate) type Viewer = (String, String, String, String);

pub(crate) fn viewer_of(envelope: &LogEnvelope) -> anyhow::Result<Viewer> {
    let mut parts = envelope.aggregate_id.splitn(4, '/');
    match (parts.next(), parts.next(), parts.next(), parts.next()) {
        (Some(org), Some(platform), Some(channel), Some(user)) => {
            Ok((org.to_owned(), platform.to_owned(), channel.to_owned(), user.to_owned()))
        }
        _ => anyhow::bail!("`{}` is not a chat stream id", envelope.aggregate_id),
    }
}
