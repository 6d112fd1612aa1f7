//! WebSocket framing (RFC 6455) as ZWS 2.0 (RFC 45) uses it, without I/O: each ZMTP
//! frame is one binary WebSocket message whose payload starts with a flags byte
//! (0x01 MORE, 0x02 COMMAND). The engine keeps speaking ZMTP 2.0/3.x framing; this
//! layer translates between that and WebSocket frames in both directions.
//!
//! - `Inbound` turns WebSocket frames into ZMTP frames for the engine. It checks
//!   masking (a server refuses unmasked frames, a client masked ones), refuses text
//!   frames, reserved bits and unknown opcodes, reassembles fragmented messages and
//!   reports control frames (ping, pong, close). A claimed size never allocates more
//!   than what arrived, and ZMQ_MAXMSGSIZE is checked as soon as a size is known.
//! - `Outbound` turns the engine's ZMTP frames into WebSocket messages, masked with a
//!   fresh key per frame when we are the client. An empty ZMTP command (what the
//!   engine queues as a heartbeat over ZWS) becomes a WebSocket ping, as libzmq sends.

use std::collections::VecDeque;

/// ZMTP 2.0/3.x wire flags (see `zmtp::codec`).
const ZMTP_MORE: u8 = 0x01;
const ZMTP_LARGE: u8 = 0x02;
const ZMTP_COMMAND: u8 = 0x04;
/// ZWS flags byte.
const ZWS_MORE: u8 = 0x01;
const ZWS_COMMAND: u8 = 0x02;

const OP_CONTINUATION: u8 = 0x0;
const OP_TEXT: u8 = 0x1;
const OP_BINARY: u8 = 0x2;
pub(crate) const OP_CLOSE: u8 = 0x8;
pub(crate) const OP_PING: u8 = 0x9;
pub(crate) const OP_PONG: u8 = 0xA;
const FIN: u8 = 0x80;
const MASKED: u8 = 0x80;
/// Control frames carry at most this much (RFC 6455 5.5).
const CONTROL_MAX: u64 = 125;

/// Which end of the connection we are: a client masks what it sends and refuses
/// masked input, a server the reverse.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Role {
    Client,
    Server,
}

/// Why a peer's frames were refused (the connection closes).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum FrameError {
    /// Masking is wrong for the direction (RFC 6455 5.1).
    Masking,
    /// Reserved bits set, or an opcode that is not defined.
    BadHeader,
    /// A text frame: ZWS carries binary messages only.
    Text,
    /// A control frame that is fragmented or longer than 125 bytes.
    BadControl,
    /// A continuation without a message to continue, or a new message inside one.
    BadFragment,
    /// A data message without its ZWS flags byte.
    NoFlags,
    /// A 64-bit length with its most significant bit set.
    BadLength,
    /// Larger than ZMQ_MAXMSGSIZE.
    TooLarge,
}

impl FrameError {
    pub(crate) fn reason(self) -> &'static str {
        match self {
            FrameError::Masking => "WebSocket frame masked wrongly",
            FrameError::BadHeader => "WebSocket frame with reserved bits or opcode",
            FrameError::Text => "WebSocket text frame",
            FrameError::BadControl => "WebSocket control frame fragmented or too long",
            FrameError::BadFragment => "WebSocket fragments out of order",
            FrameError::NoFlags => "WebSocket message without ZWS flags",
            FrameError::BadLength => "WebSocket frame length out of range",
            FrameError::TooLarge => "WebSocket message larger than ZMQ_MAXMSGSIZE",
        }
    }
}

/// A control frame the peer sent.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Control {
    Ping(Vec<u8>),
    Pong,
    /// The peer closes; its payload (status code and reason) is echoed back.
    Close(Vec<u8>),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum InState {
    Header,
    /// An unfragmented data frame: its first payload byte (the ZWS flags) comes next.
    Flags,
    /// Passing body bytes through.
    Body,
    /// Collecting a fragment of a message into `frag`.
    Fragment,
    /// Collecting a control frame's payload.
    Control,
    /// The peer sent a close frame: nothing more is read.
    Closed,
}

