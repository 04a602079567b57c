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
}

/// A request as the origin reads it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ParsedRequest {
    pub method: String,
    pub path: String,
    pub host: Option<String>,
}

/// Parses a whole request; `None` if it is not valid HTTP/1.1.
pub fn parse_request(bytes: &[u8]) -> Option<ParsedRequest> {
    let mut headers = [httparse::EMPTY_HEADER; 16];
    let mut req = httparse::Request::new(&mut headers);
    match req.parse(bytes) {
        Ok(httparse::Status::Complete(_)) => {}
        _ => return None,
    }
    let host = req
        .headers
        .iter()
        .find(|h| h.name.eq_ignore_ascii_case("host"))
        .map(|h| String::from_utf8_lossy(h.value).into_owned());
    Some(ParsedRequest {
        method: req.method?.to_string(),
        path: req.path?.to_string(),
        host,
    })
}

/// A response the origin sends.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Response {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: String,
}

/// The reason phrase of RFC 9110 §15 for the codes the seeds list.
pub fn reason(status: u16) -> &'static str {
    match status {
        100 => "Continue",
        200 => "OK",
        301 => "Moved Permanently",
        302 => "Found",
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
        let _ = write!(
            s,
            "Content-Length: {}\r\n\r\n{}",
            self.body.len(),
            self.body
        );
        s.into_bytes()
    }
}

/// A response as the browser reads it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ParsedResponse {
    pub status: u16,
    pub location: Option<String>,
    pub retry_after: Option<String>,
}

/// Parses a response head; `None` if it is not valid HTTP/1.1.
pub fn parse_response(bytes: &[u8]) -> Option<ParsedResponse> {
    let mut headers = [httparse::EMPTY_HEADER; 16];
    let mut resp = httparse::Response::new(&mut headers);
    match resp.parse(bytes) {
        Ok(httparse::Status::Complete(_)) => {}
        _ => return None,
    }
    let get = |n: &str| {
        resp.headers
            .iter()
            .find(|h| h.name.eq_ignore_ascii_case(n))
            .map(|h| String::from_utf8_lossy(h.value).into_owned())
    };
    Some(ParsedResponse {
        status: resp.code?,
        location: get("location"),
        retry_after: get("retry-after"),
    })
}

/// RFC 9110 §15: "a client MUST understand the class of any status code ... and
/// treat an unrecognized status code as being equivalent to the x00 status code of
/// that class".
pub fn class_of(status: u16) -> u16 {
    (status / 100) * 100
}

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
        let r = Response {
            status: 301,
            headers: vec![("Location".into(), "/new".into())],
            body: String::new(),
        };
        let p = parse_response(&r.to_bytes()).unwrap();
        assert_eq!((p.status, p.location.as_deref()), (301, Some("/new")));
        assert_eq!(class_of(418), 400);
        assert_eq!(class_of(299), 200);
        assert!(parse_response(b"HTTP/1.1 2x0 OK\r\n\r\n").is_none());
    }
}
