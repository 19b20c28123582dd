use super::command::{EnterGiveaway, GiveawayCommand, OpenGiveaway};
use super::draw::{pick_winners, Seed};
use super::error::GiveawayError;
use super::event::*;
use super::state::{GiveawayState, Phase, MAX_ENTRIES, MAX_LUCK, MAX_WINNERS};
use crate::aggregate::Decider;
use crate::channel::MAX_COST;
use crate::value::{Account, Timestamp};

/// Longest title, in characters.
pub const MAX_TITLE_CHARS: usize = 200;
/// Most channels one giveaway runs in.
pub const MAX_CHANNELS: usize = 10;

impl Decider for GiveawayState {
    type Command = GiveawayCommand;
    type Event = GiveawayEvent;
    type Error = GiveawayError;
    type Policy = ();

    fn decide(&self, command: GiveawayCommand, _: &()) -> Result<Vec<GiveawayEvent>, GiveawayError> {
        match command {
            GiveawayCommand::Open(open) => self.open(open),
            GiveawayCommand::Enter(enter) => self.enter(enter).map(|e| vec![e]),
            GiveawayCommand::Close { at } => {
                self.running()?;
                Ok(match self.phase {
                    Phase::Open => vec![self.closed(at)],
                    _ => vec![],
                })
            }
            GiveawayCommand::Draw { count, seed, next_commitment, at } => self.draw(count, seed, next_commitment, at),
            GiveawayCommand::Redraw { replace, seed, next_commitment, at } => {
                self.redraw(replace, seed, next_commitment, at)
            }
            GiveawayCommand::Cancel { at } => {
                self.running()?;
                if self.phase == Phase::Drawn {
                    return Err(GiveawayError::Invalid {
                        field: "giveaway",
                        reason: "is drawn; it cannot be cancelled",
                    });
                }
                let refunds = self.entries.iter().filter(|e| e.paid > 0).count() as u32;
                Ok(vec![GiveawayEvent::GiveawayCancelled(GiveawayCancelled { refunds, cancelled_at: at })])
            }
            GiveawayCommand::Abandon { message_id, account, at } => {
                if self.has_entry(&message_id) || self.abandoned.contains(&message_id) {
                    return Ok(vec![]);
                }
                Ok(vec![GiveawayEvent::EntryAbandoned(EntryAbandoned { message_id, account, at })])
            }
        }
    }

    fn evolve(&mut self, event: &GiveawayEvent) {
        GiveawayState::evolve(self, event);
    }
}

impl GiveawayState {
    /// Refuses what only a running (opened, not cancelled) giveaway does.
    fn running(&self) -> Result<(), GiveawayError> {
        match self.phase {
            Phase::New => Err(GiveawayError::Unknown),
            Phase::Cancelled => Err(GiveawayError::Cancelled),
            _ => Ok(()),
        }
    }

    fn closed(&self, at: Timestamp) -> GiveawayEvent {
        GiveawayEvent::GiveawayClosed(GiveawayClosed { entries: self.entries.len() as u32, closed_at: at })
    }

