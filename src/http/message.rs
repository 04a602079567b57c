//! HTTP/1.1 messages as real bytes (RFC 9112): requests and responses are written as
//! text and read back with `httparse`, so the model and the wire format cannot drift.

use std::fmt::Write;

/// A request the browser sends.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
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
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Framing {
    /// `Content-Length: N`: the body is the next N bytes (rule 6).
    ContentLength,
    /// No length: the body ends when the server closes the connection (rule 8).
    Close,
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
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Response {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: String,
    pub framing: Framing,
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
    /// `HTTP/1.1 200 OK`, the headers, `Content-Length`, the body.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut s = format!("HTTP/1.1 {} {}\r\n", self.status, reason(self.status));
        for (k, v) in &self.headers {
            let _ = write!(s, "{k}: {v}\r\n");
        }
        match self.framing {
            Framing::ContentLength => {
                let _ = write!(s, "Content-Length: {}\r\n", self.body.len());
            }
            Framing::Close => s.push_str("Connection: close\r\n"),
        }
        s.push_str("\r\n");
        s.push_str(&self.body);
        s.into_bytes()
    }

    /// An interim response: a status line and an empty line, no body (RFC 9110 §15.2).
    pub fn interim(status: u16) -> std::sync::Arc<[u8]> {
        let s = format!("HTTP/1.1 {status} {}\r\n\r\n", reason(status));
        std::sync::Arc::from(s.into_bytes().into_boxed_slice())
    }

    pub fn new(status: u16, headers: Vec<(String, String)>, body: &str) -> Response {
        Response {
            status,
            headers,
            body: body.into(),
            framing: Framing::ContentLength,
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
    match resp.code {
        Some(status) => Head::Complete(ParsedResponse {
            status,
            location: get("location"),
            retry_after: get("retry-after"),
            head_len,
            content_length,
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
/// has closed its side. Interim (1xx) responses have no body and are skipped (RFC 9110
/// §15.2). The body ends after Content-Length bytes, or else at the close (RFC 9112
/// §6.3 rules 6 and 8): there a close at any point looks like the end of the body.
pub fn progress(bytes: &[u8], eof: bool) -> Progress {
    let mut at = 0;
    loop {
        match parse_head(&bytes[at..]) {
            Head::Invalid => return Progress::Invalid,
            Head::Partial if eof => return Progress::Incomplete,
            Head::Partial => return Progress::Wait,
            Head::Complete(r) if class_of(r.status) == 100 => at += r.head_len,
            Head::Complete(r) => {
                let body = bytes.len() - at - r.head_len;
                return match r.content_length {
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
// ANCHOR_END: progress

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
        assert_eq!(progress(half, false), Progress::Wait);
        assert_eq!(progress(half, true), Progress::Incomplete);
        assert!(matches!(progress(&whole, false), Progress::Done(_, 5)));
        r.framing = Framing::Close;
        let whole = r.to_bytes();
        let half = &whole[..whole.len() - 3];
        assert_eq!(progress(half, false), Progress::Wait);
        // The truncated body looks complete: the close is all the browser has to go on.
        assert!(matches!(progress(half, true), Progress::Done(_, 2)));
        let mut with_continue = Response::new(100, Vec::new(), "").to_bytes();
        with_continue.truncate(with_continue.len() - "Content-Length: 0\r\n\r\n".len());
        with_continue.extend_from_slice(b"\r\n");
        with_continue.extend_from_slice(&Response::new(200, Vec::new(), "ok").to_bytes());
        assert!(matches!(progress(&with_continue, false), Progress::Done(r, 2) if r.status == 200));
        assert_eq!(
            progress(b"HTTP/1.1 2x0 Oops\r\n\r\n", false),
            Progress::Invalid
        );
    }
}

#[cfg(test)]
mod framing_tests {
    use super::*;

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
