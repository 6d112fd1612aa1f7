//! The socket core: options, pipes, endpoints and the blocking send/recv loop, with
//! one `Pattern` per socket type deciding where messages go and come from.

mod client_server;
mod dealer;
mod dgram;
mod handle;
mod mailbox;
pub(crate) mod monitor;
mod pair;
mod pipeline;
mod pubsub;
pub(crate) mod radio_dish;
mod reqrep;
mod router;
mod stream;

use std::sync::atomic::Ordering;
use std::sync::Arc;

use crossbeam_channel::Receiver;

use crate::abi::*;
use crate::ctx::{Binding, Ctx, InprocPeer, PendingConnect};
use crate::endpoint::{self, Transport};
use crate::error::{Errno, ZResult};
use crate::io::address::IpcAddr;
use crate::io::{Control, IoThread, SocketLink};
use crate::monitor::{Endpoints, MonitorSlot};
use crate::msg::Msg;
use crate::options::{self, Options};
use crate::pipe::{pipe_pair, HwmPart, PeerInfo, PipeEnd, PipeEvent, PipeId, Pipes};
use crate::signal::Signal;
pub(crate) use handle::{SocketHandle, SocketRef};
use mailbox::{Command, Mailbox};

/// The behaviour of one socket type.
pub trait Pattern: Send {
    /// A pipe was added to `pipes` (its routing id may not have arrived yet).
    fn attach(&mut self, pipes: &mut Pipes, id: PipeId);
    /// The pipe has messages again.
    fn read_activated(&mut self, pipes: &mut Pipes, id: PipeId);
    /// The pipe has room again.
    fn write_activated(&mut self, pipes: &mut Pipes, id: PipeId);
    /// The pipe was removed from `pipes`; `pipe` is its last state.
    fn terminated(&mut self, pipes: &mut Pipes, pipe: &PipeEnd);
    /// Sends one part, taking it from `msg` on success. EAGAIN when it cannot now.
    fn send(&mut self, _pipes: &mut Pipes, _msg: &mut Msg) -> ZResult<()> {
        Err(Errno::ENOTSUP)
    }
    /// Receives one part. EAGAIN when none is ready.
    fn recv(&mut self, _pipes: &mut Pipes) -> ZResult<Msg> {
        Err(Errno::ENOTSUP)
    }
    fn has_in(&mut self, _pipes: &mut Pipes) -> bool {
        false
    }
    fn has_out(&mut self, _pipes: &mut Pipes) -> bool {
        false
    }
    /// The connection behind the pipe was re-established (subscribers re-subscribe).
    fn hiccuped(&mut self, _pipes: &mut Pipes, _id: PipeId) {}
    /// Type-specific options; None when `option` is not one of them.
    fn set_option(
        &mut self,
        _pipes: &mut Pipes,
        _option: i32,
        _value: &[u8],
    ) -> Option<ZResult<()>> {
        None
    }
    fn get_option(&self, _option: i32, _out: &mut [u8]) -> Option<ZResult<usize>> {
        None
    }
    /// `zmq_join` (DISH); ENOTSUP for the others.
    fn join(&mut self, _pipes: &mut Pipes, _group: &[u8]) -> ZResult<()> {
        Err(Errno::ENOTSUP)
    }
    /// `zmq_leave` (DISH); ENOTSUP for the others.
    fn leave(&mut self, _pipes: &mut Pipes, _group: &[u8]) -> ZResult<()> {
        Err(Errno::ENOTSUP)
    }
    /// `zmq_socket_get_peer_state` (ROUTER): ZMQ_POLLOUT when the peer named
    /// `routing_id` can take a message now; EHOSTUNREACH for no such peer.
    fn peer_state(&mut self, _pipes: &mut Pipes, _routing_id: &[u8]) -> ZResult<i32> {
        Err(Errno::ENOTSUP)
    }
    /// The routing id given to the pipe attached last (SERVER and PEER).
    fn last_routing_id(&self) -> Option<u32> {
        None
    }
}

/// The socket types any number of threads may use at once (ZMQ_THREAD_SAFE), as in
/// libzmq: the draft types of single-part messages.
fn is_thread_safe(socket_type: i32) -> bool {
    matches!(
        socket_type,
        ZMQ_CLIENT
            | ZMQ_SERVER
            | ZMQ_RADIO
            | ZMQ_DISH
            | ZMQ_SCATTER
            | ZMQ_GATHER
            | ZMQ_PEER
            | ZMQ_CHANNEL
    )
}

