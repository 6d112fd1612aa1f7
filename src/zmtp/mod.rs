//! ZMTP, the ZeroMQ wire protocol, without I/O: one `Engine` per connection turns
//! bytes read into events (handshake done, message parts, close) and messages to send
//! into bytes to write. It owns no socket and no clock: the I/O layer feeds it what
//! it reads, writes what it queues, and passes the time in.
//!
//! Speaks ZMTP 3.1 (RFC 37) with the NULL mechanism, and talks to ZMTP 3.0, 2.0 and
//! 1.0 peers the way libzmq 4.3 does (version negotiated from the greeting, older
//! framings for older peers). Where libzmq's behaviour is observable on the wire or
//! through the monitor, the engine reproduces it; the tests hold the bytes libzmq
//! 4.3 was seen to send.
//!
//! Contract for the I/O layer:
//! - after `Engine::new`, and after every `receive`, `send` or `handle_timeout`, write
//!   `output()` and `consume_output(n)` until it is empty or the transport would block
//!   (`output()` is the next contiguous run; `output_slices` gives all of it for a
//!   vectored write);
//! - drain `poll_control` after every `receive`, `handle_timeout` and
//!   `connection_error`, and take whole messages from `inbox()` (`poll_event` gives
//!   both as one ordered stream). Message parts decoded before an error come before
//!   its `Closed`; an unfinished multipart message left in the inbox is dropped.
//!   After `Closed` close the transport: the engine dropped its output and ignores
//!   further input;
//! - `Closed { event, value, kind }`: emit `event` with `value` when non-zero, then
//!   ZMQ_EVENT_DISCONNECTED. `kind` says whether to reconnect: libzmq does after
//!   `Timeout` and `Connection`, and gives up after `Protocol`;
//! - `Ready { version, .. }`: libzmq emits ZMQ_EVENT_HANDSHAKE_SUCCEEDED only when
//!   `version.has_handshake()` (ZMTP 3.x);
//! - `send` after `Ready`; it refuses (returns false, the caller keeps the message)
//!   while `OUTPUT_LIMIT` bytes wait, so gate batches on `output_len()`;
//! - subscriptions from SUB sockets are recognised by their leading 1/0 byte; an XSUB
//!   marks the subscriptions it replays to a new peer with `flags::COMMAND` (libzmq
//!   sends those as commands and what the XSUB user sends as data);
//! - call `handle_timeout(now)` when `next_timeout()` passes;
//! - stop reading while `pending_input()` is non-zero and the socket's pipe is full;
//!   heartbeat timeouts do not fire while decoded input waits;
//! - on end of stream or a read/write error call `connection_error(errno)` (EPIPE for
//!   end of stream) to get the `Closed` libzmq would report.
//!
//! The security mechanism sits behind one seam (`mechanism`): NULL, PLAIN (`plain`)
//! and CURVE (`curve`). A server that authenticates through ZAP (`zap`) raises
//! `EngineEvent::ZapRequest`; the I/O layer carries it to the handler and answers
//! with `Engine::zap_reply` (or `Engine::zap_unavailable` when no handler is bound).
//! `EngineEvent::Monitor` reports a refusal when it happens, apart from closing.

mod codec;
mod command;
mod curve;
mod engine;
mod inbox;
mod mechanism;
mod output;
mod plain;
mod zap;

#[cfg(test)]
mod fuzz;
#[cfg(test)]
mod security_tests;
#[cfg(test)]
pub(crate) mod tests;

pub use engine::{CloseKind, Engine, EngineConfig, EngineEvent, Version};
pub use inbox::Inbox;
pub use mechanism::Security;
pub use zap::ZapRequest;

pub(crate) use curve::{keypair as curve_keypair, public_key as curve_public_key};
pub(crate) use zap::ZAP_INPROC_NAME;

/// Messages larger than this never take a direct write (the I/O thread sends large
/// bodies without copying them).
const DIRECT_MAX: usize = 64 * 1024;

/// How an engine lets messages be framed outside it, for a direct write from the
/// application thread: plain ZMTP 2.0/3.x data frames. Only `Engine::direct_framing`
/// hands one out, when the negotiated protocol and mechanism allow it.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct DirectFraming {
    _private: (),
}

impl DirectFraming {
    /// Encodes the parts of one message into `out` (cleared first); false when the
    /// message must take the engine's path (a command, or too large to copy).
    pub(crate) fn encode(&self, out: &mut Vec<u8>, parts: &[crate::msg::Msg]) -> bool {
        out.clear();
        let size: usize = parts.iter().map(crate::msg::Msg::len).sum();
        if size > DIRECT_MAX || parts.iter().any(crate::msg::Msg::is_command) {
            return false;
        }
        for part in parts {
            let wire = if part.more() { codec::WIRE_MORE } else { 0 };
            codec::v2_header(out, wire, part.len());
            out.extend_from_slice(part.data());
        }
        true
    }
}
