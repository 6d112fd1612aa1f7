//! Fuzz target: arbitrary bytes as everything a peer sends, from the first byte on
//! (greeting, version negotiation, mechanism handshake, then frames).
#![no_main]

use std::time::Instant;

use libfuzzer_sys::fuzz_target;
use zmq::fuzzing::{Engine, EngineConfig};

#[path = "common.rs"]
mod common;

fuzz_target!(|data: &[u8]| {
    let now = Instant::now();
    let mut engine = Engine::new(
        EngineConfig {
            socket_type: zmq::abi::ZMQ_ROUTER,
            maxmsgsize: 1 << 20,
            ..EngineConfig::default()
        },
        now,
    );
    common::feed(&mut engine, &[], data, now);
});
