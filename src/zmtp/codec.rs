//! ZMTP frame codec: the ZMTP 1.0 framing (length including a flags byte) and the
//! ZMTP 2.0/3.x framing (flags byte, then a 1- or 8-byte size), decoded from input
//! split at any byte, with ZMQ_MAXMSGSIZE enforced as soon as a size is known.
//!
//! Memory held for a frame is bounded by what actually arrived: a frame whose body is
//! already all in the caller's buffer becomes a message in one copy; a body that spans
//! several reads grows as its bytes arrive, never to the size the peer merely claims.

use std::ffi::c_void;

use crate::msg::{flags, Msg};

/// Wire flag bits of the ZMTP 2.0/3.x framing.
pub(crate) const WIRE_MORE: u8 = 0x01;
pub(crate) const WIRE_LARGE: u8 = 0x02;
pub(crate) const WIRE_COMMAND: u8 = 0x04;

/// Room made beyond what has arrived while a body spans several reads: at least this
/// much, so a body of up to 1 MiB gets one buffer (no reallocation copying what
/// arrived) and is read in one call (a claimed size with nothing behind it costs this
/// much at most)...
const AHEAD_MIN: usize = 1024 * 1024;
/// ...and at most this much, however large the frame claims to be.
const AHEAD_MAX: usize = 8 * 1024 * 1024;
/// The room a direct read is given at least (it takes all the buffer has).
const DIRECT_CHUNK: usize = 64 * 1024;
/// Bodies assembled from pieces up to this size are copied out and the buffer reused;
/// larger ones hand their buffer to the message.
const REUSE_MAX: usize = 4 * 1024;

/// Which framing a connection uses.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Framing {
    /// ZMTP 1.0: `[length incl. flags][flags][body]`, length 0xFF escapes a 64-bit length.
    V1,
    /// ZMTP 2.0 and 3.x: `[flags][size]` with a 64-bit size when the LARGE flag is set.
    V2,
}

/// Why decoding stopped for good (both close the connection as a protocol error).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum DecodeError {
    /// A frame larger than ZMQ_MAXMSGSIZE (libzmq's EMSGSIZE).
    TooLarge,
    /// A ZMTP 1.0 frame whose length leaves no room for its flags byte.
    Malformed,
}

/// What the header bytes gathered so far say.
enum Header {
    /// The header is this many bytes long in total; more must arrive.
    Need(usize),
    /// Complete: the body size and the message flags (MORE, COMMAND).
    Done { size: usize, flags: u8 },
}

/// The largest frame this machine could ever hold: its memory plus swap.
fn max_frame_size() -> u64 {
    static MAX: std::sync::OnceLock<u64> = std::sync::OnceLock::new();
    *MAX.get_or_init(|| {
        // SAFETY: sysinfo fills the plain struct it is given.
        let mut info: libc::sysinfo = unsafe { std::mem::zeroed() };
        // SAFETY: as above; the result is checked.
        if unsafe { libc::sysinfo(&mut info) } != 0 {
            return u64::MAX;
        }
        let unit = u64::from(info.mem_unit.max(1));
        (info.totalram as u64)
            .saturating_add(info.totalswap as u64)
            .saturating_mul(unit)
            .max(1 << 30)
    })
}

/// Incremental frame decoder.
pub(crate) struct Decoder {
    framing: Framing,
    maxmsgsize: i64,
    hdr: [u8; 10],
    hdr_len: usize,
    in_body: bool,
    size: usize,
    flags: u8,
    body: Vec<u8>,
    /// Body size of the last complete frame.
    last_size: usize,
}

impl Decoder {
    pub(crate) fn new(framing: Framing, maxmsgsize: i64) -> Decoder {
        Decoder {
            framing,
            maxmsgsize,
            hdr: [0; 10],
            hdr_len: 0,
            in_body: false,
            size: 0,
            flags: 0,
            body: Vec::new(),
            last_size: 0,
        }
    }

    /// Bytes of a partly received frame held (header and body).
    #[cfg(test)]
    pub(crate) fn held(&self) -> usize {
        self.hdr_len + self.body.len()
    }

