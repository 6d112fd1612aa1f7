//! Fuzz target: a PLAIN client given a valid server greeting, then arbitrary
//! bytes as the server's: WELCOME, READY, ERROR, frames.
#![no_main]

use std::time::Instant;

use libfuzzer_sys::fuzz_target;
use zmq::abi::*;
use zmq::fuzzing::{Engine, EngineConfig, SecretBytes, Security};

#[path = "common.rs"]
mod common;

fuzz_target!(|data: &[u8]| {
    let now = Instant::now();
    let mut e = Engine::new(
        EngineConfig {
            socket_type: ZMQ_DEALER,
            maxmsgsize: 1 << 20,
            security: Security {
                mechanism: ZMQ_PLAIN,
                plain_username: b"user".to_vec(),
                plain_password: SecretBytes::new(b"pass".to_vec()),
                ..Security::default()
            },
            ..EngineConfig::default()
        },
        now,
    );
    common::feed(&mut e, &common::greeting(b"PLAIN", true), data, now);
});