/// XORs `data` with `mask`, the first byte taking `mask[pos % 4]`.
pub(crate) fn apply_mask(data: &mut [u8], mask: [u8; 4], pos: usize) {
    let m: [u8; 4] = std::array::from_fn(|k| mask[(pos + k) % 4]);
    let m64 = u64::from_ne_bytes([m[0], m[1], m[2], m[3], m[0], m[1], m[2], m[3]]);
    let mut chunks = data.chunks_exact_mut(8);
    for c in &mut chunks {
        let mut b = [0u8; 8];
        b.copy_from_slice(c);
        c.copy_from_slice(&(u64::from_ne_bytes(b) ^ m64).to_ne_bytes());
    }
    for (k, b) in chunks.into_remainder().iter_mut().enumerate() {
        *b ^= m[k % 4];
    }
}

/// WebSocket frames in, ZMTP frames out.
pub(crate) struct Inbound {
    role: Role,
    maxmsgsize: i64,
    state: InState,
    hdr: [u8; 14],
    hdr_len: usize,
    opcode: u8,
    fin: bool,
    masked: bool,
    mask: [u8; 4],
    mask_pos: usize,
    remaining: u64,
    /// A fragmented message being assembled (flags byte first, unmasked).
    frag: Option<Vec<u8>>,
    ctrl: Vec<u8>,
    /// Output made but not yet handed out (a ZMTP header, or a reassembled message).
    staged: Vec<u8>,
    staged_pos: usize,
    controls: VecDeque<Control>,
    /// Report pings and pongs to the engine as empty commands (see `control_done`).
    pub(crate) keepalive: bool,
}

impl Inbound {
    pub(crate) fn new(role: Role, maxmsgsize: i64) -> Inbound {
        Inbound {
            role,
            maxmsgsize,
            state: InState::Header,
            hdr: [0; 14],
            hdr_len: 0,
            opcode: 0,
            fin: false,
            masked: false,
            mask: [0; 4],
            mask_pos: 0,
            remaining: 0,
            frag: None,
            ctrl: Vec::new(),
            staged: Vec::new(),
            staged_pos: 0,
            controls: VecDeque::new(),
            keepalive: false,
        }
    }

    /// The next control frame received, if any.
    pub(crate) fn take_control(&mut self) -> Option<Control> {
        self.controls.pop_front()
    }

    /// Whether the peer sent a close frame.
    pub(crate) fn is_closed(&self) -> bool {
        self.state == InState::Closed
    }

    /// Bytes held for messages not yet complete (fragments) or not handed out.
    #[cfg(test)]
    pub(crate) fn held(&self) -> usize {
        self.frag.as_ref().map_or(0, Vec::capacity) + self.staged.capacity()
    }

    fn too_large(&self, size: u64) -> bool {
        self.maxmsgsize >= 0 && size > self.maxmsgsize as u64
    }

