//! Tickets for shared payloads held in a caller's `zmq_msg_t`, so that a `zmq_msg_t`
//! copied by value (which the API forbids, and which libzmq answers with a double
//! free) is detected instead of releasing a payload twice.
//!
//! A message stored into a `zmq_msg_t` with a shared payload gets a ticket: a slot in
//! a table that is never freed, plus the generation the slot had. Taking the message
//! out (close, send, move, overwrite) retires the ticket by bumping the generation.
//! A copy made by value carries the same ticket; once either copy was retired, the
//! other one's ticket no longer matches, and the C boundary answers EFAULT without
//! touching the payload. Checking reads only the table, never the payload's memory,
//! so a stale copy never reads or writes memory that was freed. Generations are 64
//! bits wide: a slot is never reused with a generation a stale copy could hold.

use std::sync::atomic::{AtomicPtr, AtomicU32, AtomicU64, Ordering};

/// Slots per chunk of the table.
const CHUNK: usize = 4096;
/// Chunks the table can have (268 million tickets alive at once).
const MAX_CHUNKS: usize = 1 << 16;

/// A ticket; slot 0 means none (the payload is not held in a `zmq_msg_t`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Ticket {
    slot: u32,
    generation: u64,
}

/// A chunk of slots: each slot's generation, and its link in the free list.
struct Chunk {
    generation: [AtomicU64; CHUNK],
    next_free: [AtomicU32; CHUNK],
}

/// The table: chunks made on demand, never freed.
static CHUNKS: [AtomicPtr<Chunk>; MAX_CHUNKS] =
    [const { AtomicPtr::new(std::ptr::null_mut()) }; MAX_CHUNKS];
/// Slots handed out so far (slot numbers start at 1).
static USED: AtomicU32 = AtomicU32::new(0);
/// The free list, a lock-free stack: its top slot (low 32 bits, 0 when empty) and a
/// count of pushes and pops (high 32 bits), so a pop never mistakes a top that was
/// popped and pushed back meanwhile for an unchanged one. No thread-local state:
/// thread-locals cost a call each in a shared library.
static FREE_TOP: AtomicU64 = AtomicU64::new(0);

/// The chunk holding a slot (the slot exists).
fn chunk(slot: u32) -> (&'static Chunk, usize) {
    let index = slot as usize - 1;
    let chunk = CHUNKS[index / CHUNK].load(Ordering::Acquire);
    // SAFETY: slots are handed out only after their chunk was published, and chunks
    // are never freed.
    (unsafe { &*chunk }, index % CHUNK)
}

/// The generation word of a slot (the slot exists).
fn entry(slot: u32) -> &'static AtomicU64 {
    let (c, i) = chunk(slot);
    &c.generation[i]
}

/// A slot never used before, making its chunk if needed; None when the table is full.
fn new_slot() -> Option<u32> {
    if USED.load(Ordering::Relaxed) as usize >= MAX_CHUNKS * CHUNK {
        return None;
    }
    let slot = USED.fetch_add(1, Ordering::Relaxed).checked_add(1)?;
    let index = slot as usize - 1;
    let cell = CHUNKS.get(index / CHUNK)?;
    if cell.load(Ordering::Acquire).is_null() {
        let fresh = Box::into_raw(Box::new(Chunk {
            generation: [const { AtomicU64::new(0) }; CHUNK],
            next_free: [const { AtomicU32::new(0) }; CHUNK],
        }));
        if cell
            .compare_exchange(
                std::ptr::null_mut(),
                fresh,
                Ordering::AcqRel,
                Ordering::Acquire,
            )
            .is_err()
        {
            // SAFETY: `fresh` was never published; another thread's chunk won.
            drop(unsafe { Box::from_raw(fresh) });
        }
    }
    Some(slot)
}

fn take_slot() -> Option<u32> {
    let mut top = FREE_TOP.load(Ordering::Acquire);
    loop {
        let slot = top as u32;
        if slot == 0 {
            return new_slot();
        }
        let (c, i) = chunk(slot);
        let next = c.next_free[i].load(Ordering::Relaxed);
        let popped = ((top >> 32).wrapping_add(1) << 32) | next as u64;
        match FREE_TOP.compare_exchange_weak(top, popped, Ordering::AcqRel, Ordering::Acquire) {
            Ok(_) => return Some(slot),
            Err(now) => top = now,
        }
    }
}

fn give_slot(slot: u32) {
    let (c, i) = chunk(slot);
    let mut top = FREE_TOP.load(Ordering::Relaxed);
    loop {
        c.next_free[i].store(top as u32, Ordering::Relaxed);
        let pushed = ((top >> 32).wrapping_add(1) << 32) | slot as u64;
        match FREE_TOP.compare_exchange_weak(top, pushed, Ordering::Release, Ordering::Relaxed) {
            Ok(_) => return,
            Err(now) => top = now,
        }
    }
}

impl Ticket {
    /// A new ticket (none when the table is full, which only loses the check).
    pub fn issue() -> Ticket {
        match take_slot() {
            Some(slot) => Ticket {
                slot,
                generation: entry(slot).load(Ordering::Acquire),
            },
            None => Ticket::default(),
        }
    }

    /// False when the ticket was retired (the `zmq_msg_t` is a stale copy).
    #[inline]
    pub fn is_valid(self) -> bool {
        self.slot == 0 || entry(self.slot).load(Ordering::Acquire) == self.generation
    }

    /// Retires the ticket; false when it was already retired (a stale copy).
    #[inline]
    pub fn retire(self) -> bool {
        self.slot == 0 || self.retire_slot()
    }

    fn retire_slot(self) -> bool {
        let retired = entry(self.slot)
            .compare_exchange(
                self.generation,
                self.generation.wrapping_add(1),
                Ordering::AcqRel,
                Ordering::Acquire,
            )
            .is_ok();
        if retired {
            give_slot(self.slot);
        }
        retired
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_retired_ticket_stays_invalid_when_its_slot_is_reused() {
        let first = Ticket::issue();
        assert!(first.is_valid());
        let copy = first;
        assert!(first.retire());
        assert!(!copy.is_valid());
        assert!(!copy.retire());
        // The slot comes back with a new generation.
        let second = Ticket::issue();
        assert!(second.is_valid());
        assert!(!copy.is_valid());
        assert!(second.retire());
        assert!(Ticket::default().is_valid());
    }

    #[test]
    fn slots_come_back_through_the_free_list() {
        let tickets: Vec<Ticket> = (0..100).map(|_| Ticket::issue()).collect();
        let slots: std::collections::HashSet<u32> = tickets.iter().map(|t| t.slot).collect();
        assert_eq!(slots.len(), 100, "live tickets never share a slot");
        for t in &tickets {
            assert!(t.retire());
        }
        let again: Vec<Ticket> = (0..100).map(|_| Ticket::issue()).collect();
        assert!(
            again.iter().all(|t| slots.contains(&t.slot)),
            "slots are reused"
        );
        for (old, new) in tickets.iter().zip(&again) {
            assert!(!old.is_valid());
            assert!(new.is_valid());
        }
        for t in again {
            assert!(t.retire());
        }
    }

    #[test]
    fn threads_share_the_table() {
        let tickets: Vec<Ticket> = (0..1000).map(|_| Ticket::issue()).collect();
        std::thread::spawn(move || {
            for t in tickets {
                assert!(t.retire());
            }
        })
        .join()
        .unwrap();
    }
}
