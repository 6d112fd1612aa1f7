//! Fuzz target: a PLAIN server (with a ZAP handler whose answer the input picks)
//! given a valid PLAIN greeting, then arbitrary bytes: HELLO, INITIATE, frames.
#![no_main]

use std::time::Instant;

use libfuzzer_sys::fuzz_target;
use zmq::abi::*;
use zmq::fuzzing::{Engine, EngineConfig, Security};

#[path = "common.rs"]
mod common;

fuzz_target!(|data: &[u8]| {
    let now = Instant::now();
    let mut e = Engine::new(
        EngineConfig {
            socket_type: ZMQ_ROUTER,
            maxmsgsize: 1 << 20,
            peer_address: "fuzz".into(),
            security: Security {
                mechanism: ZMQ_PLAIN,
                as_server: true,
                zap_domain: b"fuzz".to_vec(),
                ..Security::default()
            },
            ..EngineConfig::default()
        },
        now,
    );
    common::feed(&mut e, &common::greeting(b"PLAIN", false), data, now);
});