/// Builds the pattern of a socket type; EINVAL for an unknown type.
fn make_pattern(socket_type: i32, options: &Options) -> ZResult<Box<dyn Pattern>> {
    Ok(match socket_type {
        ZMQ_PAIR => Box::new(pair::Pair::default()),
        ZMQ_PUSH => Box::new(pipeline::Push::default()),
        ZMQ_PULL => Box::new(pipeline::Pull::default()),
        ZMQ_DEALER => Box::new(dealer::Dealer::new(options)),
        ZMQ_ROUTER => Box::new(router::Router::new()),
        ZMQ_REQ => Box::new(reqrep::Req::new(options)),
        ZMQ_REP => Box::new(reqrep::Rep::default()),
        ZMQ_PUB | ZMQ_XPUB => Box::new(pubsub::XPub::new(socket_type)),
        ZMQ_SUB | ZMQ_XSUB => Box::new(pubsub::XSub::new(socket_type)),
        ZMQ_STREAM => Box::new(stream::Stream::new()),
        ZMQ_CLIENT => Box::new(client_server::Client::default()),
        ZMQ_SERVER | ZMQ_PEER => Box::new(client_server::Server::default()),
        ZMQ_RADIO => Box::new(radio_dish::Radio::default()),
        ZMQ_DISH => Box::new(radio_dish::Dish::default()),
        ZMQ_SCATTER => Box::new(pipeline::Push::scatter()),
        ZMQ_GATHER => Box::new(pipeline::Pull::gather()),
        ZMQ_CHANNEL => Box::new(pair::Pair::channel()),
        ZMQ_DGRAM => Box::new(dgram::Dgram::default()),
        _ => return Err(Errno::EINVAL),
    })
}

/// Everything a live socket owns; guarded by its handle's mutex. Aligned to two cache
/// lines (the unit the adjacent-line prefetcher moves), so two sockets used by
/// different threads never write to the same line: sockets made one after the other
/// are often a sender and its receiver.
#[repr(align(128))]
pub struct SocketCore {
    pub id: u64,
    pub socket_type: i32,
    pub options: Options,
    pub pipes: Pipes,
    pattern: Box<dyn Pattern>,
    commands: Receiver<Command>,
    mailbox: Arc<Mailbox>,
    signal: Arc<Signal>,
    ctx: Arc<Ctx>,
    rcvmore: bool,
    /// This socket has seen its context terminate (libzmq's `_ctx_terminated`): from
    /// then on options answer ETERM too, as they do in libzmq.
    ctx_terminated: bool,
    bound: Vec<String>,
    connected: Vec<String>,
    last_endpoint: String,
    monitor: MonitorSlot,
    /// tcp and ipc endpoints, for unbind/disconnect.
    net_endpoints: Vec<NetEndpoint>,
    /// zmq_disconnect was called (ZMQ_RECONNECT_STOP_AFTER_DISCONNECT).
    disconnected: Arc<std::sync::atomic::AtomicBool>,
}

/// A bound or connected network endpoint and the I/O thread serving it.
struct NetEndpoint {
    /// As resolved (the wildcard port filled in), for ZMQ_LAST_ENDPOINT.
    resolved: String,
    id: u64,
    io: Arc<IoThread>,
    bound: bool,
}

static NEXT_ENDPOINT_ID: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(1);

impl SocketCore {
    fn new(ctx: Arc<Ctx>, socket_type: i32) -> ZResult<SocketCore> {
        let ctx_opts = ctx.options();
        let options = Options::for_context(socket_type, ctx_opts.ipv6, ctx_opts.blocky);
        let pattern = make_pattern(socket_type, &options)?;
        let signal = Arc::new(Signal::new());
        let id = ctx.register_socket(signal.clone())?;
        let (mailbox, commands) = Mailbox::new(signal.clone());
        Ok(SocketCore {
            id,
            socket_type,
            options,
            pipes: Pipes::default(),
            pattern,
            commands,
            mailbox,
            signal,
            ctx,
            rcvmore: false,
            ctx_terminated: false,
            bound: Vec::new(),
            connected: Vec::new(),
            last_endpoint: String::new(),
            monitor: MonitorSlot::default(),
            net_endpoints: Vec::new(),
            disconnected: Arc::default(),
        })
    }

    /// ETERM once the context terminates; what libzmq checks after processing its
    /// commands (send, recv, bind, connect, `ZMQ_EVENTS`...).
    fn check_alive(&mut self) -> ZResult<()> {
        if self.ctx_terminated || self.ctx.is_terminating() {
            self.ctx_terminated = true;
            return Err(Errno::ETERM);
        }
        Ok(())
    }

