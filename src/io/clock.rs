//! The clock seam: the event loop reads the time from a `Clock` once per turn and
//! passes it to every room (connecters, sessions, engines), which never read a clock
//! themselves. Tests drive reconnects, linger, heartbeats and handshake timeouts with
//! a `FakeClock` in memory instead of waiting.

use std::time::Instant;

/// Where the event loop gets the time.
pub(crate) trait Clock: Send {
    fn now(&self) -> Instant;
}

/// The monotonic system clock.
pub(crate) struct SystemClock;

impl Clock for SystemClock {
    #[inline]
    fn now(&self) -> Instant {
        Instant::now()
    }
}

/// A clock that moves only when told (tests).
#[cfg(test)]
#[derive(Clone)]
pub(crate) struct FakeClock(std::sync::Arc<parking_lot::Mutex<Instant>>);

#[cfg(test)]
impl FakeClock {
    pub(crate) fn new() -> FakeClock {
        FakeClock(std::sync::Arc::new(parking_lot::Mutex::new(Instant::now())))
    }

    pub(crate) fn advance(&self, by: std::time::Duration) {
        *self.0.lock() += by;
    }
}

#[cfg(test)]
impl Clock for FakeClock {
    fn now(&self) -> Instant {
        *self.0.lock()
    }
}