    /// Decodes WebSocket bytes from `input` into ZMTP bytes in `out`: returns how many
    /// input bytes were used and how many output bytes were written. Stops when the
    /// input is used up or `out` is full.
    pub(crate) fn decode(
        &mut self,
        input: &[u8],
        out: &mut [u8],
    ) -> Result<(usize, usize), FrameError> {
        let (mut i, mut o) = (0, 0);
        loop {
            if self.staged_pos < self.staged.len() {
                let n = (self.staged.len() - self.staged_pos).min(out.len() - o);
                out[o..o + n].copy_from_slice(&self.staged[self.staged_pos..self.staged_pos + n]);
                o += n;
                self.staged_pos += n;
                if self.staged_pos < self.staged.len() {
                    return Ok((i, o));
                }
                self.staged.clear();
                self.staged_pos = 0;
                if self.staged.capacity() > 64 * 1024 {
                    self.staged = Vec::new();
                }
            }
            match self.state {
                InState::Closed => return Ok((i, o)),
                InState::Header => {
                    if i == input.len() {
                        return Ok((i, o));
                    }
                    if self.hdr_len == 0 && self.whole_binary_header(input, &mut i, out, &mut o) {
                        continue;
                    }
                    if !self.header_byte(input, &mut i)? {
                        continue;
                    }
                }
                InState::Flags => {
                    if i == input.len() {
                        return Ok((i, o));
                    }
                    let mut f = input[i];
                    if self.masked {
                        f ^= self.mask[0];
                    }
                    i += 1;
                    self.mask_pos = 1;
                    self.remaining -= 1;
                    let size = self.remaining;
                    stage_zmtp_header(&mut self.staged, f, size);
                    self.state = if size == 0 {
                        InState::Header
                    } else {
                        InState::Body
                    };
                }
                InState::Body => {
                    let n =
                        (self.remaining.min((input.len() - i) as u64) as usize).min(out.len() - o);
                    if n == 0 {
                        return Ok((i, o));
                    }
                    out[o..o + n].copy_from_slice(&input[i..i + n]);
                    if self.masked {
                        apply_mask(&mut out[o..o + n], self.mask, self.mask_pos);
                    }
                    self.mask_pos += n;
                    i += n;
                    o += n;
                    self.remaining -= n as u64;
                    if self.remaining == 0 {
                        self.state = InState::Header;
                    }
                }
                InState::Fragment => {
                    let n = self.remaining.min((input.len() - i) as u64) as usize;
                    let frag = self.frag.get_or_insert_with(Vec::new);
                    // The flags byte does not count against ZMQ_MAXMSGSIZE.
                    let size = (frag.len() + n) as u64;
                    if self.maxmsgsize >= 0 && size > self.maxmsgsize as u64 + 1 {
                        return Err(FrameError::TooLarge);
                    }
                    let start = frag.len();
                    frag.extend_from_slice(&input[i..i + n]);
                    if self.masked {
                        apply_mask(&mut frag[start..], self.mask, self.mask_pos);
                    }
                    self.mask_pos += n;
                    i += n;
                    self.remaining -= n as u64;
                    if self.remaining > 0 {
                        return Ok((i, o));
                    }
                    self.state = InState::Header;
                    if self.fin {
                        let msg = self.frag.take().unwrap_or_default();
                        let Some((&f, body)) = msg.split_first() else {
                            return Err(FrameError::NoFlags);
                        };
                        stage_zmtp_header(&mut self.staged, f, body.len() as u64);
                        self.staged.extend_from_slice(body);
                    }
                }
                InState::Control => {
                    let n = self.remaining.min((input.len() - i) as u64) as usize;
                    let start = self.ctrl.len();
                    self.ctrl.extend_from_slice(&input[i..i + n]);
                    if self.masked {
                        apply_mask(&mut self.ctrl[start..], self.mask, self.mask_pos);
                    }
                    self.mask_pos += n;
                    i += n;
                    self.remaining -= n as u64;
                    if self.remaining > 0 {
                        return Ok((i, o));
                    }
                    let payload = std::mem::take(&mut self.ctrl);
                    self.control_done(payload);
                }
            }
        }
    }

