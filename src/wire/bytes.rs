//! Interned byte strings: the payloads that segments and actors carry.
//!
//! A model has few distinct payloads (an HTTP request, its response, a few chunks), and
//! every state that holds one used to hold its own reference-counted copy: each clone of
//! a state touched the count, each fingerprint hashed the bytes, and each state the
//! checker packed and unpacked wrote the bytes out and allocated them again. A
//! [`Bytes`] is a pointer to the one copy of its content, which lives as long as the
//! process; it is `Copy`, it compares equal exactly when its content does (one copy per
//! content), it hashes as one word (a hash of its content, computed once), and in the
//! checker's packed states (a non-human-readable serde format) it is written as its
//! index in the table, one or two bytes. Human-readable formats (JSON, ITF, TOML) see
//! the bytes, as they saw `Arc<[u8]>`'s, and order compares the bytes, so that sorted
//! multisets of segments keep the order they had.

use std::collections::HashMap;
use std::fmt;
use std::hash::{Hash, Hasher};
use std::sync::{Mutex, OnceLock};

/// The one copy of a content.
pub(super) struct Entry<T: ?Sized + 'static> {
    pub(super) value: Box<T>,
    /// A hash of `value`, the same in every process (fingerprints are too).
    pub(super) hash: u64,
    /// Its position in the table's `by_index`.
    pub(super) index: u32,
}

/// An interned byte string (see the module's documentation).
#[derive(Clone, Copy)]
pub struct Bytes(&'static Entry<[u8]>);

/// Every entry, by index: segment `k` holds indices `2^k - 1 .. 2^(k+1) - 1`, so that
/// the table never moves an entry and a reader takes no lock.
const SEGMENTS: usize = 32;
type Segment<T> = Box<[OnceLock<&'static Entry<T>>]>;

/// A table of interned values: every value interned so far, by content and by index.
pub(super) struct Table<T: ?Sized + 'static> {
    by_content: OnceLock<Mutex<HashMap<&'static T, &'static Entry<T>>>>,
    by_index: [OnceLock<Segment<T>>; SEGMENTS],
}

/// The byte strings.
static BYTES: Table<[u8]> = Table::new();

impl<T: ?Sized + Eq + Hash + 'static> Table<T> {
    pub(super) const fn new() -> Self {
        Table {
            by_content: OnceLock::new(),
            by_index: [const { OnceLock::new() }; SEGMENTS],
        }
    }

    /// The one entry of `v`'s content; a new one (of hash `hash(v)`) the first time.
    pub(super) fn intern(&'static self, v: &T, hash: fn(&T) -> u64) -> &'static Entry<T>
    where
        for<'a> &'a T: Into<Box<T>>,
    {
        let table = self.by_content.get_or_init(|| Mutex::new(HashMap::new()));
        let mut t = table.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(e) = t.get(v) {
            return e;
        }
        let index = u32::try_from(t.len())
            .ok()
            .filter(|&i| i < u32::MAX)
            .expect("fewer than 2^32 - 1 distinct values");
        let e: &'static Entry<T> = Box::leak(Box::new(Entry {
            value: v.into(),
            hash: hash(v),
            index,
        }));
        let (seg, at) = slot(index);
        let segment = self.by_index[seg]
            .get_or_init(|| (0..1usize << seg).map(|_| OnceLock::new()).collect());
        // Published before any state can hold it: a reader on another thread finds it.
        let _ = segment[at].set(e);
        t.insert(&e.value, e);
        e
    }

    /// The entry at `index`, when one was interned there.
    pub(super) fn at(&'static self, index: u32) -> Option<&'static Entry<T>> {
        let (seg, at) = slot(index);
        self.by_index.get(seg)?.get()?.get(at)?.get().copied()
    }
}

/// The serde form of the entries of a table of slices, shared by [`Bytes`] and
/// [`super::Chunks`]: human-readable formats (JSON, ITF, TOML) see the slice, the
/// checker's packed states the entry's index.
impl<E: Clone + Eq + Hash + 'static> Table<[E]> {
    pub(super) fn serialize_entry<S: serde::Serializer>(
        e: &Entry<[E]>,
        s: S,
    ) -> Result<S::Ok, S::Error>
    where
        E: serde::Serialize,
    {
        if s.is_human_readable() {
            serde::Serialize::serialize(&e.value[..], s)
        } else {
            s.serialize_u32(e.index)
        }
    }

    /// Reads what [`Table::serialize_entry`] wrote: a slice is interned (with `hash`),
    /// an index must name an entry (`what` names the kind of value in the error).
    pub(super) fn deserialize_entry<'de, D: serde::Deserializer<'de>>(
        &'static self,
        d: D,
        hash: fn(&[E]) -> u64,
        what: &str,
    ) -> Result<&'static Entry<[E]>, D::Error>
    where
        E: serde::Deserialize<'de>,
    {
        if d.is_human_readable() {
            let v: Vec<E> = serde::Deserialize::deserialize(d)?;
            Ok(self.intern(&v, hash))
        } else {
            let i = <u32 as serde::Deserialize>::deserialize(d)?;
            self.at(i).ok_or_else(|| {
                serde::de::Error::custom(format!("no {what} was interned at index {i}"))
            })
        }
    }
}

