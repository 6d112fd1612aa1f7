//! Wake-ups: a thread blocked in send/recv (or in `zmq_ctx_term`) sleeps on its
//! socket's signal, a poller sleeps on its own, and `ZMQ_FD` is an eventfd that becomes
//! readable whenever the socket may have become ready.
//!
//! Any number of threads may wait on one signal (thread-safe sockets, several
//! pollers): each takes the epoch first, looks, and sleeps until the epoch moves on
//! (`wake::EventCount`), so no waiter can consume another's wake-up. Pollers that
//! watch a socket are woken through the socket's signal too (`watch`).
//!
//! A waiter whose peer is another application thread (inproc) spins briefly before
//! it sleeps: the reply usually arrives within a few microseconds, and a sleep/wake
//! pair costs more than that. Messages from the network come through an I/O thread,
//! which a spinning waiter would only hold off the CPU on a small machine.
//!
//! The sleep is a futex wait on the epoch, always with a timeout: the kernel then ends
//! the wait with EINTR whenever a signal handler runs, whatever the handler's
//! SA_RESTART flag (a wait without a timeout would be restarted), so a blocked call
//! returns EINTR as libzmq's does (libzmq sleeps in poll(2), which is never
//! restarted). A notification costs a system call only when a waiter sleeps.

mod wake;

use std::os::fd::{AsRawFd, FromRawFd, OwnedFd, RawFd};
use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use once_cell::sync::OnceCell;
use parking_lot::Mutex;

use crate::error::{Errno, ZResult};
use wake::{EdgeFlag, EventCount, Slept};

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

/// The readiness signal of one socket (or of anything a thread waits on). Cache lines
/// of its own: its words are written by the socket's threads and by every notifier.
#[derive(Default)]
#[repr(align(128))]
pub struct Signal {
    events: EventCount,
    /// A command was queued since the owner last looked: lets send/recv skip the
    /// command queue entirely while messages flow (libzmq throttles the same check).
    commands: AtomicBool,
    /// Pollers watching this signal, on a cache line of their own: notifiers write
    /// the epoch's line on every notification and only read this one.
    watchers: Watchers,
    /// `ZMQ_FD`, created when first asked for.
    fd: OnceCell<EventFd>,
}

/// The pollers to wake along with a signal's waiters.
#[derive(Default)]
#[repr(align(64))]
struct Watchers {
    /// How many are in `list`: notifiers look at the list only when this is non-zero.
    count: AtomicU32,
    /// Bumped by the socket's own operations (under its lock) while pollers watch:
    /// they can change its readiness without any notification, and a poller that
    /// found the socket not ready need not look again while neither this nor the
    /// epoch moved.
    touched: AtomicU32,
    list: Mutex<Vec<Arc<PollWake>>>,
}

/// An eventfd whose readability follows an edge flag.
struct EventFd {
    fd: OwnedFd,
    flag: EdgeFlag,
}

impl EventFd {
    /// A new eventfd; readable at once when `armed`.
    fn new(armed: bool) -> ZResult<EventFd> {
        // SAFETY: plain syscall; the result is checked before use.
        let raw = unsafe { libc::eventfd(0, libc::EFD_NONBLOCK | libc::EFD_CLOEXEC) };
        if raw < 0 {
            return Err(last_errno(libc::EMFILE));
        }
        if armed {
            write_token(raw);
        }
        // SAFETY: `raw` is a fresh descriptor we own.
        let fd = unsafe { OwnedFd::from_raw_fd(raw) };
        let flag = if armed {
            EdgeFlag::armed()
        } else {
            EdgeFlag::default()
        };
        Ok(EventFd { fd, flag })
    }

    /// Makes the eventfd readable (once: a token already there is kept).
    fn arm(&self) {
        self.flag.arm(|| write_token(self.fd.as_raw_fd()));
    }

    /// Makes the eventfd unreadable until the next `arm`.
    fn clear(&self) {
        self.flag.clear(|| read_token(self.fd.as_raw_fd()));
    }
}

impl Signal {
    pub fn new() -> Signal {
        Signal::default()
    }