    /// The common case at once: a final binary frame whose header and flags byte are
    /// all in `input` and whose ZMTP header fits in `out`, within ZMQ_MAXMSGSIZE.
    /// Anything else (and any error) is left to the byte-by-byte path: false.
    fn whole_binary_header(
        &mut self,
        input: &[u8],
        i: &mut usize,
        out: &mut [u8],
        o: &mut usize,
    ) -> bool {
        let rest = &input[*i..];
        if rest.len() < 2 || rest[0] != (FIN | OP_BINARY) || self.frag.is_some() {
            return false;
        }
        let masked = rest[1] & MASKED != 0;
        if masked != (self.role == Role::Server) {
            return false;
        }
        let (len, ext) = match rest[1] & 0x7F {
            127 => return false,
            126 if rest.len() >= 4 => (u64::from(u16::from_be_bytes([rest[2], rest[3]])), 2),
            126 => return false,
            l => (u64::from(l), 0),
        };
        let hlen = 2 + ext + if masked { 4 } else { 0 };
        if len == 0 || rest.len() <= hlen || out.len() - *o < 9 || self.too_large(len - 1) {
            return false;
        }
        let mut flags = rest[hlen];
        if masked {
            self.mask.copy_from_slice(&rest[2 + ext..6 + ext]);
            flags ^= self.mask[0];
        }
        self.masked = masked;
        self.opcode = OP_BINARY;
        self.fin = true;
        self.mask_pos = 1;
        let size = len - 1;
        self.remaining = size;
        *i += hlen + 1;
        let mut f = 0;
        if flags & ZWS_MORE != 0 {
            f |= ZMTP_MORE;
        }
        if flags & ZWS_COMMAND != 0 {
            f |= ZMTP_COMMAND;
        }
        if size > 255 {
            out[*o] = f | ZMTP_LARGE;
            out[*o + 1..*o + 9].copy_from_slice(&size.to_be_bytes());
            *o += 9;
        } else {
            out[*o] = f;
            out[*o + 1] = size as u8;
            *o += 2;
        }
        self.state = if size == 0 {
            InState::Header
        } else {
            InState::Body
        };
        true
    }

    /// Takes one header byte; true when the header is complete and acted on.
    fn header_byte(&mut self, input: &[u8], i: &mut usize) -> Result<bool, FrameError> {
        self.hdr[self.hdr_len] = input[*i];
        self.hdr_len += 1;
        *i += 1;
        if self.hdr_len < 2 {
            return Ok(false);
        }
        let (b0, b1) = (self.hdr[0], self.hdr[1]);
        let len7 = b1 & 0x7F;
        let ext = match len7 {
            126 => 2,
            127 => 8,
            _ => 0,
        };
        let masked = b1 & MASKED != 0;
        let need = 2 + ext + if masked { 4 } else { 0 };
        if self.hdr_len == 2 {
            // Refuse as early as possible: the rest of the header cannot help.
            if b0 & 0x70 != 0 {
                return Err(FrameError::BadHeader);
            }
            if masked != (self.role == Role::Server) {
                return Err(FrameError::Masking);
            }
            match b0 & 0x0F {
                OP_TEXT => return Err(FrameError::Text),
                OP_CONTINUATION | OP_BINARY => {}
                OP_CLOSE | OP_PING | OP_PONG => {
                    if b0 & FIN == 0 || u64::from(len7) > CONTROL_MAX {
                        return Err(FrameError::BadControl);
                    }
                }
                _ => return Err(FrameError::BadHeader),
            }
        }
        if self.hdr_len < need {
            return Ok(false);
        }
        let len = match ext {
            2 => u64::from(u16::from_be_bytes([self.hdr[2], self.hdr[3]])),
            8 => {
                let mut b = [0; 8];
                b.copy_from_slice(&self.hdr[2..10]);
                let v = u64::from_be_bytes(b);
                if v >> 63 != 0 {
                    return Err(FrameError::BadLength);
                }
                v
            }
            _ => u64::from(len7),
        };
        self.hdr_len = 0;
        self.masked = masked;
        if masked {
            self.mask.copy_from_slice(&self.hdr[2 + ext..6 + ext]);
        }
        self.mask_pos = 0;
        self.remaining = len;
        self.opcode = b0 & 0x0F;
        self.fin = b0 & FIN != 0;
        match self.opcode {
            OP_BINARY if self.frag.is_some() => return Err(FrameError::BadFragment),
            OP_BINARY if self.fin => {
                if len == 0 {
                    return Err(FrameError::NoFlags);
                }
                if self.too_large(len - 1) {
                    return Err(FrameError::TooLarge);
                }
                self.state = InState::Flags;
            }
            OP_BINARY => {
                self.frag = Some(Vec::new());
                self.state = InState::Fragment;
            }
            OP_CONTINUATION => {
                let held = self.frag.as_ref().ok_or(FrameError::BadFragment)?.len() as u64;
                if self.too_large((held + len).saturating_sub(1)) {
                    return Err(FrameError::TooLarge);
                }
                self.state = InState::Fragment;
            }
            _ => {
                self.ctrl.clear();
                self.state = InState::Control;
            }
        }
        if len == 0 && matches!(self.state, InState::Fragment | InState::Control) {
            // Nothing to collect: act on the frame now (the loop sees it complete).
            return self.finish_empty();
        }
        Ok(true)
    }

