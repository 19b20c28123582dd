//! The integration tests of query-api, one binary (one link) for them all.

mod bot_pages;
mod live;
mod read_models;
mod registry;
