//! Lowercase hex, the one way closedesk writes a hash (audit chain, signed figures, source
//! content, stored results, export files). Depends on nothing but the bytes.

/// `bytes` as lowercase hex, two digits a byte.
pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}
