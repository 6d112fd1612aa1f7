//! A bound endpoint accepting connections: each accepted connection that passes the
//! socket's filters (ZMQ_TCP_ACCEPT_FILTER, the ipc credential filters) becomes a
//! session of its own. When the process runs out of descriptors (EMFILE, ENFILE),
//! accepting pauses and is retried on a timer: no busy loop, and no waiting for a
//! next connection to notice that descriptors are free again.

use std::io;
use std::time::{Duration, Instant};

use mio::{Registry, Token};

use super::sys;
use super::transport::{self, Listening, Stream, Transport};
use super::SocketLink;
use crate::abi::*;
use crate::monitor::Endpoints;

/// How long accepting pauses after the process ran out of descriptors.
const ACCEPT_RETRY: Duration = Duration::from_millis(100);

/// Whether a socket's accept filters (ZMQ_TCP_ACCEPT_FILTER, the ipc credential
/// filters) let a connection in.
pub(crate) fn accept_allowed(
    o: &crate::options::Options,
    transport: Transport,
    stream: &Stream,
) -> bool {
    match transport {
        Transport::Tcp | Transport::Ws | Transport::Wss => {
            if o.tcp_accept_filters.is_empty() {
                return true;
            }
            match sys::sock_name(stream.raw_fd(), true) {
                Some(sys::SockName::Inet(peer)) => {
                    o.tcp_accept_filters.iter().any(|f| f.matches(&peer.ip()))
                }
                _ => false,
            }
        }
        Transport::Ipc => {
            if o.ipc_uid_accept_filters.is_empty()
                && o.ipc_gid_accept_filters.is_empty()
                && o.ipc_pid_accept_filters.is_empty()
            {
                return true;
            }
            let Some((pid, uid, gid)) = sys::peer_credentials(stream.raw_fd()) else {
                return false;
            };
            o.ipc_uid_accept_filters.contains(&uid)
                || o.ipc_gid_accept_filters.contains(&gid)
                || o.ipc_pid_accept_filters.contains(&pid)
        }
    }
}

/// A listening endpoint served by an I/O thread.
pub(crate) struct Listener {
    pub(crate) link: SocketLink,
    pub(crate) endpoint_id: u64,
    listening: Listening,
    /// Accepting is paused until then (out of descriptors).
    retry_at: Option<Instant>,
    /// The deadline this listener has in the loop's timer heap.
    pub(crate) scheduled: Option<Instant>,
}

impl Listener {
    pub(crate) fn new(listening: Listening, link: SocketLink, endpoint_id: u64) -> Listener {
        Listener {
            link,
            endpoint_id,
            listening,
            retry_at: None,
            scheduled: None,
        }
    }

    pub(crate) fn register(&self, registry: &Registry, token: Token) -> io::Result<()> {
        transport::register(registry, self.listening.raw_fd(), token)
    }

    /// The endpoint as bound (the port filled in).
    pub(crate) fn endpoint(&self) -> &str {
        &self.listening.endpoint
    }

    pub(crate) fn deadline(&self) -> Option<Instant> {
        self.retry_at
    }

    /// The next connection to serve, if any is waiting and accepting is not paused.
    pub(crate) fn accept(&mut self, now: Instant) -> Option<Stream> {
        if self.retry_at.is_some_and(|at| now < at) {
            return None;
        }
        self.retry_at = None;
        loop {
            match self.listening.accept() {
                Ok(stream) => {
                    if self.allowed(&stream) {
                        return Some(stream);
                    }
                    // Refused by a filter: closed at once, as libzmq does.
                }
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => return None,
                Err(e)
                    if e.kind() == io::ErrorKind::Interrupted
                        || e.raw_os_error() == Some(libc::ECONNABORTED) =>
                {
                    continue
                }
                Err(e) => {
                    let errno = e.raw_os_error().unwrap_or(libc::EIO);
                    self.link.monitor.emit(
                        ZMQ_EVENT_ACCEPT_FAILED,
                        errno as u64,
                        &Endpoints::bound(self.endpoint()),
                    );
                    // Out of descriptors (or another passing shortage): the waiting
                    // connection stays queued; try again shortly.
                    self.retry_at = Some(now + ACCEPT_RETRY);
                    return None;
                }
            }
        }
    }

    /// Whether the socket's accept filters let this connection in.
    fn allowed(&self, stream: &Stream) -> bool {
        accept_allowed(&self.link.options, self.listening.transport(), stream)
    }

    /// Stops listening: the socket is closed and ZMQ_EVENT_CLOSED reported.
    pub(crate) fn close(self, registry: &Registry) {
        let fd = self.listening.raw_fd();
        transport::deregister(registry, fd);
        let at = Endpoints::bound(self.endpoint());
        let monitor = self.link.monitor.clone();
        drop(self.listening);
        monitor.emit(ZMQ_EVENT_CLOSED, fd as u64, &at);
    }
}
