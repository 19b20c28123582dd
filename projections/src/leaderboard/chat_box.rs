//! Chat as it happens, for the OBS chat box and the dashboard: each
//! message announced live (`chat`), and taken back (`chat_removed`) when a
//! filter deletes it, a moderator times out or bans its author, or a
//! moderator deletes it or clears the chat in the platform's own chat. Nothing
//! is stored: a chat box shows what arrives while it is open.

use serde::Serialize;
use sqlx::PgConnection;
use wavestack_domain::broadcast::BroadcastEvent;
use wavestack_domain::chat::{ChatEvent, ChatMessageReceived};
use wavestack_domain::moderation::ModeratorAction;
use wavestack_domain::value::BroadcastStreamId;

use crate::chat_stream::Viewer;
use crate::live::{announce, Audience};

/// One chat message as the live feed and the chat box show it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ChatLine {
    pub message_id: String,
    pub platform: String,
    pub user_id: String,
    pub author: String,
    pub text: String,
    pub sent_at: String,
}

impl ChatLine {
    pub fn of(m: &ChatMessageReceived) -> Self {
        Self {
            message_id: m.message_id.to_string(),
            platform: m.platform.to_string(),
            user_id: m.user_id.to_string(),
            author: m.author.to_string(),
            text: m.text.to_string(),
            sent_at: m.sent_at.to_rfc3339(),
        }
    }
}

#[derive(Debug)]
struct Line {
    org: String,
    channel: String,
    line: ChatLine,
}

#[derive(Debug, Serialize)]
struct Removed {
    #[serde(skip)]
    org: String,
    #[serde(skip)]
    channel: String,
    /// These messages…
    message_ids: Vec<String>,
    /// …(of this platform's channel)…
    platform: String,
    /// …or every message of this viewer (timed out, banned)…
    #[serde(skip_serializing_if = "Option::is_none")]
    user_id: Option<String>,
    /// …or every message (chat cleared on the platform).
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    all: bool,
}

/// One batch's chat, in log order.
#[derive(Debug, Default)]
pub(super) struct ChatBox {
    lines: Vec<Line>,
    removed: Vec<Removed>,
    /// Messages deleted on the platform in this batch: the broadcast and
    /// the chat topics are read side by side, so a deletion may come
    /// before its message.
    /// (org, platform, channel, message id).
    deleted: Vec<(String, String, String, String)>,
}

impl ChatBox {
    pub(super) fn see(&mut self, viewer: &Viewer, event: &ChatEvent) {
        let (org, platform, channel, user) = viewer;
        match event {
            ChatEvent::ChatMessageReceived(m) => {
                let line = ChatLine::of(m);
                let here = |(o, p, c, id): &(String, String, String, String)| {
                    o == org && p == platform && c == channel && *id == line.message_id
                };
                if self.deleted.iter().any(here) {
                    return;
                }
                self.lines.push(Line { org: org.clone(), channel: channel.clone(), line })
            }
            ChatEvent::MessageModerated(m) => {
                let id = m.message_id.to_string();
                // Deleted in the same batch: never shown at all.
                let before = self.lines.len();
                self.lines.retain(|l| !(l.line.message_id == id && &l.org == org && &l.channel == channel));
                if self.lines.len() == before {
                    self.removed.push(Removed {
                        org: org.clone(),
                        channel: channel.clone(),
                        message_ids: vec![id],
                        platform: platform.clone(),
                        user_id: None,
                        all: false,
                    });
                }
            }
            ChatEvent::ModeratorActed(a) if matches!(a.action, ModeratorAction::Timeout | ModeratorAction::Ban) => {
                let same = |l: &Line| {
                    &l.org == org && &l.channel == channel && &l.line.platform == platform && &l.line.user_id == user
                };
                self.lines.retain(|l| !same(l));
                self.removed.push(Removed {
                    org: org.clone(),
                    channel: channel.clone(),
                    message_ids: Vec::new(),
                    platform: platform.clone(),
                    user_id: Some(user.clone()),
                    all: false,
                });
            }
            _ => {}
        }
    }

