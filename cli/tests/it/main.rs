//! The integration tests of cli, one binary (one link) for them all.

mod support;

mod app_role;
mod audit_verify;
mod audit_witness;
mod community;
mod economy;
mod export;
mod faults;
mod pages;
mod replay_all;
mod twitch;
mod up;
mod users;
mod walls;
