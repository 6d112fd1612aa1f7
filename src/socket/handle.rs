//! What a C `void *socket` points at, and the blocking send/recv loop.
//!
//! A handle is a small record that is never freed (see `util::quarantine`): its first
//! word holds a tag and a generation, its lock guards the socket's state, which is
//! allocated on its own and dropped at `zmq_close`. A `SocketRef` is a handle as seen
//! by one call: the record plus the generation the call started with, so a handle
//! closed (and even reused) meanwhile answers ENOTSOCK instead of driving another socket.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use parking_lot::{Mutex, MutexGuard};

use super::SocketCore;
use crate::abi::*;
use crate::ctx::Ctx;
use crate::error::{Errno, ZResult};
use crate::msg::Msg;
use crate::options::Options;
use crate::signal::Wake;
use crate::util::quarantine::{handle_state, state_tag, Quarantine};

/// Tags of live and closed socket records; negative as C ints (never a valid fd).
const TAG_LIVE: u32 = 0xbadd_ecaf;
const TAG_DEAD: u32 = 0xdead_ecaf;

/// Closed socket records wait behind this many others before reuse: at most 4 MiB of
/// records, and a stale handle reads as closed until 65536 more sockets have closed.
static CLOSED: Quarantine<SocketHandle> = Quarantine::new(65536);

/// The record behind a socket handle. `repr(C)`: the state word comes first, so the
/// first `int` of a handle is the (negative) tag. Two cache lines of its own (the unit
/// the adjacent-line prefetcher moves), so the hot lock word never shares a line with
/// another socket's.
#[repr(C, align(128))]
pub struct SocketHandle {
    state: AtomicU64,
    core: Mutex<Option<Box<SocketCore>>>,
}

/// A socket handle as one call sees it.
#[derive(Clone, Copy)]
pub struct SocketRef {
    handle: &'static SocketHandle,
    state: u64,
}

impl SocketHandle {
    /// Creates a socket.
    pub fn create(ctx: Arc<Ctx>, socket_type: i32) -> ZResult<SocketRef> {
        let core = Box::new(SocketCore::new(ctx, socket_type)?);
        let handle: &'static SocketHandle = match CLOSED.reuse() {
            Some(h) => h,
            None => Box::leak(Box::new(SocketHandle {
                state: AtomicU64::new(handle_state(TAG_DEAD, 0)),
                core: Mutex::new(None),
            })),
        };
        let mut slot = handle.core.lock();
        *slot = Some(core);
        let generation = (handle.state.load(Ordering::Relaxed) >> 32) as u32;
        let state = handle_state(TAG_LIVE, generation);
        handle.state.store(state, Ordering::Release);
        drop(slot);
        Ok(SocketRef { handle, state })
    }

    /// The live socket at `p`, with its current generation; ENOTSOCK for anything else.
    ///
    /// # Safety
    /// `p` must be NULL, a pointer returned by `create`, or a pointer to readable memory
    /// of at least one aligned record (the C API's contract for a `void *socket`).
    pub unsafe fn from_ptr(p: *mut std::ffi::c_void) -> ZResult<SocketRef> {
        if p.is_null() || !(p as usize).is_multiple_of(std::mem::align_of::<SocketHandle>()) {
            return Err(Errno::ENOTSOCK);
        }
        // SAFETY: records are never freed, and the caller vouches for anything else.
        let handle = unsafe { &*(p as *const SocketHandle) };
        let state = handle.state.load(Ordering::Acquire);
        if state_tag(state) != TAG_LIVE {
            return Err(Errno::ENOTSOCK);
        }
        Ok(SocketRef { handle, state })
    }
}

impl SocketRef {
    /// The handle as the C API hands it out.
    pub fn as_ptr(&self) -> *mut std::ffi::c_void {
        self.handle as *const SocketHandle as *mut std::ffi::c_void
    }

