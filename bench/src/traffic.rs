//! Realistic chat: many channels of different sizes, viewers drawn from a
//! skewed (Zipf) distribution so a few chat a lot and most rarely, a share
//! of `!commands`, and now and then a clip request or a publication.

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use rand_distr::{Distribution, Zipf};
use wavestack_api_types::chat::{BatchPost, ChatMessageBody, ChatPost};
use wavestack_api_types::clips::RequestClipBody;

#[derive(Debug, Clone)]
pub struct TrafficShape {
    pub channels: u64,
    pub viewers: u64,
    /// Zipf exponent of who speaks (1.0–1.2 fits chat).
    pub skew: f64,
    /// Share of messages that are `!commands`.
    pub command_share: f64,
    /// One clip request per this many messages (0: none).
    pub clip_every: u64,
    /// Chat of 1 to 6 words instead of one of a few phrases: what a filter
    /// for repeated messages sees of real chat.
    pub sentences: bool,
}

impl Default for TrafficShape {
    fn default() -> Self {
        Self { channels: 50, viewers: 20_000, skew: 1.1, command_share: 0.08, clip_every: 500, sentences: false }
    }
}

/// One request of the traffic.
#[derive(Debug, Clone, PartialEq)]
pub enum Request {
    Chat(ChatPost),
    Clip(RequestClipBody),
}

#[derive(Debug)]
pub struct Traffic {
    shape: TrafficShape,
    rng: StdRng,
    speakers: Zipf<f64>,
    sent: u64,
    /// Distinguishes runs, so message ids never collide with an earlier one.
    run: String,
}

const COMMANDS: [&str; 5] = ["!points", "!so shroud", "!clip 30", "!uptime", "!lurk"];
const WORDS: [&str; 12] =
    ["gg", "pog", "what a play", "LUL", "no way", "clip it", "hi chat", "W", "ez", "monkaS", "nice", "lets go"];

impl Traffic {
    pub fn new(shape: TrafficShape, seed: u64) -> Self {
        let speakers = Zipf::new(shape.viewers, shape.skew).expect("viewers ≥ 1 and skew > 0");
        Self { shape, rng: StdRng::seed_from_u64(seed), speakers, sent: 0, run: format!("{seed:x}") }
    }

    /// A viewer (1 = the chattiest) and the channel they chat in: viewers
    /// stay in one channel, and low-numbered channels get the most viewers.
    fn speaker(&mut self) -> (u64, u64) {
        let viewer = self.speakers.sample(&mut self.rng) as u64;
        let channel = (viewer * 2_654_435_761) % self.shape.channels.min(viewer.max(1) * 3);
        (viewer, channel)
    }

    pub fn next_message(&mut self) -> ChatMessageBody {
        self.sent += 1;
        let (viewer, channel) = self.speaker();
        let text = if self.rng.gen_bool(self.shape.command_share) {
            COMMANDS[self.rng.gen_range(0..COMMANDS.len())].to_owned()
        } else if self.shape.sentences {
            let words = self.rng.gen_range(1..=6);
            (0..words).map(|_| WORDS[self.rng.gen_range(0..WORDS.len())]).collect::<Vec<_>>().join(" ")
        } else {
            WORDS[self.rng.gen_range(0..WORDS.len())].to_owned()
        };
        ChatMessageBody {
            platform: "twitch".into(),
            channel: format!("channel{channel}"),
            user_id: format!("viewer{viewer}"),
            message_id: format!("{}-{}", self.run, self.sent),
            author: format!("Viewer {viewer}"),
            role: None,
            text,
            sent_at: None,
            emotes: None,
        }
    }

    pub fn next_request(&mut self) -> Request {
        if self.shape.clip_every > 0 && self.sent > 0 && self.sent.is_multiple_of(self.shape.clip_every) {
            self.sent += 1;
            let (_, channel) = self.speaker();
            return Request::Clip(RequestClipBody {
                channel: format!("channel{channel}"),
                source: "vods/bench.mkv".into(),
                start_seconds: f64::from(self.rng.gen_range(0..3600)),
                duration_seconds: 30.0,
                container: None,
                reencode: false,
                title: "bench clip".into(),
            });
        }
        Request::Chat(ChatPost::Single(self.next_message()))
    }

    pub fn batch(&mut self, size: usize) -> ChatPost {
        ChatPost::Batch(BatchPost { messages: (0..size).map(|_| self.next_message()).collect() })
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::*;

    #[test]
    fn a_few_viewers_speak_most() {
        let mut traffic = Traffic::new(TrafficShape::default(), 1);
        let mut by_viewer: HashMap<String, u64> = HashMap::new();
        for _ in 0..20_000 {
            let message = traffic.next_message();
            *by_viewer.entry(message.user_id).or_default() += 1;
        }
        let mut counts: Vec<u64> = by_viewer.into_values().collect();
        counts.sort_unstable_by(|a, b| b.cmp(a));
        let top_hundred: u64 = counts.iter().take(100).sum();
        assert!(top_hundred > 20_000 / 3, "the 100 chattiest send over a third: {top_hundred}");
        assert!(counts.len() > 2_000, "and many others speak: {}", counts.len());
    }

    #[test]
    fn commands_and_clips_come_in_their_share() {
        let mut traffic = Traffic::new(TrafficShape::default(), 2);
        let (mut commands, mut clips, mut ids) = (0, 0, std::collections::HashSet::new());
        for _ in 0..10_000 {
            match traffic.next_request() {
                Request::Chat(ChatPost::Single(m)) => {
                    commands += u32::from(m.text.starts_with('!'));
                    assert!(ids.insert(m.message_id), "ids are unique");
                }
                Request::Chat(ChatPost::Batch(_)) => unreachable!("next_request sends single messages"),
                Request::Clip(_) => clips += 1,
            }
        }
        assert!((600..1000).contains(&commands), "{commands}");
        assert_eq!(clips, 19);
    }
}
