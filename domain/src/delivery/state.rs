use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::event::{DeliveryEvent, DeliveryStarted};

/// Most deliveries of one channel waiting for their outcome: far above the
/// handful a gateway has in flight, a bound on the state all the same.
pub const MAX_UNSETTLED: usize = 1_000;

/// The deliveries started and not settled yet. Settled ones are forgotten:
/// the store's once keys, not this state, keep a delivery from starting
/// twice.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeliveryState {
    pub(crate) unsettled: BTreeMap<String, DeliveryStarted>,
}

impl DeliveryState {
    pub fn unsettled(&self) -> impl Iterator<Item = &DeliveryStarted> {
        self.unsettled.values()
    }

    pub(crate) fn evolve(&mut self, event: &DeliveryEvent) {
        match event {
            DeliveryEvent::DeliveryStarted(started) => {
                self.unsettled.insert(started.delivery.clone(), started.clone());
            }
            DeliveryEvent::DeliveryExecuted(_)
            | DeliveryEvent::DeliveryFailed(_)
            | DeliveryEvent::DeliveryFateUnknown(_) => {
                self.unsettled.remove(event.delivery());
            }
        }
    }
}
