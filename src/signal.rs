//! Wake-ups for one socket: a thread blocked in send/recv sleeps here, and `ZMQ_FD`
//! is an eventfd that becomes readable whenever the socket may have become ready.
//!
//! A waiter whose peer is another application thread (inproc) spins briefly before
//! it sleeps: the reply usually arrives within a few microseconds, and a sleep/wake
//! pair costs more than that. Messages from the network come through an I/O thread,
//! which a spinning waiter would only hold off the CPU on a small machine.
//!
//! The sleep is a futex wait on the signal's state word, always with a timeout: the
//! kernel then ends the wait with EINTR whenever a signal handler runs, whatever the
//! handler's SA_RESTART flag (a wait without a timeout would be restarted), so a
//! blocked call returns EINTR as libzmq's does (libzmq sleeps in poll(2), which is
//! never restarted). A notification costs a system call only when a waiter sleeps.

use std::os::fd::{AsRawFd, FromRawFd, OwnedFd, RawFd};
use std::sync::atomic::{fence, AtomicBool, AtomicU32, Ordering};
use std::time::{Duration, Instant};

use once_cell::sync::OnceCell;
use parking_lot::Mutex;

use crate::error::{Errno, ZResult};

const IDLE: u32 = 0;
const NOTIFIED: u32 = 1;
const SLEEPING: u32 = 2;

/// How long a waiter spins before it sleeps.
const SPIN_FOR: Duration = Duration::from_micros(20);

/// How a wait ended.
#[derive(Debug, PartialEq, Eq)]
pub enum Wake {
    /// Notified (or woken spuriously): look again.
    Notified,
    /// The deadline passed.
    TimedOut,
    /// A signal handler ran: the blocked call returns EINTR.
    Interrupted,
}

/// The readiness signal of one socket. Cache lines of its own: its state word is
/// written by the socket's thread and by every notifier.
#[derive(Default)]
#[repr(align(128))]
pub struct Signal {
    state: AtomicU32,
    /// A command was queued since the owner last looked: lets send/recv skip the
    /// command queue entirely while messages flow (libzmq throttles the same check).
    commands: AtomicBool,
    /// `ZMQ_FD`, created when first asked for.
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

impl EventFd {
    fn new() -> ZResult<EventFd> {
        // SAFETY: plain syscall; the result is checked before use.
        let raw = unsafe { libc::eventfd(0, libc::EFD_NONBLOCK | libc::EFD_CLOEXEC) };
        if raw < 0 {
            return Err(last_errno(libc::EMFILE));
        }
        write_token(raw);
        // SAFETY: `raw` is a fresh descriptor we own.
        let fd = unsafe { OwnedFd::from_raw_fd(raw) };
        Ok(EventFd {
            fd,
            armed: Mutex::new(true),
            armed_hint: AtomicBool::new(true),
        })
    }

    /// Makes the eventfd readable (once: a token already there is kept).
    fn arm(&self) {
        // Orders the caller's command push before the hint read; pairs with the
        // fence in `clear_fd` so one of the two sides always sees the other.
        fence(Ordering::SeqCst);
        if self.armed_hint.load(Ordering::Acquire) {
            return;
        }
        let mut armed = self.armed.lock();
        if !*armed {
            *armed = true;
            write_token(self.fd.as_raw_fd());
            self.armed_hint.store(true, Ordering::Release);
        }
    }
}

impl Signal {
    pub fn new() -> Signal {
        Signal::default()
    }

