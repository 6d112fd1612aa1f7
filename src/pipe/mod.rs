//! The pipe between a socket and one peer: a queue each way, high-water-mark credit,
//! wake-ups on the empty-to-non-empty transition, and termination.
//!
//! The first message written each way is the writer's routing id (flagged
//! `ROUTING_ID`); the reading end consumes it and keeps it as `peer_routing_id`, so
//! every pipe knows its peer's identity the same way whether the peer is a socket in
//! this process or a network session.

mod queue;

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};
use std::sync::atomic::{fence, AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use once_cell::sync::OnceCell;
use parking_lot::Mutex;

use crate::monitor::Endpoints;
use crate::msg::{flags, Msg};

use queue::{queue, Reader, Writer};

/// Identity of one pipe end, unique in the process.
pub(crate) type PipeId = u64;

/// What one end of a pipe tells the owner of the other end.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum PipeEvent {
    /// The owner's inbound queue on this pipe went from empty to non-empty.
    ReadActivated(PipeId),
    /// The peer consumed messages: there may be room to write again.
    WriteActivated(PipeId),
    /// The peer terminated its end: read what is left, then drop the pipe.
    Terminated(PipeId),
    /// The network connection behind the pipe was re-established (subscribers
    /// re-send their subscriptions).
    Hiccup(PipeId),
}

/// The owner of a pipe end (a socket or a network session): how the other end wakes
/// it. Called from the other end's thread.
pub(crate) trait PipeOwner: Send + Sync {
    fn pipe_event(&self, event: PipeEvent);
}

/// An owner that also takes new pipes: a socket, to which a connecting peer or a
/// network session hands its end.
pub(crate) trait PipeAcceptor: PipeOwner {
    fn accept_pipe(&self, pipe: PipeEnd, info: PeerInfo);
}

/// How a direct write went.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Direct {
    /// Not possible now: the caller queues the message in the pipe.
    Refused,
    /// All bytes were written.
    Written,
    /// Some bytes are left for the connection's I/O thread, which must be woken.
    Partial,
}

/// A network connection the application thread may write a message to itself, while
/// the connection's I/O thread has written out everything queued before it (network
/// pipes only; the I/O layer provides it).
pub(crate) trait DirectSink: Send + Sync {
    /// Writes the parts of one whole message if the connection is still idle at `pos`;
    /// `scratch` is the caller's reusable buffer.
    fn try_write(&self, pos: u64, parts: &[Msg], scratch: &mut Vec<u8>) -> Direct;
}

/// The pipe position up to which a connection's I/O thread has written out all it
/// read (`IDLE_NONE` while it is busy or there is no connection): the cheap test, on
/// every send, of whether a direct write could go ahead.
pub(crate) type IdleMark = Arc<AtomicU64>;

/// An `IdleMark` value no pipe position ever has.
pub(crate) const IDLE_NONE: u64 = u64::MAX;

/// What the application end of a network pipe needs for direct writes.
pub(crate) struct DirectPath {
    pub(crate) sink: Arc<dyn DirectSink>,
    pub(crate) idle: IdleMark,
}

/// Messages that answer nothing go through the pipe when written within this long of
/// the last direct write.
const DIRECT_GAP: Duration = Duration::from_millis(1);
/// A direct-write buffer that grew beyond this is not kept.
const DIRECT_BUF_KEEP: usize = 128 * 1024;

static NEXT_PIPE_ID: AtomicU64 = AtomicU64::new(1);

/// What the attaching side learns about the pipe it is handed.
#[derive(Clone, Debug, Default)]
pub struct PeerInfo {
    /// The endpoint this pipe belongs to on the attaching side (for unbind/disconnect).
    pub endpoint: Option<String>,
    /// The addresses monitor events about the pipe report (ZMQ_EVENT_PIPES_STATS).
    pub at: Endpoints,
}

