//! HPACK (RFC 7541): the static table, the dynamic table, integers and string
//! literals, and the field representations of §6.
//!
//! Written here rather than taken from a crate because the checker stores every
//! endpoint's dynamic table in its state: the table must be plain data (serde, `Hash`,
//! `Eq`), which no HPACK crate's encoder or decoder is. The unit tests cross-check
//! this codec against the `loona-hpack` crate in both directions.
//!
//! The encoder never uses Huffman coding (a string literal with H = 0 is always
//! valid, §5.2); the decoder refuses Huffman-coded strings, which no endpoint of the
//! model sends.

use serde::{Deserialize, Serialize};

/// The static table (RFC 7541 Appendix A), index 1 to 61.
pub const STATIC: [(&str, &str); 61] = [
    (":authority", ""),
    (":method", "GET"),
    (":method", "POST"),
    (":path", "/"),
    (":path", "/index.html"),
    (":scheme", "http"),
    (":scheme", "https"),
    (":status", "200"),
    (":status", "204"),
    (":status", "206"),
    (":status", "304"),
    (":status", "400"),
    (":status", "404"),
    (":status", "500"),
    ("accept-charset", ""),
    ("accept-encoding", "gzip, deflate"),
    ("accept-language", ""),
    ("accept-ranges", ""),
    ("accept", ""),
    ("access-control-allow-origin", ""),
    ("age", ""),
    ("allow", ""),
    ("authorization", ""),
    ("cache-control", ""),
    ("content-disposition", ""),
    ("content-encoding", ""),
    ("content-language", ""),
    ("content-length", ""),
    ("content-location", ""),
    ("content-range", ""),
    ("content-type", ""),
    ("cookie", ""),
    ("date", ""),
    ("etag", ""),
    ("expect", ""),
    ("expires", ""),
    ("from", ""),
    ("host", ""),
    ("if-match", ""),
    ("if-modified-since", ""),
    ("if-none-match", ""),
    ("if-range", ""),
    ("if-unmodified-since", ""),
    ("last-modified", ""),
    ("link", ""),
    ("location", ""),
    ("max-forwards", ""),
    ("proxy-authenticate", ""),
    ("proxy-authorization", ""),
    ("range", ""),
    ("referer", ""),
    ("refresh", ""),
    ("retry-after", ""),
    ("server", ""),
    ("set-cookie", ""),
    ("strict-transport-security", ""),
    ("transfer-encoding", ""),
    ("user-agent", ""),
    ("vary", ""),
    ("via", ""),
    ("www-authenticate", ""),
];

/// The default SETTINGS_HEADER_TABLE_SIZE (RFC 9113 §6.5.2).
pub const DEFAULT_TABLE_SIZE: u32 = 4096;

/// A header field: name and value.
pub type Field = (String, String);

/// A dynamic table (§2.3.2, §4): newest entry first, so that entry `i` has index
/// `62 + i`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Table {
    pub entries: Vec<Field>,
    /// The maximum size (§4.2), in octets.
    pub max: u32,
}

/// The size of an entry (§4.1): its name and value in octets, plus 32.
pub fn entry_size(f: &Field) -> u32 {
    (f.0.len() + f.1.len() + 32) as u32
}

impl Table {
    pub fn new(max: u32) -> Self {
        Table {
            entries: Vec::new(),
            max,
        }
    }

    /// The sum of the sizes of its entries (§4.1).
    pub fn size(&self) -> u32 {
        self.entries.iter().map(entry_size).sum()
    }

    /// Evicts the oldest entries until the table fits `max` (§4.3).
    fn evict(&mut self) {
        while self.size() > self.max {
            self.entries.pop();
        }
    }

    /// Adds an entry (§4.4): older entries are evicted to make room; an entry larger
    /// than the maximum empties the table and is not added.
    pub fn insert(&mut self, f: Field) {
        if entry_size(&f) > self.max {
            self.entries.clear();
            return;
        }
        self.entries.insert(0, f);
        self.evict();
    }

    /// A dynamic table size update (§4.3, §6.3).
    pub fn resize(&mut self, max: u32) {
        self.max = max;
        self.evict();
    }

    /// The field at `index` of the index address space (§2.3.3): 1 to 61 the static
    /// table, from 62 on the dynamic table.
    pub fn get(&self, index: usize) -> Option<Field> {
        match index {
            0 => None,
            1..=61 => {
                let (n, v) = STATIC[index - 1];
                Some((n.to_string(), v.to_string()))
            }
            _ => self.entries.get(index - 62).cloned(),
        }
    }

