//! HTTP/1.1 messages as real bytes (RFC 9112): requests and responses are written as
//! text and read back with `httparse`, so the model and the wire format cannot drift.

use std::fmt::Write;
use std::io::Write as _;

/// A request the browser sends.
#[derive(Clone, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub struct Request {
    pub method: String,
    /// Path and query, as the `url` crate gives them.
    pub target: String,
    pub host: Option<String>,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Request {
    // ANCHOR: request_to_bytes
    /// `GET /mypage?userid=0 HTTP/1.1`, then Host (RFC 9110 §7.2) and the headers.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut s = format!("{} {} HTTP/1.1\r\n", self.method, self.target);
        if let Some(h) = &self.host {
            let _ = write!(s, "Host: {h}\r\n");
        }
        for (k, v) in &self.headers {
            let _ = write!(s, "{k}: {v}\r\n");
        }
        if !self.body.is_empty() {
            let _ = write!(s, "Content-Length: {}\r\n", self.body.len());
        }
        s.push_str("\r\n");
        let mut b = s.into_bytes();
        b.extend_from_slice(&self.body);
        b
    }
    // ANCHOR_END: request_to_bytes
}

/// A request as the origin reads it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ParsedRequest {
    pub method: String,
    pub path: String,
    pub host: Option<String>,
    /// The length of the head, up to and including the empty line.
    pub head_len: usize,
    /// The body's length (0 without Content-Length).
    pub content_length: usize,
    /// `Expect: 100-continue` (RFC 9110 §10.1.1).
    pub expect_continue: bool,
}

/// What the request bytes received so far hold.
enum RequestHead {
    Complete(ParsedRequest),
    Partial,
    Invalid,
}

/// Content-Length as RFC 9110 §8.6 defines it: `1*DIGIT`. A list, or a repeated field,
/// of one same value is that value (§8.6 allows collapsing them); a sign, a blank, a
/// non-digit, an overflow or two different values make the framing invalid (RFC 9112
/// §6.3 rule 5). `Ok(None)`: no Content-Length.
pub fn content_length(headers: &[httparse::Header]) -> Result<Option<usize>, ()> {
    let mut value: Option<usize> = None;
    for h in headers
        .iter()
        .filter(|h| h.name.eq_ignore_ascii_case("content-length"))
    {
        for part in h.value.split(|&b| b == b',') {
            let p = part.trim_ascii();
            if p.is_empty() || !p.iter().all(u8::is_ascii_digit) {
                return Err(());
            }
            let n: usize = std::str::from_utf8(p)
                .ok()
                .and_then(|t| t.parse().ok())
                .ok_or(())?;
            match value {
                Some(v) if v != n => return Err(()),
                _ => value = Some(n),
            }
        }
    }
    Ok(value)
}

fn parse_request_head(bytes: &[u8]) -> RequestHead {
    let mut headers = [httparse::EMPTY_HEADER; 16];
    let mut req = httparse::Request::new(&mut headers);
    let head_len = match req.parse(bytes) {
        Ok(httparse::Status::Complete(n)) => n,
        Ok(httparse::Status::Partial) => return RequestHead::Partial,
        Err(_) => return RequestHead::Invalid,
    };
    let get = |n: &str| req.headers.iter().find(|h| h.name.eq_ignore_ascii_case(n));
    let (Some(method), Some(path)) = (req.method, req.path) else {
        return RequestHead::Invalid;
    };
    // RFC 9112 §6.3 rule 5: a request with an invalid Content-Length gets 400. Rule 3:
    // Transfer-Encoding together with Content-Length "ought to be handled as an error"
    // (request smuggling, §11.2); the origin here knows no transfer coding either.
    let Ok(length) = content_length(req.headers) else {
        return RequestHead::Invalid;
    };
    if get("transfer-encoding").is_some() {
        return RequestHead::Invalid;
    }
    RequestHead::Complete(ParsedRequest {
        method: method.to_string(),
        path: path.to_string(),
        host: get("host").map(|h| String::from_utf8_lossy(h.value).into_owned()),
        head_len,
        content_length: length.unwrap_or(0),
        expect_continue: get("expect")
            .is_some_and(|h| h.value.eq_ignore_ascii_case(b"100-continue")),
    })
}

