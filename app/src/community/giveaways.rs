//! Giveaways: open in one or more channels (the seed made and committed
//! to), enter with the keyword, close, draw with the seed revealed,
//! redraw, cancel with every price given back.

use crate::settlement::community as settlement;
use wavestack_domain::channel::{ChannelCommand, ChannelState};
use wavestack_domain::chat::{ChatCommand, ChatEvent, PointsRefusal};
use wavestack_domain::giveaway::{
    EnterGiveaway, GiveawayCommand, GiveawayEvent, GiveawayRules, GiveawayState, OpenGiveaway,
};
use wavestack_domain::metadata::EventMetadata;
use wavestack_domain::value::{
    Account, ChannelRef, ChannelStreamId, GiveawayId, GiveawayStreamId, Role, Timestamp, UserLevel,
};

use super::announce::{announce, Announcement};
use super::chat_verb::{said, ChatVerb};
use super::failure::{self, from_command, Failure, Refusal};
use crate::builtins::Asked;
use crate::App;

#[derive(Debug)]
pub struct Opening {
    pub title: String,
    pub channels: Vec<ChannelRef>,
    pub rules: GiveawayRules,
    pub at: Timestamp,
}

/// A step done: the giveaway after it, and the stream's sequence.
#[derive(Debug)]
pub struct Done {
    pub giveaway_id: GiveawayId,
    pub state: GiveawayState,
    pub sequence: u64,
    pub events: Vec<GiveawayEvent>,
}

fn stream(metadata: &EventMetadata, id: GiveawayId) -> GiveawayStreamId {
    GiveawayStreamId::new(&metadata.org, id)
}

async fn settings(app: &App, metadata: &EventMetadata, channel: &ChannelRef) -> Result<ChannelState, Failure> {
    let stream = ChannelStreamId::new(&metadata.org, channel.platform, &channel.channel);
    app.bus.channel.load(stream.as_str()).await.map_err(|e| from_command(e, failure::channel))
}

async fn run(app: &App, metadata: &EventMetadata, id: GiveawayId, command: GiveawayCommand) -> Result<Done, Failure> {
    let stream = stream(metadata, id);
    let written = app
        .bus
        .giveaway
        .execute_written(stream.as_str(), command, metadata)
        .await
        .map_err(|e| from_command(e, failure::giveaway))?;
    let after = app.bus.giveaway.load(stream.as_str()).await.map_err(|e| from_command(e, failure::giveaway))?;
    Ok(Done { giveaway_id: id, state: after, sequence: written.accepted.sequence, events: written.events })
}

/// Opens a giveaway in `channels`, each of which must have none running
/// (a finished one is let go).
pub async fn open(app: &App, metadata: &EventMetadata, o: Opening) -> Result<Done, Failure> {
    let id = GiveawayId::new_random();
    // The finished giveaway each channel lets go, read once here.
    let mut finished = Vec::with_capacity(o.channels.len());
    for channel in &o.channels {
        let settings = settings(app, metadata, channel).await?;
        finished.push(settings.giveaway().map(|(running, _)| *running));
        if let Some((running, _)) = settings.giveaway() {
            let running_state = app
                .bus
                .giveaway
                .load(stream(metadata, *running).as_str())
                .await
                .map_err(|e| from_command(e, failure::giveaway))?;
            if running_state.open_at(o.at) {
                return Err(failure::channel(wavestack_domain::channel::ChannelError::GiveawayRunning));
            }
        }
        if settings.builtin_named(&o.rules.keyword).is_some() || settings.command(&o.rules.keyword).is_some() {
            return Err(failure::channel(wavestack_domain::channel::ChannelError::KeywordTaken(
                o.rules.keyword.clone(),
            )));
        }
    }
    let seed = app.seeds.seed_for(&stream(metadata, id)).await?;
    let opening = OpenGiveaway {
        giveaway_id: id,
        title: o.title,
        channels: o.channels.clone(),
        rules: o.rules.clone(),
        commitment: seed.commitment(),
        at: o.at,
    };
    let done = run(app, metadata, id, GiveawayCommand::Open(opening)).await?;
    // Ending one that is no longer running changes nothing (`EndGiveaway`).
    for (channel, finished) in o.channels.iter().zip(finished) {
        let at = ChannelStreamId::new(&metadata.org, channel.platform, &channel.channel);
        if let Some(finished) = finished {
            let end = ChannelCommand::EndGiveaway { giveaway_id: finished };
            app.bus.channel.execute(at.as_str(), end, metadata).await.map_err(|e| from_command(e, failure::channel))?;
        }
        let start = ChannelCommand::StartGiveaway { giveaway_id: id, keyword: o.rules.keyword.clone() };
        app.bus.channel.execute(at.as_str(), start, metadata).await.map_err(|e| from_command(e, failure::channel))?;
    }
    Ok(done)
}

