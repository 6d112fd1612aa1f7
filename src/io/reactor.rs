//! One I/O thread's event loop: listeners accept, connecters connect and reconnect with
//! backoff, and connections move bytes between a socket and a ZMTP engine: large reads
//! into one buffer, many messages encoded per write, wake-ups only when a pipe goes
//! from empty to non-empty. Writes share the connection with the application's direct
//! writes (`pipe::DirectWrite`): they happen under its lock, bytes a direct write left
//! go first, and an empty output publishes the point from which direct writes may go.

use std::collections::HashMap;
use std::hash::BuildHasherDefault;
use std::io::{self, Read, Write};
use std::os::fd::{AsRawFd, RawFd};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use crossbeam_channel::Receiver;
use mio::{event::Source, Events, Interest, Poll, Registry, Token};

use super::address::{resolve_tcp_connect, IpcAddr};
use super::raw::RawEngine;
use super::{sys, IoCommand, SocketLink};
use crate::abi::*;
use crate::mailbox::{Command, IoWake, Mailbox, PipeId};
use crate::msg::Msg;
use crate::pipe::{network_pipe_pair, IdHasher, PeerInfo, PipeEnd};
use crate::zmtp::{CloseKind, Engine, EngineConfig, EngineEvent, Inbox, Version};

/// Token of the thread's waker.
pub const WAKER: Token = Token(usize::MAX);

/// Bytes read from a connection per call.
const READ_CHUNK: usize = 64 * 1024;
/// While parts of at least LARGE_PART bytes arrive, reads at frame boundaries take
/// only HEADER_READ bytes, so the rest of each body is read straight into place.
const LARGE_PART: usize = 32 * 1024;
const HEADER_READ: usize = 8 * 1024;
/// Message bodies still missing at least this much are read straight into place.
const DIRECT_READ_MIN: usize = 8 * 1024;
/// Encoded bytes gathered before a write.
const WRITE_BATCH: usize = 128 * 1024;

/// The network transports the reactor drives.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Transport {
    Tcp,
    Ipc,
}

/// A bound, listening socket handed over by the socket thread.
pub enum ListenerSource {
    Tcp(std::net::TcpListener),
    /// With the path to remove when the listener closes.
    Ipc(std::os::unix::net::UnixListener, Option<PathBuf>),
}

enum Listening {
    Tcp(mio::net::TcpListener),
    Ipc(mio::net::UnixListener),
}

enum Stream {
    Tcp(mio::net::TcpStream),
    Ipc(mio::net::UnixStream),
}

impl Stream {
    fn fd(&self) -> RawFd {
        match self {
            Stream::Tcp(s) => s.as_raw_fd(),
            Stream::Ipc(s) => s.as_raw_fd(),
        }
    }

    fn take_error(&self) -> io::Result<Option<io::Error>> {
        match self {
            Stream::Tcp(s) => s.take_error(),
            Stream::Ipc(s) => s.take_error(),
        }
    }

    fn peer_ok(&self) -> bool {
        match self {
            Stream::Tcp(s) => s.peer_addr().is_ok(),
            Stream::Ipc(s) => s.peer_addr().is_ok(),
        }
    }

    fn peer_address(&self) -> String {
        match self {
            Stream::Tcp(s) => s
                .peer_addr()
                .map(|a| a.ip().to_string())
                .unwrap_or_default(),
            Stream::Ipc(_) => String::new(),
        }
    }
}

impl Read for Stream {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        match self {
            Stream::Tcp(s) => s.read(buf),
            Stream::Ipc(s) => s.read(buf),
        }
    }
}

