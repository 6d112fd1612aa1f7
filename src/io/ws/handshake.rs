//! The HTTP/1.1 upgrade that opens a WebSocket connection (RFC 6455 section 4),
//! without I/O: the client's request and its check of the answer, the server's
//! parse of a request and its answers. ZWS 2.0 (RFC 45) names its variants in
//! `Sec-WebSocket-Protocol`: `ZWS2.0` (no mechanism: each side's first message is
//! its routing id) and `ZWS2.0/NULL`, `/PLAIN`, `/CURVE` (the ZMTP handshake of that
//! mechanism, without the greeting).
//!
//! Headers are bounded (`HEAD_MAX`): a peer that never ends them is refused, not
//! buffered.

use crate::abi::{ZMQ_CURVE, ZMQ_NULL, ZMQ_PLAIN};

/// The most bytes a request or response head may take.
pub(crate) const HEAD_MAX: usize = 8 * 1024;
/// RFC 6455's fixed key suffix.
const GUID: &str = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";

/// The ZWS 2.0 subprotocols.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Subprotocol {
    /// `ZWS2.0`: no mechanism, routing ids first.
    Bare,
    /// `ZWS2.0/NULL`, `ZWS2.0/PLAIN`, `ZWS2.0/CURVE`: that ZMTP mechanism.
    Mechanism(i32),
}

impl Subprotocol {
    pub(crate) fn name(self) -> &'static str {
        match self {
            Subprotocol::Bare => "ZWS2.0",
            Subprotocol::Mechanism(ZMQ_PLAIN) => "ZWS2.0/PLAIN",
            Subprotocol::Mechanism(ZMQ_CURVE) => "ZWS2.0/CURVE",
            Subprotocol::Mechanism(_) => "ZWS2.0/NULL",
        }
    }

    fn parse(name: &str) -> Option<Subprotocol> {
        match name {
            "ZWS2.0" => Some(Subprotocol::Bare),
            "ZWS2.0/NULL" => Some(Subprotocol::Mechanism(ZMQ_NULL)),
            "ZWS2.0/PLAIN" => Some(Subprotocol::Mechanism(ZMQ_PLAIN)),
            "ZWS2.0/CURVE" => Some(Subprotocol::Mechanism(ZMQ_CURVE)),
            _ => None,
        }
    }

    /// What a client with `mechanism` offers, in its order of preference (libzmq's).
    pub(crate) fn offered(mechanism: i32) -> Vec<Subprotocol> {
        match mechanism {
            ZMQ_NULL => vec![Subprotocol::Mechanism(ZMQ_NULL), Subprotocol::Bare],
            m => vec![Subprotocol::Mechanism(m)],
        }
    }

    /// Whether a server with `mechanism` speaks this one. With a ZAP domain set, the
    /// NULL mechanism's handshake is required (`ZWS2.0` could not be authenticated).
    pub(crate) fn acceptable(self, mechanism: i32, zap: bool) -> bool {
        match self {
            Subprotocol::Bare => mechanism == ZMQ_NULL && !zap,
            Subprotocol::Mechanism(m) => m == mechanism,
        }
    }
}

/// Why an upgrade failed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum HandshakeError {
    /// Not HTTP, or not an upgrade to WebSocket.
    Malformed,
    /// The head did not end within `HEAD_MAX` bytes.
    TooLong,
    /// The server's accept key does not answer our key.
    BadAccept,
    /// The server refused (a status other than 101) or chose no protocol we offered.
    Refused,
    /// The client offered no subprotocol we speak.
    NoProtocol,
}

/// Standard base64 with padding.
pub(crate) fn base64(data: &[u8]) -> String {
    const T: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut s = String::with_capacity(data.len().div_ceil(3) * 4);
    for c in data.chunks(3) {
        let n = (u32::from(c[0]) << 16)
            | (u32::from(*c.get(1).unwrap_or(&0)) << 8)
            | u32::from(*c.get(2).unwrap_or(&0));
        for k in 0..4 {
            if k <= c.len() {
                s.push(T[(n >> (18 - 6 * k)) as usize & 63] as char);
            } else {
                s.push('=');
            }
        }
    }
    s
}

/// The `Sec-WebSocket-Accept` answering `key`.
pub(crate) fn accept_key(key: &str) -> String {
    let mut ctx = ring::digest::Context::new(&ring::digest::SHA1_FOR_LEGACY_USE_ONLY);
    ctx.update(key.as_bytes());
    ctx.update(GUID.as_bytes());
    base64(ctx.finish().as_ref())
}

