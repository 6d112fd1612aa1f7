//! The message: small payloads live inline, larger ones in a shared, reference-counted
//! buffer (so `zmq_msg_copy` shares instead of copying), user buffers run their free
//! function exactly once from whichever thread drops the last reference.
//!
//! A `Msg` is stored in place inside the caller's 64-byte `zmq_msg_t`; `magic` lets the
//! C boundary tell a live message from a closed or never-initialised one.

use std::alloc::{self, Layout};
use std::ffi::{c_void, CStr, CString};
use std::ptr::NonNull;
use std::sync::atomic::{fence, AtomicU64, AtomicUsize, Ordering};
use std::sync::Arc;

use crate::abi::zmq_free_fn;
use crate::ticket::Ticket;

/// Largest payload kept inside the message itself (libzmq's "very small message").
pub const MAX_INLINE: usize = 33;

/// Flag bits of a message.
pub mod flags {
    /// More parts follow.
    pub const MORE: u8 = 1;
    /// A protocol command (subscription, ping...), not user data.
    pub const COMMAND: u8 = 2;
    /// The routing id a peer announces as the first message of a pipe.
    pub const ROUTING_ID: u8 = 4;
}

/// Marker stored in a live message.
const LIVE: u32 = 0x6d73_6721;

/// Connection properties attached to received messages (`zmq_msg_gets`).
#[derive(Debug, Default)]
pub struct Metadata {
    props: Vec<(String, CString)>,
}

impl Metadata {
    /// Builds metadata from name/value pairs; values with interior NULs are truncated.
    pub fn new(pairs: impl IntoIterator<Item = (String, Vec<u8>)>) -> Metadata {
        let props = pairs
            .into_iter()
            .map(|(k, mut v)| {
                if let Some(nul) = v.iter().position(|&b| b == 0) {
                    v.truncate(nul);
                }
                (k, CString::new(v).unwrap_or_default())
            })
            .collect();
        Metadata { props }
    }

    /// Looks a property up by name (case-insensitive, as ZMTP property names are).
    pub fn get(&self, name: &str) -> Option<&CStr> {
        self.props
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_c_str())
    }
}

/// Rarely used parts of a message, behind one shared pointer so the common message
/// stays small and messages of one connection share a single copy.
#[derive(Debug, Default, Clone)]
struct Extras {
    metadata: Option<Arc<Metadata>>,
    group: Option<CString>,
}

/// Connection properties prepared once, then attached to each received message
/// without an allocation per message.
#[derive(Clone, Debug)]
pub struct Properties(Arc<Extras>);

impl Properties {
    pub fn new(metadata: Arc<Metadata>) -> Properties {
        Properties(Arc::new(Extras {
            metadata: Some(metadata),
            group: None,
        }))
    }

    /// These properties (or none) with a RADIO/DISH group: received messages of one
    /// group share them, without an allocation per message.
    pub fn with_group(base: Option<&Properties>, group: CString) -> Properties {
        Properties(Arc::new(Extras {
            metadata: base.and_then(|p| p.0.metadata.clone()),
            group: Some(group),
        }))
    }

    /// The group these properties carry.
    pub fn group(&self) -> Option<&CStr> {
        self.0.group.as_deref()
    }
}

/// Header of a reference-counted payload. Payloads the library allocates follow the
/// header in the same allocation (one malloc per large message, as in libzmq); user
/// buffers (`zmq_msg_init_data`) stay where they are and are released by `ffn`.
#[repr(C)]
struct Header {
    refs: AtomicUsize,
    len: usize,
    data: *mut u8,
    ffn: Option<zmq_free_fn>,
    hint: *mut c_void,
    /// Bytes allocated after the header (0 for user buffers).
    inline_capacity: usize,
    /// A pooled block's ticket generation (see `crate::ticket`): in the line the
    /// threads passing the block touch anyway, and valid forever, as pooled blocks
    /// are never freed. Even while no `zmq_msg_t` holds the block.
    generation: AtomicU64,
    /// A block of the pool: never freed, back to the pool when released.
    pooled: bool,
}

/// Payload room of the blocks small messages share through `SMALL_POOL`.
const SMALL_BLOCK: usize = 256;

/// Blocks the pool may make (and hold): 1.3 MiB at most. Past it, small payloads are
/// allocated and freed as large ones are.
const POOL_BLOCKS: usize = 4096;

