//! HTTP/2 frames as octets (RFC 9113 §4.1, §6): the 9-octet frame header and the
//! payloads of the frame types the model sends.
//!
//! A frame is `Length (24) | Type (8) | Flags (8) | R (1) | Stream Identifier (31)`
//! followed by `Length` octets of payload. [`Frame::encode`] writes exactly that;
//! [`Frame::decode`] reads it back and checks the sizes §6 fixes, so that a frame of
//! the wrong size is a FRAME_SIZE_ERROR (§4.2).

use std::fmt;

/// The connection preface a client sends first (§3.4).
pub const PREFACE: &[u8; 24] = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";

/// The frame types (§6, §11.2).
pub mod ty {
    pub const DATA: u8 = 0x0;
    pub const HEADERS: u8 = 0x1;
    pub const PRIORITY: u8 = 0x2;
    pub const RST_STREAM: u8 = 0x3;
    pub const SETTINGS: u8 = 0x4;
    pub const PUSH_PROMISE: u8 = 0x5;
    pub const PING: u8 = 0x6;
    pub const GOAWAY: u8 = 0x7;
    pub const WINDOW_UPDATE: u8 = 0x8;
    pub const CONTINUATION: u8 = 0x9;
}

/// Flags (§6.1, §6.2, §6.5, §6.7).
pub mod flag {
    pub const END_STREAM: u8 = 0x1;
    pub const ACK: u8 = 0x1;
    pub const END_HEADERS: u8 = 0x4;
    pub const PADDED: u8 = 0x8;
    pub const PRIORITY: u8 = 0x20;
}

/// Error codes (§7).
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize,
)]
pub enum ErrorCode {
    NoError = 0x0,
    ProtocolError = 0x1,
    InternalError = 0x2,
    FlowControlError = 0x3,
    StreamClosed = 0x5,
    FrameSizeError = 0x6,
    RefusedStream = 0x7,
    Cancel = 0x8,
    CompressionError = 0x9,
    EnhanceYourCalm = 0xb,
}

impl ErrorCode {
    pub fn from_u32(v: u32) -> ErrorCode {
        match v {
            0x0 => ErrorCode::NoError,
            0x1 => ErrorCode::ProtocolError,
            0x3 => ErrorCode::FlowControlError,
            0x5 => ErrorCode::StreamClosed,
            0x6 => ErrorCode::FrameSizeError,
            0x7 => ErrorCode::RefusedStream,
            0x8 => ErrorCode::Cancel,
            0x9 => ErrorCode::CompressionError,
            0xb => ErrorCode::EnhanceYourCalm,
            // §7: an unknown code MAY be treated as INTERNAL_ERROR.
            _ => ErrorCode::InternalError,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            ErrorCode::NoError => "NO_ERROR",
            ErrorCode::ProtocolError => "PROTOCOL_ERROR",
            ErrorCode::InternalError => "INTERNAL_ERROR",
            ErrorCode::FlowControlError => "FLOW_CONTROL_ERROR",
            ErrorCode::StreamClosed => "STREAM_CLOSED",
            ErrorCode::FrameSizeError => "FRAME_SIZE_ERROR",
            ErrorCode::RefusedStream => "REFUSED_STREAM",
            ErrorCode::Cancel => "CANCEL",
            ErrorCode::CompressionError => "COMPRESSION_ERROR",
            ErrorCode::EnhanceYourCalm => "ENHANCE_YOUR_CALM",
        }
    }
}

/// SETTINGS parameters the model sends (RFC 9113 §6.5.2).
pub mod setting {
    pub const HEADER_TABLE_SIZE: u16 = 0x1;
    pub const ENABLE_PUSH: u16 = 0x2;
    pub const MAX_CONCURRENT_STREAMS: u16 = 0x3;
    pub const INITIAL_WINDOW_SIZE: u16 = 0x4;
}

