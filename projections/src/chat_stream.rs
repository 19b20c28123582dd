//! Reading a chat stream id (`ChatStreamId`), which events such as
//! `PointsAwarded` and `ChatCommandInvoked` do not repeat in their payload.

use wavestack_domain::value::ChatStreamId;
use wavestack_schemas::LogEnvelope;

/// org, platform, channel, user: the columns a read model keys a viewer by.
pub(crate) type Viewer = (String, String, String, String);

pub(crate) fn viewer_of(envelope: &LogEnvelope) -> anyhow::Result<Viewer> {
    let stream = ChatStreamId::parse(&envelope.aggregate_id)
        .map_err(|error| anyhow::anyhow!("`{}` {error}", envelope.aggregate_id))?;
    Ok((
        stream.org().to_string(),
        stream.platform().to_string(),
        stream.channel().to_string(),
        stream.user().to_string(),
    ))
}
