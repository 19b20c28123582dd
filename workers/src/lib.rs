//! Process managers that react to events: the ffmpeg clip renderer and the
//! publisher. Built in the workers issue.
