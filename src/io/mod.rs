//! The network side: I/O threads, each running an event loop over its rooms.
//!
//! - `transport`: tcp, ipc, ws and wss behind one seam (bind, accept, connect, byte
//!   streams);
//! - `ws`: the WebSocket transports: TLS and WebSocket framing between a connection's
//!   socket and its engine, the HTTP upgrade, and ports whose paths several binds share;
//! - `listener`: a bound endpoint accepting connections;
//! - `connecter`: when a connect session (re)connects, a pure state machine;
//! - `session`: a socket pipe joined to the connection serving it (engine glue,
//!   linger, direct writes through `direct`);
//! - `udp`: datagram endpoints (RADIO, DISH, DGRAM), which have no connection;
//! - `event_loop`: the thin loop with its timer heap, driven by a `clock`.
//!
//! Sockets talk to I/O threads only through commands (`IoCommand`); a session's pipe
//! wakes it through the same queue.

pub(crate) mod address;
mod clock;
mod connecter;
mod direct;
mod event_loop;
mod listener;
mod raw;
mod session;
mod socks;
pub(crate) mod sys;
mod timers;
mod transport;
pub(crate) mod udp;
mod ws;

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;

use crossbeam_channel::{Receiver, Sender};
use mio::Token;
use parking_lot::Mutex;

use crate::error::{Errno, ZResult};
use crate::monitor::MonitorSlot;
use crate::options::Options;
use crate::pipe::{PipeAcceptor, PipeEnd, PipeEvent, PipeOwner};
use crate::signal::{Signal, Wake};

pub(crate) use session::{session_pipe, SessionPipe};
pub(crate) use transport::{listen, Listening, Target, Transport};
pub(crate) use ws::{fuzz_ws_decode, fuzz_ws_upgrade, WsConnect, WsPorts};

/// What an I/O thread needs to know about the socket a session serves. Options are
/// a snapshot taken at bind/connect time, as in libzmq.
#[derive(Clone)]
pub(crate) struct SocketLink {
    pub(crate) socket_id: u64,
    /// Takes the pipes of new connections.
    pub(crate) acceptor: Arc<dyn PipeAcceptor>,
    pub(crate) options: Arc<Options>,
    pub(crate) monitor: MonitorSlot,
    /// The application called zmq_disconnect on the socket (RECONNECT_STOP_AFTER_DISCONNECT).
    pub(crate) disconnected: Arc<AtomicBool>,
    /// How a handshake reaches the context's ZAP handler (None: never).
    pub(crate) zap: Option<Arc<dyn ZapConnector>>,
}

/// How a session reaches the ZAP handler (RFC 27) bound in its context at
/// `inproc://zeromq.zap.01`, without the I/O layer knowing contexts or sockets.
pub(crate) trait ZapConnector: Send + Sync {
    /// A new pipe to the handler: the session's end, already attached to `owner` and
    /// its (empty) routing id sent; None when no handler is bound.
    fn connect_zap(&self, owner: Arc<dyn PipeOwner>) -> Option<PipeEnd>;
}

/// Work for an I/O thread.
pub(crate) enum IoCommand {
    /// Something happened at the socket's end of a session's pipe.
    Pipe(Token, PipeEvent),
    /// Endpoint and lifecycle work; boxed so pipe events stay small in the queue.
    Control(Box<Control>),
}

/// Endpoint and lifecycle work for an I/O thread.
// Always travels boxed (`IoCommand::Control`), so the variants' sizes do not matter.
#[allow(clippy::large_enum_variant)]
pub(crate) enum Control {
    /// Accept connections on a bound listener.
    Listen {
        endpoint_id: u64,
        listening: Listening,
        link: SocketLink,
    },
    /// Accept ws/wss connections on a port; its routes say which socket each serves.
    ListenWs {
        port: Arc<ws::Port>,
        fd: std::os::fd::OwnedFd,
    },
    /// Connect (and keep reconnecting) to `target`; `pipe` is the session's end of a
    /// pipe the socket already attached, or None when each connection brings its own.
    Connect {
        endpoint_id: u64,
        endpoint: String,
        target: Target,
        pipe: Option<SessionPipe>,
        link: SocketLink,
    },
    /// Serve a udp endpoint: its datagram socket (made by the socket) and the I/O
    /// thread's end of its pipe.
    Udp {
        endpoint_id: u64,
        socket: udp::Opened,
        pipe: crate::pipe::PipeEnd,
        link: SocketLink,
    },
    /// Unbind or disconnect one endpoint: its listener closes, its sessions deliver
    /// what is left within `linger`.
    StopEndpoint {
        socket_id: u64,
        endpoint_id: u64,
        linger: i32,
    },
    /// The socket closed: likewise for all its endpoints, with the linger it had then.
    SocketClosed { socket_id: u64, linger: i32 },
    /// Context termination: finish lingering sessions, then exit.
    Stop,
}

