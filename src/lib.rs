//! closedesk: a keyboard-first close cockpit for billing reconciliation.
//!
//! - [`snapshot`]: the period snapshot file — schema, migrations, typed queries (the only
//!   place with SQL).
//! - [`import`]: CSV files → a new snapshot, all or nothing; [`demo`] uses the same path.
//! - [`reconcile`]: the reconciliation engine — pure checks from snapshot data to
//!   mismatches; [`summary`] is the period summary built from it.
//! - [`cli`]: the command line (thin); [`tui`]: the cockpit.
//! - [`money`], [`text`]: exact money and inert untrusted text, used everywhere.

pub mod cli;
pub mod config;
pub mod demo;
pub mod digest;
pub mod export;
pub mod import;
pub mod logging;
pub mod money;
pub mod reconcile;
pub mod scale;
pub mod serve;
pub mod snapshot;
pub mod summary;
pub mod text;
pub mod tui;
pub mod workflow;
