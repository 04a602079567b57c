//! Interned text: the request targets and methods that the HTTP model's states carry.
//!
//! A [`Text`] is an interned byte string ([`super::Bytes`]) that holds UTF-8, so it
//! has what a `Bytes` has: it is `Copy` (a clone of a state no longer touches a
//! reference count, as an `Arc<str>` did), it compares equal exactly when its text
//! does, it hashes as one word, and in the checker's packed states it is its index in
//! the table. Order compares the text, as `Arc<str>`'s did, so every sorted list of
//! actions keeps its order. Human-readable formats (JSON, ITF) see a string, and
//! `Debug` prints what a `str` prints.

use super::Bytes;
use std::fmt;

/// Interned UTF-8 text (see the module's documentation).
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Text(Bytes);

impl Text {
    /// The one copy of `s`.
    pub fn new(s: &str) -> Text {
        Text(Bytes::new(s.as_bytes()))
    }

    /// The text. Every `Text` was made from a `str` or checked as UTF-8 when decoded.
    pub fn as_str(&self) -> &'static str {
        std::str::from_utf8(self.0.as_slice()).unwrap_or_default()
    }
}

impl std::ops::Deref for Text {
    type Target = str;
    fn deref(&self) -> &str {
        self.as_str()
    }
}

impl From<&str> for Text {
    fn from(s: &str) -> Text {
        Text::new(s)
    }
}

impl PartialEq<&str> for Text {
    fn eq(&self, o: &&str) -> bool {
        self.as_str() == *o
    }
}

impl fmt::Debug for Text {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self.as_str(), f)
    }
}

impl fmt::Display for Text {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl serde::Serialize for Text {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        if s.is_human_readable() {
            s.serialize_str(self.as_str())
        } else {
            self.0.serialize(s)
        }
    }
}

impl<'de> serde::Deserialize<'de> for Text {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Text, D::Error> {
        if d.is_human_readable() {
            let s = String::deserialize(d)?;
            Ok(Text::new(&s))
        } else {
            let b = Bytes::deserialize(d)?;
            match std::str::from_utf8(b.as_slice()) {
                Ok(_) => Ok(Text(b)),
                Err(e) => Err(serde::de::Error::custom(format!(
                    "interned bytes at this index are not text: {e}"
                ))),
            }
        }
    }
}

/// The checker packs a text as its interned bytes' index (`crate::wire::flat`).
impl super::flat::Flat for Text {
    const CANONICAL: bool = true;
    fn put(&self, out: &mut Vec<u8>) {
        self.0.put(out);
    }
    fn take(inp: &mut &[u8]) -> Option<Text> {
        let b = Bytes::take(inp)?;
        std::str::from_utf8(b.as_slice()).ok()?;
        Some(Text(b))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;

    #[test]
    fn text_is_interned_and_reads_as_its_str() {
        let a = Text::new("/mypage?userid=0");
        let b = Text::from(String::from("/mypage?userid=0").as_str());
        assert_eq!(a, b);
        assert!(std::ptr::eq(a.as_str(), b.as_str()), "one copy");
        assert_eq!(&*a, "/mypage?userid=0");
        assert!(a == "/mypage?userid=0");
        assert!(a != "/mypage?userid=1");
        assert_eq!(format!("{a:?}"), format!("{:?}", "/mypage?userid=0"));
        assert_eq!(format!("{a}"), "/mypage?userid=0");
        assert_ne!(a, Text::new("/mypage?userid=1"));
    }

    #[test]
    fn text_orders_as_str_and_arc_str_did() {
        let words = ["GET", "HEAD", "", "POST", "/a", "/b", "/", "é", "z"];
        let mut texts: Vec<Text> = words.iter().map(|w| Text::new(w)).collect();
        let mut strs: Vec<std::sync::Arc<str>> = words.iter().map(|&w| w.into()).collect();
        texts.sort();
        strs.sort();
        let texts: Vec<&str> = texts.iter().map(|t| t.as_str()).collect();
        let strs: Vec<&str> = strs.iter().map(|s| &**s).collect();
        assert_eq!(texts, strs);
    }

    #[test]
    fn packed_it_is_an_index_and_readable_it_is_a_string() {
        let t = Text::new("HEAD");
        assert_eq!(serde_json::to_string(&t).ok().as_deref(), Some("\"HEAD\""));
        assert_eq!(serde_json::from_str::<Text>("\"HEAD\"").ok(), Some(t));
        let packed = postcard::to_allocvec(&t).unwrap_or_default();
        assert!(packed.len() <= 5, "{packed:?}");
        assert_eq!(postcard::from_bytes::<Text>(&packed).ok(), Some(t));
        // Interned bytes that are not UTF-8 do not decode as text.
        let raw = Bytes::new(&[0xff, 0xfe]);
        let packed = postcard::to_allocvec(&raw).unwrap_or_default();
        let mut de = postcard::Deserializer::from_bytes(&packed);
        assert!(Text::deserialize(&mut de).is_err());
    }

    #[test]
    fn packed_by_hand_it_is_an_index_of_text() {
        use crate::wire::flat::Flat;
        let t = Text::new("/mypage?userid=0");
        let mut out = Vec::new();
        t.put(&mut out);
        assert_eq!(Text::take(&mut &out[..]), Some(t));
        // The index of interned bytes that are not UTF-8 is no text.
        let raw = Bytes::new(&[0xff, 0xfe]);
        out.clear();
        raw.put(&mut out);
        assert_eq!(Text::take(&mut &out[..]), None);
    }
}
