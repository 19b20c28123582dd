//! `/v1/channels/{platform}/{channel}/…`: a channel's settings, changed by
//! its managers (`channels:write`). Every change is an event whose actor is
//! the token's subject; the same changes come from chat with Nightbot's
//! syntax (moderators, see `brain`).

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use wavestack_adapters::http::{ApiError, Refused, ValidJson};
use wavestack_api_types::channels::{BuiltinBody, CommandBody, EditBody, PointsPolicyBody, PrefixBody, SayBody};
use wavestack_domain::channel::{
    nightbot::DEFAULT_COOLDOWN_SECONDS, ChannelCommand, CommandDefinition, CommandEdit, ResponseTemplate,
};
use wavestack_domain::value::{
    Builtin, ChannelId, ChannelRef, ChannelStreamId, ChatPlatform, ChatText, CommandName, CommandPrefix,
    PlatformUserId, PointsPolicy, UserLevel,
};

use crate::command_error::command_error;
use crate::edge::{accepted_response, field, now, AcceptedResponse, Caller};
use crate::state::AppState;
use wavestack_api_types::accepted::AcceptedBody;
use wavestack_app::community::announce::{announce, AnnounceError, Announcement};

/// A channel, as the routes under `/v1/channels/{platform}/{channel}` name it.
#[derive(utoipa::IntoParams)]
#[into_params(parameter_in = Path)]
#[allow(dead_code)]
pub(crate) struct ChannelPath {
    /// twitch, discord, slack or youtube.
    #[param(pattern = "^(twitch|discord|slack|youtube)$")]
    platform: String,
    /// The platform's channel id.
    #[param(pattern = "^[A-Za-z0-9._:@-]{1,128}$")]
    channel: String,
}

fn template(raw: String) -> Result<ResponseTemplate, ApiError> {
    ResponseTemplate::parse(raw).map_err(|e| {
        ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, e.code(), format!("response {e}")).with_field("response")
    })
}

fn level(raw: Option<String>) -> Result<Option<UserLevel>, ApiError> {
    raw.map(|l| field("min_level", UserLevel::parse(&l))).transpose()
}

/// The channel a route's path names.
pub(super) fn channel_at(platform: &str, channel: String) -> Result<(ChatPlatform, ChannelId), ApiError> {
    Ok((field("platform", ChatPlatform::parse(platform))?, field("channel", ChannelId::parse(channel))?))
}

/// … as the stream of its settings, in the caller's org.
pub(super) fn stream(caller: &Caller, platform: &str, channel: String) -> Result<ChannelStreamId, ApiError> {
    let (platform, channel) = channel_at(platform, channel)?;
    Ok(ChannelStreamId::new(&caller.metadata.org, platform, &channel))
}

pub(super) async fn change(
    state: &AppState,
    caller: &Caller,
    stream: &ChannelStreamId,
    command: ChannelCommand,
) -> Result<Response, ApiError> {
    let accepted =
        state.bus.channel.execute(stream.as_str(), command, &caller.metadata).await.map_err(command_error)?;
    Ok(accepted_response(accepted))
}

#[utoipa::path(
    post,
    path = "/v1/channels/{platform}/{channel}/commands",
    tag = "channels",
    params(ChannelPath),
    request_body = CommandBody,
    responses(AcceptedResponse, Refused),
    security(("bearer" = [])),
)]
pub(crate) async fn add_command(
    State(state): State<AppState>,
    caller: Caller,
    Path((platform, channel)): Path<(String, String)>,
    ValidJson(body): ValidJson<CommandBody>,
) -> Result<Response, ApiError> {
    let stream = stream(&caller, &platform, channel)?;
    let definition = CommandDefinition {
        name: field("name", CommandName::parse(body.name))?,
        response: template(body.response)?,
        alias_of: body.alias_of.map(|a| field("alias_of", CommandName::parse(a))).transpose()?,
        min_level: level(body.min_level)?.unwrap_or(UserLevel::Everyone),
        cooldown_seconds: body.cooldown_seconds.unwrap_or(DEFAULT_COOLDOWN_SECONDS),
        user_cooldown_seconds: body.user_cooldown_seconds.unwrap_or(0),
        cost: body.cost.unwrap_or(0),
        enabled: body.enabled.unwrap_or(true),
    };
    change(&state, &caller, &stream, ChannelCommand::AddCommand(definition)).await
}