/// Where the head ends (the index after its blank line), if it has.
fn head_end(buf: &[u8]) -> Option<usize> {
    buf.windows(4).position(|w| w == b"\r\n\r\n").map(|p| p + 4)
}

/// A head's headers: (name as sent, value trimmed).
type Headers<'a> = Vec<(&'a str, &'a str)>;

/// A complete head and the bytes that followed it.
type HeadAndRest = (Vec<u8>, Vec<u8>);

/// The head's start line and headers.
fn parse_head(head: &[u8]) -> Result<(&str, Headers<'_>), HandshakeError> {
    let text = std::str::from_utf8(head).map_err(|_| HandshakeError::Malformed)?;
    let mut lines = text.split("\r\n");
    let start = lines.next().ok_or(HandshakeError::Malformed)?;
    let mut headers = Vec::new();
    for line in lines {
        if line.is_empty() {
            continue;
        }
        let (name, value) = line.split_once(':').ok_or(HandshakeError::Malformed)?;
        if name.is_empty() || name.bytes().any(|b| b <= b' ' || b == 0x7F) {
            return Err(HandshakeError::Malformed);
        }
        headers.push((name, value.trim()));
    }
    Ok((start, headers))
}

fn header<'a>(headers: &[(&str, &'a str)], name: &str) -> Option<&'a str> {
    headers
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case(name))
        .map(|(_, v)| *v)
}

/// Whether a comma-separated header (all its occurrences) holds `token`.
fn has_token(headers: &[(&str, &str)], name: &str, token: &str) -> bool {
    headers
        .iter()
        .filter(|(n, _)| n.eq_ignore_ascii_case(name))
        .flat_map(|(_, v)| v.split(','))
        .any(|t| t.trim().eq_ignore_ascii_case(token))
}

/// Gathers a head from input split anywhere; the bytes after it are kept.
#[derive(Default)]
struct Head {
    buf: Vec<u8>,
}

impl Head {
    /// The complete head and what followed it, once it has ended.
    fn push(&mut self, data: &[u8]) -> Result<Option<HeadAndRest>, HandshakeError> {
        // Only the new bytes (and three before them) can complete the terminator.
        let from = self.buf.len().saturating_sub(3);
        self.buf.extend_from_slice(data);
        match head_end(&self.buf[from..]) {
            Some(end) => {
                let end = from + end;
                if end > HEAD_MAX {
                    return Err(HandshakeError::TooLong);
                }
                let rest = self.buf.split_off(end);
                Ok(Some((std::mem::take(&mut self.buf), rest)))
            }
            None if self.buf.len() > HEAD_MAX => Err(HandshakeError::TooLong),
            None => Ok(None),
        }
    }
}

/// The client's side: a request to send, then the server's answer to check.
pub(crate) struct ClientHandshake {
    request: Vec<u8>,
    expected_accept: String,
    offered: Vec<Subprotocol>,
    head: Head,
}

/// A completed upgrade: the chosen subprotocol and the bytes that followed the head
/// (already WebSocket frames).
#[derive(Debug)]
pub(crate) struct Upgraded {
    pub(crate) protocol: Subprotocol,
    pub(crate) leftover: Vec<u8>,
}

impl ClientHandshake {
    /// `host` is the Host header's value, `path` the request target, `nonce` 16
    /// random bytes.
    pub(crate) fn new(
        host: &str,
        path: &str,
        offered: Vec<Subprotocol>,
        nonce: [u8; 16],
    ) -> ClientHandshake {
        let key = base64(&nonce);
        let protocols: Vec<&str> = offered.iter().map(|p| p.name()).collect();
        let request = format!(
            "GET {path} HTTP/1.1\r\nHost: {host}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
             Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Protocol: {}\r\n\
             Sec-WebSocket-Version: 13\r\n\r\n",
            protocols.join(",")
        );
        ClientHandshake {
            request: request.into_bytes(),
            expected_accept: accept_key(&key),
            offered,
            head: Head::default(),
        }
    }

    pub(crate) fn request(&self) -> &[u8] {
        &self.request
    }