    /// The index of a field equal to `f`, and failing that the index of one with its
    /// name (static table first): (index, whole field matches).
    fn find(&self, f: &Field) -> Option<(usize, bool)> {
        let stat = STATIC.iter().enumerate().map(|(i, (n, v))| (i + 1, *n, *v));
        let dynm = self
            .entries
            .iter()
            .enumerate()
            .map(|(i, (n, v))| (62 + i, n.as_str(), v.as_str()));
        let all: Vec<(usize, &str, &str)> = stat.chain(dynm).collect();
        if let Some((i, _, _)) = all.iter().find(|(_, n, v)| *n == f.0 && *v == f.1) {
            return Some((*i, true));
        }
        all.iter()
            .find(|(_, n, _)| *n == f.0)
            .map(|(i, _, _)| (*i, false))
    }
}

/// Appends an integer with an N-bit prefix (§5.1); `flags` fills the bits above the
/// prefix in the first octet.
pub fn encode_int(out: &mut Vec<u8>, prefix: u8, flags: u8, mut v: usize) {
    let max = (1usize << prefix) - 1;
    if v < max {
        out.push(flags | v as u8);
        return;
    }
    out.push(flags | max as u8);
    v -= max;
    while v >= 128 {
        out.push((v % 128) as u8 | 0x80);
        v /= 128;
    }
    out.push(v as u8);
}

/// Why a field block does not decode: a COMPRESSION_ERROR (RFC 9113 §4.3).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum DecodeError {
    /// The block ends inside a representation.
    Truncated,
    /// An integer too large for this decoder.
    Overflow,
    /// An index that names no entry (§2.3.3: "MUST be treated as a decoding error").
    BadIndex(usize),
    /// A Huffman-coded string literal, which this decoder does not take.
    Huffman,
    /// A string that is not UTF-8 (the model's fields are all ASCII).
    NotText,
    /// A dynamic table size update above the SETTINGS limit, or after a field (§4.2).
    BadSizeUpdate,
}

impl std::fmt::Display for DecodeError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            DecodeError::Truncated => write!(f, "the block ends inside a representation"),
            DecodeError::Overflow => write!(f, "an integer overflows"),
            DecodeError::BadIndex(i) => write!(f, "index {i} names no table entry"),
            DecodeError::Huffman => write!(f, "a Huffman-coded string"),
            DecodeError::NotText => write!(f, "a string that is not text"),
            DecodeError::BadSizeUpdate => write!(f, "a bad dynamic table size update"),
        }
    }
}

/// Reads an integer with an N-bit prefix (§5.1) at `*at`.
pub fn decode_int(buf: &[u8], at: &mut usize, prefix: u8) -> Result<usize, DecodeError> {
    let max = (1usize << prefix) - 1;
    let first = *buf.get(*at).ok_or(DecodeError::Truncated)? as usize & max;
    *at += 1;
    if first < max {
        return Ok(first);
    }
    let mut v = max;
    let mut shift = 0u32;
    loop {
        let b = *buf.get(*at).ok_or(DecodeError::Truncated)?;
        *at += 1;
        if shift > 21 {
            return Err(DecodeError::Overflow);
        }
        v += ((b & 0x7f) as usize) << shift;
        shift += 7;
        if b & 0x80 == 0 {
            return Ok(v);
        }
    }
}

fn encode_str(out: &mut Vec<u8>, s: &str) {
    encode_int(out, 7, 0, s.len());
    out.extend_from_slice(s.as_bytes());
}

fn decode_str(buf: &[u8], at: &mut usize) -> Result<String, DecodeError> {
    let huffman = buf.get(*at).ok_or(DecodeError::Truncated)? & 0x80 != 0;
    let len = decode_int(buf, at, 7)?;
    if huffman {
        return Err(DecodeError::Huffman);
    }
    let end = at.checked_add(len).ok_or(DecodeError::Overflow)?;
    let bytes = buf.get(*at..end).ok_or(DecodeError::Truncated)?;
    *at = end;
    String::from_utf8(bytes.to_vec()).map_err(|_| DecodeError::NotText)
}

/// Encodes `fields` as one field block, updating the encoder's `table`. A field
/// already in a table is sent as an indexed field (§6.1); any other as a literal with
/// incremental indexing (§6.2.1), with an indexed name when a table has the name. With
/// `size_update`, the block opens with a dynamic table size update (§6.3). Without
/// `indexing`, a field not in a table is a literal without indexing (§6.2.2): the
/// block leaves the dynamic table as it was.
pub fn encode(
    table: &mut Table,
    fields: &[Field],
    size_update: Option<u32>,
    indexing: bool,
) -> Vec<u8> {
    let mut out = Vec::new();
    if let Some(max) = size_update {
        encode_int(&mut out, 5, 0x20, max as usize);
        table.resize(max);
    }
    for f in fields {
        match table.find(f) {
            Some((i, true)) => encode_int(&mut out, 7, 0x80, i),
            Some((i, false)) if !indexing => {
                encode_int(&mut out, 4, 0x00, i);
                encode_str(&mut out, &f.1);
            }
            None if !indexing => {
                out.push(0x00);
                encode_str(&mut out, &f.0);
                encode_str(&mut out, &f.1);
            }
            Some((i, false)) => {
                encode_int(&mut out, 6, 0x40, i);
                encode_str(&mut out, &f.1);
                table.insert(f.clone());
            }
            None => {
                out.push(0x40);
                encode_str(&mut out, &f.0);
                encode_str(&mut out, &f.1);
                table.insert(f.clone());
            }
        }
    }
    out
}