    /// ETERM once this socket has seen its context terminate: options stay usable
    /// after `zmq_ctx_shutdown` until then (so a program can still set ZMQ_LINGER),
    /// as in libzmq.
    fn check_term_seen(&self) -> ZResult<()> {
        if self.ctx_terminated {
            return Err(Errno::ETERM);
        }
        Ok(())
    }

    /// Handles everything peers and the context sent since the last call.
    pub fn process_commands(&mut self) {
        self.signal.clear_fd();
        if !self.signal.take_commands() {
            return;
        }
        while let Ok(cmd) = self.commands.try_recv() {
            match cmd {
                Command::Pipe(PipeEvent::ReadActivated(id)) => {
                    if self.pipes.get(id).is_some() {
                        self.pattern.read_activated(&mut self.pipes, id);
                    }
                }
                Command::Pipe(PipeEvent::WriteActivated(id)) => {
                    if let Some(p) = self.pipes.get_mut(id) {
                        p.refresh_hwm();
                        self.pattern.write_activated(&mut self.pipes, id);
                    }
                }
                Command::Pipe(PipeEvent::Hiccup(id)) => {
                    if self.pipes.get(id).is_some() {
                        self.pattern.hiccuped(&mut self.pipes, id);
                    }
                }
                Command::Attach(attach) => {
                    let (pipe, info) = *attach;
                    self.attach_remote(pipe, info)
                }
                Command::Pipe(PipeEvent::Terminated(id)) => {
                    if let Some(p) = self.pipes.get_mut(id) {
                        p.peer_gone = true;
                        if p.is_finished() {
                            self.pipes.mark_finished(id);
                        } else {
                            self.pattern.read_activated(&mut self.pipes, id);
                        }
                    }
                }
            }
        }
        self.reap();
    }

    /// Removes pipes found finished.
    fn reap(&mut self) {
        while let Some(id) = self.pipes.finished.pop() {
            if let Some(pipe) = self.pipes.remove(id) {
                self.pattern.terminated(&mut self.pipes, &pipe);
            }
        }
    }

    fn terminate_pipe(&mut self, id: PipeId) {
        if let Some(pipe) = self.pipes.remove(id) {
            self.pattern.terminated(&mut self.pipes, &pipe);
        }
    }

    fn inproc_peer(&self) -> InprocPeer {
        InprocPeer {
            socket_id: self.id,
            sndhwm: self.options.sndhwm,
            rcvhwm: self.options.rcvhwm,
            conflate: self.options.effective_conflate(),
            routing_id: self.options.routing_id.clone(),
            hello_msg: self.hello_msg(),
            disconnect_msg: if self.options.can_recv_disconnect_msg {
                self.options.disconnect_msg.clone()
            } else {
                Vec::new()
            },
        }
    }

    /// ZMQ_HELLO_MSG, when this socket type sends one (empty: none).
    fn hello_msg(&self) -> Vec<u8> {
        let o = &self.options;
        if o.can_send_hello_msg {
            o.hello_msg.clone()
        } else {
            Vec::new()
        }
    }

    /// Adds a pipe end of ours to the socket.
    fn attach_pipe(&mut self, mut pipe: PipeEnd, endpoint: Option<String>, at: Endpoints) {
        pipe.attach(self.mailbox.clone());
        // A connecting peer's CONFLATE may already apply (see `connect`).
        pipe.conflate |= self.options.effective_conflate();
        pipe.endpoint = endpoint;
        pipe.addresses = at;
        let id = pipe.id;
        self.pipes.insert(pipe);
        self.pattern.attach(&mut self.pipes, id);
    }

    /// A connecting peer built a pipe to us.
    fn attach_remote(&mut self, mut pipe: PipeEnd, info: PeerInfo) {
        pipe.send_routing_id(&self.options.routing_id);
        self.attach_pipe(pipe, info.endpoint, info.at);
    }

    fn attach_pending(&mut self, pending: PendingConnect, endpoint: &str) {
        let me = self.inproc_peer();
        let mut pipe = pending.pipe;
        pipe.announce_hwms(hwm_part(&me), Some(hwm_part(&pending.connecter)));
        if !me.disconnect_msg.is_empty() {
            pipe.set_peer_farewell(&me.disconnect_msg);
        }
        pipe.send_routing_id(&me.routing_id);
        if !me.hello_msg.is_empty() {
            pipe.write(Msg::from_slice(&me.hello_msg));
        }
        self.attach_remote(
            pipe,
            PeerInfo {
                endpoint: Some(endpoint.to_string()),
                at: Endpoints::bound(endpoint),
            },
        );
    }