/// Parses a request head; `None` if it is not a whole, valid HTTP/1.1 head.
pub fn parse_request(bytes: &[u8]) -> Option<ParsedRequest> {
    match parse_request_head(bytes) {
        RequestHead::Complete(r) => Some(r),
        _ => None,
    }
}

/// How a response's body ends (RFC 9112 §6.3).
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Deserialize, serde::Serialize,
)]
#[serde(rename_all = "kebab-case")]
pub enum Framing {
    /// `Content-Length: N`: the body is the next N bytes (rule 6).
    ContentLength,
    /// No length: the body ends when the server closes the connection (rule 8).
    Close,
    /// `Transfer-Encoding: chunked` (§7.1): each chunk says its size, and a last
    /// chunk of size 0 ends the body, so a close before it is a truncation (rule 4).
    Chunked,
}

/// Whether `bytes` hold a whole request: its head, and as many body bytes as its
/// Content-Length says. Bytes that are not a request count as whole (the origin
/// answers them with 400).
pub fn request_complete(bytes: &[u8]) -> bool {
    match parse_request_head(bytes) {
        RequestHead::Complete(r) => bytes.len() - r.head_len >= r.content_length,
        RequestHead::Partial => false,
        RequestHead::Invalid => true,
    }
}

/// Whether the request head in `bytes` asks for 100 Continue (RFC 9110 §10.1.1).
pub fn expects_continue(bytes: &[u8]) -> bool {
    parse_request(bytes).is_some_and(|r| r.expect_continue)
}

/// A response the origin sends.
#[derive(Clone, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub struct Response {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: String,
    pub framing: Framing,
    /// The answer to a HEAD: the header fields a GET would get, no body (RFC 9110
    /// §9.3.2).
    pub head_only: bool,
}

/// Whether a response with this status never has a body, whatever its header fields
/// say (RFC 9112 §6.3 rule 1: 1xx, 204, 304).
pub fn bodiless_status(status: u16) -> bool {
    class_of(status) == 100 || status == 204 || status == 304
}

/// The reason phrase of RFC 9110 §15 for the codes the seeds list, and the redirects.
pub fn reason(status: u16) -> &'static str {
    match status {
        100 => "Continue",
        200 => "OK",
        204 => "No Content",
        300 => "Multiple Choices",
        301 => "Moved Permanently",
        302 => "Found",
        303 => "See Other",
        304 => "Not Modified",
        307 => "Temporary Redirect",
        308 => "Permanent Redirect",
        400 => "Bad Request",
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "Not Found",
        405 => "Method Not Allowed",
        500 => "Internal Server Error",
        502 => "Bad Gateway",
        503 => "Service Unavailable",
        504 => "Gateway Timeout",
        _ => "Unknown",
    }
}

impl Response {
    /// `HTTP/1.1 200 OK`, the headers, the framing, the body.
    pub fn to_bytes(&self) -> Vec<u8> {
        self.to_pieces(1).concat()
    }

    /// The response as the origin writes it in `n` writes (1 or 2): the head with the
    /// first half of the body, then the rest. Chunked, each write is one chunk, and the
    /// second ends with the last chunk (`0`, then the empty trailer section).
    pub fn to_pieces(&self, n: u8) -> Vec<Vec<u8>> {
        let mut s = format!("HTTP/1.1 {} {}\r\n", self.status, reason(self.status));
        for (k, v) in &self.headers {
            let _ = write!(s, "{k}: {v}\r\n");
        }
        // 1xx, 204 and 304 carry no body; a 204 or 1xx no Content-Length either
        // (RFC 9110 §8.6).
        let bodiless = bodiless_status(self.status);
        match self.framing {
            _ if bodiless => {}
            Framing::ContentLength => {
                let _ = write!(s, "Content-Length: {}\r\n", self.body.len());
            }
            Framing::Close => s.push_str("Connection: close\r\n"),
            Framing::Chunked => s.push_str("Transfer-Encoding: chunked\r\n"),
        }
        s.push_str("\r\n");
        let mut head = s.into_bytes();
        let body = if bodiless || self.head_only {
            ""
        } else {
            self.body.as_str()
        };
        let (a, b) = if n >= 2 {
            body.split_at(body.len() / 2)
        } else {
            (body, "")
        };
        let mut rest = Vec::new();
        if self.framing == Framing::Chunked && !bodiless && !self.head_only {
            for (part, out) in [(a, &mut head), (b, &mut rest)] {
                if !part.is_empty() {
                    let _ = out.write_fmt(format_args!("{:x}\r\n{part}\r\n", part.len()));
                }
            }
            let last = if n >= 2 { &mut rest } else { &mut head };
            last.extend_from_slice(b"0\r\n\r\n");
        } else {
            head.extend_from_slice(a.as_bytes());
            rest.extend_from_slice(b.as_bytes());
        }
        if n >= 2 {
            vec![head, rest]
        } else {
            vec![head]
        }
    }

