//! The WebSocket framing and upgrade state machines, driven in memory: byte-exact
//! frames, every split of the input, both directions translated and back, and
//! hostile input (bad upgrade requests and answers, masking the wrong way, text,
//! reserved bits, oversized and fragmented frames, control frames out of bounds).

use super::frame::{apply_mask, Control, FrameError, Inbound, Outbound, Role, OP_PING};
use super::handshake::{
    accept_key, base64, refusal, ClientHandshake, HandshakeError, ServerHandshake, Subprotocol,
    HEAD_MAX,
};
use crate::abi::{ZMQ_CURVE, ZMQ_NULL, ZMQ_PLAIN};

/// A WebSocket frame as a peer would send it.
fn ws_frame(fin: bool, opcode: u8, payload: &[u8], mask: Option<[u8; 4]>) -> Vec<u8> {
    let mut out = vec![if fin { 0x80 } else { 0 } | opcode];
    let m = if mask.is_some() { 0x80 } else { 0 };
    let len = payload.len();
    if len < 126 {
        out.push(m | len as u8);
    } else if len <= 0xFFFF {
        out.push(m | 126);
        out.extend_from_slice(&(len as u16).to_be_bytes());
    } else {
        out.push(m | 127);
        out.extend_from_slice(&(len as u64).to_be_bytes());
    }
    let mut body = payload.to_vec();
    if let Some(k) = mask {
        out.extend_from_slice(&k);
        apply_mask(&mut body, k, 0);
    }
    out.extend_from_slice(&body);
    out
}

/// A ZWS data message: flags byte then body.
fn zws(flags: u8, body: &[u8]) -> Vec<u8> {
    let mut p = vec![flags];
    p.extend_from_slice(body);
    p
}

/// Decodes all of `input`, fed in pieces of `step` bytes, into ZMTP bytes.
fn decode_all(inb: &mut Inbound, input: &[u8], step: usize) -> Result<Vec<u8>, FrameError> {
    let mut out = Vec::new();
    let mut buf = vec![0u8; 7];
    for chunk in input.chunks(step.max(1)) {
        let mut pos = 0;
        loop {
            let (used, made) = inb.decode(&chunk[pos..], &mut buf)?;
            out.extend_from_slice(&buf[..made]);
            pos += used;
            // Done with the chunk, or stopped reading (after a close frame).
            if (pos == chunk.len() && made < buf.len()) || (used == 0 && made == 0) {
                break;
            }
        }
    }
    Ok(out)
}

const MASK: [u8; 4] = [0x37, 0xfa, 0x21, 0x3d];

#[test]
fn masking_matches_a_byte_by_byte_xor_at_any_offset() {
    let data: Vec<u8> = (0..=255u8).cycle().take(1000).collect();
    for pos in 0..8 {
        for len in [0, 1, 3, 7, 8, 9, 17, 1000] {
            let mut got = data[..len].to_vec();
            apply_mask(&mut got, MASK, pos);
            let want: Vec<u8> = data[..len]
                .iter()
                .enumerate()
                .map(|(i, b)| b ^ MASK[(pos + i) % 4])
                .collect();
            assert_eq!(got, want, "pos {pos} len {len}");
        }
    }
}

#[test]
fn a_server_turns_masked_messages_into_zmtp_frames_at_any_split() {
    let mut wire = ws_frame(true, 2, &zws(0x01, b"part"), Some(MASK));
    wire.extend(ws_frame(true, 2, &zws(0x00, b""), Some(MASK)));
    wire.extend(ws_frame(
        true,
        2,
        &zws(0x02, b"\x05READY"),
        Some([1, 2, 3, 4]),
    ));
    let big = vec![0xAB; 300];
    wire.extend(ws_frame(true, 2, &zws(0x00, &big), Some(MASK)));
    let mut want = vec![0x01, 4];
    want.extend_from_slice(b"part");
    want.extend_from_slice(&[0x00, 0]);
    want.extend_from_slice(&[0x04, 6]);
    want.extend_from_slice(b"\x05READY");
    want.push(0x02);
    want.extend_from_slice(&300u64.to_be_bytes());
    want.extend_from_slice(&big);
    for step in [1, 2, 3, 5, 13, wire.len()] {
        let mut inb = Inbound::new(Role::Server, -1);
        assert_eq!(
            decode_all(&mut inb, &wire, step).unwrap(),
            want,
            "step {step}"
        );
    }
}