    /// Locks the socket for an operation of the application's; ENOTSOCK once it
    /// was closed. The operation may change the socket's readiness, which pollers
    /// learn when the lock is released (`Signal::touch`).
    pub fn lock(&self) -> ZResult<SocketGuard<'static>> {
        self.lock_as(true)
    }

    /// Locks the socket to look at it only (a poller reading its events).
    pub fn lock_quiet(&self) -> ZResult<SocketGuard<'static>> {
        self.lock_as(false)
    }

    fn lock_as(&self, touch: bool) -> ZResult<SocketGuard<'static>> {
        let guard = self.handle.core.lock();
        // Closing empties the slot and bumps the generation under this lock.
        if guard.is_none() || self.handle.state.load(Ordering::Relaxed) != self.state {
            return Err(Errno::ENOTSOCK);
        }
        Ok(SocketGuard { guard, touch })
    }

    /// The generation-tagged state this reference was made with: two references to
    /// the same live socket compare equal.
    pub fn same_socket(&self, other: &SocketRef) -> bool {
        std::ptr::eq(self.handle, other.handle) && self.state == other.state
    }

    /// `zmq_close`.
    pub fn close(&self) -> ZResult<()> {
        let core = {
            let mut slot = self.handle.core.lock();
            if self.handle.state.load(Ordering::Relaxed) != self.state {
                return Err(Errno::ENOTSOCK);
            }
            let core = slot.take().ok_or(Errno::ENOTSOCK)?;
            let generation = (self.state >> 32) as u32;
            self.handle.state.store(
                handle_state(TAG_DEAD, generation.wrapping_add(1)),
                Ordering::Release,
            );
            core
        };
        if core.ctx.forked() {
            // A forked child: the pipes, descriptors and threads are the parent's.
            // The record is left out of the quarantine, whose lock a parent thread
            // may have held at the fork.
            std::mem::forget(core);
            return Ok(());
        }
        // Threads blocked on the socket and pollers watching it look again (and find
        // it closed).
        core.signal.touch();
        core.signal.notify();
        core.close();
        CLOSED.retire(self.handle);
        Ok(())
    }

    /// Runs `attempt` until it stops answering EAGAIN, the way libzmq blocks: at once
    /// with DONTWAIT or a zero timeout, until `timeout_ms` otherwise (-1: forever),
    /// ETERM as soon as the context terminates, EINTR when a signal handler ran
    /// while it slept. `attempt` gets whether it may wait.
    fn blocking<T>(
        &self,
        flags: i32,
        timeout_of: impl Fn(&Options) -> i32,
        mut attempt: impl FnMut(&mut SocketCore, bool) -> ZResult<T>,
    ) -> ZResult<T> {
        let mut deadline = None;
        loop {
            let (signal, spin, seen) = {
                let mut core = self.lock()?;
                // Taken before looking: a notification after it ends the wait below.
                let seen = core.signal.epoch();
                core.check_alive()?;
                core.process_commands();
                let timeout = timeout_of(&core.options);
                let may_wait = flags & ZMQ_DONTWAIT == 0 && timeout != 0;
                match attempt(&mut core, may_wait) {
                    Err(Errno::EAGAIN) if may_wait => {}
                    r => return r,
                }
                if deadline.is_none() && timeout > 0 {
                    deadline = Some(Instant::now() + Duration::from_millis(timeout as u64));
                }
                (core.signal.clone(), core.pipes.has_local(), seen)
            };
            match signal.wait(seen, deadline, spin) {
                Wake::Interrupted => return Err(Errno::EINTR),
                Wake::TimedOut if deadline.is_some_and(|d| Instant::now() >= d) => {
                    let mut core = self.lock()?;
                    core.check_alive()?;
                    core.process_commands();
                    return attempt(&mut core, false);
                }
                _ => {}
            }
        }
    }

    /// `zmq_msg_send` with libzmq's blocking, timeout and ETERM rules.
    pub fn send(&self, msg: &mut Msg, flags: i32) -> ZResult<()> {
        msg.set_more(flags & ZMQ_SNDMORE != 0);
        self.blocking(flags, |o| o.sndtimeo, |core, _| core.try_send(msg))
    }

    /// `zmq_msg_recv` with libzmq's blocking, timeout and ETERM rules.
    pub fn recv(&self, flags: i32) -> ZResult<Msg> {
        self.blocking(
            flags,
            |o| o.rcvtimeo,
            |core, may_wait| core.try_recv(may_wait),
        )
    }
}

/// A locked live socket.
pub struct SocketGuard<'a> {
    guard: MutexGuard<'a, Option<Box<SocketCore>>>,
    /// Tell pollers, at unlock, that the socket's readiness may have changed.
    touch: bool,
}

impl std::ops::Deref for SocketGuard<'_> {
    type Target = SocketCore;
    fn deref(&self) -> &SocketCore {
        self.guard.as_ref().expect("checked at lock")
    }
}

impl std::ops::DerefMut for SocketGuard<'_> {
    fn deref_mut(&mut self) -> &mut SocketCore {
        self.guard.as_mut().expect("checked at lock")
    }
}

impl Drop for SocketGuard<'_> {
    fn drop(&mut self) {
        if self.touch {
            if let Some(core) = self.guard.as_ref() {
                core.signal.touch();
            }
        }
    }
}
