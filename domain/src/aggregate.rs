//! The shape every aggregate follows: a pure `decide` and a pure `evolve`.
//! The cqrs-es `Aggregate` impl is generated from them and adds nothing.

/// Rules of one aggregate as two pure functions.
pub trait Decider: Default {
    type Command;
    type Event;
    type Error;
    /// Configuration the rules read (cooldowns, limits); no I/O.
    type Policy;

    /// Which events a command produces from the current state, or why it is refused.
    /// An empty list means the command changes nothing (e.g. a redelivery).
    fn decide(&self, command: Self::Command, policy: &Self::Policy) -> Result<Vec<Self::Event>, Self::Error>;

    /// The state after one event. Never fails: events are facts.
    fn evolve(&mut self, event: &Self::Event);

    /// What an event settles once and for all in its stream (a transfer
    /// credited, a price refunded, a use decided), if anything. The store
    /// holds such a key at most once per stream, so exactly once never
    /// rests on the state's bounded memory of what it has settled: a
    /// settlement the state forgot is still refused by the store.
    fn once_key(_event: &Self::Event) -> Option<String> {
        None
    }
}

/// Implements `cqrs_es::Aggregate` (and `DomainEvent`) by delegating to `Decider`.
macro_rules! cqrs_aggregate {
    ($state:ty, $event:ty, type = $type:literal, version = $version:literal) => {
        impl cqrs_es::Aggregate for $state {
            const TYPE: &'static str = $type;
            type Command = <$state as $crate::aggregate::Decider>::Command;
            type Event = $event;
            type Error = <$state as $crate::aggregate::Decider>::Error;
            type Services = <$state as $crate::aggregate::Decider>::Policy;

            async fn handle(
                &mut self,
                command: Self::Command,
                policy: &Self::Services,
                sink: &cqrs_es::event_sink::EventSink<Self>,
            ) -> Result<(), Self::Error> {
                let events = $crate::aggregate::Decider::decide(self, command, policy)?;
                for event in events {
                    sink.write(event, self).await;
                }
                Ok(())
            }

            fn apply(&mut self, event: Self::Event) {
                $crate::aggregate::Decider::evolve(self, &event);
            }
        }

        impl cqrs_es::DomainEvent for $event {
            fn event_type(&self) -> String {
                self.name().to_owned()
            }

            fn event_version(&self) -> String {
                $version.to_owned()
            }
        }
    };
}
pub(crate) use cqrs_aggregate;
