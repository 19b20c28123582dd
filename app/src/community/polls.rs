//! Polls: open in channels, `!vote N|option`, close with the final counts
//! announced, cancel.

use wavestack_domain::channel::ChannelCommand;
use wavestack_domain::metadata::EventMetadata;
use wavestack_domain::poll::{CastVote, OpenPoll, PollCommand, PollError, PollEvent, PollState};
use wavestack_domain::value::{ChannelRef, ChannelStreamId, PollId, PollStreamId, Timestamp};

use super::announce::{announce, Announcement};
use super::chat_verb::{said, ChatVerb};
use super::failure::{self, from_command, Failure, Refusal};
use crate::builtins::Asked;
use crate::App;

#[derive(Debug)]
pub struct Done {
    pub poll_id: PollId,
    pub state: PollState,
    pub sequence: u64,
    pub events: Vec<PollEvent>,
}

fn stream(metadata: &EventMetadata, id: PollId) -> PollStreamId {
    PollStreamId::new(&metadata.org, id)
}

async fn run(app: &App, metadata: &EventMetadata, id: PollId, command: PollCommand) -> Result<Done, Failure> {
    let stream = stream(metadata, id);
    let written = app
        .bus
        .poll
        .execute_written(stream.as_str(), command, metadata)
        .await
        .map_err(|e| from_command(e, failure::poll))?;
    let after = app.bus.poll.load(stream.as_str()).await.map_err(|e| from_command(e, failure::poll))?;
    Ok(Done { poll_id: id, state: after, sequence: written.accepted.sequence, events: written.events })
}

/// Opens a poll in channels with none running (a finished one is let go).
pub async fn open(app: &App, metadata: &EventMetadata, mut o: OpenPoll) -> Result<Done, Failure> {
    o.poll_id = PollId::new_random();
    // The finished poll each channel lets go, read once here.
    let mut finished = Vec::with_capacity(o.channels.len());
    for channel in &o.channels {
        let at = ChannelStreamId::new(&metadata.org, channel.platform, &channel.channel);
        let settings = app.bus.channel.load(at.as_str()).await.map_err(|e| from_command(e, failure::channel))?;
        finished.push(settings.poll());
        if let Some(running) = settings.poll() {
            let running_state = app
                .bus
                .poll
                .load(stream(metadata, running).as_str())
                .await
                .map_err(|e| from_command(e, failure::poll))?;
            if running_state.open_at(o.at) {
                return Err(failure::channel(wavestack_domain::channel::ChannelError::PollRunning));
            }
        }
    }
    let id = o.poll_id;
    let channels = o.channels.clone();
    let done = run(app, metadata, id, PollCommand::Open(o)).await?;
    // Ending one that is no longer running changes nothing (`EndPoll`).
    for (channel, finished) in channels.iter().zip(finished) {
        let at = ChannelStreamId::new(&metadata.org, channel.platform, &channel.channel);
        if let Some(finished) = finished {
            let end = ChannelCommand::EndPoll { poll_id: finished };
            app.bus.channel.execute(at.as_str(), end, metadata).await.map_err(|e| from_command(e, failure::channel))?;
        }
        let start = ChannelCommand::StartPoll { poll_id: id };
        app.bus.channel.execute(at.as_str(), start, metadata).await.map_err(|e| from_command(e, failure::channel))?;
    }
    Ok(done)
}

/// `Next game? Tetris 3, Doom 5`
pub fn results_text(state: &PollState) -> String {
    let Some(opened) = state.opened() else { return String::new() };
    let counts: Vec<String> =
        opened.options.iter().zip(state.counts()).map(|(option, count)| format!("{option} {count}")).collect();
    format!("{} {}", opened.question, counts.join(", "))
}

/// Closes with the final counts, announced in the poll's channels but
/// `quiet`.
pub async fn close(
    app: &App,
    metadata: &EventMetadata,
    id: PollId,
    at: Timestamp,
    quiet: Option<&ChannelRef>,
) -> Result<Done, Failure> {
    let done = run(app, metadata, id, PollCommand::Close { at }).await?;
    if let (Some(opened), false) = (done.state.opened(), done.events.is_empty()) {
        for channel in opened.channels.iter().filter(|c| Some(*c) != quiet) {
            let text = format!("Poll closed: {}", results_text(&done.state));
            let a = Announcement { channel, key: "community.announce", command: "poll", text, at };
            announce(app, metadata, a).await.map_err(|e| Failure::Broken(e.into()))?;
        }
    }
    Ok(done)
}

