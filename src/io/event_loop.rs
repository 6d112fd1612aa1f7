//! One I/O thread's event loop, and nothing more: it owns the mio poll, the rooms
//! (listeners and sessions, in a slab addressed by token), a timer heap, and the
//! command queue. Each turn it waits for readiness or the next deadline, hands every
//! event to the room it names, runs the commands sockets sent, and fires the due
//! timers. Work per turn follows the events: idle connections cost nothing.
//!
//! Tokens carry a generation, so an event or command for a room that has gone (its
//! slot reused since) is recognised and dropped.

use std::collections::{HashMap, HashSet};
use std::hash::BuildHasherDefault;
use std::io;
use std::sync::Arc;
use std::time::{Duration, Instant};

use crossbeam_channel::Receiver;
use mio::{Events, Poll, Token};

use super::clock::Clock;
use super::listener::Listener;
use super::session::{self, Io, Readiness, Session};
use super::timers::TimerHeap;
use super::udp::UdpEndpoint;
use super::ws::Port;
use super::{Control, IoCommand, IoMailbox, IoWake, SessionOwner};
use crate::pipe::IdHasher;

/// Token of the thread's waker (never a slot's).
pub(crate) const WAKER: Token = Token(usize::MAX);

/// Commands run per turn at most, so a flood of them never starves the sockets.
const COMMANDS_PER_TURN: usize = 1024;

type FastMap<K, V> = HashMap<K, V, BuildHasherDefault<IdHasher>>;
type FastSet<K> = HashSet<K, BuildHasherDefault<IdHasher>>;

/// A ws/wss listener, shared by the paths bound on its port.
struct PortRoom {
    port: Arc<Port>,
    fd: std::os::fd::OwnedFd,
    scheduled: Option<Instant>,
}

/// A room of the loop.
enum Entry {
    Listener(Listener),
    Session(Box<Session>),
    Udp(Box<UdpEndpoint>),
    /// Belongs to no socket (socket 0); its routes name theirs.
    WsPort(PortRoom),
}

impl Entry {
    fn socket_id(&self) -> u64 {
        match self {
            Entry::Listener(l) => l.link.socket_id,
            Entry::Session(s) => s.socket_id(),
            Entry::Udp(u) => u.socket_id(),
            Entry::WsPort(_) => 0,
        }
    }

    fn endpoint_id(&self) -> u64 {
        match self {
            Entry::Listener(l) => l.endpoint_id,
            Entry::Session(s) => s.endpoint_id,
            Entry::Udp(u) => u.endpoint_id,
            Entry::WsPort(p) => p.port.id,
        }
    }

    fn scheduled(&mut self) -> &mut Option<Instant> {
        match self {
            Entry::Listener(l) => &mut l.scheduled,
            Entry::Session(s) => &mut s.scheduled,
            Entry::Udp(u) => &mut u.scheduled,
            Entry::WsPort(p) => &mut p.scheduled,
        }
    }

    fn deadline(&self) -> Option<Instant> {
        match self {
            Entry::Listener(l) => l.deadline(),
            Entry::Session(s) => s.deadline(),
            Entry::Udp(_) => None,
            Entry::WsPort(_) => None,
        }
    }
}

struct Slot {
    generation: u32,
    entry: Option<Entry>,
    /// The socket the room is indexed under in `by_socket` (a ws session moves from
    /// socket 0 to its route's socket once its upgrade names the path).
    indexed_as: u64,
}

/// The state of one I/O thread.
pub(crate) struct EventLoop<C: Clock> {
    poll: Poll,
    clock: C,
    commands: Receiver<IoCommand>,
    wake: Arc<IoWake>,
    mailbox: IoMailbox,
    slots: Vec<Slot>,
    free: Vec<usize>,
    live: usize,
    timers: TimerHeap<Token>,
    /// The slots of each socket's rooms.
    by_socket: FastMap<u64, FastSet<usize>>,
    /// The ws/wss ports this thread listens on.
    ports: Vec<Token>,
    buf: Vec<u8>,
    stopping: bool,
    /// Commands were left in the queue last turn: do not sleep.
    backlog: bool,
}