/// The largest stream identifier (§5.1.1), the first GOAWAY of a graceful shutdown.
pub const MAX_STREAM_ID: u32 = (1 << 31) - 1;

/// One frame, decoded.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Frame {
    Data {
        stream: u32,
        end_stream: bool,
        data: Vec<u8>,
    },
    /// A HEADERS frame with END_HEADERS: its field block is whole (the model's blocks
    /// fit one frame, so it sends no CONTINUATION).
    Headers {
        stream: u32,
        end_stream: bool,
        block: Vec<u8>,
    },
    Priority {
        stream: u32,
    },
    /// A PUSH_PROMISE frame with END_HEADERS (§6.6): on the stream of the request it
    /// answers, it reserves the `promised` stream and carries the whole field block of
    /// the request the server pretends the client made.
    PushPromise {
        stream: u32,
        promised: u32,
        block: Vec<u8>,
    },
    RstStream {
        stream: u32,
        code: ErrorCode,
    },
    Settings {
        ack: bool,
        params: Vec<(u16, u32)>,
    },
    Ping {
        ack: bool,
        data: [u8; 8],
    },
    GoAway {
        last: u32,
        code: ErrorCode,
    },
    WindowUpdate {
        stream: u32,
        increment: u32,
    },
    /// A frame type the model does not send (CONTINUATION, extensions, a padded
    /// PUSH_PROMISE): type, flags, stream.
    Other {
        ty: u8,
        flags: u8,
        stream: u32,
    },
}

/// Why octets are not a frame: the connection error the receiver must raise.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FrameError(pub ErrorCode, pub &'static str);

fn header(out: &mut Vec<u8>, len: usize, ty: u8, flags: u8, stream: u32) {
    let len = len as u32;
    out.extend_from_slice(&len.to_be_bytes()[1..]);
    out.push(ty);
    out.push(flags);
    out.extend_from_slice(&(stream & MAX_STREAM_ID).to_be_bytes());
}

impl Frame {
    /// The stream the frame is on (0: the connection).
    pub fn stream(&self) -> u32 {
        match self {
            Frame::Data { stream, .. }
            | Frame::Headers { stream, .. }
            | Frame::Priority { stream }
            | Frame::PushPromise { stream, .. }
            | Frame::RstStream { stream, .. }
            | Frame::WindowUpdate { stream, .. }
            | Frame::Other { stream, .. } => *stream,
            Frame::Settings { .. } | Frame::Ping { .. } | Frame::GoAway { .. } => 0,
        }
    }