    /// Whether the response carries `Connection: close` among its header fields.
    pub fn says_close(&self) -> bool {
        self.headers.iter().any(|(k, v)| {
            k.eq_ignore_ascii_case("connection")
                && v.split(',').any(|o| o.trim().eq_ignore_ascii_case("close"))
        })
    }

    /// An interim response: a status line and an empty line, no body (RFC 9110 §15.2).
    pub fn interim(status: u16) -> crate::wire::Bytes {
        let s = format!("HTTP/1.1 {status} {}\r\n\r\n", reason(status));
        crate::wire::Bytes::from(s)
    }

    pub fn new(status: u16, headers: Vec<(String, String)>, body: &str) -> Response {
        Response {
            status,
            headers,
            body: body.into(),
            framing: Framing::ContentLength,
            head_only: false,
        }
    }
}

/// A response head as the browser reads it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ParsedResponse {
    pub status: u16,
    pub location: Option<String>,
    pub retry_after: Option<String>,
    /// The length of the head, up to and including the empty line.
    pub head_len: usize,
    /// `None`: the body is delimited by the close of the connection.
    pub content_length: Option<usize>,
    /// `Transfer-Encoding` ends with `chunked` (RFC 9112 §6.3 rule 4; it overrides
    /// Content-Length, rule 3).
    pub chunked: bool,
    /// Transfer-Encoding is present, but chunked is not its final coding: the body
    /// ends at the close (rule 4).
    pub other_coding: bool,
    /// `Connection: close` (RFC 9112 §9.6): the server closes after this response.
    pub close: bool,
}

/// What the bytes received so far hold.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Head {
    Complete(ParsedResponse),
    /// Not a whole head yet.
    Partial,
    /// Not HTTP/1.1 (or a bad Content-Length, RFC 9112 §6.3 rule 5).
    Invalid,
}

/// Parses a response head; `None` if it is not a whole, valid HTTP/1.1 head.
pub fn parse_response(bytes: &[u8]) -> Option<ParsedResponse> {
    match parse_head(bytes) {
        Head::Complete(r) => Some(r),
        _ => None,
    }
}

/// Parses the head of the bytes received so far.
pub fn parse_head(bytes: &[u8]) -> Head {
    let mut headers = [httparse::EMPTY_HEADER; 16];
    let mut resp = httparse::Response::new(&mut headers);
    let head_len = match resp.parse(bytes) {
        Ok(httparse::Status::Complete(n)) => n,
        Ok(httparse::Status::Partial) => return Head::Partial,
        Err(_) => return Head::Invalid,
    };
    let get = |n: &str| {
        resp.headers
            .iter()
            .find(|h| h.name.eq_ignore_ascii_case(n))
            .map(|h| String::from_utf8_lossy(h.value).into_owned())
    };
    let Ok(content_length) = content_length(resp.headers) else {
        return Head::Invalid;
    };
    let te = get("transfer-encoding");
    let chunked = te.as_deref().is_some_and(|t| {
        t.rsplit(',')
            .next()
            .is_some_and(|last| last.trim().eq_ignore_ascii_case("chunked"))
    });
    let close = resp
        .headers
        .iter()
        .filter(|h| h.name.eq_ignore_ascii_case("connection"))
        .flat_map(|h| h.value.split(|&b| b == b','))
        .any(|o| o.trim_ascii().eq_ignore_ascii_case(b"close"));
    match resp.code {
        Some(status) => Head::Complete(ParsedResponse {
            status,
            location: get("location"),
            retry_after: get("retry-after"),
            head_len,
            content_length,
            chunked,
            other_coding: te.is_some() && !chunked,
            close,
        }),
        None => Head::Invalid,
    }
}

