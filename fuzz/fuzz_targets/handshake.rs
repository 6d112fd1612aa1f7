//! Fuzz target: arbitrary bytes as everything a peer sends, from the first byte on
//! (greeting, version negotiation, mechanism handshake, then frames).
#![no_main]

use std::time::Instant;

use libfuzzer_sys::fuzz_target;
use zmq::zmtp::{Engine, EngineConfig};

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
    // Split the input the way reads might: first byte says where.
    let cut = data.first().map_or(0, |&b| b as usize).min(data.len());
    engine.receive(&data[..cut], now);
    engine.receive(&data[cut..], now);
    while engine.poll_event().is_some() {}
    engine.handle_timeout(now);
});