#[test]
fn outbound_frames_round_trip_through_inbound_both_ways() {
    // ZMTP frames as the engine writes them: short, long, command, empty.
    let mut zmtp = vec![0x01, 3];
    zmtp.extend_from_slice(b"abc");
    zmtp.extend_from_slice(&[0x00, 0]);
    zmtp.push(0x02);
    zmtp.extend_from_slice(&70000u64.to_be_bytes());
    zmtp.extend(std::iter::repeat_n(7u8, 70000));
    zmtp.extend_from_slice(&[0x04, 5]);
    zmtp.extend_from_slice(b"\x04PONG");
    for (sender, receiver) in [(Role::Client, Role::Server), (Role::Server, Role::Client)] {
        let mut out = Outbound::new(sender);
        let mut wire = Vec::new();
        for chunk in zmtp.chunks(1000) {
            out.encode(chunk, &mut wire);
        }
        // The client masks (bit 7 of the second byte), the server does not.
        assert_eq!(wire[1] & 0x80 != 0, sender == Role::Client);
        assert_eq!(wire[0], 0x82);
        let mut inb = Inbound::new(receiver, -1);
        assert_eq!(decode_all(&mut inb, &wire, 4096).unwrap(), zmtp);
    }
}

#[test]
fn server_frames_are_byte_exact() {
    let mut out = Outbound::new(Role::Server);
    let mut wire = Vec::new();
    out.encode(&[0x01, 2, b'h', b'i'], &mut wire);
    assert_eq!(wire, [0x82, 3, 0x01, b'h', b'i']);
    wire.clear();
    // An empty command is the engine's heartbeat: a WebSocket ping.
    out.encode(&[0x04, 0], &mut wire);
    assert_eq!(wire, [0x89, 0]);
    wire.clear();
    let mut long = vec![0x00, 200];
    long.extend(std::iter::repeat_n(1u8, 200));
    out.encode(&long, &mut wire);
    assert_eq!(&wire[..5], &[0x82, 126, 0, 201, 0x00]);
    assert_eq!(wire.len(), 4 + 201);
}

#[test]
fn masking_the_wrong_way_is_refused() {
    let unmasked = ws_frame(true, 2, &zws(0, b"x"), None);
    let masked = ws_frame(true, 2, &zws(0, b"x"), Some(MASK));
    let mut buf = [0u8; 64];
    assert_eq!(
        Inbound::new(Role::Server, -1).decode(&unmasked, &mut buf),
        Err(FrameError::Masking)
    );
    assert_eq!(
        Inbound::new(Role::Client, -1).decode(&masked, &mut buf),
        Err(FrameError::Masking)
    );
}

#[test]
fn text_reserved_bits_unknown_opcodes_and_bad_lengths_are_refused() {
    let mut buf = [0u8; 64];
    let cases: Vec<(Vec<u8>, FrameError)> = vec![
        (ws_frame(true, 1, b"\x00text", Some(MASK)), FrameError::Text),
        (
            ws_frame(true, 3, b"\x00x", Some(MASK)),
            FrameError::BadHeader,
        ),
        (ws_frame(true, 0xB, b"", Some(MASK)), FrameError::BadHeader),
        (
            {
                let mut f = ws_frame(true, 2, b"\x00x", Some(MASK));
                f[0] |= 0x40; // RSV1 without an extension
                f
            },
            FrameError::BadHeader,
        ),
        // A message with no room for its ZWS flags byte.
        (ws_frame(true, 2, b"", Some(MASK)), FrameError::NoFlags),
        // A 64-bit length with its top bit set.
        (
            {
                let mut f = vec![0x82, 0x80 | 127];
                f.extend_from_slice(&(1u64 << 63).to_be_bytes());
                f.extend_from_slice(&MASK);
                f
            },
            FrameError::BadLength,
        ),
        // Control frames: fragmented, or longer than 125 bytes.
        (ws_frame(false, 9, b"", Some(MASK)), FrameError::BadControl),
        (
            ws_frame(true, 9, &[0; 126], Some(MASK)),
            FrameError::BadControl,
        ),
        // A continuation with nothing to continue.
        (ws_frame(true, 0, b"x", Some(MASK)), FrameError::BadFragment),
    ];
    for (wire, want) in cases {
        let mut inb = Inbound::new(Role::Server, -1);
        assert_eq!(
            inb.decode(&wire, &mut buf).map(|_| ()),
            Err(want),
            "{wire:02x?}"
        );
    }
}

