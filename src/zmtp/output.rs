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
    /// many slices were filled.
    pub(crate) fn slices<'a>(&'a self, out: &mut [IoSlice<'a>]) -> usize {
        let mut n = 0;
        let mut offset = self.offset;
        let segments = self.sealed.iter().map(Segment::bytes);
        for bytes in segments.chain(std::iter::once(&self.open[..])) {
            if n == out.len() {
                break;
            }
            if bytes.len() > offset {
                out[n] = IoSlice::new(&bytes[offset..]);
                n += 1;
            }
            offset = 0;
        }
        n
    }

    /// Marks `n` bytes as written.
    pub(crate) fn consume(&mut self, mut n: usize) {
        assert!(n <= self.len(), "consumed more output than was queued");
        self.written += n as u64;
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
            self.offset = 0;
            self.open.clear();
            if self.open.capacity() > KEEP_CAPACITY {
                self.open = Vec::new();
            }
        }
    }

    /// Drops everything queued.
    pub(crate) fn clear(&mut self) {
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
        let mut slices = [IoSlice::new(&[]); 8];
        let n = q.slices(&mut slices);
        assert_eq!(n, 3);
        let flat: Vec<u8> = slices[..n].iter().flat_map(|s| s.iter().copied()).collect();
        let mut expect = b"head".to_vec();
        expect.extend(vec![b'x'; ZERO_COPY_MIN]);
        expect.extend_from_slice(b"tail");
        assert_eq!(flat, expect);
        assert_eq!(drain(&mut q, 3), expect);
        q.buf().extend_from_slice(b"again");
        assert_eq!(drain(&mut q, 100), b"again");
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
