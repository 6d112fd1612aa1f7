//! The wake-up protocol under every blocking call: an event count any number of
//! threads may wait on, and the edge flag behind `ZMQ_FD`. Kept apart from the system
//! calls (which `futex` wraps) so that `tests/loom` can model-check exactly this code
//! with every interleaving: built there with `--cfg loom`, the atomics are loom's and
//! the futex is a mutex and condition variable with the same contract.
//!
//! Event count: a waiter reads the epoch, then looks at whatever it waits for (a
//! message, a command) and, finding nothing, sleeps until the epoch moves on. A
//! notifier first makes its change visible, then bumps the epoch and wakes the
//! sleepers, if any. A waiter's snapshot is its own, so no waiter can take a wake-up
//! away from another, and a waiter that gives up (timeout, signal) leaves the others
//! as they were. The single-waiter fast path costs the notifier one read-modify-write
//! and one load, and a system call only when someone sleeps.
//!
//! Edge flag: `arm` (by notifiers) and `clear` (by the owner, before it looks at its
//! commands) keep libzmq's `ZMQ_FD` contract: after the owner cleared the flag and
//! found no command, a later command always re-arms it.

#[cfg(loom)]
use loom::sync::atomic::{fence, AtomicBool, AtomicU32, Ordering};
#[cfg(not(loom))]
use std::sync::atomic::{fence, AtomicBool, AtomicU32, Ordering};

#[cfg(not(loom))]
use std::time::Duration;

/// How a sleep ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Slept {
    /// The epoch moved on (or the sleep ended for no reason): look again.
    Changed,
    /// The timeout passed.
    TimedOut,
    /// A signal handler ran.
    Interrupted,
}

/// An event count in one word: the epoch in the upper 31 bits, bumped by every
/// notification, and in the lowest bit whether some thread may sleep on it. Every
/// change is a read-modify-write of that one word, so notifier and sleeper always
/// find each other in its single modification order (no store-buffering race).
#[derive(Default)]
pub struct EventCount {
    word: AtomicU32,
    #[cfg(loom)]
    futex: loom_futex::Futex,
}

/// The sleepers bit of `EventCount::word`, and one epoch step.
const SLEEPERS: u32 = 1;
const STEP: u32 = 2;

impl EventCount {
    /// The epoch now: take it before looking at what you wait for.
    #[inline]
    pub fn epoch(&self) -> u32 {
        self.word.load(Ordering::Acquire) >> 1
    }

    /// Whether a notification came after `seen` was taken.
    #[inline]
    pub fn changed(&self, seen: u32) -> bool {
        self.epoch() != seen
    }

    /// Moves the epoch on and wakes every sleeper. The change being announced must be
    /// visible before the call (this is a release).
    #[inline]
    pub fn notify(&self) {
        let before = self.word.fetch_add(STEP, Ordering::AcqRel);
        if before & SLEEPERS != 0 {
            self.wake_all();
        }
    }

    /// Moves the epoch on without waking anyone: true when a sleeper had marked
    /// itself (the caller wakes it its own way, as a poller sleeping in poll(2) on an
    /// eventfd). The mark goes, so the next bump is quiet until it sleeps again.
    #[inline]
    pub fn bump(&self) -> bool {
        let before = self.word.fetch_add(STEP, Ordering::AcqRel);
        if before & SLEEPERS == 0 {
            return false;
        }
        self.word.fetch_and(!SLEEPERS, Ordering::AcqRel);
        true
    }

    /// After a sleep that was not a futex wait (see `bump`), by the only sleeper:
    /// removes its mark.
    #[inline]
    pub fn unmark(&self) {
        self.word.fetch_and(!SLEEPERS, Ordering::AcqRel);
    }

    #[cold]
    fn wake_all(&self) {
        // Every sleeper is woken, so the bit can go: one that sleeps again sets it
        // again (and one that set it just now finds the word changed and retries).
        self.word.fetch_and(!SLEEPERS, Ordering::AcqRel);
        #[cfg(not(loom))]
        super::futex::wake_all(&self.word);
        #[cfg(loom)]
        self.futex.wake_all();
    }

    /// Marks a sleeper for the epoch `seen`: the word to sleep on, or None when the
    /// epoch has moved on already (then do not sleep).
    #[inline]
    pub fn mark_sleeper(&self, seen: u32) -> Option<u32> {
        let mut cur = self.word.load(Ordering::Acquire);
        loop {
            if cur >> 1 != seen & (u32::MAX >> 1) {
                return None;
            }
            if cur & SLEEPERS != 0 {
                return Some(cur);
            }
            match self.word.compare_exchange(
                cur,
                cur | SLEEPERS,
                Ordering::AcqRel,
                Ordering::Acquire,
            ) {
                Ok(_) => return Some(cur | SLEEPERS),
                Err(now) => cur = now,
            }
        }
    }

