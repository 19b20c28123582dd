//! The community built-ins as chat answers them: each comes back as what
//! the command's stream records (an answer or a refusal, with the reply
//! every bot reads on the feed), and, for `!link`, the code to whisper.

use wavestack_domain::channel::{ChannelState, Resolved, Target};
use wavestack_domain::chat::{ChatEvent, ReceiveChatMessage};
use wavestack_domain::chat_command::{Prepared, RefusalReason};
use wavestack_domain::metadata::EventMetadata;
use wavestack_domain::value::{Account, ActorId, Builtin, UserLevel};

use super::{giveaways, links, polls};
use crate::brain::Whisper;
use crate::state::AppState;

fn answer(reply: String) -> Prepared {
    Prepared::Answer { reply }
}

fn refuse(detail: &str, reply: String) -> Prepared {
    Prepared::Refuse { reason: RefusalReason::Invalid, detail: detail.to_owned(), reply: Some(reply) }
}

pub(crate) async fn prepare(
    state: &AppState,
    metadata: &EventMetadata,
    settings: &ChannelState,
    m: &ReceiveChatMessage,
    resolved: &Resolved,
    level: UserLevel,
    events: &[ChatEvent],
) -> anyhow::Result<(Prepared, Vec<Whisper>)> {
    let Target::Builtin(builtin) = resolved.target else { anyhow::bail!("not a community built-in") };
    if level < resolved.min_level {
        let refused = Prepared::Refuse { reason: RefusalReason::Level, detail: "needs moderator".into(), reply: None };
        return Ok((refused, Vec::new()));
    }
    let who = &m.author;
    let account = Account::new(m.viewer.platform, m.viewer.user_id.clone());
    // The moderator, or the viewer linking, acts through the bot.
    let actor = ActorId::parse(format!("{}:{}", m.viewer.platform, m.viewer.user_id))?;
    let by_viewer = EventMetadata { actor, ..metadata.clone() };
    let prepared = match builtin {
        Builtin::Join => match giveaways::join(state, &by_viewer, settings, m, level, events).await? {
            Ok(()) => answer(String::new()),
            Err(reply) => refuse("entry refused", reply),
        },
        Builtin::Giveaway => answer(giveaways::from_chat(state, &by_viewer, settings, m, &resolved.args).await?),
        Builtin::Poll => answer(polls::from_chat(state, &by_viewer, settings, m, &resolved.args).await?),
        Builtin::Vote => match polls::vote(state, &by_viewer, settings, m, &resolved.args).await? {
            Ok(()) => answer(String::new()),
            Err(reply) => refuse("vote refused", reply),
        },
        Builtin::Link => {
            return match links::issue(state, &by_viewer, &account, m.sent_at).await {
                Ok(code) => {
                    let prefix = settings.prefix().as_str();
                    let whisper = Whisper {
                        to_user_id: m.viewer.user_id.to_string(),
                        text: format!(
                            "Your link code is {code}. Type {prefix}verify {code} from your account on another platform within 10 minutes."
                        ),
                        in_reply_to: m.message_id.to_string(),
                    };
                    Ok((answer(format!("@{who}, I have sent you a link code privately")), vec![whisper]))
                }
                Err(failure) => Ok((refuse("link refused", format!("@{who}, {}", failure.reply()?)), Vec::new())),
            };
        }
        Builtin::Verify => {
            let code = resolved.args.split_whitespace().next().unwrap_or("");
            match links::verify(state, &by_viewer, &account, code, m.sent_at).await {
                Ok(accounts) => {
                    let names: Vec<String> = accounts.iter().map(ToString::to_string).collect();
                    answer(format!("@{who}, linked: {}", names.join(", ")))
                }
                Err(failure) => refuse("verify refused", format!("@{who}, {}", failure.reply()?)),
            }
        }
        Builtin::Unlink => match links::unlink(state, &by_viewer, &account, m.sent_at).await {
            Ok(_) => answer(format!("@{who}, this account is no longer linked")),
            Err(failure) => refuse("unlink refused", format!("@{who}, {}", failure.reply()?)),
        },
        other => anyhow::bail!("{other} is not a community built-in"),
    };
    Ok((prepared, Vec::new()))
}