    /// A control frame is complete. A ping or pong shows the peer alive: once the
    /// engine runs (`keepalive`), it sees one as an empty command, at a frame
    /// boundary of its input.
    fn control_done(&mut self, payload: Vec<u8>) {
        self.state = InState::Header;
        match self.opcode {
            OP_PING | OP_PONG => {
                if self.keepalive {
                    self.staged.extend_from_slice(&[ZMTP_COMMAND, 0]);
                }
                self.controls.push_back(if self.opcode == OP_PING {
                    Control::Ping(payload)
                } else {
                    Control::Pong
                });
            }
            _ => {
                self.controls.push_back(Control::Close(payload));
                self.state = InState::Closed;
            }
        }
    }

    /// A fragment or control frame with no payload is complete at its header.
    fn finish_empty(&mut self) -> Result<bool, FrameError> {
        let state = self.state;
        self.state = InState::Header;
        match state {
            InState::Fragment if self.fin => {
                let msg = self.frag.take().unwrap_or_default();
                let Some((&f, body)) = msg.split_first() else {
                    return Err(FrameError::NoFlags);
                };
                stage_zmtp_header(&mut self.staged, f, body.len() as u64);
                self.staged.extend_from_slice(body);
            }
            InState::Control => self.control_done(Vec::new()),
            _ => {}
        }
        Ok(true)
    }
}

/// Appends the ZMTP 2.0/3.x header of a frame with ZWS flags `zws` and `size` bytes.
fn stage_zmtp_header(out: &mut Vec<u8>, zws: u8, size: u64) {
    let mut f = 0;
    if zws & ZWS_MORE != 0 {
        f |= ZMTP_MORE;
    }
    if zws & ZWS_COMMAND != 0 {
        f |= ZMTP_COMMAND;
    }
    if size > 255 {
        out.push(f | ZMTP_LARGE);
        out.extend_from_slice(&size.to_be_bytes());
    } else {
        out.push(f);
        out.push(size as u8);
    }
}

/// A small, fast generator for masking keys, seeded from the operating system's
/// random source (masks keep proxies from caching; they are no secret).
struct MaskKeys(u64);

impl MaskKeys {
    fn new() -> MaskKeys {
        let mut seed = [0u8; 8];
        let _ = ring::rand::SecureRandom::fill(&ring::rand::SystemRandom::new(), &mut seed);
        MaskKeys(u64::from_ne_bytes(seed) | 1)
    }

