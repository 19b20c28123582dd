//! The application layer as a gateway calls it: the same use cases as the
//! command API, under the gateway's own actor so the log says which edge a
//! message came through.

use wavestack_adapters::command_bus::CommandError;
use wavestack_app::chat::{self, Heard};
use wavestack_app::App;
use wavestack_domain::channel::ChannelError;
use wavestack_domain::chat::{ChatError, ReceiveChatMessage};
use wavestack_domain::metadata::EventMetadata;
use wavestack_domain::value::{ActorId, ChatPlatform, OrgId, Timestamp};

/// What hearing a batch comes to: one outcome per message, in order; a
/// channel whose settings cannot be read fails them all.
pub type Hearing = Result<Vec<Result<Heard, CommandError<ChatError>>>, CommandError<ChannelError>>;

/// One org's view of the use cases, for one platform's gateway.
#[derive(Debug, Clone)]
pub struct Brain {
    app: App,
    org: OrgId,
    actor: ActorId,
}

impl Brain {
    pub fn new(app: App, org: OrgId, platform: ChatPlatform) -> Self {
        let actor = ActorId::parse(format!("svc:gateway-{platform}")).expect("a platform name is an identifier");
        Self { app, org, actor }
    }

    pub fn org(&self) -> &OrgId {
        &self.org
    }

    /// Records and answers chat messages, exactly as `POST /v1/chat/messages`
    /// does with a batch.
    pub async fn hear(&self, messages: Vec<ReceiveChatMessage>) -> Hearing {
        let metadata = EventMetadata {
            org: self.org.clone(),
            actor: self.actor.clone(),
            correlation_id: uuid::Uuid::new_v4(),
            causation_id: None,
            request_id: None,
            occurred_at: now(),
        };
        chat::hear(&self.app, &metadata, messages).await
    }
}

/// The gateway's clock; the domain has none.
pub(crate) fn now() -> Timestamp {
    Timestamp::from_datetime(time::OffsetDateTime::now_utc())
}