/// How far the bytes received so far go towards a whole final response.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Progress {
    /// More bytes may come.
    Wait,
    /// Not an HTTP/1.1 response.
    Invalid,
    /// The connection ended (`eof`) before the response did (RFC 9112 §8).
    Incomplete,
    /// The final response, and the length of its body.
    Done(ParsedResponse, usize),
}

// ANCHOR: progress
/// Reads a final response from the bytes received so far; `eof` says that the peer
/// has closed its side, and `head` that the request was a HEAD. The length of the body
/// is found as RFC 9112 §6.3 says, rule by rule: interim (1xx) responses have no body
/// and are skipped; a response to HEAD, a 204 and a 304 end with their head (rule 1),
/// whatever Content-Length they carry; chunked ends with its last chunk (rules 3, 4);
/// then Content-Length (rule 6); else the close ends the body (rules 4 and 8), and
/// there a close at any point looks like the end of the body.
pub fn progress(bytes: &[u8], eof: bool, head: bool) -> Progress {
    let mut at = 0;
    loop {
        match parse_head(&bytes[at..]) {
            Head::Invalid => return Progress::Invalid,
            Head::Partial if eof => return Progress::Incomplete,
            Head::Partial => return Progress::Wait,
            Head::Complete(r) if class_of(r.status) == 100 => at += r.head_len,
            Head::Complete(r) if head || bodiless_status(r.status) => return Progress::Done(r, 0),
            Head::Complete(r) if r.chunked => {
                let body = &bytes[at + r.head_len..];
                return match dechunk(body, None) {
                    Chunks::Done(n) => Progress::Done(r, n),
                    Chunks::Invalid => Progress::Invalid,
                    Chunks::Partial if eof => Progress::Incomplete,
                    Chunks::Partial => Progress::Wait,
                };
            }
            Head::Complete(r) => {
                let body = bytes.len() - at - r.head_len;
                return match r.content_length.filter(|_| !r.other_coding) {
                    Some(n) if body >= n => Progress::Done(r, n),
                    Some(_) if eof => Progress::Incomplete,
                    Some(_) => Progress::Wait,
                    None if eof => Progress::Done(r, body),
                    None => Progress::Wait,
                };
            }
        }
    }
}

/// How far a chunked body goes.
enum Chunks {
    /// The last chunk and the trailer section arrived: the body's decoded length.
    Done(usize),
    Partial,
    Invalid,
}

/// Walks a chunked body (RFC 9112 §7.1): `size[;ext] CRLF data CRLF` ..., then `0`,
/// the trailer fields, and an empty line. Chunk sizes are parsed by `httparse`.
fn dechunk(mut b: &[u8], mut out: Option<&mut Vec<u8>>) -> Chunks {
    let mut total = 0usize;
    loop {
        let (used, size) = match httparse::parse_chunk_size(b) {
            Ok(httparse::Status::Complete((used, size))) => (used, size),
            Ok(httparse::Status::Partial) => return Chunks::Partial,
            Err(_) => return Chunks::Invalid,
        };
        b = &b[used..];
        if size == 0 {
            // The trailer section: field lines, then an empty line.
            loop {
                let Some(end) = b.windows(2).position(|w| w == b"\r\n") else {
                    return Chunks::Partial;
                };
                if end == 0 {
                    return Chunks::Done(total);
                }
                b = &b[end + 2..];
            }
        }
        let Ok(size) = usize::try_from(size) else {
            return Chunks::Invalid;
        };
        if b.len() < size.saturating_add(2) {
            return Chunks::Partial;
        }
        if &b[size..size + 2] != b"\r\n" {
            return Chunks::Invalid;
        }
        total = total.saturating_add(size);
        if let Some(out) = out.as_deref_mut() {
            out.extend_from_slice(&b[..size]);
        }
        b = &b[size + 2..];
    }
}
// ANCHOR_END: progress

