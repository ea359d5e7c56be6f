//! closedesk: a keyboard-first close cockpit for billing reconciliation.
//!
//! - [`snapshot`]: the period snapshot file — schema, migrations, typed queries (the only
//!   place with SQL).
//! - [`import`]: CSV files → a new snapshot, all or nothing.
//! - [`reconcile`]: the reconciliation engine — pure checks from snapshot data to
//!   mismatches.
//! - [`money`], [`text`]: exact money and inert untrusted text, used everywhere.

pub mod import;
pub mod money;
pub mod reconcile;
pub mod snapshot;
pub mod text;