/// Whether a field block opens with a dynamic table size update (§6.3: the pattern
/// `001` in the first octet).
pub fn opens_with_size_update(block: &[u8]) -> bool {
    block.first().is_some_and(|b| b & 0xe0 == 0x20)
}

/// Decodes one field block, updating the decoder's `table`; `limit` is the
/// SETTINGS_HEADER_TABLE_SIZE the decoder announced (§4.2). On an error the table
/// is left as the block left it so far: the connection is over anyway (RFC 9113 §4.3).
pub fn decode(table: &mut Table, buf: &[u8], limit: u32) -> Result<Vec<Field>, DecodeError> {
    let mut at = 0;
    let mut fields = Vec::new();
    while at < buf.len() {
        let b = buf[at];
        if b & 0x80 != 0 {
            // §6.1 Indexed Header Field.
            let i = decode_int(buf, &mut at, 7)?;
            fields.push(table.get(i).ok_or(DecodeError::BadIndex(i))?);
        } else if b & 0xc0 == 0x40 || b & 0xf0 == 0x00 || b & 0xf0 == 0x10 {
            // §6.2.1 with incremental indexing (6-bit prefix); §6.2.2 without and
            // §6.2.3 never indexed (4-bit prefix).
            let indexing = b & 0xc0 == 0x40;
            let i = decode_int(buf, &mut at, if indexing { 6 } else { 4 })?;
            let name = if i == 0 {
                decode_str(buf, &mut at)?
            } else {
                table.get(i).ok_or(DecodeError::BadIndex(i))?.0
            };
            let value = decode_str(buf, &mut at)?;
            let f = (name, value);
            if indexing {
                table.insert(f.clone());
            }
            fields.push(f);
        } else {
            // §6.3 Dynamic Table Size Update: only at the start of a block (§4.2).
            if !fields.is_empty() {
                return Err(DecodeError::BadSizeUpdate);
            }
            let max = decode_int(buf, &mut at, 5)?;
            if max > limit as usize {
                return Err(DecodeError::BadSizeUpdate);
            }
            table.resize(max as u32);
        }
    }
    Ok(fields)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn f(n: &str, v: &str) -> Field {
        (n.into(), v.into())
    }

    #[test]
    fn integers_follow_the_examples_of_appendix_c1() {
        // C.1.1: 10 with a 5-bit prefix; C.1.2: 1337 with a 5-bit prefix; C.1.3: 42
        // with an 8-bit prefix.
        let mut out = Vec::new();
        encode_int(&mut out, 5, 0, 10);
        assert_eq!(out, [0b01010]);
        out.clear();
        encode_int(&mut out, 5, 0, 1337);
        assert_eq!(out, [0b11111, 0b1001_1010, 0b0000_1010]);
        let mut at = 0;
        assert_eq!(decode_int(&out, &mut at, 5), Ok(1337));
        assert_eq!(at, 3);
        out.clear();
        encode_int(&mut out, 8, 0, 42);
        assert_eq!(out, [42]);
    }

    #[test]
    fn the_requests_of_appendix_c3_decode_and_fill_the_table() {
        // C.3.1 to C.3.3: three requests without Huffman coding on one connection.
        let mut t = Table::new(DEFAULT_TABLE_SIZE);
        let c31 = [
            0x82, 0x86, 0x84, 0x41, 0x0f, b'w', b'w', b'w', b'.', b'e', b'x', b'a', b'm', b'p',
            b'l', b'e', b'.', b'c', b'o', b'm',
        ];
        let got = decode(&mut t, &c31, DEFAULT_TABLE_SIZE).unwrap();
        assert_eq!(
            got,
            [
                f(":method", "GET"),
                f(":scheme", "http"),
                f(":path", "/"),
                f(":authority", "www.example.com")
            ]
        );
        assert_eq!(t.entries, [f(":authority", "www.example.com")]);
        assert_eq!(t.size(), 57);
        let mut c32 = vec![0x82, 0x86, 0x84, 0xbe, 0x58, 0x08];
        c32.extend_from_slice(b"no-cache");
        decode(&mut t, &c32, DEFAULT_TABLE_SIZE).unwrap();
        assert_eq!(t.size(), 110);
        // Our encoder writes the same octets for the same fields.
        let mut e = Table::new(DEFAULT_TABLE_SIZE);
        let first = encode(
            &mut e,
            &[
                f(":method", "GET"),
                f(":scheme", "http"),
                f(":path", "/"),
                f(":authority", "www.example.com"),
            ],
            None,
            true,
        );
        assert_eq!(first, c31);
    }

    #[test]
    fn eviction_keeps_the_table_within_its_size() {
        let mut t = Table::new(100);
        t.insert(f("a", "1")); // 34
        t.insert(f("b", "2"));
        t.insert(f("c", "3"));
        assert_eq!(t.entries.len(), 2);
        assert_eq!(t.entries[0], f("c", "3"));
        t.resize(40);
        assert_eq!(t.entries, [f("c", "3")]);
        t.insert(f("x".repeat(50).as_str(), ""));
        assert!(t.entries.is_empty());
    }

    #[test]
    fn a_bad_index_and_a_late_size_update_are_decoding_errors() {
        let mut t = Table::new(DEFAULT_TABLE_SIZE);
        assert_eq!(
            decode(&mut t, &[0xbe], DEFAULT_TABLE_SIZE),
            Err(DecodeError::BadIndex(62))
        );
        assert_eq!(
            decode(&mut t, &[0x82, 0x20], DEFAULT_TABLE_SIZE),
            Err(DecodeError::BadSizeUpdate)
        );
        // 4097, one above the limit.
        assert_eq!(
            decode(&mut t, &[0x3f, 0xe2, 0x1f], DEFAULT_TABLE_SIZE),
            Err(DecodeError::BadSizeUpdate)
        );
        assert_eq!(
            decode(&mut t, &[0x40, 0x81], DEFAULT_TABLE_SIZE),
            Err(DecodeError::Huffman)
        );
    }

    /// Blocks our encoder writes decode with loona-hpack to the same fields, block after
    /// block on one connection, and loona-hpack's blocks decode with ours.
    #[test]
    fn our_codec_and_loona_hpack_agree_across_blocks() {
        let blocks: Vec<Vec<Field>> = vec![
            vec![
                f(":method", "GET"),
                f(":scheme", "http"),
                f(":path", "/mypage?userid=0"),
                f(":authority", "www.rbooks.top"),
            ],
            vec![
                f(":method", "POST"),
                f(":scheme", "http"),
                f(":path", "/order"),
                f(":authority", "www.rbooks.top"),
                f("content-type", "text/plain"),
            ],
            vec![f(":status", "200"), f("server", "synack"), f("x-new", "v")],
            vec![f(":status", "200"), f("server", "synack"), f("x-new", "v")],
        ];
        let mut ours = Table::new(DEFAULT_TABLE_SIZE);
        let mut theirs = loona_hpack::Decoder::new();
        let mut their_enc = loona_hpack::Encoder::new();
        let mut our_dec = Table::new(DEFAULT_TABLE_SIZE);
        for b in &blocks {
            let bytes = encode(&mut ours, b, None, true);
            let got: Vec<Field> = theirs
                .decode(&bytes)
                .unwrap()
                .into_iter()
                .map(|(n, v)| (String::from_utf8(n).unwrap(), String::from_utf8(v).unwrap()))
                .collect();
            assert_eq!(&got, b);
            let theirs_bytes =
                their_enc.encode(b.iter().map(|(n, v)| (n.as_bytes(), v.as_bytes())));
            assert_eq!(
                &decode(&mut our_dec, &theirs_bytes, DEFAULT_TABLE_SIZE).unwrap(),
                b
            );
        }
        // The second copy of a block is all indexed fields: one octet each.
        let again = encode(&mut ours, &blocks[3], None, true);
        assert!(again.iter().all(|b| b & 0x80 != 0));
        // Without indexing, a block decodes the same and leaves both tables alone.
        let before = ours.clone();
        let fields = vec![f(":path", "/style.css"), f("x-other", "w")];
        let bytes = encode(&mut ours, &fields, None, false);
        assert_eq!(ours, before);
        let got = theirs.decode(&bytes).unwrap();
        assert_eq!(got.len(), 2);
        assert_eq!(got[1], (b"x-other".to_vec(), b"w".to_vec()));
        let mut copy = our_dec.clone();
        assert_eq!(
            decode(&mut copy, &bytes, DEFAULT_TABLE_SIZE).unwrap(),
            fields
        );
        assert_eq!(copy, our_dec);
    }
}
