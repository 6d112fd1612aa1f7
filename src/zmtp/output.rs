//! The engine's output queue: small frames are coalesced into one buffer, so many
//! messages go out in one write; large bodies are queued by reference (a shared
//! message), not copied.

use std::collections::VecDeque;
use std::io::IoSlice;

use crate::msg::Msg;

/// Bodies at least this large are sent from the message itself.
pub(crate) const ZERO_COPY_MIN: usize = 32 * 1024;
/// A coalescing buffer that grew beyond this is not kept for reuse.
const KEEP_CAPACITY: usize = 1024 * 1024;
/// When output starts again after the queue ran empty, the first write stops this far
/// into the first large body, as libzmq's 8 KiB write batch does: the peer wakes on
/// those bytes and reads the rest while it is still being written, where one write of
/// the whole body made 1 MiB round trips over loopback tcp nearly twice as slow.
const LEAD: usize = 8 * 1024;

enum Segment {
    Bytes(Vec<u8>),
    Body(Msg),
}

impl Segment {
    fn bytes(&self) -> &[u8] {
        match self {
            Segment::Bytes(v) => v,
            Segment::Body(m) => m.data(),
        }
    }
}

/// Bytes waiting to be written, in order: sealed segments, then the open buffer.
#[derive(Default)]
pub(crate) struct OutQueue {
    sealed: VecDeque<Segment>,
    sealed_len: usize,
    open: Vec<u8>,
    /// Bytes of the front segment (or of `open` when nothing is sealed) already written.
    offset: usize,
    spare: Option<Vec<u8>>,
    /// Bytes consumed since the start: a position in the output stream.
    written: u64,
    /// Something was written since the queue last ran empty.
    flowing: bool,
}

impl OutQueue {
    /// The open buffer, to append frame bytes to.
    pub(crate) fn buf(&mut self) -> &mut Vec<u8> {
        &mut self.open
    }

    /// Queues a body by reference after what is already queued.
    pub(crate) fn push_body(&mut self, msg: &Msg) {
        if !self.open.is_empty() {
            let next = self.spare.take().unwrap_or_default();
            let sealed = std::mem::replace(&mut self.open, next);
            self.sealed_len += sealed.len();
            self.sealed.push_back(Segment::Bytes(sealed));
        }
        self.sealed_len += msg.len();
        self.sealed.push_back(Segment::Body(msg.share()));
    }

    /// Bytes written out since the queue was made (a stream position).
    pub(crate) fn written(&self) -> u64 {
        self.written
    }

    /// Unwritten bytes in total.
    pub(crate) fn len(&self) -> usize {
        self.sealed_len + self.open.len() - self.offset
    }

    #[cfg(test)]
    pub(crate) fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The next contiguous bytes to write (empty only when nothing is queued).
    pub(crate) fn front(&self) -> &[u8] {
        match self.sealed.front() {
            Some(seg) => &seg.bytes()[self.offset..],
            None => &self.open[self.offset..],
        }
    }

    /// Fills `out` with the queued bytes in order, for a vectored write; returns how
    /// many slices were filled. Starting from an empty queue, the first write ends
    /// LEAD bytes into the first large body (see LEAD).
    pub(crate) fn slices<'a>(&'a self, out: &mut [IoSlice<'a>]) -> usize {
        let mut n = 0;
        let mut offset = self.offset;
        for seg in self.sealed.iter() {
            if n == out.len() {
                return n;
            }
            let bytes = &seg.bytes()[offset..];
            offset = 0;
            if bytes.is_empty() {
                continue;
            }
            if !self.flowing && matches!(seg, Segment::Body(_)) && bytes.len() > LEAD {
                out[n] = IoSlice::new(&bytes[..LEAD]);
                return n + 1;
            }
            out[n] = IoSlice::new(bytes);
            n += 1;
        }
        if n < out.len() && self.open.len() > offset {
            out[n] = IoSlice::new(&self.open[offset..]);
            n += 1;
        }
        n
    }

