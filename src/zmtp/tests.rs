//! Engine tests: byte-exact vectors (as libzmq 4.3 puts them on the wire), two engines
//! back to back with random splits, older-ZMTP peers from handcrafted bytes, every
//! error path, heartbeats with time passed in.

use std::time::{Duration, Instant};

use super::engine::OUTPUT_LIMIT;
use super::*;
use crate::abi::*;
use crate::msg::{flags, Msg};

/// A small deterministic PRNG (xorshift64*), so failures replay.
pub(super) struct Rng(u64);

impl Rng {
    pub(super) fn new(seed: u64) -> Rng {
        Rng(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1)
    }
    pub(super) fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    /// Uniform-ish in 0..n (n > 0).
    pub(super) fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

/// Test view of an event.
#[derive(Debug, PartialEq)]
pub(super) enum Ev {
    Ready(i32, Vec<u8>, Version),
    Msg(Vec<u8>, bool),
    Closed(i32, i32, CloseKind),
    Zap(Vec<Vec<u8>>),
    Monitor(i32, i32),
}

pub(super) fn events(e: &mut Engine) -> Vec<Ev> {
    let mut out = Vec::new();
    while let Some(ev) = e.poll_event() {
        out.push(match ev {
            EngineEvent::Ready {
                peer_socket_type,
                peer_routing_id,
                version,
                ..
            } => Ev::Ready(peer_socket_type, peer_routing_id, version),
            EngineEvent::Message(m) => Ev::Msg(m.data().to_vec(), m.more()),
            EngineEvent::Closed {
                event, value, kind, ..
            } => Ev::Closed(event, value, kind),
            EngineEvent::ZapRequest(r) => Ev::Zap(r),
            EngineEvent::Monitor { event, value } => Ev::Monitor(event, value),
        });
    }
    out
}

pub(super) fn take_output(e: &mut Engine) -> Vec<u8> {
    let mut v = Vec::new();
    loop {
        let o = e.output();
        if o.is_empty() {
            return v;
        }
        let n = o.len();
        v.extend_from_slice(o);
        e.consume_output(n);
    }
}

fn hex(s: &str) -> Vec<u8> {
    let s: String = s.chars().filter(|c| !c.is_whitespace()).collect();
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
        .collect()
}

pub(super) fn cfg(socket_type: i32) -> EngineConfig {
    EngineConfig {
        socket_type,
        handshake_ivl_ms: 0,
        ..EngineConfig::default()
    }
}

/// A peer's ZMTP 3.x greeting with the given minor version and mechanism.
pub(crate) fn greeting(minor: u8, mechanism: &[u8]) -> Vec<u8> {
    let mut g = hex("ff00000000000000017f");
    g.push(3);
    g.push(minor);
    let mut mech = [0u8; 20];
    mech[..mechanism.len()].copy_from_slice(mechanism);
    g.extend_from_slice(&mech);
    g.extend_from_slice(&[0; 32]);
    g
}

pub(super) fn command_frame(body: &[u8]) -> Vec<u8> {
    let mut f = Vec::new();
    if body.len() > 255 {
        f.push(6);
        f.extend_from_slice(&(body.len() as u64).to_be_bytes());
    } else {
        f.extend_from_slice(&[4, body.len() as u8]);
    }
    f.extend_from_slice(body);
    f
}

pub(super) fn data_frame(body: &[u8], more: bool) -> Vec<u8> {
    let m = u8::from(more);
    let mut f = Vec::new();
    if body.len() > 255 {
        f.push(m | 2);
        f.extend_from_slice(&(body.len() as u64).to_be_bytes());
    } else {
        f.extend_from_slice(&[m, body.len() as u8]);
    }
    f.extend_from_slice(body);
    f
}

pub(crate) fn ready(props: &[(&str, &[u8])]) -> Vec<u8> {
    let mut body = b"\x05READY".to_vec();
    for (n, v) in props {
        body.push(n.len() as u8);
        body.extend_from_slice(n.as_bytes());
        body.extend_from_slice(&(v.len() as u32).to_be_bytes());
        body.extend_from_slice(v);
    }
    command_frame(&body)
}

/// Sends, pumping first if the engine's output is full.
fn send_pumped(
    from: &mut Engine,
    to: &mut Engine,
    m: &Msg,
    rng: &mut Rng,
    now: Instant,
    got: &mut Vec<Ev>,
) {
    while !from.send(m) {
        assert!(from.output_len() >= OUTPUT_LIMIT);
        while transfer(from, to, rng, now) {}
        got.extend(events(to));
    }
}

fn msg(data: &[u8], more: bool) -> Msg {
    let mut m = Msg::from_slice(data);
    m.set_more(more);
    m
}

/// An engine of `socket_type` that completed a 3.1 handshake with a handcrafted
/// peer of `peer_type`; its output so far is discarded.
fn ready_engine(c: EngineConfig, peer_type: &str, now: Instant) -> Engine {
    let mut e = Engine::new(c, now);
    e.receive(&greeting(1, b"NULL"), now);
    e.receive(&ready(&[("Socket-Type", peer_type.as_bytes())]), now);
    let evs = events(&mut e);
    assert!(matches!(evs[..], [Ev::Ready(..)]), "{evs:?}");
    take_output(&mut e);
    e
}

#[test]
fn greeting_goes_out_in_libzmq_stages() {
    // Captured from libzmq 4.3: a DEALER with routing id "abc" and two X- properties.
    let now = Instant::now();
    let mut e = Engine::new(
        EngineConfig {
            socket_type: ZMQ_DEALER,
            routing_id: b"abc".to_vec(),
            metadata: vec![
                ("X-zed".into(), b"1".to_vec()),
                ("X-abc".into(), b"two".to_vec()),
            ],
            ..cfg(ZMQ_DEALER)
        },
        now,
    );
    assert_eq!(take_output(&mut e), hex("ff00000000000000047f"));
    let g = greeting(1, b"NULL");
    // One byte at a time: nothing until the signature is complete.
    for b in &g[..9] {
        e.receive(std::slice::from_ref(b), now);
        assert!(e.output().is_empty());
    }
    e.receive(&g[9..10], now);
    assert_eq!(take_output(&mut e), [3]);
    e.receive(&g[10..11], now);
    assert_eq!(
        take_output(&mut e),
        hex("014e554c4c000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000")
    );
    e.receive(&g[11..63], now);
    assert!(e.output().is_empty());
    e.receive(&g[63..], now);
    assert_eq!(
        take_output(&mut e),
        hex("04440552454144590b536f636b65742d54797065000000064445414c4552084964656e7469747900000003616263
             05582d6162630000000374776f05582d7a65640000000131")
    );
    assert!(!e.is_ready());
    assert!(!e.send(&msg(b"early", false)));
    e.receive(&ready(&[("Socket-Type", b"ROUTER")]), now);
    assert_eq!(
        events(&mut e),
        [Ev::Ready(ZMQ_ROUTER, vec![], Version::Zmtp31)]
    );
    assert!(e.is_ready());
}

#[test]
fn ready_carries_identity_only_for_req_dealer_router() {
    // Captured from libzmq 4.3 with routing id "id".
    let cases: &[(i32, &str)] = &[
        (ZMQ_REQ, "04280552454144590b536f636b65742d5479706500000003524551084964656e74697479000000026964"),
        (ZMQ_REP, "04190552454144590b536f636b65742d5479706500000003524550"),
        (ZMQ_ROUTER, "042b0552454144590b536f636b65742d5479706500000006524f55544552084964656e74697479000000026964"),
        (ZMQ_PUB, "04190552454144590b536f636b65742d5479706500000003505542"),
        (ZMQ_SUB, "04190552454144590b536f636b65742d5479706500000003535542"),
        (ZMQ_PAIR, "041a0552454144590b536f636b65742d547970650000000450414952"),
        (ZMQ_XPUB, "041a0552454144590b536f636b65742d547970650000000458505542"),
        (ZMQ_XSUB, "041a0552454144590b536f636b65742d547970650000000458535542"),
        (ZMQ_PULL, "041a0552454144590b536f636b65742d547970650000000450554c4c"),
    ];
    let now = Instant::now();
    for &(t, expect) in cases {
        let mut e = Engine::new(
            EngineConfig {
                routing_id: b"id".to_vec(),
                ..cfg(t)
            },
            now,
        );
        assert_eq!(take_output(&mut e), hex("ff00000000000000037f"));
        e.receive(&greeting(1, b"NULL"), now);
        let out = take_output(&mut e);
        assert_eq!(out[..54][0], 3);
        assert_eq!(out[54..], hex(expect)[..], "socket type {t}");
    }
    // An unset routing id still sends an empty Identity.
    let mut e = Engine::new(cfg(ZMQ_DEALER), now);
    e.receive(&greeting(1, b"NULL"), now);
    let out = take_output(&mut e);
    assert_eq!(
        out[64..],
        hex("04290552454144590b536f636b65742d54797065000000064445414c4552084964656e7469747900000000")[..]
    );
}

#[test]
fn revisions_other_than_0_and_1_get_a_31_greeting() {
    let now = Instant::now();
    for rev in [2u8, 3, 4, 0xff] {
        let mut e = Engine::new(cfg(ZMQ_ROUTER), now);
        take_output(&mut e);
        let mut g = hex("ff00000000000000017f");
        g.push(rev);
        e.receive(&g, now);
        let out = take_output(&mut e);
        assert_eq!(out.len(), 54);
        assert_eq!(&out[..6], b"\x03\x01NULL");
    }
}

#[test]
fn metadata_reaches_messages() {
    let now = Instant::now();
    let mut e = Engine::new(
        EngineConfig {
            peer_address: "127.0.0.1".into(),
            ..cfg(ZMQ_ROUTER)
        },
        now,
    );
    e.set_source_fd(42);
    e.receive(&greeting(1, b"NULL"), now);
    let mut input = ready(&[
        ("Socket-Type", b"DEALER"),
        ("Identity", b"peer"),
        ("X-Hello", b"World"),
        ("X-Hello", b"Again"),
        ("Peer-Address", b"spoofed"),
    ]);
    input.extend(data_frame(b"payload", false));
    e.receive(&input, now);
    let mut got = Vec::new();
    while let Some(ev) = e.poll_event() {
        got.push(ev);
    }
    let EngineEvent::Ready {
        peer_socket_type,
        peer_routing_id,
        metadata,
        version,
    } = &got[0]
    else {
        panic!("{got:?}")
    };
    assert_eq!(
        (*peer_socket_type, &peer_routing_id[..], *version),
        (ZMQ_DEALER, &b"peer"[..], Version::Zmtp31)
    );
    assert_eq!(metadata.get("Socket-Type").unwrap().to_bytes(), b"DEALER");
    let EngineEvent::Message(m) = &got[1] else {
        panic!("{got:?}")
    };
    assert_eq!(m.data(), b"payload");
    let meta = m.metadata().expect("metadata attached");
    assert_eq!(meta.get("Identity").unwrap().to_bytes(), b"peer");
    assert_eq!(meta.get("X-Hello").unwrap().to_bytes(), b"World");
    assert_eq!(meta.get("Peer-Address").unwrap().to_bytes(), b"127.0.0.1");
    assert_eq!(meta.get("__fd").unwrap().to_bytes(), b"42");
}

#[test]
fn identity_last_value_wins_and_missing_socket_type_is_accepted() {
    let now = Instant::now();
    let mut e = Engine::new(cfg(ZMQ_ROUTER), now);
    e.receive(&greeting(1, b"NULL"), now);
    e.receive(&ready(&[("Identity", b"a"), ("Identity", b"b")]), now);
    assert_eq!(
        events(&mut e),
        [Ev::Ready(-1, b"b".to_vec(), Version::Zmtp31)]
    );
}

#[test]
fn frames_are_byte_exact() {
    let now = Instant::now();
    let mut e = ready_engine(cfg(ZMQ_DEALER), "ROUTER", now);
    assert!(e.send(&msg(b"", true)));
    assert!(e.send(&msg(b"hi", false)));
    let big = vec![b'b'; 300];
    assert!(e.send(&msg(&big, false)));
    let mut expect = hex("0100 00026869 02000000000000012c");
    expect.extend_from_slice(&big);
    assert_eq!(take_output(&mut e), expect);
    // Receiving: short, long, empty, with MORE.
    let mut input = data_frame(b"", true);
    input.extend(data_frame(&big, true));
    input.extend(data_frame(b"end", false));
    e.receive(&input, now);
    assert_eq!(
        events(&mut e),
        [
            Ev::Msg(vec![], true),
            Ev::Msg(big.clone(), true),
            Ev::Msg(b"end".to_vec(), false)
        ]
    );
}

#[test]
fn many_messages_batch_into_one_write() {
    let now = Instant::now();
    let mut e = ready_engine(cfg(ZMQ_PUSH), "PULL", now);
    for i in 0..1000u32 {
        assert!(e.send(&msg(&i.to_be_bytes(), false)));
    }
    assert_eq!(e.output().len(), 6000);
    assert_eq!(e.output_len(), 6000);
    // Large bodies go by reference, in order.
    let big = vec![7u8; 100_000];
    assert!(e.send(&msg(&big, false)));
    assert!(e.send(&msg(b"after", false)));
    let total = e.output_len();
    assert_eq!(total, 6000 + 9 + 100_000 + 7);
    // Starting from idle, the first write stops 8 KiB into the large body; then the
    // rest goes in one.
    let offered = |e: &Engine| {
        let mut slices = [std::io::IoSlice::new(&[]); 8];
        let n = e.output_slices(&mut slices);
        slices[..n]
            .iter()
            .flat_map(|s| s.iter().copied())
            .collect::<Vec<u8>>()
    };
    let mut out = offered(&e);
    assert_eq!(out.len(), 6009 + 8192);
    e.consume_output(out.len());
    assert_eq!(offered(&e).len(), total - out.len());
    out.extend(take_output(&mut e));
    assert_eq!(&out[6009..106_009], &big[..]);
    assert_eq!(&out[106_009..], b"\x00\x05after");
}

/// Moves bytes between two engines in random pieces until nothing moves; returns
/// each side's events.
pub(super) fn pump(
    a: &mut Engine,
    b: &mut Engine,
    rng: &mut Rng,
    now: Instant,
) -> (Vec<Ev>, Vec<Ev>) {
    let (mut ea, mut eb) = (Vec::new(), Vec::new());
    loop {
        let moved_ab = transfer(a, b, rng, now);
        eb.extend(events(b));
        let moved_ba = transfer(b, a, rng, now);
        ea.extend(events(a));
        if !moved_ab && !moved_ba {
            return (ea, eb);
        }
    }
}

/// Moves one random-sized piece of `from`'s output into `to`.
fn transfer(from: &mut Engine, to: &mut Engine, rng: &mut Rng, now: Instant) -> bool {
    let out = from.output();
    if out.is_empty() {
        return false;
    }
    let n = 1 + rng.below(out.len().min(100_000));
    let piece = out[..n].to_vec();
    from.consume_output(n);
    to.receive(&piece, now);
    true
}

#[test]
fn two_engines_back_to_back() {
    let pairs = [
        (ZMQ_DEALER, ZMQ_ROUTER),
        (ZMQ_REQ, ZMQ_REP),
        (ZMQ_PUSH, ZMQ_PULL),
        (ZMQ_PAIR, ZMQ_PAIR),
        (ZMQ_SUB, ZMQ_PUB),
        (ZMQ_XSUB, ZMQ_XPUB),
        (ZMQ_CLIENT, ZMQ_SERVER),
    ];
    let now = Instant::now();
    for seed in 0..20u64 {
        let mut rng = Rng::new(seed);
        let (ta, tb) = pairs[seed as usize % pairs.len()];
        let mut a = Engine::new(
            EngineConfig {
                routing_id: format!("a{seed}").into_bytes(),
                metadata: vec![("X-Seed".into(), seed.to_string().into_bytes())],
                ..cfg(ta)
            },
            now,
        );
        let mut b = Engine::new(cfg(tb), now);
        let (ea, eb) = pump(&mut a, &mut b, &mut rng, now);
        let id = if command::sends_identity(ta) {
            format!("a{seed}").into_bytes()
        } else {
            vec![]
        };
        assert_eq!(ea, [Ev::Ready(tb, vec![], Version::Zmtp31)]);
        assert_eq!(eb, [Ev::Ready(ta, id, Version::Zmtp31)]);
        // Random messages both ways, including parts large enough to go by reference.
        let (mut sent_ab, mut sent_ba, mut got_ab, mut got_ba) = (vec![], vec![], vec![], vec![]);
        for _ in 0..50 {
            let len = match rng.below(10) {
                0 => 40_000 + rng.below(100_000),
                1..=3 => 256 + rng.below(2000),
                _ => rng.below(256),
            };
            let mut body: Vec<u8> = (0..len).map(|_| rng.next() as u8).collect();
            if body.first().is_some_and(|&b| b <= 1) {
                body[0] = 2; // not a subscription
            }
            let more = rng.below(3) == 0;
            if rng.below(2) == 0 {
                send_pumped(
                    &mut a,
                    &mut b,
                    &msg(&body, more),
                    &mut rng,
                    now,
                    &mut got_ab,
                );
                sent_ab.push(Ev::Msg(body, more));
            } else {
                send_pumped(
                    &mut b,
                    &mut a,
                    &msg(&body, more),
                    &mut rng,
                    now,
                    &mut got_ba,
                );
                sent_ba.push(Ev::Msg(body, more));
            }
            if rng.below(4) == 0 {
                let (ea, eb) = pump(&mut a, &mut b, &mut rng, now);
                got_ba.extend(ea);
                got_ab.extend(eb);
            }
        }
        let (ea, eb) = pump(&mut a, &mut b, &mut rng, now);
        got_ba.extend(ea);
        got_ab.extend(eb);
        assert_eq!(got_ab, sent_ab, "{ta} -> {tb}");
        assert_eq!(got_ba, sent_ba, "{tb} -> {ta}");
    }
}

#[test]
fn two_engines_deliver_everything_in_order() {
    let now = Instant::now();
    for seed in 0..30u64 {
        let mut rng = Rng::new(1000 + seed);
        let mut a = Engine::new(cfg(ZMQ_DEALER), now);
        let mut b = Engine::new(cfg(ZMQ_DEALER), now);
        let mut got_a = Vec::new();
        let mut got_b = Vec::new();
        let (ea, eb) = pump(&mut a, &mut b, &mut rng, now);
        got_a.extend(ea);
        got_b.extend(eb);
        let mut sent_ab = vec![Ev::Ready(ZMQ_DEALER, vec![], Version::Zmtp31)];
        let mut sent_ba = vec![Ev::Ready(ZMQ_DEALER, vec![], Version::Zmtp31)];
        for _ in 0..200 {
            let len = match rng.below(20) {
                0 => 30_000 + rng.below(200_000),
                1..=4 => 200 + rng.below(5000),
                _ => rng.below(100),
            };
            let body: Vec<u8> = (0..len).map(|_| rng.next() as u8).collect();
            let more = rng.below(3) == 0;
            if rng.below(2) == 0 {
                send_pumped(&mut a, &mut b, &msg(&body, more), &mut rng, now, &mut got_b);
                sent_ab.push(Ev::Msg(body, more));
            } else {
                send_pumped(&mut b, &mut a, &msg(&body, more), &mut rng, now, &mut got_a);
                sent_ba.push(Ev::Msg(body, more));
            }
            if rng.below(8) == 0 {
                let (ea, eb) = pump(&mut a, &mut b, &mut rng, now);
                got_a.extend(ea);
                got_b.extend(eb);
            }
        }
        let (ea, eb) = pump(&mut a, &mut b, &mut rng, now);
        got_a.extend(ea);
        got_b.extend(eb);
        assert_eq!(got_b, sent_ab, "seed {seed}");
        assert_eq!(got_a, sent_ba, "seed {seed}");
        assert_eq!(a.pending_input() + b.pending_input(), 0);
    }
}

#[test]
fn subscriptions_between_engines() {
    let now = Instant::now();
    let mut rng = Rng::new(7);
    let mut sub = Engine::new(cfg(ZMQ_SUB), now);
    let mut xpub = Engine::new(cfg(ZMQ_XPUB), now);
    pump(&mut sub, &mut xpub, &mut rng, now);
    assert!(sub.send(&msg(b"\x01topic", false)));
    assert!(sub.send(&msg(b"\x00topic", false)));
    assert!(sub.send(&msg(b"\x01", false)));
    let (_, got) = pump(&mut sub, &mut xpub, &mut rng, now);
    assert_eq!(
        got,
        [
            Ev::Msg(b"\x01topic".to_vec(), false),
            Ev::Msg(b"\x00topic".to_vec(), false),
            Ev::Msg(b"\x01".to_vec(), false)
        ]
    );
}

#[test]
fn sub_sends_commands_to_31_and_messages_to_30() {
    // Captured from libzmq 4.3: SUB subscribing "ab", then a 300-byte topic, then
    // unsubscribing "ab".
    let now = Instant::now();
    let mut e = ready_engine(cfg(ZMQ_SUB), "PUB", now);
    assert!(e.send(&msg(b"\x01ab", false)));
    assert_eq!(take_output(&mut e), hex("040c095355425343524942456162"));
    let mut long = vec![1u8];
    long.extend(vec![b'x'; 300]);
    assert!(e.send(&msg(&long, false)));
    let mut expect = hex("060000000000000136");
    expect.extend_from_slice(b"\x09SUBSCRIBE");
    expect.extend(vec![b'x'; 300]);
    assert_eq!(take_output(&mut e), expect);
    assert!(e.send(&msg(b"\x00ab", false)));
    assert_eq!(take_output(&mut e), hex("04090643414e43454c6162"));

    let mut e = Engine::new(cfg(ZMQ_SUB), now);
    e.receive(&greeting(0, b"NULL"), now);
    e.receive(&ready(&[("Socket-Type", b"PUB")]), now);
    assert_eq!(
        events(&mut e),
        [Ev::Ready(ZMQ_PUB, vec![], Version::Zmtp30)]
    );
    take_output(&mut e);
    assert!(e.send(&msg(b"\x01ab", false)));
    assert!(e.send(&msg(b"\x00ab", false)));
    assert_eq!(take_output(&mut e), hex("0003016162 0003006162"));
}

#[test]
fn xsub_user_messages_stay_data_replays_become_commands() {
    // libzmq 4.3 sends what an XSUB user sends as data frames, even to 3.1 peers.
    let now = Instant::now();
    let mut e = ready_engine(cfg(ZMQ_XSUB), "PUB", now);
    assert!(e.send(&msg(b"\x01top", false)));
    assert!(e.send(&msg(b"\x00top", false)));
    assert!(e.send(&msg(b"\x02hello", false)));
    assert!(e.send(&msg(b"\x01a", true)));
    assert!(e.send(&msg(b"b", false)));
    assert_eq!(
        take_output(&mut e),
        hex("000401746f70 000400746f70 00060268656c6c6f 01020161 000162")
    );
    let mut replay = msg(b"\x01top", false);
    replay.set_flags(flags::COMMAND);
    assert!(e.send(&replay));
    assert_eq!(take_output(&mut e), hex("040d09535542534352494245746f70"));
}

#[test]
fn pub_receives_subscribe_and_cancel_commands() {
    let now = Instant::now();
    for t in [ZMQ_PUB, ZMQ_XPUB] {
        let mut e = ready_engine(cfg(t), "SUB", now);
        let mut input = command_frame(b"\x09SUBSCRIBEtopic");
        input.extend(data_frame(b"\x01dat", false));
        input.extend(command_frame(b"\x06CANCELtopic"));
        input.extend(command_frame(b"\x09SUBSCRIBE"));
        // A subscription with MORE does not swallow the next message.
        input.extend(hex("050e 0953554253435249424561626364"));
        input.extend(data_frame(b"\x01x", false));
        e.receive(&input, now);
        assert_eq!(
            events(&mut e),
            [
                Ev::Msg(b"\x01topic".to_vec(), false),
                Ev::Msg(b"\x01dat".to_vec(), false),
                Ev::Msg(b"\x00topic".to_vec(), false),
                Ev::Msg(b"\x01".to_vec(), false),
                Ev::Msg(b"\x01abcd".to_vec(), false),
                Ev::Msg(b"\x01x".to_vec(), false)
            ]
        );
    }
    // Other socket types get the command as it came, as data (libzmq 4.3 does that).
    let mut e = ready_engine(cfg(ZMQ_DEALER), "ROUTER", now);
    let mut input = command_frame(b"\x09SUBSCRIBEtopic");
    input.extend(data_frame(b"after", false));
    e.receive(&input, now);
    assert_eq!(
        events(&mut e),
        [
            Ev::Msg(b"\x09SUBSCRIBEtopic".to_vec(), false),
            Ev::Msg(b"after".to_vec(), false)
        ]
    );
}

#[test]
fn pings_get_pongs_and_other_commands_are_ignored() {
    // Captured from libzmq 4.3 (its answer to a PING shorter than 7 bytes echoes
    // whatever its buffer held; we echo nothing).
    let now = Instant::now();
    let mut e = ready_engine(cfg(ZMQ_DEALER), "ROUTER", now);
    let cases: &[(&[u8], &str)] = &[
        (b"\x04PING\x00\x00", "040504504f4e47"),
        (b"\x04PING\x00\x00ctx", "040804504f4e47637478"),
        (
            b"\x04PING\x00\x00\x00\x01\x02\x03\x04\x05\x06\x07\x08\x09\x0a\x0b\x0c\x0d\x0e\x0f\x10\x11",
            "041504504f4e47000102030405060708090a0b0c0d0e0f",
        ),
        (b"\x04PING", "040504504f4e47"),
        (b"\x04PINGX\x00", "040504504f4e47"),
        (b"", ""),
        (b"\x09PING", ""),
        (b"\x05HELLO", ""),
        (b"\x05READY", ""),
        (b"\x04PONG", ""),
        (b"\x05ERROR\x03400", ""),
    ];
    for (cmd, pong) in cases {
        e.receive(&command_frame(cmd), now);
        assert_eq!(take_output(&mut e), hex(pong), "{cmd:?}");
    }
    // A command with MORE does not join the data that follows; reserved bits are ignored.
    e.receive(&hex("84 03 616263 f8 01 7a 05 03 616263 00 01 71"), now);
    assert_eq!(
        events(&mut e),
        [Ev::Msg(b"z".to_vec(), false), Ev::Msg(b"q".to_vec(), false)]
    );
    assert!(e.is_ready());
}

#[test]
fn heartbeat_ping_and_timeout() {
    // libzmq 4.3 with ivl 200, ttl 1500: PING 00 0f every 200 ms; no answer within
    // the timeout (the interval by default) closes without a handshake event.
    let t0 = Instant::now();
    let at = |ms: u64| t0 + Duration::from_millis(ms);
    let c = EngineConfig {
        heartbeat_ivl_ms: 200,
        heartbeat_ttl_ms: 1500,
        ..cfg(ZMQ_DEALER)
    };
    let mut e = ready_engine(c, "ROUTER", t0);
    assert_eq!(e.next_timeout(), Some(at(200)));
    e.handle_timeout(at(199));
    assert!(e.output().is_empty());
    e.handle_timeout(at(200));
    assert_eq!(take_output(&mut e), hex("04070450494e47000f"));
    assert_eq!(e.next_timeout(), Some(at(400)));
    e.handle_timeout(at(400));
    assert_eq!(events(&mut e), [Ev::Closed(0, 0, CloseKind::Timeout)]);
    assert!(e.output().is_empty() && e.next_timeout().is_none());

    // Traffic in time keeps it alive; the PINGs keep coming.
    let c = EngineConfig {
        heartbeat_ivl_ms: 200,
        heartbeat_timeout_ms: 1000,
        ..cfg(ZMQ_DEALER)
    };
    let mut e = ready_engine(c, "ROUTER", t0);
    for i in 1..=10u64 {
        e.handle_timeout(at(200 * i));
        assert_eq!(take_output(&mut e), hex("04070450494e470000"));
        e.receive(&command_frame(b"\x04PONG"), at(200 * i + 50));
    }
    assert!(events(&mut e).is_empty());
    e.handle_timeout(at(2200));
    take_output(&mut e);
    e.handle_timeout(at(2400));
    e.handle_timeout(at(3000));
    assert!(events(&mut e).is_empty());
    e.handle_timeout(at(3200));
    assert_eq!(events(&mut e), [Ev::Closed(0, 0, CloseKind::Timeout)]);
}

#[test]
fn held_input_counts_as_alive() {
    let t0 = Instant::now();
    let at = |ms: u64| t0 + Duration::from_millis(ms);
    let c = EngineConfig {
        heartbeat_ivl_ms: 100,
        ..cfg(ZMQ_PULL)
    };
    let mut e = ready_engine(c, "PUSH", t0);
    e.receive(&data_frame(b"unread", false), at(50));
    assert_eq!(e.pending_input(), 6);
    for ms in (100..1000).step_by(100) {
        e.handle_timeout(at(ms));
    }
    assert!(!e.is_closed());
    assert!(matches!(e.poll_event(), Some(EngineEvent::Message(_))));
    assert_eq!(e.pending_input(), 0);
    e.handle_timeout(at(1000));
    e.handle_timeout(at(1100));
    assert!(e.is_closed());
}

#[test]
fn peer_ttl_closes_a_silent_connection() {
    let t0 = Instant::now();
    let at = |ms: u64| t0 + Duration::from_millis(ms);
    let mut e = ready_engine(cfg(ZMQ_DEALER), "ROUTER", t0);
    assert_eq!(e.next_timeout(), None);
    e.receive(&command_frame(b"\x04PING\x00\x05"), t0);
    assert_eq!(take_output(&mut e), hex("040504504f4e47"));
    assert_eq!(e.next_timeout(), Some(at(500)));
    // Traffic cancels it until the next PING.
    e.receive(&data_frame(b"x", false), at(400));
    assert_eq!(e.next_timeout(), None);
    assert_eq!(events(&mut e), [Ev::Msg(b"x".to_vec(), false)]);
    e.receive(&command_frame(b"\x04PING\x00\x05"), at(600));
    e.handle_timeout(at(1099));
    assert!(!e.is_closed());
    e.handle_timeout(at(1100));
    assert_eq!(events(&mut e), [Ev::Closed(0, 0, CloseKind::Timeout)]);
}

#[test]
fn handshake_timeout() {
    let t0 = Instant::now();
    let at = |ms: u64| t0 + Duration::from_millis(ms);
    let c = EngineConfig {
        handshake_ivl_ms: 300,
        ..cfg(ZMQ_DEALER)
    };
    let mut e = Engine::new(c.clone(), t0);
    assert_eq!(e.next_timeout(), Some(at(300)));
    e.receive(&greeting(1, b"NULL"), at(100));
    e.handle_timeout(at(300));
    assert_eq!(
        events(&mut e),
        [Ev::Closed(
            ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL,
            libc::EAGAIN,
            CloseKind::Timeout
        )]
    );
    // Done in time: the timer is gone.
    let mut e = Engine::new(c, t0);
    e.receive(&greeting(1, b"NULL"), at(100));
    e.receive(&ready(&[("Socket-Type", b"ROUTER")]), at(200));
    assert_eq!(e.next_timeout(), None);
    e.handle_timeout(at(1000));
    assert_eq!(
        events(&mut e),
        [Ev::Ready(ZMQ_ROUTER, vec![], Version::Zmtp31)]
    );
}

#[test]
fn handshake_errors_report_as_libzmq() {
    let now = Instant::now();
    let run = |input: Vec<u8>| {
        let mut e = Engine::new(cfg(ZMQ_PUSH), now);
        e.receive(&greeting(1, b"NULL"), now);
        e.receive(&input, now);
        let evs = events(&mut e);
        assert!(
            !e.is_closed() || e.output().is_empty(),
            "output dropped on close"
        );
        evs
    };
    let plain = Ev::Closed(0, 0, CloseKind::Protocol);
    let proto = |v| Ev::Closed(ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL, v, CloseKind::Protocol);
    assert_eq!(run(ready(&[("Socket-Type", b"PUSH")])), [plain]);
    assert_eq!(
        run(command_frame(
            b"\x05READY\x0bSocket-Type\x00\x00\x00\x04PULL\x01"
        )),
        [Ev::Closed(0, 0, CloseKind::Protocol)]
    );
    assert_eq!(
        run(command_frame(b"\x05HELLO")),
        [proto(ZMQ_PROTOCOL_ERROR_ZMTP_UNEXPECTED_COMMAND)]
    );
    assert_eq!(
        run(data_frame(b"hello", false)),
        [proto(ZMQ_PROTOCOL_ERROR_ZMTP_UNEXPECTED_COMMAND)]
    );
    assert_eq!(
        run(command_frame(b"\x05ERROR\x03400")),
        [Ev::Closed(
            ZMQ_EVENT_HANDSHAKE_FAILED_AUTH,
            400,
            CloseKind::Protocol
        )]
    );
    assert_eq!(
        run(command_frame(b"\x05ERROR\x05hello")),
        [Ev::Closed(0, 0, CloseKind::Protocol)]
    );
    assert_eq!(
        run(command_frame(b"\x05ERROR\x09abc")),
        [proto(ZMQ_PROTOCOL_ERROR_ZMTP_MALFORMED_COMMAND_ERROR)]
    );
    // libzmq goes by the body, not the command flag: a data frame READY (even with
    // MORE) completes the handshake.
    let mut input = data_frame(&ready(&[("Socket-Type", b"PULL")])[2..], true);
    input.extend(data_frame(b"x", false));
    assert_eq!(
        run(input),
        [
            Ev::Ready(ZMQ_PULL, vec![], Version::Zmtp31),
            Ev::Msg(b"x".to_vec(), false)
        ]
    );
}

#[test]
fn mechanism_mismatch() {
    let now = Instant::now();
    let mut e = Engine::new(cfg(ZMQ_PUSH), now);
    e.receive(&greeting(1, b"PLAIN"), now);
    assert_eq!(
        events(&mut e),
        [Ev::Closed(
            ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL,
            ZMQ_PROTOCOL_ERROR_ZMTP_MECHANISM_MISMATCH,
            CloseKind::Protocol
        )]
    );
    assert!(e.output().is_empty());
    e.receive(b"more", now);
    assert!(e.poll_event().is_none());
    assert!(!e.send(&msg(b"x", false)));
}

#[test]
fn maxmsgsize_applies_to_every_frame() {
    let now = Instant::now();
    let c = EngineConfig {
        maxmsgsize: 30,
        ..cfg(ZMQ_DEALER)
    };
    let mut e = ready_engine(c.clone(), "ROUTER", now);
    e.receive(&data_frame(&[b'x'; 30], false), now);
    assert_eq!(events(&mut e), [Ev::Msg(vec![b'x'; 30], false)]);
    e.receive(&data_frame(&[b'x'; 31], false)[..2], now);
    assert_eq!(events(&mut e), [Ev::Closed(0, 0, CloseKind::Protocol)]);

    // The READY itself is a frame too.
    let c = EngineConfig {
        maxmsgsize: 10,
        ..c
    };
    let mut e = Engine::new(c.clone(), now);
    e.receive(&greeting(1, b"NULL"), now);
    e.receive(&ready(&[("Socket-Type", b"ROUTER")]), now);
    assert_eq!(events(&mut e), [Ev::Closed(0, 0, CloseKind::Protocol)]);
    let mut e = Engine::new(c, now);
    e.receive(&greeting(1, b"NULL"), now);
    e.receive(&hex("06000000000000000b"), now);
    assert_eq!(events(&mut e), [Ev::Closed(0, 0, CloseKind::Protocol)]);
}

#[test]
fn connection_errors_map_to_libzmq_events() {
    let now = Instant::now();
    let mut e = Engine::new(cfg(ZMQ_DEALER), now);
    e.connection_error(libc::EPIPE);
    assert_eq!(
        events(&mut e),
        [Ev::Closed(
            ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL,
            libc::EPIPE,
            CloseKind::Connection
        )]
    );
    let mut e = ready_engine(cfg(ZMQ_DEALER), "ROUTER", now);
    e.connection_error(libc::ECONNRESET);
    assert_eq!(events(&mut e), [Ev::Closed(0, 0, CloseKind::Connection)]);
    // A second close reports nothing more.
    e.connection_error(libc::EPIPE);
    assert!(events(&mut e).is_empty());
}

#[test]
fn zmtp_2_peer() {
    // Captured from libzmq 4.3: a DEALER with routing id "abc" and a ZMTP 2.0 peer.
    let now = Instant::now();
    let mut e = Engine::new(
        EngineConfig {
            routing_id: b"abc".to_vec(),
            handshake_ivl_ms: 300,
            ..cfg(ZMQ_DEALER)
        },
        now,
    );
    assert_eq!(take_output(&mut e), hex("ff00000000000000047f"));
    e.receive(&hex("ff00000000000000017f"), now);
    assert_eq!(take_output(&mut e), hex("03"));
    e.receive(&[1], now);
    assert_eq!(take_output(&mut e), hex("05"));
    e.receive(&[5], now);
    assert_eq!(take_output(&mut e), hex("0003616263"));
    // The handshake timer runs until the peer's identity frame is in: a peer that
    // stops after its greeting is closed.
    assert_eq!(e.next_timeout(), Some(now + Duration::from_millis(300)));
    assert!(!e.is_ready());
    e.receive(&hex("0003 78797a 0002 6869 0405 0450494e47"), now);
    assert_eq!(e.next_timeout(), None);
    assert_eq!(
        events(&mut e),
        [
            Ev::Ready(ZMQ_DEALER, b"xyz".to_vec(), Version::Zmtp20),
            Ev::Msg(b"hi".to_vec(), false)
        ]
    );
    assert!(e.output().is_empty(), "no PONG for ZMTP 2.0");
    assert!(e.send(&msg(b"a", true)));
    assert!(e.send(&msg(&[b'b'; 300], false)));
    let mut expect = hex("010161 02000000000000012c");
    expect.extend(vec![b'b'; 300]);
    assert_eq!(take_output(&mut e), expect);
    // No metadata on messages from older peers, as libzmq.
    e.receive(&hex("000178"), now);
    match e.poll_event() {
        Some(EngineEvent::Message(m)) => assert!(m.metadata().is_none()),
        other => panic!("{other:?}"),
    }
    // A dropped connection still counts as a failed handshake for libzmq.
    e.connection_error(libc::EPIPE);
    assert_eq!(
        events(&mut e),
        [Ev::Closed(
            ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL,
            libc::EPIPE,
            CloseKind::Connection
        )]
    );
}

#[test]
fn zmtp_1_versioned_peer() {
    // Captured from libzmq 4.3: revision 0 gets major + socket type, then ZMTP 1.0
    // framing (identity first).
    let now = Instant::now();
    let mut e = Engine::new(
        EngineConfig {
            routing_id: b"abc".to_vec(),
            ..cfg(ZMQ_DEALER)
        },
        now,
    );
    take_output(&mut e);
    e.receive(&hex("ff00000000000000017f00"), now);
    assert_eq!(take_output(&mut e), hex("0305"));
    e.receive(&[5], now);
    assert_eq!(take_output(&mut e), hex("0400616263"));
    e.receive(&hex("0100 03016869 02007a"), now);
    assert_eq!(
        events(&mut e),
        [
            Ev::Ready(ZMQ_DEALER, vec![], Version::Zmtp10),
            Ev::Msg(b"hi".to_vec(), true),
            Ev::Msg(b"z".to_vec(), false)
        ]
    );
    assert!(e.send(&msg(b"a", true)));
    assert!(e.send(&msg(&[b'b'; 300], false)));
    let mut expect = hex("020161 ff000000000000012d00");
    expect.extend(vec![b'b'; 300]);
    assert_eq!(take_output(&mut e), expect);
}

#[test]
fn zmtp_1_unversioned_peer() {
    // Captured from libzmq 4.3: no signature from the peer; our signature was the
    // header of our identity frame, its body follows.
    let now = Instant::now();
    let mut e = Engine::new(
        EngineConfig {
            routing_id: b"abc".to_vec(),
            ..cfg(ZMQ_ROUTER)
        },
        now,
    );
    assert_eq!(take_output(&mut e), hex("ff00000000000000047f"));
    e.receive(&hex("0400 696465 0301 6869 0400 796f75"), now);
    assert_eq!(take_output(&mut e), b"abc");
    assert_eq!(
        events(&mut e),
        [
            Ev::Ready(-1, b"ide".to_vec(), Version::Zmtp10),
            Ev::Msg(b"hi".to_vec(), true),
            Ev::Msg(b"you".to_vec(), false)
        ]
    );
    assert!(e.send(&msg(b"back", false)));
    assert_eq!(take_output(&mut e), hex("05006261636b"));

    // A publisher subscribes such a peer to everything.
    let mut e = Engine::new(cfg(ZMQ_PUB), now);
    take_output(&mut e);
    for b in hex("0100") {
        e.receive(&[b], now);
    }
    assert_eq!(
        events(&mut e),
        [
            Ev::Ready(-1, vec![], Version::Zmtp10),
            Ev::Msg(b"\x01".to_vec(), false)
        ]
    );
    assert!(e.send(&msg(b"pubmsg", false)));
    assert_eq!(take_output(&mut e), hex("07007075626d7367"));

    // 0xFF first, but bit 0 of byte 9 clear: still ZMTP 1.0 (a long identity frame).
    let mut e = Engine::new(cfg(ZMQ_ROUTER), now);
    take_output(&mut e);
    e.receive(&hex("ff0000000000000004 00 696465 03 00 6869"), now);
    assert!(e.output().is_empty());
    assert_eq!(
        events(&mut e),
        [
            Ev::Ready(-1, b"ide".to_vec(), Version::Zmtp10),
            Ev::Msg(b"hi".to_vec(), false)
        ]
    );
}

#[test]
fn garbage_greetings() {
    let now = Instant::now();
    // A zero length is not a ZMTP 1.0 frame.
    let mut e = Engine::new(cfg(ZMQ_ROUTER), now);
    e.receive(&[0, 0, 0], now);
    assert_eq!(events(&mut e), [Ev::Closed(0, 0, CloseKind::Protocol)]);
    // Text reads as the start of a long ZMTP 1.0 frame: libzmq waits for the rest.
    let c = EngineConfig {
        handshake_ivl_ms: 100,
        ..cfg(ZMQ_ROUTER)
    };
    let mut e = Engine::new(c, now);
    e.receive(b"GET / HTTP/1.1\r\n\r\n", now);
    assert!(events(&mut e).is_empty());
    assert!(!e.is_ready() && !e.is_closed());
    assert_eq!(e.version(), Some(Version::Zmtp10));
}

#[test]
fn send_refuses_while_output_is_full() {
    let now = Instant::now();
    let mut e = ready_engine(cfg(ZMQ_PUSH), "PULL", now);
    let big = msg(&vec![1u8; 600_000], false);
    assert!(e.send(&big));
    assert!(e.send(&big), "below the limit: accepted whatever its size");
    assert!(!e.send(&msg(b"x", false)));
    let n = e.output().len();
    e.consume_output(n);
    let n = e.output().len();
    e.consume_output(n);
    assert!(e.output_len() < OUTPUT_LIMIT);
    assert!(e.send(&msg(b"x", false)));
}

#[test]
fn pending_input_counts_undelivered_payload() {
    let now = Instant::now();
    let mut e = ready_engine(cfg(ZMQ_PULL), "PUSH", now);
    let mut input = data_frame(b"12345", false);
    input.extend(data_frame(&[0; 300], false));
    input.extend(&data_frame(&[0; 1000], false)[..100]);
    e.receive(&input, now);
    assert_eq!(e.pending_input(), 305);
    e.poll_event();
    assert_eq!(e.pending_input(), 300);
    e.poll_event();
    assert_eq!(e.pending_input(), 0);
    assert!(e.poll_event().is_none());
}

#[test]
fn no_peer_address_no_transport_properties() {
    let now = Instant::now();
    let mut e = Engine::new(cfg(ZMQ_PULL), now);
    e.set_source_fd(7);
    e.receive(&greeting(1, b"NULL"), now);
    let mut input = ready(&[("Socket-Type", b"PUSH")]);
    input.extend(data_frame(b"m", false));
    e.receive(&input, now);
    e.poll_event();
    let Some(EngineEvent::Message(m)) = e.poll_event() else {
        panic!()
    };
    let meta = m.metadata().unwrap();
    assert!(meta.get("Peer-Address").is_none() && meta.get("__fd").is_none());
    assert_eq!(meta.get("Socket-Type").unwrap().to_bytes(), b"PUSH");
}

#[test]
fn large_bodies_can_be_read_straight_into_place() {
    let now = Instant::now();
    let mut e = ready_engine(cfg(ZMQ_PULL), "PUSH", now);
    let body: Vec<u8> = (0..300_000u32).map(|i| i as u8).collect();
    let wire = data_frame(&body, true);
    // Header and the first bytes arrive the usual way.
    e.receive(&wire[..1000], now);
    assert!(events(&mut e).is_empty());
    assert!(
        e.large_body(1_000_000).is_none(),
        "less than asked for is left"
    );
    let mut pos = 1000;
    while pos < wire.len() {
        let (buf, room) = e.large_body(1).expect("a body in progress");
        assert!(
            room > 0 && room <= wire.len() - pos,
            "room {room} beyond the frame"
        );
        let n = room.min(70_000);
        buf.extend_from_slice(&wire[pos..pos + n]);
        pos += n;
        e.large_body_received(now);
    }
    assert!(e.large_body(1).is_none(), "between frames");
    assert_eq!(events(&mut e), [Ev::Msg(body, true)]);
    // The decoder carries on with ordinary input.
    e.receive(&data_frame(b"tail", false), now);
    assert_eq!(events(&mut e), [Ev::Msg(b"tail".to_vec(), false)]);
}

#[test]
fn whole_frames_in_one_read_match_frames_split_anywhere() {
    let now = Instant::now();
    let mut input = Vec::new();
    let mut want = Vec::new();
    for (i, len) in [0usize, 1, 33, 34, 255, 256, 5000].into_iter().enumerate() {
        let more = i % 2 == 0;
        let body = vec![i as u8; len];
        input.extend(data_frame(&body, more));
        want.push(Ev::Msg(body, more));
    }
    // A command between data frames takes the general path.
    input.extend(hex("0405 0450494e47"));
    input.extend(data_frame(b"last", false));
    want.push(Ev::Msg(b"last".to_vec(), false));
    let mut whole = ready_engine(cfg(ZMQ_PULL), "PUSH", now);
    whole.receive(&input, now);
    assert_eq!(events(&mut whole), want);
    let mut split = ready_engine(cfg(ZMQ_PULL), "PUSH", now);
    for b in &input {
        split.receive(std::slice::from_ref(b), now);
    }
    assert_eq!(events(&mut split), want);
}

#[test]
fn direct_reads_never_reserve_what_a_peer_only_claims() {
    let now = Instant::now();
    let mut e = ready_engine(cfg(ZMQ_PULL), "PUSH", now);
    // A frame claiming 1 GiB, of which 10 KiB arrive.
    let mut header = vec![0x02];
    header.extend_from_slice(&(1u64 << 30).to_be_bytes());
    e.receive(&header, now);
    e.receive(&[7; 10 * 1024], now);
    let (buf, room) = e.large_body(1).expect("a body in progress");
    // What arrived, one read's room and the 1 MiB look-ahead at most.
    let bound = 10 * 1024 + 64 * 1024 + 1024 * 1024;
    assert!(buf.capacity() <= bound, "capacity {}", buf.capacity());
    assert!(room <= bound, "room {room}");
}

/// Feeds everything `from` queued to `to`.
fn deliver_all(from: &mut Engine, to: &mut Engine, now: Instant) {
    let bytes = take_output(from);
    to.receive(&bytes, now);
}

#[test]
fn radio_and_dish_frame_groups_and_join_commands() {
    let now = Instant::now();
    let mut rng = Rng::new(11);
    let mut radio = Engine::new(cfg(ZMQ_RADIO), now);
    let mut dish = Engine::new(cfg(ZMQ_DISH), now);
    pump(&mut radio, &mut dish, &mut rng, now);
    assert!(radio.is_ready() && dish.is_ready());

    // JOIN travels as a command, which the RADIO's engine hands on as it came.
    let mut join = Msg::from_slice(b"\x04JOINTV");
    join.set_flags(flags::COMMAND);
    assert!(dish.send(&join));
    let wire = take_output(&mut dish);
    assert_eq!(wire, hex("04 07 04 4a 4f 49 4e 54 56"));
    radio.receive(&wire, now);
    let got = radio.inbox().pop_whole().expect("the JOIN");
    assert!(got.is_command());
    assert_eq!(got.data(), b"\x04JOINTV");

    // A message goes out as its group frame (MORE) then its body, and arrives as one
    // message with its group set.
    let mut m = Msg::from_slice(b"Friends");
    m.set_group(Some(std::ffi::CString::new("TV").unwrap()));
    assert!(radio.send(&m));
    let wire = take_output(&mut radio);
    assert_eq!(wire, hex("01 02 54 56 00 07 46 72 69 65 6e 64 73"));
    dish.receive(&wire, now);
    let got = dish.inbox().pop_whole().expect("the message");
    assert_eq!(got.data(), b"Friends");
    assert_eq!(got.group().unwrap().to_bytes(), b"TV");
    assert!(!got.more());
    assert!(dish.inbox().pop_whole().is_none());

    // A body with MORE set breaks the protocol.
    let mut bad = Engine::new(cfg(ZMQ_DISH), now);
    let mut other = Engine::new(cfg(ZMQ_RADIO), now);
    pump(&mut other, &mut bad, &mut rng, now);
    bad.receive(&hex("01 02 54 56 01 01 41 00 01 42"), now);
    assert!(matches!(
        events(&mut bad).last(),
        Some(Ev::Closed(_, _, CloseKind::Protocol))
    ));
    deliver_all(&mut other, &mut bad, now);
}