    /// ENOCOMPATPROTO when the transport cannot carry this socket type, as libzmq
    /// checks before anything else (udp is only for RADIO, DISH and DGRAM). DGRAM's
    /// two-part datagrams have no meaning on a byte stream: it takes udp and inproc
    /// only (libzmq would run raw bytes over tcp).
    fn check_compatible(&self, transport: Transport) -> ZResult<()> {
        let udp_type = matches!(self.socket_type, ZMQ_RADIO | ZMQ_DISH | ZMQ_DGRAM);
        if transport == Transport::Udp && !udp_type {
            return Err(Errno::ENOCOMPATPROTO);
        }
        if self.socket_type == ZMQ_DGRAM
            && matches!(
                transport,
                Transport::Tcp | Transport::Ipc | Transport::Ws | Transport::Wss
            )
        {
            return Err(Errno::ENOCOMPATPROTO);
        }
        // ZWS carries ZMTP; STREAM's raw bytes have no place in it.
        if matches!(transport, Transport::Ws | Transport::Wss) && self.options.raw_socket {
            return Err(Errno::ENOCOMPATPROTO);
        }
        Ok(())
    }

    /// `zmq_join` and `zmq_leave`.
    pub fn join(&mut self, group: &[u8], join: bool) -> ZResult<()> {
        self.check_alive()?;
        self.process_commands();
        if join {
            self.pattern.join(&mut self.pipes, group)
        } else {
            self.pattern.leave(&mut self.pipes, group)
        }
    }

    /// `zmq_connect_peer`: connects, and gives the routing id of the new peer.
    pub fn connect_peer(&mut self, addr: &str) -> ZResult<u32> {
        if self.socket_type != ZMQ_PEER {
            return Err(Errno::ENOTSUP);
        }
        // Without a pipe made at connect time there is no routing id to give.
        if self.options.immediate {
            return Err(Errno::EFAULT);
        }
        self.connect(addr)?;
        self.pattern.last_routing_id().ok_or(Errno::EFAULT)
    }

    /// `zmq_socket_get_peer_state`.
    pub fn peer_state(&mut self, routing_id: &[u8]) -> ZResult<i32> {
        self.pattern.peer_state(&mut self.pipes, routing_id)
    }

    pub fn bind(&mut self, addr: &str) -> ZResult<()> {
        self.check_alive()?;
        let (transport, name) = endpoint::parse(addr)?;
        self.check_compatible(transport)?;
        match transport {
            Transport::Inproc => {
                let binding = Binding {
                    peer: self.inproc_peer(),
                    acceptor: self.mailbox.clone(),
                };
                let pending = self.ctx.bind_inproc(name, binding)?;
                for p in pending {
                    self.attach_pending(p, addr);
                }
                self.bound.push(addr.to_string());
                self.last_endpoint = addr.to_string();
                Ok(())
            }
            Transport::Tcp | Transport::Ipc => self.bind_net(transport, addr, name),
            Transport::Udp => self.open_udp(addr, name, true),
            Transport::Ws | Transport::Wss => self.bind_ws(transport == Transport::Wss, addr, name),
            _ => Err(Errno::EPROTONOSUPPORT),
        }
    }

    /// A udp endpoint: DISH and DGRAM bind, RADIO connects (ENOCOMPATPROTO for the
    /// other ways round, as libzmq). The datagram socket is made here, so an address
    /// that cannot be used fails the call.
    fn open_udp(&mut self, addr: &str, name: &str, bind: bool) -> ZResult<()> {
        use crate::io::udp::{self, Role};
        let role = match (self.socket_type, bind) {
            (ZMQ_DISH, true) => Role::Receive,
            (ZMQ_DGRAM, true) => Role::Raw,
            (ZMQ_RADIO, false) => Role::Send,
            _ => return Err(Errno::ENOCOMPATPROTO),
        };
        let socket = udp::open(name, role, &self.options)?;
        let io = self.ctx.io_thread(self.options.affinity)?;
        let (ours, theirs) = udp::udp_pipe(&self.options);
        let at = if bind {
            Endpoints::bound(addr)
        } else {
            Endpoints::connecting(addr)
        };
        self.attach_pipe(ours, Some(addr.to_string()), at);
        let endpoint_id = NEXT_ENDPOINT_ID.fetch_add(1, Ordering::Relaxed);
        io.send(Control::Udp {
            endpoint_id,
            socket,
            pipe: theirs,
            link: self.link(),
        });
        self.net_endpoints.push(NetEndpoint {
            resolved: addr.to_string(),
            id: endpoint_id,
            io,
            bound: bind,
        });
        // As libzmq: ZMQ_LAST_ENDPOINT of a udp endpoint is its address alone, without
        // the "udp://" (it is still unbound or disconnected by the whole endpoint).
        self.last_endpoint = name.to_string();
        // ZMQ_FD turns readable, as after libzmq's command announcing the new session.
        self.signal.notify();
        Ok(())
    }