    /// Capacity currently allocated for a partly received body.
    pub(crate) fn allocated(&self) -> usize {
        self.body.capacity()
    }

    fn check_size(&self, size: u64) -> Result<usize, DecodeError> {
        if self.maxmsgsize >= 0 && size > self.maxmsgsize as u64 {
            return Err(DecodeError::TooLarge);
        }
        // A frame the machine could never hold can never complete: the connection
        // ends at its header (libzmq fails to allocate it), not after a trickle.
        if size > max_frame_size() {
            return Err(DecodeError::TooLarge);
        }
        usize::try_from(size).map_err(|_| DecodeError::TooLarge)
    }

    fn header(&self) -> Result<Header, DecodeError> {
        let h = &self.hdr[..self.hdr_len];
        if h.is_empty() {
            return Ok(Header::Need(1));
        }
        match self.framing {
            Framing::V2 => {
                let long = h[0] & WIRE_LARGE != 0;
                let total = if long { 9 } else { 2 };
                if h.len() < total {
                    return Ok(Header::Need(total));
                }
                let size = if long {
                    u64::from_be_bytes(h[1..9].try_into().expect("8 bytes"))
                } else {
                    u64::from(h[1])
                };
                let size = self.check_size(size)?;
                let mut f = 0;
                if h[0] & WIRE_MORE != 0 {
                    f |= flags::MORE;
                }
                if h[0] & WIRE_COMMAND != 0 {
                    f |= flags::COMMAND;
                }
                Ok(Header::Done { size, flags: f })
            }
            Framing::V1 => {
                // The size is checked as soon as it is known, before the flags byte.
                let (size, total) = if h[0] != 0xFF {
                    if h[0] == 0 {
                        return Err(DecodeError::Malformed);
                    }
                    (self.check_size(u64::from(h[0]) - 1)?, 2)
                } else {
                    if h.len() < 9 {
                        return Ok(Header::Need(9));
                    }
                    let len = u64::from_be_bytes(h[1..9].try_into().expect("8 bytes"));
                    if len == 0 {
                        return Err(DecodeError::Malformed);
                    }
                    (self.check_size(len - 1)?, 10)
                };
                if h.len() < total {
                    return Ok(Header::Need(total));
                }
                let f = if h[total - 1] & 0x01 != 0 {
                    flags::MORE
                } else {
                    0
                };
                Ok(Header::Done { size, flags: f })
            }
        }
    }

    /// The fast path for the common case: a ZMTP 2.0/3.x data frame lying entirely in
    /// `data[pos..]` while the decoder is between frames. Returns the body's range and
    /// MORE without changing any state; None for everything else (partial frames,
    /// commands, oversize frames, ZMTP 1.0), which `decode` then handles.
    #[inline]
    pub(crate) fn whole_data_frame(&self, data: &[u8], pos: usize) -> Option<(usize, usize, bool)> {
        if self.framing != Framing::V2 || self.in_body || self.hdr_len != 0 {
            return None;
        }
        let rest = data.get(pos..)?;
        let &[wire, short, ..] = rest else {
            return None;
        };
        if wire & WIRE_COMMAND != 0 {
            return None;
        }
        let (start, size) = if wire & WIRE_LARGE == 0 {
            (2, u64::from(short))
        } else {
            (9, u64::from_be_bytes(rest.get(1..9)?.try_into().ok()?))
        };
        if self.maxmsgsize >= 0 && size > self.maxmsgsize as u64 {
            return None;
        }
        let available = (rest.len() - start) as u64;
        if size > available {
            return None;
        }
        let body = pos + start;
        Some((body, body + size as usize, wire & WIRE_MORE != 0))
    }

    /// Records the size of a frame taken through `whole_data_frame`.
    #[inline]
    pub(crate) fn took_frame(&mut self, size: usize) {
        self.last_size = size;
    }

    /// Body size of the last complete frame (a hint of what comes next).
    pub(crate) fn last_size(&self) -> usize {
        self.last_size
    }