fn token_of(index: usize, generation: u32) -> Token {
    Token(index | (generation as usize) << 32)
}

fn split(token: Token) -> (usize, u32) {
    (token.0 & 0xffff_ffff, (token.0 >> 32) as u32)
}

impl<C: Clock> EventLoop<C> {
    pub(crate) fn new(
        poll: Poll,
        clock: C,
        commands: Receiver<IoCommand>,
        wake: Arc<IoWake>,
        mailbox: IoMailbox,
    ) -> EventLoop<C> {
        EventLoop {
            poll,
            clock,
            commands,
            wake,
            mailbox,
            slots: Vec::new(),
            free: Vec::new(),
            live: 0,
            timers: TimerHeap::default(),
            by_socket: FastMap::default(),
            ports: Vec::new(),
            buf: session::read_buffer(),
            stopping: false,
            backlog: false,
        }
    }

    /// Runs until told to stop and every room has finished (lingering sessions
    /// deliver first).
    pub(crate) fn run(mut self) {
        let mut events = Events::with_capacity(256);
        while !(self.stopping && self.live == 0) {
            let timeout = if self.backlog {
                Some(Duration::ZERO)
            } else {
                let now = self.clock.now();
                self.timers.next().map(|d| d.saturating_duration_since(now))
            };
            if self.turn(&mut events, timeout).is_err() {
                break;
            }
        }
    }

    /// One turn: wait at most `timeout` (None: until something happens), then handle
    /// events, commands and due timers.
    pub(crate) fn turn(
        &mut self,
        events: &mut Events,
        timeout: Option<Duration>,
    ) -> io::Result<()> {
        if let Err(e) = self.poll.poll(events, timeout) {
            if e.kind() != io::ErrorKind::Interrupted {
                return Err(e);
            }
        }
        let now = self.clock.now();
        for ev in events.iter() {
            let token = ev.token();
            if token == WAKER {
                continue;
            }
            let ready = Readiness {
                readable: ev.is_readable() || ev.is_read_closed() || ev.is_error(),
                writable: ev.is_writable() || ev.is_write_closed(),
            };
            self.on_event(token, ready, now);
        }
        self.run_commands(now);
        self.fire_timers(now);
        Ok(())
    }

    /// Whether the loop has nothing left to run (stopped and every room finished).
    #[cfg(test)]
    pub(crate) fn finished(&self) -> bool {
        self.stopping && self.live == 0
    }

    fn entry_mut(&mut self, token: Token) -> Option<&mut Entry> {
        let (index, generation) = split(token);
        let slot = self.slots.get_mut(index)?;
        if slot.generation != generation {
            return None;
        }
        slot.entry.as_mut()
    }

    /// Takes a free slot for a room about to be made (a session's pipe owner needs
    /// its token first); `fill` puts the room in.
    fn reserve(&mut self) -> Token {
        let index = match self.free.pop() {
            Some(i) => i,
            None => {
                self.slots.push(Slot {
                    generation: 0,
                    entry: None,
                    indexed_as: 0,
                });
                self.slots.len() - 1
            }
        };
        token_of(index, self.slots[index].generation)
    }

    fn fill(&mut self, token: Token, entry: Entry) {
        let (index, _) = split(token);
        let socket_id = entry.socket_id();
        self.by_socket.entry(socket_id).or_default().insert(index);
        self.slots[index].indexed_as = socket_id;
        self.slots[index].entry = Some(entry);
        self.live += 1;
    }

    fn insert(&mut self, entry: Entry) -> Token {
        let token = self.reserve();
        self.fill(token, entry);
        token
    }

    fn remove(&mut self, token: Token) -> Option<Entry> {
        let (index, generation) = split(token);
        let slot = self.slots.get_mut(index)?;
        if slot.generation != generation {
            return None;
        }
        let entry = slot.entry.take()?;
        slot.generation = slot.generation.wrapping_add(1);
        self.free.push(index);
        self.live -= 1;
        let socket_id = slot.indexed_as;
        if let Some(set) = self.by_socket.get_mut(&socket_id) {
            set.remove(&index);
            if set.is_empty() {
                self.by_socket.remove(&socket_id);
            }
        }
        Some(entry)
    }