/// Pool blocks made so far.
static POOL_MADE: AtomicUsize = AtomicUsize::new(0);

/// Larger payloads, up to 64 KiB, are allocated in size classes (512 B, 768 B, 1 KiB,
/// 1.5 KiB ... 48 KiB, 64 KiB: at most a third of a block unused), and a freed block
/// waits in its class's cache for the next payload of the class: the thread that frees
/// a message is rarely the one that made it, and glibc's arenas then contend for their
/// locks on every message. Unlike the small pool's, these blocks are freed when their
/// cache is full.
const MID_CLASSES: usize = 15;
/// Bytes each class's cache may hold (15 MiB for all classes at most).
const MID_CACHE_BYTES: usize = 1 << 20;

type BlockQueue = (
    crossbeam_channel::Sender<PooledBlock>,
    crossbeam_channel::Receiver<PooledBlock>,
);

static MID_CACHES: once_cell::sync::Lazy<Vec<BlockQueue>> = once_cell::sync::Lazy::new(|| {
    (0..MID_CLASSES)
        .map(|class| crossbeam_channel::bounded((MID_CACHE_BYTES / mid_capacity(class)).max(4)))
        .collect()
});

/// The capacity of a class: 512 B, then 768 B and 1 KiB, 1.5 KiB and 2 KiB...
fn mid_capacity(class: usize) -> usize {
    let p = 512usize << class.div_ceil(2);
    if class % 2 == 1 {
        p / 4 * 3
    } else {
        p
    }
}

/// The class of a payload of `len` bytes (an index into `MID_CACHES`) and its capacity.
fn mid_class(len: usize) -> Option<(usize, usize)> {
    if len <= SMALL_BLOCK || len > mid_capacity(MID_CLASSES - 1) {
        return None;
    }
    let p = len.next_power_of_two().max(512);
    let octave = (p.trailing_zeros() - 9) as usize;
    let three_quarters = p / 4 * 3;
    if octave > 0 && len <= three_quarters {
        Some((2 * octave - 1, three_quarters))
    } else {
        Some((2 * octave, p))
    }
}

/// A free block waiting for reuse in the small pool or in a class's cache.
struct PooledBlock(NonNull<Header>);

// SAFETY: a waiting block is unreferenced memory owned by its pool or cache.
unsafe impl Send for PooledBlock {}

/// Free small blocks, for reuse by any thread: messages are usually allocated by one
/// thread and freed by another (the application and an I/O thread), which glibc's
/// per-thread caches serve badly. It holds every block it ever made.
static SMALL_POOL: once_cell::sync::Lazy<(
    crossbeam_channel::Sender<PooledBlock>,
    crossbeam_channel::Receiver<PooledBlock>,
)> = once_cell::sync::Lazy::new(|| crossbeam_channel::bounded(POOL_BLOCKS));

/// A counted reference to a shared payload.
pub struct Buffer(NonNull<Header>);

// SAFETY: the header's count is atomic; payload bytes are only read through shared
// views; a user free function is documented by libzmq as callable from any thread.
unsafe impl Send for Buffer {}
// SAFETY: as above.
unsafe impl Sync for Buffer {}

impl Buffer {
    fn layout(inline_capacity: usize) -> Option<Layout> {
        let size = std::mem::size_of::<Header>().checked_add(inline_capacity)?;
        Layout::from_size_align(size, std::mem::align_of::<Header>()).ok()
    }

