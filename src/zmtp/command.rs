//! ZMTP commands and their bodies: socket-type names and libzmq's compatibility
//! table, the NULL mechanism's READY and ERROR, metadata properties, heartbeats and
//! subscriptions.

use crate::abi::*;

/// Socket-type names as sent in the Socket-Type property, indexed by ZMQ_* value.
const SOCKET_TYPE_NAMES: [&str; 21] = [
    "PAIR", "PUB", "SUB", "REQ", "REP", "DEALER", "ROUTER", "PULL", "PUSH", "XPUB", "XSUB",
    "STREAM", "SERVER", "CLIENT", "RADIO", "DISH", "GATHER", "SCATTER", "DGRAM", "PEER", "CHANNEL",
];

pub(crate) const READY: &[u8] = b"\x05READY";
pub(crate) const ERROR: &[u8] = b"\x05ERROR";
pub(crate) const PING: &[u8] = b"\x04PING";
pub(crate) const PONG: &[u8] = b"\x04PONG";
pub(crate) const SUBSCRIBE: &[u8] = b"\x09SUBSCRIBE";
pub(crate) const CANCEL: &[u8] = b"\x06CANCEL";
/// A PONG echoes at most this much of the PING's context.
pub(crate) const PING_CONTEXT_MAX: usize = 16;

pub(crate) const PROP_SOCKET_TYPE: &str = "Socket-Type";
pub(crate) const PROP_IDENTITY: &str = "Identity";
pub(crate) const PROP_PEER_ADDRESS: &str = "Peer-Address";

/// The name of a socket type, if it has one.
pub fn socket_type_name(socket_type: i32) -> Option<&'static str> {
    usize::try_from(socket_type)
        .ok()
        .and_then(|i| SOCKET_TYPE_NAMES.get(i).copied())
}

/// The socket type a Socket-Type value names (exact, case-sensitive), or -1.
pub fn socket_type_from_name(name: &[u8]) -> i32 {
    SOCKET_TYPE_NAMES
        .iter()
        .position(|n| n.as_bytes() == name)
        .map_or(-1, |i| i as i32)
}

/// Whether a socket of type `ours` accepts a peer announcing Socket-Type `peer`
/// (libzmq's table; STREAM and unknown types accept nothing).
pub fn compatible(ours: i32, peer: &[u8]) -> bool {
    let allowed: &[i32] = match ours {
        ZMQ_PAIR => &[ZMQ_PAIR],
        ZMQ_PUB | ZMQ_XPUB => &[ZMQ_SUB, ZMQ_XSUB],
        ZMQ_SUB | ZMQ_XSUB => &[ZMQ_PUB, ZMQ_XPUB],
        ZMQ_REQ => &[ZMQ_REP, ZMQ_ROUTER],
        ZMQ_REP => &[ZMQ_REQ, ZMQ_DEALER],
        ZMQ_DEALER => &[ZMQ_REP, ZMQ_DEALER, ZMQ_ROUTER],
        ZMQ_ROUTER => &[ZMQ_REQ, ZMQ_DEALER, ZMQ_ROUTER],
        ZMQ_PUSH => &[ZMQ_PULL],
        ZMQ_PULL => &[ZMQ_PUSH],
        ZMQ_SERVER => &[ZMQ_CLIENT],
        ZMQ_CLIENT => &[ZMQ_SERVER],
        ZMQ_RADIO => &[ZMQ_DISH],
        ZMQ_DISH => &[ZMQ_RADIO],
        ZMQ_GATHER => &[ZMQ_SCATTER],
        ZMQ_SCATTER => &[ZMQ_GATHER],
        ZMQ_DGRAM => &[ZMQ_DGRAM],
        ZMQ_PEER => &[ZMQ_PEER],
        ZMQ_CHANNEL => &[ZMQ_CHANNEL],
        _ => &[],
    };
    let peer = socket_type_from_name(peer);
    allowed.contains(&peer)
}

/// Socket types whose READY carries an Identity property (libzmq sends it for these
/// only, empty when no routing id is set).
pub fn sends_identity(socket_type: i32) -> bool {
    matches!(socket_type, ZMQ_REQ | ZMQ_DEALER | ZMQ_ROUTER)
}

/// Appends one property: name length, name, 32-bit value length, value.
fn put_property(out: &mut Vec<u8>, name: &[u8], value: &[u8]) {
    out.push(name.len() as u8);
    out.extend_from_slice(name);
    out.extend_from_slice(&(value.len() as u32).to_be_bytes());
    out.extend_from_slice(value);
}