#[test]
fn a_claimed_size_allocates_nothing_and_maxmsgsize_applies_at_the_header() {
    // A header claiming 2^40 bytes, then a few: memory stays at what arrived.
    let mut wire = vec![0x82, 0x80 | 127];
    wire.extend_from_slice(&(1u64 << 40).to_be_bytes());
    wire.extend_from_slice(&MASK);
    wire.extend_from_slice(&[0u8; 100]);
    let mut inb = Inbound::new(Role::Server, -1);
    let mut buf = [0u8; 64];
    let (used, made) = inb.decode(&wire, &mut buf).unwrap();
    assert!(used <= wire.len() && made <= buf.len());
    assert!(inb.held() < 1024, "held {}", inb.held());

    // ZMQ_MAXMSGSIZE: the flags byte does not count.
    let mut inb = Inbound::new(Role::Server, 10);
    assert!(inb
        .decode(&ws_frame(true, 2, &zws(0, &[1; 10]), Some(MASK)), &mut buf)
        .is_ok());
    let mut inb = Inbound::new(Role::Server, 10);
    assert_eq!(
        inb.decode(
            &ws_frame(true, 2, &zws(0, &[1; 11]), Some(MASK))[..14],
            &mut buf
        ),
        Err(FrameError::TooLarge)
    );
}

#[test]
fn fragments_are_reassembled_within_maxmsgsize_with_pings_between() {
    let mut wire = ws_frame(false, 2, &[0x01], Some(MASK));
    wire.extend(ws_frame(false, 0, b"hel", Some(MASK)));
    wire.extend(ws_frame(true, 9, b"are you there", Some(MASK)));
    wire.extend(ws_frame(true, 0, b"lo", Some(MASK)));
    let mut inb = Inbound::new(Role::Server, -1);
    let out = decode_all(&mut inb, &wire, 3).unwrap();
    assert_eq!(out, [0x01, 5, b'h', b'e', b'l', b'l', b'o']);
    assert_eq!(
        inb.take_control(),
        Some(Control::Ping(b"are you there".to_vec()))
    );
    assert_eq!(inb.take_control(), None);

    // A new message inside an unfinished one is refused.
    let mut wire = ws_frame(false, 2, &[0x00, b'a'], Some(MASK));
    wire.extend(ws_frame(true, 2, &[0x00, b'b'], Some(MASK)));
    let mut inb = Inbound::new(Role::Server, -1);
    assert_eq!(
        decode_all(&mut inb, &wire, 64),
        Err(FrameError::BadFragment)
    );

    // Fragments add up against ZMQ_MAXMSGSIZE as they arrive.
    let mut wire = ws_frame(false, 2, &[0x00, 1, 2, 3], Some(MASK));
    wire.extend(ws_frame(false, 0, &[4, 5, 6], Some(MASK)));
    let mut inb = Inbound::new(Role::Server, 5);
    assert_eq!(decode_all(&mut inb, &wire, 64), Err(FrameError::TooLarge));
}

#[test]
fn pings_pongs_and_close_are_reported_and_shown_as_keepalives_once_ready() {
    let mut wire = ws_frame(true, 9, b"p", Some(MASK));
    wire.extend(ws_frame(true, 0xA, b"", Some(MASK)));
    let mut inb = Inbound::new(Role::Server, -1);
    assert_eq!(decode_all(&mut inb, &wire, 64).unwrap(), Vec::<u8>::new());
    assert_eq!(inb.take_control(), Some(Control::Ping(b"p".to_vec())));
    assert_eq!(inb.take_control(), Some(Control::Pong));
    // Once the engine runs, each is an empty command it counts as traffic.
    let mut inb = Inbound::new(Role::Server, -1);
    inb.keepalive = true;
    assert_eq!(decode_all(&mut inb, &wire, 64).unwrap(), [0x04, 0, 0x04, 0]);

    // After a close frame nothing more is read.
    let mut wire = ws_frame(true, 8, &[0x03, 0xE8], Some(MASK));
    wire.extend(ws_frame(true, 2, &zws(0, b"late"), Some(MASK)));
    let mut inb = Inbound::new(Role::Server, -1);
    assert_eq!(decode_all(&mut inb, &wire, 64).unwrap(), Vec::<u8>::new());
    assert!(inb.is_closed());
    assert_eq!(inb.take_control(), Some(Control::Close(vec![0x03, 0xE8])));

    // A pong we send echoes the ping's payload, masked as the client must.
    let mut out = Outbound::new(Role::Client);
    let mut pong = Vec::new();
    out.control(super::frame::OP_PONG, b"p", &mut pong);
    let mut inb = Inbound::new(Role::Server, -1);
    assert_eq!(decode_all(&mut inb, &pong, 64).unwrap(), Vec::<u8>::new());
    let mut ping = Vec::new();
    Outbound::new(Role::Server).control(OP_PING, b"", &mut ping);
    assert_eq!(ping, [0x89, 0]);
}

