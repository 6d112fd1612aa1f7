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

/// What the cargo-fuzz targets drive directly: the sans-I/O ZMTP engine.
#[doc(hidden)]
pub mod fuzzing {
    pub use crate::zmtp::{Engine, EngineConfig};
}
