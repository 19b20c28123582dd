use thiserror::Error;

use super::event::MAX_ID;

#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum DeliveryError {
    #[error("a delivery id is 1 to {MAX_ID} printable characters")]
    InvalidId,
    #[error("no delivery {0} is waiting for its outcome")]
    NotUnsettled(String),
    #[error("a channel has at most {max} deliveries waiting for their outcome")]
    TooManyUnsettled { max: usize },
}

impl DeliveryError {
    pub fn code(&self) -> &'static str {
        match self {
            DeliveryError::InvalidId => "invalid_delivery_id",
            DeliveryError::NotUnsettled(_) => "delivery_not_unsettled",
            DeliveryError::TooManyUnsettled { .. } => "too_many_unsettled_deliveries",
        }
    }
}