#[test]
fn random_garbage_never_panics_and_stays_bounded() {
    let mut seed = 0x9E37_79B9_7F4A_7C15u64;
    let mut next = || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed
    };
    for _ in 0..2000 {
        let len = (next() % 200) as usize;
        let wire: Vec<u8> = (0..len).map(|_| next() as u8).collect();
        for role in [Role::Server, Role::Client] {
            let mut inb = Inbound::new(role, 1000);
            let _ = decode_all(&mut inb, &wire, 1 + (next() % 17) as usize);
            assert!(inb.held() < 64 * 1024);
        }
    }
}

#[test]
fn base64_and_the_accept_key_match_rfc_6455() {
    assert_eq!(base64(b""), "");
    assert_eq!(base64(b"f"), "Zg==");
    assert_eq!(base64(b"fo"), "Zm8=");
    assert_eq!(base64(b"foo"), "Zm9v");
    // RFC 6455, section 1.3.
    assert_eq!(
        accept_key("dGhlIHNhbXBsZSBub25jZQ=="),
        "s3pPLMBiTxaQ9kYGzzhZRbK+xOo="
    );
}

fn request(lines: &[&str]) -> Vec<u8> {
    let mut s = lines.join("\r\n");
    s.push_str("\r\n\r\n");
    s.into_bytes()
}

#[test]
fn client_and_server_complete_an_upgrade_at_any_split() {
    let mut client = ClientHandshake::new(
        "127.0.0.1:5555",
        "/path",
        Subprotocol::offered(ZMQ_NULL),
        [7; 16],
    );
    let req = client.request().to_vec();
    let text = String::from_utf8(req.clone()).unwrap();
    assert!(text.starts_with("GET /path HTTP/1.1\r\nHost: 127.0.0.1:5555\r\n"));
    assert!(text.contains("Sec-WebSocket-Protocol: ZWS2.0/NULL,ZWS2.0\r\n"));
    for step in [1, 7, req.len()] {
        let mut server = ServerHandshake::default();
        let mut got = None;
        for c in req.chunks(step) {
            if let Some(r) = server.receive(c).unwrap() {
                got = Some(r);
            }
        }
        let r = got.unwrap();
        assert_eq!(r.path, "/path");
        assert_eq!(
            r.choose(ZMQ_NULL, false),
            Some(Subprotocol::Mechanism(ZMQ_NULL))
        );
        // A ZAP domain requires the NULL handshake; PLAIN and CURVE need theirs.
        assert_eq!(r.choose(ZMQ_PLAIN, false), None);
        let mut answer = r.accept(Subprotocol::Mechanism(ZMQ_NULL));
        answer.extend_from_slice(&[0x82, 1, 0]);
        let mut c = ClientHandshake::new(
            "127.0.0.1:5555",
            "/path",
            Subprotocol::offered(ZMQ_NULL),
            [7; 16],
        );
        let mut done = None;
        for chunk in answer.chunks(step) {
            if let Some(u) = c.receive(chunk).unwrap() {
                done = Some(u);
            }
        }
        let u = done.unwrap();
        assert_eq!(u.protocol, Subprotocol::Mechanism(ZMQ_NULL));
        // The frame sent right after the answer is kept (split at the head's end or not).
        assert!(step > 1 || u.leftover.is_empty() || u.leftover == [0x82, 1, 0]);
    }
    let _ = client.receive(b"");
    // jszmq and other ports offer ZWS2.0 alone.
    let mut server = ServerHandshake::default();
    let r = server
        .receive(&request(&[
            "GET / HTTP/1.1",
            "Host: x",
            "upgrade: WebSocket",
            "Connection: keep-alive, Upgrade",
            "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==",
            "Sec-WebSocket-Protocol: ZWS2.0",
            "Sec-WebSocket-Version: 13",
        ]))
        .unwrap()
        .unwrap();
    assert_eq!(r.choose(ZMQ_NULL, false), Some(Subprotocol::Bare));
    assert_eq!(r.choose(ZMQ_NULL, true), None);
    assert_eq!(r.choose(ZMQ_CURVE, false), None);
    let answer = String::from_utf8(r.accept(Subprotocol::Bare)).unwrap();
    assert!(answer.contains("Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n"));
    assert!(answer.contains("Sec-WebSocket-Protocol: ZWS2.0\r\n"));
}