#[utoipa::path(
    patch,
    path = "/v1/channels/{platform}/{channel}/commands/{name}",
    tag = "channels",
    params(ChannelPath, ("name" = String, Path, description = "The command, with or without its `!`")),
    request_body = EditBody,
    responses(AcceptedResponse, Refused),
    security(("bearer" = [])),
)]
pub(crate) async fn edit_command(
    State(state): State<AppState>,
    caller: Caller,
    Path((platform, channel, name)): Path<(String, String, String)>,
    ValidJson(body): ValidJson<EditBody>,
) -> Result<Response, ApiError> {
    let stream = stream(&caller, &platform, channel)?;
    let mut edit = CommandEdit::of(field("name", CommandName::parse(name))?);
    edit.response = body.response.map(template).transpose()?;
    edit.alias_of = match body.alias_of {
        None => None,
        Some(None) => Some(None),
        Some(Some(target)) => Some(Some(field("alias_of", CommandName::parse(target))?)),
    };
    edit.min_level = level(body.min_level)?;
    edit.cooldown_seconds = body.cooldown_seconds;
    edit.user_cooldown_seconds = body.user_cooldown_seconds;
    edit.cost = body.cost;
    edit.enabled = body.enabled;
    change(&state, &caller, &stream, ChannelCommand::EditCommand(edit)).await
}

#[utoipa::path(
    delete,
    path = "/v1/channels/{platform}/{channel}/commands/{name}",
    tag = "channels",
    params(ChannelPath, ("name" = String, Path, description = "The command, with or without its `!`")),
    responses(AcceptedResponse, Refused),
    security(("bearer" = [])),
)]
pub(crate) async fn delete_command(
    State(state): State<AppState>,
    caller: Caller,
    Path((platform, channel, name)): Path<(String, String, String)>,
) -> Result<Response, ApiError> {
    let stream = stream(&caller, &platform, channel)?;
    let name = field("name", CommandName::parse(name))?;
    change(&state, &caller, &stream, ChannelCommand::DeleteCommand { name }).await
}

#[utoipa::path(
    put,
    path = "/v1/channels/{platform}/{channel}/points-policy",
    tag = "channels",
    params(ChannelPath),
    request_body = PointsPolicyBody,
    responses(AcceptedResponse, Refused),
    security(("bearer" = [])),
)]
pub(crate) async fn set_points_policy(
    State(state): State<AppState>,
    caller: Caller,
    Path((platform, channel)): Path<(String, String)>,
    ValidJson(body): ValidJson<PointsPolicyBody>,
) -> Result<Response, ApiError> {
    let stream = stream(&caller, &platform, channel)?;
    let policy = PointsPolicy {
        points_per_message: body.points_per_message,
        cooldown_seconds: body.cooldown_seconds,
        daily_bonus: body.daily_bonus,
        subscriber_percent: body.subscriber_percent,
    };
    if let Some((name, error)) = policy.out_of_range() {
        return Err(ApiError::invalid_value(name, &error));
    }
    change(&state, &caller, &stream, ChannelCommand::SetPointsPolicy(policy)).await
}

#[utoipa::path(
    put,
    path = "/v1/channels/{platform}/{channel}/prefix",
    tag = "channels",
    params(ChannelPath),
    request_body = PrefixBody,
    responses(AcceptedResponse, Refused),
    security(("bearer" = [])),
)]
pub(crate) async fn set_prefix(
    State(state): State<AppState>,
    caller: Caller,
    Path((platform, channel)): Path<(String, String)>,
    ValidJson(body): ValidJson<PrefixBody>,
) -> Result<Response, ApiError> {
    let stream = stream(&caller, &platform, channel)?;
    let prefix = field("prefix", CommandPrefix::parse(body.prefix))?;
    change(&state, &caller, &stream, ChannelCommand::SetPrefix(prefix)).await
}

