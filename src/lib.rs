//! A Rust implementation of libzmq 4.3.5, exported through libzmq's C ABI.
//!
//! Layers, from the outside in: `ffi` (the `extern "C"` surface), `ctx` and `socket`
//! (contexts, sockets and their type-specific patterns), `pipe` (lock-free queues
//! between sockets), `msg` (the message), `signal` (wake-ups and `ZMQ_FD`).

pub mod abi;
pub mod error;
pub mod ffi;
pub mod options;
