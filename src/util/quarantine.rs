//! Reuse of the records behind C handles (`void *socket`, `void *context`) only after a
//! long quarantine, so a stale handle keeps reading as closed.
//!
//! A handle record is never freed: a program that uses a handle after closing it reads
//! memory that is still a record, never freed memory. Records of closed handles wait in
//! a first-in first-out queue and are reused only once `limit` younger ones wait behind
//! them, which bounds the memory kept for closed handles (`limit` records) while a
//! stale handle keeps answering "closed" until `limit` more handles of its kind have
//! been closed after it. Each record also carries a generation, bumped at every close,
//! so a call that started on a handle notices when it was closed under its feet.

use std::collections::VecDeque;

use parking_lot::Mutex;

/// Closed records of one kind of handle, oldest first.
pub struct Quarantine<T: 'static> {
    limit: usize,
    closed: Mutex<VecDeque<&'static T>>,
}

impl<T: 'static> Quarantine<T> {
    pub const fn new(limit: usize) -> Quarantine<T> {
        Quarantine {
            limit,
            closed: Mutex::new(VecDeque::new()),
        }
    }

    /// A record closed long enough ago to be reused, if there is one.
    pub fn reuse(&self) -> Option<&'static T> {
        let mut closed = self.closed.lock();
        if closed.len() > self.limit {
            closed.pop_front()
        } else {
            None
        }
    }

    /// Queues the record of a handle that was just closed.
    pub fn retire(&self, record: &'static T) {
        self.closed.lock().push_back(record);
    }
}

/// The first word of every handle record: a tag in the low half, which is negative
/// when read as a C `int` (so a program probing the handle as a file descriptor, as
/// czmq does, gets EBADF), and the generation in the high half.
pub const fn handle_state(tag: u32, generation: u32) -> u64 {
    ((generation as u64) << 32) | tag as u64
}

/// The tag half of a handle state.
pub const fn state_tag(state: u64) -> u32 {
    state as u32
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn records_come_back_only_after_the_limit() {
        static Q: Quarantine<u32> = Quarantine::new(2);
        let recs: Vec<&'static u32> = (0..4).map(|i| &*Box::leak(Box::new(i))).collect();
        for r in &recs[..2] {
            Q.retire(r);
        }
        assert!(Q.reuse().is_none());
        Q.retire(recs[2]);
        assert_eq!(Q.reuse().copied(), Some(0));
        assert!(Q.reuse().is_none());
    }

    #[test]
    fn tags_read_as_negative_ints() {
        let state = handle_state(0xbadd_ecaf, 7);
        assert!((state as u32 as i32) < 0);
        assert_eq!(state_tag(state), 0xbadd_ecaf);
    }
}
