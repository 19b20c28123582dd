//! The second halves of what a use case starts on one stream and finishes
//! on others: run at once by the use case (the fast path) and again from
//! the log by the settlers in `workers/`, which finish what a killed
//! process left. Each step is exactly once, so running one twice is
//! harmless.

pub mod community;
pub mod points;
mod unfinished;

pub(crate) use unfinished::finish_in_background;
