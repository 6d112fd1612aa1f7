//! ZAP (RFC 27) as the server side of a handshake speaks it: the request sent to the
//! handler bound at `inproc://zeromq.zap.01` and the checks libzmq makes on the reply.
//! The I/O layer carries the frames; nothing here touches a socket.

use crate::abi::*;
use crate::msg::Msg;

use super::mechanism::{parse_metadata, Failure, Properties};

/// The inproc name the ZAP handler binds (`inproc://zeromq.zap.01`).
pub(crate) const ZAP_INPROC_NAME: &str = "zeromq.zap.01";

const VERSION: &[u8] = b"1.0";
/// libzmq sends one request per connection, always with this id.
const REQUEST_ID: &[u8] = b"1";
/// Frames of a reply: delimiter, version, request id, status code, status text,
/// user id, metadata.
const REPLY_FRAMES: usize = 7;

/// Where a server's handshake asks the handler, and what it may do without one.
#[derive(Clone, Debug, Default)]
pub(crate) struct ZapSettings {
    /// ZMQ_ZAP_DOMAIN (empty: none).
    pub(crate) domain: Vec<u8>,
    /// ZMQ_ZAP_ENFORCE_DOMAIN.
    pub(crate) enforce: bool,
    /// The peer's address as the request names it.
    pub(crate) address: String,
}

/// A request for the handler: the parts of one message, in order.
pub type ZapRequest = Vec<Vec<u8>>;

/// Builds a request: delimiter, version, request id, domain, address, our routing id,
/// mechanism, then one frame per credential.
pub(crate) fn request(
    zap: &ZapSettings,
    routing_id: &[u8],
    mechanism: &[u8],
    credentials: &[&[u8]],
) -> ZapRequest {
    let mut frames = vec![
        Vec::new(),
        VERSION.to_vec(),
        REQUEST_ID.to_vec(),
        zap.domain.clone(),
        zap.address.as_bytes().to_vec(),
        routing_id.to_vec(),
        mechanism.to_vec(),
    ];
    frames.extend(credentials.iter().map(|c| c.to_vec()));
    frames
}

/// A well-formed reply.
#[derive(Debug)]
pub struct ZapReply {
    /// 200, 300, 400 or 500.
    pub(crate) status: i32,
    pub(crate) user_id: Vec<u8>,
    pub(crate) metadata: Properties,
}

impl ZapReply {
    /// The properties a handshake that the handler allowed adds to the connection:
    /// User-Id first, then the reply's metadata.
    pub(crate) fn properties(&self) -> Properties {
        let mut props = Vec::with_capacity(self.metadata.len() + 1);
        props.push(("User-Id".to_string(), self.user_id.clone()));
        props.extend(self.metadata.iter().cloned());
        props
    }
}

fn zap_failure(value: i32, reason: &'static str) -> Failure {
    Failure {
        event: ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL,
        value,
        reason,
    }
}

/// Checks a reply (the parts of one message) as libzmq does, in its order.
pub(crate) fn parse_reply(socket_type: i32, parts: &[Msg]) -> Result<ZapReply, Failure> {
    // Exactly seven parts, only the last without MORE.
    let shape_ok = parts.len() == REPLY_FRAMES
        && parts
            .iter()
            .enumerate()
            .all(|(i, p)| p.more() == (i + 1 < REPLY_FRAMES));
    if !shape_ok {
        return Err(zap_failure(
            ZMQ_PROTOCOL_ERROR_ZAP_MALFORMED_REPLY,
            "ZAP reply is not seven frames",
        ));
    }
    if !parts[0].is_empty() {
        return Err(zap_failure(
            ZMQ_PROTOCOL_ERROR_ZAP_UNSPECIFIED,
            "ZAP reply has no empty delimiter",
        ));
    }
    if parts[1].data() != VERSION {
        return Err(zap_failure(
            ZMQ_PROTOCOL_ERROR_ZAP_BAD_VERSION,
            "ZAP reply has a bad version",
        ));
    }
    if parts[2].data() != REQUEST_ID {
        return Err(zap_failure(
            ZMQ_PROTOCOL_ERROR_ZAP_BAD_REQUEST_ID,
            "ZAP reply has a bad request id",
        ));
    }
    let status = match parts[3].data() {
        [d @ b'2'..=b'5', b'0', b'0'] => i32::from(d - b'0') * 100,
        _ => {
            return Err(zap_failure(
                ZMQ_PROTOCOL_ERROR_ZAP_INVALID_STATUS_CODE,
                "ZAP reply has an invalid status code",
            ))
        }
    };
    let metadata = parse_metadata(socket_type, parts[6].data()).map_err(|_| {
        zap_failure(
            ZMQ_PROTOCOL_ERROR_ZAP_INVALID_METADATA,
            "ZAP reply has invalid metadata",
        )
    })?;
    Ok(ZapReply {
        status,
        user_id: parts[5].data().to_vec(),
        metadata,
    })
}