/// The body of a whole final response in `bytes` (after any interim ones), decoded
/// from its framing: what a gateway forwards.
pub fn body_of(bytes: &[u8], head: bool) -> Vec<u8> {
    let mut at = 0;
    while let Head::Complete(r) = parse_head(&bytes[at..]) {
        if class_of(r.status) == 100 {
            at += r.head_len;
            continue;
        }
        let body = &bytes[at + r.head_len..];
        if head || bodiless_status(r.status) {
            return Vec::new();
        }
        if r.chunked {
            let mut out = Vec::new();
            dechunk(body, Some(&mut out));
            return out;
        }
        let n = r
            .content_length
            .filter(|_| !r.other_coding)
            .unwrap_or(body.len());
        return body[..n.min(body.len())].to_vec();
    }
    Vec::new()
}

/// The header fields of a response head that a proxy forwards: all but the
/// hop-by-hop fields (RFC 9110 §7.6.1: Connection and the fields it names,
/// Proxy-Connection, Keep-Alive, TE, Transfer-Encoding, Upgrade) and the framing
/// (Content-Length, which the proxy writes anew).
pub fn forwarded_fields(bytes: &[u8]) -> Vec<(String, String)> {
    let mut headers = [httparse::EMPTY_HEADER; 16];
    let mut resp = httparse::Response::new(&mut headers);
    if !matches!(resp.parse(bytes), Ok(httparse::Status::Complete(_))) {
        return Vec::new();
    }
    let named: Vec<String> = resp
        .headers
        .iter()
        .filter(|h| h.name.eq_ignore_ascii_case("connection"))
        .flat_map(|h| {
            String::from_utf8_lossy(h.value)
                .split(',')
                .map(|o| o.trim().to_ascii_lowercase())
                .collect::<Vec<_>>()
        })
        .collect();
    const HOP: [&str; 8] = [
        "connection",
        "proxy-connection",
        "keep-alive",
        "te",
        "trailer",
        "transfer-encoding",
        "upgrade",
        "content-length",
    ];
    resp.headers
        .iter()
        .filter(|h| {
            let n = h.name.to_ascii_lowercase();
            !HOP.contains(&n.as_str()) && !named.contains(&n)
        })
        .map(|h| {
            (
                h.name.to_string(),
                String::from_utf8_lossy(h.value).into_owned(),
            )
        })
        .collect()
}

