//! Process managers that react to events: the ffmpeg clip renderer and the
//! chat clipper (`!clip`); the publisher is to come. Each is a worker group
//! reading the log through `partitions`, acting through the command bus.

pub mod chat_clips;
pub mod partitions;
pub mod renderer;
