//! Local fakes of the chat platforms, speaking their documented protocols
//! and strict where the platforms are strict, so a mistake in a gateway
//! fails a test instead of passing silently. Test support only.

pub mod twitch;