    /// The frame type's name, as RFC 9113 spells it.
    pub fn type_name(&self) -> &'static str {
        match self {
            Frame::Data { .. } => "DATA",
            Frame::Headers { .. } => "HEADERS",
            Frame::Priority { .. } => "PRIORITY",
            Frame::PushPromise { .. } => "PUSH_PROMISE",
            Frame::RstStream { .. } => "RST_STREAM",
            Frame::Settings { .. } => "SETTINGS",
            Frame::Ping { .. } => "PING",
            Frame::GoAway { .. } => "GOAWAY",
            Frame::WindowUpdate { .. } => "WINDOW_UPDATE",
            Frame::Other {
                ty: ty::PUSH_PROMISE,
                ..
            } => "PUSH_PROMISE",
            Frame::Other {
                ty: ty::CONTINUATION,
                ..
            } => "CONTINUATION",
            Frame::Other { .. } => "unknown",
        }
    }

    /// Whether the frame carries END_STREAM.
    pub fn end_stream(&self) -> bool {
        matches!(
            self,
            Frame::Data {
                end_stream: true,
                ..
            } | Frame::Headers {
                end_stream: true,
                ..
            }
        )
    }

    /// The frame as octets: the 9-octet header, then the payload.
    pub fn encode(&self) -> Vec<u8> {
        let mut out = Vec::new();
        let es = |b: bool| if b { flag::END_STREAM } else { 0 };
        match self {
            Frame::Data {
                stream,
                end_stream,
                data,
            } => {
                header(&mut out, data.len(), ty::DATA, es(*end_stream), *stream);
                out.extend_from_slice(data);
            }
            Frame::Headers {
                stream,
                end_stream,
                block,
            } => {
                let flags = es(*end_stream) | flag::END_HEADERS;
                header(&mut out, block.len(), ty::HEADERS, flags, *stream);
                out.extend_from_slice(block);
            }
            Frame::Priority { stream } => {
                header(&mut out, 5, ty::PRIORITY, 0, *stream);
                // No dependency (stream 0), the default weight 16 (§5.3.5 in RFC 7540).
                out.extend_from_slice(&[0, 0, 0, 0, 15]);
            }
            Frame::PushPromise {
                stream,
                promised,
                block,
            } => {
                let len = 4 + block.len();
                header(&mut out, len, ty::PUSH_PROMISE, flag::END_HEADERS, *stream);
                out.extend_from_slice(&(promised & MAX_STREAM_ID).to_be_bytes());
                out.extend_from_slice(block);
            }
            Frame::RstStream { stream, code } => {
                header(&mut out, 4, ty::RST_STREAM, 0, *stream);
                out.extend_from_slice(&(*code as u32).to_be_bytes());
            }
            Frame::Settings { ack, params } => {
                let flags = if *ack { flag::ACK } else { 0 };
                header(&mut out, params.len() * 6, ty::SETTINGS, flags, 0);
                for (id, v) in params {
                    out.extend_from_slice(&id.to_be_bytes());
                    out.extend_from_slice(&v.to_be_bytes());
                }
            }
            Frame::Ping { ack, data } => {
                header(&mut out, 8, ty::PING, if *ack { flag::ACK } else { 0 }, 0);
                out.extend_from_slice(data);
            }
            Frame::GoAway { last, code } => {
                header(&mut out, 8, ty::GOAWAY, 0, 0);
                out.extend_from_slice(&(last & MAX_STREAM_ID).to_be_bytes());
                out.extend_from_slice(&(*code as u32).to_be_bytes());
            }
            Frame::WindowUpdate { stream, increment } => {
                header(&mut out, 4, ty::WINDOW_UPDATE, 0, *stream);
                out.extend_from_slice(&(increment & MAX_STREAM_ID).to_be_bytes());
            }
            Frame::Other { ty, flags, stream } => header(&mut out, 0, *ty, *flags, *stream),
        }
        out
    }

    /// Reads one whole frame (header and payload, nothing more).
    pub fn decode(b: &[u8]) -> Result<Frame, FrameError> {
        let size = |why| FrameError(ErrorCode::FrameSizeError, why);
        let proto = |why| FrameError(ErrorCode::ProtocolError, why);
        if b.len() < 9 {
            return Err(size("shorter than a frame header"));
        }
        let len = u32::from_be_bytes([0, b[0], b[1], b[2]]) as usize;
        let (ty, flags) = (b[3], b[4]);
        let stream = u32::from_be_bytes([b[5], b[6], b[7], b[8]]) & MAX_STREAM_ID;
        let p = &b[9..];
        if p.len() != len {
            return Err(size("the length field disagrees with the payload"));
        }
        let u32_at = |i: usize| u32::from_be_bytes([p[i], p[i + 1], p[i + 2], p[i + 3]]);
        let on_stream = |f: Frame| {
            if stream == 0 {
                Err(proto("a stream frame on stream 0"))
            } else {
                Ok(f)
            }
        };
        let on_connection = |f: Frame| {
            if stream != 0 {
                Err(proto("a connection frame on a stream"))
            } else {
                Ok(f)
            }
        };
        match ty {
            ty::DATA if flags & flag::PADDED == 0 => on_stream(Frame::Data {
                stream,
                end_stream: flags & flag::END_STREAM != 0,
                data: p.to_vec(),
            }),
            ty::HEADERS
                if flags & (flag::PADDED | flag::PRIORITY) == 0
                    && flags & flag::END_HEADERS != 0 =>
            {
                on_stream(Frame::Headers {
                    stream,
                    end_stream: flags & flag::END_STREAM != 0,
                    block: p.to_vec(),
                })
            }
            ty::PRIORITY if len != 5 => Err(size("PRIORITY is 5 octets")),
            ty::PRIORITY => on_stream(Frame::Priority { stream }),
            ty::PUSH_PROMISE
                if flags & flag::PADDED == 0 && flags & flag::END_HEADERS != 0 && len < 4 =>
            {
                Err(size(
                    "PUSH_PROMISE has a 4-octet promised stream identifier",
                ))
            }
            ty::PUSH_PROMISE if flags & flag::PADDED == 0 && flags & flag::END_HEADERS != 0 => {
                on_stream(Frame::PushPromise {
                    stream,
                    promised: u32_at(0) & MAX_STREAM_ID,
                    block: p[4..].to_vec(),
                })
            }
            ty::RST_STREAM if len != 4 => Err(size("RST_STREAM is 4 octets")),
            ty::RST_STREAM => on_stream(Frame::RstStream {
                stream,
                code: ErrorCode::from_u32(u32_at(0)),
            }),
            ty::SETTINGS if !len.is_multiple_of(6) => {
                Err(size("SETTINGS is a multiple of 6 octets"))
            }
            ty::SETTINGS if flags & flag::ACK != 0 && len != 0 => {
                Err(size("a SETTINGS ACK is empty"))
            }
            ty::SETTINGS => on_connection(Frame::Settings {
                ack: flags & flag::ACK != 0,
                params: p
                    .chunks(6)
                    .map(|c| (u16::from_be_bytes([c[0], c[1]]), u32_at_slice(&c[2..])))
                    .collect(),
            }),
            ty::PING if len != 8 => Err(size("PING is 8 octets")),
            ty::PING => on_connection(Frame::Ping {
                ack: flags & flag::ACK != 0,
                data: p.try_into().expect("8 octets"),
            }),
            ty::GOAWAY if len < 8 => Err(size("GOAWAY is at least 8 octets")),
            ty::GOAWAY => on_connection(Frame::GoAway {
                last: u32_at(0) & MAX_STREAM_ID,
                code: ErrorCode::from_u32(u32_at(4)),
            }),
            ty::WINDOW_UPDATE if len != 4 => Err(size("WINDOW_UPDATE is 4 octets")),
            ty::WINDOW_UPDATE => Ok(Frame::WindowUpdate {
                stream,
                increment: u32_at(0) & MAX_STREAM_ID,
            }),
            _ => Ok(Frame::Other { ty, flags, stream }),
        }
    }
}