/// What a reply's status means for the handshake.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Verdict {
    /// 200: go on.
    Allow,
    /// 300: a temporary failure; the client is not told (CurveZMQ), the server stops.
    Silent,
    /// 400 or 500: the client gets an ERROR with this code.
    Refuse(i32),
}

impl Verdict {
    pub(crate) fn of(status: i32) -> Verdict {
        match status {
            200 => Verdict::Allow,
            300 => Verdict::Silent,
            code => Verdict::Refuse(code),
        }
    }
}

/// The ERROR command a refusal sends: the status code as its reason.
pub(crate) fn error_command(code: i32) -> Vec<u8> {
    let text = code.to_string();
    let mut body = super::command::ERROR.to_vec();
    body.push(text.len() as u8);
    body.extend_from_slice(text.as_bytes());
    body
}

/// The failure a server without a reachable handler reports when it needs one
/// (libzmq: HANDSHAKE_FAILED_NO_DETAIL with EFAULT).
pub(crate) fn no_handler() -> Failure {
    Failure {
        event: ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL,
        value: libc::EFAULT,
        reason: "no ZAP handler",
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// A reply as a handler sends it.
    pub(crate) fn reply(status: &str, user: &str, meta: &[u8]) -> Vec<Msg> {
        let frames: [&[u8]; 7] = [
            b"",
            b"1.0",
            b"1",
            status.as_bytes(),
            b"text",
            user.as_bytes(),
            meta,
        ];
        frames
            .iter()
            .enumerate()
            .map(|(i, f)| {
                let mut m = Msg::from_slice(f);
                m.set_more(i < 6);
                m
            })
            .collect()
    }

    #[test]
    fn request_frames_in_order() {
        let zap = ZapSettings {
            domain: b"global".to_vec(),
            enforce: false,
            address: "127.0.0.1".into(),
        };
        let r = request(&zap, b"me", b"PLAIN", &[b"admin", b"secret"]);
        let expect: Vec<&[u8]> = vec![
            b"",
            b"1.0",
            b"1",
            b"global",
            b"127.0.0.1",
            b"me",
            b"PLAIN",
            b"admin",
            b"secret",
        ];
        assert_eq!(r, expect);
        assert_eq!(request(&zap, b"", b"NULL", &[]).len(), 7);
    }

    #[test]
    fn replies_are_checked_like_libzmq() {
        let ok = parse_reply(ZMQ_REP, &reply("200", "bob", b"\x05Hello\0\0\0\x05World")).unwrap();
        assert_eq!(ok.status, 200);
        assert_eq!(ok.user_id, b"bob");
        assert_eq!(ok.properties()[0], ("User-Id".into(), b"bob".to_vec()));
        assert_eq!(ok.properties()[1], ("Hello".into(), b"World".to_vec()));
        let code = |parts: &[Msg]| parse_reply(ZMQ_REP, parts).unwrap_err().value;
        assert_eq!(
            code(&reply("200", "", b"")[..6]),
            ZMQ_PROTOCOL_ERROR_ZAP_MALFORMED_REPLY
        );
        let mut extra = reply("200", "", b"");
        extra[6].set_more(true);
        extra.push(Msg::new());
        assert_eq!(code(&extra), ZMQ_PROTOCOL_ERROR_ZAP_MALFORMED_REPLY);
        let mut bad = reply("200", "", b"");
        bad[1] = Msg::from_slice(b"2.0");
        bad[1].set_more(true);
        assert_eq!(code(&bad), ZMQ_PROTOCOL_ERROR_ZAP_BAD_VERSION);
        let mut bad = reply("200", "", b"");
        bad[2] = Msg::from_slice(b"7");
        bad[2].set_more(true);
        assert_eq!(code(&bad), ZMQ_PROTOCOL_ERROR_ZAP_BAD_REQUEST_ID);
        for status in ["201", "600", "20", "abc", "100"] {
            assert_eq!(
                code(&reply(status, "", b"")),
                ZMQ_PROTOCOL_ERROR_ZAP_INVALID_STATUS_CODE
            );
        }
        assert_eq!(
            code(&reply("200", "", b"\x05Hello\0\0")),
            ZMQ_PROTOCOL_ERROR_ZAP_INVALID_METADATA
        );
        let mut delim = reply("200", "", b"");
        delim[0] = Msg::from_slice(b"x");
        delim[0].set_more(true);
        assert_eq!(code(&delim), ZMQ_PROTOCOL_ERROR_ZAP_UNSPECIFIED);
        assert_eq!(Verdict::of(300), Verdict::Silent);
        assert_eq!(Verdict::of(400), Verdict::Refuse(400));
        assert_eq!(error_command(400), b"\x05ERROR\x03400");
    }
}
