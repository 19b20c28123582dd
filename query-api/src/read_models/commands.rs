//! `GET /v1/channels/{platform}/{channel}/commands`: the channel's
//! "commands page" streamers link to: every built-in and custom command,
//! with its aliases, level, cooldowns, price and use count, and the
//! channel's prefix, points policy, regulars and moderation filters.
//!
//! Read from the event store (the channel's settings stream and its
//! commands' latest answers), not from a projection: a channel's settings
//! are a few hundred events at most, and the page then never lags a change.

use std::collections::HashMap;

use axum::extract::{Path, State};
use axum::{Extension, Json};
use serde::Serialize;
use sqlx::PgPool;
use wavestack_adapters::auth::Principal;
use wavestack_adapters::command_bus::read_state;
use wavestack_adapters::event_store::reads;
use wavestack_adapters::http::{ApiError, Refused, ValidQuery};
use wavestack_domain::channel::{AlertSettings, ChannelState};
use wavestack_domain::chat_command::CommandUseEvent;
use wavestack_domain::moderation::{Escalation, FilterSettings};
use wavestack_domain::value::{
    Builtin, ChannelId, ChannelStreamId, ChatPlatform, CommandUseStreamId, PointsPolicy, SupportKind, SupportPolicy,
};

#[derive(Debug, Serialize, utoipa::ToSchema)]
#[schema(as = CommandsPage)]
pub(crate) struct Page {
    #[schema(value_type = String)]
    platform: ChatPlatform,
    channel: String,
    prefix: String,
    /// How many changes made these settings.
    settings_version: u64,
    #[schema(value_type = Object)]
    points_policy: PointsPolicy,
    /// What follows, subs, bits and raids pay.
    #[schema(value_type = Object)]
    support_policy: SupportPolicy,
    /// Each kind of support's alert, its default where never set.
    #[schema(value_type = Vec<Object>)]
    alerts: Vec<AlertSettings>,
    builtins: Vec<BuiltinRow>,
    commands: Vec<CommandRow>,
    regulars: Vec<String>,
    /// Every moderation filter, at its settings (defaults, off, when never set).
    #[schema(value_type = Vec<Object>)]
    filters: Vec<FilterSettings>,
    /// The strike ladder.
    #[schema(value_type = Object)]
    escalation: Escalation,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
struct BuiltinRow {
    #[schema(value_type = String)]
    builtin: Builtin,
    name: String,
    enabled: bool,
    uses: i64,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
struct CommandRow {
    name: String,
    response: String,
    alias_of: Option<String>,
    aliases: Vec<String>,
    min_level: String,
    cooldown_seconds: u32,
    user_cooldown_seconds: u32,
    cost: u64,
    enabled: bool,
    uses: i64,
}

#[utoipa::path(
    get,
    path = "/v1/channels/{platform}/{channel}/commands",
    tag = "read models",
    params(("platform" = String, Path, description = "twitch, discord, slack or youtube"), ("channel" = String, Path, description = "The channel id")),
    responses((status = 200, description = "The channel's commands page", body = Page), Refused),
    security(("bearer" = [])),
)]
pub(crate) async fn commands(
    State(pool): State<PgPool>,
    Extension(principal): Extension<Principal>,
    Path((platform, channel)): Path<(String, String)>,
) -> Result<Json<Page>, ApiError> {
    let platform = ChatPlatform::parse(&platform).map_err(|e| ApiError::invalid_value("platform", &e))?;
    let channel = ChannelId::parse(channel).map_err(|e| ApiError::invalid_value("channel", &e))?;
    let stream = ChannelStreamId::new(&principal.org, platform, &channel);
    let settings: ChannelState = read_state(&pool, stream.as_str())
        .await
        .map_err(|e| ApiError::internal(anyhow::Error::new(e).context("reading a channel's settings")))?;
    let prefix = CommandUseStreamId::channel_prefix(&principal.org, platform, &channel);
    let counts = reads::command_use_counts(&pool, &prefix).await.map_err(ApiError::internal)?;
    let uses: HashMap<String, i64> =
        counts.into_iter().map(|(id, n)| (id.strip_prefix(&prefix).unwrap_or(&id).to_owned(), n)).collect();
    let count = |key: &str| uses.get(key).copied().unwrap_or(0);
    let show = |name: &str| format!("{}{name}", settings.prefix());
    Ok(Json(Page {
        platform,
        channel: channel.to_string(),
        prefix: settings.prefix().to_string(),
        settings_version: settings.version(),
        points_policy: *settings.points(),
        support_policy: settings.support().policy,
        alerts: SupportKind::ALL.iter().map(|kind| settings.support().alert(*kind)).collect(),
        // `join` answers to the running giveaway's keyword, and only then.
        builtins: Builtin::ALL
            .iter()
            .filter_map(|b| {
                let (name, enabled) = match b {
                    Builtin::Join => (settings.giveaway()?.1.clone(), true),
                    _ => settings.builtin(*b),
                };
                Some(BuiltinRow {
                    builtin: *b,
                    name: show(name.as_str()),
                    enabled,
                    uses: count(&format!("builtin.{b}")),
                })
            })
            .collect(),
        commands: settings
            .commands()
            .map(|c| CommandRow {
                name: show(c.name.as_str()),
                response: c.response.to_string(),
                alias_of: c.alias_of.as_ref().map(|a| show(a.as_str())),
                aliases: settings.aliases_of(&c.name).map(|a| show(a.as_str())).collect(),
                min_level: c.min_level.to_string(),
                cooldown_seconds: c.cooldown_seconds,
                user_cooldown_seconds: c.user_cooldown_seconds,
                cost: c.cost,
                enabled: c.enabled,
                uses: count(c.name.as_str()),
            })
            .collect(),
        regulars: settings.regulars().map(ToString::to_string).collect(),
        filters: settings.moderation().filters().collect(),
        escalation: settings.moderation().escalation().clone(),
    }))
}