    /// Decodes from `data[*pos..]`, advancing `pos`, until one frame is complete (Some)
    /// or the data runs out (None). After an error the decoder must not be used again.
    pub(crate) fn decode(
        &mut self,
        data: &[u8],
        pos: &mut usize,
    ) -> Result<Option<Msg>, DecodeError> {
        if !self.in_body {
            loop {
                match self.header()? {
                    Header::Need(total) => {
                        let avail = data.len() - *pos;
                        if avail == 0 {
                            return Ok(None);
                        }
                        let take = (total - self.hdr_len).min(avail);
                        self.hdr[self.hdr_len..self.hdr_len + take]
                            .copy_from_slice(&data[*pos..*pos + take]);
                        self.hdr_len += take;
                        *pos += take;
                    }
                    Header::Done { size, flags } => {
                        self.hdr_len = 0;
                        self.size = size;
                        self.flags = flags;
                        break;
                    }
                }
            }
            if self.size == 0 {
                let mut m = Msg::new();
                m.set_flags(self.flags);
                return Ok(Some(m));
            }
            self.in_body = true;
        }
        let avail = data.len() - *pos;
        let need = self.size - self.body.len();
        if self.body.is_empty() && avail >= need {
            // The whole body is here: one copy, no intermediate buffer.
            self.last_size = need;
            let mut m = Msg::from_slice(&data[*pos..*pos + need]);
            *pos += need;
            m.set_flags(self.flags);
            self.in_body = false;
            return Ok(Some(m));
        }
        if avail == 0 {
            return Ok(None);
        }
        let take = need.min(avail);
        self.grow(take);
        self.body.extend_from_slice(&data[*pos..*pos + take]);
        *pos += take;
        if self.body.len() < self.size {
            return Ok(None);
        }
        Ok(Some(self.finish_body()))
    }

    /// The assembled body as a message; the decoder is between frames again.
    fn finish_body(&mut self) -> Msg {
        self.in_body = false;
        self.last_size = self.body.len();
        let mut m = if self.body.len() <= REUSE_MAX {
            let m = Msg::from_slice(&self.body);
            self.body.clear();
            m
        } else {
            msg_from_vec(std::mem::take(&mut self.body))
        };
        m.set_flags(self.flags);
        m
    }

    /// While a body of at least `min_need` more bytes is being assembled: the buffer to
    /// append its next bytes to directly (saving a copy through a read buffer) and how
    /// many may be appended now. Room grows as `decode` grows it, with what arrives.
    pub(crate) fn body_room(&mut self, min_need: usize) -> Option<(&mut Vec<u8>, usize)> {
        if !self.in_body {
            return None;
        }
        let need = self.size - self.body.len();
        if need < min_need {
            return None;
        }
        self.grow(need.min(DIRECT_CHUNK));
        let room = (self.body.capacity() - self.body.len()).min(need);
        Some((&mut self.body, room))
    }

    /// After bytes were appended through `body_room`: the message once the body is
    /// complete.
    pub(crate) fn body_appended(&mut self) -> Option<Msg> {
        (self.in_body && self.body.len() >= self.size).then(|| self.finish_body())
    }

    /// Makes room for `more` bytes, keeping capacity within what arrived plus a bounded
    /// slack (and never beyond the frame's size).
    fn grow(&mut self, more: usize) {
        let want = self.body.len() + more;
        if want <= self.body.capacity() {
            return;
        }
        let slack = self.body.len().clamp(AHEAD_MIN, AHEAD_MAX);
        let target = want.saturating_add(slack).min(self.size);
        self.body.reserve_exact(target - self.body.len());
    }
}

/// Hands a filled buffer to a message without copying it.
fn msg_from_vec(v: Vec<u8>) -> Msg {
    let mut boxed = Box::new(v);
    let ptr = boxed.as_mut_ptr();
    let len = boxed.len();
    let hint = Box::into_raw(boxed).cast::<c_void>();
    Msg::from_user(ptr, len, Some(free_vec), hint)
}