    /// Wakes the waiter (now or at its next wait) and makes `ZMQ_FD` readable.
    pub fn notify(&self) {
        if self.state.swap(NOTIFIED, Ordering::AcqRel) == SLEEPING {
            futex_wake(&self.state);
        }
        if let Some(efd) = self.fd.get() {
            efd.arm();
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
    /// first when `spin`. A notification that came before the call returns at once.
    pub fn wait(&self, deadline: Option<Instant>, spin: bool) -> Wake {
        let spin_until = Instant::now() + SPIN_FOR;
        let mut spins = 0u32;
        loop {
            // Consumed with a swap, which reads the latest notification: a plain store
            // could overwrite a second one whose writes this thread has not seen yet.
            if self.state.load(Ordering::Acquire) == NOTIFIED {
                self.state.swap(IDLE, Ordering::AcqRel);
                return Wake::Notified;
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
        match self
            .state
            .compare_exchange(IDLE, SLEEPING, Ordering::AcqRel, Ordering::Acquire)
        {
            Ok(_) => {}
            Err(NOTIFIED) => {
                self.state.swap(IDLE, Ordering::AcqRel);
                return Wake::Notified;
            }
            // Another thread of the program sleeps on this socket too (which libzmq
            // does not allow): sleep alongside, a notification wakes both.
            Err(_) => {}
        }
        loop {
            let now = Instant::now();
            let left = match deadline {
                Some(d) if now >= d => {
                    return match self.state.compare_exchange(
                        SLEEPING,
                        IDLE,
                        Ordering::AcqRel,
                        Ordering::Acquire,
                    ) {
                        Err(NOTIFIED) => {
                            self.state.swap(IDLE, Ordering::AcqRel);
                            Wake::Notified
                        }
                        _ => Wake::TimedOut,
                    };
                }
                Some(d) => (d - now).min(LONGEST_SLEEP),
                None => LONGEST_SLEEP,
            };
            let interrupted = futex_wait(&self.state, SLEEPING, left);
            if self.state.load(Ordering::Acquire) != SLEEPING {
                // Notified, or the other sleeper took the notification: look again.
                self.state.swap(IDLE, Ordering::AcqRel);
                return Wake::Notified;
            }
            if interrupted {
                // A notification that raced with the signal stays for the next wait.
                let _ = self.state.compare_exchange(
                    SLEEPING,
                    IDLE,
                    Ordering::AcqRel,
                    Ordering::Acquire,
                );
                return Wake::Interrupted;
            }
        }
    }

    /// The `ZMQ_FD` eventfd, created on first use (readable at once: the caller must
    /// look at `ZMQ_EVENTS` before relying on edges).
    pub fn fd(&self) -> ZResult<RawFd> {
        Ok(self.fd.get_or_try_init(EventFd::new)?.fd.as_raw_fd())
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

/// The calling thread's errno, or `default` when there is none.
fn last_errno(default: i32) -> Errno {
    Errno(
        std::io::Error::last_os_error()
            .raw_os_error()
            .unwrap_or(default),
    )
}

/// A timed wait never outlasts this; longer waits are made of several.
const LONGEST_SLEEP: Duration = Duration::from_secs(3600);

/// Sleeps while `word` holds `expected`, at most `timeout`. True when a signal handler
/// ran. The timeout is what makes the kernel answer EINTR even for an SA_RESTART
/// handler: a timed futex wait is restarted only when no handler ran.
fn futex_wait(word: &AtomicU32, expected: u32, timeout: Duration) -> bool {
    let ts = libc::timespec {
        tv_sec: timeout.as_secs() as libc::time_t,
        tv_nsec: timeout.subsec_nanos() as libc::c_long,
    };
    // SAFETY: `word` is a live, aligned u32; `ts` outlives the call.
    let rc = unsafe {
        libc::syscall(
            libc::SYS_futex,
            word.as_ptr(),
            libc::FUTEX_WAIT | libc::FUTEX_PRIVATE_FLAG,
            expected,
            &ts as *const libc::timespec,
        )
    };
    rc == -1 && last_errno(0) == Errno::EINTR
}

/// Wakes every thread sleeping on `word`.
fn futex_wake(word: &AtomicU32) {
    // SAFETY: `word` is a live, aligned u32; waking has no other effect.
    unsafe {
        libc::syscall(
            libc::SYS_futex,
            word.as_ptr(),
            libc::FUTEX_WAKE | libc::FUTEX_PRIVATE_FLAG,
            i32::MAX,
        )
    };
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
        assert_eq!(s.wait(Some(Instant::now()), true), Wake::Notified);
        assert_eq!(
            s.wait(Some(Instant::now() + Duration::from_millis(5)), true),
            Wake::TimedOut
        );
    }

    #[test]
    fn wakes_a_parked_thread() {
        let s = Arc::new(Signal::new());
        let s2 = s.clone();
        let t = std::thread::spawn(move || s2.wait(None, false));
        std::thread::sleep(Duration::from_millis(50));
        s.notify();
        assert_eq!(t.join().unwrap(), Wake::Notified);
    }
}
