//! Read-model builders fed from the Kafka log (leaderboards, analytics,
//! queue state, audit log), and replay / rebuild / export.
//!
//! Built in the read-side issue; the crate exists now so that the workspace
//! has the layout of DESIGN.md and dependencies already point inward.
