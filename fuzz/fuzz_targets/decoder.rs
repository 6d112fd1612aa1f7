//! Fuzz target: arbitrary bytes after a completed handshake, so the frame decoder
//! and command parser get the input.
#![no_main]

use std::time::Instant;

use libfuzzer_sys::fuzz_target;
use zmq::fuzzing::{Engine, EngineConfig};

#[path = "common.rs"]
mod common;

fn engine(socket_type: i32, now: Instant) -> Engine {
    Engine::new(
        EngineConfig {
            socket_type,
            maxmsgsize: 1 << 20,
            ..EngineConfig::default()
        },
        now,
    )
}

fuzz_target!(|data: &[u8]| {
    let now = Instant::now();
    let mut ours = engine(zmq::abi::ZMQ_DEALER, now);
    let mut peer = engine(zmq::abi::ZMQ_ROUTER, now);
    // Handshake the two engines in memory.
    for _ in 0..8 {
        let out = common::output_all(&mut ours);
        peer.receive(&out, now);
        let back = common::output_all(&mut peer);
        ours.receive(&back, now);
    }
    while ours.poll_event().is_some() {}
    if !ours.is_ready() {
        return;
    }
    ours.receive(data, now);
    while ours.poll_event().is_some() {}
});