/// The body of our READY command: Socket-Type, Identity (for the types that send it),
/// then the application metadata in libzmq's order (sorted by name, first setting of a
/// name wins, values cut at a NUL as libzmq's C strings are).
pub(crate) fn ready_body(
    socket_type: i32,
    routing_id: &[u8],
    metadata: &[(String, Vec<u8>)],
) -> Vec<u8> {
    let mut body = READY.to_vec();
    put_basic_properties(&mut body, socket_type, routing_id, metadata);
    body
}

/// Appends the properties every handshake announces (READY, PLAIN's INITIATE, the
/// metadata inside CURVE's INITIATE and READY): Socket-Type, Identity, then the
/// application metadata as `ready_body` describes.
pub(crate) fn put_basic_properties(
    body: &mut Vec<u8>,
    socket_type: i32,
    routing_id: &[u8],
    metadata: &[(String, Vec<u8>)],
) {
    let name = socket_type_name(socket_type).unwrap_or("");
    put_property(body, PROP_SOCKET_TYPE.as_bytes(), name.as_bytes());
    if sends_identity(socket_type) {
        put_property(body, PROP_IDENTITY.as_bytes(), routing_id);
    }
    let mut app: Vec<&(String, Vec<u8>)> =
        metadata.iter().filter(|(k, _)| k.len() <= 255).collect();
    app.sort_by(|a, b| a.0.cmp(&b.0));
    app.dedup_by(|later, first| later.0 == first.0);
    for (k, v) in app {
        let v = v
            .iter()
            .position(|&b| b == 0)
            .map_or(&v[..], |nul| &v[..nul]);
        put_property(body, k.as_bytes(), v);
    }
}

/// Splits a metadata block into (name, value) pairs; None when it is malformed (a
/// truncated property or bytes left over).
pub(crate) fn parse_properties(mut data: &[u8]) -> Option<Vec<(&[u8], &[u8])>> {
    let mut props = Vec::new();
    while !data.is_empty() {
        let name_len = data[0] as usize;
        data = &data[1..];
        if data.len() < name_len + 4 {
            return None;
        }
        let (name, rest) = data.split_at(name_len);
        let value_len = u32::from_be_bytes(rest[..4].try_into().expect("4 bytes")) as usize;
        let rest = &rest[4..];
        if rest.len() < value_len {
            return None;
        }
        let (value, rest) = rest.split_at(value_len);
        props.push((name, value));
        data = rest;
    }
    Some(props)
}

/// What an ERROR command's reason means for the monitor.
pub(crate) enum ErrorReason {
    /// A ZAP status code (300, 400 or 500): an authentication failure.
    Auth(i32),
    /// Anything else.
    Other,
}

/// Parses an ERROR command; None when it is malformed.
pub(crate) fn parse_error(cmd: &[u8]) -> Option<ErrorReason> {
    let fixed = ERROR.len() + 1;
    if cmd.len() < fixed {
        return None;
    }
    let len = cmd[ERROR.len()] as usize;
    if len > cmd.len() - fixed {
        return None;
    }
    let reason = &cmd[fixed..fixed + len];
    Some(match reason {
        [d @ b'3'..=b'5', b'0', b'0'] => ErrorReason::Auth(i32::from(d - b'0') * 100),
        _ => ErrorReason::Other,
    })
}

