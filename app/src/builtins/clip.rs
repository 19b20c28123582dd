//! `!clip`: records no use here. The chat clipper (`workers/`) reads the
//! message from the log and requests the clip; its answer is the clip.

use wavestack_domain::chat::ChatEvent;

use super::{Answered, Asked};

pub(super) async fn answer(_asked: &Asked<'_>, _events: &[ChatEvent]) -> anyhow::Result<Answered> {
    Ok(Answered::default())
}