/// State the two ends share; index `s` belongs to the end on side `s`. Cache lines of
/// its own: both threads read it per message and write it per batch.
#[repr(align(128))]
struct Shared {
    ids: [PipeId; 2],
    owner: [OnceCell<Arc<dyn PipeOwner>>; 2],
    /// Complete messages read by side `s` so far (published every low-water mark).
    msgs_read: [AtomicU64; 2],
    /// Side `s`'s writer found the queue full and waits for credit.
    writer_waiting: [AtomicBool; 2],
    /// Side `s` has terminated its end.
    closed: [AtomicBool; 2],
    /// Capacity in messages of the queue written by side `s` (0: unlimited).
    hwm: [AtomicU64; 2],
    /// The high-water marks each side's socket announced (none for a network
    /// session), from which a change of either recomputes both capacities.
    parts: Mutex<[Option<HwmPart>; 2]>,
}

/// One socket's high-water-mark options, as it announced them to a pipe.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct HwmPart {
    pub sndhwm: i32,
    pub rcvhwm: i32,
    pub conflate: bool,
}

/// Capacity of the queue from a socket announcing `from` to one announcing `to`: as
/// libzmq, the sum of both marks between two sockets of this process, a socket's own
/// mark towards or from a network session (`None`), 0 (unlimited) when a mark is 0
/// or a side conflates. None when neither side announced anything.
fn capacity(from: Option<HwmPart>, to: Option<HwmPart>) -> Option<u64> {
    let unlimited = |p: &HwmPart, mark: i32| p.conflate || mark <= 0;
    Some(match (from, to) {
        (Some(f), Some(t)) if unlimited(&f, f.sndhwm) || unlimited(&t, t.rcvhwm) => 0,
        (Some(f), Some(t)) => f.sndhwm as u64 + t.rcvhwm as u64,
        (Some(f), None) if unlimited(&f, f.sndhwm) => 0,
        (Some(f), None) => f.sndhwm as u64,
        (None, Some(t)) if unlimited(&t, t.rcvhwm) => 0,
        (None, Some(t)) => t.rcvhwm as u64,
        (None, None) => return None,
    })
}

/// Low-water mark for a high-water mark: credit is returned in batches of this size.
/// As libzmq 4.3, half the mark, so the writer never sees a pipe as fuller than half
/// a batch beyond the truth (unlimited pipes still batch).
fn lwm(hwm: u64) -> u64 {
    if hwm == 0 {
        1024
    } else {
        hwm.div_ceil(2).max(1)
    }
}

/// One end of a pipe, owned by a socket (or a network session).
pub struct PipeEnd {
    pub id: PipeId,
    side: usize,
    shared: Arc<Shared>,
    writer: Writer,
    reader: Reader,
    msgs_written: u64,
    peer_read_cache: u64,
    msgs_read: u64,
    /// Complete messages still to read before credit is returned to the writer.
    credit_countdown: u64,
    /// This end's copy of its outbound capacity, refreshed when the pipe looks full
    /// and when the peer announces new marks (see `announce_hwms`).
    out_hwm: u64,
    /// The inbound capacity `credit_countdown` was last fitted to.
    in_hwm: u64,
    /// This end's routing id was written (by its socket, or by an inproc peer that
    /// connected to it).
    routing_id_sent: bool,
    out_more: bool,
    /// The routing id the peer announced, once read.
    pub peer_routing_id: Option<Vec<u8>>,
    /// Keep only the newest inbound message (ZMQ_CONFLATE).
    pub conflate: bool,
    /// The peer terminated its end: read what is left, then drop the pipe.
    pub peer_gone: bool,
    /// Membership flags owned by the socket's patterns (fair queue, load balancer).
    pub in_active: bool,
    pub out_active: bool,
    /// The endpoint this pipe was made for, on this side.
    pub endpoint: Option<String>,
    /// The addresses its monitor events report.
    pub addresses: Endpoints,
    /// Pattern-specific name of this pipe (ROUTER's routing id for it).
    pub route: Option<Vec<u8>>,
    /// The other end is served by an I/O thread (a tcp or ipc connection), not by an
    /// application thread of this process.
    pub network: bool,
    /// The connection an application end may write to directly (network pipes only).
    direct: Option<DirectPath>,
    /// Parts of a message headed for a direct write (application end).
    staged: Vec<Msg>,
    /// The staged parts encoded, reused between messages.
    direct_buf: Vec<u8>,
    /// When the last direct write went out: messages sent in quick succession go
    /// through the pipe, where the I/O thread batches them.
    last_direct: Option<Instant>,
    /// The last message read emptied the pipe: the peer now waits for an answer, which
    /// may go out directly however recent the last direct write was.
    awaiting_reply: bool,
}

