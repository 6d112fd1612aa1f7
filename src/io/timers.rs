//! The event loop's timer heap: each entry names the room (by token) that asked to be
//! woken at a deadline. A room keeps one deadline at a time; moving it pushes a new
//! entry and leaves the old one to be recognised as stale when it comes up (the room's
//! current deadline no longer matches), so scheduling is O(log n) and nothing scans
//! every connection per turn.

use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::time::Instant;

/// Deadlines in order, each with the key of who is due then.
pub(crate) struct TimerHeap<K: Ord + Copy> {
    heap: BinaryHeap<Reverse<(Instant, K)>>,
}

impl<K: Ord + Copy> Default for TimerHeap<K> {
    fn default() -> Self {
        TimerHeap {
            heap: BinaryHeap::new(),
        }
    }
}

impl<K: Ord + Copy> TimerHeap<K> {
    /// Asks for `key` to come up at `at`.
    pub(crate) fn push(&mut self, at: Instant, key: K) {
        self.heap.push(Reverse((at, key)));
    }

    /// The earliest deadline queued (possibly stale).
    pub(crate) fn next(&self) -> Option<Instant> {
        self.heap.peek().map(|Reverse((at, _))| *at)
    }

    /// Takes the earliest entry due at `now`.
    pub(crate) fn pop_due(&mut self, now: Instant) -> Option<(Instant, K)> {
        match self.heap.peek() {
            Some(Reverse((at, _))) if *at <= now => self.heap.pop().map(|Reverse(e)| e),
            _ => None,
        }
    }

    pub(crate) fn len(&self) -> usize {
        self.heap.len()
    }

    /// Drops stale entries (those `live` rejects), when they outnumber the rest.
    pub(crate) fn compact(&mut self, live: impl Fn(Instant, K) -> bool) {
        let entries = std::mem::take(&mut self.heap).into_vec();
        self.heap = entries
            .into_iter()
            .filter(|Reverse((at, k))| live(*at, *k))
            .collect();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn entries_come_up_in_deadline_order_only_when_due() {
        let t0 = Instant::now();
        let mut h = TimerHeap::default();
        h.push(t0 + Duration::from_millis(30), 3u32);
        h.push(t0 + Duration::from_millis(10), 1);
        h.push(t0 + Duration::from_millis(20), 2);
        assert_eq!(h.next(), Some(t0 + Duration::from_millis(10)));
        assert!(h.pop_due(t0).is_none());
        let due: Vec<u32> = std::iter::from_fn(|| h.pop_due(t0 + Duration::from_millis(25)))
            .map(|(_, k)| k)
            .collect();
        assert_eq!(due, [1, 2]);
        assert_eq!(h.len(), 1);
    }

    #[test]
    fn compaction_keeps_live_entries() {
        let t0 = Instant::now();
        let mut h = TimerHeap::default();
        for i in 0..100u32 {
            h.push(t0 + Duration::from_millis(i as u64), i);
        }
        h.compact(|_, k| k % 10 == 0);
        assert_eq!(h.len(), 10);
        assert_eq!(h.pop_due(t0 + Duration::from_secs(1)).unwrap().1, 0);
    }
}