    /// Sleeps until the epoch is no longer `seen`, at most `timeout`.
    #[cfg(not(loom))]
    pub fn sleep(&self, seen: u32, timeout: Duration) -> Slept {
        match self.mark_sleeper(seen) {
            None => Slept::Changed,
            // The kernel compares the word with `expected` atomically with queueing
            // this thread, so a notification since the mark is not lost.
            Some(expected) => super::futex::wait(&self.word, expected, timeout),
        }
    }

    /// The model's sleep: `timed` stands for a sleep whose timeout passes (or a signal
    /// handler that runs) before any notification, so it returns without one.
    #[cfg(loom)]
    pub fn sleep(&self, seen: u32, timed: bool) -> Slept {
        match self.mark_sleeper(seen) {
            None => Slept::Changed,
            Some(_) if timed => Slept::TimedOut,
            Some(expected) => {
                self.futex.wait(&self.word, expected);
                Slept::Changed
            }
        }
    }
}

/// Whether the edge-triggered descriptor holds a token, with a lock-free hint for the
/// common case. What the token is (an eventfd's counter) is the caller's: `arm` and
/// `clear` say when to write or read it.
#[derive(Default)]
pub struct EdgeFlag {
    /// Changed only under `lock`.
    armed: AtomicBool,
    lock: AtomicBool,
}

impl EdgeFlag {
    /// A flag holding a token already (a new `ZMQ_FD` is readable at once).
    pub fn armed() -> EdgeFlag {
        EdgeFlag {
            armed: AtomicBool::new(true),
            lock: AtomicBool::new(false),
        }
    }

    fn lock(&self) {
        while self
            .lock
            .compare_exchange_weak(false, true, Ordering::Acquire, Ordering::Relaxed)
            .is_err()
        {
            #[cfg(loom)]
            loom::thread::yield_now();
            #[cfg(not(loom))]
            std::hint::spin_loop();
        }
    }

    fn unlock(&self) {
        self.lock.store(false, Ordering::Release);
    }

    /// After the notifier made its change visible: makes the flag set, calling `write`
    /// (which puts the token in) when it was clear.
    #[inline]
    pub fn arm(&self, write: impl FnOnce()) {
        // Orders the caller's change before the flag read; pairs with the fence in
        // `clear`, so one of the two sides always sees the other.
        fence(Ordering::SeqCst);
        if self.armed.load(Ordering::Acquire) {
            return;
        }
        self.lock();
        if !self.armed.load(Ordering::Relaxed) {
            // Written under the lock, so a clear never finds the flag set and the
            // token not there yet.
            write();
            self.armed.store(true, Ordering::Release);
        }
        self.unlock();
    }

    /// Before the owner looks at its commands: makes the flag clear, calling `read`
    /// (which takes the token away) when it was set.
    #[inline]
    pub fn clear(&self, read: impl FnOnce()) {
        if !self.armed.load(Ordering::Acquire) {
            return;
        }
        self.lock();
        if self.armed.load(Ordering::Relaxed) {
            self.armed.store(false, Ordering::Release);
            // The owner reads its commands next: that read must not pass this store.
            fence(Ordering::SeqCst);
            read();
        }
        self.unlock();
    }

    /// Whether a token is held (for the model's assertions).
    #[cfg(loom)]
    pub fn is_armed(&self) -> bool {
        self.armed.load(Ordering::SeqCst)
    }
}

/// The model's futex: a mutex and a condition variable keyed on nothing but this event
/// count, with the futex contract (the word is compared under the lock wakers take).
#[cfg(loom)]
mod loom_futex {
    use loom::sync::atomic::{AtomicU32, Ordering};
    use loom::sync::{Condvar, Mutex};

    #[derive(Default)]
    pub struct Futex {
        lock: Mutex<()>,
        cond: Condvar,
    }

    impl Futex {
        pub fn wait(&self, word: &AtomicU32, expected: u32) {
            let guard = self.lock.lock().unwrap();
            if word.load(Ordering::SeqCst) == expected {
                drop(self.cond.wait(guard).unwrap());
            }
        }

        pub fn wake_all(&self) {
            let _guard = self.lock.lock().unwrap();
            self.cond.notify_all();
        }
    }
}