    /// Takes bytes of the server's answer: None until its head is complete.
    pub(crate) fn receive(&mut self, data: &[u8]) -> Result<Option<Upgraded>, HandshakeError> {
        let Some((head, leftover)) = self.head.push(data)? else {
            return Ok(None);
        };
        let (status, headers) = parse_head(&head)?;
        let mut parts = status.split(' ').filter(|s| !s.is_empty());
        let version = parts.next().unwrap_or("");
        if !version.starts_with("HTTP/1.") {
            return Err(HandshakeError::Malformed);
        }
        if parts.next() != Some("101") {
            return Err(HandshakeError::Refused);
        }
        if !has_token(&headers, "Upgrade", "websocket")
            || !has_token(&headers, "Connection", "upgrade")
        {
            return Err(HandshakeError::Malformed);
        }
        if header(&headers, "Sec-WebSocket-Accept") != Some(self.expected_accept.as_str()) {
            return Err(HandshakeError::BadAccept);
        }
        let chosen = header(&headers, "Sec-WebSocket-Protocol")
            .and_then(Subprotocol::parse)
            .filter(|p| self.offered.contains(p))
            .ok_or(HandshakeError::Refused)?;
        Ok(Some(Upgraded {
            protocol: chosen,
            leftover,
        }))
    }
}

/// A client's upgrade request, as the server parsed it.
#[derive(Debug)]
pub(crate) struct Request {
    /// The request target without its query.
    pub(crate) path: String,
    key: String,
    /// The subprotocols offered, in the client's order (unknown names dropped).
    pub(crate) offered: Vec<Subprotocol>,
    /// Bytes that followed the head (a client may send frames at once).
    pub(crate) leftover: Vec<u8>,
}

impl Request {
    /// The first offered subprotocol a server with `mechanism` speaks.
    pub(crate) fn choose(&self, mechanism: i32, zap: bool) -> Option<Subprotocol> {
        self.offered
            .iter()
            .copied()
            .find(|p| p.acceptable(mechanism, zap))
    }

    /// The 101 answer accepting the upgrade with `protocol`.
    pub(crate) fn accept(&self, protocol: Subprotocol) -> Vec<u8> {
        format!(
            "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
             Sec-WebSocket-Accept: {}\r\nSec-WebSocket-Protocol: {}\r\n\r\n",
            accept_key(&self.key),
            protocol.name()
        )
        .into_bytes()
    }
}

/// An answer refusing a request (the connection closes after it).
pub(crate) fn refusal(status: u16) -> Vec<u8> {
    let text = match status {
        404 => "Not Found",
        426 => "Upgrade Required",
        _ => "Bad Request",
    };
    format!(
        "HTTP/1.1 {status} {text}\r\nConnection: close\r\nContent-Length: 0\r\n\
         Sec-WebSocket-Version: 13\r\n\r\n"
    )
    .into_bytes()
}

/// The server's side: gathers and checks a client's request.
#[derive(Default)]
pub(crate) struct ServerHandshake {
    head: Head,
}

impl ServerHandshake {
    /// Takes bytes of the request: None until its head is complete.
    pub(crate) fn receive(&mut self, data: &[u8]) -> Result<Option<Request>, HandshakeError> {
        let Some((head, leftover)) = self.head.push(data)? else {
            return Ok(None);
        };
        let (line, headers) = parse_head(&head)?;
        let mut parts = line.split(' ');
        let (Some("GET"), Some(target), Some(version), None) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return Err(HandshakeError::Malformed);
        };
        if !version.starts_with("HTTP/1.") || version == "HTTP/1.0" || !target.starts_with('/') {
            return Err(HandshakeError::Malformed);
        }
        if !has_token(&headers, "Upgrade", "websocket")
            || !has_token(&headers, "Connection", "upgrade")
        {
            return Err(HandshakeError::Malformed);
        }
        if header(&headers, "Sec-WebSocket-Version").is_some_and(|v| v != "13") {
            return Err(HandshakeError::Malformed);
        }
        let key = header(&headers, "Sec-WebSocket-Key")
            .filter(|k| !k.is_empty())
            .ok_or(HandshakeError::Malformed)?;
        let offered: Vec<Subprotocol> = headers
            .iter()
            .filter(|(n, _)| n.eq_ignore_ascii_case("Sec-WebSocket-Protocol"))
            .flat_map(|(_, v)| v.split(','))
            .filter_map(|p| Subprotocol::parse(p.trim()))
            .collect();
        if offered.is_empty() {
            return Err(HandshakeError::NoProtocol);
        }
        let path = target.split('?').next().unwrap_or("/").to_string();
        Ok(Some(Request {
            path,
            key: key.to_string(),
            offered,
            leftover,
        }))
    }
}
