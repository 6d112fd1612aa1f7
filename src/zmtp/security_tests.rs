//! PLAIN, CURVE and ZAP in memory: two engines handshaking through a scripted ZAP
//! handler, the commands' bytes, nonce rules (replayed and out-of-order MESSAGEs),
//! bad credentials and keys, malformed and hostile commands (libzmq's CVE
//! scenarios), and a bounded run of mutated handshake streams.

use std::time::{Duration, Instant};

use super::tests::{command_frame, data_frame, greeting, Rng};
use super::*;
use crate::abi::*;
use crate::msg::{flags, Msg};
use crate::util::secret::{SecretBytes, SecretKey};

/// What one side reported.
#[derive(Debug, Default)]
struct Seen {
    ready: bool,
    metadata: Vec<(String, String)>,
    messages: Vec<(Vec<u8>, bool)>,
    zap: Vec<Vec<Vec<u8>>>,
    monitor: Vec<(i32, i32)>,
    closed: Option<(i32, i32, CloseKind)>,
}

/// How the scripted handler answers: a status, or no handler at all.
#[derive(Clone, Copy)]
enum Handler {
    Status(&'static str),
    Absent,
    /// Keeps the request unanswered.
    Silent,
}

fn reply_parts(status: &str, user: &str, meta: &[u8]) -> Vec<Msg> {
    super::zap::tests::reply(status, user, meta)
}

fn drain(e: &mut Engine, seen: &mut Seen, handler: Handler, now: Instant) {
    while let Some(ev) = e.poll_event() {
        match ev {
            EngineEvent::Ready { metadata, .. } => {
                assert!(!seen.ready && seen.closed.is_none());
                seen.ready = true;
                for name in ["User-Id", "Hello", "Socket-Type", "Identity"] {
                    if let Some(v) = metadata.get(name) {
                        seen.metadata
                            .push((name.to_string(), v.to_string_lossy().into_owned()));
                    }
                }
            }
            EngineEvent::Message(m) => {
                assert!(seen.ready, "a message before the handshake completed");
                seen.messages.push((m.data().to_vec(), m.more()));
            }
            EngineEvent::ZapRequest(r) => {
                seen.zap.push(r);
                match handler {
                    Handler::Status(s) => {
                        e.zap_reply(&reply_parts(s, "user-7", b"\x05Hello\0\0\0\x05World"), now)
                    }
                    Handler::Absent => e.zap_unavailable(now),
                    Handler::Silent => {}
                }
            }
            EngineEvent::Monitor { event, value } => seen.monitor.push((event, value)),
            EngineEvent::Closed {
                event, value, kind, ..
            } => {
                assert!(seen.closed.is_none(), "two Closed");
                seen.closed = Some((event, value, kind));
            }
        }
    }
}

/// Moves all output between the engines (in pieces of up to `piece` bytes) until
/// nothing moves; the server's ZAP requests go to `handler`.
fn pump(
    client: &mut Engine,
    server: &mut Engine,
    handler: Handler,
    piece: usize,
    now: Instant,
) -> (Seen, Seen) {
    let (mut c, mut s) = (Seen::default(), Seen::default());
    pump_more(client, server, &mut c, &mut s, handler, piece, now);
    (c, s)
}

fn pump_more(
    client: &mut Engine,
    server: &mut Engine,
    c: &mut Seen,
    s: &mut Seen,
    handler: Handler,
    piece: usize,
    now: Instant,
) {
    pump_recording(client, server, c, s, handler, piece, now, &mut Vec::new());
}

/// Moves `from`'s output (and, once it closed, the rest of its greeting, as the
/// session writes it) into `to`; true when something moved.
fn transfer(
    from: &mut Engine,
    to: &mut Engine,
    piece: usize,
    now: Instant,
    log: &mut Vec<u8>,
) -> bool {
    let mut moved = false;
    while !from.output().is_empty() {
        let n = from.output().len().min(piece);
        let bytes = from.output()[..n].to_vec();
        from.consume_output(n);
        log.extend_from_slice(&bytes);
        to.receive(&bytes, now);
        moved = true;
    }
    if from.is_closed() && !from.farewell().is_empty() && !to.is_closed() {
        let bytes = from.farewell().to_vec();
        to.receive(&bytes, now);
        moved = true;
    }
    moved
}

#[allow(clippy::too_many_arguments)]
fn pump_recording(
    client: &mut Engine,
    server: &mut Engine,
    c: &mut Seen,
    s: &mut Seen,
    handler: Handler,
    piece: usize,
    now: Instant,
    client_log: &mut Vec<u8>,
) {
    let mut idle = 0;
    while idle < 2 {
        // As a session does: what a side queues in reaction goes out before it
        // reads again.
        let mut moved = transfer(client, server, piece, now, client_log);
        drain(server, s, handler, now);
        moved |= transfer(server, client, piece, now, &mut Vec::new());
        drain(client, c, Handler::Silent, now);
        idle = if moved { 0 } else { idle + 1 };
    }
}

fn base(socket_type: i32) -> EngineConfig {
    EngineConfig {
        socket_type,
        handshake_ivl_ms: 0,
        peer_address: "10.0.0.7".into(),
        ..EngineConfig::default()
    }
}

fn plain_client(user: &[u8], pass: &[u8]) -> EngineConfig {
    let mut c = base(ZMQ_DEALER);
    c.security = Security {
        mechanism: ZMQ_PLAIN,
        plain_username: user.to_vec(),
        plain_password: SecretBytes::new(pass.to_vec()),
        ..Security::default()
    };
    c
}

fn plain_server() -> EngineConfig {
    let mut c = base(ZMQ_ROUTER);
    c.routing_id = b"srv".to_vec();
    c.security = Security {
        mechanism: ZMQ_PLAIN,
        as_server: true,
        zap_domain: b"dom".to_vec(),
        ..Security::default()
    };
    c
}

struct Keys {
    server_public: [u8; 32],
    server_secret: SecretKey,
    client_public: [u8; 32],
    client_secret: SecretKey,
}

fn keys() -> Keys {
    let (sp, ss) = curve::keypair().unwrap();
    let (cp, cs) = curve::keypair().unwrap();
    Keys {
        server_public: sp,
        server_secret: ss,
        client_public: cp,
        client_secret: cs,
    }
}

fn curve_client(k: &Keys, server_key: [u8; 32]) -> EngineConfig {
    let mut c = base(ZMQ_DEALER);
    c.security = Security {
        mechanism: ZMQ_CURVE,
        curve_public_key: k.client_public,
        curve_secret_key: k.client_secret.clone(),
        curve_server_key: server_key,
        ..Security::default()
    };
    c
}

fn curve_server(k: &Keys, domain: &[u8]) -> EngineConfig {
    let mut c = base(ZMQ_ROUTER);
    c.security = Security {
        mechanism: ZMQ_CURVE,
        as_server: true,
        curve_secret_key: k.server_secret.clone(),
        zap_domain: domain.to_vec(),
        ..Security::default()
    };
    c
}

fn msg(data: &[u8], more: bool) -> Msg {
    let mut m = Msg::from_slice(data);
    m.set_more(more);
    m
}

/// The frames of an engine's output: (wire flags, body).
fn frames(mut bytes: &[u8]) -> Vec<(u8, Vec<u8>)> {
    let mut out = Vec::new();
    while !bytes.is_empty() {
        let f = bytes[0];
        let (size, start) = if f & 0x02 != 0 {
            (
                u64::from_be_bytes(bytes[1..9].try_into().unwrap()) as usize,
                9,
            )
        } else {
            (bytes[1] as usize, 2)
        };
        out.push((f, bytes[start..start + size].to_vec()));
        bytes = &bytes[start + size..];
    }
    out
}

fn take(e: &mut Engine) -> Vec<u8> {
    let mut v = Vec::new();
    while !e.output().is_empty() {
        let n = e.output().len();
        v.extend_from_slice(e.output());
        e.consume_output(n);
    }
    v
}

// ------------------------------------------------------------------- PLAIN

#[test]
fn plain_handshake_asks_zap_and_delivers() {
    let now = Instant::now();
    let mut c = Engine::new(plain_client(b"admin", b"secret"), now);
    let mut s = Engine::new(plain_server(), now);
    let (cs, ss) = pump(&mut c, &mut s, Handler::Status("200"), 7, now);
    assert!(cs.ready && ss.ready, "{cs:?} {ss:?}");
    let expect: Vec<&[u8]> = vec![
        b"",
        b"1.0",
        b"1",
        b"dom",
        b"10.0.0.7",
        b"srv",
        b"PLAIN",
        b"admin",
        b"secret",
    ];
    assert_eq!(ss.zap, vec![expect]);
    assert!(ss.metadata.contains(&("User-Id".into(), "user-7".into())));
    assert!(ss.metadata.contains(&("Hello".into(), "World".into())));
    assert!(ss
        .metadata
        .contains(&("Socket-Type".into(), "DEALER".into())));
    // Messages flow both ways, as plain frames (PLAIN does not encrypt).
    assert!(c.send(&msg(b"one", true)) && c.send(&msg(b"two", false)));
    let wire = take(&mut c);
    assert_eq!(wire, [&[1, 3][..], b"one", &[0, 3], b"two"].concat());
    s.receive(&wire, now);
    let mut seen = ss;
    drain(&mut s, &mut seen, Handler::Silent, now);
    assert_eq!(
        seen.messages,
        vec![(b"one".to_vec(), true), (b"two".to_vec(), false)]
    );
}

#[test]
fn plain_commands_are_byte_exact() {
    let now = Instant::now();
    let mut c = Engine::new(plain_client(b"admin", b"pw"), now);
    let mut out = take(&mut c);
    c.receive(&greeting(1, b"PLAIN"), now);
    out.extend(take(&mut c));
    // Our greeting: PLAIN, as-server 0; then HELLO.
    assert_eq!(&out[12..17], b"PLAIN");
    assert_eq!(out[32], 0);
    assert_eq!(
        frames(&out[64..]),
        vec![(4, b"\x05HELLO\x05admin\x02pw".to_vec())]
    );
    let mut s = Engine::new(plain_server(), now);
    let sg = take(&mut s);
    assert_eq!(sg.len(), 10);
    s.receive(&greeting(1, b"PLAIN"), now);
    let sg = [sg, take(&mut s)].concat();
    assert_eq!(sg[32], 1, "a server says so in its greeting");
}

#[test]
fn plain_wrong_password_is_refused_with_400() {
    let now = Instant::now();
    let mut c = Engine::new(plain_client(b"admin", b"guess"), now);
    let mut s = Engine::new(plain_server(), now);
    let (cs, ss) = pump(&mut c, &mut s, Handler::Status("400"), 1000, now);
    assert!(!cs.ready && !ss.ready);
    assert_eq!(ss.monitor, vec![(ZMQ_EVENT_HANDSHAKE_FAILED_AUTH, 400)]);
    assert_eq!(
        cs.closed,
        Some((ZMQ_EVENT_HANDSHAKE_FAILED_AUTH, 400, CloseKind::Protocol))
    );
    // The server waits for the client to go; anything more it sends ends it.
    assert!(ss.closed.is_none());
    s.receive(&data_frame(b"sneaky", false), now);
    let mut ss = ss;
    drain(&mut s, &mut ss, Handler::Silent, now);
    assert_eq!(ss.closed, Some((0, 0, CloseKind::Protocol)));
    assert!(ss.messages.is_empty());
}

#[test]
fn plain_server_without_handler_refuses() {
    let now = Instant::now();
    let mut c = Engine::new(plain_client(b"admin", b"secret"), now);
    let mut s = Engine::new(plain_server(), now);
    let (_, ss) = pump(&mut c, &mut s, Handler::Absent, 1000, now);
    assert_eq!(
        ss.closed,
        Some((
            ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL,
            libc::EFAULT,
            CloseKind::Protocol
        ))
    );
}

#[test]
fn plain_malformed_hello() {
    let now = Instant::now();
    for (hello, code) in [
        (
            &b"\x05HELLO\x05admin\x07secret"[..],
            ZMQ_PROTOCOL_ERROR_ZMTP_MALFORMED_COMMAND_HELLO,
        ),
        (
            b"\x05HELLO",
            ZMQ_PROTOCOL_ERROR_ZMTP_MALFORMED_COMMAND_HELLO,
        ),
        (
            b"\x05HELLO\x09admin",
            ZMQ_PROTOCOL_ERROR_ZMTP_MALFORMED_COMMAND_HELLO,
        ),
        (b"\x05READY", ZMQ_PROTOCOL_ERROR_ZMTP_UNEXPECTED_COMMAND),
        (
            b"\x09",
            ZMQ_PROTOCOL_ERROR_ZMTP_MALFORMED_COMMAND_UNSPECIFIED,
        ),
    ] {
        let mut s = Engine::new(plain_server(), now);
        s.receive(&greeting(1, b"PLAIN"), now);
        s.receive(&command_frame(hello), now);
        let mut seen = Seen::default();
        drain(&mut s, &mut seen, Handler::Status("200"), now);
        assert_eq!(
            seen.closed,
            Some((
                ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL,
                code,
                CloseKind::Protocol
            )),
            "{hello:?}"
        );
        assert!(seen.zap.is_empty());
    }
}

/// CVE-2019-6250-like and friends: a property claiming more than the command
/// holds, or an enormous one, ends the connection and allocates nothing extra.
#[test]
fn hostile_metadata_in_initiate() {
    let now = Instant::now();
    let mut bodies: Vec<Vec<u8>> = vec![
        b"\x08INITIATE\x0bSocket-Type\xff\xff\xff\xffDEALER".to_vec(),
        b"\x08INITIATE\x0bSocket-Type\x00\x00\x00\x06DEAL".to_vec(),
        b"\x08INITIATE\x0bSocket-Type\x00\x00\x00\x04PULL".to_vec(),
        b"\x08INITIATE\xff".to_vec(),
    ];
    let mut huge = b"\x08INITIATE\x01X\x7f\xff\xff\xff".to_vec();
    huge.extend(vec![0u8; 100_000]);
    bodies.push(huge);
    for body in bodies {
        let mut s = Engine::new(plain_server(), now);
        s.receive(&greeting(1, b"PLAIN"), now);
        s.receive(&command_frame(b"\x05HELLO\x05admin\x06secret"), now);
        let mut ss = Seen::default();
        drain(&mut s, &mut ss, Handler::Status("200"), now);
        assert!(take(&mut s).ends_with(b"\x07WELCOME"));
        assert!(ss.closed.is_none() && !ss.ready);
        s.receive(&command_frame(&body), now);
        drain(&mut s, &mut ss, Handler::Silent, now);
        assert!(ss.closed.is_some(), "{:?}", &body[..body.len().min(40)]);
        assert!(!ss.ready);
        assert!(s.buffered_bytes() < 300_000);
    }
}

/// Data before the handshake completes never reaches the socket: in HELLO's
/// place, while the handler decides, or before READY.
#[test]
fn data_before_authentication_is_refused() {
    let now = Instant::now();
    // Instead of HELLO.
    let mut s = Engine::new(plain_server(), now);
    s.receive(&greeting(1, b"PLAIN"), now);
    s.receive(&data_frame(b"\x05HELLO\x00\x00", false), now);
    let mut seen = Seen::default();
    drain(&mut s, &mut seen, Handler::Status("200"), now);
    // libzmq treats the frame as a command either way: a valid HELLO body is taken.
    assert!(seen.closed.is_none());
    s.receive(&data_frame(b"payload", false), now);
    drain(&mut s, &mut seen, Handler::Silent, now);
    assert!(seen.closed.is_some() && seen.messages.is_empty());

    // While the handler decides.
    let mut c = Engine::new(plain_client(b"a", b"b"), now);
    let mut s = Engine::new(plain_server(), now);
    let (_, mut ss) = pump(&mut c, &mut s, Handler::Silent, 1000, now);
    assert_eq!(ss.zap.len(), 1);
    s.receive(&data_frame(b"early", false), now);
    s.zap_reply(&reply_parts("200", "", b""), now);
    drain(&mut s, &mut ss, Handler::Silent, now);
    assert!(ss.closed.is_some() && ss.messages.is_empty() && !ss.ready);
}

// ------------------------------------------------------------------- CURVE

fn curve_pair(domain: &[u8], handler: Handler) -> (Engine, Engine, Seen, Seen, Keys) {
    let now = Instant::now();
    let k = keys();
    let mut c = Engine::new(curve_client(&k, k.server_public), now);
    let mut s = Engine::new(curve_server(&k, domain), now);
    let (cs, ss) = pump(&mut c, &mut s, handler, 100, now);
    (c, s, cs, ss, k)
}

#[test]
fn curve_handshake_sizes_zap_and_metadata() {
    let now = Instant::now();
    let k = keys();
    let mut c = Engine::new(curve_client(&k, k.server_public), now);
    let mut s = Engine::new(curve_server(&k, b"dom"), now);
    // Run the greeting by hand to see each command.
    let cg = take(&mut c);
    s.receive(&cg, now);
    let sg = take(&mut s);
    c.receive(&sg, now);
    let cg2 = take(&mut c);
    s.receive(&cg2, now);
    let sg2 = take(&mut s);
    c.receive(&sg2, now);
    let client_out = [cg, cg2, take(&mut c)].concat();
    assert_eq!(&client_out[12..17], b"CURVE");
    let hello = frames(&client_out[64..]);
    assert_eq!(hello.len(), 1);
    assert_eq!(hello[0].1.len(), 200);
    assert_eq!(&hello[0].1[..8], b"\x05HELLO\x01\x00");
    assert!(hello[0].1[8..80].iter().all(|&b| b == 0));
    assert_eq!(&hello[0].1[112..120], &1u64.to_be_bytes());
    s.receive(&client_out[64..], now);
    let welcome = frames(&take(&mut s));
    assert_eq!(welcome.len(), 1);
    assert_eq!(welcome[0].1.len(), 168);
    assert!(welcome[0].1.starts_with(b"\x07WELCOME"));
    c.receive(&command_frame(&welcome[0].1), now);
    let initiate = frames(&take(&mut c));
    assert!(initiate[0].1.starts_with(b"\x08INITIATE"));
    assert!(initiate[0].1.len() >= 257);
    assert_eq!(&initiate[0].1[105..113], &2u64.to_be_bytes());
    s.receive(&command_frame(&initiate[0].1), now);
    let mut ss = Seen::default();
    drain(&mut s, &mut ss, Handler::Status("200"), now);
    let key: &[u8] = &k.client_public;
    assert_eq!(ss.zap[0][6], b"CURVE");
    assert_eq!(ss.zap[0][7], key);
    assert_eq!(ss.zap[0].len(), 8);
    let ready = frames(&take(&mut s));
    assert!(ready[0].1.starts_with(b"\x05READY"));
    assert_eq!(&ready[0].1[6..14], &1u64.to_be_bytes());
    assert!(ss.ready);
    assert!(ss.metadata.contains(&("User-Id".into(), "user-7".into())));
    c.receive(&command_frame(&ready[0].1), now);
    let mut cs = Seen::default();
    drain(&mut c, &mut cs, Handler::Silent, now);
    assert!(cs.ready);
    assert!(cs
        .metadata
        .contains(&("Socket-Type".into(), "ROUTER".into())));
}

#[test]
fn curve_messages_are_boxed_both_ways() {
    let now = Instant::now();
    let (mut c, mut s, _, mut ss, _) = curve_pair(b"", Handler::Status("200"));
    assert!(ss.ready);
    let big = vec![0xA5u8; 100_000];
    assert!(c.send(&msg(b"secret-part", true)) && c.send(&msg(&big, false)));
    let wire = take(&mut c);
    assert!(
        !wire.windows(11).any(|w| w == b"secret-part"),
        "plaintext leaked"
    );
    let fr = frames(&wire);
    assert_eq!(fr.len(), 2);
    for (i, (flags, body)) in fr.iter().enumerate() {
        assert_eq!(
            *flags & 0x05,
            0,
            "MESSAGE travels with no MORE/COMMAND flag"
        );
        assert!(body.starts_with(b"\x07MESSAGE"));
        assert_eq!(&body[8..16], &(3 + i as u64).to_be_bytes());
    }
    assert_eq!(fr[0].1.len(), 16 + 16 + 1 + 11);
    s.receive(&wire, now);
    drain(&mut s, &mut ss, Handler::Silent, now);
    assert_eq!(ss.messages.len(), 2);
    assert_eq!(ss.messages[0], (b"secret-part".to_vec(), true));
    assert_eq!(ss.messages[1], (big, false));
    // And back.
    assert!(s.send(&msg(b"reply", false)));
    let back = take(&mut s);
    assert_eq!(&frames(&back)[0].1[8..16], &2u64.to_be_bytes());
    c.receive(&back, now);
    let mut cs = Seen {
        ready: true,
        ..Seen::default()
    };
    drain(&mut c, &mut cs, Handler::Silent, now);
    assert_eq!(cs.messages, vec![(b"reply".to_vec(), false)]);
    // No direct writes: frames must go through the mechanism.
    assert!(c.direct_framing().is_none());
}

#[test]
fn curve_heartbeats_and_subscriptions_are_boxed() {
    let now = Instant::now();
    let k = keys();
    let mut cc = curve_client(&k, k.server_public);
    cc.socket_type = ZMQ_SUB;
    cc.heartbeat_ivl_ms = 10;
    let mut sc = curve_server(&k, b"");
    sc.socket_type = ZMQ_PUB;
    let mut c = Engine::new(cc, now);
    let mut s = Engine::new(sc, now);
    let (cs, mut ss) = pump(&mut c, &mut s, Handler::Absent, 64, now);
    assert!(cs.ready && ss.ready);
    assert!(c.send(&Msg::from_slice(b"\x01topic")));
    let later = now + Duration::from_millis(20);
    c.handle_timeout(later);
    let wire = take(&mut c);
    assert!(!wire.windows(4).any(|w| w == b"PING"));
    assert!(!wire.windows(5).any(|w| w == b"topic"));
    s.receive(&wire, later);
    drain(&mut s, &mut ss, Handler::Silent, later);
    assert_eq!(ss.messages, vec![(b"\x01topic".to_vec(), false)]);
    assert!(ss.closed.is_none());
    // The PONG comes back boxed and keeps the client alive.
    let pong = take(&mut s);
    assert!(!pong.is_empty() && !pong.windows(4).any(|w| w == b"PONG"));
    c.receive(&pong, later);
    let mut cs2 = Seen {
        ready: true,
        ..Seen::default()
    };
    drain(&mut c, &mut cs2, Handler::Silent, later);
    assert!(cs2.closed.is_none() && cs2.messages.is_empty());
}

#[test]
fn curve_replayed_and_reordered_messages_are_rejected() {
    let now = Instant::now();
    // Replay.
    let (mut c, mut s, _, mut ss, _) = curve_pair(b"", Handler::Absent);
    assert!(c.send(&msg(b"once", false)));
    let one = take(&mut c);
    s.receive(&one, now);
    s.receive(&one, now);
    drain(&mut s, &mut ss, Handler::Silent, now);
    assert_eq!(ss.messages, vec![(b"once".to_vec(), false)]);
    assert_eq!(
        ss.closed,
        Some((
            ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL,
            ZMQ_PROTOCOL_ERROR_ZMTP_INVALID_SEQUENCE,
            CloseKind::Protocol
        ))
    );
    // Out of order.
    let (mut c, mut s, _, mut ss, _) = curve_pair(b"", Handler::Absent);
    assert!(c.send(&msg(b"first", false)));
    let first = take(&mut c);
    assert!(c.send(&msg(b"second", false)));
    let second = take(&mut c);
    s.receive(&second, now);
    s.receive(&first, now);
    drain(&mut s, &mut ss, Handler::Silent, now);
    assert_eq!(ss.messages, vec![(b"second".to_vec(), false)]);
    assert_eq!(
        ss.closed.map(|c| c.1),
        Some(ZMQ_PROTOCOL_ERROR_ZMTP_INVALID_SEQUENCE)
    );
}

#[test]
fn curve_tampered_and_malformed_messages() {
    let now = Instant::now();
    type Spoil = fn(&mut Vec<u8>);
    let cases: [(Spoil, i32); 4] = [
        (
            |w| {
                let n = w.len();
                w[n - 1] ^= 1;
            },
            ZMQ_PROTOCOL_ERROR_ZMTP_CRYPTOGRAPHIC,
        ),
        (|w| w[3] = b'X', ZMQ_PROTOCOL_ERROR_ZMTP_UNEXPECTED_COMMAND),
        (
            |w| {
                // A MESSAGE too short for its MAC.
                *w = [
                    &[0u8, 20][..],
                    b"\x07MESSAGE",
                    &[0, 0, 0, 0, 0, 0, 0, 9],
                    &[1; 4],
                ]
                .concat();
            },
            ZMQ_PROTOCOL_ERROR_ZMTP_MALFORMED_COMMAND_MESSAGE,
        ),
        (
            |w| *w = vec![0, 1, 9],
            ZMQ_PROTOCOL_ERROR_ZMTP_MALFORMED_COMMAND_UNSPECIFIED,
        ),
    ];
    for (spoil, code) in cases {
        let (mut c, mut s, _, mut ss, _) = curve_pair(b"", Handler::Absent);
        assert!(c.send(&msg(b"payload", false)));
        let mut wire = take(&mut c);
        spoil(&mut wire);
        s.receive(&wire, now);
        drain(&mut s, &mut ss, Handler::Silent, now);
        assert!(ss.messages.is_empty());
        assert_eq!(
            ss.closed,
            Some((
                ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL,
                code,
                CloseKind::Protocol
            ))
        );
    }
}

#[test]
fn curve_wrong_keys_and_refusals() {
    let now = Instant::now();
    // The client knows the wrong server key: HELLO does not open.
    let k = keys();
    let other = keys();
    let mut c = Engine::new(curve_client(&k, other.server_public), now);
    let mut s = Engine::new(curve_server(&k, b""), now);
    let (_, ss) = pump(&mut c, &mut s, Handler::Absent, 1000, now);
    assert_eq!(
        ss.closed,
        Some((
            ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL,
            ZMQ_PROTOCOL_ERROR_ZMTP_CRYPTOGRAPHIC,
            CloseKind::Protocol
        ))
    );
    // The handler refuses the client's key.
    let (_, _, cs, ss, _) = curve_pair(b"dom", Handler::Status("400"));
    assert_eq!(ss.monitor, vec![(ZMQ_EVENT_HANDSHAKE_FAILED_AUTH, 400)]);
    assert_eq!(
        cs.closed,
        Some((ZMQ_EVENT_HANDSHAKE_FAILED_AUTH, 400, CloseKind::Protocol))
    );
    // 300: the server gives up silently, the client hears nothing.
    let (_, _, cs, ss, _) = curve_pair(b"dom", Handler::Status("300"));
    assert_eq!(ss.monitor, vec![(ZMQ_EVENT_HANDSHAKE_FAILED_AUTH, 300)]);
    assert!(cs.closed.is_none() && !cs.ready && !ss.ready);
    // No handler: allowed (the Stonehouse pattern).
    let (_, _, cs, ss, _) = curve_pair(b"dom", Handler::Absent);
    assert!(cs.ready && ss.ready);
    assert!(!ss.metadata.iter().any(|(k, _)| k == "User-Id"));
}

#[test]
fn curve_enforced_domain_without_handler_fails() {
    let now = Instant::now();
    let k = keys();
    let mut sc = curve_server(&k, b"dom");
    sc.security.zap_enforce_domain = true;
    let mut c = Engine::new(curve_client(&k, k.server_public), now);
    let mut s = Engine::new(sc, now);
    let (_, ss) = pump(&mut c, &mut s, Handler::Absent, 1000, now);
    assert_eq!(
        ss.closed,
        Some((
            ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL,
            libc::EFAULT,
            CloseKind::Protocol
        ))
    );
    // Enforced without a domain: no ZAP at all.
    let mut sc = curve_server(&k, b"");
    sc.security.zap_enforce_domain = true;
    let mut c = Engine::new(curve_client(&k, k.server_public), now);
    let mut s = Engine::new(sc, now);
    let (cs, ss) = pump(&mut c, &mut s, Handler::Status("400"), 1000, now);
    assert!(cs.ready && ss.ready && ss.zap.is_empty());
}

#[test]
fn curve_malformed_handshake_commands() {
    let now = Instant::now();
    let k = keys();
    let mut hello = vec![0u8; 200];
    hello[..6].copy_from_slice(b"\x05HELLO");
    hello[6] = 1;
    let mut bad_version = hello.clone();
    bad_version[6] = 2;
    for (body, code) in [
        (
            hello[..199].to_vec(),
            ZMQ_PROTOCOL_ERROR_ZMTP_MALFORMED_COMMAND_HELLO,
        ),
        (bad_version, ZMQ_PROTOCOL_ERROR_ZMTP_MALFORMED_COMMAND_HELLO),
        (hello.clone(), ZMQ_PROTOCOL_ERROR_ZMTP_CRYPTOGRAPHIC),
        (
            b"\x08INITIATE".to_vec(),
            ZMQ_PROTOCOL_ERROR_ZMTP_UNEXPECTED_COMMAND,
        ),
    ] {
        let mut s = Engine::new(curve_server(&k, b""), now);
        s.receive(&greeting(1, b"CURVE"), now);
        s.receive(&command_frame(&body), now);
        let mut seen = Seen::default();
        drain(&mut s, &mut seen, Handler::Absent, now);
        assert_eq!(
            seen.closed,
            Some((
                ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL,
                code,
                CloseKind::Protocol
            ))
        );
    }
    // An INITIATE replayed to another server: its cookie does not open.
    let mut c = Engine::new(curve_client(&k, k.server_public), now);
    let mut s1 = Engine::new(curve_server(&k, b""), now);
    let (mut cs, mut ss) = (Seen::default(), Seen::default());
    let mut log = Vec::new();
    pump_recording(
        &mut c,
        &mut s1,
        &mut cs,
        &mut ss,
        Handler::Absent,
        1000,
        now,
        &mut log,
    );
    assert!(cs.ready && ss.ready);
    let sent = frames(&log[64..]);
    let initiate = &sent[1].1;
    assert!(initiate.starts_with(b"\x08INITIATE"));
    // Another client's HELLO to a second server, then the recorded INITIATE.
    let mut c2 = Engine::new(curve_client(&k, k.server_public), now);
    let mut s2 = Engine::new(curve_server(&k, b""), now);
    let mut log2 = Vec::new();
    let (mut cs2, mut ss2) = (Seen::default(), Seen::default());
    // Only as far as the WELCOME: the client's INITIATE is withheld.
    for _ in 0..10 {
        transfer(&mut c2, &mut s2, 1000, now, &mut log2);
        drain(&mut s2, &mut ss2, Handler::Absent, now);
        if log2.len() > 64 {
            break;
        }
        transfer(&mut s2, &mut c2, 1000, now, &mut Vec::new());
        drain(&mut c2, &mut cs2, Handler::Silent, now);
    }
    assert!(frames(&log2[64..])[0].1.starts_with(b"\x05HELLO"));
    s2.receive(&command_frame(initiate), now);
    drain(&mut s2, &mut ss2, Handler::Absent, now);
    assert_eq!(
        ss2.closed.map(|c| c.1),
        Some(ZMQ_PROTOCOL_ERROR_ZMTP_CRYPTOGRAPHIC)
    );
}

// ------------------------------------------------------ NULL, mismatches

#[test]
fn null_with_zap_domain() {
    let now = Instant::now();
    let mut sc = base(ZMQ_ROUTER);
    sc.security.zap_domain = b"dom".to_vec();
    for (handler, ready, monitor, client_closed) in [
        (Handler::Status("200"), true, vec![], None),
        (Handler::Absent, true, vec![], None),
        (
            Handler::Status("400"),
            false,
            vec![(ZMQ_EVENT_HANDSHAKE_FAILED_AUTH, 400)],
            Some((ZMQ_EVENT_HANDSHAKE_FAILED_AUTH, 400, CloseKind::Protocol)),
        ),
        (
            Handler::Status("300"),
            false,
            vec![(ZMQ_EVENT_HANDSHAKE_FAILED_AUTH, 300)],
            None,
        ),
    ] {
        let mut c = Engine::new(base(ZMQ_DEALER), now);
        let mut s = Engine::new(sc.clone(), now);
        let (cs, ss) = pump(&mut c, &mut s, handler, 1000, now);
        assert_eq!(ss.ready, ready);
        assert_eq!(cs.ready, ready);
        assert_eq!(ss.monitor, monitor);
        assert_eq!(cs.closed, client_closed);
        if let Some(r) = ss.zap.first() {
            assert_eq!(r.len(), 7);
            assert_eq!(r[6], b"NULL");
        }
    }
}

#[test]
fn failed_handshake_times_out_quietly() {
    let t0 = Instant::now();
    let mut sc = plain_server();
    sc.handshake_ivl_ms = 100;
    let mut c = Engine::new(plain_client(b"a", b"b"), t0);
    let mut s = Engine::new(sc, t0);
    let (_, mut ss) = pump(&mut c, &mut s, Handler::Status("300"), 1000, t0);
    s.handle_timeout(t0 + Duration::from_millis(150));
    drain(&mut s, &mut ss, Handler::Silent, t0);
    assert_eq!(ss.closed, Some((0, 0, CloseKind::Timeout)));
}

#[test]
fn mismatches_and_older_peers() {
    let now = Instant::now();
    // PLAIN server, NULL client.
    let mut c = Engine::new(base(ZMQ_DEALER), now);
    let mut s = Engine::new(plain_server(), now);
    let (cs, ss) = pump(&mut c, &mut s, Handler::Status("200"), 1000, now);
    let mismatch = Some((
        ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL,
        ZMQ_PROTOCOL_ERROR_ZMTP_MECHANISM_MISMATCH,
        CloseKind::Protocol,
    ));
    assert_eq!(cs.closed, mismatch);
    assert_eq!(ss.closed, mismatch);
    // Two PLAIN servers.
    let mut a = Engine::new(plain_server(), now);
    let mut b = Engine::new(plain_server(), now);
    let (sa, sb) = pump(&mut a, &mut b, Handler::Status("200"), 1000, now);
    assert_eq!(sa.closed, mismatch);
    assert_eq!(sb.closed, mismatch);
    // CURVE client, PLAIN server.
    let k = keys();
    let mut c = Engine::new(curve_client(&k, k.server_public), now);
    let mut s = Engine::new(plain_server(), now);
    let (cs, _) = pump(&mut c, &mut s, Handler::Status("200"), 1000, now);
    assert_eq!(cs.closed, mismatch);
    // ZMTP 2.0 and 1.0 peers are refused once security is on.
    for older in [
        &[0xFF, 0, 0, 0, 0, 0, 0, 0, 1, 0x7F, 1, 5][..],
        &[0xFF, 0, 0, 0, 0, 0, 0, 0, 1, 0x7F, 0, 5][..],
        &[1, 0][..],
    ] {
        let mut s = Engine::new(plain_server(), now);
        s.receive(older, now);
        let mut seen = Seen::default();
        drain(&mut s, &mut seen, Handler::Silent, now);
        assert_eq!(seen.closed, Some((0, 0, CloseKind::Protocol)), "{older:?}");
    }
}

// ------------------------------------------------ bounded mutation run

fn mutate(rng: &mut Rng, bytes: &mut Vec<u8>) {
    if bytes.is_empty() {
        return;
    }
    let i = rng.below(bytes.len());
    match rng.below(4) {
        0 => bytes[i] ^= 1 << rng.below(8),
        1 => bytes[i] = rng.next() as u8,
        2 => bytes.truncate(i),
        _ => {
            let extra: Vec<u8> = (0..rng.below(40)).map(|_| rng.next() as u8).collect();
            bytes.splice(i..i, extra);
        }
    }
}

/// Live handshakes between a client and a server (PLAIN or CURVE), with one side's
/// bytes mutated at a random point, random splits, random ZAP answers and messages
/// afterwards: no panic, events in order, memory bounded by what was fed.
#[test]
fn mutated_handshakes() {
    let now = Instant::now();
    let k = keys();
    let statuses = ["200", "300", "400", "500", "2x0"];
    for seed in 0..1500u64 {
        let mut rng = Rng::new(seed ^ 0x5EC);
        let curve = rng.below(2) == 0;
        let (cc, sc) = if curve {
            (
                curve_client(&k, k.server_public),
                curve_server(&k, if rng.below(2) == 0 { b"d" } else { b"" }),
            )
        } else {
            (plain_client(b"u", b"p"), plain_server())
        };
        let mut c = Engine::new(cc, now);
        let mut s = Engine::new(sc, now);
        let handler = match rng.below(6) {
            0 => Handler::Absent,
            i => Handler::Status(statuses[i - 1]),
        };
        let (mut cs, mut ss) = (Seen::default(), Seen::default());
        let mutate_at = rng.below(6);
        let mut fed = 0usize;
        for step in 0..12 {
            for dir in 0..2 {
                let (src, dst) = if dir == 0 {
                    (&mut c, &mut s)
                } else {
                    (&mut s, &mut c)
                };
                let mut bytes = Vec::new();
                while !src.output().is_empty() {
                    let n = src.output().len();
                    bytes.extend_from_slice(src.output());
                    src.consume_output(n);
                }
                if step == mutate_at && dir == rng.below(2) {
                    mutate(&mut rng, &mut bytes);
                }
                fed += bytes.len();
                let mut pos = 0;
                while pos < bytes.len() {
                    let n = 1 + rng.below((bytes.len() - pos).min(300));
                    dst.receive(&bytes[pos..pos + n], now);
                    pos += n;
                }
            }
            drain(&mut c, &mut cs, Handler::Silent, now);
            drain(&mut s, &mut ss, handler, now);
            if ss.ready && cs.ready && step % 3 == 0 {
                let body: Vec<u8> = (0..rng.below(3000)).map(|_| rng.next() as u8).collect();
                assert!(c.send(&msg(&body, false)));
            }
            assert!(s.buffered_bytes() <= 2 * fed + 300_000);
            assert!(c.buffered_bytes() <= 2 * fed + 300_000);
        }
        // Whatever reached the server's socket did so after a completed handshake
        // (`drain` asserts it) and only once the handler allowed it.
        if !ss.messages.is_empty() {
            assert!(matches!(handler, Handler::Absent | Handler::Status("200")));
        }
        let _ = flags::MORE;
    }
}
