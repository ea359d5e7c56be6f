//! closedesk: a keyboard-first close cockpit for billing reconciliation.
//!
//! - [`snapshot`]: the period snapshot file — schema, migrations, typed queries (the only
//!   place with SQL), and the source aggregates the engine reads (stored once at import).
//! - [`import`]: CSV files (usage also as Parquet; Stripe's objects; other platforms'
//!   exports through a rules file) → a new snapshot, all or nothing; [`demo`] uses the
//!   same path, and [`demo::scale`] generates synthetic periods of any size (`demo
//!   --scale`).
//! - [`reconcile`]: the reconciliation engine — pure checks from snapshot data to
//!   mismatches; [`summary`] is the period summary built from it.
//! - [`workflow`]: the close workflow — identity, checklist, correction lane, sign-off,
//!   audit history and `verify`; its storage (and the audit hash chain) is in
//!   [`snapshot`], which knows no workflow rule.
//! - [`export`]: close outputs; [`cli`]: the command line (thin); [`tui`]: the cockpit;
//!   [`serve`]: the cockpit over SSH.
//! - [`config`], [`logging`]: the config file and the opt-in log file.
//! - [`money`], [`text`], [`digest`]: exact money, inert untrusted text and hex hashes,
//!   used everywhere.

pub mod cli;
pub mod config;
pub mod demo;
pub mod digest;
pub mod export;
pub mod import;
pub mod logging;
pub mod money;
pub mod reconcile;
pub mod serve;
pub mod snapshot;
pub mod summary;
pub mod text;
pub mod tui;
pub mod workflow;
