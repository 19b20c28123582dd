//! The application layer as a gateway calls it: the same use cases as the
//! command API, under the gateway's own actor so the log says which edge a
//! message came through.

use wavestack_adapters::command_bus::{CommandError, Written};
use wavestack_app::broadcast;
use wavestack_app::chat::{self, Heard};
use wavestack_app::deliveries::{Carrier, Delivery, RecordError};
use wavestack_app::App;
use wavestack_domain::broadcast::{BroadcastError, BroadcastEvent, Happening};
use wavestack_domain::channel::ChannelError;
use wavestack_domain::chat::{ChatError, ReceiveChatMessage};
use wavestack_domain::delivery::Outcome;
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
    platform: ChatPlatform,
    actor: ActorId,
}

impl Brain {
    pub fn new(app: App, org: OrgId, platform: ChatPlatform) -> Self {
        let actor = ActorId::parse(format!("svc:gateway-{platform}")).expect("a platform name is an identifier");
        Self { app, org, platform, actor }
    }

    pub fn org(&self) -> &OrgId {
        &self.org
    }

    /// Records a stream event of `channel` (a follow, a cheer, the stream
    /// going online) and pays its giver, as the channel's policy says.
    pub async fn record(
        &self,
        channel: &ChannelId,
        happening: Happening,
    ) -> Result<Written<BroadcastEvent>, CommandError<BroadcastError>> {
        broadcast::record(&self.app, &self.metadata(), self.platform, channel, happening).await
    }

    /// Who records the channel's deliveries: this gateway, in this org.
    fn carrier(&self, channel: &ChannelId) -> Carrier {
        Carrier { org: self.org.clone(), actor: self.actor.clone(), platform: self.platform, channel: channel.clone() }
    }

    /// Records that `delivery` leaves for the platform; `false` if it was
    /// started before and must not be carried out again.
    pub async fn start_delivery(&self, channel: &ChannelId, delivery: Delivery) -> Result<bool, RecordError> {
        self.app.deliveries().start(&self.carrier(channel), delivery, now()).await
    }

    /// Records how a delivery ended (with the next group of records).
    pub fn settle_delivery(&self, channel: &ChannelId, delivery: &str, outcome: Outcome) {
        self.app.deliveries().settle(&self.carrier(channel), delivery, outcome, now());
    }

    /// Taking `channel` over: what its previous carrier left unsettled is
    /// recorded as of unknown fate, never carried out again.
    pub async fn give_up_unsettled(&self, channel: &ChannelId) -> Result<usize, RecordError> {
        self.app.deliveries().give_up_unsettled(&self.carrier(channel), now()).await
    }

    fn metadata(&self) -> EventMetadata {
        EventMetadata::initiated(self.org.clone(), self.actor.clone(), now())
    }

    /// Records and answers chat messages, exactly as `POST /v1/chat/messages`
    /// does with a batch.
    pub async fn hear(&self, messages: Vec<ReceiveChatMessage>) -> Hearing {
        chat::hear(&self.app, &self.metadata(), messages).await
    }
}

/// The gateway's clock; the domain has none.
pub(crate) fn now() -> Timestamp {
    Timestamp::from_datetime(time::OffsetDateTime::now_utc())
}
