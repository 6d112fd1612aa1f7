//! The network side: I/O threads running mio event loops. Each drives listeners,
//! connecters (with reconnect) and connections, which join a socket's pipe to a ZMTP
//! engine (`crate::zmtp`). Sockets talk to I/O threads only through their mailbox.

pub mod address;
mod raw;
mod reactor;
#[allow(dead_code)]
mod socks;
pub(crate) mod sys;

use std::sync::Arc;
use std::thread::JoinHandle;

use parking_lot::Mutex;

use crate::error::{Errno, ZResult};
use crate::mailbox::{Command, IoWake, Mailbox};
use crate::options::Options;
use crate::pipe::PipeEnd;
use crate::socket::MonitorSlot;

pub use reactor::{ListenerSource, Transport as NetTransport};

/// What an I/O thread needs to know about the socket a connection serves. Options are
/// a snapshot taken at bind/connect time, as in libzmq.
#[derive(Clone)]
pub struct SocketLink {
    pub socket_id: u64,
    pub mailbox: Mailbox,
    pub options: Arc<Options>,
    pub monitor: MonitorSlot,
}

/// Work for an I/O thread.
// Always travels boxed (`Command::Io`), so the variants' sizes do not matter.
#[allow(clippy::large_enum_variant)]
pub enum IoCommand {
    /// Accept connections on a bound listener.
    Listen {
        id: u64,
        endpoint: String,
        source: ListenerSource,
        link: SocketLink,
    },
    /// Connect (and keep reconnecting) to `address`; `pipe` is the session's end of a
    /// pipe the socket already attached, or None with ZMQ_IMMEDIATE.
    Connect {
        id: u64,
        endpoint: String,
        transport: NetTransport,
        address: String,
        pipe: Option<PipeEnd>,
        link: SocketLink,
    },
    /// Stop one endpoint (unbind or disconnect).
    StopEndpoint { socket_id: u64, id: u64 },
    /// The socket closed: stop all its listeners; its connections flush what is left
    /// within `linger` (the value in force at close, as libzmq uses).
    SocketClosed { socket_id: u64, linger: i32 },
    /// Context termination: finish lingering connections, then exit.
    Stop,
}

/// A running I/O thread.
pub struct IoThread {
    pub mailbox: Mailbox,
    handle: Mutex<Option<JoinHandle<()>>>,
}

impl IoThread {
    /// Starts an I/O thread.
    pub fn spawn(index: usize, name_prefix: &str) -> ZResult<IoThread> {
        let poll = mio::Poll::new().map_err(|e| Errno(e.raw_os_error().unwrap_or(libc::EMFILE)))?;
        let waker = mio::Waker::new(poll.registry(), reactor::WAKER)
            .map_err(|e| Errno(e.raw_os_error().unwrap_or(libc::EMFILE)))?;
        let wake = Arc::new(IoWake::new(waker));
        let (mailbox, commands) = Mailbox::for_io(wake.clone());
        let own_mailbox = mailbox.clone();
        let name = if name_prefix.is_empty() {
            format!("ZMQbg/IO/{index}")
        } else {
            format!("{name_prefix}/ZMQbg/IO/{index}")
        };
        let handle = std::thread::Builder::new()
            .name(name)
            .spawn(move || reactor::Reactor::new(poll, commands, wake, own_mailbox).run())
            .map_err(|_| Errno::EMTHREAD)?;
        Ok(IoThread {
            mailbox,
            handle: Mutex::new(Some(handle)),
        })
    }

    pub fn send(&self, cmd: IoCommand) {
        self.mailbox.send(Command::Io(Box::new(cmd)));
    }

    /// Asks the thread to finish and waits for it (after lingering connections end).
    pub fn stop(&self) {
        self.send(IoCommand::Stop);
        if let Some(h) = self.handle.lock().take() {
            let _ = h.join();
        }
    }
}

/// Binds a tcp listener; returns it, its resolved endpoint and its fd.
pub fn listen_tcp(
    local: &std::net::SocketAddr,
    options: &Options,
) -> ZResult<(ListenerSource, String, i32)> {
    use std::os::fd::AsRawFd;
    let l = sys::tcp_listen(local, options)
        .map_err(|e| Errno(e.raw_os_error().unwrap_or(libc::EINVAL)))?;
    let actual = l
        .local_addr()
        .map_err(|e| Errno(e.raw_os_error().unwrap_or(libc::EINVAL)))?;
    let fd = l.as_raw_fd();
    Ok((ListenerSource::Tcp(l), address::tcp_endpoint(&actual), fd))
}

/// Binds an ipc listener (replacing a stale socket file, as libzmq does).
pub fn listen_ipc(addr: &address::IpcAddr) -> ZResult<(ListenerSource, String, i32)> {
    use std::os::fd::AsRawFd;
    let to_errno = |e: std::io::Error| Errno(e.raw_os_error().unwrap_or(libc::EINVAL));
    let unlink = match addr {
        address::IpcAddr::Path(p) => {
            let _ = std::fs::remove_file(p);
            Some(p.clone())
        }
        address::IpcAddr::Abstract(_) => None,
    };
    let std_addr = addr.to_std().map_err(to_errno)?;
    let l = std::os::unix::net::UnixListener::bind_addr(&std_addr).map_err(to_errno)?;
    l.set_nonblocking(true).map_err(to_errno)?;
    let fd = l.as_raw_fd();
    Ok((ListenerSource::Ipc(l, unlink), addr.endpoint(), fd))
}

/// A listener over a descriptor the application bound itself (ZMQ_USE_FD).
pub fn listen_fd(transport_is_tcp: bool, fd: i32) -> ZResult<(ListenerSource, String, i32)> {
    let to_errno = |e: std::io::Error| Errno(e.raw_os_error().unwrap_or(libc::EINVAL));
    let owned = sys::adopt_listener(fd).map_err(to_errno)?;
    if transport_is_tcp {
        let l = std::net::TcpListener::from(owned);
        let local = l.local_addr().map_err(to_errno)?;
        Ok((ListenerSource::Tcp(l), address::tcp_endpoint(&local), fd))
    } else {
        let l = std::os::unix::net::UnixListener::from(owned);
        let endpoint = l
            .local_addr()
            .ok()
            .and_then(|a| a.as_pathname().map(|p| format!("ipc://{}", p.display())))
            .unwrap_or_default();
        Ok((ListenerSource::Ipc(l, None), endpoint, fd))
    }
}
