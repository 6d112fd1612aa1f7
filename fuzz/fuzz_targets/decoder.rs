//! Fuzz target: arbitrary bytes after a completed handshake, so the frame decoder
//! and command parser get the input.
#![no_main]

use std::time::Instant;

use libfuzzer_sys::fuzz_target;
use zmq::zmtp::{Engine, EngineConfig};

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
        let out = ours.output_all();
        peer.receive(&out, now);
        let back = peer.output_all();
        ours.receive(&back, now);
    }
    while ours.poll_event().is_some() {}
    if !ours.is_ready() {
        return;
    }
    ours.receive(data, now);
    while ours.poll_event().is_some() {}
});

trait Drain {
    fn output_all(&mut self) -> Vec<u8>;
}

impl Drain for Engine {
    fn output_all(&mut self) -> Vec<u8> {
        let mut all = Vec::new();
        while self.output_len() > 0 {
            let chunk = self.output().to_vec();
            self.consume_output(chunk.len());
            all.extend_from_slice(&chunk);
        }
        all
    }
}
