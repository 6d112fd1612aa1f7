//! A lock-free single-producer single-consumer queue of messages, in chunks.
//!
//! The writer appends without any atomic operation and publishes a batch with one
//! `swap` (`flush`); the reader consumes published messages with plain loads and one
//! acquire load per batch. When the reader finds the queue empty it sets a `WAITING`
//! bit in the published position; the next `flush` returns true exactly then, so the
//! writer wakes a sleeping reader only on the empty-to-non-empty transition.

use std::cell::UnsafeCell;
use std::mem::MaybeUninit;
use std::ptr;
use std::sync::atomic::{AtomicPtr, AtomicU64, Ordering};
use std::sync::Arc;

use parking_lot::Mutex;

use crate::msg::Msg;

const CHUNK: usize = 256;
const WAITING: u64 = 1 << 63;

struct Chunk {
    slots: [UnsafeCell<MaybeUninit<Msg>>; CHUNK],
    next: AtomicPtr<Chunk>,
}

impl Chunk {
    fn alloc() -> *mut Chunk {
        let chunk = Box::new(Chunk {
            slots: std::array::from_fn(|_| UnsafeCell::new(MaybeUninit::uninit())),
            next: AtomicPtr::new(ptr::null_mut()),
        });
        Box::into_raw(chunk)
    }
}

/// Where one side stopped, recorded when it is dropped so the last owner can free
/// what is left.
#[derive(Clone, Copy)]
struct Cursor {
    chunk: *mut Chunk,
    pos: u64,
}

/// State shared by the two halves; cache lines of its own, as the published position
/// is the one word both threads touch per batch.
#[repr(align(128))]
struct Shared {
    /// Published write position; bit 63 set while the reader waits for a flush.
    tail: AtomicU64,
    /// One chunk the reader finished with, for the writer to reuse.
    spare: AtomicPtr<Chunk>,
    /// Set by each half when it is dropped: (reader cursor, writer cursor).
    ends: Mutex<(Option<Cursor>, Option<Cursor>)>,
}

// SAFETY: slots are accessed by exactly one writer and one reader, ordered by `tail`.
unsafe impl Send for Shared {}
// SAFETY: as above.
unsafe impl Sync for Shared {}

impl Drop for Shared {
    fn drop(&mut self) {
        let (reader, writer) = *self.ends.get_mut();
        // Both halves are gone: drop every message between the reader's and the
        // writer's position (flushed or not) and free the chunks.
        if let (Some(r), Some(w)) = (reader, writer) {
            let mut chunk = r.chunk;
            let mut pos = r.pos;
            // SAFETY: both cursors were recorded by their halves at drop; slots in
            // [r.pos, w.pos) hold initialised messages; chunks form a linked list that
            // both sides enter lazily (on touching slot 0 of the next chunk).
            unsafe {
                while pos < w.pos {
                    if pos % CHUNK as u64 == 0 && pos != 0 {
                        let next = (*chunk).next.load(Ordering::Acquire);
                        drop(Box::from_raw(chunk));
                        chunk = next;
                    }
                    (*(*chunk).slots[(pos % CHUNK as u64) as usize].get()).assume_init_drop();
                    pos += 1;
                }
                while !chunk.is_null() {
                    let next = (*chunk).next.load(Ordering::Acquire);
                    drop(Box::from_raw(chunk));
                    chunk = next;
                }
            }
        }
        let spare = *self.spare.get_mut();
        if !spare.is_null() {
            // SAFETY: the spare chunk is owned by the queue and empty.
            unsafe { drop(Box::from_raw(spare)) };
        }
    }
}

/// The writing half.
pub struct Writer {
    shared: Arc<Shared>,
    chunk: *mut Chunk,
    pos: u64,
    flushed: u64,
}

/// The reading half.
pub struct Reader {
    shared: Arc<Shared>,
    chunk: *mut Chunk,
    pos: u64,
    /// Last published position seen, without the waiting bit.
    known: u64,
}

// SAFETY: each half is used by one thread at a time; cross-thread access goes through `Shared`.
unsafe impl Send for Writer {}
// SAFETY: as above.
unsafe impl Send for Reader {}

/// Creates an empty queue.
pub fn queue() -> (Writer, Reader) {
    let first = Chunk::alloc();
    let shared = Arc::new(Shared {
        tail: AtomicU64::new(0),
        spare: AtomicPtr::new(ptr::null_mut()),
        ends: Mutex::new((None, None)),
    });
    (
        Writer {
            shared: shared.clone(),
            chunk: first,
            pos: 0,
            flushed: 0,
        },
        Reader {
            shared,
            chunk: first,
            pos: 0,
            known: 0,
        },
    )
}

impl Writer {
    /// Appends a message; it becomes visible to the reader at the next `flush`.
    #[inline]
    pub fn write(&mut self, msg: Msg) {
        let idx = (self.pos % CHUNK as u64) as usize;
        if idx == 0 && self.pos != 0 {
            let mut next = self.shared.spare.swap(ptr::null_mut(), Ordering::Acquire);
            if next.is_null() {
                next = Chunk::alloc();
            } else {
                // SAFETY: the spare chunk is exclusively ours now.
                unsafe { (*next).next.store(ptr::null_mut(), Ordering::Relaxed) };
            }
            // SAFETY: `self.chunk` is the live tail chunk; the reader follows `next`
            // only for positions published after this store.
            unsafe { (*self.chunk).next.store(next, Ordering::Release) };
            self.chunk = next;
        }
        // SAFETY: the slot at `pos` is beyond anything published, so the reader does
        // not touch it, and it holds no message (consumed or never written).
        unsafe { (*(*self.chunk).slots[idx].get()).write(msg) };
        self.pos += 1;
    }

