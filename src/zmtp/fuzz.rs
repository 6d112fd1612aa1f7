//! Property test: many random and mutated byte streams through the greeting, the
//! handshake and the decoders, split at random, with sends, timeouts and held events
//! mixed in. Asserts no panic, sane event order and memory bounded by what was fed.

use std::time::{Duration, Instant};

use super::command::socket_type_name;
use super::tests::{command_frame, data_frame, greeting, ready, Rng};
use super::*;
use crate::abi::*;
use crate::msg::Msg;

const CASES: u64 = 20_000;

const TYPES: [i32; 14] = [
    ZMQ_PAIR, ZMQ_PUB, ZMQ_SUB, ZMQ_REQ, ZMQ_REP, ZMQ_DEALER, ZMQ_ROUTER, ZMQ_PULL, ZMQ_PUSH,
    ZMQ_XPUB, ZMQ_XSUB, ZMQ_SERVER, ZMQ_CLIENT, ZMQ_RADIO,
];

fn random_bytes(rng: &mut Rng, max: usize) -> Vec<u8> {
    let n = rng.below(max + 1);
    (0..n).map(|_| rng.next() as u8).collect()
}

/// A random frame body of a typical shape.
fn body(rng: &mut Rng) -> Vec<u8> {
    match rng.below(8) {
        0 => Vec::new(),
        1 => random_bytes(rng, 600),
        2 => vec![rng.below(2) as u8, b't', b'o', b'p'],
        _ => random_bytes(rng, 40),
    }
}

fn random_command(rng: &mut Rng) -> Vec<u8> {
    let mut c: Vec<u8> = match rng.below(9) {
        0 => b"\x04PING".to_vec(),
        1 => b"\x04PONG".to_vec(),
        2 => b"\x09SUBSCRIBE".to_vec(),
        3 => b"\x06CANCEL".to_vec(),
        4 => b"\x05READY".to_vec(),
        5 => b"\x05ERROR".to_vec(),
        6 => Vec::new(),
        7 => vec![rng.below(256) as u8],
        _ => b"\x05HELLO".to_vec(),
    };
    c.extend(random_bytes(rng, 30));
    c
}

fn v1_frame(body: &[u8], more: bool) -> Vec<u8> {
    let mut f = Vec::new();
    let len = body.len() as u64 + 1;
    if len < 255 {
        f.push(len as u8);
    } else {
        f.push(0xFF);
        f.extend_from_slice(&len.to_be_bytes());
    }
    f.push(u8::from(more));
    f.extend_from_slice(body);
    f
}

/// A plausible stream from a peer of some ZMTP version.
fn valid_stream(rng: &mut Rng) -> Vec<u8> {
    let mut s = Vec::new();
    let kind = rng.below(6);
    let v1 = kind >= 4;
    match kind {
        0 | 1 => {
            s.extend(greeting(if kind == 0 { 1 } else { 0 }, b"NULL"));
            let t = TYPES[rng.below(TYPES.len())];
            let name = socket_type_name(t).unwrap().as_bytes();
            let id = random_bytes(rng, 10);
            let xv = random_bytes(rng, 10);
            s.extend(ready(&[
                ("Socket-Type", name),
                ("Identity", &id),
                ("X-Fuzz", &xv),
            ]));
        }
        2 => {
            s.extend_from_slice(&[0xFF, 0, 0, 0, 0, 0, 0, 0, 1, 0x7F, 1, 5]);
            s.extend(data_frame(&random_bytes(rng, 8), false));
        }
        3 => {
            // A 3.1 peer that fails its handshake one way or another.
            s.extend(greeting(
                1,
                if rng.below(4) == 0 { b"PLAIN" } else { b"NULL" },
            ));
            s.extend(command_frame(&random_command(rng)));
        }
        4 => {
            s.extend_from_slice(&[0xFF, 0, 0, 0, 0, 0, 0, 0, 1, 0x7F, 0, 5]);
            s.extend(v1_frame(&random_bytes(rng, 8), false));
        }
        _ => s.extend(v1_frame(&random_bytes(rng, 8), false)),
    }
    for _ in 0..rng.below(12) {
        let more = rng.below(3) == 0;
        if v1 {
            s.extend(v1_frame(&body(rng), more));
        } else if rng.below(3) == 0 {
            s.extend(command_frame(&random_command(rng)));
        } else {
            s.extend(data_frame(&body(rng), more));
        }
    }
    s
}

