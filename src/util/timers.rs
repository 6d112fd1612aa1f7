//! The timer set behind `zmq_timers_*`: ids, intervals, cancellation and due-time order.
//!
//! Time is passed in (milliseconds on a monotonic clock) so the logic is deterministic
//! to test. Handlers are opaque values of type `H`; running them is the caller's job, one
//! at a time through [`Timers::next_due`], so a handler may freely call back into the
//! set (cancel, reset, add) between two steps of the same pass.

use std::collections::{BTreeMap, HashMap, HashSet};

use crate::error::{Errno, ZResult};

/// Identifier handed out by [`Timers::add`]: 1, 2, 3, ... per set, as libzmq numbers them.
pub type TimerId = i32;

/// Position in due-time order: deadline, then scheduling sequence, so timers with the
/// same deadline run in the order they were scheduled.
type Slot = (u64, u64);

struct Timer<H> {
    id: TimerId,
    interval: u64,
    handler: H,
}

/// Marks the start of one execution pass: timers scheduled after it wait for the next
/// pass, so a zero interval cannot make a pass run forever.
#[derive(Debug, Clone, Copy)]
pub struct Pass {
    first_new_seq: u64,
}

/// A set of repeating timers.
///
/// Cancelling only marks a timer, as libzmq does: the entry is dropped when
/// [`timeout`](Timers::timeout) or a pass reaches it, and until then `reset` and
/// `set_interval` still find it (and leave it cancelled).
pub struct Timers<H> {
    last_id: TimerId,
    next_seq: u64,
    queue: BTreeMap<Slot, Timer<H>>,
    slots: HashMap<TimerId, Slot>,
    cancelled: HashSet<TimerId>,
}

impl<H: Copy> Default for Timers<H> {
    fn default() -> Self {
        Self::new()
    }
}

impl<H: Copy> Timers<H> {
    /// An empty set.
    pub fn new() -> Self {
        Timers {
            last_id: 0,
            next_seq: 0,
            queue: BTreeMap::new(),
            slots: HashMap::new(),
            cancelled: HashSet::new(),
        }
    }

    /// Adds a timer first due `interval` ms after `now`, then every `interval` ms.
    pub fn add(&mut self, now: u64, interval: u64, handler: H) -> TimerId {
        self.last_id = self.last_id.wrapping_add(1);
        let id = self.last_id;
        self.schedule(
            now.saturating_add(interval),
            Timer {
                id,
                interval,
                handler,
            },
        );
        id
    }

    /// Marks a timer cancelled. EINVAL if it does not exist or is already cancelled.
    pub fn cancel(&mut self, id: TimerId) -> ZResult<()> {
        if !self.slots.contains_key(&id) || !self.cancelled.insert(id) {
            return Err(Errno::EINVAL);
        }
        Ok(())
    }

    /// Changes a timer's interval and restarts it from `now`. EINVAL if unknown.
    pub fn set_interval(&mut self, now: u64, id: TimerId, interval: u64) -> ZResult<()> {
        let mut timer = self.unschedule(id).ok_or(Errno::EINVAL)?;
        timer.interval = interval;
        self.schedule(now.saturating_add(interval), timer);
        Ok(())
    }

    /// Restarts a timer's interval from `now`. EINVAL if unknown.
    pub fn reset(&mut self, now: u64, id: TimerId) -> ZResult<()> {
        let timer = self.unschedule(id).ok_or(Errno::EINVAL)?;
        self.schedule(now.saturating_add(timer.interval), timer);
        Ok(())
    }

    /// Milliseconds until the next live timer is due (0 if overdue), or -1 if there is
    /// none. Drops the cancelled timers that come first.
    pub fn timeout(&mut self, now: u64) -> i64 {
        self.drop_cancelled_front();
        match self.queue.keys().next() {
            Some(&(when, _)) => i64::try_from(when.saturating_sub(now)).unwrap_or(i64::MAX),
            None => -1,
        }
    }

    /// Starts an execution pass; pair with [`next_due`](Timers::next_due).
    pub fn begin_pass(&self) -> Pass {
        Pass {
            first_new_seq: self.next_seq,
        }
    }

    /// The next timer of `pass` due at `now`, already rescheduled `interval` ms after
    /// `now`; the caller runs its handler. `None` ends the pass.
    pub fn next_due(&mut self, now: u64, pass: Pass) -> Option<(TimerId, H)> {
        self.drop_cancelled_front();
        let (&slot, _) = self.queue.iter().next()?;
        let (when, seq) = slot;
        if when > now || seq >= pass.first_new_seq {
            return None;
        }
        let timer = self.queue.remove(&slot)?;
        let (id, handler) = (timer.id, timer.handler);
        self.schedule(now.saturating_add(timer.interval), timer);
        Some((id, handler))
    }

    /// Runs one pass with `run`, for callers whose handlers do not touch the set.
    #[cfg(test)]
    pub fn execute(&mut self, now: u64, mut run: impl FnMut(TimerId, H)) {
        let pass = self.begin_pass();
        while let Some((id, handler)) = self.next_due(now, pass) {
            run(id, handler);
        }
    }

    /// Timers held, cancelled ones not yet dropped included.
    #[cfg(test)]
    pub fn len(&self) -> usize {
        self.queue.len()
    }

    /// Whether no timer is held.
    #[cfg(test)]
    pub fn is_empty(&self) -> bool {
        self.queue.is_empty()
    }

    fn schedule(&mut self, when: u64, timer: Timer<H>) {
        let slot = (when, self.next_seq);
        self.next_seq += 1;
        self.slots.insert(timer.id, slot);
        self.queue.insert(slot, timer);
    }

