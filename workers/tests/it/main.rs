//! The integration tests of workers, one binary (one link) for them all.

#[path = "../../../adapters/tests/it/support/mod.rs"]
mod support;

mod poison;
mod publisher;
mod renderer;
mod retention;
mod settlers;
