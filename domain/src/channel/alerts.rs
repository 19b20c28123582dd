//! How a channel's alerts overlay shows each kind of support: a template
//! per kind, on or off. Rendered here, so that the overlay shows text and
//! holds no rule.

use serde::{Deserialize, Serialize};

use crate::broadcast::SupportReceived;
use crate::value::{SupportKind, SupportPolicy};

/// The longest alert template.
pub const MAX_ALERT_TEMPLATE_CHARS: usize = 200;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AlertSettings {
    pub kind: SupportKind,
    /// `$(user)`, `$(amount)`, `$(tier)`, `$(message)`, `$(reward)` and
    /// `$(points)` are filled in from the support.
    pub template: String,
    pub enabled: bool,
}

impl AlertSettings {
    /// What a channel shows before it configures the kind.
    pub fn default_for(kind: SupportKind) -> Self {
        let template = match kind {
            SupportKind::Follow => "$(user) just followed!",
            SupportKind::Sub => "$(user) subscribed at tier $(tier)!",
            SupportKind::Resub => "$(user) resubscribed for $(amount) months! $(message)",
            SupportKind::Gift => "$(user) gifted $(amount) tier $(tier) subs!",
            SupportKind::Cheer => "$(user) cheered $(amount) bits! $(message)",
            SupportKind::Raid => "$(user) is raiding with $(amount) viewers!",
            SupportKind::Redemption => "$(user) redeemed $(reward)",
        };
        Self { kind, template: template.to_owned(), enabled: true }
    }

    /// The settings as they may be recorded: a template of 1 to 200
    /// characters, trimmed.
    pub fn checked(mut self) -> Result<Self, &'static str> {
        self.template = self.template.trim().to_owned();
        if self.template.is_empty() {
            return Err("is empty");
        }
        if self.template.chars().count() > MAX_ALERT_TEMPLATE_CHARS {
            return Err("is longer than 200 characters");
        }
        Ok(self)
    }

    /// The alert's text for one piece of support.
    pub fn render(&self, support: &SupportReceived) -> String {
        let user = support.user_name.as_ref().map_or("An anonymous viewer", |n| n.as_str());
        let tier = support.tier.map_or("", |t| t.as_str());
        let filled = self
            .template
            .replace("$(user)", user)
            .replace("$(amount)", &support.amount.to_string())
            .replace("$(tier)", tier)
            .replace("$(reward)", &support.reward)
            .replace("$(points)", &support.points.to_string())
            // Last: the viewer's own words may spell a variable.
            .replace("$(message)", &support.message);
        filled.trim().to_owned()
    }
}

/// The support policy and the alerts, as a channel holds them.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct SupportSettings {
    pub policy: SupportPolicy,
    /// Only the kinds a channel configured.
    pub alerts: std::collections::BTreeMap<SupportKind, AlertSettings>,
}

impl SupportSettings {
    pub fn alert(&self, kind: SupportKind) -> AlertSettings {
        self.alerts.get(&kind).cloned().unwrap_or_else(|| AlertSettings::default_for(kind))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::value::{DisplayName, PlatformEventId, SubTier, Timestamp};

    fn cheer(message: &str) -> SupportReceived {
        SupportReceived {
            event_id: PlatformEventId::parse("e1").unwrap(),
            kind: SupportKind::Cheer,
            user_id: None,
            user_name: Some(DisplayName::parse("ada").unwrap()),
            tier: Some(SubTier::One),
            amount: 300,
            gifted: false,
            message: message.into(),
            reward: String::new(),
            points: 15,
            at: Timestamp::from_unix_micros(0).unwrap(),
        }
    }

    #[test]
    fn a_template_is_filled_from_the_support() {
        let text = AlertSettings::default_for(SupportKind::Cheer).render(&cheer("gg"));
        assert_eq!(text, "ada cheered 300 bits! gg");
        let custom = AlertSettings {
            template: "$(points) for $(user) (t$(tier))".into(),
            ..AlertSettings::default_for(SupportKind::Cheer)
        };
        assert_eq!(custom.render(&cheer("")), "15 for ada (t1)");
    }

    #[test]
    fn a_viewers_words_are_not_filled_in_again() {
        let text = AlertSettings::default_for(SupportKind::Cheer).render(&cheer("$(points) $(user)"));
        assert_eq!(text, "ada cheered 300 bits! $(points) $(user)");
    }

    #[test]
    fn anonymous_support_is_named_so() {
        let anonymous = SupportReceived { user_name: None, ..cheer("") };
        assert!(AlertSettings::default_for(SupportKind::Cheer).render(&anonymous).starts_with("An anonymous viewer"));
    }

    #[test]
    fn templates_are_bounded_and_not_empty() {
        let mut a = AlertSettings::default_for(SupportKind::Follow);
        a.template = "  ".into();
        assert!(a.clone().checked().is_err());
        a.template = "x".repeat(MAX_ALERT_TEMPLATE_CHARS + 1);
        assert!(a.checked().is_err());
    }
}