/// Releases a buffer handed over by `msg_from_vec`.
unsafe extern "C" fn free_vec(_data: *mut c_void, hint: *mut c_void) {
    // SAFETY: `hint` is the `Box<Vec<u8>>` leaked by `msg_from_vec`; the message calls
    // its free function exactly once, when its last reference goes.
    drop(unsafe { Box::from_raw(hint.cast::<Vec<u8>>()) });
}

/// Appends a ZMTP 2.0/3.x frame header.
pub(crate) fn v2_header(out: &mut Vec<u8>, wire_flags: u8, size: usize) {
    if size > 255 {
        out.push(wire_flags | WIRE_LARGE);
        out.extend_from_slice(&(size as u64).to_be_bytes());
    } else {
        out.push(wire_flags);
        out.push(size as u8);
    }
}

/// Appends a ZMTP 1.0 frame header (the length counts the flags byte).
pub(crate) fn v1_header(out: &mut Vec<u8>, more: bool, size: usize) {
    let len = size as u64 + 1;
    if len < 255 {
        out.push(len as u8);
    } else {
        out.push(0xFF);
        out.extend_from_slice(&len.to_be_bytes());
    }
    out.push(u8::from(more));
}

#[cfg(test)]
mod tests {
    use super::*;

    fn decode_all(dec: &mut Decoder, data: &[u8]) -> Result<Vec<(u8, Vec<u8>)>, DecodeError> {
        let mut pos = 0;
        let mut out = Vec::new();
        while let Some(m) = dec.decode(data, &mut pos)? {
            out.push((m.flags(), m.data().to_vec()));
        }
        assert_eq!(pos, data.len());
        Ok(out)
    }

    #[test]
    fn v2_headers_are_byte_exact() {
        let mut v = Vec::new();
        v2_header(&mut v, WIRE_MORE, 5);
        v2_header(&mut v, 0, 255);
        v2_header(&mut v, WIRE_COMMAND, 256);
        assert_eq!(
            v,
            [
                0x01, 5, 0x00, 255, 0x06, 0, 0, 0, 0, 0, 0, 1, 0 //
            ]
        );
    }

    #[test]
    fn v1_headers_are_byte_exact() {
        let mut v = Vec::new();
        v1_header(&mut v, true, 2);
        v1_header(&mut v, false, 253);
        v1_header(&mut v, false, 254);
        assert_eq!(v[..4], [3, 1, 254, 0]);
        assert_eq!(v[4..], [0xFF, 0, 0, 0, 0, 0, 0, 0, 255, 0]);
    }

    #[test]
    fn v2_decodes_any_split() {
        let mut wire = Vec::new();
        v2_header(&mut wire, WIRE_MORE, 3);
        wire.extend_from_slice(b"abc");
        v2_header(&mut wire, WIRE_COMMAND, 0);
        v2_header(&mut wire, 0, 300);
        wire.extend(std::iter::repeat_n(7u8, 300));
        let mut whole = Decoder::new(Framing::V2, -1);
        let expect = decode_all(&mut whole, &wire).unwrap();
        assert_eq!(expect.len(), 3);
        assert_eq!(expect[0], (flags::MORE, b"abc".to_vec()));
        assert_eq!(expect[1], (flags::COMMAND, vec![]));
        assert_eq!(expect[2], (0, vec![7u8; 300]));
        let mut bytewise = Decoder::new(Framing::V2, -1);
        let mut got = Vec::new();
        for b in &wire {
            got.extend(decode_all(&mut bytewise, std::slice::from_ref(b)).unwrap());
        }
        assert_eq!(got, expect);
    }

    #[test]
    fn v2_reserved_bits_are_ignored() {
        let mut d = Decoder::new(Framing::V2, -1);
        let got = decode_all(&mut d, &[0xF8, 1, b'z', 0x85, 1, b'c']).unwrap();
        assert_eq!(
            got,
            [
                (0, b"z".to_vec()),
                (flags::MORE | flags::COMMAND, b"c".to_vec())
            ]
        );
    }

