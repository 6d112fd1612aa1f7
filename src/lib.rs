//! A Rust implementation of libzmq 4.3.5, exported through libzmq's C ABI.
//!
//! Layers, from the outside in: `ffi` (the `extern "C"` surface), `ctx` and `socket`
//! (contexts, sockets and their type-specific patterns), `pipe` (lock-free queues
//! between sockets), `msg` (the message), `signal` (wake-ups and `ZMQ_FD`).

pub mod abi;
pub mod ctx;
pub mod endpoint;
pub mod error;
pub mod ffi;
pub mod mailbox;
pub mod msg;
pub mod options;
pub mod pattern;
pub mod pipe;
pub mod signal;
pub mod socket;
pub mod util;
pub mod zmtp;