    /// Allocates header and `len` bytes in one block, zeroed or not. Small payloads
    /// take a block of the pool: a free one, or a new one while the pool may grow.
    fn alloc(len: usize, zeroed: bool) -> Option<Buffer> {
        let small = (1..=SMALL_BLOCK).contains(&len);
        let mid = mid_class(len);
        let cached = match mid {
            Some((class, _)) => MID_CACHES[class].1.try_recv().ok(),
            None if small => SMALL_POOL.1.try_recv().ok(),
            None => None,
        };
        let raw = match cached {
            // SAFETY: a block waiting in a pool or cache is unreferenced and at least
            // as large as its class, which `len` fits. A small pool block's generation
            // is left as it is (see `Header::generation`).
            Some(b) => unsafe {
                let raw = b.0.as_ptr();
                (*raw).refs.store(1, Ordering::Relaxed);
                (*raw).len = len;
                raw
            },
            None => {
                let pooled = small && POOL_MADE.fetch_add(1, Ordering::Relaxed) < POOL_BLOCKS;
                if small && !pooled {
                    POOL_MADE.fetch_sub(1, Ordering::Relaxed);
                }
                let capacity = match mid {
                    Some((_, capacity)) => capacity,
                    None if pooled => SMALL_BLOCK,
                    None => len,
                };
                let layout = Buffer::layout(capacity)?;
                // SAFETY: layout has non-zero size (the header).
                let raw = (unsafe { alloc::alloc(layout) }) as *mut Header;
                if raw.is_null() {
                    if pooled {
                        POOL_MADE.fetch_sub(1, Ordering::Relaxed);
                    }
                    return None;
                }
                // SAFETY: fresh allocation large enough for the header.
                unsafe {
                    raw.write(Header {
                        refs: AtomicUsize::new(1),
                        len,
                        data: (raw as *mut u8).add(std::mem::size_of::<Header>()),
                        ffn: None,
                        hint: std::ptr::null_mut(),
                        inline_capacity: capacity,
                        generation: AtomicU64::new(0),
                        pooled,
                    })
                };
                raw
            }
        };
        let header = NonNull::new(raw)?;
        if zeroed {
            // SAFETY: the block has room for `len` bytes after its header.
            unsafe { std::ptr::write_bytes((*raw).data, 0, len) };
        }
        Some(Buffer(header))
    }

    fn user(data: *mut u8, len: usize, ffn: Option<zmq_free_fn>, hint: *mut c_void) -> Buffer {
        let b = Buffer::alloc(0, false).expect("header allocation");
        // SAFETY: we own the only reference to the fresh header.
        unsafe {
            let h = &mut *b.0.as_ptr();
            h.len = len;
            h.data = data;
            h.ffn = ffn;
            h.hint = hint;
        }
        b
    }

    fn header(&self) -> &Header {
        // SAFETY: the header lives as long as any reference to it.
        unsafe { self.0.as_ref() }
    }

    fn refs(&self) -> usize {
        self.header().refs.load(Ordering::Acquire)
    }

    /// A pool block's ticket generation word.
    fn generation(&self) -> Option<&'static AtomicU64> {
        // SAFETY: pool blocks are never freed, so their header outlives any ticket.
        self.header()
            .pooled
            .then(|| unsafe { &(*self.0.as_ptr()).generation })
    }
}

impl Clone for Buffer {
    fn clone(&self) -> Self {
        self.header().refs.fetch_add(1, Ordering::Relaxed);
        Buffer(self.0)
    }
}

impl Drop for Buffer {
    fn drop(&mut self) {
        if self.header().refs.fetch_sub(1, Ordering::Release) != 1 {
            return;
        }
        fence(Ordering::Acquire);
        let h = self.header();
        if let Some(ffn) = h.ffn {
            // SAFETY: the caller of zmq_msg_init_data handed us `data` with this function
            // to release it; the count reaching zero makes this the one call.
            unsafe { ffn(h.data.cast(), h.hint) };
        }
        if h.pooled {
            // The pool has room for every block it made; were it ever full, the block
            // would stay allocated (its generation must stay readable), never freed.
            let _ = SMALL_POOL.0.try_send(PooledBlock(self.0));
            return;
        }
        if h.ffn.is_none() {
            if let Some((class, capacity)) = mid_class(h.inline_capacity) {
                if capacity == h.inline_capacity
                    && MID_CACHES[class].0.try_send(PooledBlock(self.0)).is_ok()
                {
                    return;
                }
            }
        }
        let layout = Buffer::layout(h.inline_capacity).expect("layout was valid at allocation");
        // SAFETY: last reference; the block was allocated with this layout.
        unsafe { alloc::dealloc(self.0.as_ptr().cast(), layout) };
    }
}

enum Body {
    Inline {
        len: u8,
        data: [u8; MAX_INLINE],
    },
    /// A shared payload, and its ticket while a `zmq_msg_t` holds it.
    Shared(Buffer, Ticket),
    Const {
        ptr: *const u8,
        len: usize,
    },
}

/// One message part.
pub struct Msg {
    body: Body,
    extras: Option<Arc<Extras>>,
    routing_id: u32,
    magic: u32,
    flags: u8,
}

// SAFETY: a `Const` body points at caller memory that libzmq's contract
// (zmq_send_const) requires to stay valid and unmodified; everything else is owned.
unsafe impl Send for Msg {}

const _: () = assert!(std::mem::size_of::<Msg>() <= 64);
const _: () = assert!(std::mem::align_of::<Msg>() <= 8);