    /// Marks `n` bytes as written.
    pub(crate) fn consume(&mut self, mut n: usize) {
        assert!(n <= self.len(), "consumed more output than was queued");
        self.written += n as u64;
        self.flowing |= n > 0;
        while n > 0 {
            let Some(front) = self.sealed.front() else {
                self.offset += n;
                break;
            };
            let left = front.bytes().len() - self.offset;
            if n < left {
                self.offset += n;
                break;
            }
            n -= left;
            self.offset = 0;
            let seg = self.sealed.pop_front().expect("front exists");
            self.sealed_len -= seg.bytes().len();
            if let Segment::Bytes(mut v) = seg {
                if v.capacity() <= KEEP_CAPACITY {
                    v.clear();
                    self.spare = Some(v);
                }
            }
        }
        if self.sealed.is_empty() && self.offset == self.open.len() {
            self.flowing = false;
            self.offset = 0;
            self.open.clear();
            if self.open.capacity() > KEEP_CAPACITY {
                self.open = Vec::new();
            }
        }
    }

    /// Drops everything queued.
    pub(crate) fn clear(&mut self) {
        self.flowing = false;
        self.sealed.clear();
        self.sealed_len = 0;
        self.open = Vec::new();
        self.offset = 0;
    }

    /// Capacity allocated by the queue's own buffers (not counting shared bodies).
    pub(crate) fn allocated(&self) -> usize {
        let sealed: usize = self
            .sealed
            .iter()
            .map(|s| match s {
                Segment::Bytes(v) => v.capacity(),
                Segment::Body(_) => 0,
            })
            .sum();
        sealed + self.open.capacity() + self.spare.as_ref().map_or(0, Vec::capacity)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn drain(q: &mut OutQueue, step: usize) -> Vec<u8> {
        let mut out = Vec::new();
        while !q.is_empty() {
            let f = q.front();
            assert!(!f.is_empty());
            let n = f.len().min(step);
            out.extend_from_slice(&f[..n]);
            q.consume(n);
        }
        assert!(q.front().is_empty());
        out
    }

    #[test]
    fn segments_come_out_in_order() {
        let mut q = OutQueue::default();
        q.buf().extend_from_slice(b"head");
        let big = Msg::from_slice(&vec![b'x'; ZERO_COPY_MIN]);
        q.push_body(&big);
        q.buf().extend_from_slice(b"tail");
        assert_eq!(q.len(), 8 + ZERO_COPY_MIN);
        let mut expect = b"head".to_vec();
        expect.extend(vec![b'x'; ZERO_COPY_MIN]);
        expect.extend_from_slice(b"tail");
        // Once output flows, one vectored write offers everything queued.
        q.consume(1);
        let mut slices = [IoSlice::new(&[]); 8];
        let n = q.slices(&mut slices);
        assert_eq!(n, 3);
        assert_eq!(flat(&q), expect[1..]);
        assert_eq!(drain(&mut q, 3), expect[1..]);
        q.buf().extend_from_slice(b"again");
        assert_eq!(drain(&mut q, 100), b"again");
    }

    fn flat(q: &OutQueue) -> Vec<u8> {
        let mut slices = [IoSlice::new(&[]); 8];
        let n = q.slices(&mut slices);
        slices[..n].iter().flat_map(|s| s.iter().copied()).collect()
    }

    #[test]
    fn output_from_idle_leads_with_the_start_of_a_large_body() {
        let mut q = OutQueue::default();
        let big = Msg::from_slice(&vec![b'x'; ZERO_COPY_MIN]);
        for round in 0..2 {
            q.buf().extend_from_slice(b"head");
            q.push_body(&big);
            q.buf().extend_from_slice(b"tail");
            let first = flat(&q);
            assert_eq!(first.len(), 4 + LEAD, "round {round}");
            assert_eq!(&first[..4], b"head");
            q.consume(first.len());
            // Once flowing, everything queued is offered.
            q.push_body(&big);
            let rest = flat(&q);
            assert_eq!(rest.len(), 2 * ZERO_COPY_MIN - LEAD + 4);
            assert_eq!(&rest[ZERO_COPY_MIN - LEAD..][..4], b"tail");
            q.consume(rest.len());
            assert!(q.is_empty());
        }
        // A partial first write also counts as flowing.
        q.push_body(&big);
        q.consume(1);
        assert_eq!(flat(&q).len(), ZERO_COPY_MIN - 1);
    }

    #[test]
    fn slices_skip_written_bytes() {
        let mut q = OutQueue::default();
        q.buf().extend_from_slice(b"abcdef");
        q.consume(2);
        {
            let mut slices = [IoSlice::new(&[]); 2];
            assert_eq!(q.slices(&mut slices), 1);
            assert_eq!(&*slices[0], b"cdef");
        }
        q.clear();
        let mut slices = [IoSlice::new(&[]); 2];
        assert!(q.is_empty());
        assert_eq!(q.slices(&mut slices), 0);
    }
}
