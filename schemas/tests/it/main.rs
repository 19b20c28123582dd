//! The integration tests of schemas, one binary (one link) for them all.

mod audit;
mod round_trip;
mod rules;