pub async fn close(app: &App, metadata: &EventMetadata, id: GiveawayId, at: Timestamp) -> Result<Done, Failure> {
    run(app, metadata, id, GiveawayCommand::Close { at }).await
}

/// Draws `count` winners with the seed committed to at open, and
/// announces them in the giveaway's channels but `quiet` (where a chat
/// reply says it already).
pub async fn draw(
    app: &App,
    metadata: &EventMetadata,
    id: GiveawayId,
    count: u32,
    at: Timestamp,
    quiet: Option<&ChannelRef>,
) -> Result<Done, Failure> {
    let giveaway = stream(metadata, id);
    let Some(seed) = app.seeds.seed_of(&giveaway).await? else {
        return Err(failure::giveaway(wavestack_domain::giveaway::GiveawayError::Unknown));
    };
    // The first redraw's seed, fixed by this draw's commitment to it.
    let next_commitment = app.seeds.round_seed_for(&giveaway, 1).await?.commitment();
    let done = run(app, metadata, id, GiveawayCommand::Draw { count, seed, next_commitment, at }).await?;
    announce_winners(app, metadata, &done, quiet).await?;
    Ok(done)
}

pub async fn redraw(
    app: &App,
    metadata: &EventMetadata,
    id: GiveawayId,
    replace: Account,
    at: Timestamp,
    quiet: Option<&ChannelRef>,
) -> Result<Done, Failure> {
    // This round's seed, committed by the draw before; the next one's, now.
    // (Two redraws at once: the second finds its round taken and is
    // refused, its seed no longer the committed one.)
    let giveaway = stream(metadata, id);
    let round =
        app.bus.giveaway.load(giveaway.as_str()).await.map_err(|e| from_command(e, failure::giveaway))?.rounds();
    let seed = app.seeds.round_seed_of(&giveaway, round).await?;
    let next_commitment = app.seeds.round_seed_for(&giveaway, round + 1).await?.commitment();
    let command = GiveawayCommand::Redraw { replace, seed, next_commitment, at };
    let done = run(app, metadata, id, command).await?;
    announce_winners(app, metadata, &done, quiet).await?;
    Ok(done)
}

/// Cancels and gives every entry's price back (the settler repeats it).
pub async fn cancel(app: &App, metadata: &EventMetadata, id: GiveawayId, at: Timestamp) -> Result<Done, Failure> {
    let done = run(app, metadata, id, GiveawayCommand::Cancel { at }).await?;
    settlement::refund_cancelled(&app.bus, &metadata.org, id, &done.state, metadata)
        .await
        .map_err(|e| Failure::Broken(anyhow::anyhow!("{}", wavestack_adapters::error_chain(&e))))?;
    Ok(done)
}

/// `Winners: ada, bob` for the round just drawn.
pub fn winners_text(done: &Done) -> String {
    let names: Vec<String> = done
        .events
        .iter()
        .filter_map(|e| match e {
            GiveawayEvent::WinnersDrawn(d) => Some(d.winners.iter().map(|w| format!("@{}", w.author))),
            _ => None,
        })
        .flatten()
        .collect();
    let title = done.state.opened().map(|o| o.title.as_str()).unwrap_or_default();
    if title.is_empty() {
        format!("The giveaway's winner: {}", names.join(", "))
    } else {
        format!("{title}: the winner is {}", names.join(", "))
    }
}