#[utoipa::path(
    put,
    path = "/v1/channels/{platform}/{channel}/regulars/{user_id}",
    tag = "channels",
    params(ChannelPath, ("user_id" = String, Path, description = "The platform's user id")),
    responses(AcceptedResponse, Refused),
    security(("bearer" = [])),
)]
pub(crate) async fn add_regular(
    State(state): State<AppState>,
    caller: Caller,
    Path((platform, channel, user_id)): Path<(String, String, String)>,
) -> Result<Response, ApiError> {
    let stream = stream(&caller, &platform, channel)?;
    let user_id = field("user_id", PlatformUserId::parse(user_id))?;
    change(&state, &caller, &stream, ChannelCommand::AddRegular { user_id }).await
}

#[utoipa::path(
    delete,
    path = "/v1/channels/{platform}/{channel}/regulars/{user_id}",
    tag = "channels",
    params(ChannelPath, ("user_id" = String, Path, description = "The platform's user id")),
    responses(AcceptedResponse, Refused),
    security(("bearer" = [])),
)]
pub(crate) async fn remove_regular(
    State(state): State<AppState>,
    caller: Caller,
    Path((platform, channel, user_id)): Path<(String, String, String)>,
) -> Result<Response, ApiError> {
    let stream = stream(&caller, &platform, channel)?;
    let user_id = field("user_id", PlatformUserId::parse(user_id))?;
    change(&state, &caller, &stream, ChannelCommand::RemoveRegular { user_id }).await
}

#[utoipa::path(
    put,
    path = "/v1/channels/{platform}/{channel}/builtins/{builtin}",
    tag = "channels",
    params(ChannelPath, ("builtin" = String, Path, description = "points, give, daily, leaderboard, commands or clip")),
    request_body = BuiltinBody,
    responses(AcceptedResponse, Refused),
    security(("bearer" = [])),
)]
pub(crate) async fn configure_builtin(
    State(state): State<AppState>,
    caller: Caller,
    Path((platform, channel, builtin)): Path<(String, String, String)>,
    ValidJson(body): ValidJson<BuiltinBody>,
) -> Result<Response, ApiError> {
    let stream = stream(&caller, &platform, channel)?;
    let builtin = field("builtin", Builtin::parse(&builtin))?;
    let name = match body.name {
        Some(name) => field("name", CommandName::parse(name))?,
        None => builtin.default_name(),
    };
    change(&state, &caller, &stream, ChannelCommand::ConfigureBuiltin { builtin, name, enabled: body.enabled }).await
}

/// The bot says something in the channel on its managers' behalf (the
/// dashboard's "say"): a `CommandAnswered` of the `dashboard.say` stream,
/// which bots read on the feed like every reply. The actor is the caller.
#[utoipa::path(
    post,
    path = "/v1/channels/{platform}/{channel}/say",
    tag = "channels",
    params(ChannelPath),
    request_body = SayBody,
    responses((status = 202, description = "Recorded; on the bots' feed", body = AcceptedBody), Refused),
    security(("bearer" = [])),
)]
pub(crate) async fn say(
    State(state): State<AppState>,
    caller: Caller,
    Path((platform, channel)): Path<(String, String)>,
    ValidJson(body): ValidJson<SayBody>,
) -> Result<Response, ApiError> {
    let (platform, channel) = channel_at(&platform, channel)?;
    let text = field("text", ChatText::parse(body.text))?;
    let channel = ChannelRef::new(platform, channel);
    let said =
        Announcement { channel: &channel, key: "dashboard.say", command: "say", text: text.to_string(), at: now() };
    let accepted = announce(&state.app, &caller.metadata, said).await.map_err(|error| match error {
        AnnounceError::Value { field, error } => ApiError::invalid_value(field, &error),
        AnnounceError::Store(error) => command_error(error),
    })?;
    Ok(accepted_response(accepted))
}