/// A connected pair of pipe ends. `hwm[s]` caps the queue written by end `s`.
pub fn pipe_pair(hwm: [u64; 2]) -> (PipeEnd, PipeEnd) {
    let ids = [
        NEXT_PIPE_ID.fetch_add(1, Ordering::Relaxed),
        NEXT_PIPE_ID.fetch_add(1, Ordering::Relaxed),
    ];
    let shared = Arc::new(Shared {
        ids,
        owner: [OnceCell::new(), OnceCell::new()],
        msgs_read: [AtomicU64::new(0), AtomicU64::new(0)],
        writer_waiting: [AtomicBool::new(false), AtomicBool::new(false)],
        closed: [AtomicBool::new(false), AtomicBool::new(false)],
        hwm: [AtomicU64::new(hwm[0]), AtomicU64::new(hwm[1])],
        parts: Mutex::new([None, None]),
    });
    let (w0, r1) = queue();
    let (w1, r0) = queue();
    let end = |side: usize, writer, reader| PipeEnd {
        id: ids[side],
        side,
        shared: shared.clone(),
        writer,
        reader,
        msgs_written: 0,
        peer_read_cache: 0,
        msgs_read: 0,
        credit_countdown: lwm(hwm[1 - side]),
        out_hwm: hwm[side],
        in_hwm: hwm[1 - side],
        routing_id_sent: false,
        out_more: false,
        peer_routing_id: None,
        conflate: false,
        peer_gone: false,
        in_active: true,
        out_active: true,
        endpoint: None,
        addresses: Endpoints::default(),
        route: None,
        network: false,
        direct: None,
        staged: Vec::new(),
        direct_buf: Vec::new(),
        last_direct: None,
        awaiting_reply: false,
    };
    (end(0, w0, r0), end(1, w1, r1))
}

/// A pipe between a socket and a network connection: the application's end first,
/// then the I/O thread's, each capped by its high-water mark; the application's end
/// may write to the connection directly through `direct`.
pub(crate) fn network_pipe_pair(
    app_hwm: u64,
    io_hwm: u64,
    direct: Option<DirectPath>,
) -> (PipeEnd, PipeEnd) {
    let (mut app, io) = pipe_pair([app_hwm, io_hwm]);
    app.network = true;
    app.direct = direct;
    (app, io)
}

impl PipeEnd {
    fn peer(&self) -> usize {
        1 - self.side
    }

    /// Id of the other end.
    pub fn peer_id(&self) -> PipeId {
        self.shared.ids[self.peer()]
    }

    /// Registers this end's owner, so the peer can wake it.
    pub(crate) fn attach(&mut self, owner: Arc<dyn PipeOwner>) {
        let _ = self.shared.owner[self.side].set(owner);
        if self.shared.closed[self.peer()].load(Ordering::Acquire) {
            self.peer_gone = true;
        }
        // A peer's announcement made before this end had an owner told no one:
        // either it is visible now, or the peer sees the owner and tells it (the
        // fence pairs with the one in `announce_hwms`).
        fence(Ordering::SeqCst);
        self.refresh_hwm();
    }

    fn notify_peer(&self, event: PipeEvent) {
        if let Some(owner) = self.shared.owner[self.peer()].get() {
            owner.pipe_event(event);
        }
    }

    /// Tells the peer that the connection behind this pipe was re-established.
    pub(crate) fn hiccup(&self) {
        self.notify_peer(PipeEvent::Hiccup(self.peer_id()));
    }