impl Default for Msg {
    fn default() -> Self {
        Msg::new()
    }
}

impl std::fmt::Debug for Msg {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Msg")
            .field("len", &self.len())
            .field("flags", &self.flags)
            .finish()
    }
}

impl Msg {
    /// Offset of the liveness marker inside the struct, for the C boundary's check.
    pub const MAGIC_OFFSET: usize = std::mem::offset_of!(Msg, magic);
    /// Value of the marker in a live message.
    pub const MAGIC: u32 = LIVE;

    fn with_body(body: Body) -> Msg {
        Msg {
            body,
            extras: None,
            routing_id: 0,
            magic: LIVE,
            flags: 0,
        }
    }

    /// An empty message.
    pub fn new() -> Msg {
        Msg::with_body(Body::Inline {
            len: 0,
            data: [0; MAX_INLINE],
        })
    }

    /// A message of `size` bytes for the caller to fill (`zmq_msg_init_size`): like
    /// libzmq, large payloads are not cleared, which would cost a full pass over memory
    /// the caller is about to write. ENOMEM when it cannot be allocated.
    pub fn with_size(size: usize) -> Result<Msg, crate::error::Errno> {
        if size <= MAX_INLINE {
            return Ok(Msg::with_body(Body::Inline {
                len: size as u8,
                data: [0; MAX_INLINE],
            }));
        }
        let buf = Buffer::alloc(size, false).ok_or(crate::error::Errno::ENOMEM)?;
        Ok(Msg::with_body(Body::Shared(buf, Ticket::default())))
    }

    /// A message holding a copy of `bytes`.
    pub fn from_slice(bytes: &[u8]) -> Msg {
        Msg::try_from_slice(bytes).expect("out of memory")
    }

    /// A message holding a copy of `bytes`; ENOMEM when it cannot be allocated (the
    /// C API's path: a caller's buffer may be larger than what can be copied).
    pub fn try_from_slice(bytes: &[u8]) -> Result<Msg, crate::error::Errno> {
        if bytes.len() <= MAX_INLINE {
            let mut data = [0; MAX_INLINE];
            data[..bytes.len()].copy_from_slice(bytes);
            return Ok(Msg::with_body(Body::Inline {
                len: bytes.len() as u8,
                data,
            }));
        }
        let buf = Buffer::alloc(bytes.len(), false).ok_or(crate::error::Errno::ENOMEM)?;
        // SAFETY: the fresh buffer has room for exactly bytes.len() bytes.
        unsafe { std::ptr::copy_nonoverlapping(bytes.as_ptr(), buf.header().data, bytes.len()) };
        Ok(Msg::with_body(Body::Shared(buf, Ticket::default())))
    }

    /// A message over a caller's buffer, released by `ffn(data, hint)` when the last
    /// reference goes (never, if `ffn` is None).
    pub fn from_user(
        data: *mut u8,
        len: usize,
        ffn: Option<zmq_free_fn>,
        hint: *mut c_void,
    ) -> Msg {
        Msg::with_body(Body::Shared(
            Buffer::user(data, len, ffn, hint),
            Ticket::default(),
        ))
    }

    /// A message over constant caller memory that outlives it (`zmq_send_const`).
    pub fn constant(ptr: *const u8, len: usize) -> Msg {
        Msg::with_body(Body::Const { ptr, len })
    }

    /// Payload length in bytes.
    #[inline]
    pub fn len(&self) -> usize {
        match &self.body {
            Body::Inline { len, .. } => *len as usize,
            Body::Shared(buf, _) => buf.header().len,
            Body::Const { len, .. } => *len,
        }
    }

    /// True for a zero-length payload.
    #[inline]
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The payload.
    #[inline]
    pub fn data(&self) -> &[u8] {
        match &self.body {
            Body::Inline { len, data } => &data[..*len as usize],
            // SAFETY: ptr/len describe memory owned by (or promised to) the buffer for its life.
            Body::Shared(buf, _) => unsafe { slice_of(buf.header().data, buf.header().len) },
            // SAFETY: zmq_send_const's contract keeps this memory valid.
            Body::Const { ptr, len } => unsafe { slice_of(*ptr, *len) },
        }
    }