#[test]
fn bad_upgrade_requests_are_refused() {
    let good = [
        "GET /a HTTP/1.1",
        "Host: x",
        "Upgrade: websocket",
        "Connection: Upgrade",
        "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==",
        "Sec-WebSocket-Protocol: ZWS2.0",
    ];
    let variants: Vec<(Vec<&str>, HandshakeError)> = vec![
        (vec!["POST /a HTTP/1.1"], HandshakeError::Malformed),
        (vec!["GET /a HTTP/1.0"], HandshakeError::Malformed),
        (vec!["GET a HTTP/1.1"], HandshakeError::Malformed),
        (vec!["GET /a HTTP/1.1 extra"], HandshakeError::Malformed),
        (vec!["GARBAGE"], HandshakeError::Malformed),
    ];
    for (first, want) in variants {
        let mut lines = first.clone();
        lines.extend_from_slice(&good[1..]);
        assert_eq!(
            ServerHandshake::default().receive(&request(&lines)).err(),
            Some(want)
        );
    }
    let without = |name: &str| -> Vec<&str> {
        good.iter()
            .copied()
            .filter(|l| !l.starts_with(name))
            .collect()
    };
    for missing in ["Upgrade", "Connection", "Sec-WebSocket-Key"] {
        assert_eq!(
            ServerHandshake::default()
                .receive(&request(&without(missing)))
                .err(),
            Some(HandshakeError::Malformed),
            "{missing}"
        );
    }
    assert_eq!(
        ServerHandshake::default()
            .receive(&request(&without("Sec-WebSocket-Protocol")))
            .err(),
        Some(HandshakeError::NoProtocol)
    );
    let mut v = good.to_vec();
    v.push("Sec-WebSocket-Version: 8");
    assert_eq!(
        ServerHandshake::default().receive(&request(&v)).err(),
        Some(HandshakeError::Malformed)
    );
    let mut v = good.to_vec();
    v.push("Bad Header Without Colon");
    assert_eq!(
        ServerHandshake::default().receive(&request(&v)).err(),
        Some(HandshakeError::Malformed)
    );
    // A head that never ends is refused once it passes HEAD_MAX, not buffered.
    let mut s = ServerHandshake::default();
    let mut refused = false;
    for _ in 0..(HEAD_MAX / 100 + 2) {
        match s.receive(&[b'a'; 100]) {
            Ok(None) => {}
            Err(e) => {
                assert_eq!(e, HandshakeError::TooLong);
                refused = true;
                break;
            }
            Ok(Some(_)) => panic!("no head"),
        }
    }
    assert!(refused);
    // Non-UTF-8 bytes.
    assert!(ServerHandshake::default()
        .receive(b"GET /\xff HTTP/1.1\r\n\r\n")
        .is_err());
    assert!(String::from_utf8(refusal(404))
        .unwrap()
        .starts_with("HTTP/1.1 404 Not Found\r\n"));
}

#[test]
fn bad_upgrade_answers_are_refused() {
    let new = || ClientHandshake::new("h:1", "/", Subprotocol::offered(ZMQ_NULL), [1; 16]);
    let key = accept_key(&base64(&[1; 16]));
    let accept = format!("Sec-WebSocket-Accept: {key}");
    let ok = [
        "HTTP/1.1 101 Switching Protocols",
        "Upgrade: websocket",
        "Connection: Upgrade",
        accept.as_str(),
        "Sec-WebSocket-Protocol: ZWS2.0",
    ];
    assert!(new().receive(&request(&ok)).unwrap().is_some());
    let mut v = ok.to_vec();
    v[0] = "HTTP/1.1 404 Not Found";
    assert_eq!(
        new().receive(&request(&v)).err(),
        Some(HandshakeError::Refused)
    );
    let mut v = ok.to_vec();
    v[3] = "Sec-WebSocket-Accept: AAAAAAAAAAAAAAAAAAAAAAAAAAA=";
    assert_eq!(
        new().receive(&request(&v)).err(),
        Some(HandshakeError::BadAccept)
    );
    let mut v = ok.to_vec();
    v[4] = "Sec-WebSocket-Protocol: ZWS2.0/PLAIN";
    assert_eq!(
        new().receive(&request(&v)).err(),
        Some(HandshakeError::Refused)
    );
    let mut v = ok.to_vec();
    v.remove(1);
    assert_eq!(
        new().receive(&request(&v)).err(),
        Some(HandshakeError::Malformed)
    );
    assert_eq!(
        new().receive(b"SSH-2.0-x\r\n\r\n").err(),
        Some(HandshakeError::Malformed)
    );
}