fn mutate(rng: &mut Rng, s: &mut Vec<u8>) {
    for _ in 0..rng.below(4) {
        let len = s.len();
        match rng.below(6) {
            0 if len > 0 => {
                let i = rng.below(len);
                s[i] = rng.next() as u8;
            }
            1 if len > 0 => {
                let i = rng.below(len);
                s[i] ^= 1 << rng.below(8);
            }
            2 => {
                let i = rng.below(len + 1);
                let extra = random_bytes(rng, 16);
                s.splice(i..i, extra);
            }
            3 if len > 0 => {
                let i = rng.below(len);
                let j = (i + 1 + rng.below(16)).min(len);
                s.drain(i..j);
            }
            4 => s.truncate(rng.below(len + 1)),
            _ => {
                // A huge claimed size: must not be allocated.
                let i = rng.below(len + 1);
                s.splice(i..i, [0x02, 0x00, 0x10, 0, 0, 0, 0, 0, 0]);
            }
        }
    }
}

/// Checks the order of events and the payload accounting as they are drained.
#[derive(Default)]
struct Observed {
    ready: bool,
    closed: bool,
    messages: usize,
}

impl Observed {
    fn drain(&mut self, e: &mut Engine, limit: usize) {
        for _ in 0..limit {
            let held_before = e.pending_input();
            let Some(ev) = e.poll_event() else {
                assert_eq!(e.pending_input(), 0);
                return;
            };
            assert!(!self.closed, "event after Closed");
            match ev {
                EngineEvent::Ready { .. } => {
                    assert!(!self.ready, "two Ready events");
                    self.ready = true;
                }
                EngineEvent::Message(m) => {
                    assert!(self.ready, "message before Ready");
                    assert_eq!(e.pending_input(), held_before - m.len());
                    self.messages += 1;
                }
                EngineEvent::Closed { .. } => {
                    self.closed = true;
                    assert!(e.is_closed());
                    assert!(e.output().is_empty());
                }
                EngineEvent::ZapRequest(_) | EngineEvent::Monitor { .. } => {
                    panic!("NULL without a ZAP domain never asks ZAP")
                }
            }
        }
    }
}

