use thiserror::Error;

use crate::moderation::FilterError;
use crate::value::CommandName;

#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum ChannelError {
    #[error("{0} already exists")]
    CommandExists(CommandName),
    #[error("{0} is a built-in command's name in this channel")]
    NameTaken(CommandName),
    #[error("{0} does not exist")]
    UnknownCommand(CommandName),
    #[error("a channel holds at most {max} commands")]
    TooManyCommands { max: usize },
    #[error("{name} would be an alias of {target}, which does not exist")]
    AliasTargetMissing { name: CommandName, target: CommandName },
    #[error("aliases would loop: {}", .0.iter().map(ToString::to_string).collect::<Vec<_>>().join(" → "))]
    AliasLoop(Vec<CommandName>),
    #[error("{name} is still the target of {alias}; delete or edit that alias first")]
    AliasedBy { name: CommandName, alias: CommandName },
    #[error("{field} must be between 0 and {max}")]
    OutOfRange { field: &'static str, max: u64 },
    #[error("a command needs a response unless it is an alias")]
    EmptyResponse,
    #[error("an alias's text is its target's input: $(count) and $(points) belong in the target's response")]
    AliasShowsCountOrPoints,
    #[error(transparent)]
    Filter(#[from] FilterError),
    #[error("another giveaway is running in this channel; close, draw or cancel it first")]
    GiveawayRunning,
    #[error("another poll is running in this channel; close or cancel it first")]
    PollRunning,
    #[error("{0} is a command in this channel; pick another keyword")]
    KeywordTaken(CommandName),
    #[error("scopes must be at most 64 of the platform's scope names")]
    InvalidScopes,
    #[error("the bot's login must be 1 to 64 letters, digits or underscores")]
    InvalidLogin,
    #[error("the alert's template {0}")]
    InvalidAlertTemplate(&'static str),
}

impl ChannelError {
    /// Stable machine-readable code.
    pub fn code(&self) -> &'static str {
        match self {
            ChannelError::CommandExists(_) => "command_exists",
            ChannelError::NameTaken(_) => "name_taken",
            ChannelError::UnknownCommand(_) => "command_not_found",
            ChannelError::TooManyCommands { .. } => "too_many_commands",
            ChannelError::AliasTargetMissing { .. } => "alias_target_missing",
            ChannelError::AliasLoop(_) => "alias_loop",
            ChannelError::AliasedBy { .. } => "command_aliased",
            ChannelError::OutOfRange { .. } => "out_of_range",
            ChannelError::EmptyResponse => "empty",
            ChannelError::AliasShowsCountOrPoints => "template_alias_variable",
            ChannelError::Filter(error) => error.code(),
            ChannelError::GiveawayRunning => "giveaway_running",
            ChannelError::PollRunning => "poll_running",
            ChannelError::KeywordTaken(_) => "keyword_taken",
            ChannelError::InvalidScopes => "invalid_scopes",
            ChannelError::InvalidAlertTemplate(_) => "invalid_alert_template",
            ChannelError::InvalidLogin => "invalid_login",
        }
    }

    /// The request field at fault, as the HTTP API names it.
    pub fn field(&self) -> &'static str {
        match self {
            ChannelError::CommandExists(_)
            | ChannelError::NameTaken(_)
            | ChannelError::UnknownCommand(_)
            | ChannelError::TooManyCommands { .. }
            | ChannelError::AliasedBy { .. } => "name",
            ChannelError::AliasTargetMissing { .. } | ChannelError::AliasLoop(_) => "alias_of",
            ChannelError::OutOfRange { field, .. } => field,
            ChannelError::EmptyResponse | ChannelError::AliasShowsCountOrPoints => "response",
            ChannelError::Filter(error) => error.field(),
            ChannelError::GiveawayRunning | ChannelError::PollRunning => "channels",
            ChannelError::KeywordTaken(_) => "keyword",
            ChannelError::InvalidScopes => "scopes",
            ChannelError::InvalidLogin => "bot_login",
            ChannelError::InvalidAlertTemplate(_) => "template",
        }
    }
}