    /// A pointer to the payload, writable as libzmq's `zmq_msg_data` is.
    pub fn data_ptr(&mut self) -> *mut u8 {
        match &mut self.body {
            Body::Inline { data, .. } => data.as_mut_ptr(),
            Body::Shared(buf, _) => buf.header().data,
            Body::Const { ptr, .. } => *ptr as *mut u8,
        }
    }

    /// A second message sharing this one's payload (inline payloads are copied).
    pub fn share(&self) -> Msg {
        let body = match &self.body {
            Body::Inline { len, data } => Body::Inline {
                len: *len,
                data: *data,
            },
            Body::Shared(buf, _) => Body::Shared(buf.clone(), Ticket::default()),
            Body::Const { ptr, len } => Body::Const {
                ptr: *ptr,
                len: *len,
            },
        };
        Msg {
            body,
            extras: self.extras.clone(),
            routing_id: self.routing_id,
            magic: LIVE,
            flags: self.flags,
        }
    }

    /// True when the payload is shared with another message or is constant memory.
    pub fn is_shared(&self) -> bool {
        match &self.body {
            Body::Inline { .. } => false,
            Body::Shared(buf, _) => buf.refs() > 1,
            Body::Const { .. } => true,
        }
    }

    #[inline]
    pub fn flags(&self) -> u8 {
        self.flags
    }

    #[inline]
    pub fn more(&self) -> bool {
        self.flags & flags::MORE != 0
    }

    #[inline]
    pub fn set_more(&mut self, more: bool) {
        if more {
            self.flags |= flags::MORE;
        } else {
            self.flags &= !flags::MORE;
        }
    }

    #[inline]
    pub fn set_flags(&mut self, f: u8) {
        self.flags |= f;
    }

    #[inline]
    pub fn reset_flags(&mut self, f: u8) {
        self.flags &= !f;
    }

    #[inline]
    pub fn is_routing_id(&self) -> bool {
        self.flags & flags::ROUTING_ID != 0
    }

    #[inline]
    pub fn is_command(&self) -> bool {
        self.flags & flags::COMMAND != 0
    }

    /// The draft routing id (CLIENT/SERVER), 0 when unset.
    pub fn routing_id(&self) -> u32 {
        self.routing_id
    }

    pub fn set_routing_id(&mut self, id: u32) {
        self.routing_id = id;
    }

    /// Connection properties, if the message came from a peer that announced any.
    pub fn metadata(&self) -> Option<&Arc<Metadata>> {
        self.extras.as_ref().and_then(|e| e.metadata.as_ref())
    }

    pub fn set_metadata(&mut self, meta: Option<Arc<Metadata>>) {
        if meta.is_none() && self.extras.is_none() {
            return;
        }
        Arc::make_mut(self.extras.get_or_insert_with(Default::default)).metadata = meta;
    }

    /// Attaches prepared connection properties (shared, no allocation).
    pub fn set_properties(&mut self, props: &Properties) {
        self.extras = Some(props.0.clone());
    }

    /// The draft group (RADIO/DISH).
    pub fn group(&self) -> Option<&CStr> {
        self.extras.as_ref().and_then(|e| e.group.as_deref())
    }

    pub fn set_group(&mut self, group: Option<CString>) {
        Arc::make_mut(self.extras.get_or_insert_with(Default::default)).group = group;
    }

    /// The ticket of a shared payload held in a `zmq_msg_t` (see `crate::ticket`).
    #[inline]
    pub fn ticket(&self) -> Ticket {
        match &self.body {
            Body::Shared(_, ticket) => *ticket,
            _ => Ticket::default(),
        }
    }

    /// Gives a shared payload a ticket (none for other bodies, which a copy by value
    /// cannot release twice), returning the one it had.
    #[inline]
    pub fn replace_ticket(&mut self, new: Ticket) -> Ticket {
        match &mut self.body {
            Body::Shared(_, ticket) => std::mem::replace(ticket, new),
            _ => Ticket::default(),
        }
    }

    /// Gives a shared payload just stored into a `zmq_msg_t` its ticket: its pool
    /// block's own when free, else one from the table. `fresh`: the payload was just
    /// made, so nothing else can hold it; a payload this message alone references
    /// (a received one, mostly) is claimed the same cheap way.
    #[inline]
    pub fn issue_ticket(&mut self, fresh: bool) {
        if let Body::Shared(buf, ticket) = &mut self.body {
            let own = buf
                .generation()
                .and_then(|word| Ticket::claim(word, fresh || buf.refs() == 1));
            *ticket = own.unwrap_or_else(Ticket::issue);
        }
    }

