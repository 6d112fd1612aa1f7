//! The context: socket registry, inproc endpoint registry, context options and
//! termination (`zmq_ctx_term` waits until every socket is closed; blocked calls in
//! other threads return ETERM).

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Weak};

use parking_lot::Mutex;

use crate::abi::*;
use crate::error::{Errno, ZResult};
use crate::io::{IoThread, ZapConnector};
use crate::pipe::{pipe_pair, PeerInfo, PipeAcceptor, PipeEnd, PipeOwner};
use crate::signal::{Signal, Wake};

/// What an inproc peer needs to know about a socket to build a pipe to it.
#[derive(Clone, Debug)]
pub struct InprocPeer {
    pub socket_id: u64,
    pub sndhwm: i32,
    pub rcvhwm: i32,
    pub conflate: bool,
    /// What a connecting peer writes on the socket's behalf, as libzmq does: its
    /// routing id and its ZMQ_HELLO_MSG (empty: none).
    pub routing_id: Vec<u8>,
    pub hello_msg: Vec<u8>,
    /// What the socket receives when a peer connected to it goes (its
    /// ZMQ_DISCONNECT_MSG, when its type takes one; empty: none).
    pub disconnect_msg: Vec<u8>,
}

/// A bound inproc endpoint.
pub struct Binding {
    pub peer: InprocPeer,
    /// The binding socket, which takes the pipes of connecting peers.
    pub acceptor: Arc<dyn PipeAcceptor>,
}

/// A connection made before its endpoint was bound: the binder attaches `pipe` later.
pub struct PendingConnect {
    pub connecter: InprocPeer,
    pub pipe: PipeEnd,
}

/// Context options (`zmq_ctx_set` / `zmq_ctx_get`).
#[derive(Clone, Debug)]
pub struct CtxOptions {
    pub io_threads: i32,
    pub max_sockets: i32,
    pub ipv6: bool,
    pub blocky: bool,
    pub max_msgsz: i32,
    pub zero_copy_recv: bool,
    pub thread_priority: i32,
    pub thread_sched_policy: i32,
    pub thread_affinity: Vec<i32>,
    pub thread_name_prefix: String,
}

impl Default for CtxOptions {
    fn default() -> Self {
        CtxOptions {
            io_threads: ZMQ_IO_THREADS_DFLT,
            max_sockets: ZMQ_MAX_SOCKETS_DFLT,
            ipv6: false,
            blocky: true,
            max_msgsz: i32::MAX,
            zero_copy_recv: true,
            thread_priority: ZMQ_THREAD_PRIORITY_DFLT,
            thread_sched_policy: ZMQ_THREAD_SCHED_POLICY_DFLT,
            thread_affinity: Vec::new(),
            thread_name_prefix: String::new(),
        }
    }
}

/// Most sockets a context can ever hold (`ZMQ_SOCKET_LIMIT`).
pub const SOCKET_LIMIT: i32 = 65535;

struct State {
    sockets: HashMap<u64, Arc<Signal>>,
    inproc: HashMap<String, Binding>,
    pending: HashMap<String, Vec<PendingConnect>>,
}

/// A context, shared by its handle and its sockets.
pub struct Ctx {
    state: Mutex<State>,
    /// Notified when the last socket closes (an interruptible sleep: `terminate`
    /// returns EINTR when a signal handler runs, as libzmq's does).
    all_closed: Signal,
    terminating: AtomicBool,
    options: Mutex<CtxOptions>,
    next_socket_id: AtomicU64,
    /// Started on first use by a tcp or ipc endpoint.
    io_threads: Mutex<Vec<Arc<IoThread>>>,
    next_io: AtomicU64,
    /// The ws and wss ports the context's sockets listen on (paths share them).
    ws_ports: crate::io::WsPorts,
    /// The process that made the context: a child forked from it must leave the
    /// parent's threads and descriptors alone.
    pid: u32,
}

impl Ctx {
    pub fn new() -> Arc<Ctx> {
        Arc::new(Ctx {
            state: Mutex::new(State {
                sockets: HashMap::new(),
                inproc: HashMap::new(),
                pending: HashMap::new(),
            }),
            all_closed: Signal::new(),
            terminating: AtomicBool::new(false),
            options: Mutex::new(CtxOptions::default()),
            next_socket_id: AtomicU64::new(1),
            io_threads: Mutex::new(Vec::new()),
            next_io: AtomicU64::new(0),
            ws_ports: crate::io::WsPorts::default(),
            pid: std::process::id(),
        })
    }

    /// True in a child process forked after the context was made: its I/O threads
    /// are not there, and its descriptors are shared with the parent, which still
    /// uses them.
    pub fn forked(&self) -> bool {
        std::process::id() != self.pid
    }

    #[inline]
    pub fn is_terminating(&self) -> bool {
        self.terminating.load(Ordering::Acquire)
    }

    pub fn options(&self) -> CtxOptions {
        self.options.lock().clone()
    }