impl Write for Stream {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        match self {
            Stream::Tcp(s) => s.write(buf),
            Stream::Ipc(s) => s.write(buf),
        }
    }
    // One writev for a frame header and the large body queued after it.
    fn write_vectored(&mut self, bufs: &[io::IoSlice<'_>]) -> io::Result<usize> {
        match self {
            Stream::Tcp(s) => s.write_vectored(bufs),
            Stream::Ipc(s) => s.write_vectored(bufs),
        }
    }
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

impl Source for Stream {
    fn register(&mut self, r: &Registry, t: Token, i: Interest) -> io::Result<()> {
        match self {
            Stream::Tcp(s) => s.register(r, t, i),
            Stream::Ipc(s) => s.register(r, t, i),
        }
    }
    fn reregister(&mut self, r: &Registry, t: Token, i: Interest) -> io::Result<()> {
        match self {
            Stream::Tcp(s) => s.reregister(r, t, i),
            Stream::Ipc(s) => s.reregister(r, t, i),
        }
    }
    fn deregister(&mut self, r: &Registry) -> io::Result<()> {
        match self {
            Stream::Tcp(s) => s.deregister(r),
            Stream::Ipc(s) => s.deregister(r),
        }
    }
}

/// The protocol spoken on a connection: ZMTP, or raw bytes for STREAM sockets.
enum ConnEngine {
    Zmtp(Box<Engine>),
    Raw(RawEngine),
}

impl ConnEngine {
    fn receive(&mut self, data: &[u8], now: Instant) {
        match self {
            ConnEngine::Zmtp(e) => e.receive(data, now),
            ConnEngine::Raw(e) => e.receive(data),
        }
    }
    fn send(&mut self, msg: &Msg) -> bool {
        match self {
            ConnEngine::Zmtp(e) => e.send(msg),
            ConnEngine::Raw(e) => e.send(msg),
        }
    }
    fn poll_control(&mut self) -> Option<EngineEvent> {
        match self {
            ConnEngine::Zmtp(e) => e.poll_control(),
            ConnEngine::Raw(e) => e.poll_control(),
        }
    }
    fn inbox(&mut self) -> &mut Inbox {
        match self {
            ConnEngine::Zmtp(e) => e.inbox(),
            ConnEngine::Raw(e) => e.inbox(),
        }
    }
    fn connection_error(&mut self, errno: i32) {
        match self {
            ConnEngine::Zmtp(e) => e.connection_error(errno),
            ConnEngine::Raw(e) => e.connection_error(errno),
        }
    }
    fn output_len(&self) -> usize {
        match self {
            ConnEngine::Zmtp(e) => e.output_len(),
            ConnEngine::Raw(e) => e.output_len(),
        }
    }
    fn output_slices<'a>(&'a self, slices: &mut [io::IoSlice<'a>]) -> usize {
        match self {
            ConnEngine::Zmtp(e) => e.output_slices(slices),
            ConnEngine::Raw(e) => e.output_slices(slices),
        }
    }
    fn consume_output(&mut self, n: usize) {
        match self {
            ConnEngine::Zmtp(e) => e.consume_output(n),
            ConnEngine::Raw(e) => e.consume_output(n),
        }
    }
    fn is_ready(&self) -> bool {
        match self {
            ConnEngine::Zmtp(e) => e.is_ready(),
            ConnEngine::Raw(_) => true,
        }
    }
    fn next_timeout(&self) -> Option<Instant> {
        match self {
            ConnEngine::Zmtp(e) => e.next_timeout(),
            ConnEngine::Raw(_) => None,
        }
    }
    fn handle_timeout(&mut self, now: Instant) {
        if let ConnEngine::Zmtp(e) = self {
            e.handle_timeout(now);
        }
    }
}

struct Listener {
    id: u64,
    endpoint: String,
    link: SocketLink,
    source: Listening,
    unlink: Option<PathBuf>,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Owner {
    Listener(Token),
    Connecter(Token),
}

/// One live connection.
struct Conn {
    owner: Owner,
    stream: Stream,
    fd: RawFd,
    engine: ConnEngine,
    /// An empty message tells the socket about this connection's start
    /// (STREAM_NOTIFY, ROUTER_NOTIFY connect).
    notify_connect: bool,
    /// Likewise about its end (STREAM_NOTIFY, ROUTER_NOTIFY disconnect).
    notify_disconnect: bool,
    pipe: Option<PipeEnd>,
    /// The pipe is full: stop reading until the socket makes room (backpressure).
    input_blocked: bool,
    /// A part read from the pipe before the engine could take it.
    pending_out: Option<Msg>,
    endpoint: String,
    link: SocketLink,
    handshaken: bool,
    /// The socket let go of the pipe: flush, then close by this deadline (None: no limit).
    linger: Option<Option<Instant>>,
}

enum ConnectState {
    /// Waiting to (re)try at this instant.
    Idle(Instant),
    Connecting {
        token: Token,
        since: Instant,
    },
    Connected(Token),
}

struct Connecter {
    id: u64,
    endpoint: String,
    transport: Transport,
    address: String,
    link: SocketLink,
    /// The session's pipe end while no connection holds it.
    pipe: Option<PipeEnd>,
    /// The peer's routing id was written into the pipe (once per pipe).
    identified: bool,
    state: ConnectState,
    ivl: Duration,
    /// Disconnected or the socket closed: end once nothing is left to send.
    stopping: bool,
    linger_deadline: Option<Instant>,
}

/// Maps keyed by small sequential numbers (tokens, pipe ids), looked up per message.
type FastMap<K, V> = HashMap<K, V, BuildHasherDefault<IdHasher>>;

/// The state of one I/O thread.
pub struct Reactor {
    poll: Poll,
    commands: Receiver<Command>,
    wake: Arc<IoWake>,
    mailbox: Mailbox,
    listeners: FastMap<Token, Listener>,
    connecters: FastMap<Token, Connecter>,
    /// Streams whose connect is in progress, by token, with their connecter.
    connecting: FastMap<Token, (Token, Stream)>,
    conns: FastMap<Token, Conn>,
    /// Which connection or connecter holds each pipe end.
    pipe_owner: FastMap<PipeId, Token>,
    next_token: usize,
    /// LINGER of closed sockets as it was at close, by socket id.
    closing_linger: HashMap<u64, i32>,
    stopping: bool,
    buf: Vec<u8>,
}

fn errno_of(e: &io::Error) -> i32 {
    e.raw_os_error().unwrap_or(libc::EIO)
}

impl Reactor {
    pub fn new(
        poll: Poll,
        commands: Receiver<Command>,
        wake: Arc<IoWake>,
        mailbox: Mailbox,
    ) -> Reactor {
        Reactor {
            poll,
            commands,
            wake,
            mailbox,
            listeners: FastMap::default(),
            connecters: FastMap::default(),
            connecting: FastMap::default(),
            conns: FastMap::default(),
            pipe_owner: FastMap::default(),
            next_token: 0,
            closing_linger: HashMap::new(),
            stopping: false,
            buf: vec![0; READ_CHUNK],
        }
    }

    /// The linger that applies to a connection of this socket: the value at close
    /// once the socket is closed, else the snapshot taken at bind/connect.
    fn linger_of(&self, link: &SocketLink) -> i32 {
        self.closing_linger
            .get(&link.socket_id)
            .copied()
            .unwrap_or(link.options.linger)
    }

    fn token(&mut self) -> Token {
        self.next_token += 1;
        Token(self.next_token)
    }

    /// Runs until told to stop and every lingering connection has finished.
    pub fn run(mut self) {
        let mut events = Events::with_capacity(256);
        loop {
            let now = Instant::now();
            let timeout = self
                .next_deadline()
                .map(|d| d.saturating_duration_since(now));
            if let Err(e) = self.poll.poll(&mut events, timeout) {
                if e.kind() != io::ErrorKind::Interrupted {
                    break;
                }
            }
            for ev in events.iter() {
                let token = ev.token();
                if token == WAKER {
                    continue;
                }
                if self.listeners.contains_key(&token) {
                    self.accept(token);
                } else if self.connecting.contains_key(&token) {
                    self.connect_finished(token);
                } else if self.conns.contains_key(&token) {
                    if ev.is_readable() || ev.is_read_closed() || ev.is_error() {
                        self.read_input(token);
                    }
                    self.flush(token);
                }
            }
            self.drain_commands();
            self.on_timers(Instant::now());
            if self.stopping
                && self.conns.is_empty()
                && self.connecters.is_empty()
                && self.connecting.is_empty()
            {
                break;
            }
        }
    }

    fn drain_commands(&mut self) {
        self.wake.reset();
        while let Ok(cmd) = self.commands.try_recv() {
            match cmd {
                Command::ActivateRead(id) => {
                    if let Some(&t) = self.pipe_owner.get(&id) {
                        if self.conns.contains_key(&t) {
                            self.flush(t);
                        }
                    }
                }
                Command::ActivateWrite(id) => {
                    if let Some(&t) = self.pipe_owner.get(&id) {
                        if self.conns.contains_key(&t) && self.deliver_pending(t) {
                            self.read_input(t);
                            self.flush(t);
                        }
                    }
                }
                Command::PipeTerm(id) => self.pipe_terminated(id),
                Command::Attach(_) | Command::Hiccup(_) => {}
                Command::Io(io) => self.handle_io(*io),
            }
        }
    }

    fn handle_io(&mut self, cmd: IoCommand) {
        match cmd {
            IoCommand::Listen {
                id,
                endpoint,
                source,
                link,
            } => {
                let (mut source, unlink) = match source {
                    ListenerSource::Tcp(l) => {
                        (Listening::Tcp(mio::net::TcpListener::from_std(l)), None)
                    }
                    ListenerSource::Ipc(l, path) => {
                        (Listening::Ipc(mio::net::UnixListener::from_std(l)), path)
                    }
                };
                let token = self.token();
                let registered = match &mut source {
                    Listening::Tcp(l) => {
                        self.poll.registry().register(l, token, Interest::READABLE)
                    }
                    Listening::Ipc(l) => {
                        self.poll.registry().register(l, token, Interest::READABLE)
                    }
                };
                if registered.is_ok() {
                    self.listeners.insert(
                        token,
                        Listener {
                            id,
                            endpoint,
                            link,
                            source,
                            unlink,
                        },
                    );
                    self.accept(token);
                }
            }
            IoCommand::Connect {
                id,
                endpoint,
                transport,
                address,
                pipe,
                link,
            } => {
                let token = self.token();
                let ivl = Duration::from_millis(link.options.reconnect_ivl.max(0) as u64);
                if let Some(p) = &pipe {
                    self.pipe_owner.insert(p.id, token);
                }
                let mut pipe = pipe;
                if let Some(p) = pipe.as_mut() {
                    p.attach(self.mailbox.clone());
                }
                self.connecters.insert(
                    token,
                    Connecter {
                        id,
                        endpoint,
                        transport,
                        address,
                        link,
                        pipe,
                        identified: false,
                        state: ConnectState::Idle(Instant::now()),
                        ivl,
                        stopping: false,
                        linger_deadline: None,
                    },
                );
                self.start_connect(token);
            }
            IoCommand::StopEndpoint { socket_id, id } => {
                let listeners: Vec<Token> = self
                    .listeners
                    .iter()
                    .filter(|(_, l)| l.link.socket_id == socket_id && l.id == id)
                    .map(|(t, _)| *t)
                    .collect();
                for t in listeners {
                    self.close_listener(t, true);
                }
                let connecters: Vec<Token> = self
                    .connecters
                    .iter()
                    .filter(|(_, c)| c.link.socket_id == socket_id && c.id == id)
                    .map(|(t, _)| *t)
                    .collect();
                for t in connecters {
                    self.stop_connecter(t);
                }
            }
            IoCommand::SocketClosed { socket_id, linger } => {
                self.closing_linger.insert(socket_id, linger);
                let listeners: Vec<Token> = self
                    .listeners
                    .iter()
                    .filter(|(_, l)| l.link.socket_id == socket_id)
                    .map(|(t, _)| *t)
                    .collect();
                for t in listeners {
                    self.close_listener(t, false);
                }
            }
            IoCommand::Stop => self.stopping = true,
        }
    }

    /// Closes a listener; on unbind its accepted connections close too, as in libzmq.
    fn close_listener(&mut self, token: Token, with_connections: bool) {
        let Some(mut l) = self.listeners.remove(&token) else {
            return;
        };
        let fd = match &mut l.source {
            Listening::Tcp(s) => {
                let _ = self.poll.registry().deregister(s);
                s.as_raw_fd()
            }
            Listening::Ipc(s) => {
                let _ = self.poll.registry().deregister(s);
                s.as_raw_fd()
            }
        };
        l.link
            .monitor
            .emit(ZMQ_EVENT_CLOSED, fd as u64, &l.endpoint);
        if let Some(path) = &l.unlink {
            let _ = std::fs::remove_file(path);
        }
        if with_connections {
            let owned: Vec<Token> = self
                .conns
                .iter()
                .filter(|(_, c)| c.owner == Owner::Listener(token))
                .map(|(t, _)| *t)
                .collect();
            for t in owned {
                self.close_conn(t, None, CloseKind::Connection);
            }
        }
    }

    fn accept(&mut self, token: Token) {
        loop {
            let Some(l) = self.listeners.get_mut(&token) else {
                return;
            };
            let accepted = match &l.source {
                Listening::Tcp(s) => s.accept().map(|(st, peer)| (Stream::Tcp(st), Some(peer))),
                Listening::Ipc(s) => s.accept().map(|(st, _)| (Stream::Ipc(st), None)),
            };
            match accepted {
                Ok((stream, peer)) => {
                    let link = l.link.clone();
                    let endpoint = l.endpoint.clone();
                    if let Some(peer) = peer {
                        if !link.options.tcp_accept_filters.is_empty()
                            && !link
                                .options
                                .tcp_accept_filters
                                .iter()
                                .any(|f| f.matches(&peer.ip()))
                        {
                            continue;
                        }
                    }
                    if let Stream::Ipc(s) = &stream {
                        if !ipc_peer_allowed(s.as_raw_fd(), &link) {
                            continue;
                        }
                    }
                    let fd = stream.fd();
                    if let Stream::Tcp(_) = stream {
                        let _ = sys::apply_tcp_options(fd, &link.options);
                        sys::set_nodelay(fd);
                    }
                    link.monitor.emit(ZMQ_EVENT_ACCEPTED, fd as u64, &endpoint);
                    self.open_conn(stream, Owner::Listener(token), None, link, endpoint);
                }
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => return,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => {
                    l.link
                        .monitor
                        .emit(ZMQ_EVENT_ACCEPT_FAILED, errno_of(&e) as u64, &l.endpoint);
                    return;
                }
            }
        }
    }

    fn engine_config(link: &SocketLink, peer_address: String) -> EngineConfig {
        let o = &link.options;
        EngineConfig {
            socket_type: o.socket_type,
            routing_id: o.routing_id.clone(),
            maxmsgsize: o.maxmsgsize,
            heartbeat_ivl_ms: o.heartbeat_interval,
            heartbeat_timeout_ms: o.heartbeat_timeout,
            heartbeat_ttl_ms: o.heartbeat_ttl_ms(),
            handshake_ivl_ms: o.handshake_ivl,
            metadata: o
                .app_metadata
                .iter()
                .map(|(k, v)| (String::from_utf8_lossy(k).into_owned(), v.clone()))
                .collect(),
            peer_address,
        }
    }

    fn open_conn(
        &mut self,
        mut stream: Stream,
        owner: Owner,
        pipe: Option<PipeEnd>,
        link: SocketLink,
        endpoint: String,
    ) {
        let token = self.token();
        if self
            .poll
            .registry()
            .register(&mut stream, token, Interest::READABLE | Interest::WRITABLE)
            .is_err()
        {
            return;
        }
        self.install_conn(token, stream, owner, pipe, link, endpoint);
    }

    fn install_conn(
        &mut self,
        token: Token,
        stream: Stream,
        owner: Owner,
        pipe: Option<PipeEnd>,
        link: SocketLink,
        endpoint: String,
    ) {
        let engine = if link.options.raw_socket {
            ConnEngine::Raw(RawEngine::new(&stream.peer_address()))
        } else {
            let mut e = Engine::new(
                Reactor::engine_config(&link, stream.peer_address()),
                Instant::now(),
            );
            e.set_source_fd(stream.fd());
            ConnEngine::Zmtp(Box::new(e))
        };
        let o = &link.options;
        let raw_notify = o.raw_socket && o.raw_notify;
        let router = o.socket_type == ZMQ_ROUTER;
        let notify_connect = raw_notify || (router && o.router_notify & ZMQ_NOTIFY_CONNECT != 0);
        let notify_disconnect =
            raw_notify || (router && o.router_notify & ZMQ_NOTIFY_DISCONNECT != 0);
        if let Some(p) = &pipe {
            self.pipe_owner.insert(p.id, token);
        }
        let fd = stream.fd();
        self.conns.insert(
            token,
            Conn {
                owner,
                stream,
                fd,
                engine,
                notify_connect,
                notify_disconnect,
                pipe,
                input_blocked: false,
                pending_out: None,
                endpoint,
                link,
                handshaken: false,
                linger: None,
            },
        );
        // A raw (STREAM) engine is ready at once, before any byte arrives.
        if self.handle_engine_events(token) {
            self.flush(token);
            self.read_input(token);
        }
    }

    /// Reads and decodes until the socket would block or the socket's queue is full,
    /// then writes what the engine queued in reply (greeting, READY, PONG...).
    fn read_input(&mut self, token: Token) {
        self.read_available(token);
        self.flush(token);
    }

    fn read_available(&mut self, token: Token) {
        loop {
            let Some(conn) = self.conns.get_mut(&token) else {
                return;
            };
            if conn.input_blocked {
                return;
            }
            // A large body is read straight into its message buffer.
            if let ConnEngine::Zmtp(engine) = &mut conn.engine {
                let fd = conn.stream.fd();
                if let Some((body, room)) = engine.large_body(DIRECT_READ_MIN) {
                    match sys::read_append(fd, body, room) {
                        Ok(n) if n > 0 => {
                            engine.large_body_received(Instant::now());
                            if !self.handle_engine_events(token) {
                                return;
                            }
                            continue;
                        }
                        Err(e) if e.kind() == io::ErrorKind::WouldBlock => return,
                        // End of stream and errors: the plain read below reports them.
                        Ok(_) | Err(_) => {}
                    }
                }
            }
            let chunk = match &conn.engine {
                ConnEngine::Zmtp(e) if e.last_part_size() >= LARGE_PART => HEADER_READ,
                _ => READ_CHUNK,
            };
            match conn.stream.read(&mut self.buf[..chunk]) {
                Ok(0) => {
                    conn.engine.connection_error(libc::EPIPE);
                    self.handle_engine_events(token);
                    self.close_conn(token, None, CloseKind::Connection);
                    return;
                }
                Ok(n) => {
                    conn.engine.receive(&self.buf[..n], Instant::now());
                    if !self.handle_engine_events(token) {
                        return;
                    }
                }
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => return,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => {
                    conn.engine.connection_error(errno_of(&e));
                    self.handle_engine_events(token);
                    self.close_conn(token, None, CloseKind::Connection);
                    return;
                }
            }
        }
    }

    /// Acts on what the engine produced; false when the connection was closed.
    fn handle_engine_events(&mut self, token: Token) -> bool {
        loop {
            let Some(conn) = self.conns.get_mut(&token) else {
                return false;
            };
            let Some(event) = conn.engine.poll_control() else {
                self.deliver_pending(token);
                return true;
            };
            match event {
                EngineEvent::Ready {
                    peer_socket_type,
                    peer_routing_id,
                    version,
                    ..
                } => {
                    conn.handshaken = true;
                    // The socket gets its pipe before the application hears of the
                    // handshake, so a send right after the event already counts it.
                    self.handshake_done(token, peer_socket_type, peer_routing_id);
                    // libzmq reports no handshake for ZMTP 1.0/2.0 peers, which have none.
                    if let Some(conn) = self.conns.get(&token) {
                        if version.has_handshake() {
                            conn.link.monitor.emit(
                                ZMQ_EVENT_HANDSHAKE_SUCCEEDED,
                                0,
                                &conn.endpoint,
                            );
                        }
                    }
                    self.flush(token);
                }
                // Parts stay in the engine's inbox and go to the pipe in bulk.
                EngineEvent::Message(_) => {}
                EngineEvent::Closed {
                    event, value, kind, ..
                } => {
                    // Whole messages that arrived before the error still reach the socket.
                    self.deliver_pending(token);
                    let detail = (event != 0).then_some((event, value));
                    self.close_conn(token, detail, kind);
                    return false;
                }
            }
        }
    }

    /// After the handshake: make sure the connection has a pipe to the socket and that
    /// the socket learns the peer's routing id.
    fn handshake_done(&mut self, token: Token, peer_socket_type: i32, peer_routing_id: Vec<u8>) {
        let Some(conn) = self.conns.get_mut(&token) else {
            return;
        };
        let o = &conn.link.options;
        if o.can_send_hello_msg && !o.hello_msg.is_empty() {
            // ZMQ_HELLO_MSG: the first message every new peer receives.
            let hello = Msg::from_slice(&o.hello_msg);
            conn.engine.send(&hello);
        }
        match conn.pipe.as_mut() {
            None => {
                let o = &conn.link.options;
                let conflate = o.conflate;
                let hwm = |v: i32| if conflate { 0 } else { v.max(0) as u64 };
                let (theirs, mut ours) = network_pipe_pair(hwm(o.sndhwm), hwm(o.rcvhwm));
                ours.send_routing_id(&peer_routing_id);
                if conn.notify_connect {
                    ours.write(Msg::new());
                }
                ours.attach(self.mailbox.clone());
                self.pipe_owner.insert(ours.id, token);
                conn.pipe = Some(ours);
                conn.link.mailbox.send(Command::Attach(Box::new((
                    theirs,
                    PeerInfo {
                        socket_type: peer_socket_type,
                        endpoint: Some(conn.endpoint.clone()),
                    },
                ))));
            }
            Some(pipe) => {
                if let Owner::Connecter(ct) = conn.owner {
                    if let Some(c) = self.connecters.get_mut(&ct) {
                        if !c.identified {
                            pipe.send_routing_id(&peer_routing_id);
                            c.identified = true;
                        } else {
                            // A reconnect: the socket re-sends what a new peer needs
                            // (subscriptions), as after libzmq's hiccup.
                            conn.link.mailbox.send(Command::Hiccup(pipe.peer_id()));
                        }
                        c.ivl = Duration::from_millis(c.link.options.reconnect_ivl.max(0) as u64);
                    }
                }
            }
        }
        // Plain ZMTP 2.0/3.x data framing, which is what a direct write produces; SUB
        // and XSUB turn subscriptions into commands, so they keep the engine's path.
        let Some(conn) = self.conns.get(&token) else {
            return;
        };
        let framing_plain = matches!(&conn.engine, ConnEngine::Zmtp(e)
            if e.version().is_some_and(|v| v != Version::Zmtp10));
        let subscriber = matches!(conn.link.options.socket_type, ZMQ_SUB | ZMQ_XSUB);
        if framing_plain && !subscriber {
            if let Some(d) = conn.pipe.as_ref().and_then(|p| p.direct.as_ref()) {
                d.attach(conn.stream.fd());
            }
        }
    }

    /// Moves decoded parts into the pipe; true when nothing is left waiting.
    fn deliver_pending(&mut self, token: Token) -> bool {
        let Some(conn) = self.conns.get_mut(&token) else {
            return false;
        };
        let inbox = conn.engine.inbox();
        let Some(pipe) = conn.pipe.as_mut() else {
            return inbox.is_empty();
        };
        // Only whole messages enter the pipe, so a message cut short by a lost
        // connection never reaches the socket. They are published with one flush.
        conn.input_blocked = false;
        let mut done = true;
        while inbox.has_whole() {
            if !pipe.check_write() {
                if pipe.peer_gone {
                    // The socket is gone: what arrives now has nowhere to go.
                    inbox.clear();
                    break;
                }
                conn.input_blocked = true;
                done = false;
                break;
            }
            while let Some(part) = inbox.pop_whole() {
                let last = !part.more();
                pipe.write_unflushed(part);
                if last {
                    break;
                }
            }
        }
        pipe.flush_writes();
        done
    }

    /// Encodes what the pipe holds and writes it out, until done or the socket blocks.
    fn flush(&mut self, token: Token) {
        loop {
            let Some(conn) = self.conns.get_mut(&token) else {
                return;
            };
            if conn.engine.is_ready() {
                while conn.engine.output_len() < WRITE_BATCH {
                    let msg = match conn.pending_out.take() {
                        Some(m) => m,
                        None => match conn.pipe.as_mut().and_then(|p| p.read()) {
                            Some(m) => m,
                            None => break,
                        },
                    };
                    if !conn.engine.send(&msg) {
                        conn.pending_out = Some(msg);
                        break;
                    }
                }
            }
            // Writes happen under the direct-write lock, so an application thread's
            // direct write never lands inside a frame.
            let direct = conn.pipe.as_ref().and_then(|p| p.direct.as_deref());
            let mut locked = direct.map(|d| (d, d.lock()));
            let written = match locked.as_mut() {
                // What a direct write left unfinished goes before anything else.
                Some((_, st)) if !st.leftover.is_empty() => {
                    conn.stream.write(&st.leftover).map(|n| {
                        st.leftover.drain(..n);
                    })
                }
                _ if conn.engine.output_len() == 0 => {
                    // Everything read from the pipe is out: direct writes may follow.
                    if let Some((d, st)) = &locked {
                        let pos = conn.pipe.as_ref().map(PipeEnd::read_position);
                        d.set_idle(st, pos.filter(|_| conn.pending_out.is_none()));
                    }
                    break;
                }
                _ => {
                    if let Some((d, st)) = &locked {
                        d.set_idle(st, None);
                    }
                    let mut slices = [io::IoSlice::new(&[]); 16];
                    let n = conn.engine.output_slices(&mut slices);
                    conn.stream
                        .write_vectored(&slices[..n])
                        .map(|n| conn.engine.consume_output(n))
                }
            };
            drop(locked);
            match written {
                Ok(()) => {}
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => return,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => {
                    conn.engine.connection_error(errno_of(&e));
                    self.handle_engine_events(token);
                    self.close_conn(token, None, CloseKind::Connection);
                    return;
                }
            }
        }
        // A connection the socket let go of closes once everything is written.
        if let Some(conn) = self.conns.get_mut(&token) {
            if conn.linger.is_some()
                && conn.pending_out.is_none()
                && conn.engine.output_len() == 0
                && conn.pipe.as_mut().is_none_or(|p| p.is_finished())
            {
                self.close_conn(token, None, CloseKind::Connection);
            }
        }
    }

    /// The socket side of a pipe went away (close, disconnect, unbind).
    fn pipe_terminated(&mut self, id: PipeId) {
        let Some(&token) = self.pipe_owner.get(&id) else {
            return;
        };
        if let Some(conn) = self.conns.get_mut(&token) {
            if let Some(p) = conn.pipe.as_mut() {
                p.peer_gone = true;
            }
            let linger = self
                .closing_linger
                .get(&conn.link.socket_id)
                .copied()
                .unwrap_or(conn.link.options.linger);
            if linger == 0 {
                self.close_conn(token, None, CloseKind::Connection);
                return;
            }
            conn.linger =
                Some((linger > 0).then(|| Instant::now() + Duration::from_millis(linger as u64)));
            if let Owner::Connecter(ct) = conn.owner {
                if let Some(c) = self.connecters.get_mut(&ct) {
                    c.stopping = true;
                }
            }
            self.flush(token);
        } else if let Some(c) = self.connecters.get_mut(&token) {
            if let Some(p) = c.pipe.as_mut() {
                p.peer_gone = true;
            }
            self.stop_connecter(token);
        }
    }

    /// Disconnect or socket close: the connecter ends once its pipe has nothing left.
    fn stop_connecter(&mut self, token: Token) {
        let Some(linger) = self.connecters.get(&token).map(|c| self.linger_of(&c.link)) else {
            return;
        };
        let c = self.connecters.get_mut(&token).expect("checked above");
        c.stopping = true;
        if c.linger_deadline.is_none() && linger > 0 {
            c.linger_deadline = Some(Instant::now() + Duration::from_millis(linger as u64));
        }
        let nothing_left = c
            .pipe
            .as_mut()
            .is_none_or(|p| p.peer_gone && p.is_finished());
        match c.state {
            ConnectState::Connected(conn_token) => {
                if let Some(conn) = self.conns.get_mut(&conn_token) {
                    if let Some(p) = conn.pipe.as_mut() {
                        if !p.peer_gone {
                            // Disconnect: the socket keeps running, the pipe goes.
                            p.terminate();
                        }
                        p.peer_gone = true;
                    }
                    if conn.linger.is_none() {
                        conn.linger = Some(c.linger_deadline);
                    }
                    if linger == 0 {
                        self.close_conn(conn_token, None, CloseKind::Connection);
                    } else {
                        self.flush(conn_token);
                    }
                }
            }
            _ => {
                if nothing_left || linger == 0 || c.pipe.as_ref().is_some_and(|p| !p.peer_gone) {
                    self.remove_connecter(token);
                }
            }
        }
    }

    fn remove_connecter(&mut self, token: Token) {
        if let Some(mut c) = self.connecters.remove(&token) {
            if let ConnectState::Connecting { token: st, .. } = c.state {
                if let Some((_, mut stream)) = self.connecting.remove(&st) {
                    let _ = self.poll.registry().deregister(&mut stream);
                }
            }
            if let Some(p) = c.pipe.take() {
                self.pipe_owner.remove(&p.id);
            }
        }
    }

    fn close_conn(&mut self, token: Token, detail: Option<(i32, i32)>, kind: CloseKind) {
        let Some(mut conn) = self.conns.remove(&token) else {
            return;
        };
        // No direct write may reach the socket once it is closed (its number reused).
        if let Some(d) = conn.pipe.as_ref().and_then(|p| p.direct.as_ref()) {
            d.detach();
        }
        let _ = self.poll.registry().deregister(&mut conn.stream);
        if let Some((event, value)) = detail {
            conn.link
                .monitor
                .emit(event, value as u32 as u64, &conn.endpoint);
        }
        conn.link
            .monitor
            .emit(ZMQ_EVENT_DISCONNECTED, conn.fd as u64, &conn.endpoint);
        let mut pipe = conn.pipe.take();
        if conn.handshaken {
            if let Some(p) = pipe.as_mut().filter(|p| !p.peer_gone) {
                let o = &conn.link.options;
                if conn.notify_disconnect {
                    p.write(Msg::new());
                }
                // ZMQ_DISCONNECT_MSG / ZMQ_HICCUP_MSG: the socket hears of the loss.
                if o.can_recv_disconnect_msg && !o.disconnect_msg.is_empty() {
                    p.write(Msg::from_slice(&o.disconnect_msg));
                }
                let reconnecting = matches!(conn.owner, Owner::Connecter(_)) && !o.immediate;
                if reconnecting && o.can_recv_hiccup_msg && !o.hiccup_msg.is_empty() {
                    p.write(Msg::from_slice(&o.hiccup_msg));
                }
            }
        }
        if let Some(p) = &pipe {
            self.pipe_owner.remove(&p.id);
        }
        match conn.owner {
            Owner::Listener(_) => drop(pipe),
            Owner::Connecter(ct) => {
                let Some(c) = self.connecters.get_mut(&ct) else {
                    return;
                };
                let immediate = c.link.options.immediate;
                if kind == CloseKind::Protocol {
                    // libzmq does not reconnect after a peer broke the protocol.
                    drop(pipe);
                    self.remove_connecter(ct);
                    return;
                }
                let mut pipe = pipe;
                let nothing_left = pipe.as_mut().is_none_or(|p| p.peer_gone && p.is_finished());
                let finished = c.stopping || pipe.as_ref().is_some_and(|p| p.peer_gone);
                if finished && (nothing_left || conn.linger.is_some() || c.link.options.linger == 0)
                {
                    drop(pipe);
                    self.remove_connecter(ct);
                    return;
                }
                if immediate {
                    drop(pipe);
                    c.identified = false;
                } else if let Some(p) = pipe {
                    self.pipe_owner.insert(p.id, ct);
                    c.pipe = Some(p);
                }
                self.schedule_retry(ct, detail.map(|d| d.0));
            }
        }
    }

    fn schedule_retry(&mut self, ct: Token, failure: Option<i32>) {
        let Some(c) = self.connecters.get_mut(&ct) else {
            return;
        };
        let o = &c.link.options;
        let stop_on_handshake = o.reconnect_stop & ZMQ_RECONNECT_STOP_HANDSHAKE_FAILED != 0
            && failure.is_some_and(|e| {
                e == ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL
                    || e == ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL
            });
        if o.reconnect_ivl < 0
            || stop_on_handshake
            || o.reconnect_stop & ZMQ_RECONNECT_STOP_AFTER_DISCONNECT != 0
        {
            let keep = c.pipe.take();
            drop(keep);
            self.remove_connecter(ct);
            return;
        }
        let ivl = c.ivl;
        c.state = ConnectState::Idle(Instant::now() + ivl);
        c.link.monitor.emit(
            ZMQ_EVENT_CONNECT_RETRIED,
            ivl.as_millis() as u64,
            &c.endpoint,
        );
        let max = Duration::from_millis(o.reconnect_ivl_max.max(0) as u64);
        if max > ivl {
            c.ivl = (ivl * 2).min(max);
        }
    }

    fn start_connect(&mut self, ct: Token) {
        let Some(c) = self.connecters.get_mut(&ct) else {
            return;
        };
        let opts = c.link.options.clone();
        let attempt: io::Result<Stream> = match c.transport {
            Transport::Tcp => match resolve_tcp_connect(&c.address, opts.ipv6) {
                Ok((source, remote)) => {
                    sys::tcp_connect(&remote, source.as_ref(), &opts).map(|s| {
                        sys::set_nodelay(s.as_raw_fd());
                        Stream::Tcp(mio::net::TcpStream::from_std(s))
                    })
                }
                Err(e) => Err(io::Error::from_raw_os_error(e.0)),
            },
            Transport::Ipc => IpcAddr::parse(&c.address)
                .map_err(|e| io::Error::from_raw_os_error(e.0))
                .and_then(|a| a.to_std())
                .and_then(|a| mio::net::UnixStream::connect_addr(&a))
                .map(Stream::Ipc),
        };
        match attempt {
            Ok(mut stream) => {
                let token = self.token();
                if self
                    .poll
                    .registry()
                    .register(&mut stream, token, Interest::READABLE | Interest::WRITABLE)
                    .is_err()
                {
                    self.schedule_retry(ct, None);
                    return;
                }
                let c = self.connecters.get_mut(&ct).expect("present above");
                c.state = ConnectState::Connecting {
                    token,
                    since: Instant::now(),
                };
                c.link.monitor.emit(
                    ZMQ_EVENT_CONNECT_DELAYED,
                    libc::EINPROGRESS as u64,
                    &c.endpoint,
                );
                self.connecting.insert(token, (ct, stream));
            }
            Err(e) => {
                let refused = e.raw_os_error() == Some(libc::ECONNREFUSED);
                if refused && c.link.options.reconnect_stop & ZMQ_RECONNECT_STOP_CONN_REFUSED != 0 {
                    self.remove_connecter(ct);
                    return;
                }
                self.schedule_retry(ct, None);
            }
        }
    }

    /// A pending connect reported readiness: connected, or failed.
    fn connect_finished(&mut self, token: Token) {
        let Some((ct, stream)) = self.connecting.get(&token) else {
            return;
        };
        let ct = *ct;
        let failed = match stream.take_error() {
            Ok(Some(e)) => Some(e),
            Err(e) => Some(e),
            Ok(None) if !stream.peer_ok() => {
                // Not connected yet (spurious wake-up): keep waiting.
                return;
            }
            Ok(None) => None,
        };
        let (_, mut stream) = self.connecting.remove(&token).expect("present above");
        match failed {
            Some(e) => {
                let _ = self.poll.registry().deregister(&mut stream);
                drop(stream);
                let refused = e.raw_os_error() == Some(libc::ECONNREFUSED);
                if let Some(c) = self.connecters.get(&ct) {
                    if refused
                        && c.link.options.reconnect_stop & ZMQ_RECONNECT_STOP_CONN_REFUSED != 0
                    {
                        self.remove_connecter(ct);
                        return;
                    }
                    if c.stopping
                        && c.pipe.as_ref().is_none_or(|p| p.peer_gone)
                        && c.linger_deadline.is_none()
                    {
                        self.remove_connecter(ct);
                        return;
                    }
                }
                self.schedule_retry(ct, None);
            }
            None => {
                let Some(c) = self.connecters.get_mut(&ct) else {
                    let _ = self.poll.registry().deregister(&mut stream);
                    return;
                };
                c.state = ConnectState::Connected(token);
                let fd = stream.fd();
                c.link
                    .monitor
                    .emit(ZMQ_EVENT_CONNECTED, fd as u64, &c.endpoint);
                let pipe = c.pipe.take();
                let link = c.link.clone();
                let endpoint = c.endpoint.clone();
                let linger = c.stopping.then_some(c.linger_deadline);
                // The stream stays registered under the same token.
                self.install_conn(token, stream, Owner::Connecter(ct), pipe, link, endpoint);
                if let Some(deadline) = linger {
                    // The socket is already gone: deliver what is left, then close.
                    if let Some(conn) = self.conns.get_mut(&token) {
                        conn.linger = Some(deadline);
                    }
                    self.flush(token);
                }
            }
        }
    }

    fn next_deadline(&self) -> Option<Instant> {
        let mut next: Option<Instant> = None;
        let mut consider = |t: Instant| next = Some(next.map_or(t, |n| n.min(t)));
        for c in self.conns.values() {
            if let Some(t) = c.engine.next_timeout() {
                consider(t);
            }
            if let Some(Some(t)) = c.linger {
                consider(t);
            }
        }
        for c in self.connecters.values() {
            match c.state {
                ConnectState::Idle(t) => consider(t),
                ConnectState::Connecting { since, .. } if c.link.options.connect_timeout > 0 => {
                    consider(since + Duration::from_millis(c.link.options.connect_timeout as u64))
                }
                _ => {}
            }
            if let Some(t) = c.linger_deadline {
                consider(t);
            }
        }
        next
    }

    fn on_timers(&mut self, now: Instant) {
        let conns: Vec<Token> = self.conns.keys().copied().collect();
        for t in conns {
            let Some(conn) = self.conns.get_mut(&t) else {
                continue;
            };
            if let Some(Some(deadline)) = conn.linger {
                if now >= deadline {
                    self.close_conn(t, None, CloseKind::Connection);
                    continue;
                }
            }
            if conn.engine.next_timeout().is_some_and(|d| now >= d) {
                conn.engine.handle_timeout(now);
                if self.handle_engine_events(t) {
                    self.flush(t);
                }
            }
        }
        let connecters: Vec<Token> = self.connecters.keys().copied().collect();
        for ct in connecters {
            let Some(c) = self.connecters.get(&ct) else {
                continue;
            };
            if c.linger_deadline.is_some_and(|d| now >= d) {
                if let ConnectState::Connected(conn) = c.state {
                    self.close_conn(conn, None, CloseKind::Connection);
                }
                self.remove_connecter(ct);
                continue;
            }
            match c.state {
                ConnectState::Idle(at) if now >= at => self.start_connect(ct),
                ConnectState::Connecting { token, since }
                    if c.link.options.connect_timeout > 0
                        && now
                            >= since
                                + Duration::from_millis(c.link.options.connect_timeout as u64) =>
                {
                    if let Some((_, mut stream)) = self.connecting.remove(&token) {
                        let _ = self.poll.registry().deregister(&mut stream);
                    }
                    self.schedule_retry(ct, None);
                }
                _ => {}
            }
        }
    }
}

/// ZMQ_IPC_FILTER_PID/UID/GID: checks the peer's credentials when filters are set.
fn ipc_peer_allowed(fd: RawFd, link: &SocketLink) -> bool {
    let o = &link.options;
    if o.ipc_uid_accept_filters.is_empty()
        && o.ipc_gid_accept_filters.is_empty()
        && o.ipc_pid_accept_filters.is_empty()
    {
        return true;
    }
    let Some((pid, uid, gid)) = sys::peer_credentials(fd) else {
        return false;
    };
    o.ipc_uid_accept_filters.contains(&uid)
        || o.ipc_gid_accept_filters.contains(&gid)
        || o.ipc_pid_accept_filters.contains(&pid)
}
