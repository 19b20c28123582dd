//! What a built-in is given, and what it gives back.

use tokio::sync::OnceCell;
use wavestack_domain::channel::{ChannelState, Resolved};
use wavestack_domain::chat::{ChatEvent, PointsRequestRefused, ReceiveChatMessage};
use wavestack_domain::chat_command::{Prepared, RefusalReason};
use wavestack_domain::metadata::EventMetadata;
use wavestack_domain::value::{Account, ActorId, DisplayName, UserLevel};

use crate::chat::{Action, Reply, Whisper};
use crate::App;

/// One message that invoked a built-in, with the channel's settings it
/// was resolved under.
#[derive(Debug)]
pub(crate) struct Asked<'a> {
    pub app: &'a App,
    /// The request's metadata: its actor is the bot's caller.
    pub metadata: &'a EventMetadata,
    pub settings: &'a ChannelState,
    pub message: &'a ReceiveChatMessage,
    pub resolved: &'a Resolved,
    pub level: UserLevel,
    /// The author's person, looked up once for the whole message.
    pub person: &'a OnceCell<Account>,
}

impl Asked<'_> {
    /// The author's display name, as replies address them.
    pub(crate) fn who(&self) -> &DisplayName {
        &self.message.author
    }

    /// The author's account on this platform.
    pub(crate) fn account(&self) -> Account {
        Account::new(self.message.viewer.platform, self.message.viewer.user_id.clone())
    }

    /// The person the author's account belongs to.
    pub(crate) async fn person(&self) -> anyhow::Result<&Account> {
        self.person.get_or_try_init(|| async { self.app.person_of(&self.metadata.org, &self.account()).await }).await
    }

    /// The metadata of a change the author makes through the bot (a
    /// moderator's command, a viewer linking): the author is its actor.
    pub(crate) fn by_author(&self) -> anyhow::Result<EventMetadata> {
        let m = self.message;
        let actor = ActorId::parse(format!("{}:{}", m.viewer.platform, m.viewer.user_id))?;
        Ok(EventMetadata { actor, ..self.metadata.clone() })
    }
}

/// The viewer's points request the message's write refused, if it did.
pub(crate) fn refused_request(events: &[ChatEvent]) -> Option<PointsRequestRefused> {
    events.iter().find_map(|e| match e {
        ChatEvent::PointsRequestRefused(r) => Some(r.clone()),
        _ => None,
    })
}

/// The balance the message's write left, if it moved it.
pub(crate) fn balance_after(events: &[ChatEvent]) -> Option<u64> {
    events.iter().rev().find_map(|e| e.balance_change().map(|(_, balance)| balance))
}

/// What a built-in made of the message: what the command's stream is to
/// decide (`None`: nothing is recorded), and what the gateway does.
#[derive(Debug, Default)]
pub(crate) struct Answered {
    pub prepared: Option<Prepared>,
    /// Filled in from the decided use.
    pub replies: Vec<Reply>,
    pub actions: Vec<Action>,
    pub whispers: Vec<Whisper>,
}

impl Answered {
    pub(crate) fn decided(prepared: Prepared) -> Self {
        Self { prepared: Some(prepared), ..Self::default() }
    }

    pub(crate) fn answer(reply: String) -> Self {
        Self::decided(Prepared::Answer { reply })
    }

    pub(crate) fn refuse(reason: RefusalReason, detail: &str, reply: Option<String>) -> Self {
        Self::decided(Prepared::Refuse { reason, detail: detail.to_owned(), reply })
    }
}
