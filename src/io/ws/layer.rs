//! What sits between a ws/wss connection's socket and its engine: TLS (wss) and the
//! WebSocket framing. Before the engine starts the layer carries the HTTP upgrade as
//! plain bytes (`read_plain`, `send_plain`); then `start_frames` switches it to
//! translating between ZMTP frames (the engine's side) and WebSocket frames (the
//! wire's side).
//!
//! Bytes to send wait in one bounded buffer (`pending`): a write from the engine is
//! taken only while less than `PENDING_LIMIT` waits, so a peer that stops reading
//! holds back the engine, not memory. The session flushes `pending` when the socket
//! turns writable, and counts it as output not yet delivered.

use std::io::{self, Read, Write};
use std::os::fd::RawFd;

use super::frame::{self, Control, Inbound, Outbound, Role};
use crate::io::sys;

/// Output waiting for the socket beyond which the engine's writes are refused.
const PENDING_LIMIT: usize = 256 * 1024;
/// Bytes read from the socket per call.
const READ_CHUNK: usize = 64 * 1024;

/// The socket as `Read`/`Write` for rustls, every send with MSG_NOSIGNAL.
struct FdIo(RawFd);

impl Read for FdIo {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        sys::recv(self.0, buf)
    }
}

impl Write for FdIo {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        sys::send(self.0, buf)
    }
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// A WebSocket frame that broke the protocol, as an I/O error the session tells apart
/// (`is_protocol_error`).
fn protocol_error(e: frame::FrameError) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, e.reason())
}

/// Whether a read error is the peer breaking the WebSocket protocol (the connection
/// closes as a protocol error) rather than the transport failing.
pub(crate) fn is_protocol_error(e: &io::Error) -> bool {
    e.kind() == io::ErrorKind::InvalidData
}

/// The layer of one connection.
pub(crate) struct Layer {
    role: Role,
    tls: Option<Box<rustls::Connection>>,
    frames: Option<(Inbound, Outbound)>,
    /// Plaintext read from the socket, not yet decoded.
    raw: Vec<u8>,
    raw_pos: usize,
    /// Plaintext (WebSocket frames, or the HTTP head) waiting to be sent.
    pending: Vec<u8>,
    pending_pos: usize,
    maxmsgsize: i64,
}

impl Layer {
    pub(crate) fn new(role: Role, tls: Option<rustls::Connection>, maxmsgsize: i64) -> Layer {
        Layer {
            role,
            tls: tls.map(Box::new),
            frames: None,
            raw: Vec::new(),
            raw_pos: 0,
            pending: Vec::new(),
            pending_pos: 0,
            maxmsgsize,
        }
    }

    /// The upgrade is done: from now on bytes are WebSocket frames; `leftover` is what
    /// followed the HTTP head.
    pub(crate) fn start_frames(&mut self, leftover: &[u8]) {
        self.raw.drain(..self.raw_pos);
        self.raw_pos = 0;
        self.raw.splice(0..0, leftover.iter().copied());
        self.frames = Some((
            Inbound::new(self.role, self.maxmsgsize),
            Outbound::new(self.role),
        ));
    }

    /// The engine finished its handshake: pings and pongs the peer sends are shown to
    /// it as empty commands, the traffic that keeps its heartbeat timeout away.
    pub(crate) fn engine_ready(&mut self) {
        if let Some((inbound, _)) = self.frames.as_mut() {
            inbound.keepalive = true;
        }
    }

    /// Which end of the connection this is.
    pub(crate) fn role(&self) -> Role {
        self.role
    }

    /// Whether bytes wait to be sent.
    pub(crate) fn has_pending(&self) -> bool {
        self.pending_pos < self.pending.len() || self.tls.as_ref().is_some_and(|t| t.wants_write())
    }

    /// Sends what waits; WouldBlock when the socket cannot take it all now.
    pub(crate) fn flush(&mut self, fd: RawFd) -> io::Result<()> {
        loop {
            match self.tls.as_mut() {
                None => {
                    if self.pending_pos == self.pending.len() {
                        break;
                    }
                    let n = sys::send(fd, &self.pending[self.pending_pos..])?;
                    self.pending_pos += n;
                }
                Some(tls) => {
                    let mut progressed = false;
                    if self.pending_pos < self.pending.len() {
                        let n = tls.writer().write(&self.pending[self.pending_pos..])?;
                        self.pending_pos += n;
                        progressed = n > 0;
                    }
                    if tls.wants_write() {
                        tls.write_tls(&mut FdIo(fd))?;
                        continue;
                    }
                    if self.pending_pos == self.pending.len() || !progressed {
                        break;
                    }
                }
            }
        }
        if self.pending_pos == self.pending.len() {
            self.pending.clear();
            self.pending_pos = 0;
            if self.pending.capacity() > PENDING_LIMIT * 2 {
                self.pending = Vec::new();
            }
        }
        Ok(())
    }

    fn flush_soft(&mut self, fd: RawFd) -> io::Result<()> {
        match self.flush(fd) {
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => Ok(()),
            Err(e) if e.kind() == io::ErrorKind::Interrupted => Ok(()),
            other => other,
        }
    }

