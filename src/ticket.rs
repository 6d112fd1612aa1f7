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
//!
//! Small payloads come from a pool of blocks that are never freed (`crate::msg`):
//! such a block carries its own generation word in its header, in the cache line the
//! threads passing the block touch anyway, so its tickets cost no line of their own.

use std::sync::atomic::{AtomicPtr, AtomicU32, AtomicU64, Ordering};

/// Slots per chunk of the table.
const CHUNK: usize = 4096;
/// Chunks the table can have (268 million tickets alive at once).
const MAX_CHUNKS: usize = 1 << 16;

/// A ticket; none (no word) when the payload is not held in a `zmq_msg_t`.
#[derive(Clone, Copy, Debug, Default)]
pub struct Ticket {
    /// The slot's generation word, reached directly (no table lookup per check).
    word: Option<&'static AtomicU64>,
    generation: u64,
    /// The slot number, to return a free-list slot; 0 for a pool block's own word.
    slot: u32,
}

/// Slots are handed to a thread's free list in groups of this many, adjacent in the
/// table: two threads' tickets then never share a cache line (a sender and its
/// receiver each retire one per message).
const GROUP: u32 = 32;

/// A chunk of slots: each slot's generation, and its link in the free list. Aligned
/// so that a group's words fill whole lines.
#[repr(align(128))]
struct Chunk {
    generation: [AtomicU64; CHUNK],
    next_free: [AtomicU32; CHUNK],
}

/// The table: chunks made on demand, never freed.
static CHUNKS: [AtomicPtr<Chunk>; MAX_CHUNKS] =
    [const { AtomicPtr::new(std::ptr::null_mut()) }; MAX_CHUNKS];
/// Slots handed out so far (slot numbers start at 1).
static USED: AtomicU32 = AtomicU32::new(0);
/// One free list: a lock-free stack, its top slot (low 32 bits, 0 when empty) and a
/// count of pushes and pops (high 32 bits), so a pop never mistakes a top that was
/// popped and pushed back meanwhile for an unchanged one. Alone on its cache line.
#[repr(align(128))]
struct FreeList(AtomicU64);

/// Free lists, one per thread as far as possible: a thread uses the one its stack
/// address selects (threads' stacks lie megabytes apart), so a thread that issues and
/// retires tickets (a sender, a receiver) never shares a cache line with another doing
/// the same. No thread-local state: in a shared library each access to one is a call.
const SHARDS: usize = 64;
static FREE: [FreeList; SHARDS] = [const { FreeList(AtomicU64::new(0)) }; SHARDS];

/// The free list of the calling thread (by its stack address).
#[inline]
fn my_list() -> &'static AtomicU64 {
    let marker = 0u8;
    let addr = std::ptr::addr_of!(marker) as usize;
    // Thread stacks are at least 64 KiB apart; hash the bits above that.
    let x = (addr >> 16).wrapping_mul(0x9E37_79B9_7F4A_7C15);
    &FREE[(x >> 58) % SHARDS].0
}

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

/// A group of slots never used before, making their chunk if needed: the first is
/// returned, the rest go to `list`. None when the table is full.
fn new_slots(list: &AtomicU64) -> Option<u32> {
    if USED.load(Ordering::Relaxed) as usize >= MAX_CHUNKS * CHUNK {
        return None;
    }
    let first = USED.fetch_add(GROUP, Ordering::Relaxed).checked_add(1)?;
    if first as usize - 1 + GROUP as usize > MAX_CHUNKS * CHUNK {
        return None;
    }
    make_chunk_of(first)?;
    for slot in first + 1..first + GROUP {
        push(list, slot);
    }
    Some(first)
}

/// Makes sure the chunk holding `slot` exists.
fn make_chunk_of(slot: u32) -> Option<()> {
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
    Some(())
}

/// Pops a slot from a free list.
fn pop(list: &AtomicU64) -> Option<u32> {
    let mut top = list.load(Ordering::Acquire);
    loop {
        let slot = top as u32;
        if slot == 0 {
            return None;
        }
        let (c, i) = chunk(slot);
        let next = c.next_free[i].load(Ordering::Relaxed);
        let popped = ((top >> 32).wrapping_add(1) << 32) | next as u64;
        match list.compare_exchange_weak(top, popped, Ordering::AcqRel, Ordering::Acquire) {
            Ok(_) => return Some(slot),
            Err(now) => top = now,
        }
    }
}