fn run_case(seed: u64) -> Observed {
    let mut rng = Rng::new(seed);
    let t0 = Instant::now();
    let socket_type = TYPES[rng.below(TYPES.len())];
    let cfg = EngineConfig {
        socket_type,
        routing_id: random_bytes(&mut rng, 5),
        maxmsgsize: [-1, -1, 0, 100, 10_000][rng.below(5)],
        heartbeat_ivl_ms: [0, 0, 10, 100][rng.below(4)],
        heartbeat_timeout_ms: [-1, 0, 50][rng.below(3)],
        heartbeat_ttl_ms: [0, 1000][rng.below(2)],
        handshake_ivl_ms: [0, 30, 1000][rng.below(3)],
        metadata: vec![("X-Case".into(), seed.to_string().into_bytes())],
        peer_address: "fuzz".into(),
        security: Security::default(),
    };
    let mut e = Engine::new(cfg, t0);
    let mut stream = if rng.below(5) == 0 {
        random_bytes(&mut rng, 3000)
    } else {
        valid_stream(&mut rng)
    };
    mutate(&mut rng, &mut stream);

    let mut seen = Observed::default();
    let mut fed = 0usize;
    let mut pos = 0;
    let mut now = t0;
    let mut sent = 0usize;
    while pos < stream.len() {
        let piece = if rng.below(2) == 0 { 8 } else { 4096 };
        let n = 1 + rng.below((stream.len() - pos).min(piece));
        e.receive(&stream[pos..pos + n], now);
        pos += n;
        fed += n;
        match rng.below(8) {
            0 => {
                now += Duration::from_millis(rng.below(60) as u64);
                e.handle_timeout(now);
            }
            1 => {
                let mut m = Msg::from_slice(&body(&mut rng));
                m.set_more(rng.below(4) == 0);
                let accepted = e.send(&m);
                sent += m.len() + 9;
                assert!(!accepted || e.is_ready());
            }
            2 => {
                // Write only part of the output.
                let out = e.output();
                let k = rng.below(out.len() + 1);
                e.consume_output(k);
            }
            _ => {}
        }
        // Sometimes the socket is full and events stay queued.
        let limit = if rng.below(3) == 0 { 0 } else { usize::MAX };
        seen.drain(&mut e, limit);
        // Memory: input held plus bounded slack (a body's buffer runs up to 1 MiB
        // ahead of what arrived); output proportional to what came in (PONGs) and
        // what was sent.
        let bound = 3 * fed + 2 * sent + 1024 * 1024 + 300 * 1024;
        assert!(
            e.buffered_bytes() <= bound,
            "seed {seed}: {} bytes held after {fed} fed",
            e.buffered_bytes()
        );
    }
    if rng.below(4) == 0 {
        e.connection_error(libc::EPIPE);
    }
    now += Duration::from_secs(2);
    e.handle_timeout(now);
    seen.drain(&mut e, usize::MAX);
    if e.is_closed() {
        assert!(seen.closed);
        assert!(e.output().is_empty() && e.next_timeout().is_none());
        assert!(!e.send(&Msg::from_slice(b"x")));
    }
    seen
}

#[test]
fn random_and_mutated_streams() {
    let (mut ready, mut closed, mut messages) = (0, 0, 0);
    for seed in 0..CASES {
        let seen = run_case(seed);
        ready += usize::from(seen.ready);
        closed += usize::from(seen.closed);
        messages += seen.messages;
    }
    // The streams reach every stage: handshakes complete, connections close, data flows.
    eprintln!("{CASES} cases: {ready} ready, {closed} closed, {messages} messages");
    assert!(ready > CASES as usize / 5 && closed > CASES as usize / 5);
    assert!(messages > CASES as usize);
}

#[test]
fn huge_claimed_frames_stay_unallocated() {
    let now = Instant::now();
    // Claims a machine could hold (512 MiB, 1 GiB - 1): nothing reserved up front.
    for header in [
        vec![0x02u8, 0x00, 0x00, 0x00, 0x00, 0x20, 0x00, 0x00, 0x00],
        vec![0x02, 0x00, 0x00, 0x00, 0x00, 0x3f, 0xff, 0xff, 0xff],
    ] {
        let mut e = Engine::new(
            EngineConfig {
                socket_type: ZMQ_PULL,
                handshake_ivl_ms: 0,
                ..EngineConfig::default()
            },
            now,
        );
        e.receive(&greeting(1, b"NULL"), now);
        e.receive(&ready(&[("Socket-Type", b"PUSH")]), now);
        e.receive(&header, now);
        let chunk = [0u8; 4096];
        for _ in 0..256 {
            e.receive(&chunk, now);
        }
        // 1 MiB arrived; what is held stays within a bounded slack of that.
        assert!(
            e.buffered_bytes() < 4 * 1024 * 1024,
            "{}",
            e.buffered_bytes()
        );
        assert!(!e.is_closed());
    }
    // A claim no machine could hold can never complete: closed at its header.
    let mut e = Engine::new(
        EngineConfig {
            socket_type: ZMQ_PULL,
            handshake_ivl_ms: 0,
            ..EngineConfig::default()
        },
        now,
    );
    e.receive(&greeting(1, b"NULL"), now);
    e.receive(&ready(&[("Socket-Type", b"PUSH")]), now);
    e.receive(&[0x02, 0x7f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff], now);
    assert!(e.is_closed());
}