    /// Queues plaintext (the HTTP head) and sends what it can.
    pub(crate) fn send_plain(&mut self, fd: RawFd, bytes: &[u8]) -> io::Result<()> {
        self.pending.extend_from_slice(bytes);
        self.flush_soft(fd)
    }

    /// Reads more plaintext into `raw`: Ok(0) at the end of the stream.
    fn fill(&mut self, fd: RawFd) -> io::Result<usize> {
        if self.raw_pos == self.raw.len() {
            self.raw.clear();
            self.raw_pos = 0;
        } else if self.raw_pos > READ_CHUNK {
            self.raw.drain(..self.raw_pos);
            self.raw_pos = 0;
        }
        let Some(tls) = self.tls.as_mut() else {
            return sys::read_append(fd, &mut self.raw, READ_CHUNK);
        };
        loop {
            let start = self.raw.len();
            self.raw.resize(start + READ_CHUNK, 0);
            let got = tls.reader().read(&mut self.raw[start..]);
            self.raw.truncate(start + *got.as_ref().unwrap_or(&0));
            match got {
                Ok(n) => return Ok(n),
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => {}
                // The peer closed without close_notify: the end of the stream.
                Err(e) if e.kind() == io::ErrorKind::UnexpectedEof => return Ok(0),
                Err(e) => return Err(e),
            }
            match tls.read_tls(&mut FdIo(fd)) {
                Ok(0) => return Ok(0),
                Ok(_) => {}
                Err(e) => return Err(e),
            }
            let processed = tls.process_new_packets();
            // Handshake messages and alerts go out now (an alert before closing).
            while tls.wants_write() {
                if tls.write_tls(&mut FdIo(fd)).is_err() {
                    break;
                }
            }
            if processed.is_err() {
                return Err(io::Error::from_raw_os_error(libc::EPROTO));
            }
        }
    }

    /// Reads plaintext (the HTTP head) into `buf`; Ok(0) at the end of the stream.
    pub(crate) fn read_plain(&mut self, fd: RawFd, buf: &mut [u8]) -> io::Result<usize> {
        if self.raw_pos == self.raw.len() && self.fill(fd)? == 0 {
            return Ok(0);
        }
        let n = (self.raw.len() - self.raw_pos).min(buf.len());
        buf[..n].copy_from_slice(&self.raw[self.raw_pos..self.raw_pos + n]);
        self.raw_pos += n;
        // TLS handshake messages may be waiting to go out.
        self.flush_soft(fd)?;
        Ok(n)
    }

    /// Reads and decodes WebSocket frames into ZMTP bytes for the engine; Ok(0) at the
    /// end of the stream or after the peer's close frame.
    pub(crate) fn read(&mut self, fd: RawFd, buf: &mut [u8]) -> io::Result<usize> {
        loop {
            let Some((inbound, outbound)) = self.frames.as_mut() else {
                return self.read_plain(fd, buf);
            };
            let (used, made) = inbound
                .decode(&self.raw[self.raw_pos..], buf)
                .map_err(protocol_error)?;
            self.raw_pos += used;
            let mut replied = false;
            while let Some(c) = inbound.take_control() {
                replied = true;
                match c {
                    Control::Ping(payload) => {
                        outbound.control(frame::OP_PONG, &payload, &mut self.pending)
                    }
                    Control::Pong => {}
                    Control::Close(payload) => {
                        // Echo the status code, as RFC 6455 asks.
                        let code = &payload[..payload.len().min(2)];
                        outbound.control(frame::OP_CLOSE, code, &mut self.pending);
                    }
                }
            }
            let closed = inbound.is_closed();
            // Replies wait for the session's flush, which writes under the direct-write
            // lock (an application thread may be writing to this socket); the answer
            // to a close goes at once, the connection ends anyway.
            if replied && closed {
                self.flush_soft(fd)?;
            }
            if made > 0 {
                return Ok(made);
            }
            if closed {
                return Ok(0);
            }
            if self.raw_pos < self.raw.len() && buf.is_empty() {
                return Ok(0);
            }
            if self.fill(fd)? == 0 {
                return Ok(0);
            }
        }
    }

    /// Takes ZMTP bytes from the engine, framed into `pending`; returns how many were
    /// taken. WouldBlock while `PENDING_LIMIT` bytes wait.
    pub(crate) fn write(&mut self, fd: RawFd, slices: &[io::IoSlice<'_>]) -> io::Result<usize> {
        self.flush_soft(fd)?;
        let waiting = self.pending.len() - self.pending_pos;
        if waiting >= PENDING_LIMIT {
            return Err(io::ErrorKind::WouldBlock.into());
        }
        let Some((_, outbound)) = self.frames.as_mut() else {
            return Err(io::ErrorKind::WouldBlock.into());
        };
        let mut budget = PENDING_LIMIT - waiting;
        let mut taken = 0;
        for s in slices {
            if budget == 0 {
                break;
            }
            let n = s.len().min(budget);
            outbound.encode(&s[..n], &mut self.pending);
            taken += n;
            budget -= n;
        }
        self.flush_soft(fd)?;
        Ok(taken)
    }
}
