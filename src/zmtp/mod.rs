//! ZMTP, the ZeroMQ wire protocol, without I/O: one `Engine` per connection turns
//! bytes read into events (handshake done, message parts, close) and messages to send
//! into bytes to write. It owns no socket and no clock: the I/O layer feeds it what
//! it reads, writes what it queues, and passes the time in.
//!
//! Speaks ZMTP 3.1 (RFC 37) with the NULL mechanism, and talks to ZMTP 3.0, 2.0 and
//! 1.0 peers the way libzmq 4.3 does (version negotiated from the greeting, older
//! framings for older peers).
//!
//! Contract for the I/O layer:
//! - after `Engine::new`, and after every `receive`, `send` or `handle_timeout`, write
//!   `output()` and `consume_output(n)` until it is empty or the transport would block
//!   (or use `output_slices` for a vectored write);
//! - drain `poll_event` after every `receive`, `handle_timeout` and
//!   `connection_error`; events come in order (messages decoded before an error are
//!   reported before the `Closed`). After `Closed`, close the transport: the engine
//!   has dropped its output and ignores further input;
//! - `send` only after `Ready`; batch by checking `output_len()` before pulling more
//!   messages from the pipe;
//! - call `handle_timeout(now)` when `next_timeout()` passes;
//! - on end of stream or a read/write error, call `connection_error(errno)` (EPIPE for
//!   end of stream) to get the Closed event libzmq would report.

mod codec;
mod command;
mod engine;
mod output;

#[cfg(test)]
mod fuzz;
#[cfg(test)]
mod tests;

pub use command::{compatible, sends_identity, socket_type_from_name, socket_type_name};
pub use engine::{CloseKind, Engine, EngineConfig, EngineEvent, Version, OUTPUT_LIMIT};