    fn open(&self, open: OpenGiveaway) -> Result<Vec<GiveawayEvent>, GiveawayError> {
        if self.phase != Phase::New {
            // The same opening again (a retried request) changes nothing.
            return match &self.opened {
                Some(o) if o.giveaway_id == open.giveaway_id && o.commitment == open.commitment => Ok(vec![]),
                _ => Err(GiveawayError::AlreadyOpen),
            };
        }
        let rules = &open.rules;
        if open.title.chars().count() > MAX_TITLE_CHARS {
            return Err(GiveawayError::OutOfRange { field: "title", min: 0, max: MAX_TITLE_CHARS as u64 });
        }
        if open.channels.is_empty() || open.channels.len() > MAX_CHANNELS {
            return Err(GiveawayError::OutOfRange { field: "channels", min: 1, max: MAX_CHANNELS as u64 });
        }
        if rules.cost > MAX_COST {
            return Err(GiveawayError::OutOfRange { field: "cost", min: 0, max: MAX_COST });
        }
        if !(1..=MAX_LUCK).contains(&rules.subscriber_luck) {
            return Err(GiveawayError::OutOfRange { field: "subscriber_luck", min: 1, max: u64::from(MAX_LUCK) });
        }
        if rules.closes_at.is_some_and(|closes| closes <= open.at) {
            return Err(GiveawayError::Invalid { field: "closes_at", reason: "must be in the future" });
        }
        if open.commitment.len() != 64 || !open.commitment.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(GiveawayError::Invalid { field: "commitment", reason: "must be 64 hex digits" });
        }
        Ok(vec![GiveawayEvent::GiveawayOpened(GiveawayOpened {
            giveaway_id: open.giveaway_id,
            title: open.title,
            channels: open.channels,
            rules: open.rules,
            commitment: open.commitment.to_ascii_lowercase(),
            opened_at: open.at,
        })])
    }

    fn enter(&self, e: EnterGiveaway) -> Result<GiveawayEvent, GiveawayError> {
        self.running()?;
        let opened = self.opened.as_ref().ok_or(GiveawayError::Unknown)?;
        if self.abandoned.contains(&e.message_id) || !self.open_at(e.at) {
            return Err(GiveawayError::Closed);
        }
        if !opened.channels.contains(&e.channel) {
            return Err(GiveawayError::Unknown);
        }
        if self.people.contains(&e.person) || self.messages.contains(&e.message_id) {
            return Err(GiveawayError::AlreadyEntered);
        }
        if e.level < opened.rules.min_level {
            return Err(GiveawayError::Level(opened.rules.min_level));
        }
        if self.entries.len() >= MAX_ENTRIES {
            return Err(GiveawayError::Full { max: MAX_ENTRIES });
        }
        let weight = if e.subscriber { opened.rules.subscriber_luck } else { 1 };
        Ok(GiveawayEvent::EntryAccepted(EntryAccepted {
            person: e.person,
            account: e.account,
            channel: e.channel,
            author: e.author,
            message_id: e.message_id,
            weight,
            paid: e.paid,
            entered_at: e.at,
        }))
    }

    fn check_seed(&self, seed: &Seed) -> Result<(), GiveawayError> {
        let opened = self.opened.as_ref().ok_or(GiveawayError::Unknown)?;
        if seed.commitment() != opened.commitment {
            return Err(GiveawayError::SeedMismatch);
        }
        Ok(())
    }

    fn draw(
        &self,
        count: u32,
        seed: Seed,
        next_commitment: String,
        at: Timestamp,
    ) -> Result<Vec<GiveawayEvent>, GiveawayError> {
        self.running()?;
        if !(1..=MAX_WINNERS).contains(&count) {
            return Err(GiveawayError::OutOfRange { field: "count", min: 1, max: u64::from(MAX_WINNERS) });
        }
        self.check_seed(&seed)?;
        let drawn = self.drawn(count, seed, None, commitment(next_commitment)?, at)?;
        let mut events = Vec::new();
        if self.phase == Phase::Open {
            events.push(self.closed(at));
        }
        events.push(drawn);
        Ok(events)
    }

    fn redraw(
        &self,
        replace: Account,
        seed: Option<Seed>,
        next_commitment: String,
        at: Timestamp,
    ) -> Result<Vec<GiveawayEvent>, GiveawayError> {
        self.running()?;
        if self.phase != Phase::Drawn {
            return Err(GiveawayError::StillOpen);
        }
        if !self.winners.contains(&replace) {
            return Err(GiveawayError::NotAWinner(replace.to_string()));
        }
        let seed = match (&self.next_commitment, seed) {
            // Reusing the seed the last draw revealed, anyone could compute
            // the redraw (and a moderator choose whom to replace to steer it).
            (Some(committed), Some(seed)) if seed.commitment() == *committed => seed,
            (Some(_), _) => return Err(GiveawayError::SeedMismatch),
            // Drawn before rounds had their own seeds: the revealed one, as
            // then; this redraw commits the next round's.
            (None, _) => self.seed.as_deref().and_then(Seed::parse_hex).ok_or(GiveawayError::SeedMismatch)?,
        };
        Ok(vec![self.drawn(1, seed, Some(replace), commitment(next_commitment)?, at)?])
    }

    fn drawn(
        &self,
        count: u32,
        seed: Seed,
        replaces: Option<Account>,
        next_commitment: String,
        at: Timestamp,
    ) -> Result<GiveawayEvent, GiveawayError> {
        let pool: Vec<(u64, bool)> = self.entries.iter().map(|e| (u64::from(e.weight), !e.won)).collect();
        let picked = pick_winners(&seed, self.rounds, count, &pool);
        if picked.is_empty() {
            return Err(GiveawayError::NobodyToDraw);
        }
        let winners = picked
            .into_iter()
            .map(|index| {
                let e = &self.entries[index];
                Winner {
                    entry: index as u32,
                    person: e.person.clone(),
                    account: e.account.clone(),
                    author: e.author.clone(),
                }
            })
            .collect();
        Ok(GiveawayEvent::WinnersDrawn(WinnersDrawn {
            round: self.rounds,
            seed: seed.to_hex(),
            replaces,
            winners,
            drawn_at: at,
            next_commitment: Some(next_commitment),
        }))
    }
}

/// A commitment as the log keeps it: 64 lower-case hex digits.
fn commitment(hex: String) -> Result<String, GiveawayError> {
    if hex.len() != 64 || !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(GiveawayError::Invalid { field: "next_commitment", reason: "must be 64 hex digits" });
    }
    Ok(hex.to_ascii_lowercase())
}
