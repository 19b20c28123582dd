//! Process managers that react to events: the ffmpeg clip renderer, the
//! chat clipper (`!clip`), the points and community settlers, the asset-ready marker (worker groups reading the
//! log through the consumer core's worker groups, `wavestack_adapters::consumer::group`) and the publisher (which polls the queue read
//! model for due targets) and clip retention (which deletes clips past
//! their age). All act through the command bus, except the audit
//! checkpointer, which signs the audit chain heads (see `checkpointer`).

pub mod chat_clips;
pub mod checkpointer;
pub mod community_settler;
pub mod points_settler;
pub mod publisher;
pub mod renderer;
pub mod retention;
mod retry;
pub mod run_until_stopped;
mod settlement;