    /// Records the high-water marks of this end's socket (and of the peer socket, when
    /// given) and recomputes both directions' capacities from what both sides last
    /// announced. A socket announces again when its SNDHWM or RCVHWM changes, so the
    /// change reaches pipes that already exist, as in libzmq 4.3.5.
    pub fn announce_hwms(&mut self, mine: HwmPart, peer: Option<HwmPart>) {
        let mut parts = self.shared.parts.lock();
        parts[self.side] = Some(mine);
        if peer.is_some() {
            parts[self.peer()] = peer;
        }
        let (me, them) = (parts[self.side], parts[self.peer()]);
        let mut out_changed = false;
        if let Some(out) = capacity(me, them) {
            out_changed = self.shared.hwm[self.side].swap(out, Ordering::Relaxed) != out;
            self.out_hwm = out;
        }
        let mut in_changed = false;
        if let Some(inbound) = capacity(them, me) {
            in_changed = self.shared.hwm[self.peer()].swap(inbound, Ordering::Relaxed) != inbound;
        }
        drop(parts);
        fence(Ordering::SeqCst);
        self.fit_credit();
        if out_changed {
            // The reader returns the credit it holds back when it next finds the
            // pipe empty (see `fit_credit`): make it look.
            self.notify_peer(PipeEvent::ReadActivated(self.peer_id()));
        }
        // The writer at the other end refreshes its copy of the mark when told (and
        // may have room now).
        if in_changed {
            self.shared.writer_waiting[self.peer()].store(false, Ordering::SeqCst);
            self.notify_peer(PipeEvent::WriteActivated(self.peer_id()));
        } else if self.shared.writer_waiting[self.peer()].swap(false, Ordering::SeqCst) {
            self.notify_peer(PipeEvent::WriteActivated(self.peer_id()));
        }
    }

    /// Takes up the outbound capacity the peer announced last (see `announce_hwms`).
    pub fn refresh_hwm(&mut self) {
        self.out_hwm = self.shared.hwm[self.side].load(Ordering::Relaxed);
    }

    /// After the inbound capacity changed: returns the credit held back so far and
    /// batches anew for the new mark, so a writer held to a lowered mark never waits
    /// for a batch that cannot fill. Cheap when nothing changed: one load.
    #[inline]
    fn fit_credit(&mut self) {
        let inbound = self.shared.hwm[self.peer()].load(Ordering::Relaxed);
        if inbound != self.in_hwm {
            self.in_hwm = inbound;
            self.credit_countdown = lwm(inbound);
            self.publish_credit();
        }
    }

    /// Writes this end's routing id as the pipe's first message.
    pub fn send_routing_id(&mut self, id: &[u8]) {
        if self.routing_id_sent {
            return;
        }
        self.routing_id_sent = true;
        let mut msg = Msg::from_slice(id);
        msg.set_flags(flags::ROUTING_ID);
        self.writer.write(msg);
        if self.writer.flush() {
            self.notify_peer(PipeEvent::ReadActivated(self.peer_id()));
        }
    }

    /// True when a message may be written now (room under the high-water mark and the
    /// peer still there). When full, asks the reader for a wake-up once it makes room.
    pub fn check_write(&mut self) -> bool {
        if self.peer_gone {
            return false;
        }
        if self.out_more {
            return true;
        }
        if self.out_hwm == 0 || self.msgs_written - self.peer_read_cache < self.out_hwm {
            return true;
        }
        // Looks full: the mark may have been raised since (a late bind), look again.
        let hwm = self.shared.hwm[self.side].load(Ordering::Relaxed);
        self.out_hwm = hwm;
        if hwm == 0 {
            return true;
        }
        let peer_read = &self.shared.msgs_read[self.peer()];
        self.peer_read_cache = peer_read.load(Ordering::Acquire);
        if self.msgs_written - self.peer_read_cache < hwm {
            return true;
        }
        self.shared.writer_waiting[self.side].store(true, Ordering::SeqCst);
        self.peer_read_cache = peer_read.load(Ordering::SeqCst);
        if self.msgs_written - self.peer_read_cache < hwm {
            self.shared.writer_waiting[self.side].store(false, Ordering::Relaxed);
            return true;
        }
        false
    }

    /// Writes one part. The caller checked `check_write` at the message's first part.
    /// A complete message is published at once; the peer is woken only if it waits.
    #[inline]
    pub fn write(&mut self, msg: Msg) {
        if self.network && (!self.staged.is_empty() || (!self.out_more && self.direct_ready())) {
            self.out_more = msg.more();
            self.staged.push(msg);
            if !self.out_more {
                self.write_direct();
            }
            return;
        }
        self.write_unflushed(msg);
        if !self.out_more {
            self.flush_writes();
        }
    }

