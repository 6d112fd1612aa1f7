//! Writing a message straight to its connection from the application thread while
//! the connection's I/O thread has nothing queued for it: a request or reply then
//! leaves without waking the I/O thread, one thread hop less per message.
//!
//! The I/O thread publishes the pipe position up to which everything it read has been
//! written out (`idle_at`); the application writes directly only when its own write
//! position equals it, so nothing can overtake what is already queued. Every write to
//! the socket, by either thread, happens under one lock, and bytes a direct write could
//! not finish are left for the I/O thread, which writes them before anything else.

use std::os::fd::RawFd;
use std::sync::atomic::{AtomicU64, Ordering};

use parking_lot::{Mutex, MutexGuard};

/// `idle_at` while the I/O thread has output pending or there is no connection.
const BUSY: u64 = u64::MAX;

/// The shared direct-write state of one connection's pipe.
pub struct DirectWrite {
    idle_at: AtomicU64,
    state: Mutex<DirectState>,
}

/// What the lock guards.
pub struct DirectState {
    /// The connection's socket; None while there is no connection that can take
    /// direct writes (none yet, between reconnects, or a peer whose framing differs).
    fd: Option<RawFd>,
    /// Bytes of a direct write the socket did not take; the I/O thread writes them first.
    pub leftover: Vec<u8>,
}

/// How a direct write went.
pub enum Direct {
    /// Not possible now: the caller queues the message in the pipe.
    Refused,
    /// All bytes were written.
    Written,
    /// Some bytes wait in `leftover`: the I/O thread must be woken to finish them.
    Partial,
}

impl Default for DirectWrite {
    fn default() -> Self {
        DirectWrite {
            idle_at: AtomicU64::new(BUSY),
            state: Mutex::new(DirectState {
                fd: None,
                leftover: Vec::new(),
            }),
        }
    }
}

impl DirectWrite {
    /// Cheap hint for the application: whether a direct write at `pos` could go ahead.
    #[inline]
    pub fn idle_at(&self, pos: u64) -> bool {
        self.idle_at.load(Ordering::Acquire) == pos
    }

    /// Application side: writes `bytes` (whole messages) if the I/O thread has
    /// written out everything up to pipe position `pos` and holds nothing back.
    pub fn try_write(&self, pos: u64, bytes: &[u8]) -> Direct {
        let mut st = self.state.lock();
        let Some(fd) = st.fd else {
            return Direct::Refused;
        };
        if !st.leftover.is_empty() || self.idle_at.load(Ordering::Acquire) != pos {
            return Direct::Refused;
        }
        let sent = match crate::io::sys::send_nonblocking(fd, bytes) {
            Ok(n) => n,
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => 0,
            // A broken connection: the I/O thread sees it too and reports it; what was
            // written to it is lost, as a message in flight on it would be.
            Err(_) => return Direct::Written,
        };
        if sent == bytes.len() {
            return Direct::Written;
        }
        st.leftover.extend_from_slice(&bytes[sent..]);
        self.idle_at.store(BUSY, Ordering::Release);
        Direct::Partial
    }

    /// I/O side: the connection (re)established and may take direct writes.
    pub fn attach(&self, fd: RawFd) {
        let mut st = self.state.lock();
        st.fd = Some(fd);
        st.leftover.clear();
        self.idle_at.store(BUSY, Ordering::Release);
    }

    /// I/O side: the connection is going away; direct writes stop before its socket
    /// is closed. Unfinished bytes die with the connection.
    pub fn detach(&self) {
        let mut st = self.state.lock();
        st.fd = None;
        st.leftover.clear();
        self.idle_at.store(BUSY, Ordering::Release);
    }

    /// I/O side: held while writing to the socket, so no direct write interleaves.
    pub fn lock(&self) -> MutexGuard<'_, DirectState> {
        self.state.lock()
    }

    /// I/O side, with the lock held: everything read from the pipe up to `pos` is
    /// written and nothing else is pending (None: something is).
    pub fn set_idle(&self, st: &DirectState, pos: Option<u64>) {
        let idle = match pos {
            Some(p) if st.fd.is_some() && st.leftover.is_empty() => p,
            _ => BUSY,
        };
        self.idle_at.store(idle, Ordering::Release);
    }
}