/// The segment of index `i` and the position in it.
fn slot(i: u32) -> (usize, usize) {
    let k = u64::from(i) + 1;
    let seg = 63 - k.leading_zeros() as usize;
    (seg, (k - (1 << seg)) as usize)
}

/// A 64-bit hash of a content, the same in every process: the checker's fingerprint
/// of the bytes (their length included).
fn content_hash(b: &[u8]) -> u64 {
    crate::check::engine::fingerprint(b)
}

impl Bytes {
    /// The interned copy of `b`.
    pub fn new(b: &[u8]) -> Bytes {
        Bytes(BYTES.intern(b, content_hash))
    }

    /// The empty string.
    pub fn empty() -> Bytes {
        static EMPTY: OnceLock<Bytes> = OnceLock::new();
        *EMPTY.get_or_init(|| Bytes::new(&[]))
    }

    /// The content with `more` appended: the bytes an actor has received so far.
    pub fn append(&mut self, more: &[u8]) {
        if !more.is_empty() {
            *self = Bytes::new(&[self.as_slice(), more].concat());
        }
    }

    /// The content without its first `n` bytes (all of them when it has fewer).
    pub fn drop_front(&mut self, n: usize) {
        if n > 0 {
            *self = Bytes::new(&self.as_slice()[n.min(self.len())..]);
        }
    }

    /// The content.
    pub fn as_slice(&self) -> &'static [u8] {
        &self.0.value
    }

    /// Its index in the table: the same for equal contents, in this process only.
    pub fn index(&self) -> u32 {
        self.0.index
    }

    /// The byte string at `index` in the table, when one was interned there.
    pub fn at(index: u32) -> Option<Bytes> {
        BYTES.at(index).map(Bytes)
    }
}

impl Default for Bytes {
    fn default() -> Bytes {
        Bytes::empty()
    }
}

impl std::ops::Deref for Bytes {
    type Target = [u8];
    fn deref(&self) -> &[u8] {
        &self.0.value
    }
}

impl From<&[u8]> for Bytes {
    fn from(b: &[u8]) -> Bytes {
        Bytes::new(b)
    }
}

impl From<Vec<u8>> for Bytes {
    fn from(b: Vec<u8>) -> Bytes {
        Bytes::new(&b)
    }
}

impl From<&str> for Bytes {
    fn from(s: &str) -> Bytes {
        Bytes::new(s.as_bytes())
    }
}

impl From<String> for Bytes {
    fn from(s: String) -> Bytes {
        Bytes::new(s.as_bytes())
    }
}

impl PartialEq for Bytes {
    fn eq(&self, o: &Bytes) -> bool {
        // One entry per content.
        std::ptr::eq(self.0, o.0)
    }
}
impl Eq for Bytes {}

impl PartialOrd for Bytes {
    fn partial_cmp(&self, o: &Bytes) -> Option<std::cmp::Ordering> {
        Some(self.cmp(o))
    }
}
impl Ord for Bytes {
    /// The contents' order, as `Arc<[u8]>` had it.
    fn cmp(&self, o: &Bytes) -> std::cmp::Ordering {
        if self == o {
            std::cmp::Ordering::Equal
        } else {
            self.as_slice().cmp(o.as_slice())
        }
    }
}

impl Hash for Bytes {
    fn hash<H: Hasher>(&self, h: &mut H) {
        h.write_u64(self.0.hash);
    }
}

impl fmt::Debug for Bytes {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self.as_slice(), f)
    }
}

impl serde::Serialize for Bytes {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        Table::serialize_entry(self.0, s)
    }
}

