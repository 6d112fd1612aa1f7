//! Writing a message straight to its connection from the application thread while
//! the connection's I/O thread has nothing queued for it: a request or reply then
//! leaves without waking the I/O thread, one thread hop less per message.
//!
//! The I/O thread publishes the pipe position up to which everything it read has been
//! written out (`idle_at`); the application writes directly only when its own write
//! position equals it, so nothing can overtake what is already queued. Every write to
//! the socket, by either thread, happens under one lock, and bytes a direct write could
//! not finish are left for the I/O thread, which writes them before anything else.
//! The engine decides whether and how messages may be framed here (`DirectFraming`);
//! over ws the frames are then wrapped as WebSocket messages (`attach_ws`). The
//! socket is shared, so it stays open while a direct write uses it.

use std::os::fd::{AsRawFd, OwnedFd};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use parking_lot::{Mutex, MutexGuard};

use super::sys;
use super::ws::frame::Outbound;
use crate::msg::Msg;
use crate::pipe::{Direct, DirectPath, DirectSink, IdleMark, IDLE_NONE};
use crate::zmtp::DirectFraming;

/// `idle_at` while the I/O thread has output pending or there is no connection.
const BUSY: u64 = IDLE_NONE;

/// The shared direct-write state of one session's pipe.
pub(crate) struct DirectWrite {
    /// Shared with the pipe's application end, which reads it on every send.
    idle_at: IdleMark,
    state: Mutex<DirectState>,
}

/// What the lock guards.
pub(crate) struct DirectState {
    /// The connection and how its engine frames messages; None while there is no
    /// connection that takes direct writes.
    target: Option<(Arc<OwnedFd>, DirectFraming)>,
    /// Bytes of a direct write the socket did not take; the I/O thread writes them first
    /// (as they are: they are already framed for the wire).
    pub(crate) leftover: Vec<u8>,
    /// ws: the encoder wrapping ZMTP frames as WebSocket messages, and its buffer.
    ws: Option<(Outbound, Vec<u8>)>,
}

impl Default for DirectWrite {
    fn default() -> Self {
        DirectWrite {
            idle_at: std::sync::Arc::new(AtomicU64::new(BUSY)),
            state: Mutex::new(DirectState {
                target: None,
                leftover: Vec::new(),
                ws: None,
            }),
        }
    }
}

impl DirectSink for DirectWrite {
    fn try_write(&self, pos: u64, parts: &[Msg], scratch: &mut Vec<u8>) -> Direct {
        let mut guard = self.state.lock();
        let DirectState {
            target,
            leftover,
            ws,
        } = &mut *guard;
        let Some((fd, framing)) = target else {
            return Direct::Refused;
        };
        if !leftover.is_empty() || self.idle_at.load(Ordering::Acquire) != pos {
            return Direct::Refused;
        }
        if !framing.encode(scratch, parts) {
            return Direct::Refused;
        }
        let scratch = match ws {
            Some((outbound, buf)) => {
                buf.clear();
                outbound.encode(scratch, buf);
                buf
            }
            None => scratch,
        };
        let sent = match sys::send(fd.as_raw_fd(), scratch) {
            Ok(n) => n,
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => 0,
            // A broken connection: the I/O thread sees it too and reports it; what was
            // written to it is lost, as a message in flight on it would be.
            Err(_) => return Direct::Written,
        };
        if sent == scratch.len() {
            return Direct::Written;
        }
        leftover.extend_from_slice(&scratch[sent..]);
        self.idle_at.store(BUSY, Ordering::Release);
        Direct::Partial
    }
}

impl DirectWrite {
    /// What a pipe's application end needs to write to this connection directly.
    pub(crate) fn path(self: &Arc<Self>) -> DirectPath {
        DirectPath {
            sink: self.clone(),
            idle: self.idle_at.clone(),
        }
    }

    /// I/O side: a connection is up whose engine frames messages with `framing`.
    pub(crate) fn attach(&self, fd: Arc<OwnedFd>, framing: DirectFraming) {
        let mut st = self.state.lock();
        st.target = Some((fd, framing));
        st.leftover.clear();
        st.ws = None;
        self.idle_at.store(BUSY, Ordering::Release);
    }

    /// I/O side: a ws connection is up; its ZMTP frames are wrapped by `outbound` (at
    /// a message boundary now, as the connection's own encoder is whenever direct
    /// writes may go).
    pub(crate) fn attach_ws(&self, fd: Arc<OwnedFd>, framing: DirectFraming, outbound: Outbound) {
        let mut st = self.state.lock();
        st.target = Some((fd, framing));
        st.leftover.clear();
        st.ws = Some((outbound, Vec::new()));
        self.idle_at.store(BUSY, Ordering::Release);
    }

    /// I/O side: the connection is going away; direct writes stop before it closes.
    /// Unfinished bytes die with the connection.
    pub(crate) fn detach(&self) {
        let mut st = self.state.lock();
        st.target = None;
        st.leftover.clear();
        st.ws = None;
        self.idle_at.store(BUSY, Ordering::Release);
    }

