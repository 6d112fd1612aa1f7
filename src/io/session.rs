//! A session: the I/O thread's end of one socket pipe and the connection serving it.
//!
//! A connect session lives as long as its endpoint: it connects, reconnects after
//! failures and disconnects (its `Connecter` says when), and keeps its pipe across
//! connections unless ZMQ_IMMEDIATE or STREAM give every connection a pipe of its own.
//! An accepted session lives as long as its one connection.
//!
//! When the socket lets go (close, disconnect, unbind), the session delivers what is
//! left in the pipe within the linger the socket had then (-1: until delivered,
//! reconnecting as needed; 0: nothing), and ends at once when nothing is left.
//!
//! Moving bytes: large reads into one buffer, many messages encoded per write, only
//! whole messages into the pipe, backpressure from a full pipe. Writes share the
//! connection with the application's direct writes (`DirectWrite`): they happen under
//! its lock, bytes a direct write left go first, and an empty output publishes the
//! point from which direct writes may go.

use std::io::{self, IoSlice};
use std::sync::Arc;
use std::time::{Duration, Instant};

use mio::{Registry, Token};

use super::connecter::{Connecter, Ended, Next, Policy};
use super::direct::DirectWrite;
use super::raw::RawEngine;
use super::socks::{self, Credentials, Progress, SocksClient};
use super::sys;
use super::transport::{self, Stream, Target, Transport};
use super::ws::frame::{Outbound, Role};
use super::ws::handshake::{self, ClientHandshake, ServerHandshake, Subprotocol, Upgraded};
use super::ws::layer::{self, Layer};
use super::ws::{Port, WsConnect};
use super::SocketLink;
use crate::abi::*;
use crate::monitor::Endpoints;
use crate::msg::{Msg, Properties};
use crate::pipe::{network_pipe_pair, PeerInfo, PipeEnd, PipeEvent, PipeOwner};
use crate::zmtp::{CloseKind, Engine, EngineConfig, EngineEvent, Inbox, Security, ZapRequest};

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

/// The buffer every session of a thread reads into.
pub(crate) fn read_buffer() -> Vec<u8> {
    vec![0; READ_CHUNK]
}

/// What a session may use of its event loop during one call.
pub(crate) struct Io<'a> {
    pub(crate) registry: &'a Registry,
    pub(crate) token: Token,
    pub(crate) now: Instant,
    pub(crate) buf: &'a mut [u8],
}

/// Readiness reported for the session's socket.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Readiness {
    pub(crate) readable: bool,
    pub(crate) writable: bool,
}

/// A session's end of a pipe, with the direct-write state its application end uses.
pub(crate) struct SessionPipe {
    pub(crate) end: PipeEnd,
    pub(crate) direct: Arc<DirectWrite>,
}