    /// Messages this end has read from the pipe so far.
    pub fn read_position(&self) -> u64 {
        self.reader.position()
    }

    /// Whether the message about to be written may skip the pipe: the I/O thread has
    /// written out everything before it, and it answers what the peer just sent, or
    /// the last direct write is long enough ago that this is no stream of messages
    /// (which the I/O thread batches far better).
    #[inline]
    fn direct_ready(&mut self) -> bool {
        let replying = std::mem::take(&mut self.awaiting_reply);
        let Some(direct) = &self.direct else {
            return false;
        };
        if direct.idle.load(Ordering::Acquire) != self.writer.position() {
            return false;
        }
        let now = Instant::now();
        if !replying
            && self
                .last_direct
                .is_some_and(|t| now.duration_since(t) < DIRECT_GAP)
        {
            return false;
        }
        self.last_direct = Some(now);
        true
    }

    /// Writes the staged message to the connection, or queues it in the pipe when that
    /// is no longer possible.
    fn write_direct(&mut self) {
        let Some(direct) = self.direct.as_ref().map(|d| d.sink.clone()) else {
            return;
        };
        self.direct_buf.clear();
        let outcome = direct.try_write(self.writer.position(), &self.staged, &mut self.direct_buf);
        match outcome {
            Direct::Written => self.staged.clear(),
            Direct::Partial => {
                self.staged.clear();
                self.notify_peer(PipeEvent::ReadActivated(self.peer_id()));
            }
            Direct::Refused => {
                let staged = std::mem::take(&mut self.staged);
                for part in staged {
                    self.write_unflushed(part);
                }
                self.flush_writes();
            }
        }
        if self.direct_buf.capacity() > DIRECT_BUF_KEEP {
            self.direct_buf = Vec::new();
        }
    }

    /// Writes one part without publishing it: a batch of writes ends with
    /// `flush_writes`. The caller checked `check_write` at each message's first part.
    #[inline]
    pub fn write_unflushed(&mut self, msg: Msg) {
        let more = msg.more();
        self.writer.write(msg);
        self.out_more = more;
        if !more {
            self.msgs_written += 1;
        }
    }

    /// Publishes what `write_unflushed` wrote, waking the reader if it waits.
    #[inline]
    pub fn flush_writes(&mut self) {
        if self.writer.flush() {
            self.notify_peer(PipeEvent::ReadActivated(self.peer_id()));
        }
    }

    fn take_routing_id(&mut self, msg: Msg) {
        self.peer_routing_id = Some(msg.data().to_vec());
    }

    /// Reads the peer's routing id if it has arrived; true once it is known.
    pub fn identify(&mut self) -> bool {
        if self.peer_routing_id.is_some() {
            return true;
        }
        if !self.reader.peek_ready() {
            return false;
        }
        match self.reader.read() {
            Some(msg) if msg.is_routing_id() => {
                self.take_routing_id(msg);
                true
            }
            // Every writer sends its routing id first; anything else is a bug upstream.
            Some(_) | None => false,
        }
    }

    /// True when a message can be read now; when not, the pipe waits for ActivateRead.
    #[inline]
    pub fn check_read(&mut self) -> bool {
        if self.peer_routing_id.is_none() && !self.identify() {
            // Nothing yet: mark the reader waiting, unless the routing id just arrived.
            return self.reader.check_read() && self.identify() && self.reader.check_read();
        }
        if self.reader.check_read() {
            return true;
        }
        self.fit_credit();
        false
    }

    /// Reads one part, or None when empty (the pipe then waits for ActivateRead).
    #[inline]
    pub fn read(&mut self) -> Option<Msg> {
        self.read_spinning(0)
    }