    /// Wakes every waiter (now, or at its next wait if it took the epoch before this),
    /// makes `ZMQ_FD` readable and wakes the watching pollers.
    pub fn notify(&self) {
        self.events.notify();
        if let Some(efd) = self.fd.get() {
            efd.arm();
        }
        // See `watch`: either this sees a new watcher, or its stamp sees this epoch.
        if self.watchers.count.load(Ordering::Acquire) != 0 {
            for w in self.watchers.list.lock().iter() {
                w.wake();
            }
        }
    }

    /// A command was queued for the owner: records it, then notifies.
    pub fn notify_command(&self) {
        self.commands.store(true, Ordering::Release);
        self.notify();
    }

    /// True (once) when commands were queued since the last call. A wait that saw
    /// the epoch move after `notify_command` always finds this set.
    #[inline]
    pub fn take_commands(&self) -> bool {
        self.commands.load(Ordering::Acquire) && self.commands.swap(false, Ordering::AcqRel)
    }

    /// The epoch to wait on: take it before looking at what you wait for.
    #[inline]
    pub fn epoch(&self) -> u32 {
        self.events.epoch()
    }

    /// Notes an operation of the socket's own, under its lock (see `touched`). Only
    /// while pollers watch: a poller registers before its first look, which takes the
    /// socket's lock, so an operation after that look sees the registration.
    #[inline]
    pub fn touch(&self) {
        let w = &self.watchers;
        if w.count.load(Ordering::Acquire) != 0 {
            let t = w.touched.load(Ordering::Relaxed);
            w.touched.store(t.wrapping_add(1), Ordering::Release);
        }
    }

    /// What a poller compares to skip a socket it found not ready: the epoch and the
    /// count of the socket's own operations.
    #[inline]
    pub fn stamp(&self) -> (u32, u32) {
        (
            self.events.epoch(),
            self.watchers.touched.load(Ordering::Acquire),
        )
    }

