//! Interned lists of payloads: the data a TCB has sent and not yet seen acknowledged.
//!
//! A TCB's unacknowledged chunks were a `Vec` of payloads, the one field that kept a
//! TCB, and so a TCP host, from being `Copy`: each clone of a state allocated the
//! vector again, each fingerprint hashed its chunks one by one, and each packed state
//! wrote them out. A [`Chunks`] is a pointer to the one copy of its list, as a
//! [`Bytes`] is for a byte string: it is `Copy`, it compares equal exactly when its
//! chunks do, it hashes as one word (a hash of the chunks' own hashes, computed once,
//! the same in every process), and in the checker's packed states it is its index in
//! the table. Human-readable formats (JSON, ITF) and `Debug` see the list of payloads,
//! as they saw the `Vec`. A list changes only when data is sent or acknowledged, which
//! is a lookup in the table under its lock.

use super::bytes::{Entry, Table};
use super::Bytes;
use std::fmt;
use std::hash::{Hash, Hasher};
use std::sync::OnceLock;

/// An interned list of payloads (see the module's documentation).
#[derive(Clone, Copy)]
pub struct Chunks(&'static Entry<[Bytes]>);

static CHUNKS: Table<[Bytes]> = Table::new();

/// The empty list, interned once.
static EMPTY: OnceLock<Chunks> = OnceLock::new();

/// A hash of a list, the same in every process: the checker's fingerprint of its
/// length and its payloads' content hashes.
fn list_hash(list: &[Bytes]) -> u64 {
    crate::check::engine::fingerprint(list)
}

impl Chunks {
    /// The interned copy of `list`.
    pub fn new(list: &[Bytes]) -> Chunks {
        Chunks(CHUNKS.intern(list, list_hash))
    }

    /// The empty list.
    pub fn empty() -> Chunks {
        *EMPTY.get_or_init(|| Chunks::new(&[]))
    }

    /// The list with `b` appended.
    pub fn push(&mut self, b: Bytes) {
        let mut v = self.0.value.to_vec();
        v.push(b);
        *self = Chunks::new(&v);
    }

    /// The list without its first `n` chunks (all of them when it has fewer).
    pub fn drop_front(&mut self, n: usize) {
        if n > 0 {
            *self = Chunks::new(&self.0.value[n.min(self.len())..]);
        }
    }

    /// Its index in the table: the same for equal lists, in this process only.
    pub fn index(&self) -> u32 {
        self.0.index
    }

    /// The list at `index` in the table, when one was interned there.
    pub fn at(index: u32) -> Option<Chunks> {
        CHUNKS.at(index).map(Chunks)
    }

    /// The chunks.
    pub fn as_slice(&self) -> &'static [Bytes] {
        &self.0.value
    }
}

impl Default for Chunks {
    fn default() -> Chunks {
        Chunks::empty()
    }
}

impl std::ops::Deref for Chunks {
    type Target = [Bytes];
    fn deref(&self) -> &[Bytes] {
        &self.0.value
    }
}

impl<'a> IntoIterator for &'a Chunks {
    type Item = &'static Bytes;
    type IntoIter = std::slice::Iter<'static, Bytes>;
    fn into_iter(self) -> Self::IntoIter {
        self.as_slice().iter()
    }
}

impl<const N: usize> From<[Bytes; N]> for Chunks {
    fn from(list: [Bytes; N]) -> Chunks {
        Chunks::new(&list)
    }
}

impl PartialEq for Chunks {
    fn eq(&self, o: &Chunks) -> bool {
        // One entry per list.
        std::ptr::eq(self.0, o.0)
    }
}
impl Eq for Chunks {}

impl Hash for Chunks {
    fn hash<H: Hasher>(&self, h: &mut H) {
        h.write_u64(self.0.hash);
    }
}

impl fmt::Debug for Chunks {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self.as_slice(), f)
    }
}

impl serde::Serialize for Chunks {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        Table::serialize_entry(self.0, s)
    }
}

impl<'de> serde::Deserialize<'de> for Chunks {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Chunks, D::Error> {
        CHUNKS
            .deserialize_entry(d, list_hash, "list of chunks")
            .map(Chunks)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn list(items: &[&str]) -> Chunks {
        let v: Vec<Bytes> = items.iter().map(|s| Bytes::from(*s)).collect();
        Chunks::new(&v)
    }

    #[test]
    fn one_entry_per_list_and_edits_make_the_lists_they_name() {
        let mut l = Chunks::empty();
        assert!(l.is_empty());
        l.push(Bytes::from("a"));
        l.push(Bytes::from("b"));
        assert_eq!(l, list(&["a", "b"]));
        assert!(std::ptr::eq(l.as_slice(), list(&["a", "b"]).as_slice()));
        assert_ne!(l, list(&["b", "a"]));
        assert_ne!(l, list(&["a"]));
        let mut front = l;
        front.drop_front(1);
        assert_eq!(front, list(&["b"]));
        front.drop_front(0);
        assert_eq!(front, list(&["b"]));
        let mut all = l;
        all.drop_front(5);
        assert_eq!(all, Chunks::empty());
        assert_eq!(Chunks::default(), list(&[]));
        let seen: Vec<&[u8]> = (&l).into_iter().map(|b| b.as_slice()).collect();
        assert_eq!(seen, vec![&b"a"[..], b"b"]);
    }

    #[test]
    fn it_hashes_by_its_chunks_and_reads_as_a_list() {
        let fp = |c: Chunks| crate::check::engine::fingerprint(&c);
        let lists = [
            list(&[]),
            list(&["a"]),
            list(&["b"]),
            list(&["a", "b"]),
            list(&["b", "a"]),
            list(&["a", "a"]),
            list(&["", ""]),
            list(&[""]),
        ];
        let all: std::collections::HashSet<u64> = lists.iter().map(|&c| fp(c)).collect();
        assert_eq!(all.len(), lists.len());
        assert_eq!(
            fp(list(&["a", "b"])),
            fp(Chunks::from([Bytes::from("a"), Bytes::from("b")]))
        );
        let c = list(&["data1", "data2"]);
        assert_eq!(format!("{c:?}"), format!("{:?}", c.as_slice().to_vec()));
        let json = serde_json::to_string(&c).unwrap_or_default();
        assert_eq!(
            json,
            serde_json::to_string(&c.as_slice().to_vec()).unwrap_or_default()
        );
        assert_eq!(serde_json::from_str::<Chunks>(&json).ok(), Some(c));
        let packed = postcard::to_allocvec(&c).unwrap_or_default();
        assert!(packed.len() <= 5, "{packed:?}");
        assert_eq!(postcard::from_bytes::<Chunks>(&packed).ok(), Some(c));
        assert!(postcard::from_bytes::<Chunks>(
            &postcard::to_allocvec(&u32::MAX).unwrap_or_default()
        )
        .is_err());
    }
}