async fn announce_winners(
    app: &App,
    metadata: &EventMetadata,
    done: &Done,
    quiet: Option<&ChannelRef>,
) -> Result<(), Failure> {
    let Some(opened) = done.state.opened() else { return Ok(()) };
    let at = done.events.iter().find_map(|e| match e {
        GiveawayEvent::WinnersDrawn(d) => Some(d.drawn_at),
        _ => None,
    });
    let Some(at) = at else { return Ok(()) };
    for channel in opened.channels.iter().filter(|c| Some(*c) != quiet) {
        let a = Announcement { channel, key: "community.announce", command: "giveaway", text: winners_text(done), at };
        announce(app, metadata, a).await.map_err(|e| Failure::Broken(e.into()))?;
    }
    Ok(())
}

/// What `!join` asks of the viewer's points, decided before the message
/// is written: the price, only when the entry would be taken.
pub(crate) async fn entry_price(asked: &Asked<'_>) -> anyhow::Result<Option<(GiveawayId, u64)>> {
    let (app, metadata, m) = (asked.app, asked.metadata, asked.message);
    let Some((id, _)) = asked.settings.giveaway() else { return Ok(None) };
    let giveaway = app.bus.giveaway.load(stream(metadata, *id).as_str()).await?;
    let Some(opened) = giveaway.opened() else { return Ok(None) };
    let person = asked.person().await?;
    let takes = giveaway.open_at(m.sent_at) && !giveaway.has_entered(person) && asked.level >= opened.rules.min_level;
    Ok((takes && opened.rules.cost > 0).then_some((*id, opened.rules.cost)))
}

/// `!join` (the giveaway's keyword): the entry, or why not. Silent when
/// taken, as the peers' giveaways are; a refusal is a reply.
pub(crate) async fn join(asked: &Asked<'_>, events: &[ChatEvent]) -> anyhow::Result<Result<(), String>> {
    let (app, m, level, who) = (asked.app, asked.message, asked.level, asked.who());
    // The viewer enters through the bot.
    let metadata = &asked.by_author()?;
    let Some((id, _)) = asked.settings.giveaway() else {
        return Ok(Err(format!("@{who}, there is no giveaway running")));
    };
    let refused = events.iter().find_map(|e| match e {
        ChatEvent::PointsRequestRefused(r) => Some(r.clone()),
        _ => None,
    });
    if let Some(r) = refused {
        return Ok(Err(match r.reason {
            PointsRefusal::AlreadyPaid => format!("@{who}, you have already entered"),
            _ => format!("@{who}, entering costs {} points; you have {}", r.points, r.balance),
        }));
    }
    let paid = events
        .iter()
        .find_map(|e| match e {
            ChatEvent::EntryPaid(p) => Some(p.points),
            _ => None,
        })
        .unwrap_or(0);
    let enter = EnterGiveaway {
        person: asked.person().await?.clone(),
        account: asked.account(),
        channel: ChannelRef::new(m.viewer.platform, m.viewer.channel.clone()),
        author: m.author.clone(),
        message_id: m.message_id.clone(),
        level,
        subscriber: m.role == Role::Subscriber,
        paid,
        at: m.sent_at,
    };
    match run(app, metadata, *id, GiveawayCommand::Enter(enter)).await {
        Ok(_) => Ok(Ok(())),
        Err(failure) => {
            if paid > 0 {
                let payer = m.viewer.stream_id(&metadata.org);
                app.bus.chat.execute(&payer, ChatCommand::RefundEntry { giveaway_id: *id }, metadata).await?;
            }
            Ok(Err(format!("@{who}, {}", failure.reply()?)))
        }
    }
}