    /// A ws/wss bind: a new listener, or a path on a port this context already
    /// listens on.
    fn bind_ws(&mut self, secure: bool, addr: &str, name: &str) -> ZResult<()> {
        let io = self.ctx.io_thread(self.options.affinity)?;
        let endpoint_id = NEXT_ENDPOINT_ID.fetch_add(1, Ordering::Relaxed);
        let bound = match self
            .ctx
            .ws_ports()
            .bind(secure, name, self.link(), endpoint_id, io)
        {
            Ok(b) => b,
            Err(e) => {
                self.monitor
                    .emit(ZMQ_EVENT_BIND_FAILED, e.0 as u64, &Endpoints::bound(addr));
                return Err(e);
            }
        };
        self.monitor.emit(
            ZMQ_EVENT_LISTENING,
            bound.fd as u64,
            &Endpoints::bound(&bound.endpoint),
        );
        self.net_endpoints.push(NetEndpoint {
            resolved: bound.endpoint.clone(),
            id: endpoint_id,
            io: bound.io,
            bound: true,
        });
        self.last_endpoint = bound.endpoint;
        self.signal.notify();
        Ok(())
    }

    /// What the I/O threads need to serve this socket (options as they are now).
    fn link(&self) -> SocketLink {
        SocketLink {
            socket_id: self.id,
            acceptor: self.mailbox.clone(),
            options: Arc::new(self.options.clone()),
            monitor: self.monitor.clone(),
            disconnected: self.disconnected.clone(),
            zap: Some(self.ctx.zap_connector()),
        }
    }

    fn bind_net(&mut self, transport: Transport, addr: &str, name: &str) -> ZResult<()> {
        let transport = net_transport(transport);
        let listening = match crate::io::listen(transport, name, &self.options) {
            Ok(l) => l,
            Err(e) => {
                self.monitor
                    .emit(ZMQ_EVENT_BIND_FAILED, e.0 as u64, &Endpoints::bound(addr));
                return Err(e);
            }
        };
        let io = self.ctx.io_thread(self.options.affinity)?;
        let endpoint_id = NEXT_ENDPOINT_ID.fetch_add(1, Ordering::Relaxed);
        let resolved = listening.endpoint.clone();
        let fd = listening.raw_fd();
        io.send(Control::Listen {
            endpoint_id,
            listening,
            link: self.link(),
        });
        self.monitor
            .emit(ZMQ_EVENT_LISTENING, fd as u64, &Endpoints::bound(&resolved));
        self.net_endpoints.push(NetEndpoint {
            resolved: resolved.clone(),
            id: endpoint_id,
            io,
            bound: true,
        });
        self.last_endpoint = resolved;
        // As in libzmq, where a new endpoint is a child object announced to its socket
        // by a command: ZMQ_FD turns readable (programs such as czmq's zpoller see it).
        self.signal.notify();
        Ok(())
    }

    fn connect_net(&mut self, transport: Transport, addr: &str, name: &str) -> ZResult<()> {
        let ws = match transport {
            Transport::Ws | Transport::Wss => Some(Arc::new(crate::io::WsConnect::new(
                transport == Transport::Wss,
                name,
                &self.options,
            )?)),
            _ => None,
        };
        let transport = net_transport(transport);
        if transport == crate::io::Transport::Ipc {
            IpcAddr::parse(name)?;
        }
        let io = self.ctx.io_thread(self.options.affinity)?;
        let link = self.link();
        // STREAM gets a new pipe (and routing id) per connection, as with IMMEDIATE.
        let pipe = if self.options.immediate || self.options.raw_socket {
            None
        } else {
            let (mut ours, theirs) = crate::io::session_pipe(&self.options);
            ours.send_routing_id(&self.options.routing_id);
            if !self.options.connect_routing_id.is_empty() {
                ours.route = Some(self.options.connect_routing_id.clone());
            }
            self.attach_pipe(ours, Some(addr.to_string()), Endpoints::connecting(addr));
            Some(theirs)
        };
        // ZMQ_CONNECT_ROUTING_ID names one connect only.
        self.options.connect_routing_id.clear();
        let endpoint_id = NEXT_ENDPOINT_ID.fetch_add(1, Ordering::Relaxed);
        io.send(Control::Connect {
            endpoint_id,
            endpoint: addr.to_string(),
            target: crate::io::Target {
                transport,
                address: name.to_string(),
                ws,
            },
            pipe,
            link,
        });
        self.net_endpoints.push(NetEndpoint {
            resolved: addr.to_string(),
            id: endpoint_id,
            io,
            bound: false,
        });
        self.last_endpoint = addr.to_string();
        // ZMQ_FD turns readable, as after libzmq's command announcing the new session.
        self.signal.notify();
        Ok(())
    }