    /// Registers a new socket; EMFILE past MAX_SOCKETS, ETERM once terminating.
    pub fn register_socket(&self, signal: Arc<Signal>) -> ZResult<u64> {
        let max = self.options.lock().max_sockets;
        let mut st = self.state.lock();
        if self.is_terminating() {
            return Err(Errno::ETERM);
        }
        if st.sockets.len() >= max as usize {
            return Err(Errno::EMFILE);
        }
        let id = self.next_socket_id.fetch_add(1, Ordering::Relaxed);
        st.sockets.insert(id, signal);
        Ok(id)
    }

    /// Forgets a closed socket and its bindings. Its connections to names not bound
    /// yet stay: what it sent is delivered when the name is bound, as in libzmq.
    pub fn unregister_socket(&self, id: u64) {
        let mut st = self.state.lock();
        st.sockets.remove(&id);
        st.inproc.retain(|_, b| b.peer.socket_id != id);
        if st.sockets.is_empty() {
            self.all_closed.notify();
        }
    }

    /// Binds an inproc name; returns the connections that were waiting for it.
    pub fn bind_inproc(&self, name: &str, binding: Binding) -> ZResult<Vec<PendingConnect>> {
        let mut st = self.state.lock();
        if st.inproc.contains_key(name) {
            return Err(Errno::EADDRINUSE);
        }
        st.inproc.insert(name.to_string(), binding);
        Ok(st.pending.remove(name).unwrap_or_default())
    }

    /// Removes an inproc binding owned by `socket_id`.
    pub fn unbind_inproc(&self, name: &str, socket_id: u64) -> ZResult<()> {
        let mut st = self.state.lock();
        match st.inproc.get(name) {
            Some(b) if b.peer.socket_id == socket_id => {
                st.inproc.remove(name);
                Ok(())
            }
            _ => Err(Errno::ENOENT),
        }
    }

    /// Connects to an inproc name: `make_pipe` builds the pipe given the binder (if
    /// bound). Returns the binder and the binder's end when bound; otherwise the
    /// binder's end is parked until the name is bound.
    pub fn connect_inproc<F>(
        &self,
        name: &str,
        connecter: InprocPeer,
        make_pipe: F,
    ) -> Option<(Arc<dyn PipeAcceptor>, PipeEnd)>
    where
        F: FnOnce(Option<&InprocPeer>) -> PipeEnd,
    {
        let mut st = self.state.lock();
        match st.inproc.get(name) {
            Some(b) => {
                let pipe = make_pipe(Some(&b.peer));
                Some((b.acceptor.clone(), pipe))
            }
            None => {
                let pipe = make_pipe(None);
                st.pending
                    .entry(name.to_string())
                    .or_default()
                    .push(PendingConnect { connecter, pipe });
                None
            }
        }
    }

    /// Drops pending connections of `socket_id` to `name`; true if there were any.
    pub fn cancel_pending(&self, name: &str, socket_id: u64) -> bool {
        let mut st = self.state.lock();
        let Some(list) = st.pending.get_mut(name) else {
            return false;
        };
        let before = list.len();
        list.retain(|p| p.connecter.socket_id != socket_id);
        let found = list.len() != before;
        if list.is_empty() {
            st.pending.remove(name);
        }
        found
    }

    /// Starts termination: blocked and future calls on sockets return ETERM.
    pub fn shutdown(&self) {
        let st = self.state.lock();
        self.terminating.store(true, Ordering::Release);
        for signal in st.sockets.values() {
            signal.notify();
        }
    }

    /// Terminates: shuts down, waits until every socket is closed, then lets the I/O
    /// threads finish their lingering connections and stop. EINTR when a signal handler
    /// ran meanwhile; the context stays shut down, and a later call goes on waiting.
    pub fn terminate(&self) -> ZResult<()> {
        self.shutdown();
        loop {
            let seen = self.all_closed.epoch();
            if self.state.lock().sockets.is_empty() {
                break;
            }
            if self.all_closed.wait(seen, None, false) == Wake::Interrupted {
                return Err(Errno::EINTR);
            }
        }
        let mut st = self.state.lock();
        st.inproc.clear();
        st.pending.clear();
        drop(st);
        // Lingering sessions finish first; a signal interrupts the wait (EINTR) and
        // a later call resumes it.
        let threads = self.io_threads.lock().clone();
        for t in &threads {
            t.stop()?;
        }
        self.io_threads.lock().clear();
        Ok(())
    }

    /// The I/O thread for a new endpoint: the lowest allowed by `affinity` (a bit mask;
    /// 0 = any), else round-robin. EMTHREAD when the context has no I/O threads.
    pub fn io_thread(&self, affinity: u64) -> ZResult<Arc<IoThread>> {
        let (count, prefix) = {
            let o = self.options.lock();
            (o.io_threads.max(0) as usize, o.thread_name_prefix.clone())
        };
        if count == 0 {
            return Err(Errno::EMTHREAD);
        }
        let mut threads = self.io_threads.lock();
        while threads.len() < count {
            let index = threads.len() + 1;
            threads.push(Arc::new(IoThread::spawn(index, &prefix)?));
        }
        let index = (0..count.min(64))
            .find(|i| affinity & (1u64 << i) != 0)
            .unwrap_or_else(|| self.next_io.fetch_add(1, Ordering::Relaxed) as usize % count);
        Ok(threads[index].clone())
    }