    fn unschedule(&mut self, id: TimerId) -> Option<Timer<H>> {
        let slot = self.slots.remove(&id)?;
        self.queue.remove(&slot)
    }

    fn drop_cancelled_front(&mut self) {
        while let Some((_, timer)) = self.queue.first_key_value() {
            let id = timer.id;
            if !self.cancelled.remove(&id) {
                break;
            }
            self.unschedule(id);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fired(timers: &mut Timers<char>, now: u64) -> Vec<(TimerId, char)> {
        let mut out = Vec::new();
        timers.execute(now, |id, h| out.push((id, h)));
        out
    }

    #[test]
    fn ids_count_from_one() {
        let mut t = Timers::new();
        assert_eq!(t.add(0, 10, 'a'), 1);
        assert_eq!(t.add(0, 10, 'b'), 2);
        t.cancel(1).unwrap();
        t.timeout(0);
        assert_eq!(t.add(0, 10, 'c'), 3);
    }

    #[test]
    fn timeout_tracks_the_earliest_live_timer() {
        let mut t = Timers::new();
        assert_eq!(t.timeout(100), -1);
        t.add(100, 50, 'a');
        t.add(100, 20, 'b');
        assert_eq!(t.timeout(100), 20);
        assert_eq!(t.timeout(115), 5);
        assert_eq!(t.timeout(500), 0);
    }

    #[test]
    fn execute_runs_due_timers_in_deadline_order_and_reschedules() {
        let mut t = Timers::new();
        let a = t.add(0, 30, 'a');
        let b = t.add(0, 10, 'b');
        let c = t.add(0, 10, 'c');
        assert!(fired(&mut t, 5).is_empty());
        assert_eq!(fired(&mut t, 10), vec![(b, 'b'), (c, 'c')]);
        assert_eq!(t.timeout(10), 10);
        assert_eq!(fired(&mut t, 40), vec![(b, 'b'), (c, 'c'), (a, 'a')]);
        // Rescheduled from the pass's `now`, not from the missed deadlines.
        assert_eq!(t.timeout(40), 10);
        assert_eq!(t.len(), 3);
    }

    #[test]
    fn cancel_rules() {
        let mut t = Timers::new();
        assert_eq!(t.cancel(1), Err(Errno::EINVAL));
        let a = t.add(0, 10, 'a');
        t.cancel(a).unwrap();
        assert_eq!(t.cancel(a), Err(Errno::EINVAL));
        assert!(fired(&mut t, 100).is_empty());
        assert_eq!(t.timeout(100), -1);
        assert!(t.is_empty());
        assert_eq!(t.cancel(a), Err(Errno::EINVAL));
    }

    #[test]
    fn a_cancelled_timer_is_still_found_until_dropped() {
        let mut t = Timers::new();
        let a = t.add(0, 10, 'a');
        let b = t.add(0, 5, 'b');
        t.cancel(a).unwrap();
        // `b` comes first, so `a` stays held (and cancelled).
        assert_eq!(t.timeout(0), 5);
        assert_eq!(t.reset(0, a), Ok(()));
        assert_eq!(t.set_interval(0, a, 1), Ok(()));
        assert_eq!(t.cancel(a), Err(Errno::EINVAL));
        assert_eq!(t.timeout(0), 5);
        assert_eq!(fired(&mut t, 5), vec![(b, 'b')]);
        assert_eq!(t.reset(5, a), Err(Errno::EINVAL));
    }

    #[test]
    fn reset_and_set_interval() {
        let mut t = Timers::new();
        assert_eq!(t.reset(0, 7), Err(Errno::EINVAL));
        assert_eq!(t.set_interval(0, 7, 5), Err(Errno::EINVAL));
        let a = t.add(0, 10, 'a');
        t.reset(8, a).unwrap();
        assert_eq!(t.timeout(8), 10);
        assert!(fired(&mut t, 10).is_empty());
        t.set_interval(9, a, 3).unwrap();
        assert_eq!(t.timeout(9), 3);
        assert_eq!(fired(&mut t, 12), vec![(a, 'a')]);
        assert_eq!(t.timeout(12), 3);
    }

    #[test]
    fn handlers_may_change_the_set_during_a_pass() {
        let mut t = Timers::new();
        let a = t.add(0, 10, 'a');
        let b = t.add(0, 10, 'b');
        let c = t.add(0, 10, 'c');
        let pass = t.begin_pass();
        assert_eq!(t.next_due(10, pass), Some((a, 'a')));
        // What `a`'s handler does: cancel `b`, reset `c`, cancel itself, add a timer.
        t.cancel(b).unwrap();
        t.reset(10, c).unwrap();
        t.cancel(a).unwrap();
        let d = t.add(10, 0, 'd');
        assert_eq!(t.next_due(10, pass), None);
        // `a` and `b` are gone once reached; `d` runs in the next pass.
        assert_eq!(fired(&mut t, 10), vec![(d, 'd')]);
        assert_eq!(fired(&mut t, 20), vec![(d, 'd'), (c, 'c')]);
        assert_eq!(t.len(), 2);
    }

    #[test]
    fn zero_interval_runs_once_per_pass() {
        let mut t = Timers::new();
        let a = t.add(0, 0, 'a');
        assert_eq!(t.timeout(0), 0);
        assert_eq!(fired(&mut t, 0), vec![(a, 'a')]);
        assert_eq!(fired(&mut t, 0), vec![(a, 'a')]);
    }

    #[test]
    fn huge_intervals_saturate() {
        let mut t = Timers::new();
        t.add(5, u64::MAX, 'a');
        assert_eq!(t.timeout(5), i64::MAX);
        assert!(fired(&mut t, 1 << 40).is_empty());
    }
}