    /// Stops a network endpoint by its resolved name.
    fn stop_net(&mut self, addr: &str, bound: bool) -> ZResult<()> {
        let pos = self
            .net_endpoints
            .iter()
            // As libzmq: a bound endpoint is named by its resolved form only (the
            // wildcard spelling it was bound with is not an endpoint of the socket).
            .position(|e| e.bound == bound && e.resolved == addr)
            .ok_or(Errno::ENOENT)?;
        let e = self.net_endpoints.remove(pos);
        if !bound {
            self.disconnected
                .store(true, std::sync::atomic::Ordering::Relaxed);
        }
        e.io.send(Control::StopEndpoint {
            socket_id: self.id,
            endpoint_id: e.id,
            linger: self.options.linger,
        });
        for id in self.pipes_of(&e.resolved) {
            self.terminate_pipe(id);
        }
        Ok(())
    }

    pub fn connect(&mut self, addr: &str) -> ZResult<()> {
        self.check_alive()?;
        let (transport, name) = endpoint::parse_connect(addr)?;
        self.check_compatible(transport)?;
        match transport {
            Transport::Inproc => {
                let me = self.inproc_peer();
                let routing_id = self.options.routing_id.clone();
                let mut mine = None;
                let bound = self.ctx.connect_inproc(name, me.clone(), |binder| {
                    let (out, inbound) = match binder {
                        Some(b) => (pipe_hwm(&me, b), pipe_hwm(b, &me)),
                        None => (if me.conflate { 0 } else { me.sndhwm as u64 }, 0),
                    };
                    let (mut ours, mut theirs) = pipe_pair([out, inbound]);
                    ours.announce_hwms(hwm_part(&me), binder.map(hwm_part));
                    // As libzmq, the connecting socket's CONFLATE applies to both
                    // directions of an inproc pipe.
                    theirs.conflate = me.conflate;
                    ours.send_routing_id(&routing_id);
                    if !me.hello_msg.is_empty() {
                        ours.write(Msg::from_slice(&me.hello_msg));
                    }
                    // What the binder sends first, written on its behalf as libzmq
                    // does, so it arrives whether or not the binder is busy; and the
                    // binder's ZMQ_DISCONNECT_MSG, which our end writes when it goes.
                    if let Some(b) = binder {
                        if !b.disconnect_msg.is_empty() {
                            theirs.set_peer_farewell(&b.disconnect_msg);
                        }
                        theirs.send_routing_id(&b.routing_id);
                        if !b.hello_msg.is_empty() {
                            theirs.write(Msg::from_slice(&b.hello_msg));
                        }
                    }
                    mine = Some(ours);
                    theirs
                });
                let Some(mut ours) = mine else {
                    return Err(Errno::EFAULT);
                };
                if !self.options.connect_routing_id.is_empty() {
                    ours.route = Some(std::mem::take(&mut self.options.connect_routing_id));
                }
                let peer_id = ours.peer_id();
                self.attach_pipe(ours, Some(addr.to_string()), Endpoints::connecting(addr));
                if let Some((acceptor, theirs)) = bound {
                    debug_assert_eq!(theirs.id, peer_id);
                    acceptor.accept_pipe(
                        theirs,
                        PeerInfo {
                            endpoint: Some(addr.to_string()),
                            at: Endpoints::bound(addr),
                        },
                    );
                }
                self.connected.push(addr.to_string());
                self.last_endpoint = addr.to_string();
                Ok(())
            }
            Transport::Tcp | Transport::Ipc | Transport::Ws | Transport::Wss => {
                self.connect_net(transport, addr, name)
            }
            Transport::Udp => self.open_udp(addr, name, false),
            _ => Err(Errno::EPROTONOSUPPORT),
        }
    }