impl<'de> serde::Deserialize<'de> for Bytes {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Bytes, D::Error> {
        BYTES
            .deserialize_entry(d, content_hash, "payload")
            .map(Bytes)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_entry_per_content() {
        let a = Bytes::from("GET / HTTP/1.1\r\n");
        let b = Bytes::from(b"GET / HTTP/1.1\r\n".to_vec());
        let c = Bytes::from("GET / HTTP/1.1\r\n\0");
        assert_eq!(a, b);
        assert!(std::ptr::eq(a.as_slice(), b.as_slice()));
        assert_ne!(a, c);
        assert_eq!(&*a, b"GET / HTTP/1.1\r\n");
        assert_eq!(Bytes::from("").len(), 0);
    }

    #[test]
    fn appending_and_dropping_make_the_contents_they_name() {
        let mut rx = Bytes::default();
        assert_eq!(rx, Bytes::empty());
        assert_eq!(rx, Bytes::from(""));
        rx.append(b"HTTP/1.1 100 Continue\r\n\r\n");
        rx.append(b"");
        rx.append(b"HTTP/1.1 200 OK\r\n");
        assert_eq!(
            rx,
            Bytes::from("HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\n")
        );
        let mut rest = rx;
        rest.drop_front(25);
        assert_eq!(rest, Bytes::from("HTTP/1.1 200 OK\r\n"));
        rest.drop_front(0);
        assert_eq!(rest, Bytes::from("HTTP/1.1 200 OK\r\n"));
        rest.drop_front(100);
        assert_eq!(rest, Bytes::empty());
        assert_eq!(std::mem::take(&mut rx).len(), 42);
        assert!(rx.is_empty());
    }

    #[test]
    fn order_and_debug_are_the_contents() {
        let mut v = [
            Bytes::from("b"),
            Bytes::from("ab"),
            Bytes::from("a"),
            Bytes::from(""),
        ];
        v.sort();
        let s: Vec<&[u8]> = v.iter().map(|b| b.as_slice()).collect();
        assert_eq!(s, vec![&b""[..], b"a", b"ab", b"b"]);
        assert_eq!(
            format!("{:?}", Bytes::from("hi")),
            format!("{:?}", &b"hi"[..])
        );
    }

    #[test]
    fn equal_contents_hash_equally_and_distinct_ones_differ() {
        let fp = |b: Bytes| crate::check::engine::fingerprint(&b);
        assert_eq!(fp(Bytes::from("x")), fp(Bytes::from(vec![b'x'])));
        let all: std::collections::HashSet<u64> = ["", "\0", "\0\0", "a", "a\0", "ab", "ba"]
            .iter()
            .map(|s| fp(Bytes::from(*s)))
            .collect();
        assert_eq!(all.len(), 7);
        // The content's hash itself: every two-byte content, and zeros of every
        // length up to 300 (two zeros are among the first), hash apart.
        let mut seen = std::collections::HashSet::new();
        assert!((0..=u16::MAX).all(|x| seen.insert(content_hash(&x.to_le_bytes()))));
        assert!((0..300)
            .filter(|&n| n != 2)
            .all(|n| seen.insert(content_hash(&vec![0; n]))));
    }

    #[test]
    fn packed_it_is_an_index_and_readable_it_is_the_bytes() {
        let b = Bytes::from("HTTP/1.1 200 OK\r\n\r\n");
        let packed = postcard::to_allocvec(&b).unwrap_or_default();
        assert!(packed.len() <= 5, "{packed:?}");
        assert_eq!(postcard::from_bytes::<Bytes>(&packed).ok(), Some(b));
        let json = serde_json::to_string(&b).unwrap_or_default();
        let arc: std::sync::Arc<[u8]> = std::sync::Arc::from(b.as_slice());
        assert_eq!(json, serde_json::to_string(&arc).unwrap_or_default());
        assert_eq!(serde_json::from_str::<Bytes>(&json).ok(), Some(b));
        // An index nobody interned is an error, not a panic.
        assert!(postcard::from_bytes::<Bytes>(
            &postcard::to_allocvec(&u32::MAX).unwrap_or_default()
        )
        .is_err());
    }

    #[test]
    fn slots_cover_every_index_once() {
        let mut seen = std::collections::HashSet::new();
        for i in 0..5000u32 {
            let (seg, at) = slot(i);
            assert!(at < 1 << seg);
            assert!(seen.insert((seg, at)));
        }
        assert_eq!(slot(0), (0, 0));
        assert_eq!(slot(1), (1, 0));
        assert_eq!(slot(2), (1, 1));
        assert_eq!(slot(3), (2, 0));
        assert_eq!(slot(u32::MAX), (32, 0));
    }
}
