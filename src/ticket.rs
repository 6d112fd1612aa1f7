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

use std::cell::RefCell;
use std::sync::atomic::{AtomicPtr, AtomicU32, AtomicU64, Ordering};

use parking_lot::Mutex;

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

type Chunk = [AtomicU64; CHUNK];

/// The table: chunks made on demand, never freed.
static CHUNKS: [AtomicPtr<Chunk>; MAX_CHUNKS] =
    [const { AtomicPtr::new(std::ptr::null_mut()) }; MAX_CHUNKS];
/// Slots handed out so far (slot numbers start at 1).
static USED: AtomicU32 = AtomicU32::new(0);
/// Free slots beyond what threads keep for themselves.
static FREE: Mutex<Vec<u32>> = Mutex::new(Vec::new());

/// Free slots a thread keeps at most before giving half back.
const CACHE_MAX: usize = 256;

/// A thread's own free slots; given back when the thread ends.
struct Cache(Vec<u32>);

impl Drop for Cache {
    fn drop(&mut self) {
        FREE.lock().append(&mut self.0);
    }
}

thread_local! {
    static CACHE: RefCell<Cache> = const { RefCell::new(Cache(Vec::new())) };
}

/// The generation word of a slot (the slot exists).
fn entry(slot: u32) -> &'static AtomicU64 {
    let index = slot as usize - 1;
    let chunk = CHUNKS[index / CHUNK].load(Ordering::Acquire);
    // SAFETY: slots are handed out only after their chunk was published, and chunks
    // are never freed.
    unsafe { &(*chunk)[index % CHUNK] }
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
        let fresh = Box::into_raw(Box::new([const { AtomicU64::new(0) }; CHUNK]));
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
    let cached = CACHE
        .try_with(|c| {
            let mut c = c.borrow_mut();
            if c.0.is_empty() {
                let mut free = FREE.lock();
                let keep = free.len().saturating_sub(CACHE_MAX / 2);
                c.0.extend(free.drain(keep..));
            }
            c.0.pop()
        })
        .ok()
        .flatten();
    cached.or_else(new_slot)
}

fn give_slot(slot: u32) {
    let kept = CACHE.try_with(|c| {
        let mut c = c.borrow_mut();
        c.0.push(slot);
        if c.0.len() > CACHE_MAX {
            let half = c.0.len() / 2;
            FREE.lock().extend(c.0.drain(..half));
        }
    });
    if kept.is_err() {
        FREE.lock().push(slot);
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

    #[inline(never)]
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