    /// Like `read`, but first polls an empty queue up to `spins` times: a blocking
    /// reader that catches the next message this way spares the writer a wake-up.
    #[inline]
    pub fn read_spinning(&mut self, spins: u32) -> Option<Msg> {
        if spins > 0 && !self.network && self.peer_routing_id.is_some() && !self.reader.peek_ready()
        {
            // Poll the shared position only every few pauses: each poll takes the
            // cache line away from the writer, which needs it for every message.
            for _ in 0..spins / 8 {
                for _ in 0..8 {
                    std::hint::spin_loop();
                }
                if self.reader.peek_ready() {
                    break;
                }
            }
        }
        if !self.check_read() {
            return None;
        }
        let mut msg = self.reader.read()?;
        if self.conflate {
            while self.reader.peek_ready() {
                match self.reader.read() {
                    Some(newer) => {
                        self.count_read();
                        msg = newer;
                    }
                    None => break,
                }
            }
        }
        if !msg.more() {
            self.count_read();
            // A reply to this may go straight out, unless more requests are queued
            // (then replies batch through the pipe).
            self.awaiting_reply = self.network && !self.reader.peek_ready();
        }
        Some(msg)
    }

    #[inline]
    fn count_read(&mut self) {
        self.msgs_read += 1;
        self.credit_countdown -= 1;
        if self.credit_countdown == 0 {
            self.credit_countdown = lwm(self.shared.hwm[self.peer()].load(Ordering::Relaxed));
            self.publish_credit();
        }
    }

    fn publish_credit(&self) {
        self.shared.msgs_read[self.side].store(self.msgs_read, Ordering::SeqCst);
        if self.shared.writer_waiting[self.peer()].load(Ordering::SeqCst)
            && self.shared.writer_waiting[self.peer()].swap(false, Ordering::SeqCst)
        {
            self.notify_peer(PipeEvent::WriteActivated(self.peer_id()));
        }
    }

    /// (outbound, inbound) queue sizes: complete messages this end wrote that the peer
    /// has not yet been credited for reading, and parts waiting to be read here (not
    /// counting the peer's routing id, which is no message of the application's).
    pub fn queue_sizes(&self) -> (u64, u64) {
        let peer_read = self.shared.msgs_read[self.peer()].load(Ordering::Acquire);
        let pending = self.reader.pending();
        let inbound = if self.peer_routing_id.is_none() {
            pending.saturating_sub(1)
        } else {
            pending
        };
        (self.msgs_written.saturating_sub(peer_read), inbound)
    }

    /// True when the peer is gone and nothing is left to read (the routing id every
    /// writer sends first is no message).
    pub fn is_finished(&mut self) -> bool {
        if !self.peer_gone {
            return false;
        }
        if self.peer_routing_id.is_none() {
            self.identify();
        }
        !self.reader.peek_ready()
    }

    /// Drops all messages waiting to be read (used when a pipe is discarded).
    pub fn drain(&mut self) {
        while self.reader.peek_ready() {
            self.reader.read();
        }
    }

    /// Terminates this end: the peer reads what was sent, then drops the pipe.
    pub fn terminate(&mut self) {
        if self.shared.closed[self.side].swap(true, Ordering::AcqRel) {
            return;
        }
        // Credit the peer for everything it may still be waiting on.
        self.publish_credit();
        self.notify_peer(PipeEvent::Terminated(self.peer_id()));
    }
}

impl Drop for PipeEnd {
    fn drop(&mut self) {
        self.terminate();
    }
}

/// Hasher for pipe ids, which are small sequential integers.
#[derive(Default)]
pub struct IdHasher(u64);

impl Hasher for IdHasher {
    fn finish(&self) -> u64 {
        self.0.wrapping_mul(0x9E37_79B9_7F4A_7C15)
    }
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = (self.0 << 8) | b as u64;
        }
    }
    fn write_u64(&mut self, n: u64) {
        self.0 = n;
    }
    fn write_usize(&mut self, n: usize) {
        self.0 = n as u64;
    }
}

/// The pipes of one socket, by id.
#[derive(Default)]
pub struct Pipes {
    map: HashMap<PipeId, PipeEnd, BuildHasherDefault<IdHasher>>,
    /// Pipes found finished during an operation, to be removed by the socket.
    pub finished: Vec<PipeId>,
    /// How long a blocking receive may poll its last pipe before waiting (0: not at all).
    pub read_spins: u32,
    /// Pipes whose other end is an application thread of this process (inproc).
    local: usize,
}