/// Moves everything one engine queued to the other through the WebSocket framing
/// (`from` frames as `role`, the other side decodes as its peer).
fn pump(
    from: &mut crate::zmtp::Engine,
    out: &mut Outbound,
    inb: &mut Inbound,
    to: &mut crate::zmtp::Engine,
    now: std::time::Instant,
) {
    let mut wire = Vec::new();
    loop {
        let chunk = from.output().to_vec();
        if chunk.is_empty() {
            break;
        }
        out.encode(&chunk, &mut wire);
        from.consume_output(chunk.len());
    }
    let zmtp = decode_all(inb, &wire, 5).unwrap();
    to.receive(&zmtp, now);
}

#[test]
fn two_engines_speak_zws_through_the_framing_bare_and_with_null() {
    use crate::abi::{ZMQ_DEALER, ZMQ_ROUTER};
    use crate::msg::Msg;
    use crate::zmtp::{Engine, EngineConfig, EngineEvent};
    let now = std::time::Instant::now();
    for mechanism in [false, true] {
        let cfg = |t: i32, id: &[u8]| EngineConfig {
            socket_type: t,
            routing_id: id.to_vec(),
            heartbeat_ivl_ms: 100,
            ..EngineConfig::default()
        };
        let mut client = Engine::new_zws(cfg(ZMQ_DEALER, b"dealer"), mechanism, now);
        let mut server = Engine::new_zws(cfg(ZMQ_ROUTER, b""), mechanism, now);
        let (mut c_out, mut s_out) = (Outbound::new(Role::Client), Outbound::new(Role::Server));
        let (mut c_in, mut s_in) = (
            Inbound::new(Role::Client, -1),
            Inbound::new(Role::Server, -1),
        );
        for _ in 0..3 {
            pump(&mut client, &mut c_out, &mut s_in, &mut server, now);
            pump(&mut server, &mut s_out, &mut c_in, &mut client, now);
        }
        let ready = |e: &mut Engine| loop {
            match e.poll_control() {
                Some(EngineEvent::Ready {
                    peer_routing_id, ..
                }) => return peer_routing_id,
                Some(_) => continue,
                None => panic!("no Ready (mechanism {mechanism})"),
            }
        };
        assert_eq!(ready(&mut server), b"dealer");
        assert_eq!(ready(&mut client), b"");
        assert!(client.is_zws());
        let mut m = Msg::from_slice(b"hello");
        m.set_more(true);
        assert!(client.send(&m));
        assert!(client.send(&Msg::from_slice(b"world")));
        pump(&mut client, &mut c_out, &mut s_in, &mut server, now);
        let inbox = server.inbox();
        let a = inbox.pop_whole().unwrap();
        assert_eq!((a.data(), a.more()), (&b"hello"[..], true));
        assert_eq!(inbox.pop_whole().unwrap().data(), b"world");
        // The heartbeat goes out as a WebSocket ping; the pong that answers it
        // keeps the connection up past the timeout.
        let later = now + std::time::Duration::from_millis(150);
        client.handle_timeout(later);
        let mut wire = Vec::new();
        let chunk = client.output().to_vec();
        client.consume_output(chunk.len());
        c_out.encode(&chunk, &mut wire);
        assert_eq!(wire[0], 0x89, "a ping");
        c_in.keepalive = true;
        let mut pong = Vec::new();
        s_out.control(super::frame::OP_PONG, b"", &mut pong);
        let zmtp = decode_all(&mut c_in, &pong, 64).unwrap();
        client.receive(&zmtp, later);
        client.handle_timeout(later + std::time::Duration::from_millis(120));
        assert!(!client.is_closed());
        // Without an answer it times out.
        client.handle_timeout(later + std::time::Duration::from_millis(600));
        client.handle_timeout(later + std::time::Duration::from_millis(900));
        assert!(client.is_closed());
    }
}