    /// The context's ws and wss ports.
    pub(crate) fn ws_ports(&self) -> &crate::io::WsPorts {
        &self.ws_ports
    }

    /// `zmq_ctx_set`.
    pub fn set(&self, option: i32, value: i32) -> ZResult<()> {
        let mut o = self.options.lock();
        match option {
            ZMQ_IO_THREADS if value >= 0 => o.io_threads = value,
            ZMQ_MAX_SOCKETS if value >= 1 => o.max_sockets = value,
            ZMQ_IPV6 if value >= 0 => o.ipv6 = value != 0,
            ZMQ_BLOCKY if value >= 0 => o.blocky = value != 0,
            ZMQ_MAX_MSGSZ if value >= 0 => o.max_msgsz = value,
            ZMQ_ZERO_COPY_RECV if value >= 0 => o.zero_copy_recv = value != 0,
            ZMQ_THREAD_PRIORITY if value >= 0 => o.thread_priority = value,
            ZMQ_THREAD_SCHED_POLICY if value >= 0 => o.thread_sched_policy = value,
            ZMQ_THREAD_AFFINITY_CPU_ADD if value >= 0 => {
                if !o.thread_affinity.contains(&value) {
                    o.thread_affinity.push(value);
                }
            }
            ZMQ_THREAD_AFFINITY_CPU_REMOVE if value >= 0 => {
                let before = o.thread_affinity.len();
                o.thread_affinity.retain(|&c| c != value);
                if o.thread_affinity.len() == before {
                    return Err(Errno::EINVAL);
                }
            }
            ZMQ_THREAD_NAME_PREFIX => o.thread_name_prefix = value.to_string(),
            _ => return Err(Errno::EINVAL),
        }
        Ok(())
    }

    /// `zmq_ctx_set_ext` for ZMQ_THREAD_NAME_PREFIX given as a string.
    pub fn set_thread_name_prefix(&self, prefix: &[u8]) -> ZResult<()> {
        let text = std::str::from_utf8(prefix).map_err(|_| Errno::EINVAL)?;
        self.options.lock().thread_name_prefix = text.trim_end_matches('\0').to_string();
        Ok(())
    }

    /// The thread name prefix as set, for `zmq_ctx_get_ext`.
    pub fn thread_name_prefix(&self) -> String {
        self.options.lock().thread_name_prefix.clone()
    }

    /// `zmq_ctx_get`.
    pub fn get(&self, option: i32) -> ZResult<i32> {
        let o = self.options.lock();
        Ok(match option {
            ZMQ_IO_THREADS => o.io_threads,
            ZMQ_MAX_SOCKETS => o.max_sockets,
            ZMQ_SOCKET_LIMIT => SOCKET_LIMIT,
            ZMQ_IPV6 => o.ipv6 as i32,
            ZMQ_BLOCKY => o.blocky as i32,
            ZMQ_MAX_MSGSZ => o.max_msgsz,
            ZMQ_MSG_T_SIZE => std::mem::size_of::<zmq_msg_t>() as i32,
            ZMQ_ZERO_COPY_RECV => o.zero_copy_recv as i32,
            ZMQ_THREAD_SCHED_POLICY => o.thread_sched_policy,
            ZMQ_THREAD_NAME_PREFIX => o.thread_name_prefix.parse().unwrap_or(0),
            _ => return Err(Errno::EINVAL),
        })
    }
}

/// The context's ZAP handler as sessions reach it. Weak, so that sessions on I/O
/// threads never keep their context alive.
struct ZapLink(Weak<Ctx>);

impl ZapConnector for ZapLink {
    fn connect_zap(&self, owner: Arc<dyn PipeOwner>) -> Option<PipeEnd> {
        self.0.upgrade()?.zap_pipe(owner)
    }
}

impl Ctx {
    /// How this context's sessions reach its ZAP handler.
    pub fn zap_connector(self: &Arc<Ctx>) -> Arc<dyn ZapConnector> {
        Arc::new(ZapLink(Arc::downgrade(self)))
    }

    /// A pipe to the socket bound at `inproc://zeromq.zap.01` (libzmq's
    /// `zap_connect`): unlimited both ways, our routing id empty. None when nothing is
    /// bound there.
    fn zap_pipe(&self, owner: Arc<dyn PipeOwner>) -> Option<PipeEnd> {
        let acceptor = {
            let st = self.state.lock();
            st.inproc
                .get(crate::zmtp::ZAP_INPROC_NAME)?
                .acceptor
                .clone()
        };
        let (mut ours, theirs) = pipe_pair([0, 0]);
        ours.attach(owner);
        ours.send_routing_id(b"");
        acceptor.accept_pipe(
            theirs,
            PeerInfo {
                endpoint: None,
                at: crate::monitor::Endpoints::bound("inproc://zeromq.zap.01"),
            },
        );
        Some(ours)
    }
}
