//! Fuzz target: a CURVE client given a valid server greeting, then arbitrary
//! bytes as the server's (WELCOME, READY, ERROR, MESSAGE).
#![no_main]

use std::time::Instant;

use libfuzzer_sys::fuzz_target;
use zmq::abi::*;
use zmq::fuzzing::{curve_public_key, Engine, EngineConfig, SecretKey, Security};

#[path = "common.rs"]
mod common;

fuzz_target!(|data: &[u8]| {
    let now = Instant::now();
    let secret = SecretKey::new([7; 32]);
    let mut e = Engine::new(
        EngineConfig {
            socket_type: ZMQ_DEALER,
            maxmsgsize: 1 << 20,
            security: Security {
                mechanism: ZMQ_CURVE,
                curve_public_key: curve_public_key(&secret),
                curve_secret_key: secret,
                curve_server_key: [9; 32],
                ..Security::default()
            },
            ..EngineConfig::default()
        },
        now,
    );
    common::feed(&mut e, &common::greeting(b"CURVE", true), data, now);
});
