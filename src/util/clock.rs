//! The monotonic clock used by stopwatches and timers, in libzmq's units (µs, ms).

use std::sync::OnceLock;
use std::time::Instant;

/// Fixed point all readings are measured from; only differences are meaningful.
fn epoch() -> Instant {
    static EPOCH: OnceLock<Instant> = OnceLock::new();
    *EPOCH.get_or_init(Instant::now)
}

/// Microseconds on a monotonic clock (never goes backwards, unaffected by wall-clock changes).
pub fn now_us() -> u64 {
    u64::try_from(epoch().elapsed().as_micros()).unwrap_or(u64::MAX)
}

/// Milliseconds on the same monotonic clock as [`now_us`].
pub fn now_ms() -> u64 {
    now_us() / 1000
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn is_monotonic_and_consistent() {
        let a = now_us();
        std::thread::sleep(std::time::Duration::from_millis(3));
        let b = now_us();
        assert!(b >= a + 3000);
        assert!(now_ms() >= b / 1000);
    }
}