    /// True when the payload is shared (it then takes a ticket in a `zmq_msg_t`).
    #[inline]
    pub fn has_shared_payload(&self) -> bool {
        matches!(self.body, Body::Shared(..))
    }

    /// Drops payload and properties, leaving an empty message.
    pub fn clear(&mut self) {
        *self = Msg::new();
    }
}

/// # Safety
/// `ptr` must point at `len` readable bytes (or `len` must be 0).
unsafe fn slice_of<'a>(ptr: *const u8, len: usize) -> &'a [u8] {
    if len == 0 {
        &[]
    } else {
        std::slice::from_raw_parts(ptr, len)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn small_blocks_are_reused_with_their_new_size_and_bytes() {
        for round in 0..3u8 {
            let msgs: Vec<Msg> = (34..=300usize)
                .map(|n| Msg::from_slice(&vec![round; n]))
                .collect();
            for (m, n) in msgs.iter().zip(34..=300usize) {
                assert_eq!(m.len(), n);
                assert!(m.data().iter().all(|&b| b == round));
            }
            let shared: Vec<Msg> = msgs.iter().map(Msg::share).collect();
            drop(msgs);
            // Still referenced by the shares: nothing went back to the pool.
            assert!(shared.iter().all(|m| m.data().iter().all(|&b| b == round)));
        }
        let m = Msg::with_size(100).unwrap();
        assert_eq!(m.len(), 100);
    }

    #[test]
    fn payload_classes_fit_and_waste_at_most_a_third() {
        let mut last = SMALL_BLOCK;
        for class in 0..MID_CLASSES {
            let capacity = mid_capacity(class);
            assert!(capacity > last, "classes grow");
            assert_eq!(mid_class(capacity), Some((class, capacity)));
            last = capacity;
        }
        assert_eq!(last, 64 << 10);
        for len in SMALL_BLOCK + 1..=last {
            let (class, capacity) = mid_class(len).unwrap();
            assert_eq!(capacity, mid_capacity(class));
            assert!(
                capacity >= len && capacity * 2 <= len * 3 + 512,
                "{len}: {capacity}"
            );
            assert!(
                class == 0 || mid_capacity(class - 1) < len,
                "the smallest class that fits"
            );
        }
        assert_eq!(mid_class(SMALL_BLOCK), None);
        assert_eq!(mid_class(last + 1), None);
    }

    #[test]
    fn larger_blocks_are_reused_with_their_new_size_and_bytes() {
        for round in 0..3u8 {
            let msgs: Vec<Msg> = [257, 700, 768, 769, 5000, 40_000, 65_536]
                .iter()
                .map(|&n| Msg::from_slice(&vec![round; n]))
                .collect();
            for m in &msgs {
                assert!(m.data().iter().all(|&b| b == round));
            }
        }
        let m = Msg::with_size(1500).unwrap();
        assert_eq!(m.len(), 1500);
    }
    use std::sync::atomic::{AtomicUsize, Ordering};

    #[test]
    fn small_messages_are_inline() {
        let m = Msg::from_slice(b"hello");
        assert_eq!(m.data(), b"hello");
        assert!(!m.is_shared());
        let big = Msg::from_slice(&[7u8; 100]);
        let copy = big.share();
        assert!(big.is_shared() && copy.is_shared());
        assert_eq!(copy.data().as_ptr(), big.data().as_ptr());
    }

    static FREED: AtomicUsize = AtomicUsize::new(0);
    unsafe extern "C" fn count_free(_d: *mut c_void, _h: *mut c_void) {
        FREED.fetch_add(1, Ordering::SeqCst);
    }

    #[test]
    fn user_buffer_freed_once() {
        let mut data = [1u8; 8];
        let m = Msg::from_user(data.as_mut_ptr(), 8, Some(count_free), std::ptr::null_mut());
        let c = m.share();
        drop(m);
        assert_eq!(FREED.load(Ordering::SeqCst), 0);
        std::thread::spawn(move || drop(c)).join().unwrap();
        assert_eq!(FREED.load(Ordering::SeqCst), 1);
    }

    #[test]
    fn metadata_lookup_ignores_case() {
        let meta = Metadata::new([("Socket-Type".to_string(), b"DEALER".to_vec())]);
        assert_eq!(meta.get("socket-type").unwrap().to_bytes(), b"DEALER");
        assert!(meta.get("Identity").is_none());
    }
}