    fn pipes_of(&self, addr: &str) -> Vec<PipeId> {
        let mut ids = Vec::new();
        for id in self.pipes.ids() {
            if self.pipes.get(id).and_then(|p| p.endpoint.as_deref()) == Some(addr) {
                ids.push(id);
            }
        }
        ids
    }

    pub fn unbind(&mut self, addr: &str) -> ZResult<()> {
        self.check_alive()?;
        let (transport, name) = endpoint::parse(addr)?;
        if transport != Transport::Inproc {
            return self.stop_net(addr, true);
        }
        self.ctx.unbind_inproc(name, self.id)?;
        self.bound.retain(|b| b != addr);
        self.process_commands();
        for id in self.pipes_of(addr) {
            self.terminate_pipe(id);
        }
        Ok(())
    }

    pub fn disconnect(&mut self, addr: &str) -> ZResult<()> {
        self.check_alive()?;
        let (transport, name) = endpoint::parse(addr)?;
        if transport != Transport::Inproc {
            return self.stop_net(addr, false);
        }
        if !self.connected.iter().any(|c| c == addr) {
            return Err(Errno::ENOENT);
        }
        self.connected.retain(|c| c != addr);
        self.ctx.cancel_pending(name, self.id);
        for id in self.pipes_of(addr) {
            self.terminate_pipe(id);
        }
        Ok(())
    }

    /// One attempt to send a part.
    #[inline]
    pub fn try_send(&mut self, msg: &mut Msg) -> ZResult<()> {
        let r = self.pattern.send(&mut self.pipes, msg);
        if !self.pipes.finished.is_empty() {
            self.reap();
        }
        r
    }

    /// One attempt to receive a part; `blocking` lets it poll an empty pipe briefly.
    #[inline]
    pub fn try_recv(&mut self, blocking: bool) -> ZResult<Msg> {
        self.pipes.read_spins = if blocking { READ_SPINS } else { 0 };
        let r = self.pattern.recv(&mut self.pipes);
        self.pipes.read_spins = 0;
        if !self.pipes.finished.is_empty() {
            self.reap();
        }
        let msg = r?;
        self.rcvmore = msg.more();
        Ok(msg)
    }

    /// ZMQ_POLLIN / ZMQ_POLLOUT readiness now.
    pub fn events(&mut self) -> i32 {
        self.process_commands();
        let mut ev = 0;
        if self.pattern.has_in(&mut self.pipes) {
            ev |= ZMQ_POLLIN;
        }
        if self.pattern.has_out(&mut self.pipes) {
            ev |= ZMQ_POLLOUT;
        }
        if !self.pipes.finished.is_empty() {
            self.reap();
        }
        ev
    }

    pub fn ctx_terminating(&mut self) -> bool {
        self.check_alive().is_err()
    }

    pub fn signal(&self) -> &Arc<Signal> {
        &self.signal
    }

    /// `zmq_setsockopt`; `value` is None for a NULL pointer with length 0.
    pub fn set_option(&mut self, option: i32, value: Option<&[u8]>) -> ZResult<()> {
        self.check_term_seen()?;
        if !options::option_available(option) {
            return Err(Errno::EINVAL);
        }
        if let Some(r) = self
            .pattern
            .set_option(&mut self.pipes, option, value.unwrap_or(&[]))
        {
            if r.is_ok() && option == ZMQ_STREAM_NOTIFY {
                // The I/O threads read it from the options snapshot.
                self.options.raw_notify = options::bool_value(value.unwrap_or(&[]))?;
            }
            return r;
        }
        self.options.set_optval(option, value)?;
        if option == ZMQ_SNDHWM || option == ZMQ_RCVHWM {
            // As libzmq 4.3.5: the new mark reaches the pipes that already exist.
            let mine = hwm_part(&self.inproc_peer());
            for pipe in self.pipes.iter_mut() {
                pipe.announce_hwms(mine, None);
            }
        }
        Ok(())
    }