pub async fn cancel(app: &App, metadata: &EventMetadata, id: PollId, at: Timestamp) -> Result<Done, Failure> {
    run(app, metadata, id, PollCommand::Cancel { at }).await
}

/// `!vote N|option`: silent when counted; a refusal is a reply. A vote
/// after the end closes the poll first.
pub(crate) async fn vote(asked: &Asked<'_>) -> anyhow::Result<Result<(), String>> {
    let (app, m, settings, args, who) = (asked.app, asked.message, asked.settings, &asked.resolved.args, asked.who());
    // The viewer votes through the bot.
    let metadata = &asked.by_author()?;
    let Some(id) = settings.poll() else { return Ok(Err(format!("@{who}, there is no poll running"))) };
    let poll = app.bus.poll.load(stream(metadata, id).as_str()).await?;
    let Some(option) = poll.option_named(args) else {
        let options = poll.opened().map(|o| o.options.len()).unwrap_or(0);
        let given = args.trim().to_owned();
        return Ok(Err(format!("@{who}, {}", PollError::NoSuchOption { given, options })));
    };
    let cast = CastVote {
        person: asked.person().await?.clone(),
        account: asked.account(),
        channel: ChannelRef::new(m.viewer.platform, m.viewer.channel.clone()),
        option,
        at: m.sent_at,
    };
    match run(app, metadata, id, PollCommand::Vote(cast)).await {
        Ok(_) => Ok(Ok(())),
        Err(failure) => {
            let late = poll.phase() == wavestack_domain::poll::PollPhase::Open && !poll.open_at(m.sent_at);
            if late {
                close(app, metadata, id, m.sent_at, None).await.map_err(|f| anyhow::anyhow!("{f:?}"))?;
            }
            Ok(Err(format!("@{who}, {}", failure.reply()?)))
        }
    }
}

/// `!poll open <duration> [-change] question | option | option…`,
/// `!poll close`, `!poll cancel`; moderators only.
pub(crate) async fn from_chat(asked: &Asked<'_>) -> anyhow::Result<String> {
    let (app, m, settings) = (asked.app, asked.message, asked.settings);
    let ChatVerb { verb, rest, here, metadata } = ChatVerb::of(asked)?;
    let metadata = &metadata;
    let usage = "usage: !poll open <seconds|Nm> [-change] question | option | option… , !poll close, !poll cancel";
    let outcome = match (verb.as_str(), settings.poll()) {
        ("open", _) => match parse_opening(rest, here, m.sent_at) {
            Some(opening) => open(app, metadata, opening).await.map(|done| {
                let opened = done.state.opened().expect("just opened");
                let numbered: Vec<String> =
                    opened.options.iter().enumerate().map(|(i, o)| format!("{} {o}", i + 1)).collect();
                format!("Poll: {} Vote with !vote and a number: {}", opened.question, numbered.join(", "))
            }),
            None => Err(Failure::refused(Refusal::Invalid, "invalid", None, usage)),
        },
        ("close" | "cancel", None) => {
            Err(Failure::refused(Refusal::NotFound, "unknown_poll", None, "there is no poll here"))
        }
        ("close", Some(id)) => close(app, metadata, id, m.sent_at, Some(&here))
            .await
            .map(|done| format!("Poll closed: {}", results_text(&done.state))),
        ("cancel", Some(id)) => cancel(app, metadata, id, m.sent_at).await.map(|_| "The poll is cancelled".to_owned()),
        _ => Err(Failure::refused(Refusal::Invalid, "invalid", None, usage)),
    };
    said(asked.who(), outcome)
}

fn parse_opening(rest: &str, here: ChannelRef, at: Timestamp) -> Option<OpenPoll> {
    let (duration, rest) = rest.trim().split_once(' ')?;
    let duration_seconds = match duration.strip_suffix('m') {
        Some(minutes) => minutes.parse::<u32>().ok()?.checked_mul(60)?,
        None => duration.trim_end_matches('s').parse::<u32>().ok()?,
    };
    let (allow_change, rest) = match rest.trim().strip_prefix("-change") {
        Some(rest) => (true, rest),
        None => (false, rest),
    };
    let mut parts = rest.split('|').map(str::trim);
    let question = parts.next()?.to_owned();
    let options: Vec<String> = parts.map(str::to_owned).collect();
    Some(OpenPoll {
        poll_id: PollId::new_random(),
        question,
        options,
        channels: vec![here],
        duration_seconds,
        allow_change,
        at,
    })
}
