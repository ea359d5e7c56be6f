//! The accounts table's one reader for names: outputs print an account's name beside its
//! id. No workflow rule and no display here.

use std::collections::BTreeMap;

use rusqlite::Result;

use super::Snapshot;

impl Snapshot {
    /// Every account's name, by account id.
    pub fn account_names(&self) -> Result<BTreeMap<String, String>> {
        let mut stmt = self
            .conn()
            .prepare_cached("SELECT id, name FROM accounts ORDER BY id")?;
        let rows = stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?;
        rows.collect()
    }
}