/// A new pipe for a session: the application's end, and the session's.
pub(crate) fn session_pipe(link_options: &crate::options::Options) -> (PipeEnd, SessionPipe) {
    let direct = Arc::new(DirectWrite::default());
    let conflate = link_options.effective_conflate();
    let hwm = |v: i32| if conflate { 0 } else { v.max(0) as u64 };
    let (app, end) = network_pipe_pair(
        hwm(link_options.sndhwm),
        hwm(link_options.rcvhwm),
        Some(direct.path()),
    );
    (app, SessionPipe { end, direct })
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
            ConnEngine::Raw(e) => e.connection_error(),
        }
    }
    fn output_len(&self) -> usize {
        match self {
            ConnEngine::Zmtp(e) => e.output_len(),
            ConnEngine::Raw(e) => e.output_len(),
        }
    }
    fn output_slices<'a>(&'a self, slices: &mut [IoSlice<'a>]) -> usize {
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

/// One live connection.
struct Conn {
    stream: Stream,
    engine: ConnEngine,
    /// Its endpoints, as monitor events report them.
    at: Endpoints,
    handshaken: bool,
    /// The pipe is full: stop reading until the socket makes room (backpressure).
    input_blocked: bool,
    /// What a STREAM socket's connect and disconnect notifications carry (its frames'
    /// properties, Peer-Address among them), as libzmq's raw engine attaches them.
    notice_props: Option<Properties>,
}

/// The session's socket, if any.
enum Wire {
    None,
    /// A non-blocking connect in progress.
    Connecting(Stream),
    /// Connected to a SOCKS5 proxy, asking it to connect on.
    Socks(Stream, Box<SocksClient>),
    /// ws/wss: TLS and the HTTP upgrade, before the engine starts.
    Upgrading(Stream, Box<Upgrading>),
    Live(Box<Conn>),
}

/// A ws/wss connection's upgrade in progress.
struct Upgrading {
    side: UpgradeSide,
    /// ZMQ_HANDSHAKE_IVL covers the upgrade too.
    deadline: Option<Instant>,
    at: Endpoints,
}

enum UpgradeSide {
    Client(ClientHandshake),
    /// An accepted connection: its request's path picks the route it serves.
    Server(ServerHandshake, Arc<Port>),
}

/// How a ws/wss upgrade failed: the monitor event and value, whether reconnecting
/// helps, and the HTTP status to answer a client with.
struct UpgradeFailure {
    event: i32,
    value: i32,
    kind: CloseKind,
    refusal: Option<u16>,
}

impl UpgradeFailure {
    fn connection(errno: i32) -> UpgradeFailure {
        UpgradeFailure {
            event: ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL,
            value: errno,
            kind: CloseKind::Connection,
            refusal: None,
        }
    }

    fn protocol(refusal: Option<u16>) -> UpgradeFailure {
        UpgradeFailure {
            event: ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL,
            value: ZMQ_PROTOCOL_ERROR_WS_UNSPECIFIED,
            kind: CloseKind::Protocol,
            refusal,
        }
    }
}

/// What the socket options make of ROUTER_NOTIFY and STREAM notifications:
/// (notify connects, notify disconnects).
fn notifications(o: &crate::options::Options) -> (bool, bool) {
    let raw_notify = o.raw_socket && o.raw_notify;
    let router = o.socket_type == ZMQ_ROUTER;
    (
        raw_notify || (router && o.router_notify & ZMQ_NOTIFY_CONNECT != 0),
        raw_notify || (router && o.router_notify & ZMQ_NOTIFY_DISCONNECT != 0),
    )
}

/// ZMQ_SOCKS_PROXY: connections go through this SOCKS5 proxy.
struct SocksProxy {
    proxy: Target,
    /// None: no username set (no authentication). An error (a username or password
    /// longer than the protocol carries) fails every attempt; libzmq asserts.
    credentials: Result<Option<Credentials>, socks::SocksError>,
}

/// Where the session came from.
enum Origin {
    /// A listener accepted its connection.
    Accepted,
    /// The socket connected; reconnects follow the connecter.
    Connect {
        connecter: Connecter,
        target: Target,
        /// ZMQ_CONNECT_ROUTING_ID, for pipes made per connection (STREAM, IMMEDIATE).
        route: Option<Vec<u8>>,
        /// Set when connections go through a SOCKS5 proxy (tcp only).
        socks: Option<Box<SocksProxy>>,
    },
}

/// The I/O thread's side of one socket pipe.
pub(crate) struct Session {
    link: SocketLink,
    /// Which of the socket's endpoints this session serves (for unbind/disconnect).
    pub(crate) endpoint_id: u64,
    /// The endpoint as the socket names it (connect: as given; accepted: as bound).
    endpoint: String,
    origin: Origin,
    /// How this session's pipes wake it.
    owner: Arc<dyn PipeOwner>,
    pipe: Option<PipeEnd>,
    direct: Arc<DirectWrite>,
    /// A part read from the pipe before the engine could take it.
    pending_out: Option<Msg>,
    /// The engine was given the first parts of a message but not its last.
    out_mid_message: bool,
    /// The rest of a message cut short by a lost connection is dropped from the pipe.
    skip_rest: bool,
    /// The peer's routing id was written into the current pipe.
    identified: bool,
    notify_connect: bool,
    notify_disconnect: bool,
    wire: Wire,
    /// The socket let go: end once nothing is left to send, or by the deadline (None:
    /// no limit).
    closing: Option<Option<Instant>>,
    done: bool,
    /// The deadline this session has in the loop's timer heap.
    pub(crate) scheduled: Option<Instant>,
    /// The pipe to the ZAP handler, while a handshake of this session uses it.
    zap: Option<PipeEnd>,
    /// Parts of a ZAP reply read so far.
    zap_parts: Vec<Msg>,
}

impl Session {
    fn new(
        link: SocketLink,
        endpoint_id: u64,
        endpoint: String,
        origin: Origin,
        owner: Arc<dyn PipeOwner>,
        pipe: Option<SessionPipe>,
    ) -> Session {
        let (notify_connect, notify_disconnect) = notifications(&link.options);
        let (pipe, direct) = match pipe {
            Some(p) => (Some(p.end), p.direct),
            None => (None, Arc::new(DirectWrite::default())),
        };
        Session {
            link,
            endpoint_id,
            endpoint,
            origin,
            owner,
            pipe,
            direct,
            pending_out: None,
            out_mid_message: false,
            skip_rest: false,
            identified: false,
            notify_connect,
            notify_disconnect,
            wire: Wire::None,
            closing: None,
            done: false,
            scheduled: None,
            zap: None,
            zap_parts: Vec::new(),
        }
    }

    /// A session for a connection a listener accepted.
    pub(crate) fn accepted(
        link: SocketLink,
        endpoint_id: u64,
        endpoint: String,
        stream: Stream,
        owner: Arc<dyn PipeOwner>,
    ) -> Session {
        let mut s = Session::new(link, endpoint_id, endpoint, Origin::Accepted, owner, None);
        s.wire = Wire::Connecting(stream);
        s
    }

    /// A session for a connection a ws/wss port accepted: it upgrades first, and
    /// serves the route its request names (`link` stands in until then).
    pub(crate) fn ws_accepted(
        port: Arc<Port>,
        link: SocketLink,
        mut stream: Stream,
        owner: Arc<dyn PipeOwner>,
        now: Instant,
    ) -> Session {
        let o = link.options.clone();
        let tls = port.tls.as_ref().map(|config| {
            rustls::ServerConnection::new(config.clone()).map(rustls::Connection::Server)
        });
        // A wss port never falls back to plain ws: without its TLS session the
        // connection is refused (`start` ends a session with no layer).
        let refused = matches!(tls, Some(Err(_)));
        if !refused {
            let tls = tls.and_then(Result::ok);
            stream.set_layer(Layer::new(Role::Server, tls, o.maxmsgsize));
        }
        let at = Endpoints {
            local: stream.local_endpoint(),
            remote: stream.peer_endpoint(),
            bound: true,
        };
        let mut s = Session::new(link, port.id, String::new(), Origin::Accepted, owner, None);
        s.wire = Wire::Upgrading(
            stream,
            Box::new(Upgrading {
                side: UpgradeSide::Server(ServerHandshake::default(), port),
                deadline: upgrade_deadline(&o, now),
                at,
            }),
        );
        s
    }

    /// A session for a connect endpoint; `pipe` is the session's end of the pipe the
    /// socket already attached (None: one pipe per connection).
    pub(crate) fn connect(
        link: SocketLink,
        endpoint_id: u64,
        endpoint: String,
        target: Target,
        pipe: Option<SessionPipe>,
        owner: Arc<dyn PipeOwner>,
        now: Instant,
    ) -> Session {
        let connecter = Connecter::new(Policy::from_options(&link.options), now);
        let route = Some(link.options.connect_routing_id.clone()).filter(|r| !r.is_empty());
        let o = &link.options;
        let socks =
            (!o.socks_proxy_address.is_empty() && target.transport == Transport::Tcp).then(|| {
                Box::new(SocksProxy {
                    proxy: Target {
                        transport: Transport::Tcp,
                        address: String::from_utf8_lossy(&o.socks_proxy_address).into_owned(),
                        ws: None,
                    },
                    credentials: socks::Credentials::from_options(
                        &o.socks_proxy_username,
                        &o.socks_proxy_password,
                    ),
                })
            });
        let origin = Origin::Connect {
            connecter,
            target,
            route,
            socks,
        };
        Session::new(link, endpoint_id, endpoint, origin, owner, pipe)
    }

    pub(crate) fn socket_id(&self) -> u64 {
        self.link.socket_id
    }

    /// Whether the session has ended (the loop then forgets it).
    pub(crate) fn is_done(&self) -> bool {
        self.done
    }

    /// The earliest instant `on_timer` has something to do.
    pub(crate) fn deadline(&self) -> Option<Instant> {
        let mut next = self.closing.flatten();
        let mut consider = |t: Option<Instant>| {
            if let Some(t) = t {
                next = Some(next.map_or(t, |n| n.min(t)));
            }
        };
        match &self.wire {
            Wire::Live(conn) => consider(conn.engine.next_timeout()),
            Wire::Upgrading(_, up) => consider(up.deadline),
            Wire::Connecting(_) | Wire::Socks(..) | Wire::None => {
                if let Origin::Connect { connecter, .. } = &self.origin {
                    consider(connecter.deadline());
                }
            }
        }
        next
    }

    /// Starts the session: an accepted connection begins its handshake, a connect
    /// session its first attempt.
    pub(crate) fn start(&mut self, io: &mut Io<'_>) {
        if let Some(p) = self.pipe.as_mut() {
            p.attach(self.owner.clone());
        }
        match std::mem::replace(&mut self.wire, Wire::None) {
            Wire::Connecting(stream) if matches!(self.origin, Origin::Accepted) => {
                let at = Endpoints {
                    local: stream.local_endpoint(),
                    remote: stream.peer_endpoint(),
                    bound: true,
                };
                if transport::register(io.registry, stream.raw_fd(), io.token).is_err() {
                    self.end(io);
                    return;
                }
                self.link
                    .monitor
                    .emit(ZMQ_EVENT_ACCEPTED, stream.raw_fd() as u64, &at);
                self.install(io, stream, at, None);
            }
            Wire::Upgrading(mut stream, up) => {
                if stream.layer().is_none()
                    || transport::register(io.registry, stream.raw_fd(), io.token).is_err()
                {
                    self.end(io);
                    return;
                }
                self.wire = Wire::Upgrading(stream, up);
                self.upgrade_step(io);
            }
            other => {
                self.wire = other;
                self.poll_connecter(io);
            }
        }
    }

    /// Readiness on the session's socket.
    pub(crate) fn on_ready(&mut self, io: &mut Io<'_>, ready: Readiness) {
        match &self.wire {
            Wire::Connecting(_) => self.connect_done(io),
            Wire::Socks(..) => self.socks_step(io),
            Wire::Upgrading(..) => self.upgrade_step(io),
            Wire::Live(_) => {
                if ready.readable {
                    self.read_input(io);
                }
                if ready.writable {
                    self.flush(io);
                }
            }
            Wire::None => {}
        }
    }

    /// Something happened at the socket's end of the pipe (or at the ZAP handler's).
    pub(crate) fn on_pipe(&mut self, io: &mut Io<'_>, event: PipeEvent) {
        if let Some(zap_id) = self.zap.as_ref().map(|p| p.id) {
            match event {
                PipeEvent::ReadActivated(id) if id == zap_id => return self.read_zap(io),
                PipeEvent::Terminated(id) if id == zap_id => {
                    // The handler went away: a pending handshake times out.
                    self.zap = None;
                    return;
                }
                PipeEvent::WriteActivated(id) | PipeEvent::Hiccup(id) if id == zap_id => return,
                _ => {}
            }
        }
        let Some(pipe_id) = self.pipe.as_ref().map(|p| p.id) else {
            return;
        };
        let live = matches!(self.wire, Wire::Live(_));
        if let (PipeEvent::WriteActivated(id), Some(p)) = (event, self.pipe.as_mut()) {
            if id == pipe_id {
                // The socket may have changed its RCVHWM: take up the new capacity.
                p.refresh_hwm();
            }
        }
        match event {
            PipeEvent::ReadActivated(id) if id == pipe_id && live => self.flush(io),
            PipeEvent::WriteActivated(id) if id == pipe_id && live && self.deliver_pending() => {
                self.read_input(io)
            }
            PipeEvent::Terminated(id) if id == pipe_id => {
                if let Some(p) = self.pipe.as_mut() {
                    p.peer_gone = true;
                }
                if self.closing.is_none() {
                    // The socket dropped this pipe on its own (STREAM closing a
                    // connection, a ROUTER refusing a duplicate name): what it sent
                    // still goes out, then the session ends.
                    let linger = self.link.options.linger;
                    self.let_go(io, linger);
                } else {
                    self.check_finished(io);
                }
            }
            _ => {}
        }
    }

    /// The socket closed, or unbound or disconnected this session's endpoint: deliver
    /// what is left within `linger` (ms; -1 no limit, 0 nothing), then end.
    pub(crate) fn let_go(&mut self, io: &mut Io<'_>, linger: i32) {
        if self.done {
            return;
        }
        if linger == 0 {
            self.end(io);
            return;
        }
        if self.closing.is_none() {
            let deadline = (linger > 0).then(|| io.now + Duration::from_millis(linger as u64));
            self.closing = Some(deadline);
        }
        self.check_finished(io);
    }

    /// A deadline came.
    pub(crate) fn on_timer(&mut self, io: &mut Io<'_>) {
        if self.closing.flatten().is_some_and(|d| io.now >= d) {
            self.end(io);
            return;
        }
        match &mut self.wire {
            Wire::Live(conn) => {
                if conn.engine.next_timeout().is_some_and(|d| io.now >= d) {
                    conn.engine.handle_timeout(io.now);
                    if self.handle_engine_events(io) {
                        self.flush(io);
                    }
                }
            }
            Wire::Upgrading(_, up) => {
                if up.deadline.is_some_and(|d| io.now >= d) {
                    self.upgrade_failed(
                        io,
                        UpgradeFailure {
                            kind: CloseKind::Timeout,
                            ..UpgradeFailure::connection(libc::EAGAIN)
                        },
                    );
                }
            }
            Wire::Connecting(_) | Wire::Socks(..) | Wire::None => self.poll_connecter(io),
        }
    }

    /// Ends the session now: its connection (or connect attempt) closes and its pipe
    /// is dropped (the socket reads what was already delivered, then forgets it).
    pub(crate) fn end(&mut self, io: &mut Io<'_>) {
        if self.done {
            return;
        }
        self.done = true;
        self.direct.detach();
        match std::mem::replace(&mut self.wire, Wire::None) {
            Wire::Live(conn) => {
                transport::deregister(io.registry, conn.stream.raw_fd());
            }
            Wire::Upgrading(stream, _) => {
                transport::deregister(io.registry, stream.raw_fd());
            }
            Wire::Connecting(stream) | Wire::Socks(stream, _) => {
                let fd = stream.raw_fd();
                transport::deregister(io.registry, fd);
                drop(stream);
                self.link.monitor.emit(
                    ZMQ_EVENT_CLOSED,
                    fd as u64,
                    &Endpoints::connecting(&self.endpoint),
                );
            }
            Wire::None => {}
        }
        self.pipe = None;
        self.pending_out = None;
        self.zap = None;
    }

    /// Ends the session if it was let go and nothing is left to deliver, or nothing
    /// can ever be delivered any more (no reconnects).
    fn check_finished(&mut self, io: &mut Io<'_>) {
        if self.closing.is_none() || self.done {
            return;
        }
        let stopped = match &self.origin {
            Origin::Connect { connecter, .. } => connecter.is_stopped(),
            Origin::Accepted => false,
        };
        let live = matches!(self.wire, Wire::Live(_));
        if (stopped && !live) || self.nothing_left() {
            self.end(io);
        } else if live {
            self.flush(io);
        }
    }

    /// Nothing waits to be sent: the pipe is finished (or gone) and no bytes are queued.
    fn nothing_left(&mut self) -> bool {
        if self.pending_out.is_some() {
            return false;
        }
        if let Wire::Live(conn) = &self.wire {
            if conn.engine.output_len() > 0
                || conn.stream.has_pending()
                || !self.direct.lock().leftover.is_empty()
            {
                return false;
            }
        }
        self.pipe.as_mut().is_none_or(|p| p.is_finished())
    }

    // ---------------------------------------------------------------- connecting

    /// Starts a connect attempt if one is due, or abandons one that timed out.
    fn poll_connecter(&mut self, io: &mut Io<'_>) {
        let Origin::Connect { connecter, .. } = &mut self.origin else {
            return;
        };
        match connecter.poll(io.now) {
            Next::Connect => self.attempt(io),
            Next::Retry(wait) => {
                // CONNECT_TIMEOUT: the attempt in progress is abandoned.
                match std::mem::replace(&mut self.wire, Wire::None) {
                    Wire::Connecting(stream) | Wire::Socks(stream, _) => {
                        self.close_attempt(io, stream)
                    }
                    other => self.wire = other,
                }
                self.retry_scheduled(wait);
            }
            Next::Stop { .. } | Next::Wait => {}
        }
    }

    fn attempt(&mut self, io: &mut Io<'_>) {
        if self.closing.is_some() && self.pipe.as_mut().is_none_or(|p| p.is_finished()) {
            // Nothing to deliver any more: no point in connecting.
            self.end(io);
            return;
        }
        let Origin::Connect {
            connecter,
            target,
            socks,
            ..
        } = &mut self.origin
        else {
            return;
        };
        connecter.attempt_started(io.now);
        // Through a SOCKS proxy, the connection is first made to the proxy.
        let to = socks.as_ref().map_or(&*target, |s| &s.proxy);
        let attempt = transport::connect(to, &self.link.options);
        let at = Endpoints::connecting(&self.endpoint);
        match attempt {
            Ok((stream, in_progress)) => {
                if let Err(e) = transport::register(io.registry, stream.raw_fd(), io.token) {
                    self.close_unregistered(io, stream);
                    self.attempt_failed(io, e.raw_os_error().unwrap_or(libc::EIO));
                    return;
                }
                if in_progress {
                    self.link.monitor.emit(
                        ZMQ_EVENT_CONNECT_DELAYED,
                        libc::EINPROGRESS as u64,
                        &at,
                    );
                    self.wire = Wire::Connecting(stream);
                } else {
                    self.wire = Wire::Connecting(stream);
                    self.connect_done(io);
                }
            }
            Err(failure) => {
                if let Some(fd) = failure.fd {
                    // As libzmq: the socket made for the attempt is reported closed.
                    self.link.monitor.emit(ZMQ_EVENT_CLOSED, fd as u64, &at);
                }
                self.attempt_failed(io, failure.errno);
            }
        }
    }

    /// The connect attempt in progress finished (or woke spuriously).
    fn connect_done(&mut self, io: &mut Io<'_>) {
        let Wire::Connecting(stream) = &self.wire else {
            return;
        };
        match stream.connect_result() {
            Ok(false) => {}
            Ok(true) => {
                let Wire::Connecting(stream) = std::mem::replace(&mut self.wire, Wire::None) else {
                    return;
                };
                if let Origin::Connect {
                    socks: Some(proxy),
                    target,
                    ..
                } = &self.origin
                {
                    // Connected to the proxy: ask it to connect on.
                    let client = proxy.credentials.clone().and_then(|credentials| {
                        let (host, port) = socks::split_target(&target.address)?;
                        SocksClient::new(host, port, credentials)
                    });
                    match client {
                        Ok(client) => {
                            self.wire = Wire::Socks(stream, Box::new(client));
                            self.socks_step(io);
                        }
                        Err(_) => {
                            self.close_attempt(io, stream);
                            self.attempt_failed(io, libc::EINVAL);
                        }
                    }
                    return;
                }
                if let Origin::Connect {
                    target: Target { ws: Some(ws), .. },
                    ..
                } = &self.origin
                {
                    let ws = ws.clone();
                    self.ws_connected(io, stream, ws);
                    return;
                }
                self.connected(io, stream, &[]);
            }
            Err(e) => {
                let Wire::Connecting(stream) = std::mem::replace(&mut self.wire, Wire::None) else {
                    return;
                };
                self.close_attempt(io, stream);
                self.attempt_failed(io, e.raw_os_error().unwrap_or(libc::EIO));
            }
        }
    }

    /// The connection to the peer is up (directly, or through a proxy, with the first
    /// `early` bytes the peer sent already read).
    fn connected(&mut self, io: &mut Io<'_>, stream: Stream, early: &[u8]) {
        if let Origin::Connect { connecter, .. } = &mut self.origin {
            connecter.connected();
        }
        let at = Endpoints {
            local: stream.local_endpoint(),
            remote: self.endpoint.clone(),
            bound: false,
        };
        self.link
            .monitor
            .emit(ZMQ_EVENT_CONNECTED, stream.raw_fd() as u64, &at);
        self.install(io, stream, at, None);
        if !early.is_empty() {
            if let Some(conn) = self.conn() {
                conn.engine.receive(early, io.now);
                if self.handle_engine_events(io) {
                    self.flush(io);
                }
            }
        }
    }

    /// The tcp connection of a ws/wss endpoint is up: TLS (wss) and the HTTP upgrade
    /// come before the engine.
    fn ws_connected(&mut self, io: &mut Io<'_>, mut stream: Stream, ws: Arc<WsConnect>) {
        if let Origin::Connect { connecter, .. } = &mut self.origin {
            connecter.connected();
        }
        let at = Endpoints {
            local: stream.local_endpoint(),
            remote: self.endpoint.clone(),
            bound: false,
        };
        let fd = stream.raw_fd();
        self.link.monitor.emit(ZMQ_EVENT_CONNECTED, fd as u64, &at);
        let o = self.link.options.clone();
        let tls = match &ws.tls {
            Some((config, name)) => {
                match rustls::ClientConnection::new(config.clone(), name.clone()) {
                    Ok(c) => Some(rustls::Connection::Client(c)),
                    Err(_) => None,
                }
            }
            None => None,
        };
        let tls_failed = ws.tls.is_some() && tls.is_none();
        let mut layer = Layer::new(Role::Client, tls, o.maxmsgsize);
        let mut nonce = [0u8; 16];
        let _ = ring::rand::SecureRandom::fill(&ring::rand::SystemRandom::new(), &mut nonce);
        let hs = ClientHandshake::new(
            &ws.host_port,
            &ws.path,
            Subprotocol::offered(o.mechanism),
            nonce,
        );
        let sent = layer.send_plain(fd, hs.request());
        stream.set_layer(layer);
        self.wire = Wire::Upgrading(
            stream,
            Box::new(Upgrading {
                side: UpgradeSide::Client(hs),
                deadline: upgrade_deadline(&o, io.now),
                at,
            }),
        );
        match sent {
            _ if tls_failed => self.upgrade_failed(io, UpgradeFailure::connection(libc::EPROTO)),
            Err(e) => self.upgrade_failed(
                io,
                UpgradeFailure::connection(e.raw_os_error().unwrap_or(libc::EIO)),
            ),
            Ok(()) => self.upgrade_step(io),
        }
    }

    /// Moves a ws/wss upgrade on: sends what waits (TLS records, the request or
    /// answer), reads the other side's head, and starts the engine once it is in.
    fn upgrade_step(&mut self, io: &mut Io<'_>) {
        enum Done {
            Client(Upgraded),
            Server(handshake::Request),
        }
        let outcome = loop {
            let Wire::Upgrading(stream, up) = &mut self.wire else {
                return;
            };
            let fd = stream.raw_fd();
            let Some(layer) = stream.layer() else {
                return;
            };
            match layer.flush(fd) {
                Ok(()) => {}
                Err(e)
                    if matches!(
                        e.kind(),
                        io::ErrorKind::WouldBlock | io::ErrorKind::Interrupted
                    ) => {}
                Err(e) => {
                    break Err(UpgradeFailure::connection(
                        e.raw_os_error().unwrap_or(libc::EIO),
                    ))
                }
            }
            match layer.read_plain(fd, io.buf) {
                Ok(0) => break Err(UpgradeFailure::connection(libc::EPIPE)),
                Ok(n) => match &mut up.side {
                    UpgradeSide::Client(hs) => match hs.receive(&io.buf[..n]) {
                        Ok(None) => continue,
                        Ok(Some(u)) => break Ok(Done::Client(u)),
                        Err(_) => break Err(UpgradeFailure::protocol(None)),
                    },
                    UpgradeSide::Server(hs, _) => match hs.receive(&io.buf[..n]) {
                        Ok(None) => continue,
                        Ok(Some(r)) => break Ok(Done::Server(r)),
                        Err(_) => break Err(UpgradeFailure::protocol(Some(400))),
                    },
                },
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => return,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => {
                    break Err(UpgradeFailure::connection(
                        e.raw_os_error().unwrap_or(libc::EIO),
                    ))
                }
            }
        };
        match outcome {
            Err(f) => self.upgrade_failed(io, f),
            Ok(Done::Client(u)) => {
                let Wire::Upgrading(mut stream, up) = std::mem::replace(&mut self.wire, Wire::None)
                else {
                    return;
                };
                if let Some(l) = stream.layer() {
                    l.start_frames(&u.leftover);
                }
                self.install(io, stream, up.at, Some(u.protocol));
            }
            Ok(Done::Server(request)) => self.upgrade_accepted(io, request),
        }
    }

    /// An accepted connection's request is in: route it by its path, answer, and
    /// start the engine as a connection of the route's socket.
    fn upgrade_accepted(&mut self, io: &mut Io<'_>, request: handshake::Request) {
        let Wire::Upgrading(_, up) = &self.wire else {
            return;
        };
        let UpgradeSide::Server(_, port) = &up.side else {
            return;
        };
        let Some((link, endpoint_id, endpoint)) = port.route(&request.path) else {
            return self.upgrade_failed(io, UpgradeFailure::protocol(Some(404)));
        };
        let o = link.options.clone();
        let Wire::Upgrading(stream, _) = &self.wire else {
            return;
        };
        if !super::listener::accept_allowed(&o, stream.transport(), stream) {
            // Refused by a filter: closed at once, as libzmq does.
            return self.end(io);
        }
        // The connection now belongs to the route's socket.
        self.link = link;
        self.endpoint_id = endpoint_id;
        self.endpoint = endpoint.clone();
        (self.notify_connect, self.notify_disconnect) = notifications(&o);
        let Some(protocol) = request.choose(o.mechanism, !o.zap_domain.is_empty()) else {
            return self.upgrade_failed(io, UpgradeFailure::protocol(Some(400)));
        };
        let Wire::Upgrading(mut stream, _) = std::mem::replace(&mut self.wire, Wire::None) else {
            return;
        };
        let fd = stream.raw_fd();
        let at = Endpoints {
            local: endpoint,
            remote: stream.peer_endpoint(),
            bound: true,
        };
        let sent = match stream.layer() {
            Some(l) => {
                let sent = l.send_plain(fd, &request.accept(protocol));
                l.start_frames(&request.leftover);
                sent
            }
            None => Ok(()),
        };
        self.link.monitor.emit(ZMQ_EVENT_ACCEPTED, fd as u64, &at);
        self.install(io, stream, at, Some(protocol));
        if let Err(e) = sent {
            if let Some(conn) = self.conn() {
                conn.engine
                    .connection_error(e.raw_os_error().unwrap_or(libc::EIO));
                self.handle_engine_events(io);
            }
        }
    }

    /// A ws/wss upgrade failed: a client is told why (an HTTP status), the monitor
    /// hears it, then the session reconnects (connect side) or ends (accepted side).
    fn upgrade_failed(&mut self, io: &mut Io<'_>, f: UpgradeFailure) {
        let Wire::Upgrading(mut stream, up) = std::mem::replace(&mut self.wire, Wire::None) else {
            return;
        };
        let fd = stream.raw_fd();
        if let (Some(status), Some(l)) = (f.refusal, stream.layer()) {
            let _ = l.send_plain(fd, &handshake::refusal(status));
        }
        transport::deregister(io.registry, fd);
        drop(stream);
        let Origin::Connect { .. } = &self.origin else {
            self.accepted_upgrade_failed(&f, fd as u64, *up);
            self.end(io);
            return;
        };
        if f.event != 0 {
            self.link
                .monitor
                .emit(f.event, f.value as u32 as u64, &up.at);
        }
        self.link
            .monitor
            .emit(ZMQ_EVENT_DISCONNECTED, fd as u64, &up.at);
        self.connection_ended(io, f.kind, true);
    }

    /// An accepted ws/wss connection failed its upgrade. The socket it was routed to,
    /// or else the port's only socket, hears what libzmq's listener reports: the
    /// accept, the failure, the disconnect. With several paths on the port and none
    /// named yet, the connection belonged to no socket: nothing is reported.
    fn accepted_upgrade_failed(&self, f: &UpgradeFailure, fd: u64, up: Upgrading) {
        let UpgradeSide::Server(_, port) = &up.side else {
            return;
        };
        let (monitor, local) = if self.link.socket_id != 0 {
            (self.link.monitor.clone(), self.endpoint.clone())
        } else if let Some((link, _, endpoint)) = port.sole_route() {
            (link.monitor.clone(), endpoint)
        } else {
            return;
        };
        let at = Endpoints { local, ..up.at };
        monitor.emit(ZMQ_EVENT_ACCEPTED, fd, &at);
        if f.event != 0 {
            monitor.emit(f.event, f.value as u32 as u64, &at);
        }
        monitor.emit(ZMQ_EVENT_DISCONNECTED, fd, &at);
    }

    /// Moves the SOCKS5 handshake with the proxy on: writes what is due, reads its
    /// answers; a refusal fails the attempt like a refused connect.
    fn socks_step(&mut self, io: &mut Io<'_>) {
        let Wire::Socks(stream, client) = &mut self.wire else {
            return;
        };
        let outcome = loop {
            while !client.output().is_empty() {
                match stream.write(client.output()) {
                    Ok(n) => client.consume_output(n),
                    Err(e) if e.kind() == io::ErrorKind::WouldBlock => break,
                    Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                    Err(e) => return self.socks_failed(io, e.raw_os_error().unwrap_or(libc::EIO)),
                }
            }
            match stream.read(io.buf) {
                Ok(0) => break Err(libc::ECONNRESET),
                Ok(n) => match client.receive(&io.buf[..n]) {
                    Ok(Progress::NeedMore) => continue,
                    Ok(Progress::Connected { leftover, .. }) => break Ok(leftover),
                    Err(_) => break Err(libc::ECONNREFUSED),
                },
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => return,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => break Err(e.raw_os_error().unwrap_or(libc::EIO)),
            }
        };
        match outcome {
            Ok(early) => {
                let Wire::Socks(stream, _) = std::mem::replace(&mut self.wire, Wire::None) else {
                    return;
                };
                self.connected(io, stream, &early);
            }
            Err(errno) => self.socks_failed(io, errno),
        }
    }

    fn socks_failed(&mut self, io: &mut Io<'_>, errno: i32) {
        if let Wire::Socks(stream, _) = std::mem::replace(&mut self.wire, Wire::None) {
            self.close_attempt(io, stream);
        }
        // A refusal by the proxy is no refused tcp connect: it never stops reconnecting.
        let errno = if errno == libc::ECONNREFUSED {
            libc::EPROTO
        } else {
            errno
        };
        self.attempt_failed(io, errno);
    }

    /// Closes the socket of a failed or abandoned attempt, reporting ZMQ_EVENT_CLOSED.
    fn close_attempt(&mut self, io: &mut Io<'_>, stream: Stream) {
        transport::deregister(io.registry, stream.raw_fd());
        self.close_unregistered(io, stream);
    }

    fn close_unregistered(&mut self, _io: &mut Io<'_>, stream: Stream) {
        let fd = stream.raw_fd();
        drop(stream);
        self.link.monitor.emit(
            ZMQ_EVENT_CLOSED,
            fd as u64,
            &Endpoints::connecting(&self.endpoint),
        );
    }

    fn attempt_failed(&mut self, io: &mut Io<'_>, errno: i32) {
        let Origin::Connect { connecter, .. } = &mut self.origin else {
            return;
        };
        let next = connecter.attempt_failed(io.now, errno);
        self.follow(io, next);
    }

    /// A connect session's connection ended (`kind`; `handshaking`: before its
    /// handshake completed): its connecter says what comes next (reconnect, stop...),
    /// told whether the socket disconnected it.
    fn connection_ended(&mut self, io: &mut Io<'_>, kind: CloseKind, handshaking: bool) {
        let ended = if kind == CloseKind::Protocol {
            Ended::Protocol
        } else {
            Ended::Lost { handshaking }
        };
        let disconnected = self
            .link
            .disconnected
            .load(std::sync::atomic::Ordering::Relaxed);
        let Origin::Connect { connecter, .. } = &mut self.origin else {
            return;
        };
        let next = connecter.ended(io.now, ended, disconnected);
        self.follow(io, next);
    }

    /// Acts on the connecter's answer after a failure or a lost connection.
    fn follow(&mut self, io: &mut Io<'_>, next: Next) {
        match next {
            Next::Retry(wait) => self.retry_scheduled(wait),
            // No more attempts: the endpoint is done (libzmq removes it from the socket
            // when the refusal stopped it); its pipe goes.
            Next::Stop { .. } => self.end(io),
            Next::Connect => self.attempt(io),
            Next::Wait => {}
        }
        if self.closing.is_some() {
            self.check_finished(io);
        }
    }

    fn retry_scheduled(&self, wait: Duration) {
        self.link.monitor.emit(
            ZMQ_EVENT_CONNECT_RETRIED,
            wait.as_millis() as u64,
            &Endpoints::connecting(&self.endpoint),
        );
    }

    // ---------------------------------------------------------------- connection

    fn engine_config(&self, peer_address: String) -> EngineConfig {
        let o = &self.link.options;
        EngineConfig {
            socket_type: o.socket_type,
            routing_id: o.routing_id.clone(),
            maxmsgsize: o.maxmsgsize,
            heartbeat_ivl_ms: o.heartbeat_interval,
            heartbeat_timeout_ms: o.heartbeat_timeout,
            heartbeat_ttl_ms: o.heartbeat_ttl_ms(),
            handshake_ivl_ms: o.handshake_ivl,
            security: Security {
                mechanism: o.mechanism,
                as_server: o.as_server,
                plain_username: o.plain_username.clone(),
                plain_password: o.plain_password.clone(),
                curve_public_key: o.curve_public_key,
                curve_secret_key: o.curve_secret_key.clone(),
                curve_server_key: o.curve_server_key,
                zap_domain: o.zap_domain.clone(),
                zap_enforce_domain: o.zap_enforce_domain,
            },
            metadata: o
                .app_metadata
                .iter()
                .map(|(k, v)| (String::from_utf8_lossy(k).into_owned(), v.clone()))
                .collect(),
            peer_address,
        }
    }

    /// A connection is up: its engine starts (a raw engine is ready at once); over
    /// ws/wss `zws` is the subprotocol the upgrade chose.
    fn install(
        &mut self,
        io: &mut Io<'_>,
        stream: Stream,
        at: Endpoints,
        zws: Option<Subprotocol>,
    ) {
        if stream.transport().is_tcp() {
            let _ = sys::apply_tcp_options(stream.raw_fd(), &self.link.options);
        }
        let engine = if self.link.options.raw_socket {
            ConnEngine::Raw(RawEngine::new(&stream.peer_ip()))
        } else {
            let cfg = self.engine_config(stream.peer_ip());
            let mut e = match zws {
                Some(p) => Engine::new_zws(cfg, p != Subprotocol::Bare, io.now),
                None => Engine::new(cfg, io.now),
            };
            e.set_source_fd(stream.raw_fd());
            ConnEngine::Zmtp(Box::new(e))
        };
        self.wire = Wire::Live(Box::new(Conn {
            stream,
            engine,
            at,
            handshaken: false,
            input_blocked: false,
            notice_props: None,
        }));
        if self.handle_engine_events(io) {
            self.flush(io);
            self.read_input(io);
        }
    }

    fn conn(&mut self) -> Option<&mut Conn> {
        match &mut self.wire {
            Wire::Live(c) => Some(c),
            _ => None,
        }
    }

    /// Reads and decodes until the socket would block or the pipe is full, then
    /// writes what the engine queued in reply (greeting, READY, PONG...).
    fn read_input(&mut self, io: &mut Io<'_>) {
        self.read_available(io);
        self.flush(io);
    }

    fn read_available(&mut self, io: &mut Io<'_>) {
        loop {
            let Some(conn) = self.conn() else {
                return;
            };
            if conn.input_blocked {
                return;
            }
            // A large body is read straight into its message buffer.
            if let ConnEngine::Zmtp(engine) = &mut conn.engine {
                if let Some((body, room)) = engine.large_body(DIRECT_READ_MIN) {
                    match conn.stream.read_append(body, room) {
                        Ok(n) if n > 0 => {
                            engine.large_body_received(io.now);
                            if !self.handle_engine_events(io) {
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
            }
            .min(io.buf.len());
            match conn.stream.read(&mut io.buf[..chunk]) {
                Ok(0) => {
                    conn.engine.connection_error(libc::EPIPE);
                    self.handle_engine_events(io);
                    return;
                }
                Ok(n) => {
                    conn.engine.receive(&io.buf[..n], io.now);
                    if !self.handle_engine_events(io) {
                        return;
                    }
                }
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => return,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) if layer::is_protocol_error(&e) => {
                    if let ConnEngine::Zmtp(engine) = &mut conn.engine {
                        engine.transport_protocol_error("malformed WebSocket frame");
                    }
                    self.handle_engine_events(io);
                    return;
                }
                Err(e) => {
                    conn.engine
                        .connection_error(e.raw_os_error().unwrap_or(libc::EIO));
                    self.handle_engine_events(io);
                    return;
                }
            }
        }
    }

    /// Acts on what the engine produced; false when the connection closed.
    fn handle_engine_events(&mut self, io: &mut Io<'_>) -> bool {
        loop {
            let raw = self.link.options.raw_socket;
            let Some(conn) = self.conn() else {
                return false;
            };
            let Some(event) = conn.engine.poll_control() else {
                self.deliver_pending();
                return true;
            };
            match event {
                EngineEvent::Ready {
                    peer_routing_id,
                    version,
                    metadata,
                    ..
                } => {
                    conn.handshaken = true;
                    if raw {
                        conn.notice_props = Some(Properties::new(metadata));
                    }
                    // The socket gets its pipe before the application hears of the
                    // handshake, so a send right after the event already counts it.
                    self.handshake_done(peer_routing_id);
                    // libzmq reports no handshake for ZMTP 1.0/2.0 peers, which have none.
                    if let Some(conn) = self.conn() {
                        let zws = matches!(&conn.engine, ConnEngine::Zmtp(e) if e.is_zws());
                        if let Some(l) = conn.stream.layer() {
                            l.engine_ready();
                        }
                        if version.has_handshake() || zws {
                            let at = conn.at.clone();
                            self.link
                                .monitor
                                .emit(ZMQ_EVENT_HANDSHAKE_SUCCEEDED, 0, &at);
                        }
                    }
                    self.flush(io);
                }
                // Parts stay in the engine's inbox and go to the pipe in bulk.
                EngineEvent::Message(_) => {}
                EngineEvent::Monitor { event, value } => {
                    let at = conn.at.clone();
                    self.link.monitor.emit(event, value as u32 as u64, &at);
                }
                EngineEvent::ZapRequest(request) => self.zap_request(io, request),
                EngineEvent::Closed {
                    event, value, kind, ..
                } => {
                    if let ConnEngine::Zmtp(e) = &conn.engine {
                        if !e.farewell().is_empty() {
                            let _ = conn.stream.write(e.farewell());
                        }
                    }
                    // Whole messages that arrived before the error still reach the socket.
                    self.deliver_pending();
                    let detail = (event != 0).then_some((event, value));
                    self.connection_lost(io, detail, kind);
                    return false;
                }
            }
        }
    }

    /// The handshake asks the ZAP handler: the request goes down a pipe to it (made
    /// on first use), or the engine learns that no handler is bound.
    fn zap_request(&mut self, io: &mut Io<'_>, request: ZapRequest) {
        if self.zap.is_none() {
            let owner = self.owner.clone();
            self.zap = self.link.zap.as_ref().and_then(|z| z.connect_zap(owner));
            self.zap_parts.clear();
        }
        let Some(pipe) = self.zap.as_mut() else {
            if let Some(ConnEngine::Zmtp(e)) = self.conn().map(|c| &mut c.engine) {
                e.zap_unavailable(io.now);
            }
            return;
        };
        let n = request.len();
        for (i, frame) in request.into_iter().enumerate() {
            let mut part = Msg::from_slice(&frame);
            part.set_more(i + 1 < n);
            pipe.write(part);
        }
        // Looking now arms the wake-up for the reply.
        self.read_zap(io);
    }

    /// Reads the ZAP handler's reply; a whole one goes to the engine.
    fn read_zap(&mut self, io: &mut Io<'_>) {
        loop {
            let Some(pipe) = self.zap.as_mut() else {
                return;
            };
            let Some(part) = pipe.read() else {
                return;
            };
            let last = !part.more();
            // A reply longer than libzmq reads is malformed; keep one part too many
            // for the engine to see that, and no more.
            if self.zap_parts.len() <= 7 {
                self.zap_parts.push(part);
            }
            if !last {
                continue;
            }
            let parts = std::mem::take(&mut self.zap_parts);
            let Some(ConnEngine::Zmtp(engine)) = self.conn().map(|c| &mut c.engine) else {
                continue;
            };
            engine.zap_reply(&parts, io.now);
            if self.handle_engine_events(io) {
                self.flush(io);
            }
        }
    }

    /// After the handshake: make sure the connection has a pipe to the socket and that
    /// the socket learns the peer's routing id.
    fn handshake_done(&mut self, peer_routing_id: Vec<u8>) {
        let options = self.link.options.clone();
        let Wire::Live(conn) = &mut self.wire else {
            return;
        };
        if options.can_send_hello_msg && !options.hello_msg.is_empty() {
            // ZMQ_HELLO_MSG: the first message every new peer receives.
            conn.engine.send(&Msg::from_slice(&options.hello_msg));
        }
        if self.pipe.is_none() && self.closing.is_none() {
            let (mut theirs, pipe) = session_pipe(&options);
            let SessionPipe {
                end: mut ours,
                direct,
            } = pipe;
            self.direct = direct;
            ours.send_routing_id(&peer_routing_id);
            if self.notify_connect {
                ours.write(notice(&conn.notice_props));
            }
            ours.attach(self.owner.clone());
            if let Origin::Connect {
                route: Some(route), ..
            } = &self.origin
            {
                theirs.route = Some(route.clone());
            }
            self.identified = true;
            self.pipe = Some(ours);
            self.link.acceptor.accept_pipe(
                theirs,
                PeerInfo {
                    endpoint: Some(self.endpoint.clone()),
                    at: conn.at.clone(),
                },
            );
        } else if let Some(pipe) = self.pipe.as_mut() {
            if !self.identified {
                pipe.send_routing_id(&peer_routing_id);
                self.identified = true;
            } else if self.notify_connect {
                pipe.write(notice(&conn.notice_props));
            }
        }
        if let ConnEngine::Zmtp(engine) = &conn.engine {
            if let Some(framing) = engine.direct_framing() {
                match (conn.stream.transport(), conn.stream.layer()) {
                    // ws: whole messages wrapped as WebSocket frames, masked by a client.
                    (Transport::Ws, Some(l)) => {
                        let outbound = Outbound::new(l.role());
                        self.direct
                            .attach_ws(conn.stream.shared_fd(), framing, outbound);
                    }
                    // wss: TLS records are the I/O thread's alone.
                    (Transport::Wss, _) | (Transport::Ws, None) => {}
                    _ => self.direct.attach(conn.stream.shared_fd(), framing),
                }
            }
        }
    }

    /// Moves decoded parts into the pipe; true when nothing is left waiting.
    fn deliver_pending(&mut self) -> bool {
        let Wire::Live(conn) = &mut self.wire else {
            return false;
        };
        let inbox = conn.engine.inbox();
        let Some(pipe) = self.pipe.as_mut() else {
            if self.closing.is_some() {
                inbox.clear();
            }
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
    fn flush(&mut self, io: &mut Io<'_>) {
        loop {
            let Wire::Live(conn) = &mut self.wire else {
                return;
            };
            if conn.engine.is_ready() {
                while conn.engine.output_len() < WRITE_BATCH {
                    let msg = match self.pending_out.take() {
                        Some(m) => m,
                        None => {
                            let Some(pipe) = self.pipe.as_mut() else {
                                break;
                            };
                            let Some(m) = pipe.read() else {
                                break;
                            };
                            if self.skip_rest {
                                self.skip_rest = m.more();
                                continue;
                            }
                            m
                        }
                    };
                    if !conn.engine.send(&msg) {
                        self.pending_out = Some(msg);
                        break;
                    }
                    self.out_mid_message = msg.more();
                }
            }
            // Writes happen under the direct-write lock, so an application thread's
            // direct write never lands inside a frame.
            let mut st = self.direct.lock();
            let written = if !st.leftover.is_empty() {
                // What a direct write left unfinished goes before anything else.
                conn.stream.write_raw(&st.leftover).map(|n| {
                    st.leftover.drain(..n);
                })
            } else if conn.engine.output_len() == 0 && conn.stream.has_pending() {
                // A ws/wss layer still holds frames for the socket: no direct write
                // may go before them.
                self.direct.set_idle(&st, None);
                conn.stream.flush()
            } else if conn.engine.output_len() == 0 {
                // Everything read from the pipe is out: direct writes may follow.
                let pos = self.pipe.as_ref().map(PipeEnd::read_position);
                self.direct
                    .set_idle(&st, pos.filter(|_| self.pending_out.is_none()));
                break;
            } else {
                self.direct.set_idle(&st, None);
                let mut slices = [IoSlice::new(&[]); 16];
                let n = conn.engine.output_slices(&mut slices);
                conn.stream
                    .write_vectored(&slices[..n])
                    .map(|n| conn.engine.consume_output(n))
            };
            drop(st);
            match written {
                Ok(()) => {}
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => return,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => {
                    conn.engine
                        .connection_error(e.raw_os_error().unwrap_or(libc::EIO));
                    self.handle_engine_events(io);
                    return;
                }
            }
        }
        if self.closing.is_some() && self.nothing_left() {
            self.end(io);
        }
    }

    /// The connection ended: report it, then reconnect, or end the session.
    fn connection_lost(&mut self, io: &mut Io<'_>, detail: Option<(i32, i32)>, kind: CloseKind) {
        let Wire::Live(conn) = std::mem::replace(&mut self.wire, Wire::None) else {
            return;
        };
        // No direct write may reach the socket once it is closed.
        self.direct.detach();
        // A ZAP request of this connection is moot; the next one gets a new pipe.
        self.zap = None;
        self.zap_parts.clear();
        let fd = conn.stream.raw_fd();
        transport::deregister(io.registry, fd);
        if let Some((event, value)) = detail {
            self.link.monitor.emit(event, value as u32 as u64, &conn.at);
        }
        self.link
            .monitor
            .emit(ZMQ_EVENT_DISCONNECTED, fd as u64, &conn.at);
        drop(conn.stream);
        let connecting_side = matches!(self.origin, Origin::Connect { .. });
        let o = self.link.options.clone();
        if conn.handshaken {
            if let Some(p) = self.pipe.as_mut().filter(|p| !p.peer_gone) {
                if self.notify_disconnect {
                    p.write(notice(&conn.notice_props));
                }
                // ZMQ_DISCONNECT_MSG (accepted peers) / ZMQ_HICCUP_MSG (connected peers).
                if !connecting_side && o.can_recv_disconnect_msg && !o.disconnect_msg.is_empty() {
                    p.write(Msg::from_slice(&o.disconnect_msg));
                }
                if connecting_side && o.can_recv_hiccup_msg && !o.hiccup_msg.is_empty() {
                    p.write(Msg::from_slice(&o.hiccup_msg));
                }
            }
        }
        // A message the engine got only part of is dropped whole: its remaining
        // parts are skipped, and a next part already taken is discarded.
        if self.out_mid_message {
            self.out_mid_message = false;
            match self.pending_out.take() {
                Some(part) => self.skip_rest = part.more(),
                None => self.skip_rest = true,
            }
        }
        if !connecting_side {
            self.end(io);
            return;
        }
        let per_connection_pipe = o.immediate || o.raw_socket;
        if per_connection_pipe {
            if self.closing.is_some() || o.raw_socket {
                // STREAM connections are not re-established, as libzmq's raw sessions.
                self.end(io);
                return;
            }
            self.pipe = None;
            self.pending_out = None;
            self.skip_rest = false;
            self.identified = false;
        } else if matches!(o.socket_type, ZMQ_SUB | ZMQ_XSUB | ZMQ_DISH) {
            if let Some(p) = &self.pipe {
                // The socket re-sends its subscriptions to the next connection.
                p.hiccup();
            }
        }
        self.connection_ended(io, kind, !conn.handshaken);
    }
}

/// When a ws/wss upgrade must be done by (ZMQ_HANDSHAKE_IVL; 0: no limit).
fn upgrade_deadline(o: &crate::options::Options, now: Instant) -> Option<Instant> {
    (o.handshake_ivl > 0).then(|| now + Duration::from_millis(o.handshake_ivl as u64))
}

/// An empty notification message (a peer connected or disconnected).
fn notice(props: &Option<Properties>) -> Msg {
    let mut m = Msg::new();
    if let Some(p) = props {
        m.set_properties(p);
    }
    m
}

impl Drop for Session {
    fn drop(&mut self) {
        // Whatever way the session goes, no direct write outlives it.
        self.direct.detach();
    }
}