    /// Messages written so far (published or not).
    pub fn position(&self) -> u64 {
        self.pos
    }

    /// Publishes everything written. Returns true when the reader was waiting for
    /// data, i.e. the caller must wake it.
    #[inline]
    pub fn flush(&mut self) -> bool {
        if self.pos == self.flushed {
            return false;
        }
        self.flushed = self.pos;
        self.shared.tail.swap(self.pos, Ordering::AcqRel) & WAITING != 0
    }
}

impl Drop for Writer {
    fn drop(&mut self) {
        self.shared.ends.lock().1 = Some(Cursor {
            chunk: self.chunk,
            pos: self.pos,
        });
    }
}

impl Reader {
    /// True when a message is available; when none is, marks the reader as waiting so
    /// the writer's next flush reports that a wake-up is due.
    #[inline]
    pub fn check_read(&mut self) -> bool {
        if self.pos < self.known {
            return true;
        }
        let tail = self.shared.tail.load(Ordering::Acquire);
        let published = tail & !WAITING;
        if published > self.pos {
            self.known = published;
            return true;
        }
        if tail & WAITING != 0 {
            return false;
        }
        match self.shared.tail.compare_exchange(
            tail,
            tail | WAITING,
            Ordering::AcqRel,
            Ordering::Acquire,
        ) {
            Ok(_) => false,
            Err(now) => {
                self.known = now & !WAITING;
                self.known > self.pos
            }
        }
    }

    /// Parts published but not yet read.
    pub fn pending(&self) -> u64 {
        (self.shared.tail.load(Ordering::Acquire) & !WAITING).saturating_sub(self.pos)
    }

    /// True when a message is available, without marking the reader as waiting.
    #[inline]
    pub fn peek_ready(&mut self) -> bool {
        if self.pos < self.known {
            return true;
        }
        self.known = self.shared.tail.load(Ordering::Acquire) & !WAITING;
        self.pos < self.known
    }

    /// Takes the next message, or None (and marks waiting) when empty.
    #[inline]
    /// Messages read so far.
    pub fn position(&self) -> u64 {
        self.pos
    }

    pub fn read(&mut self) -> Option<Msg> {
        if !self.check_read() {
            return None;
        }
        let idx = (self.pos % CHUNK as u64) as usize;
        if idx == 0 && self.pos != 0 {
            // SAFETY: position `pos` is published, so the writer linked the chunk
            // holding it before publishing.
            let next = unsafe { (*self.chunk).next.load(Ordering::Acquire) };
            let old = std::mem::replace(&mut self.chunk, next);
            let prev_spare = self.shared.spare.swap(old, Ordering::AcqRel);
            if !prev_spare.is_null() {
                // SAFETY: a spare chunk is owned by the queue and referenced nowhere else.
                unsafe { drop(Box::from_raw(prev_spare)) };
            }
        }
        // SAFETY: pos < published: the writer initialised this slot and released it.
        let msg = unsafe { (*(*self.chunk).slots[idx].get()).assume_init_read() };
        self.pos += 1;
        Some(msg)
    }
}

impl Drop for Reader {
    fn drop(&mut self) {
        self.shared.ends.lock().0 = Some(Cursor {
            chunk: self.chunk,
            pos: self.pos,
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fifo_across_chunks_and_wakeup_flag() {
        let (mut w, mut r) = queue();
        assert!(r.read().is_none()); // marks waiting
        for i in 0..1000u32 {
            w.write(Msg::from_slice(&i.to_le_bytes()));
        }
        assert!(
            w.flush(),
            "reader was waiting: flush must ask for a wake-up"
        );
        for i in 0..1000u32 {
            assert_eq!(r.read().unwrap().data(), &i.to_le_bytes());
        }
        w.write(Msg::new());
        assert!(!w.flush(), "reader has not waited since: no wake-up");
        assert!(r.read().is_some());
        assert!(r.read().is_none());
    }

    #[test]
    fn unread_and_unflushed_messages_are_dropped() {
        let (mut w, mut r) = queue();
        for _ in 0..600 {
            w.write(Msg::from_slice(&[1u8; 100]));
        }
        w.flush();
        for _ in 0..300 {
            r.read().unwrap();
        }
        w.write(Msg::from_slice(&[2u8; 100])); // never flushed
        drop(w);
        drop(r);
    }

    #[test]
    fn threads_transfer_in_order() {
        let (mut w, mut r) = queue();
        let n = 200_000u32;
        let t = std::thread::spawn(move || {
            for i in 0..n {
                w.write(Msg::from_slice(&i.to_le_bytes()));
                if i % 7 == 0 {
                    w.flush();
                }
            }
            w.flush();
        });
        let mut next = 0u32;
        while next < n {
            if let Some(m) = r.read() {
                assert_eq!(m.data(), &next.to_le_bytes());
                next += 1;
            } else {
                std::hint::spin_loop();
            }
        }
        t.join().unwrap();
    }
}