    #[test]
    fn v1_decodes_short_and_long() {
        let mut wire = vec![3, 1, b'h', b'i'];
        wire.extend_from_slice(&[0xFF, 0, 0, 0, 0, 0, 0, 1, 0x2d, 0]);
        wire.extend(std::iter::repeat_n(b'b', 300));
        let mut d = Decoder::new(Framing::V1, -1);
        let got = decode_all(&mut d, &wire).unwrap();
        assert_eq!(got, [(flags::MORE, b"hi".to_vec()), (0, vec![b'b'; 300])]);
    }

    #[test]
    fn v1_zero_length_is_malformed() {
        let mut d = Decoder::new(Framing::V1, -1);
        assert_eq!(decode_all(&mut d, &[0]), Err(DecodeError::Malformed));
        let mut d = Decoder::new(Framing::V1, -1);
        assert_eq!(
            decode_all(&mut d, &[0xFF, 0, 0, 0, 0, 0, 0, 0, 0]),
            Err(DecodeError::Malformed)
        );
    }

    #[test]
    fn maxmsgsize_is_checked_on_the_size_alone() {
        let mut d = Decoder::new(Framing::V2, 10);
        assert_eq!(decode_all(&mut d, &[0, 10]).unwrap().len(), 0);
        let mut d = Decoder::new(Framing::V2, 10);
        assert_eq!(decode_all(&mut d, &[0, 11]), Err(DecodeError::TooLarge));
        let mut d = Decoder::new(Framing::V2, 10);
        let huge = [2, 0x7f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff];
        assert_eq!(decode_all(&mut d, &huge), Err(DecodeError::TooLarge));
        // ZMTP 1.0 counts the flags byte in the length.
        let mut d = Decoder::new(Framing::V1, 10);
        assert_eq!(decode_all(&mut d, &[11]).unwrap().len(), 0);
        let mut d = Decoder::new(Framing::V1, 10);
        assert_eq!(decode_all(&mut d, &[12]), Err(DecodeError::TooLarge));
        let mut d = Decoder::new(Framing::V1, 0);
        assert_eq!(decode_all(&mut d, &[1, 0]).unwrap(), [(0, vec![])]);
        // Without a limit, a size no machine could hold still ends the frame at once.
        let mut d = Decoder::new(Framing::V2, -1);
        let never = [2, 0x40, 0, 0, 0, 0, 0, 0, 0];
        assert_eq!(decode_all(&mut d, &never), Err(DecodeError::TooLarge));
    }

    #[test]
    fn claimed_size_is_not_preallocated() {
        let mut d = Decoder::new(Framing::V2, -1);
        let mut pos = 0;
        // 512 MiB claimed: below what any machine running this holds.
        let hdr = [2, 0, 0, 0, 0, 0x20, 0, 0, 0, 1, 2, 3];
        assert!(d.decode(&hdr, &mut pos).unwrap().is_none());
        assert!(d.allocated() <= 3 + AHEAD_MIN);
        // Feeding many MiB keeps the allocation within what arrived plus the slack.
        let chunk = vec![9u8; 256 * 1024];
        for _ in 0..64 {
            let mut p = 0;
            assert!(d.decode(&chunk, &mut p).unwrap().is_none());
            assert!(d.allocated() <= d.held() + AHEAD_MAX);
            assert!(d.allocated() <= 2 * d.held() + AHEAD_MIN);
        }
        assert!(d.held() > AHEAD_MAX, "the slack's upper bound was reached");
    }

    #[test]
    fn large_bodies_spanning_reads_are_handed_over() {
        let size = REUSE_MAX + 1000;
        let mut wire = Vec::new();
        v2_header(&mut wire, 0, size);
        wire.extend((0..size).map(|i| i as u8));
        let mut d = Decoder::new(Framing::V2, -1);
        let mut got = Vec::new();
        for piece in wire.chunks(7000) {
            got.extend(decode_all(&mut d, piece).unwrap());
        }
        assert_eq!(got.len(), 1);
        assert_eq!(got[0].1.len(), size);
        assert!(got[0].1.iter().enumerate().all(|(i, &b)| b == i as u8));
        assert_eq!(d.held(), 0);
    }
}
