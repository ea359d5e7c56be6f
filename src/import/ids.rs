//! Compact sets of ids, for the checks between rows that a streamed import cannot do by
//! holding the rows: which ids a file has (references to it), and which ids of a file
//! occur more than once. Both cost a few bytes per row, never a parsed row.

/// A 64-bit hash of an id (FNV-1a): stable, fast on short ids.
pub(super) fn hash(id: &[u8]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for &b in id {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    h
}

/// A set of ids, each with an optional one-byte tag (the index of its row's kind), stored
/// as one byte buffer and an open-addressing table of 4-byte slots: about 25 bytes an id
/// where a `HashSet<String>` takes about 60.
#[derive(Debug, Default)]
pub(super) struct IdSet {
    /// Each id as `[tag, length, bytes…]`, padded to a multiple of 4 bytes.
    arena: Vec<u8>,
    /// 0: empty; else 1 + (the id's offset in `arena`) / 4.
    slots: Vec<u32>,
    len: usize,
}

/// The tag of an id without one.
const NO_TAG: u8 = u8::MAX;

impl IdSet {
    fn slot_of(&self, id: &[u8]) -> (usize, Option<usize>) {
        let mask = self.slots.len() - 1;
        let bits = self.slots.len().trailing_zeros();
        let mut at = (hash(id).wrapping_mul(0x9E37_79B9_7F4A_7C15) >> (64 - bits)) as usize & mask;
        loop {
            match self.slots[at] {
                0 => return (at, None),
                slot => {
                    let offset = (slot as usize - 1) * 4;
                    let len = usize::from(self.arena[offset + 1]);
                    if &self.arena[offset + 2..offset + 2 + len] == id {
                        return (at, Some(offset));
                    }
                }
            }
            at = (at + 1) & mask;
        }
    }

    fn grow(&mut self) {
        let size = (self.slots.len() * 2).max(64);
        let old = std::mem::replace(&mut self.slots, vec![0; size]);
        for slot in old.into_iter().filter(|&s| s != 0) {
            let offset = (slot as usize - 1) * 4;
            let len = usize::from(self.arena[offset + 1]);
            let (at, _) = self.slot_of(&self.arena[offset + 2..offset + 2 + len]);
            self.slots[at] = slot;
        }
    }

    /// Adds `id` (at most 255 bytes; ids are at most 64) with `tag` unless it is there; an
    /// id there without a tag takes `tag`.
    pub fn insert(&mut self, id: &str, tag: Option<u8>) {
        debug_assert!(id.len() <= usize::from(u8::MAX));
        if (self.len + 1) * 2 > self.slots.len() {
            self.grow();
        }
        let tag = tag.unwrap_or(NO_TAG);
        match self.slot_of(id.as_bytes()) {
            (_, Some(offset)) => {
                if self.arena[offset] == NO_TAG {
                    self.arena[offset] = tag;
                }
            }
            (at, None) => {
                let offset = self.arena.len();
                self.arena.push(tag);
                self.arena.push(id.len() as u8);
                self.arena.extend_from_slice(id.as_bytes());
                self.arena.resize(self.arena.len().next_multiple_of(4), 0);
                self.slots[at] = u32::try_from(offset / 4 + 1).unwrap_or(u32::MAX);
                self.len += 1;
            }
        }
    }

    pub fn contains(&self, id: &str) -> bool {
        !self.slots.is_empty() && self.slot_of(id.as_bytes()).1.is_some()
    }

    /// The tag of `id`, when it is there with one.
    pub fn tag(&self, id: &str) -> Option<u8> {
        if self.slots.is_empty() {
            return None;
        }
        let offset = self.slot_of(id.as_bytes()).1?;
        Some(self.arena[offset]).filter(|&tag| tag != NO_TAG)
    }
}

/// The hashes of the ids of one file, in file order, to find repeated ids: those whose
/// hash occurs twice are looked for again, exactly, by reading the file once more (only
/// then: a file without repeats is read once). 8 bytes a row.
#[derive(Debug, Default)]
pub(super) struct Repeats {
    hashes: Vec<u64>,
}

impl Repeats {
    pub fn add(&mut self, id: &str) {
        self.hashes.push(hash(id.as_bytes()));
    }

    /// The hashes seen more than once, sorted (empty when every id is unique).
    pub fn repeated(mut self) -> Vec<u64> {
        self.hashes.sort_unstable();
        let mut repeated: Vec<u64> = self
            .hashes
            .windows(2)
            .filter(|w| w[0] == w[1])
            .map(|w| w[0])
            .collect();
        repeated.dedup();
        repeated
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_set_holds_exactly_what_went_in_with_the_first_tag() {
        let mut set = IdSet::default();
        assert!(!set.contains("A"));
        assert_eq!(set.tag("A"), None);
        for i in 0..10_000 {
            set.insert(&format!("ID-{i}"), (i % 3 == 0).then_some((i % 7) as u8));
        }
        set.insert("ID-1", Some(5));
        set.insert("ID-0", Some(6));
        for i in 0..10_000 {
            assert!(set.contains(&format!("ID-{i}")), "{i}");
        }
        assert!(!set.contains("ID-10000"));
        assert!(!set.contains("ID-"));
        assert_eq!(set.tag("ID-0"), Some(0), "the first tag stays");
        assert_eq!(set.tag("ID-1"), Some(5), "an untagged id takes one");
        assert_eq!(set.tag("ID-2"), None);
        assert_eq!(set.len, 10_000);
        let id = "x".repeat(64);
        set.insert(&id, None);
        assert!(set.contains(&id));
    }

    #[test]
    fn repeats_are_the_hashes_seen_twice() {
        let mut repeats = Repeats::default();
        for id in ["A", "B", "A", "C", "A", "B"] {
            repeats.add(id);
        }
        let mut expected = vec![hash(b"A"), hash(b"B")];
        expected.sort_unstable();
        assert_eq!(repeats.repeated(), expected);
        assert!(Repeats::default().repeated().is_empty());
    }
}
