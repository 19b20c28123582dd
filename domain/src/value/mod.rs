//! Value types. Each has a private field and a fallible constructor, so the
//! domain never sees an unchecked string or number.

mod account;
mod error;
mod ids;
mod level;
mod media;
mod newtype;
mod platform;
mod publish;
mod stream_ids;
mod support;
mod text;
mod timestamp;

pub use account::{Account, ChannelRef};
pub use error::ValueError;
pub use ids::{
    ActorId, ChannelId, ClipId, GiveawayId, IdempotencyKey, MessageId, OrgId, OverlayKeyId, OverlayLabel,
    PlatformEventId, PlatformUserId, PollId, PublicationId, Username,
};
pub use level::{Builtin, CommandName, CommandPrefix, PointsPolicy, UserLevel};
pub use media::{ClipDuration, ClipSource, ClipStart, Container, ContentHash, MediaUri};
pub(crate) use platform::closed_enum;
pub use platform::{ChatPlatform, MemberRole, Role};
pub use publish::{Asset, AssetUrl, Hashtag, Hashtags, TargetPlatform, Targets};
pub use stream_ids::{
    BroadcastStreamId, ChannelStreamId, ChatStreamId, ClipStreamId, CommandUseStreamId, DeliveryStreamId,
    GiveawayStreamId, IdentityStreamId, PollStreamId, PublicationStreamId,
};
pub use support::{SubTier, SupportKind, SupportPolicy};
pub use text::{Caption, ChatText, DisplayName, FailureReason, PostId, Title};
pub use timestamp::Timestamp;