    /// Waits until a notification comes after `seen` (from `epoch`) or until
    /// `deadline` (None: forever), spinning briefly first when `spin`.
    pub fn wait(&self, seen: u32, deadline: Option<Instant>, spin: bool) -> Wake {
        if self.events.changed(seen) {
            return Wake::Notified;
        }
        if spin {
            let spin_until = Instant::now() + SPIN_FOR;
            let mut spins = 0u32;
            loop {
                if self.events.changed(seen) {
                    return Wake::Notified;
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
        }
        loop {
            let left = match deadline {
                Some(d) => {
                    let now = Instant::now();
                    if now >= d {
                        return if self.events.changed(seen) {
                            Wake::Notified
                        } else {
                            Wake::TimedOut
                        };
                    }
                    (d - now).min(LONGEST_SLEEP)
                }
                None => LONGEST_SLEEP,
            };
            match self.events.sleep(seen, left) {
                Slept::Changed => {
                    if self.events.changed(seen) {
                        return Wake::Notified;
                    }
                }
                Slept::Interrupted => return Wake::Interrupted,
                Slept::TimedOut => {}
            }
        }
    }

    /// The `ZMQ_FD` eventfd, created on first use (readable at once: the caller must
    /// look at `ZMQ_EVENTS` before relying on edges).
    pub fn fd(&self) -> ZResult<RawFd> {
        Ok(self
            .fd
            .get_or_try_init(|| EventFd::new(true))?
            .fd
            .as_raw_fd())
    }

    /// Makes `ZMQ_FD` unreadable until the next notification.
    #[inline]
    pub fn clear_fd(&self) {
        if let Some(efd) = self.fd.get() {
            efd.clear();
        }
    }

    /// Wakes `poller` along with this signal's waiters from now on. Take the epoch
    /// (`stamp`) only after this.
    pub fn watch(&self, poller: &Arc<PollWake>) {
        {
            let mut list = self.watchers.list.lock();
            list.push(poller.clone());
            self.watchers
                .count
                .store(list.len() as u32, Ordering::Release);
        }
        // A read-modify-write of the epoch after the count is stored: a notifier whose
        // own one comes later sees the count; one whose comes earlier is seen by the
        // poller's stamp. (It also wakes this socket's waiters once, which is harmless.)
        self.events.notify();
    }

    /// Stops waking `poller` (one registration of it).
    pub fn unwatch(&self, poller: &Arc<PollWake>) {
        let mut list = self.watchers.list.lock();
        if let Some(i) = list.iter().position(|w| Arc::ptr_eq(w, poller)) {
            list.swap_remove(i);
        }
        self.watchers
            .count
            .store(list.len() as u32, Ordering::Release);
    }
}

/// A poller's wake-up: the sockets it watches wake it through their signals, and its
/// eventfd wakes a poll(2) that also waits on plain descriptors. The eventfd is
/// written only while the poller sleeps (or when its descriptor was handed out by
/// `zmq_poller_fd`, which must then follow every wake-up), so a busy poller costs its
/// notifiers no system call. One thread at a time sleeps on it.
pub struct PollWake {
    events: EventCount,
    exported: AtomicBool,
    fd: EventFd,
}

impl PollWake {
    pub fn new() -> ZResult<PollWake> {
        Ok(PollWake {
            events: EventCount::default(),
            exported: AtomicBool::new(false),
            fd: EventFd::new(false)?,
        })
    }

    /// A watched socket may have become ready.
    pub fn wake(&self) {
        if self.events.bump() || self.exported.load(Ordering::Relaxed) {
            self.fd.arm();
        }
    }

    /// The epoch to sleep on: take it before looking at the sockets.
    pub fn epoch(&self) -> u32 {
        self.events.epoch()
    }

    /// The eventfd that is readable after a wake-up (while sleeping, or always once
    /// `export`ed).
    pub fn raw_fd(&self) -> RawFd {
        self.fd.fd.as_raw_fd()
    }

    /// From now on every wake-up makes the eventfd readable, not only while sleeping.
    /// Readable at once too (like a new `ZMQ_FD`): what woke the poller before is
    /// unknown, so the owner looks first.
    pub fn export(&self) {
        self.exported.store(true, Ordering::SeqCst);
        self.fd.arm();
    }

    pub fn is_exported(&self) -> bool {
        self.exported.load(Ordering::Relaxed)
    }

    /// Before sleeping on the eventfd: false when a wake-up came after `seen` (then
    /// do not sleep). Pair with `end_sleep`.
    pub fn begin_sleep(&self, seen: u32) -> bool {
        self.events.mark_sleeper(seen).is_some()
    }

    /// After sleeping: takes the eventfd's token, if any (unless exported: then the
    /// owner clears it when it finds nothing ready).
    pub fn end_sleep(&self) {
        self.events.unmark();
        if !self.is_exported() {
            self.fd.clear();
        }
    }

    /// Makes the eventfd unreadable until the next wake-up.
    pub fn clear(&self) {
        self.fd.clear();
    }

    /// Makes the eventfd readable (something is ready: an event loop polling the
    /// exported descriptor comes back for it).
    pub fn arm(&self) {
        self.fd.arm();
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

/// The futex calls behind `wake::EventCount`.
mod futex {
    use std::sync::atomic::AtomicU32;
    use std::time::Duration;

    use super::wake::Slept;

    /// Sleeps while `word` holds `expected`, at most `timeout`. The timeout is what
    /// makes the kernel answer EINTR even for an SA_RESTART handler: a timed futex
    /// wait is restarted only when no handler ran.
    pub(super) fn wait(word: &AtomicU32, expected: u32, timeout: Duration) -> Slept {
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
        if rc == 0 {
            return Slept::Changed;
        }
        match std::io::Error::last_os_error().raw_os_error() {
            Some(libc::EINTR) => Slept::Interrupted,
            Some(libc::ETIMEDOUT) => Slept::TimedOut,
            _ => Slept::Changed,
        }
    }

    /// Wakes every thread sleeping on `word`.
    pub(super) fn wake_all(word: &AtomicU32) {
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
}

fn write_token(fd: RawFd) {
    let one = 1u64;
    // SAFETY: writing 8 bytes from a u64 to an eventfd we own.
    unsafe { libc::write(fd, (&one as *const u64).cast(), 8) };
}

fn read_token(fd: RawFd) {
    let mut buf = 0u64;
    // SAFETY: reading 8 bytes into a u64 from our own non-blocking eventfd.
    unsafe { libc::read(fd, (&mut buf as *mut u64).cast(), 8) };
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn notify_before_wait_is_kept() {
        let s = Signal::new();
        let seen = s.epoch();
        s.notify();
        assert_eq!(s.wait(seen, Some(Instant::now()), true), Wake::Notified);
        let seen = s.epoch();
        assert_eq!(
            s.wait(seen, Some(Instant::now() + Duration::from_millis(5)), true),
            Wake::TimedOut
        );
    }

    #[test]
    fn wakes_a_parked_thread() {
        let s = Arc::new(Signal::new());
        let s2 = s.clone();
        let seen = s.epoch();
        let t = std::thread::spawn(move || s2.wait(seen, None, false));
        std::thread::sleep(Duration::from_millis(50));
        s.notify();
        assert_eq!(t.join().unwrap(), Wake::Notified);
    }

    /// Several threads sleep on one signal; each notification wakes all of them, and a
    /// waiter that gives up (timeout) leaves the others asleep but wakeable: the case
    /// where a second waiter used to make the first sleep until its hour was up.
    #[test]
    fn many_waiters_and_one_that_times_out() {
        let s = Arc::new(Signal::new());
        let seen = s.epoch();
        let sleepers: Vec<_> = (0..3)
            .map(|_| {
                let s = s.clone();
                std::thread::spawn(move || s.wait(seen, None, false))
            })
            .collect();
        let quitter = {
            let s = s.clone();
            std::thread::spawn(move || {
                s.wait(
                    seen,
                    Some(Instant::now() + Duration::from_millis(20)),
                    false,
                )
            })
        };
        assert_eq!(quitter.join().unwrap(), Wake::TimedOut);
        std::thread::sleep(Duration::from_millis(30));
        s.notify();
        for t in sleepers {
            assert_eq!(t.join().unwrap(), Wake::Notified);
        }
    }

    /// Waiters that took the epoch at different times: a notification between the two
    /// snapshots wakes only the first; the second sleeps until the next one.
    #[test]
    fn snapshots_are_per_waiter() {
        let s = Arc::new(Signal::new());
        let early = s.epoch();
        s.notify();
        let late = s.epoch();
        assert_eq!(s.wait(early, Some(Instant::now()), false), Wake::Notified);
        let s2 = s.clone();
        let t = std::thread::spawn(move || {
            s2.wait(late, Some(Instant::now() + Duration::from_secs(30)), false)
        });
        std::thread::sleep(Duration::from_millis(20));
        assert!(
            !t.is_finished(),
            "an old notification does not wake a new waiter"
        );
        s.notify();
        assert_eq!(t.join().unwrap(), Wake::Notified);
    }

    #[test]
    fn fd_follows_notifications_and_clears() {
        let s = Signal::new();
        let fd = s.fd().unwrap();
        let readable = || {
            let mut p = libc::pollfd {
                fd,
                events: libc::POLLIN,
                revents: 0,
            };
            // SAFETY: one valid pollfd.
            unsafe { libc::poll(&mut p, 1, 0) == 1 }
        };
        assert!(readable(), "a new ZMQ_FD is readable at once");
        s.clear_fd();
        assert!(!readable());
        s.notify();
        s.notify();
        assert!(readable());
        s.clear_fd();
        assert!(!readable(), "one clear takes every token");
    }

    #[test]
    fn watching_pollers_are_woken() {
        let s = Signal::new();
        let w = Arc::new(PollWake::new().unwrap());
        s.watch(&w);
        let seen = w.epoch();
        assert!(w.begin_sleep(seen));
        s.notify();
        let mut p = libc::pollfd {
            fd: w.raw_fd(),
            events: libc::POLLIN,
            revents: 0,
        };
        // SAFETY: one valid pollfd.
        assert_eq!(unsafe { libc::poll(&mut p, 1, 1000) }, 1);
        w.end_sleep();
        assert_ne!(w.epoch(), seen);
        s.unwatch(&w);
        let seen = w.epoch();
        s.notify();
        assert_eq!(w.epoch(), seen, "an unwatched poller is left alone");
    }
}
