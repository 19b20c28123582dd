//! `POST /v1/channels/{platform}/{channel}/broadcast`: what happens on a
//! channel's broadcast, forwarded by a bot as chat is (`chat:write`), for
//! platforms WaveStack has no gateway for. The same use case the Twitch
//! gateway calls: recorded once per `event_id`, paid per the channel's
//! support policy, shown on the alerts overlay.

use axum::extract::{Path, State};
use axum::response::Response;
use wavestack_adapters::http::{ApiError, Refused, ValidJson};
use wavestack_api_types::broadcast::BroadcastEventBody;
use wavestack_domain::broadcast::{Happening, Supporter, What};
use wavestack_domain::value::{DisplayName, MessageId, PlatformEventId, PlatformUserId, SubTier, Timestamp};

use super::channels::{channel_at, ChannelPath};
use crate::command_error::command_error;
use crate::edge::{accepted_response, field, AcceptedResponse, Caller};
use crate::state::AppState;

#[utoipa::path(
    post,
    path = "/v1/channels/{platform}/{channel}/broadcast",
    tag = "chat",
    params(ChannelPath),
    request_body = BroadcastEventBody,
    responses(AcceptedResponse, Refused),
    security(("bearer" = [])),
)]
pub(crate) async fn post_broadcast_event(
    State(state): State<AppState>,
    caller: Caller,
    Path((platform, channel)): Path<(String, String)>,
    ValidJson(body): ValidJson<BroadcastEventBody>,
) -> Result<Response, ApiError> {
    let (platform, channel) = channel_at(&platform, channel)?;
    let happening = happening(body)?;
    let written = wavestack_app::broadcast::record(&state.app, &caller.metadata, platform, &channel, happening)
        .await
        .map_err(command_error)?;
    Ok(accepted_response(written.accepted))
}

fn happening(body: BroadcastEventBody) -> Result<Happening, ApiError> {
    let event_id = field("event_id", PlatformEventId::parse(body.event_id))?;
    let at = field("at", Timestamp::parse_rfc3339(&body.at))?;
    let required = |name: &'static str, kind: &str| ApiError::invalid_field(name, format!("is required for a {kind}"));
    let giver = match (body.user_id, body.user_name) {
        (Some(id), Some(name)) => Some(Supporter {
            user_id: field("user_id", PlatformUserId::parse(id))?,
            name: field("user_name", DisplayName::parse(name))?,
        }),
        (None, None) => None,
        (Some(_), None) => return Err(ApiError::invalid_field("user_name", "goes with user_id")),
        (None, Some(_)) => return Err(ApiError::invalid_field("user_id", "goes with user_name")),
    };
    let kind = body.kind.as_str();
    let by = || giver.clone().ok_or_else(|| required("user_id", kind));
    let tier = || -> Result<SubTier, ApiError> {
        let raw = body.tier.as_deref().ok_or_else(|| required("tier", kind))?;
        field("tier", SubTier::parse(raw))
    };
    let amount = || body.amount.ok_or_else(|| required("amount", kind));
    let months = || u32::try_from(amount()?).map_err(|_| ApiError::invalid_field("amount", "is too large"));
    let words = |text: Option<String>| text.unwrap_or_default();
    let what = match kind {
        "follow" => What::Follow { by: by()? },
        "sub" => What::Sub { by: by()?, tier: tier()?, gifted: body.gifted.unwrap_or(false) },
        "resub" => What::Resub { by: by()?, tier: tier()?, months: months()?, message: words(body.message) },
        "gift" => What::Gift { by: giver.clone(), tier: tier()?, count: months()? },
        "cheer" => What::Cheer { by: giver.clone(), bits: amount()?, message: words(body.message) },
        "raid" => What::Raid { by: by()?, viewers: amount()? },
        "redemption" => What::Redemption {
            by: by()?,
            reward_title: body.reward.ok_or_else(|| required("reward", kind))?,
            cost: body.amount.unwrap_or(0),
            input: words(body.message),
        },
        "online" => What::Online {
            started_at: match body.started_at {
                Some(raw) => field("started_at", Timestamp::parse_rfc3339(&raw))?,
                None => at,
            },
        },
        "offline" => What::Offline,
        "message_deleted" => What::MessageDeleted {
            message_id: field("message_id", MessageId::parse(body.message_id.ok_or_else(|| required("message_id", kind))?))?,
            user_id: by()?.user_id,
        },
        "chat_cleared" => What::ChatCleared,
        _ => {
            return Err(ApiError::invalid_field(
                "type",
                "must be follow, sub, resub, gift, cheer, raid, redemption, online, offline, message_deleted or chat_cleared",
            ))
        }
    };
    Ok(Happening { event_id, what, at })
}