fn take_slot() -> Option<u32> {
    let mine = my_list();
    if let Some(slot) = pop(mine) {
        return Some(slot);
    }
    // Before growing the table, take one freed by threads that retire more than they
    // issue (a receiver closing what a sender made).
    FREE.iter()
        .filter(|l| !std::ptr::eq(&l.0, mine))
        .find_map(|l| pop(&l.0))
        .or_else(|| new_slots(mine))
}

fn give_slot(slot: u32) {
    push(my_list(), slot);
}

fn push(list: &AtomicU64, slot: u32) {
    let (c, i) = chunk(slot);
    let mut top = list.load(Ordering::Relaxed);
    loop {
        c.next_free[i].store(top as u32, Ordering::Relaxed);
        let pushed = ((top >> 32).wrapping_add(1) << 32) | slot as u64;
        match list.compare_exchange_weak(top, pushed, Ordering::Release, Ordering::Relaxed) {
            Ok(_) => return,
            Err(now) => top = now,
        }
    }
}

impl Ticket {
    /// A new ticket (none when the table is full, which only loses the check).
    pub fn issue() -> Ticket {
        match take_slot() {
            Some(slot) => {
                let word = entry(slot);
                Ticket {
                    word: Some(word),
                    generation: word.load(Ordering::Acquire),
                    slot,
                }
            }
            None => Ticket::default(),
        }
    }

    /// The ticket of a pool block's own generation word (see `crate::msg`), if no
    /// other `zmq_msg_t` holds the block under it now (a second holder, a
    /// `zmq_msg_copy` or a message fanned out to several sockets, takes a ticket of
    /// its own). `unique`: the message alone references the payload (just made, or
    /// received), so no other holder can claim at once and a plain store does (no
    /// read-modify-write on the hot path).
    #[inline]
    pub fn claim(word: &'static AtomicU64, unique: bool) -> Option<Ticket> {
        let mut now = word.load(Ordering::Acquire);
        loop {
            if now & 1 == 1 {
                return None;
            }
            if unique {
                word.store(now + 1, Ordering::Release);
                break;
            }
            match word.compare_exchange_weak(now, now + 1, Ordering::AcqRel, Ordering::Acquire) {
                Ok(_) => break,
                Err(seen) => now = seen,
            }
        }
        Some(Ticket {
            word: Some(word),
            generation: now + 1,
            slot: 0,
        })
    }

    /// False when the ticket was retired (the `zmq_msg_t` is a stale copy).
    #[inline]
    pub fn is_valid(self) -> bool {
        self.word
            .is_none_or(|w| w.load(Ordering::Acquire) == self.generation)
    }

    /// Retires the ticket; false when it was already retired (a stale copy).
    #[inline]
    pub fn retire(self) -> bool {
        self.word.is_none() || self.retire_slot()
    }

    fn retire_slot(self) -> bool {
        let Some(word) = self.word else {
            return true;
        };
        let retired = word
            .compare_exchange(
                self.generation,
                self.generation.wrapping_add(1),
                Ordering::AcqRel,
                Ordering::Acquire,
            )
            .is_ok();
        if retired && self.slot != 0 {
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
    fn a_block_word_serves_one_holder_at_a_time() {
        let word: &'static AtomicU64 = Box::leak(Box::new(AtomicU64::new(0)));
        let first = Ticket::claim(word, true).unwrap();
        assert!(first.is_valid());
        assert!(
            Ticket::claim(word, false).is_none() && Ticket::claim(word, true).is_none(),
            "a second holder takes its own ticket"
        );
        let stale = first;
        assert!(first.retire());
        assert!(!stale.is_valid() && !stale.retire());
        let second = Ticket::claim(word, false).unwrap();
        assert!(second.is_valid() && !stale.is_valid());
        assert!(second.retire());
        assert_eq!(
            word.load(Ordering::Relaxed) & 1,
            0,
            "even when no one holds it"
        );
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
