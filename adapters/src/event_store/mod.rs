//! The event store's own module: the only code that names the `events`
//! table (besides the migrations, and postgres-es, which loads streams
//! through cqrs-es). Everyone else reads and writes through it:
//!
//! - [`append`]: many streams' events in one statement, with their snapshots
//!   (the command bus's write path);
//! - [`Tail`]: events in commit order, `(transaction id, position)`, only of
//!   transactions below a snapshot's xmin horizon so that a slow
//!   transaction's rows are never skipped. The outbox relay, replay and
//!   export, and the bots' reply feed all read through it;
//! - [`reads`]: the few reads of one stream or one org that the APIs serve
//!   straight from the truth (a viewer's balance moves, a channel's command
//!   uses, its latest chat), and the relay's lag.

pub(crate) mod access;
pub(crate) mod append;
pub mod reads;
mod row;
mod tail;

pub use row::{decode_event, LogCursor, StoredEvent, StoredRow};
pub use tail::{Horizon, Selection, Tail};
