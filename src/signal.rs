//! Wake-ups for one socket: a thread blocked in send/recv sleeps here, and `ZMQ_FD`
//! is an eventfd that becomes readable whenever the socket may have become ready.
//!
//! A waiter whose peer is another application thread (inproc) spins briefly before
//! parking: the reply usually arrives within a few microseconds, and a futex sleep/wake
//! pair costs more than that. Messages from the network come through an I/O thread,
//! which a spinning waiter would only hold off the CPU on a small machine.

use std::os::fd::{AsRawFd, FromRawFd, OwnedFd, RawFd};
use std::sync::atomic::{fence, AtomicBool, AtomicU32, Ordering};
use std::time::{Duration, Instant};

use once_cell::sync::OnceCell;
use parking_lot::{Condvar, Mutex};

use crate::error::{Errno, ZResult};

const IDLE: u32 = 0;
const NOTIFIED: u32 = 1;
const SLEEPING: u32 = 2;

/// How long a waiter spins before it parks.
const SPIN_FOR: Duration = Duration::from_micros(20);

/// The readiness signal of one socket.
#[derive(Default)]
pub struct Signal {
    state: AtomicU32,
    /// A command was queued since the owner last looked: lets send/recv skip the
    /// command queue entirely while messages flow (libzmq throttles the same check).
    commands: AtomicBool,
    lock: Mutex<()>,
    cond: Condvar,
    fd: OnceCell<EventFd>,
}

/// An eventfd plus whether it currently holds a token.
struct EventFd {
    fd: OwnedFd,
    /// Whether the eventfd holds a token; changed only under this lock.
    armed: Mutex<bool>,
    /// Lock-free copy of `armed`, so send/recv skip the lock in the common case. A
    /// stale read only costs a spurious readable fd, which the contract allows: the
    /// owner looks at its commands right after clearing.
    armed_hint: AtomicBool,
}

impl Signal {
    pub fn new() -> Signal {
        Signal::default()
    }

    /// Wakes the waiter (now or at its next wait) and makes `ZMQ_FD` readable.
    pub fn notify(&self) {
        if self.state.swap(NOTIFIED, Ordering::AcqRel) == SLEEPING {
            let _guard = self.lock.lock();
            self.cond.notify_all();
        }
        if let Some(efd) = self.fd.get() {
            // Orders the caller's command push before the hint read; pairs with the
            // fence in `clear_fd` so one of the two sides always sees the other.
            fence(Ordering::SeqCst);
            if efd.armed_hint.load(Ordering::Acquire) {
                return;
            }
            let mut armed = efd.armed.lock();
            if !*armed {
                *armed = true;
                write_token(efd.fd.as_raw_fd());
                efd.armed_hint.store(true, Ordering::Release);
            }
        }
    }

    /// A command was queued for the owner: records it, then notifies.
    pub fn notify_command(&self) {
        self.commands.store(true, Ordering::Release);
        self.notify();
    }

    /// True (once) when commands were queued since the last call. A `wait` that
    /// returned after `notify_command` always finds this set.
    #[inline]
    pub fn take_commands(&self) -> bool {
        self.commands.load(Ordering::Acquire) && self.commands.swap(false, Ordering::AcqRel)
    }

    /// Waits for a notification until `deadline` (None: forever), spinning briefly
    /// first when `spin`. Returns false on timeout. A notification that came before
    /// the call returns at once.
    pub fn wait(&self, deadline: Option<Instant>, spin: bool) -> bool {
        let spin_until = Instant::now() + SPIN_FOR;
        let mut spins = 0u32;
        loop {
            if self.state.load(Ordering::Acquire) == NOTIFIED {
                self.state.store(IDLE, Ordering::Release);
                return true;
            }
            if !spin {
                break;
            }
            spins += 1;
            if spins.is_multiple_of(64) {
                let now = Instant::now();
                if now >= spin_until || deadline.is_some_and(|d| now >= d) {
                    break;
                }
            }
            std::hint::spin_loop();
        }
        let mut guard = self.lock.lock();
        if self
            .state
            .compare_exchange(IDLE, SLEEPING, Ordering::AcqRel, Ordering::Acquire)
            .is_err()
        {
            self.state.store(IDLE, Ordering::Release);
            return true;
        }
        loop {
            match deadline {
                None => self.cond.wait(&mut guard),
                Some(d) => {
                    if self.cond.wait_until(&mut guard, d).timed_out() {
                        return self
                            .state
                            .compare_exchange(SLEEPING, IDLE, Ordering::AcqRel, Ordering::Acquire)
                            .map(|_| false)
                            .unwrap_or_else(|_| {
                                self.state.store(IDLE, Ordering::Release);
                                true
                            });
                    }
                }
            }
            if self.state.load(Ordering::Acquire) == NOTIFIED {
                self.state.store(IDLE, Ordering::Release);
                return true;
            }
        }
    }

    /// The `ZMQ_FD` eventfd, created on first use (readable at once: the caller must
    /// look at `ZMQ_EVENTS` before relying on edges).
    pub fn fd(&self) -> ZResult<RawFd> {
        let efd = self.fd.get_or_try_init(|| {
            // SAFETY: plain syscall; the result is checked before use.
            let raw = unsafe { libc::eventfd(0, libc::EFD_NONBLOCK | libc::EFD_CLOEXEC) };
            if raw < 0 {
                return Err(Errno(
                    std::io::Error::last_os_error()
                        .raw_os_error()
                        .unwrap_or(libc::EMFILE),
                ));
            }
            write_token(raw);
            // SAFETY: `raw` is a fresh descriptor we own.
            let fd = unsafe { OwnedFd::from_raw_fd(raw) };
            Ok(EventFd {
                fd,
                armed: Mutex::new(true),
                armed_hint: AtomicBool::new(true),
            })
        })?;
        Ok(efd.fd.as_raw_fd())
    }

    /// Makes `ZMQ_FD` unreadable until the next notification.
    pub fn clear_fd(&self) {
        if let Some(efd) = self.fd.get() {
            if !efd.armed_hint.load(Ordering::Acquire) {
                return;
            }
            let mut armed = efd.armed.lock();
            if *armed {
                *armed = false;
                efd.armed_hint.store(false, Ordering::Release);
                // The owner reads its commands next: that read must not pass this store.
                fence(Ordering::SeqCst);
                let mut buf = 0u64;
                // SAFETY: reading 8 bytes into a u64 from our own non-blocking eventfd.
                unsafe { libc::read(efd.fd.as_raw_fd(), (&mut buf as *mut u64).cast(), 8) };
            }
        }
    }
}

fn write_token(fd: RawFd) {
    let one = 1u64;
    // SAFETY: writing 8 bytes from a u64 to an eventfd we own.
    unsafe { libc::write(fd, (&one as *const u64).cast(), 8) };
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;

    #[test]
    fn notify_before_wait_is_kept() {
        let s = Signal::new();
        s.notify();
        assert!(s.wait(Some(Instant::now()), true));
        assert!(!s.wait(Some(Instant::now() + Duration::from_millis(5)), true));
    }

    #[test]
    fn wakes_a_parked_thread() {
        let s = Arc::new(Signal::new());
        let s2 = s.clone();
        let t = std::thread::spawn(move || s2.wait(None, false));
        std::thread::sleep(Duration::from_millis(50));
        s.notify();
        assert!(t.join().unwrap());
    }
}