/// `!giveaway open|close|draw|redraw|cancel …`, moderators only.
pub(crate) async fn from_chat(asked: &Asked<'_>) -> anyhow::Result<String> {
    let (app, m, settings) = (asked.app, asked.message, asked.settings);
    let ChatVerb { verb, rest, here, metadata } = ChatVerb::of(asked)?;
    let (metadata, rest) = (&metadata, rest.split_whitespace().collect::<Vec<_>>());
    let current = settings.giveaway().map(|(id, _)| *id);
    let outcome = match (verb.as_str(), current) {
        ("open", _) => match parse_opening(&rest, here.clone(), m.sent_at) {
            Ok(opening) => {
                let keyword = opening.rules.keyword.clone();
                let prefix = settings.prefix().as_str().to_owned();
                open(app, metadata, opening).await.map(|done| {
                    let cost = done.state.opened().map(|o| o.rules.cost).unwrap_or(0);
                    let price = if cost > 0 { format!(" ({cost} points)") } else { String::new() };
                    format!("A giveaway is open: type {prefix}{} to enter{price}", keyword.as_str())
                })
            }
            Err(usage) => Err(Failure::refused(Refusal::Invalid, "invalid", None, usage)),
        },
        (_, None) if matches!(verb.as_str(), "close" | "draw" | "redraw" | "cancel") => {
            Err(Failure::refused(Refusal::NotFound, "unknown_giveaway", None, "there is no giveaway here"))
        }
        ("close", Some(id)) => close(app, metadata, id, m.sent_at)
            .await
            .map(|done| format!("The giveaway is closed with {} entries", done.state.entries().len())),
        ("draw", Some(id)) => match rest.first().map(|n| n.parse::<u32>()).unwrap_or(Ok(1)) {
            Ok(count) => draw(app, metadata, id, count, m.sent_at, Some(&here)).await.map(|done| winners_text(&done)),
            Err(_) => Err(Failure::refused(Refusal::Invalid, "invalid", None, "usage: !giveaway draw [count]")),
        },
        ("redraw", Some(id)) => {
            let name = rest.first().map(|n| n.trim_start_matches('@')).unwrap_or("");
            let giveaway = app.bus.giveaway.load(stream(metadata, id).as_str()).await?;
            let winner = giveaway.entries().iter().find(|e| e.won && e.author.as_str().eq_ignore_ascii_case(name));
            match winner {
                Some(entry) => redraw(app, metadata, id, entry.person.clone(), m.sent_at, Some(&here))
                    .await
                    .map(|done| format!("Redrawn for {name}. {}", winners_text(&done))),
                None => Err(Failure::refused(Refusal::Invalid, "not_a_winner", None, format!("{name} is not a winner"))),
            }
        }
        ("cancel", Some(id)) => cancel(app, metadata, id, m.sent_at).await.map(|done| {
            let refunds = done.state.entries().iter().filter(|e| e.paid > 0).count();
            format!("The giveaway is cancelled; {refunds} entries get their points back")
        }),
        _ => Err(Failure::refused(
            Refusal::Invalid,
            "invalid",
            None,
            "usage: !giveaway open [!keyword] [-cost=N] [-ul=level] [-luck=N] [-minutes=N] [title] | close | draw [N] | redraw @winner | cancel",
        )),
    };
    said(asked.who(), outcome)
}

/// `[!keyword] [-cost=N] [-ul=level] [-luck=N] [-minutes=N] [title…]`
fn parse_opening(words: &[&str], here: ChannelRef, at: Timestamp) -> Result<Opening, String> {
    let usage = || "usage: !giveaway open [!keyword] [-cost=N] [-ul=level] [-luck=N] [-minutes=N] [title]".to_owned();
    let mut rules = GiveawayRules {
        keyword: wavestack_domain::value::CommandName::parse("join").expect("a valid name"),
        cost: 0,
        min_level: UserLevel::Everyone,
        subscriber_luck: 1,
        closes_at: None,
    };
    let mut title = Vec::new();
    for (i, word) in words.iter().enumerate() {
        if let Some(option) = word.strip_prefix('-') {
            let (key, value) = option.split_once('=').ok_or_else(usage)?;
            match key {
                "cost" => rules.cost = value.parse().map_err(|_| usage())?,
                "ul" => rules.min_level = UserLevel::parse_nightbot(value).map_err(|e| format!("-ul {e}"))?,
                "luck" => rules.subscriber_luck = value.parse().map_err(|_| usage())?,
                "minutes" => {
                    let minutes: i64 = value.parse().map_err(|_| usage())?;
                    rules.closes_at = Some(at.plus(time::Duration::minutes(minutes)));
                }
                _ => return Err(usage()),
            }
        } else if i == 0 && word.starts_with('!') {
            rules.keyword =
                wavestack_domain::value::CommandName::parse(*word).map_err(|e| format!("the keyword {e}"))?;
        } else {
            title.push(*word);
        }
    }
    Ok(Opening { title: title.join(" "), channels: vec![here], rules, at })
}