fn u32_at_slice(c: &[u8]) -> u32 {
    u32::from_be_bytes([c[0], c[1], c[2], c[3]])
}

impl fmt::Display for Frame {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Frame::Data {
                stream,
                end_stream,
                data,
            } => {
                write!(f, "DATA[{stream}] {} octets", data.len())?;
                if *end_stream {
                    write!(f, " END_STREAM")?;
                }
                Ok(())
            }
            Frame::Headers {
                stream, end_stream, ..
            } => {
                write!(f, "HEADERS[{stream}]")?;
                if *end_stream {
                    write!(f, " END_STREAM")?;
                }
                Ok(())
            }
            Frame::Priority { stream } => write!(f, "PRIORITY[{stream}]"),
            Frame::PushPromise {
                stream, promised, ..
            } => write!(f, "PUSH_PROMISE[{stream}] promised={promised}"),
            Frame::RstStream { stream, code } => write!(f, "RST_STREAM[{stream}] {}", code.name()),
            Frame::Settings { ack: true, .. } => write!(f, "SETTINGS ACK"),
            Frame::Settings { params, .. } => {
                write!(f, "SETTINGS")?;
                for (id, v) in params {
                    match *id {
                        setting::HEADER_TABLE_SIZE => write!(f, " HEADER_TABLE_SIZE={v}")?,
                        setting::ENABLE_PUSH => write!(f, " ENABLE_PUSH={v}")?,
                        setting::MAX_CONCURRENT_STREAMS => {
                            write!(f, " MAX_CONCURRENT_STREAMS={v}")?
                        }
                        setting::INITIAL_WINDOW_SIZE => write!(f, " INITIAL_WINDOW_SIZE={v}")?,
                        other => write!(f, " 0x{other:x}={v}")?,
                    }
                }
                Ok(())
            }
            Frame::Ping { ack: true, .. } => write!(f, "PING ACK"),
            Frame::Ping { .. } => write!(f, "PING"),
            Frame::GoAway { last, code } => {
                if *last == MAX_STREAM_ID {
                    write!(f, "GOAWAY last=2^31-1 {}", code.name())
                } else {
                    write!(f, "GOAWAY last={last} {}", code.name())
                }
            }
            Frame::WindowUpdate { stream, increment } => {
                write!(f, "WINDOW_UPDATE[{stream}] +{increment}")
            }
            Frame::Other { stream, .. } => write!(f, "{}[{stream}]", self.type_name()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_frame_header_is_nine_octets_in_network_order() {
        let f = Frame::Headers {
            stream: 3,
            end_stream: true,
            block: vec![0x82, 0x86],
        };
        let b = f.encode();
        assert_eq!(b, [0, 0, 2, 0x1, 0x5, 0, 0, 0, 3, 0x82, 0x86]);
        assert_eq!(Frame::decode(&b), Ok(f));
        let g = Frame::GoAway {
            last: MAX_STREAM_ID,
            code: ErrorCode::NoError,
        };
        let b = g.encode();
        assert_eq!(&b[..9], [0, 0, 8, 0x7, 0, 0, 0, 0, 0]);
        assert_eq!(&b[9..13], [0x7f, 0xff, 0xff, 0xff]);
        assert_eq!(Frame::decode(&b), Ok(g));
    }

    #[test]
    fn every_frame_the_model_sends_round_trips() {
        let frames = [
            Frame::Data {
                stream: 1,
                end_stream: false,
                data: b"abc".to_vec(),
            },
            Frame::RstStream {
                stream: 5,
                code: ErrorCode::Cancel,
            },
            Frame::Settings {
                ack: false,
                params: vec![(0x1, 4096), (0x3, 100)],
            },
            Frame::Settings {
                ack: true,
                params: vec![],
            },
            Frame::Ping {
                ack: true,
                data: *b"synack!!",
            },
            Frame::WindowUpdate {
                stream: 0,
                increment: 65535,
            },
            Frame::Priority { stream: 7 },
        ];
        for f in frames {
            assert_eq!(Frame::decode(&f.encode()), Ok(f.clone()), "{f}");
        }
    }

    #[test]
    fn wrong_sizes_and_wrong_streams_are_connection_errors() {
        let mut rst = Frame::RstStream {
            stream: 1,
            code: ErrorCode::Cancel,
        }
        .encode();
        rst[2] = 3;
        rst.pop();
        assert_eq!(
            Frame::decode(&rst).unwrap_err().0,
            ErrorCode::FrameSizeError
        );
        let data0 = Frame::Data {
            stream: 0,
            end_stream: false,
            data: vec![],
        }
        .encode();
        assert_eq!(
            Frame::decode(&data0).unwrap_err().0,
            ErrorCode::ProtocolError
        );
        let mut ping = Frame::Ping {
            ack: false,
            data: [0; 8],
        }
        .encode();
        ping[8] = 1;
        assert_eq!(
            Frame::decode(&ping).unwrap_err().0,
            ErrorCode::ProtocolError
        );
    }
}