// ANCHOR: class_of
/// RFC 9110 §15: "a client MUST understand the class of any status code ... and
/// treat an unrecognized status code as being equivalent to the x00 status code of
/// that class".
pub fn class_of(status: u16) -> u16 {
    (status / 100) * 100
}
// ANCHOR_END: class_of

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_request_round_trips_through_httparse() {
        let r = Request {
            method: "GET".into(),
            target: "/mypage?userid=0".into(),
            host: Some("www.rbooks.top".into()),
            headers: vec![("User-Agent".into(), "synack".into())],
            body: Vec::new(),
        };
        let b = r.to_bytes();
        assert!(b.starts_with(b"GET /mypage?userid=0 HTTP/1.1\r\nHost: www.rbooks.top\r\n"));
        let p = parse_request(&b).unwrap();
        assert_eq!(p.path, "/mypage?userid=0");
        assert_eq!(p.host.as_deref(), Some("www.rbooks.top"));
    }

    #[test]
    fn a_response_round_trips_and_unknown_codes_fall_back_to_their_class() {
        let r = Response::new(301, vec![("Location".into(), "/new".into())], "");
        let p = parse_response(&r.to_bytes()).unwrap();
        assert_eq!((p.status, p.location.as_deref()), (301, Some("/new")));
        assert_eq!(class_of(418), 400);
        assert_eq!(class_of(299), 200);
        assert!(parse_response(b"HTTP/1.1 2x0 OK\r\n\r\n").is_none());
    }

    #[test]
    fn the_head_says_how_the_body_ends() {
        let mut r = Response::new(200, Vec::new(), "hello");
        let b = r.to_bytes();
        let Head::Complete(p) = parse_head(&b) else {
            panic!("a whole head")
        };
        assert_eq!(p.content_length, Some(5));
        assert_eq!(&b[p.head_len..], b"hello");
        assert_eq!(parse_head(&b[..10]), Head::Partial);
        r.framing = Framing::Close;
        let Head::Complete(p) = parse_head(&r.to_bytes()) else {
            panic!("a whole head")
        };
        assert_eq!(p.content_length, None);
        assert_eq!(
            parse_head(b"HTTP/1.1 200 OK\r\nContent-Length: x\r\n\r\n"),
            Head::Invalid
        );
    }

    #[test]
    fn a_close_ends_a_close_delimited_body_wherever_it_comes() {
        let mut r = Response::new(200, Vec::new(), "hello");
        let whole = r.to_bytes();
        let half = &whole[..whole.len() - 3];
        assert_eq!(progress(half, false, false), Progress::Wait);
        assert_eq!(progress(half, true, false), Progress::Incomplete);
        assert!(matches!(
            progress(&whole, false, false),
            Progress::Done(_, 5)
        ));
        r.framing = Framing::Close;
        let whole = r.to_bytes();
        let half = &whole[..whole.len() - 3];
        assert_eq!(progress(half, false, false), Progress::Wait);
        // The truncated body looks complete: the close is all the browser has to go on.
        assert!(matches!(progress(half, true, false), Progress::Done(_, 2)));
        // A 1xx is written with no framing at all (RFC 9110 §8.6).
        let mut with_continue = Response::new(100, Vec::new(), "").to_bytes();
        assert_eq!(with_continue, &*Response::interim(100));
        with_continue.extend_from_slice(&Response::new(200, Vec::new(), "ok").to_bytes());
        assert!(
            matches!(progress(&with_continue, false, false), Progress::Done(r, 2) if r.status == 200)
        );
        assert_eq!(
            progress(b"HTTP/1.1 2x0 Oops\r\n\r\n", false, false),
            Progress::Invalid
        );
    }
}

#[cfg(test)]
mod framing_tests {
    use super::*;

    fn answer(status: u16, framing: Framing, head_only: bool, n: u8) -> Vec<Vec<u8>> {
        let mut r = Response::new(status, Vec::new(), "hello world");
        r.framing = framing;
        r.head_only = head_only;
        r.to_pieces(n)
    }

    #[test]
    fn chunked_bodies_end_with_the_last_chunk_and_detect_truncation_rfc_9112_7_1() {
        let whole = answer(200, Framing::Chunked, false, 2);
        assert!(
            whole[0].ends_with(b"5\r\nhello\r\n"),
            "{:?}",
            String::from_utf8_lossy(&whole[0])
        );
        assert!(whole[1].ends_with(b"6\r\n world\r\n0\r\n\r\n"));
        let all = whole.concat();
        assert!(matches!(
            progress(&all, false, false),
            Progress::Done(_, 11)
        ));
        assert_eq!(body_of(&all, false), b"hello world");
        // A close after the first chunk is a truncation, not the end of the body.
        assert_eq!(progress(&whole[0], false, false), Progress::Wait);
        assert_eq!(progress(&whole[0], true, false), Progress::Incomplete);
        // Cut anywhere before the end: never complete, incomplete at the close.
        for cut in whole[0].len()..all.len() {
            assert_eq!(
                progress(&all[..cut], true, false),
                Progress::Incomplete,
                "{cut}"
            );
        }
        // Trailer fields, and a bad chunk size.
        let mut t = whole[0].clone();
        t.extend_from_slice(b"0\r\nX-Sum: 1\r\n\r\n");
        assert!(matches!(progress(&t, false, false), Progress::Done(_, 5)));
        let mut bad = whole[0].clone();
        bad.extend_from_slice(b"zz\r\n");
        assert_eq!(progress(&bad, false, false), Progress::Invalid);
        // Transfer-Encoding overrides Content-Length in a response (rule 3).
        let te_cl = b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nok\r\n0\r\n\r\n";
        assert!(matches!(
            progress(te_cl, false, false),
            Progress::Done(_, 2)
        ));
    }