    /// What moderators removed in the platform's own chat: one message, or
    /// the whole chat.
    pub(super) fn see_on_platform(&mut self, channel: &BroadcastStreamId, event: &BroadcastEvent) {
        let (org, platform, name) = (channel.org().as_str(), channel.platform().as_str(), channel.channel().as_str());
        let here = |l: &Line| l.org == org && l.channel == name && l.line.platform == platform;
        let (message_ids, all) = match event {
            BroadcastEvent::ChatMessageDeleted(d) => {
                let id = d.message_id.as_str();
                self.deleted.push((org.to_owned(), platform.to_owned(), name.to_owned(), id.to_owned()));
                let before = self.lines.len();
                // Deleted in the same batch: never shown at all.
                self.lines.retain(|l| !(here(l) && l.line.message_id == id));
                if self.lines.len() < before {
                    return;
                }
                (vec![id.to_owned()], false)
            }
            BroadcastEvent::ChatCleared(_) => {
                self.lines.retain(|l| !here(l));
                (Vec::new(), true)
            }
            _ => return,
        };
        self.removed.push(Removed {
            org: org.to_owned(),
            channel: name.to_owned(),
            message_ids,
            platform: platform.to_owned(),
            user_id: None,
            all,
        });
    }

    /// Announces the batch's chat; within its transaction, so only once it commits.
    pub(super) async fn announce(self, conn: &mut PgConnection, s: &str) -> anyhow::Result<()> {
        for removed in &self.removed {
            let to = Audience::platform_channel(&removed.org, &removed.platform, &removed.channel);
            announce(conn, s, "chat_removed", to, removed).await?;
        }
        for line in &self.lines {
            let to = Audience::platform_channel(&line.org, &line.line.platform, &line.channel);
            announce(conn, s, "chat", to, &line.line).await?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use wavestack_domain::broadcast::{ChatCleared, ChatMessageDeleted};
    use wavestack_domain::value::{
        ChannelId, ChatPlatform, ChatText, DisplayName, MessageId, OrgId, PlatformEventId, PlatformUserId, Role,
        Timestamp,
    };

    use super::*;

    fn said(id: &str) -> ChatEvent {
        ChatEvent::ChatMessageReceived(ChatMessageReceived {
            platform: ChatPlatform::Twitch,
            channel: ChannelId::parse("shroud").unwrap(),
            user_id: PlatformUserId::parse("fan").unwrap(),
            message_id: MessageId::parse(id).unwrap(),
            author: DisplayName::parse("Fan").unwrap(),
            role: Role::Viewer,
            text: ChatText::parse("hi").unwrap(),
            sent_at: Timestamp::from_unix_micros(0).unwrap(),
        })
    }

    fn viewer() -> Viewer {
        ("acme".into(), "twitch".into(), "shroud".into(), "fan".into())
    }

    fn broadcast() -> BroadcastStreamId {
        BroadcastStreamId::new(
            &OrgId::parse("acme").unwrap(),
            ChatPlatform::Twitch,
            &ChannelId::parse("shroud").unwrap(),
        )
    }

    fn deleted(id: &str) -> BroadcastEvent {
        BroadcastEvent::ChatMessageDeleted(ChatMessageDeleted {
            event_id: PlatformEventId::parse(format!("d-{id}")).unwrap(),
            message_id: MessageId::parse(id).unwrap(),
            user_id: PlatformUserId::parse("fan").unwrap(),
            at: Timestamp::from_unix_micros(0).unwrap(),
        })
    }

    fn shown(chat_box: &ChatBox) -> Vec<&str> {
        chat_box.lines.iter().map(|l| l.line.message_id.as_str()).collect()
    }

    #[test]
    fn a_message_deleted_on_the_platform_in_its_own_batch_is_never_shown_whichever_came_first() {
        let mut chat_box = ChatBox::default();
        chat_box.see(&viewer(), &said("m-1"));
        chat_box.see_on_platform(&broadcast(), &deleted("m-1"));
        chat_box.see_on_platform(&broadcast(), &deleted("m-2"));
        chat_box.see(&viewer(), &said("m-2"));
        chat_box.see(&viewer(), &said("m-3"));
        assert_eq!(shown(&chat_box), ["m-3"]);
        // m-2 may have been shown in an earlier batch: its removal is said.
        let said: Vec<&[String]> = chat_box.removed.iter().map(|r| r.message_ids.as_slice()).collect();
        assert_eq!(said, [["m-2".to_owned()]]);
    }

    #[test]
    fn a_deletion_of_a_message_shown_before_and_a_clear_are_announced() {
        let mut chat_box = ChatBox::default();
        chat_box.see_on_platform(&broadcast(), &deleted("old"));
        assert_eq!(chat_box.removed.len(), 1);
        assert_eq!(chat_box.removed[0].message_ids, ["old"]);
        chat_box.see(&viewer(), &said("m-1"));
        let cleared =
            ChatCleared { event_id: PlatformEventId::parse("c").unwrap(), at: Timestamp::from_unix_micros(0).unwrap() };
        chat_box.see_on_platform(&broadcast(), &BroadcastEvent::ChatCleared(cleared));
        assert!(shown(&chat_box).is_empty(), "cleared before it was shown");
        assert!(chat_box.removed[1].all);
    }
}
