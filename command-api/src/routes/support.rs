//! `/v1/channels/{platform}/{channel}/support-policy` and `…/alerts/{kind}`:
//! what follows, subs, bits and raids pay in points, and how the alerts
//! overlay shows each kind. Each change is an event whose actor is the
//! token's subject, so a streamer sees who changed what a raid pays.

use axum::extract::{Path, State};
use axum::response::Response;
use wavestack_adapters::http::{ApiError, Refused, ValidJson};
use wavestack_api_types::channels::{AlertBody, SupportPolicyBody};
use wavestack_domain::channel::{AlertSettings, ChannelCommand};
use wavestack_domain::value::{SupportKind, SupportPolicy};

use super::channels::{change, stream, ChannelPath};
use crate::edge::{field, AcceptedResponse, Caller};
use crate::state::AppState;

#[utoipa::path(
    put,
    path = "/v1/channels/{platform}/{channel}/support-policy",
    tag = "channels",
    params(ChannelPath),
    request_body = SupportPolicyBody,
    responses(AcceptedResponse, Refused),
    security(("bearer" = [])),
)]
pub(crate) async fn set_support_policy(
    State(state): State<AppState>,
    caller: Caller,
    Path((platform, channel)): Path<(String, String)>,
    ValidJson(body): ValidJson<SupportPolicyBody>,
) -> Result<Response, ApiError> {
    let stream = stream(&caller, &platform, channel)?;
    let policy = SupportPolicy {
        per_follow: body.per_follow,
        per_sub_tier1: body.per_sub_tier1,
        per_sub_tier2: body.per_sub_tier2,
        per_sub_tier3: body.per_sub_tier3,
        per_100_bits: body.per_100_bits,
        per_raid_viewer: body.per_raid_viewer,
    };
    if let Some((name, error)) = policy.out_of_range() {
        return Err(ApiError::invalid_value(name, &error));
    }
    change(&state, &caller, &stream, ChannelCommand::SetSupportPolicy(policy)).await
}

#[utoipa::path(
    put,
    path = "/v1/channels/{platform}/{channel}/alerts/{kind}",
    tag = "channels",
    params(
        ChannelPath,
        ("kind" = String, Path, description = "follow, sub, resub, gift, cheer, raid or redemption",
            pattern = "^(follow|sub|resub|gift|cheer|raid|redemption)$"),
    ),
    request_body = AlertBody,
    responses(AcceptedResponse, Refused),
    security(("bearer" = [])),
)]
pub(crate) async fn configure_alert(
    State(state): State<AppState>,
    caller: Caller,
    Path((platform, channel, kind)): Path<(String, String, String)>,
    ValidJson(body): ValidJson<AlertBody>,
) -> Result<Response, ApiError> {
    let stream = stream(&caller, &platform, channel)?;
    let kind = field("kind", SupportKind::parse(&kind))?;
    let alert = AlertSettings { kind, template: body.template, enabled: body.enabled };
    change(&state, &caller, &stream, ChannelCommand::ConfigureAlert(alert)).await
}