#[derive(Debug, serde::Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub(crate) struct RecentParams {
    /// 1 to 100; default 20.
    #[serde(default)]
    limit: Option<i64>,
}

/// One use of a command: answered (with the reply) or refused (with why).
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub(crate) struct RecentUse {
    at: String,
    command: String,
    user_id: String,
    author: String,
    /// answered or refused.
    outcome: &'static str,
    reply: Option<String>,
    /// For a refusal: level, cooldown, cost, …
    reason: Option<String>,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub(crate) struct RecentPage {
    uses: Vec<RecentUse>,
}

/// The channel's latest command uses and the bot's replies, newest first.
#[utoipa::path(
    get,
    path = "/v1/channels/{platform}/{channel}/commands/recent",
    tag = "read models",
    params(("platform" = String, Path, description = "twitch, discord, slack or youtube"), ("channel" = String, Path, description = "The channel id"), RecentParams),
    responses((status = 200, description = "Recent uses, newest first", body = RecentPage), Refused),
    security(("bearer" = [])),
)]
pub(crate) async fn recent(
    State(pool): State<PgPool>,
    Extension(principal): Extension<Principal>,
    Path((platform, channel)): Path<(String, String)>,
    ValidQuery(params): ValidQuery<RecentParams>,
) -> Result<Json<RecentPage>, ApiError> {
    let platform = ChatPlatform::parse(&platform).map_err(|e| ApiError::invalid_value("platform", &e))?;
    let channel = ChannelId::parse(channel).map_err(|e| ApiError::invalid_value("channel", &e))?;
    let limit = super::params::limit(params.limit, 20, 100)?;
    let prefix = CommandUseStreamId::channel_prefix(&principal.org, platform, &channel);
    // Read from the command streams themselves, as the use counts are.
    let payloads = reads::recent_command_uses(&pool, &prefix, limit).await.map_err(ApiError::internal)?;
    let uses = payloads
        .into_iter()
        .filter_map(|payload| serde_json::from_value::<CommandUseEvent>(payload).ok())
        .map(|event| match event {
            CommandUseEvent::CommandAnswered(a) => RecentUse {
                at: a.answered_at.to_rfc3339(),
                command: a.command.to_string(),
                user_id: a.invoker.user_id.to_string(),
                author: a.invoker.author.to_string(),
                outcome: "answered",
                reply: Some(a.reply),
                reason: None,
            },
            CommandUseEvent::CommandRefused(r) => RecentUse {
                at: r.refused_at.to_rfc3339(),
                command: r.command.to_string(),
                user_id: r.invoker.user_id.to_string(),
                author: r.invoker.author.to_string(),
                outcome: "refused",
                reply: r.reply,
                reason: Some(r.reason.to_string()),
            },
        })
        .collect();
    Ok(Json(RecentPage { uses }))
}
