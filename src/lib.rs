//! A Rust implementation of libzmq 4.3.5, exported through libzmq's C ABI.
//!
//! Layers, from the outside in: `ffi` (the `extern "C"` surface), `ctx` and `socket`
//! (contexts, sockets and their type-specific patterns), `pipe` (lock-free queues
//! between sockets), `msg` (the message), `signal` (wake-ups and `ZMQ_FD`).

pub mod abi;
pub(crate) mod ctx;
pub(crate) mod endpoint;
pub(crate) mod error;
pub mod ffi;
pub(crate) mod io;
pub(crate) mod monitor;
pub(crate) mod msg;
pub(crate) mod options;
pub(crate) mod pattern;
pub(crate) mod pipe;
pub(crate) mod poller;
pub(crate) mod signal;
pub(crate) mod socket;
pub(crate) mod ticket;
pub(crate) mod util;
pub(crate) mod zmtp;

/// What the cargo-fuzz targets drive directly: the sans-I/O ZMTP engine, with its
/// security settings and key helpers, and the WebSocket framing and upgrade.
#[doc(hidden)]
pub mod fuzzing {
    pub use crate::msg::Msg;
    pub use crate::util::secret::{SecretBytes, SecretKey};
    pub use crate::zmtp::{Engine, EngineConfig, EngineEvent, Security};

    /// A new CURVE key pair (public, secret); None without random bytes.
    pub fn curve_keypair() -> Option<([u8; 32], SecretKey)> {
        crate::zmtp::curve_keypair()
    }

    /// The public key of a CURVE secret key.
    pub fn curve_public_key(secret: &SecretKey) -> [u8; 32] {
        crate::zmtp::curve_public_key(secret)
    }

    /// Decodes `data` as WebSocket frames arriving at a server (`server`) or a client,
    /// fed `step` bytes at a time; returns the ZMTP bytes made, or None when the
    /// frames were refused.
    pub fn ws_decode(data: &[u8], server: bool, maxmsgsize: i64, step: usize) -> Option<Vec<u8>> {
        crate::io::fuzz_ws_decode(data, server, maxmsgsize, step)
    }

    /// Parses `data` as an upgrade request (server side) and as an upgrade answer
    /// (client side); true when either was accepted.
    pub fn ws_upgrade(data: &[u8]) -> bool {
        crate::io::fuzz_ws_upgrade(data)
    }

    /// A ZAP reply with `status`, as a handler sends it (for answering
    /// `EngineEvent::ZapRequest` in fuzz targets).
    pub fn zap_reply(status: &str) -> Vec<crate::msg::Msg> {
        let frames: [&[u8]; 7] = [b"", b"1.0", b"1", status.as_bytes(), b"", b"fuzz", b""];
        frames
            .iter()
            .enumerate()
            .map(|(i, f)| {
                let mut m = crate::msg::Msg::from_slice(f);
                m.set_more(i < 6);
                m
            })
            .collect()
    }
}