    fn next(&mut self) -> [u8; 4] {
        // xorshift64*
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        ((x.wrapping_mul(0x2545_F491_4F6C_DD1D) >> 32) as u32).to_ne_bytes()
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum OutState {
    Header,
    Body,
}

/// ZMTP frames in, WebSocket frames out.
pub(crate) struct Outbound {
    role: Role,
    state: OutState,
    hdr: [u8; 9],
    hdr_len: usize,
    remaining: u64,
    mask: [u8; 4],
    mask_pos: usize,
    keys: Option<MaskKeys>,
}

impl Outbound {
    pub(crate) fn new(role: Role) -> Outbound {
        Outbound {
            role,
            state: OutState::Header,
            hdr: [0; 9],
            hdr_len: 0,
            remaining: 0,
            mask: [0; 4],
            mask_pos: 0,
            keys: (role == Role::Client).then(MaskKeys::new),
        }
    }

    fn next_mask(&mut self) -> Option<[u8; 4]> {
        self.keys.as_mut().map(MaskKeys::next)
    }

    /// Translates all of `input` (ZMTP bytes, split anywhere) into WebSocket bytes
    /// appended to `out`.
    pub(crate) fn encode(&mut self, input: &[u8], out: &mut Vec<u8>) {
        let mut i = 0;
        while i < input.len() {
            match self.state {
                OutState::Header => {
                    let (f, size) = if self.hdr_len == 0
                        && input.len() - i >= 2
                        && input[i] & ZMTP_LARGE == 0
                    {
                        // A whole short header: no need to gather it byte by byte.
                        i += 2;
                        (input[i - 2], u64::from(input[i - 1]))
                    } else {
                        self.hdr[self.hdr_len] = input[i];
                        self.hdr_len += 1;
                        i += 1;
                        let f = self.hdr[0];
                        let need = if f & ZMTP_LARGE != 0 { 9 } else { 2 };
                        if self.hdr_len < need {
                            continue;
                        }
                        let size = if need == 9 {
                            let mut b = [0; 8];
                            b.copy_from_slice(&self.hdr[1..9]);
                            u64::from_be_bytes(b)
                        } else {
                            u64::from(self.hdr[1])
                        };
                        (f, size)
                    };
                    self.hdr_len = 0;
                    if f & ZMTP_COMMAND != 0 && size == 0 {
                        // The engine's heartbeat over ZWS: a WebSocket ping.
                        self.control(OP_PING, &[], out);
                        continue;
                    }
                    let mut zws = 0;
                    if f & ZMTP_MORE != 0 {
                        zws |= ZWS_MORE;
                    }
                    if f & ZMTP_COMMAND != 0 {
                        zws |= ZWS_COMMAND;
                    }
                    let mask = self.next_mask();
                    put_header(out, OP_BINARY, size + 1, mask);
                    match mask {
                        Some(m) => {
                            out.push(zws ^ m[0]);
                            self.mask = m;
                            self.mask_pos = 1;
                        }
                        None => out.push(zws),
                    }
                    self.remaining = size;
                    if size > 0 {
                        self.state = OutState::Body;
                    }
                }
                OutState::Body => {
                    let n = self.remaining.min((input.len() - i) as u64) as usize;
                    let start = out.len();
                    out.extend_from_slice(&input[i..i + n]);
                    if self.role == Role::Client {
                        apply_mask(&mut out[start..], self.mask, self.mask_pos);
                        self.mask_pos += n;
                    }
                    i += n;
                    self.remaining -= n as u64;
                    if self.remaining == 0 {
                        self.state = OutState::Header;
                    }
                }
            }
        }
    }

    /// Appends a control frame (ping, pong, close) with `payload` (at most 125 bytes).
    pub(crate) fn control(&mut self, opcode: u8, payload: &[u8], out: &mut Vec<u8>) {
        let payload = &payload[..payload.len().min(CONTROL_MAX as usize)];
        let mask = self.next_mask();
        put_header(out, opcode, payload.len() as u64, mask);
        let start = out.len();
        out.extend_from_slice(payload);
        if let Some(m) = mask {
            apply_mask(&mut out[start..], m, 0);
        }
    }
}

/// Appends a final frame's header: opcode, length and masking key.
fn put_header(out: &mut Vec<u8>, opcode: u8, len: u64, mask: Option<[u8; 4]>) {
    out.push(FIN | opcode);
    let m = if mask.is_some() { MASKED } else { 0 };
    if len < 126 {
        out.push(m | len as u8);
    } else if len <= 0xFFFF {
        out.push(m | 126);
        out.extend_from_slice(&(len as u16).to_be_bytes());
    } else {
        out.push(m | 127);
        out.extend_from_slice(&len.to_be_bytes());
    }
    if let Some(k) = mask {
        out.extend_from_slice(&k);
    }
}