impl Pipes {
    pub fn insert(&mut self, pipe: PipeEnd) {
        let local = !pipe.network;
        if self.map.insert(pipe.id, pipe).is_none() && local {
            self.local += 1;
        }
    }

    /// Whether some peer is an application thread of this process. Only then is a
    /// brief spin before sleeping worth it: network messages come through an I/O
    /// thread, whose wake-up the spin would only delay on a busy machine.
    pub fn has_local(&self) -> bool {
        self.local > 0
    }

    #[inline]
    pub fn get_mut(&mut self, id: PipeId) -> Option<&mut PipeEnd> {
        self.map.get_mut(&id)
    }

    pub fn get(&self, id: PipeId) -> Option<&PipeEnd> {
        self.map.get(&id)
    }

    pub fn remove(&mut self, id: PipeId) -> Option<PipeEnd> {
        let pipe = self.map.remove(&id)?;
        if !pipe.network {
            self.local -= 1;
        }
        Some(pipe)
    }

    pub fn ids(&self) -> Vec<PipeId> {
        self.map.keys().copied().collect()
    }

    pub fn is_empty(&self) -> bool {
        self.map.is_empty()
    }

    pub fn iter_mut(&mut self) -> impl Iterator<Item = &mut PipeEnd> {
        self.map.values_mut()
    }

    /// Notes that `id` turned out finished (peer gone, nothing left).
    pub fn mark_finished(&mut self, id: PipeId) {
        if !self.finished.contains(&id) {
            self.finished.push(id);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn linked() -> (PipeEnd, PipeEnd) {
        let (mut a, mut b) = pipe_pair([2, 2]);
        a.send_routing_id(b"A");
        b.send_routing_id(b"B");
        (a, b)
    }

    #[test]
    fn pipes_count_local_peers() {
        let mut pipes = Pipes::default();
        let (local, _l) = pipe_pair([0, 0]);
        let (mut remote, _r) = pipe_pair([0, 0]);
        remote.network = true;
        let (local_id, remote_id) = (local.id, remote.id);
        pipes.insert(remote);
        assert!(!pipes.has_local(), "a network peer is not local");
        pipes.insert(local);
        assert!(pipes.has_local());
        pipes.remove(local_id);
        assert!(!pipes.has_local());
        pipes.remove(remote_id);
        assert!(pipes.remove(remote_id).is_none());
        assert!(!pipes.has_local());
    }

    #[test]
    fn routing_ids_are_exchanged_in_band() {
        let (mut a, mut b) = linked();
        assert!(b.identify());
        assert_eq!(b.peer_routing_id.as_deref(), Some(&b"A"[..]));
        a.write(Msg::from_slice(b"x"));
        assert_eq!(b.read().unwrap().data(), b"x");
        assert!(a.identify());
        assert_eq!(a.peer_routing_id.as_deref(), Some(&b"B"[..]));
    }

    #[test]
    fn high_water_mark_counts_whole_messages() {
        let (mut a, mut b) = linked();
        for _ in 0..2 {
            assert!(a.check_write());
            let mut part = Msg::from_slice(b"1");
            part.set_more(true);
            a.write(part);
            a.write(Msg::from_slice(b"2"));
        }
        assert!(!a.check_write(), "two messages fill a pipe of hwm 2");
        assert!(b.read().unwrap().more());
        assert!(!b.read().unwrap().more());
        assert!(
            a.check_write(),
            "reading one message returns credit (lwm 1)"
        );
    }

    #[test]
    fn a_pipe_holding_only_a_routing_id_is_finished() {
        let (mut a, mut b) = pipe_pair([0, 0]);
        a.send_routing_id(b"A");
        a.terminate();
        b.peer_gone = true;
        assert!(b.is_finished());
    }

    #[test]
    fn terminate_lets_peer_drain() {
        let (mut a, mut b) = linked();
        a.write(Msg::from_slice(b"last"));
        a.terminate();
        drop(a);
        b.peer_gone = true;
        assert!(!b.is_finished());
        assert_eq!(b.read().unwrap().data(), b"last");
        assert!(b.is_finished());
    }
}