/// Wakes an I/O thread blocked in its poll, once per batch of commands.
pub(crate) struct IoWake {
    waker: mio::Waker,
    pending: AtomicBool,
}

impl IoWake {
    fn wake(&self) {
        if !self.pending.swap(true, Ordering::AcqRel) {
            let _ = self.waker.wake();
        }
    }

    /// Called by the I/O thread before it drains its commands.
    pub(crate) fn reset(&self) {
        self.pending.store(false, Ordering::Release);
    }
}

/// Sends commands to one I/O thread and wakes it.
#[derive(Clone)]
pub(crate) struct IoMailbox {
    tx: Sender<IoCommand>,
    wake: Arc<IoWake>,
}

impl IoMailbox {
    fn new(waker: mio::Waker) -> (IoMailbox, Arc<IoWake>, Receiver<IoCommand>) {
        let (tx, rx) = crossbeam_channel::unbounded();
        let wake = Arc::new(IoWake {
            waker,
            pending: AtomicBool::new(false),
        });
        (
            IoMailbox {
                tx,
                wake: wake.clone(),
            },
            wake,
            rx,
        )
    }

    fn send(&self, cmd: IoCommand) {
        if self.tx.send(cmd).is_ok() {
            self.wake.wake();
        }
    }
}

/// How the socket's end of a session's pipe wakes that session.
pub(crate) struct SessionOwner {
    mailbox: IoMailbox,
    token: Token,
}

impl PipeOwner for SessionOwner {
    fn pipe_event(&self, event: PipeEvent) {
        self.mailbox.send(IoCommand::Pipe(self.token, event));
    }
}

/// A running I/O thread.
pub(crate) struct IoThread {
    mailbox: IoMailbox,
    handle: Mutex<Option<JoinHandle<()>>>,
    /// Stop was sent (once).
    stopping: AtomicBool,
    /// The thread's loop has ended (set before `exited` is notified).
    done: Arc<AtomicBool>,
    /// Wakes a `stop` waiting for the end, interruptibly.
    exited: Arc<Signal>,
}

impl IoThread {
    /// Starts an I/O thread. It runs with every signal blocked, so signals go to the
    /// application's threads (as libzmq's do).
    pub(crate) fn spawn(index: usize, name_prefix: &str) -> ZResult<IoThread> {
        let to_errno = |e: std::io::Error| Errno(e.raw_os_error().unwrap_or(libc::EMFILE));
        let poll = mio::Poll::new().map_err(to_errno)?;
        let waker = mio::Waker::new(poll.registry(), event_loop::WAKER).map_err(to_errno)?;
        let (mailbox, wake, commands) = IoMailbox::new(waker);
        let own = mailbox.clone();
        let name = if name_prefix.is_empty() {
            format!("ZMQbg/IO/{index}")
        } else {
            format!("{name_prefix}/ZMQbg/IO/{index}")
        };
        let done = Arc::new(AtomicBool::new(false));
        let exited = Arc::new(Signal::new());
        let (thread_done, thread_exited) = (done.clone(), exited.clone());
        let handle = crate::util::thread::spawn_blocking_signals(name, move || {
            event_loop::EventLoop::new(poll, clock::SystemClock, commands, wake, own).run();
            thread_done.store(true, Ordering::Release);
            thread_exited.notify();
        })
        .map_err(|_| Errno::EMTHREAD)?;
        Ok(IoThread {
            mailbox,
            handle: Mutex::new(Some(handle)),
            stopping: AtomicBool::new(false),
            done,
            exited,
        })
    }

    pub(crate) fn send(&self, control: Control) {
        self.mailbox.send(IoCommand::Control(Box::new(control)));
    }

    /// Asks the thread to finish and waits for it (after lingering sessions end). EINTR
    /// when a signal handler ran meanwhile, as zmq_ctx_term returns; calling again goes
    /// on waiting.
    pub(crate) fn stop(&self) -> ZResult<()> {
        if !self.stopping.swap(true, Ordering::AcqRel) {
            self.send(Control::Stop);
        }
        loop {
            let seen = self.exited.epoch();
            if self.done.load(Ordering::Acquire) {
                break;
            }
            if self.exited.wait(seen, None, false) == Wake::Interrupted {
                return Err(Errno::EINTR);
            }
        }
        // The loop has ended: the join waits only for the thread's last instructions.
        if let Some(h) = self.handle.lock().take() {
            let _ = h.join();
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests;