    #[test]
    fn head_204_and_304_end_with_their_head_rfc_9112_6_3_rule_1() {
        // HEAD: the Content-Length of the GET, and no body.
        let head = answer(200, Framing::ContentLength, true, 1).concat();
        assert!(String::from_utf8_lossy(&head).contains("Content-Length: 11"));
        assert!(head.ends_with(b"\r\n\r\n"));
        assert!(matches!(progress(&head, false, true), Progress::Done(_, 0)));
        // Read as a GET's answer, the same bytes would wait for 11 bytes for ever.
        assert_eq!(progress(&head, false, false), Progress::Wait);
        for status in [204, 304] {
            let r = answer(status, Framing::ContentLength, false, 1).concat();
            assert!(r.ends_with(b"\r\n\r\n"), "{status}");
            assert!(matches!(progress(&r, false, false), Progress::Done(_, 0)));
        }
        // A 304 may carry the Content-Length of the representation (RFC 9110 §8.6).
        let cached = b"HTTP/1.1 304 Not Modified\r\nContent-Length: 42\r\n\r\n";
        assert!(matches!(
            progress(cached, false, false),
            Progress::Done(_, 0)
        ));
        // Chunked or close-delimited: still no body.
        let r = answer(204, Framing::Chunked, false, 2).concat();
        assert!(!String::from_utf8_lossy(&r).contains("chunked"));
        assert!(matches!(progress(&r, false, false), Progress::Done(_, 0)));
    }

    #[test]
    fn connection_close_and_the_fields_a_proxy_forwards() {
        let r = b"HTTP/1.1 503 Service Unavailable\r\nRetry-After: 120\r\nConnection: close, X-Hop\r\nX-Hop: 1\r\nKeep-Alive: 5\r\nContent-Length: 0\r\nWWW-Authenticate: Basic\r\n\r\n";
        assert!(matches!(parse_head(r), Head::Complete(p) if p.close));
        let f = forwarded_fields(r);
        let names: Vec<&str> = f.iter().map(|(k, _)| k.as_str()).collect();
        assert_eq!(names, ["Retry-After", "WWW-Authenticate"]);
        let ok = Response::new(200, vec![("Connection".into(), "close".into())], "x");
        assert!(ok.says_close());
        assert!(!Response::new(200, Vec::new(), "x").says_close());
    }

    fn request(extra: &str) -> RequestHead {
        let text = format!("POST /a HTTP/1.1\r\nHost: h\r\n{extra}\r\n");
        parse_request_head(text.as_bytes())
    }

    #[test]
    fn content_length_is_exactly_digits_rfc_9110_8_6() {
        assert!(
            matches!(request("Content-Length: 7\r\n"), RequestHead::Complete(r) if r.content_length == 7)
        );
        // A list or repeat of one value collapses to it.
        assert!(
            matches!(request("Content-Length: 7, 7\r\n"), RequestHead::Complete(r) if r.content_length == 7)
        );
        assert!(matches!(
            request("Content-Length: 7\r\nContent-Length: 7\r\n"),
            RequestHead::Complete(_)
        ));
        for bad in [
            "+7",
            "-7",
            "7 7",
            "0x7",
            "",
            "7, 8",
            "99999999999999999999999",
        ] {
            assert!(
                matches!(
                    request(&format!("Content-Length: {bad}\r\n")),
                    RequestHead::Invalid
                ),
                "{bad:?}"
            );
        }
        assert!(matches!(
            request("Content-Length: 7\r\nContent-Length: 8\r\n"),
            RequestHead::Invalid
        ));
        // The response side follows the same rule.
        let head = |cl: &str| {
            parse_head(format!("HTTP/1.1 200 OK\r\nContent-Length: {cl}\r\n\r\n").as_bytes())
        };
        assert!(matches!(head("+7"), Head::Invalid));
        assert!(matches!(head("3"), Head::Complete(r) if r.content_length == Some(3)));
    }

    #[test]
    fn content_length_with_transfer_encoding_is_an_error_rfc_9112_6_3() {
        // Rule 3: the request-smuggling class; the origin answers such a request with 400.
        assert!(matches!(
            request("Content-Length: 3\r\nTransfer-Encoding: chunked\r\n"),
            RequestHead::Invalid
        ));
    }
}
