//! What a channel's audience gives (follows, subs, gifts, cheers, raids,
//! redemptions) and what the channel pays back in points for it.

use serde::{Deserialize, Serialize};

use super::ValueError;

super::closed_enum!(
    /// One kind of support, as alerts, analytics and payouts tell them apart.
    SupportKind {
        Follow => "follow",
        Sub => "sub",
        Resub => "resub",
        Gift => "gift",
        Cheer => "cheer",
        Raid => "raid",
        Redemption => "redemption",
    }
);

super::closed_enum!(
    /// A subscription's tier (Twitch's `1000`, `2000`, `3000`; Prime counts as tier 1).
    SubTier {
        One => "1",
        Two => "2",
        Three => "3",
    }
);

impl SubTier {
    /// Twitch's spelling: `1000`, `2000`, `3000`.
    pub fn from_twitch(raw: &str) -> Result<Self, ValueError> {
        match raw {
            "1000" | "prime" | "Prime" => Ok(SubTier::One),
            "2000" => Ok(SubTier::Two),
            "3000" => Ok(SubTier::Three),
            _ => Err(ValueError::UnknownVariant { allowed: "1000 2000 3000" }),
        }
    }
}

/// Points a channel pays for support. Integers throughout; 0 pays nothing.
/// Changed only by `SupportPolicyChanged`, an event with its actor, so a
/// replay pays exactly what was paid.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SupportPolicy {
    pub per_follow: u64,
    pub per_sub_tier1: u64,
    pub per_sub_tier2: u64,
    pub per_sub_tier3: u64,
    /// Paid per whole 100 bits cheered.
    pub per_100_bits: u64,
    /// Paid to the raiding broadcaster per viewer brought.
    pub per_raid_viewer: u64,
}

impl SupportPolicy {
    /// Each rate's ceiling.
    pub const MAX_RATE: u64 = 1_000_000;
    /// One payout's ceiling, whatever the raid's size or the gift's count.
    pub const MAX_PAYOUT: u64 = 1_000_000_000;

    /// The policy's first out-of-range field, if any.
    pub fn out_of_range(&self) -> Option<(&'static str, ValueError)> {
        let fields = [
            ("per_follow", self.per_follow),
            ("per_sub_tier1", self.per_sub_tier1),
            ("per_sub_tier2", self.per_sub_tier2),
            ("per_sub_tier3", self.per_sub_tier3),
            ("per_100_bits", self.per_100_bits),
            ("per_raid_viewer", self.per_raid_viewer),
        ];
        fields
            .into_iter()
            .find(|(_, rate)| *rate > Self::MAX_RATE)
            .map(|(name, _)| (name, ValueError::OutOfRange { min: 0, max: Self::MAX_RATE as i64 }))
    }

    pub fn per_sub(&self, tier: SubTier) -> u64 {
        match tier {
            SubTier::One => self.per_sub_tier1,
            SubTier::Two => self.per_sub_tier2,
            SubTier::Three => self.per_sub_tier3,
        }
    }

    /// What one piece of support pays its giver: `amount` is the kind's
    /// count (gifted subs, bits, raid viewers; ignored for the others).
    /// A gifted sub pays its gifter (in the gift), never its receiver; a
    /// redemption is paid for in the platform's own points.
    pub fn payout(&self, kind: SupportKind, tier: Option<SubTier>, amount: u64, gifted: bool) -> u64 {
        let per_sub = tier.map_or(0, |t| self.per_sub(t));
        let points = match kind {
            SupportKind::Follow => self.per_follow,
            SupportKind::Sub if gifted => 0,
            SupportKind::Sub | SupportKind::Resub => per_sub,
            SupportKind::Gift => per_sub.saturating_mul(amount),
            SupportKind::Cheer => self.per_100_bits.saturating_mul(amount / 100),
            SupportKind::Raid => self.per_raid_viewer.saturating_mul(amount),
            SupportKind::Redemption => 0,
        };
        points.min(Self::MAX_PAYOUT)
    }
}

#[cfg(test)]
impl SupportPolicy {
    /// The rates the domain's tests pay by.
    pub(crate) fn example() -> Self {
        SupportPolicy {
            per_follow: 10,
            per_sub_tier1: 100,
            per_sub_tier2: 200,
            per_sub_tier3: 500,
            per_100_bits: 5,
            per_raid_viewer: 2,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn policy() -> SupportPolicy {
        SupportPolicy::example()
    }

    #[test]
    fn each_kind_pays_per_its_rate() {
        let p = policy();
        assert_eq!(p.payout(SupportKind::Follow, None, 1, false), 10);
        assert_eq!(p.payout(SupportKind::Sub, Some(SubTier::Two), 1, false), 200);
        assert_eq!(p.payout(SupportKind::Sub, Some(SubTier::Two), 1, true), 0, "the gifter is paid, in the gift");
        assert_eq!(p.payout(SupportKind::Resub, Some(SubTier::Three), 7, false), 500);
        assert_eq!(p.payout(SupportKind::Gift, Some(SubTier::One), 5, false), 500);
        assert_eq!(p.payout(SupportKind::Cheer, None, 250, false), 10, "whole hundreds only");
        assert_eq!(p.payout(SupportKind::Raid, None, 42, false), 84);
        assert_eq!(p.payout(SupportKind::Redemption, None, 5_000, false), 0);
    }

    #[test]
    fn a_payout_is_capped_and_never_overflows() {
        let p = SupportPolicy { per_raid_viewer: SupportPolicy::MAX_RATE, ..policy() };
        assert_eq!(p.payout(SupportKind::Raid, None, u64::MAX, false), SupportPolicy::MAX_PAYOUT);
    }

    #[test]
    fn rates_are_bounded() {
        let p = SupportPolicy { per_100_bits: SupportPolicy::MAX_RATE + 1, ..policy() };
        assert_eq!(p.out_of_range().map(|(f, _)| f), Some("per_100_bits"));
        assert!(policy().out_of_range().is_none());
    }

    #[test]
    fn twitch_tiers_read() {
        assert_eq!(SubTier::from_twitch("1000"), Ok(SubTier::One));
        assert_eq!(SubTier::from_twitch("3000"), Ok(SubTier::Three));
        assert!(SubTier::from_twitch("4000").is_err());
    }
}
