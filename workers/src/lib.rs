//! Process managers that react to events: the ffmpeg clip renderer (and,
//! to come, the publisher). Each is a worker group reading the log through
//! `partitions`, acting through the command bus.

pub mod partitions;
pub mod renderer;
