//! `channel.chat.message` as the brain hears it: the same command
//! `POST /v1/chat/messages` builds, with the viewer's role from the
//! message's badges.

use serde::Deserialize;
use wavestack_domain::chat::{PointsPolicy, ReceiveChatMessage, Viewer};
use wavestack_domain::moderation::ModerationRules;
use wavestack_domain::value::{
    ChannelId, ChatPlatform, ChatText, DisplayName, MessageId, PlatformUserId, Role, Timestamp, UserLevel,
};

/// The fields of a `channel.chat.message` event the brain needs.
#[derive(Debug, Deserialize)]
pub(crate) struct ChatMessageEvent {
    pub(crate) broadcaster_user_id: String,
    pub(crate) chatter_user_id: String,
    chatter_user_name: String,
    message_id: String,
    message: MessageBody,
    #[serde(default)]
    badges: Vec<Badge>,
}

#[derive(Debug, Deserialize)]
struct MessageBody {
    text: String,
    #[serde(default)]
    fragments: Vec<Fragment>,
}

#[derive(Debug, Deserialize)]
struct Fragment {
    #[serde(rename = "type")]
    kind: String,
}

#[derive(Debug, Deserialize)]
struct Badge {
    set_id: String,
}

/// The highest role the badges show. A founder is a subscriber (Twitch
/// shows the founder badge in the subscriber badge's place).
fn role_of(badges: &[Badge]) -> Role {
    let has = |set: &str| badges.iter().any(|b| b.set_id == set);
    if has("broadcaster") {
        Role::Broadcaster
    } else if has("moderator") {
        Role::Moderator
    } else if has("vip") {
        Role::Vip
    } else if has("subscriber") || has("founder") {
        Role::Subscriber
    } else {
        Role::Viewer
    }
}

/// The brain's command for a chat message of `channel`, or why it cannot
/// be one (said in a log line: a message Twitch sent that WaveStack cannot
/// record is skipped, never a reason to stop hearing the channel).
pub(crate) fn receive(
    channel: &ChannelId,
    event: ChatMessageEvent,
    sent_at: Timestamp,
) -> Result<ReceiveChatMessage, String> {
    let field = |name: &str, e: wavestack_domain::value::ValueError| format!("{name}: {e}");
    let emotes = event.message.fragments.iter().filter(|f| f.kind == "emote").count();
    Ok(ReceiveChatMessage {
        viewer: Viewer {
            platform: ChatPlatform::Twitch,
            channel: channel.clone(),
            user_id: PlatformUserId::parse(event.chatter_user_id).map_err(|e| field("chatter_user_id", e))?,
        },
        message_id: MessageId::parse(event.message_id).map_err(|e| field("message_id", e))?,
        author: DisplayName::parse(event.chatter_user_name).map_err(|e| field("chatter_user_name", e))?,
        role: role_of(&event.badges),
        text: ChatText::parse(event.message.text).map_err(|e| field("message.text", e))?,
        sent_at,
        // The brain fills these in from the channel's settings.
        points: PointsPolicy::default(),
        invocation: None,
        points_request: None,
        level: UserLevel::Everyone,
        moderation: ModerationRules::default(),
        emotes: u32::try_from(emotes).unwrap_or(u32::MAX),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn documented_event() -> serde_json::Value {
        let frame: serde_json::Value =
            serde_json::from_str(include_str!("../../fixtures/twitch/channel.chat.message.notification.json")).unwrap();
        frame["payload"]["event"].clone()
    }

    #[test]
    fn the_documented_message_is_a_moderators() {
        let event: ChatMessageEvent = serde_json::from_value(documented_event()).unwrap();
        let at = Timestamp::parse_rfc3339("2023-11-06T18:11:47.492253549Z").unwrap();
        let command = receive(&ChannelId::parse("streamer").unwrap(), event, at).unwrap();
        assert_eq!(command.role, Role::Moderator, "moderator outranks the subscriber badge");
        assert_eq!(command.viewer.user_id.as_str(), "4145994");
        assert_eq!(command.author.as_str(), "viewer32");
        assert_eq!(command.message_id.as_str(), "cc106a89-1814-919d-454c-f4f2f970aae7");
        assert_eq!(command.text.as_str(), "Hi chat");
        assert_eq!(command.emotes, 0);
    }

    #[test]
    fn badges_rank_broadcaster_moderator_vip_subscriber_viewer() {
        let with = |sets: &[&str]| role_of(&sets.iter().map(|s| Badge { set_id: (*s).to_owned() }).collect::<Vec<_>>());
        assert_eq!(with(&["subscriber", "broadcaster"]), Role::Broadcaster);
        assert_eq!(with(&["vip", "moderator"]), Role::Moderator);
        assert_eq!(with(&["subscriber", "vip"]), Role::Vip);
        assert_eq!(with(&["founder"]), Role::Subscriber);
        assert_eq!(with(&["no_video", "sub-gifter"]), Role::Viewer);
        assert_eq!(with(&[]), Role::Viewer);
    }

    #[test]
    fn emotes_are_counted_from_fragments_and_empty_text_is_refused() {
        let mut event = documented_event();
        event["message"]["fragments"] = serde_json::json!([
            {"type": "emote", "text": "Kappa"}, {"type": "text", "text": " "}, {"type": "emote", "text": "Kappa"}
        ]);
        let parsed: ChatMessageEvent = serde_json::from_value(event.clone()).unwrap();
        let at = Timestamp::parse_rfc3339("2023-11-06T18:11:47Z").unwrap();
        assert_eq!(receive(&ChannelId::parse("streamer").unwrap(), parsed, at).unwrap().emotes, 2);
        event["message"]["text"] = serde_json::json!("");
        let parsed: ChatMessageEvent = serde_json::from_value(event).unwrap();
        let refused = receive(&ChannelId::parse("streamer").unwrap(), parsed, at).unwrap_err();
        assert!(refused.starts_with("message.text"), "{refused}");
    }
}