    /// I/O side: held while writing to the socket, so no direct write interleaves.
    pub(crate) fn lock(&self) -> MutexGuard<'_, DirectState> {
        self.state.lock()
    }

    /// I/O side, with the lock held: everything read from the pipe up to `pos` is
    /// written and nothing else is pending (None: something is).
    pub(crate) fn set_idle(&self, st: &DirectState, pos: Option<u64>) {
        let idle = match pos {
            Some(p) if st.target.is_some() && st.leftover.is_empty() => p,
            _ => BUSY,
        };
        self.idle_at.store(idle, Ordering::Release);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pipe::{network_pipe_pair, PipeEnd};
    use std::io::Read;
    use std::os::unix::net::UnixStream;

    fn part(data: &[u8], more: bool) -> Msg {
        let mut m = Msg::from_slice(data);
        m.set_more(more);
        m
    }

    fn pair() -> (PipeEnd, PipeEnd, Arc<DirectWrite>) {
        let direct = Arc::new(DirectWrite::default());
        let (mut app, mut io) = network_pipe_pair(0, 0, Some(direct.path()));
        app.send_routing_id(b"");
        io.send_routing_id(b"");
        assert!(io.read().is_none(), "the routing id is taken, nothing else");
        assert!(app.read().is_none());
        (app, io, direct)
    }

    /// Reads exactly `n` bytes the peer socket received.
    fn received(sock: &mut UnixStream, n: usize) -> Vec<u8> {
        let mut buf = vec![0; n];
        sock.read_exact(&mut buf).unwrap();
        buf
    }

    /// The I/O end reports everything it read as written out.
    fn io_idle(io: &PipeEnd, d: &DirectWrite) {
        let st = d.lock();
        d.set_idle(&st, Some(io.read_position()));
    }

    #[test]
    fn direct_writes_skip_the_pipe_only_when_nothing_is_queued() {
        let (mut app, mut io, direct) = pair();
        let (ours, mut peer) = UnixStream::pair().unwrap();

        // No connection yet: through the pipe.
        app.write(part(b"queued", false));
        assert_eq!(io.read().unwrap().data(), b"queued");

        direct.attach(Arc::new(OwnedFd::from(ours)), DirectFraming::default());
        io_idle(&io, &direct);
        app.write(part(b"hello", false));
        assert_eq!(received(&mut peer, 7), b"\x00\x05hello");
        assert!(
            io.read().is_none(),
            "a direct write does not enter the pipe"
        );

        // Right after a direct write and answering nothing: batched through the pipe.
        app.write(part(b"again", false));
        assert_eq!(io.read().unwrap().data(), b"again");

        // Still queued for the I/O thread (it has not caught up): through the pipe
        // even as a reply, so nothing overtakes it.
        io.write(part(b"request", false));
        assert!(app.read().is_some());
        app.write(part(b"first", false));
        io.write(part(b"request", false));
        assert!(app.read().is_some());
        app.write(part(b"second", false));
        assert_eq!(io.read().unwrap().data(), b"first");
        assert_eq!(io.read().unwrap().data(), b"second");

        // A reply once the I/O thread is idle goes out directly, all its parts at once.
        io_idle(&io, &direct);
        io.write(part(b"request", false));
        assert!(app.read().is_some());
        app.write(part(b"a", true));
        app.write(part(b"bc", false));
        assert_eq!(received(&mut peer, 7), b"\x01\x01a\x00\x02bc");
        assert!(io.read().is_none());

        // What the engine will not frame here (too large) takes the pipe.
        io_idle(&io, &direct);
        io.write(part(b"request", false));
        assert!(app.read().is_some());
        let big = vec![1u8; 70_000];
        app.write(part(&big, false));
        assert_eq!(io.read().unwrap().len(), big.len());

        // The connection went away: queued again.
        direct.detach();
        io.write(part(b"request", false));
        assert!(app.read().is_some());
        app.write(part(b"later", false));
        assert_eq!(io.read().unwrap().data(), b"later");
    }

    #[test]
    fn a_direct_write_the_socket_cannot_take_is_finished_by_the_io_thread() {
        let (mut app, mut io, direct) = pair();
        let (ours, _peer) = UnixStream::pair().unwrap();
        direct.attach(Arc::new(OwnedFd::from(ours)), DirectFraming::default());
        // Replies of 60 KB to a peer that never reads, until the socket is full.
        let body = vec![7u8; 60_000];
        for _ in 0..1000 {
            io_idle(&io, &direct);
            io.write(part(b"request", false));
            assert!(app.read().is_some());
            app.write(part(&body, false));
            if !direct.lock().leftover.is_empty() {
                break;
            }
            assert!(io.read().is_none(), "written directly");
        }
        let left = direct.lock().leftover.len();
        assert!(left > 0 && left <= body.len() + 9, "leftover {left}");
        // Until the I/O thread has written the rest, everything queues behind it.
        io.write(part(b"request", false));
        assert!(app.read().is_some());
        app.write(part(b"next", false));
        assert_eq!(io.read().unwrap().data(), b"next");
        assert_eq!(direct.lock().leftover.len(), left);
    }

    #[test]
    fn a_write_to_a_vanished_peer_neither_fails_nor_signals() {
        let (mut app, mut io, direct) = pair();
        let (ours, peer) = UnixStream::pair().unwrap();
        direct.attach(Arc::new(OwnedFd::from(ours)), DirectFraming::default());
        drop(peer);
        io_idle(&io, &direct);
        io.write(part(b"request", false));
        assert!(app.read().is_some());
        // EPIPE, not SIGPIPE: the write counts as lost in flight.
        app.write(part(b"reply", false));
        assert!(io.read().is_none());
    }
}
