//! The application layer as a gateway calls it: the same use cases as the
//! command API, under the gateway's own actor so the log says which edge a
//! message came through.

use wavestack_adapters::command_bus::CommandError;
use wavestack_app::chat::{self, Heard};
use wavestack_app::deliveries::{self, Delivery};
use wavestack_app::App;
use wavestack_domain::channel::ChannelError;
use wavestack_domain::chat::{ChatError, ReceiveChatMessage};
use wavestack_domain::delivery::{DeliveryError, Outcome};
use wavestack_domain::metadata::EventMetadata;
use wavestack_domain::value::{ActorId, ChannelId, ChatPlatform, OrgId, Timestamp};

/// What hearing a batch comes to: one outcome per message, in order; a
/// channel whose settings cannot be read fails them all.
pub type Hearing = Result<Vec<Result<Heard, CommandError<ChatError>>>, CommandError<ChannelError>>;

/// One org's view of the use cases, for one platform's gateway.
#[derive(Debug, Clone)]
pub struct Brain {
    app: App,
    org: OrgId,
    actor: ActorId,
    platform: ChatPlatform,
}

impl Brain {
    pub fn new(app: App, org: OrgId, platform: ChatPlatform) -> Self {
        let actor = ActorId::parse(format!("svc:gateway-{platform}")).expect("a platform name is an identifier");
        Self { app, org, actor, platform }
    }

    pub fn org(&self) -> &OrgId {
        &self.org
    }

    /// Records and answers chat messages, exactly as `POST /v1/chat/messages`
    /// does with a batch.
    pub async fn hear(&self, messages: Vec<ReceiveChatMessage>) -> Hearing {
        chat::hear(&self.app, &self.metadata(), messages).await
    }

    /// Records that `delivery` leaves for the platform; `false` if it was
    /// started before and must not be carried out again.
    pub async fn start_delivery(
        &self,
        channel: &ChannelId,
        delivery: Delivery,
    ) -> Result<bool, CommandError<DeliveryError>> {
        deliveries::start(&self.app, &self.metadata(), self.platform, channel, delivery).await
    }

    /// Records how a delivery ended: the platform's answer.
    pub async fn settle_delivery(
        &self,
        channel: &ChannelId,
        delivery: &str,
        outcome: Outcome,
    ) -> Result<(), CommandError<DeliveryError>> {
        deliveries::settle(&self.app, &self.metadata(), self.platform, channel, delivery, outcome).await
    }

    /// Taking `channel` over: what its previous carrier left unsettled is
    /// recorded as of unknown fate, never carried out again.
    pub async fn give_up_unsettled(&self, channel: &ChannelId) -> Result<usize, CommandError<DeliveryError>> {
        deliveries::give_up_unsettled(&self.app, &self.metadata(), self.platform, channel).await
    }

    fn metadata(&self) -> EventMetadata {
        EventMetadata {
            org: self.org.clone(),
            actor: self.actor.clone(),
            correlation_id: uuid::Uuid::new_v4(),
            causation_id: None,
            request_id: None,
            occurred_at: now(),
        }
    }
}

/// The gateway's clock; the domain has none.
pub(crate) fn now() -> Timestamp {
    Timestamp::from_datetime(time::OffsetDateTime::now_utc())
}
