//! The Parquet schemas of docs/usage-parquet.md as a warehouse writes them (message types
//! for the `parquet` crate's writer): shared by tests/usage_parquet.rs and
//! benches/usage_parquet.rs. Test aids only; what import accepts is `src/import/parquet.rs`.

/// `usage_events.parquet`, timestamps as `TIMESTAMP_MILLIS`, amounts in minor units.
pub const EVENTS_SCHEMA: &str = "message usage_events {
    REQUIRED BYTE_ARRAY id (UTF8);
    REQUIRED BYTE_ARRAY account_id (UTF8);
    REQUIRED BYTE_ARRAY kind (UTF8);
    REQUIRED INT64 occurred_at (TIMESTAMP_MILLIS);
    REQUIRED INT64 units;
    OPTIONAL INT64 rated_amount;
    REQUIRED BYTE_ARRAY state (UTF8);
    OPTIONAL BYTE_ARRAY invoice_line_id (UTF8);
    OPTIONAL INT64 reprocessed_at (TIMESTAMP_MILLIS);
}";

/// `usage_daily.parquet`: one row per account, day, kind, state and line.
pub const DAILY_SCHEMA: &str = "message usage_daily {
    REQUIRED BYTE_ARRAY account_id (UTF8);
    REQUIRED INT32 day (DATE);
    REQUIRED BYTE_ARRAY kind (UTF8);
    REQUIRED BYTE_ARRAY state (UTF8);
    OPTIONAL BYTE_ARRAY invoice_line_id (UTF8);
    REQUIRED INT64 units;
    REQUIRED INT64 rated_amount;
    REQUIRED INT64 event_count;
}";

/// `usage_control.parquet`: the one-row control total.
pub const CONTROL_SCHEMA: &str = "message usage_control {
    REQUIRED INT64 event_count;
    REQUIRED INT64 units;
    REQUIRED INT64 rated_amount;
}";
