//! Fuzz target: a CURVE server given a valid CURVE greeting, then arbitrary bytes
//! as the client's (HELLO, INITIATE, MESSAGE). With the input's first byte odd,
//! a real client's HELLO goes first, so INITIATE parsing is reached too.
#![no_main]

use std::sync::OnceLock;
use std::time::Instant;

use libfuzzer_sys::fuzz_target;
use zmq::abi::*;
use zmq::fuzzing::{curve_keypair, Engine, EngineConfig, SecretKey, Security};

#[path = "common.rs"]
mod common;

fn keys() -> &'static ([u8; 32], SecretKey, [u8; 32], SecretKey) {
    static KEYS: OnceLock<([u8; 32], SecretKey, [u8; 32], SecretKey)> = OnceLock::new();
    KEYS.get_or_init(|| {
        let (sp, ss) = curve_keypair().expect("random bytes");
        let (cp, cs) = curve_keypair().expect("random bytes");
        (sp, ss, cp, cs)
    })
}

fuzz_target!(|data: &[u8]| {
    let now = Instant::now();
    let (sp, ss, cp, cs) = keys();
    let mut server = Engine::new(
        EngineConfig {
            socket_type: ZMQ_ROUTER,
            maxmsgsize: 1 << 20,
            security: Security {
                mechanism: ZMQ_CURVE,
                as_server: true,
                curve_secret_key: ss.clone(),
                zap_domain: b"fuzz".to_vec(),
                ..Security::default()
            },
            ..EngineConfig::default()
        },
        now,
    );
    let mut prefix = common::greeting(b"CURVE", false);
    if data.first().is_some_and(|b| b & 1 == 1) {
        let mut client = Engine::new(
            EngineConfig {
                socket_type: ZMQ_DEALER,
                security: Security {
                    mechanism: ZMQ_CURVE,
                    curve_public_key: *cp,
                    curve_secret_key: cs.clone(),
                    curve_server_key: *sp,
                    ..Security::default()
                },
                ..EngineConfig::default()
            },
            now,
        );
        client.receive(&common::greeting(b"CURVE", true), now);
        let out = common::output_all(&mut client);
        prefix.extend_from_slice(&out[64..]);
    }
    common::feed(&mut server, &prefix, data, now);
});