    pub fn get_option(&mut self, option: i32, out: &mut [u8]) -> ZResult<usize> {
        self.check_term_seen()?;
        if !options::option_available(option) {
            return Err(Errno::EINVAL);
        }
        match option {
            ZMQ_TYPE => options::put_int(out, self.socket_type),
            ZMQ_RCVMORE => options::put_int_relaxed(out, self.rcvmore as i32),
            ZMQ_EVENTS => {
                self.check_alive()?;
                let ev = self.events();
                options::put_int_relaxed(out, ev)
            }
            ZMQ_FD => {
                // As libzmq: a thread-safe socket has no descriptor (its readiness
                // cannot follow one edge per owner); zmq_poller serves it.
                if is_thread_safe(self.socket_type) {
                    return Err(Errno::EINVAL);
                }
                let fd = self.signal.fd()?;
                options::put_int_relaxed(out, fd)
            }
            ZMQ_THREAD_SAFE => {
                options::put_int_relaxed(out, is_thread_safe(self.socket_type) as i32)
            }
            ZMQ_LAST_ENDPOINT => {
                let bytes = self.last_endpoint.as_bytes();
                if out.len() < bytes.len() + 1 {
                    return Err(Errno::EINVAL);
                }
                out[..bytes.len()].copy_from_slice(bytes);
                out[bytes.len()] = 0;
                Ok(bytes.len() + 1)
            }
            _ => match self.pattern.get_option(option, out) {
                Some(r) => r,
                None => self.options.get(option, out),
            },
        }
    }

    /// Closes the socket: forgets its endpoints and terminates its pipes (peers still
    /// read what was sent).
    /// `zmq_socket_monitor_versioned`: starts (or, with no endpoint, stops) monitoring.
    pub fn monitor(
        &mut self,
        addr: Option<&str>,
        events: u64,
        version: i32,
        socket_type: i32,
    ) -> ZResult<()> {
        self.check_alive()?;
        if version == 1 && events >> 16 != 0 {
            return Err(Errno::EINVAL);
        }
        let Some(addr) = addr else {
            if let Some(m) = self.monitor.replace(None) {
                m.stop(true);
            }
            return Ok(());
        };
        endpoint::parse(addr)?;
        if let Some(m) = self.monitor.replace(None) {
            m.stop(true);
        }
        let m = monitor::Monitor::start(self.ctx.clone(), addr, events, version, socket_type)?;
        self.monitor.replace(Some(Box::new(m)));
        Ok(())
    }

    /// `zmq_socket_monitor_pipes_stats`: one ZMQ_EVENT_PIPES_STATS event per pipe,
    /// with its outbound and inbound queue sizes. EINVAL unless that event is
    /// monitored, EAGAIN without pipes, as libzmq.
    #[cfg(zmq_draft_api)]
    pub fn pipes_stats(&mut self) -> ZResult<()> {
        self.check_alive()?;
        if !self.monitor.wants(ZMQ_EVENT_PIPES_STATS) {
            return Err(Errno::EINVAL);
        }
        self.process_commands();
        if self.pipes.is_empty() {
            return Err(Errno::EAGAIN);
        }
        for p in self.pipes.iter_mut() {
            let (outbound, inbound) = p.queue_sizes();
            self.monitor
                .emit_values(ZMQ_EVENT_PIPES_STATS, &[outbound, inbound], &p.addresses);
        }
        Ok(())
    }

    fn close(mut self) {
        self.mailbox.close();
        let mut told = Vec::new();
        for e in self.net_endpoints.drain(..) {
            if !told.iter().any(|io: &Arc<IoThread>| Arc::ptr_eq(io, &e.io)) {
                e.io.send(Control::SocketClosed {
                    socket_id: self.id,
                    linger: self.options.linger,
                });
                told.push(e.io);
            }
        }
        // The monitor stops once the endpoints' last events are out (`MonitorSlot`).
        self.ctx.unregister_socket(self.id);
        for id in self.pipes.ids() {
            self.terminate_pipe(id);
        }
    }
}

/// The I/O layer's name of a network transport the endpoint parser accepted.
fn net_transport(t: Transport) -> crate::io::Transport {
    match t {
        Transport::Ipc => crate::io::Transport::Ipc,
        Transport::Ws => crate::io::Transport::Ws,
        Transport::Wss => crate::io::Transport::Wss,
        _ => crate::io::Transport::Tcp,
    }
}

/// The high-water marks a socket announces to its pipes.
fn hwm_part(peer: &InprocPeer) -> HwmPart {
    HwmPart {
        sndhwm: peer.sndhwm,
        rcvhwm: peer.rcvhwm,
        conflate: peer.conflate,
    }
}

/// Capacity of the pipe direction `from` -> `to`: sender's SNDHWM plus receiver's
/// RCVHWM, unlimited if either is 0 (or either side conflates).
fn pipe_hwm(from: &InprocPeer, to: &InprocPeer) -> u64 {
    if from.conflate || to.conflate || from.sndhwm == 0 || to.rcvhwm == 0 {
        0
    } else {
        from.sndhwm as u64 + to.rcvhwm as u64
    }
}

/// Polls of an empty pipe a blocking receive makes before it sleeps (about a microsecond).
const READ_SPINS: u32 = 256;