    /// Runs `f` on the room at `token` with the loop's I/O context, then forgets the
    /// room if it ended, or reschedules its deadline.
    fn with_entry(&mut self, token: Token, now: Instant, f: impl FnOnce(&mut Entry, &mut Io<'_>)) {
        let registry = self.poll.registry();
        let (index, generation) = split(token);
        let Some(slot) = self.slots.get_mut(index) else {
            return;
        };
        if slot.generation != generation {
            return;
        }
        let Some(entry) = slot.entry.as_mut() else {
            return;
        };
        let mut io = Io {
            registry,
            token,
            now,
            buf: &mut self.buf,
        };
        f(entry, &mut io);
        self.settle(token);
    }

    /// `with_entry` for a session.
    fn with_session(
        &mut self,
        token: Token,
        now: Instant,
        f: impl FnOnce(&mut Session, &mut Io<'_>),
    ) {
        self.with_entry(token, now, |entry, io| {
            if let Entry::Session(session) = entry {
                f(session, io);
            }
        });
    }

    /// `with_entry` for a udp endpoint.
    fn with_udp(
        &mut self,
        token: Token,
        now: Instant,
        f: impl FnOnce(&mut UdpEndpoint, &mut Io<'_>),
    ) {
        self.with_entry(token, now, |entry, io| {
            if let Entry::Udp(udp) = entry {
                f(udp, io);
            }
        });
    }

    /// After a room acted: remove it if it ended, else keep its deadline in the heap
    /// (and its socket's index, should it have changed).
    fn settle(&mut self, token: Token) {
        let (index, _) = split(token);
        let Some(entry) = self.entry_mut(token) else {
            return;
        };
        let done = match entry {
            Entry::Session(s) => s.is_done(),
            Entry::Udp(u) => u.is_done(),
            Entry::Listener(_) | Entry::WsPort(_) => false,
        };
        if done {
            self.remove(token);
            return;
        }
        let socket_id = entry.socket_id();
        if self.slots[index].indexed_as != socket_id {
            let old = self.slots[index].indexed_as;
            if let Some(set) = self.by_socket.get_mut(&old) {
                set.remove(&index);
                if set.is_empty() {
                    self.by_socket.remove(&old);
                }
            }
            self.by_socket.entry(socket_id).or_default().insert(index);
            self.slots[index].indexed_as = socket_id;
        }
        let Some(entry) = self.entry_mut(token) else {
            return;
        };
        let deadline = entry.deadline();
        let scheduled = entry.scheduled();
        if deadline != *scheduled {
            *scheduled = deadline;
            if let Some(at) = deadline {
                self.timers.push(at, token);
            }
        }
    }

    fn on_event(&mut self, token: Token, ready: Readiness, now: Instant) {
        match self.entry_mut(token) {
            Some(Entry::Listener(_)) => self.accept(token, now),
            Some(Entry::Session(_)) => self.with_session(token, now, |s, io| s.on_ready(io, ready)),
            Some(Entry::Udp(_)) => self.with_udp(token, now, |u, io| {
                u.on_ready(io, ready.readable, ready.writable)
            }),
            Some(Entry::WsPort(_)) => self.accept_ws(token, now),
            None => {}
        }
    }

    /// Accepts every waiting connection of a listener, each into a new session.
    fn accept(&mut self, token: Token, now: Instant) {
        loop {
            let Some(Entry::Listener(l)) = self.entry_mut(token) else {
                return;
            };
            let Some(stream) = l.accept(now) else {
                break;
            };
            let (link, endpoint_id, endpoint) =
                (l.link.clone(), l.endpoint_id, l.endpoint().to_string());
            self.start_session(now, |owner| {
                Session::accepted(link, endpoint_id, endpoint, stream, owner)
            });
        }
        self.settle(token);
    }

    /// Accepts every waiting connection of a ws port, each into a session that first
    /// upgrades (and so learns which route it serves).
    fn accept_ws(&mut self, token: Token, now: Instant) {
        loop {
            let Some(Entry::WsPort(p)) = self.entry_mut(token) else {
                return;
            };
            let stream = match super::sys::accept(std::os::fd::AsRawFd::as_raw_fd(&p.fd)) {
                Ok(fd) => {
                    super::sys::set_nodelay(std::os::fd::AsRawFd::as_raw_fd(&fd));
                    let t = if p.port.secure {
                        super::Transport::Wss
                    } else {
                        super::Transport::Ws
                    };
                    super::transport::Stream::new(fd, t)
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) if e.raw_os_error() == Some(libc::ECONNABORTED) => continue,
                // Out of descriptors or would block: the next readiness retries.
                Err(_) => return,
            };
            let port = p.port.clone();
            let Some(link) = port.upgrade_link() else {
                continue;
            };
            self.start_session(now, |owner| {
                Session::ws_accepted(port, link, stream, owner, now)
            });
        }
    }

    /// Removes a socket's routes from this thread's ws ports (one endpoint or all);
    /// a port left with none closes, with the connections still upgrading on it.
    fn let_go_routes(&mut self, socket_id: u64, endpoint_id: Option<u64>, now: Instant) {
        let mut closed = Vec::new();
        for &token in &self.ports {
            let Some(Entry::WsPort(p)) = self
                .slots
                .get(split(token).0)
                .and_then(|s| s.entry.as_ref())
            else {
                continue;
            };
            let (gone, empty) = p.port.remove(socket_id, endpoint_id);
            for route in gone {
                let at = crate::monitor::Endpoints::bound(&route.endpoint);
                route
                    .link
                    .monitor
                    .emit(crate::abi::ZMQ_EVENT_CLOSED, p.port.raw_fd() as u64, &at);
            }
            if empty {
                closed.push(token);
            }
        }
        for token in closed {
            self.ports.retain(|&t| t != token);
            if let Some(Entry::WsPort(p)) = self.remove(token) {
                super::transport::deregister(self.poll.registry(), p.port.raw_fd());
                let id = p.port.id;
                drop(p);
                self.let_go(0, Some(id), 0, now);
            }
        }
    }

    /// Inserts a new session and starts it.
    fn start_session(&mut self, now: Instant, make: impl FnOnce(Arc<SessionOwner>) -> Session) {
        let token = self.reserve();
        let owner = Arc::new(SessionOwner {
            mailbox: self.mailbox.clone(),
            token,
        });
        self.fill(token, Entry::Session(Box::new(make(owner))));
        self.with_session(token, now, |s, io| s.start(io));
    }

    fn run_commands(&mut self, now: Instant) {
        self.wake.reset();
        self.backlog = false;
        for _ in 0..COMMANDS_PER_TURN {
            let Ok(cmd) = self.commands.try_recv() else {
                return;
            };
            match cmd {
                IoCommand::Pipe(token, event) => match self.entry_mut(token) {
                    Some(Entry::Udp(_)) => self.with_udp(token, now, |u, io| u.on_pipe(io, event)),
                    _ => self.with_session(token, now, |s, io| s.on_pipe(io, event)),
                },
                IoCommand::Control(control) => self.control(*control, now),
            }
        }
        self.backlog = !self.commands.is_empty();
    }

    fn control(&mut self, control: Control, now: Instant) {
        match control {
            Control::Listen {
                endpoint_id,
                listening,
                link,
            } => {
                let listener = Listener::new(listening, link, endpoint_id);
                let token = self.insert(Entry::Listener(listener));
                let registered = match self.slots[split(token).0].entry.as_ref() {
                    Some(Entry::Listener(l)) => l.register(self.poll.registry(), token),
                    _ => return,
                };
                if registered.is_err() {
                    if let Some(Entry::Listener(l)) = self.remove(token) {
                        l.close(self.poll.registry());
                    }
                    return;
                }
                self.accept(token, now);
            }
            Control::ListenWs { port, fd } => {
                let raw = std::os::fd::AsRawFd::as_raw_fd(&fd);
                let token = self.insert(Entry::WsPort(PortRoom {
                    port,
                    fd,
                    scheduled: None,
                }));
                if super::transport::register(self.poll.registry(), raw, token).is_err() {
                    self.remove(token);
                    return;
                }
                self.ports.push(token);
                self.accept_ws(token, now);
            }
            Control::Connect {
                endpoint_id,
                endpoint,
                target,
                pipe,
                link,
            } => {
                self.start_session(now, |owner| {
                    Session::connect(link, endpoint_id, endpoint, target, pipe, owner, now)
                });
            }
            Control::Udp {
                endpoint_id,
                socket,
                pipe,
                link,
            } => {
                let token = self.reserve();
                let owner = Arc::new(SessionOwner {
                    mailbox: self.mailbox.clone(),
                    token,
                });
                let udp = UdpEndpoint::new(link, endpoint_id, socket, pipe, owner);
                self.fill(token, Entry::Udp(Box::new(udp)));
                self.with_udp(token, now, |u, io| u.start(io));
            }
            Control::StopEndpoint {
                socket_id,
                endpoint_id,
                linger,
            } => self.let_go(socket_id, Some(endpoint_id), linger, now),
            Control::SocketClosed { socket_id, linger } => {
                self.let_go(socket_id, None, linger, now)
            }
            Control::Stop => self.stopping = true,
        }
    }

    /// The socket let go of one endpoint (unbind, disconnect) or of all (close): its
    /// listeners close, its sessions deliver what is left within `linger`.
    fn let_go(&mut self, socket_id: u64, endpoint_id: Option<u64>, linger: i32, now: Instant) {
        if socket_id != 0 && !self.ports.is_empty() {
            self.let_go_routes(socket_id, endpoint_id, now);
        }
        let Some(set) = self.by_socket.get(&socket_id) else {
            return;
        };
        let tokens: Vec<Token> = set
            .iter()
            .map(|&i| token_of(i, self.slots[i].generation))
            .collect();
        for token in tokens {
            let matches = self
                .entry_mut(token)
                .is_some_and(|e| endpoint_id.is_none_or(|id| e.endpoint_id() == id));
            if !matches {
                continue;
            }
            match self.entry_mut(token) {
                Some(Entry::Listener(_)) => {
                    if let Some(Entry::Listener(l)) = self.remove(token) {
                        l.close(self.poll.registry());
                    }
                }
                Some(Entry::Session(_)) => {
                    self.with_session(token, now, |s, io| s.let_go(io, linger))
                }
                Some(Entry::Udp(_)) => self.with_udp(token, now, |u, io| u.let_go(io)),
                Some(Entry::WsPort(_)) | None => {}
            }
        }
    }

    fn fire_timers(&mut self, now: Instant) {
        while let Some((at, token)) = self.timers.pop_due(now) {
            let Some(entry) = self.entry_mut(token) else {
                continue;
            };
            if *entry.scheduled() != Some(at) {
                continue; // moved or cancelled since
            }
            *entry.scheduled() = None;
            match entry {
                Entry::Listener(_) => self.accept(token, now),
                Entry::Session(_) => self.with_session(token, now, |s, io| s.on_timer(io)),
                Entry::Udp(_) => {}
                Entry::WsPort(_) => {}
            }
        }
        if self.timers.len() > 2 * self.live + 1024 {
            let slots = &self.slots;
            self.timers.compact(|at, token| {
                let (index, generation) = split(token);
                slots.get(index).is_some_and(|s| {
                    s.generation == generation
                        && match &s.entry {
                            Some(Entry::Listener(l)) => l.scheduled == Some(at),
                            Some(Entry::Session(x)) => x.scheduled == Some(at),
                            Some(Entry::Udp(u)) => u.scheduled == Some(at),
                            Some(Entry::WsPort(p)) => p.scheduled == Some(at),
                            None => false,
                        }
                })
            });
        }
    }
}