/// A PING body announcing our TTL (in deciseconds on the wire).
pub(crate) fn ping_body(ttl_ms: i32) -> [u8; 7] {
    let ds = (ttl_ms.max(0) / 100).min(i32::from(u16::MAX)) as u16;
    let mut b = [0; 7];
    b[..5].copy_from_slice(PING);
    b[5..].copy_from_slice(&ds.to_be_bytes());
    b
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for t in 0..21 {
            let name = socket_type_name(t).unwrap();
            assert_eq!(socket_type_from_name(name.as_bytes()), t);
        }
        assert_eq!(socket_type_name(21), None);
        assert_eq!(socket_type_name(-1), None);
        assert_eq!(socket_type_from_name(b"dealer"), -1);
    }

    #[test]
    fn compatibility_table() {
        assert!(compatible(ZMQ_PAIR, b"PAIR"));
        assert!(!compatible(ZMQ_PAIR, b"PUSH"));
        assert!(compatible(ZMQ_PUB, b"XSUB") && compatible(ZMQ_XPUB, b"SUB"));
        assert!(!compatible(ZMQ_PUB, b"PUB"));
        assert!(compatible(ZMQ_REQ, b"ROUTER") && !compatible(ZMQ_REQ, b"DEALER"));
        assert!(compatible(ZMQ_REP, b"DEALER") && !compatible(ZMQ_REP, b"ROUTER"));
        assert!(compatible(ZMQ_DEALER, b"DEALER") && !compatible(ZMQ_DEALER, b"REQ"));
        assert!(compatible(ZMQ_ROUTER, b"ROUTER") && !compatible(ZMQ_ROUTER, b"REP"));
        assert!(compatible(ZMQ_PUSH, b"PULL") && compatible(ZMQ_PULL, b"PUSH"));
        assert!(!compatible(ZMQ_STREAM, b"STREAM"));
        assert!(compatible(ZMQ_CLIENT, b"SERVER") && compatible(ZMQ_DISH, b"RADIO"));
        assert!(compatible(ZMQ_SCATTER, b"GATHER") && compatible(ZMQ_PEER, b"PEER"));
        assert!(!compatible(ZMQ_PULL, b"push") && !compatible(ZMQ_PULL, b"PUSH\0"));
    }

    #[test]
    fn ready_matches_libzmq() {
        // A DEALER with routing id "abc" and two X- properties, as libzmq 4.3 sends it.
        let meta = vec![
            ("X-zed".to_string(), b"1".to_vec()),
            ("X-abc".to_string(), b"two".to_vec()),
            ("X-zed".to_string(), b"ignored".to_vec()),
        ];
        let body = ready_body(ZMQ_DEALER, b"abc", &meta);
        let expect = b"\x05READY\x0bSocket-Type\0\0\0\x06DEALER\x08Identity\0\0\0\x03abc\
                       \x05X-abc\0\0\0\x03two\x05X-zed\0\0\0\x011";
        assert_eq!(body, expect);
        assert_eq!(
            ready_body(ZMQ_PUSH, b"abc", &[]),
            b"\x05READY\x0bSocket-Type\0\0\0\x04PUSH"
        );
        assert_eq!(
            ready_body(ZMQ_REQ, b"", &[("X-a".into(), b"b\0c".to_vec())]),
            b"\x05READY\x0bSocket-Type\0\0\0\x03REQ\x08Identity\0\0\0\0\x03X-a\0\0\0\x01b"
        );
    }

    #[test]
    fn properties_parse_and_reject_truncation() {
        let props = parse_properties(b"\x01A\0\0\0\x01x\x00\0\0\0\0").unwrap();
        assert_eq!(props, [(&b"A"[..], &b"x"[..]), (&b""[..], &b""[..])]);
        assert!(parse_properties(b"").unwrap().is_empty());
        assert!(parse_properties(b"\x01").is_none());
        assert!(parse_properties(b"\x01A\0\0\0").is_none());
        assert!(parse_properties(b"\x01A\0\0\0\x02x").is_none());
        assert!(parse_properties(b"\x01A\0\0\0\x01x\x00").is_none());
    }

    #[test]
    fn error_reasons() {
        assert!(matches!(
            parse_error(b"\x05ERROR\x03400"),
            Some(ErrorReason::Auth(400))
        ));
        assert!(matches!(
            parse_error(b"\x05ERROR\x03300"),
            Some(ErrorReason::Auth(300))
        ));
        assert!(matches!(
            parse_error(b"\x05ERROR\x03200"),
            Some(ErrorReason::Other)
        ));
        assert!(matches!(
            parse_error(b"\x05ERROR\x00"),
            Some(ErrorReason::Other)
        ));
        assert!(matches!(
            parse_error(b"\x05ERROR\x03500extra"),
            Some(ErrorReason::Auth(500))
        ));
        assert!(parse_error(b"\x05ERROR").is_none());
        assert!(parse_error(b"\x05ERROR\x04abc").is_none());
    }

    #[test]
    fn ping_ttl_in_deciseconds() {
        assert_eq!(ping_body(1500), *b"\x04PING\x00\x0f");
        assert_eq!(ping_body(0), *b"\x04PING\x00\x00");
        assert_eq!(ping_body(6_553_599), *b"\x04PING\xff\xff");
    }
}
