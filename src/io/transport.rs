//! The transports behind one seam: how to bind, accept, connect, and move bytes on a
//! connected stream. tcp and ipc are plain stream sockets; ws and wss are tcp streams
//! with a `Layer` (TLS, WebSocket framing) between the socket and the engine, and
//! listen through shared ports (`ws::WsPorts`). A transport without connections (udp)
//! plugs in here as another `Transport` variant with its own behaviour.
//!
//! Every write uses `MSG_NOSIGNAL`, so a vanished peer never raises SIGPIPE, and the
//! socket of a connection is shared (`Arc<OwnedFd>`) with the application thread's
//! direct writes, so its number can never be reused while one is in progress.

use std::io;
use std::os::fd::{AsRawFd, OwnedFd, RawFd};
use std::path::PathBuf;
use std::sync::Arc;

use mio::unix::SourceFd;
use mio::{Interest, Registry, Token};

use super::address::{self, IpcAddr};
use super::sys::{self, SockName};
use super::ws::layer::Layer;
use super::ws::WsConnect;
use crate::error::{Errno, ZResult};
use crate::options::Options;

/// The network transports the I/O threads drive.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Transport {
    Tcp,
    Ipc,
    /// WebSocket over tcp; `Wss` adds TLS. Their streams carry a `Layer`.
    Ws,
    Wss,
}

impl Transport {
    fn scheme(self) -> &'static str {
        match self {
            Transport::Tcp => "tcp://",
            Transport::Ipc => "ipc://",
            Transport::Ws => "ws://",
            Transport::Wss => "wss://",
        }
    }

    /// Whether connections run over tcp (ws and wss do).
    pub(crate) fn is_tcp(self) -> bool {
        self != Transport::Ipc
    }
}

/// Where a connect session connects to: the address part of the endpoint.
#[derive(Clone, Debug)]
pub(crate) struct Target {
    pub(crate) transport: Transport,
    pub(crate) address: String,
    /// ws and wss: the path, Host and TLS settings of the upgrade.
    pub(crate) ws: Option<Arc<WsConnect>>,
}

fn to_errno(e: io::Error) -> Errno {
    Errno(e.raw_os_error().unwrap_or(libc::EINVAL))
}

fn endpoint_of(transport: Transport, name: Option<SockName>) -> String {
    match name {
        Some(SockName::Inet(a)) if matches!(transport, Transport::Ws | Transport::Wss) => {
            let tcp = address::tcp_endpoint(&a);
            format!("{}{}", transport.scheme(), tcp.trim_start_matches("tcp://"))
        }
        Some(SockName::Inet(a)) => address::tcp_endpoint(&a),
        Some(SockName::Unix(path)) => format!("ipc://{path}"),
        None => transport.scheme().to_string(),
    }
}

/// Registers a descriptor with an event loop.
pub(crate) fn register(registry: &Registry, fd: RawFd, token: Token) -> io::Result<()> {
    registry.register(
        &mut SourceFd(&fd),
        token,
        Interest::READABLE | Interest::WRITABLE,
    )
}

/// Removes a descriptor from an event loop (before it is closed).
pub(crate) fn deregister(registry: &Registry, fd: RawFd) {
    let _ = registry.deregister(&mut SourceFd(&fd));
}

/// A connected (or connecting) byte stream. ws and wss streams carry a `Layer` (TLS,
/// WebSocket framing) between the socket and the engine; tcp and ipc move bytes as
/// they are.
pub(crate) struct Stream {
    fd: Arc<OwnedFd>,
    transport: Transport,
    layer: Option<Box<Layer>>,
}

impl Stream {
    pub(crate) fn new(fd: OwnedFd, transport: Transport) -> Stream {
        Stream {
            fd: Arc::new(fd),
            transport,
            layer: None,
        }
    }

    /// Puts a layer between the socket and the engine (ws, wss).
    pub(crate) fn set_layer(&mut self, layer: Layer) {
        self.layer = Some(Box::new(layer));
    }

    pub(crate) fn layer(&mut self) -> Option<&mut Layer> {
        self.layer.as_deref_mut()
    }

    /// Whether bytes wait in the layer to be sent (`flush` sends them).
    pub(crate) fn has_pending(&self) -> bool {
        self.layer.as_ref().is_some_and(|l| l.has_pending())
    }

    /// Sends what waits in the layer; WouldBlock when the socket cannot take it now.
    pub(crate) fn flush(&mut self) -> io::Result<()> {
        let fd = self.raw_fd();
        match self.layer.as_mut() {
            Some(l) => l.flush(fd),
            None => Ok(()),
        }
    }

    pub(crate) fn raw_fd(&self) -> RawFd {
        self.fd.as_raw_fd()
    }

    /// The socket, for writes from another thread that must keep it open meanwhile.
    pub(crate) fn shared_fd(&self) -> Arc<OwnedFd> {
        self.fd.clone()
    }

    pub(crate) fn transport(&self) -> Transport {
        self.transport
    }

    pub(crate) fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let fd = self.raw_fd();
        match self.layer.as_mut() {
            Some(l) => l.read(fd, buf),
            None => sys::recv(fd, buf),
        }
    }

    /// Reads at most `max` bytes, appended to `buf` without zeroing first.
    pub(crate) fn read_append(&mut self, buf: &mut Vec<u8>, max: usize) -> io::Result<usize> {
        let fd = self.raw_fd();
        let Some(l) = self.layer.as_mut() else {
            return sys::read_append(fd, buf, max);
        };
        let start = buf.len();
        buf.resize(start + max, 0);
        let r = l.read(fd, &mut buf[start..]);
        buf.truncate(start + *r.as_ref().unwrap_or(&0));
        r
    }

    /// Writes bytes already framed for the wire (what a direct write left), past the
    /// layer.
    pub(crate) fn write_raw(&self, bytes: &[u8]) -> io::Result<usize> {
        sys::send(self.raw_fd(), bytes)
    }

    pub(crate) fn write(&mut self, bytes: &[u8]) -> io::Result<usize> {
        self.write_vectored(&[io::IoSlice::new(bytes)])
    }

    pub(crate) fn write_vectored(&mut self, slices: &[io::IoSlice<'_>]) -> io::Result<usize> {
        let fd = self.raw_fd();
        match self.layer.as_mut() {
            Some(l) => l.write(fd, slices),
            None => sys::send_vectored(fd, slices),
        }
    }

    /// The outcome of a non-blocking connect: Ok(true) connected, Ok(false) still in
    /// progress (a spurious wake-up), Err when it failed.
    pub(crate) fn connect_result(&self) -> io::Result<bool> {
        if let Some(e) = sys::take_error(self.raw_fd())? {
            return Err(e);
        }
        Ok(sys::sock_name(self.raw_fd(), true).is_some())
    }

    /// This end's address as libzmq prints it in monitor events (`tcp://ip:port`).
    pub(crate) fn local_endpoint(&self) -> String {
        endpoint_of(self.transport, sys::sock_name(self.raw_fd(), false))
    }

    /// The peer's address as libzmq prints it in monitor events.
    pub(crate) fn peer_endpoint(&self) -> String {
        endpoint_of(self.transport, sys::sock_name(self.raw_fd(), true))
    }

    /// The peer's IP address (the `Peer-Address` property); empty for ipc.
    pub(crate) fn peer_ip(&self) -> String {
        match sys::sock_name(self.raw_fd(), true) {
            Some(SockName::Inet(a)) => a.ip().to_string(),
            _ => String::new(),
        }
    }
}

/// A connect attempt that could not start.
#[derive(Debug)]
pub(crate) struct ConnectFailure {
    pub(crate) errno: i32,
    /// The number of the socket made for it, already closed (libzmq reports it in
    /// ZMQ_EVENT_CLOSED); None when it failed before a socket existed.
    pub(crate) fd: Option<RawFd>,
}

impl From<io::Error> for ConnectFailure {
    fn from(e: io::Error) -> Self {
        ConnectFailure {
            errno: e.raw_os_error().unwrap_or(libc::EINVAL),
            fd: None,
        }
    }
}

impl From<Errno> for ConnectFailure {
    fn from(e: Errno) -> Self {
        ConnectFailure {
            errno: e.0,
            fd: None,
        }
    }
}

/// Starts connecting to `target`: the stream, and whether the connect is still in
/// progress (then wait for it to become writable and ask `connect_result`).
pub(crate) fn connect(
    target: &Target,
    options: &Options,
) -> Result<(Stream, bool), ConnectFailure> {
    let started = match target.transport {
        Transport::Tcp => {
            let (source, remote) = address::resolve_tcp_connect(&target.address, options.ipv6)?;
            sys::tcp_connect(&remote, source.as_ref(), options)
        }
        Transport::Ws | Transport::Wss => {
            let host_port = target.ws.as_ref().map_or("", |w| w.host_port.as_str());
            let (_, remote) = address::resolve_tcp_connect(host_port, options.ipv6)?;
            sys::tcp_connect(&remote, None, options)
        }
        Transport::Ipc => {
            let addr = IpcAddr::parse(&target.address)?.to_std()?;
            sys::ipc_connect(&addr)
        }
    };
    match started {
        Ok((fd, in_progress)) => Ok((Stream::new(fd, target.transport), in_progress)),
        Err((e, fd)) => Err(ConnectFailure {
            errno: e.raw_os_error().unwrap_or(libc::EINVAL),
            fd,
        }),
    }
}

/// A bound, listening socket, made by the socket's thread (so bind errors reach the
/// caller) and handed to an I/O thread.
pub(crate) struct Listening {
    fd: OwnedFd,
    transport: Transport,
    /// The endpoint as resolved (the port filled in), for ZMQ_LAST_ENDPOINT.
    pub(crate) endpoint: String,
    /// `ipc://*`: the socket file made for it (and which file: device and inode) and
    /// its private directory, removed at close.
    wildcard: Option<Wildcard>,
}

/// The file and directory made for an `ipc://*` bind.
struct Wildcard {
    file: PathBuf,
    dir: PathBuf,
    id: Option<(u64, u64)>,
}

/// Which file is at `path` now (device, inode).
fn file_id(path: &std::path::Path) -> Option<(u64, u64)> {
    use std::os::unix::fs::MetadataExt;
    std::fs::symlink_metadata(path)
        .ok()
        .map(|m| (m.dev(), m.ino()))
}

impl Listening {
    pub(crate) fn raw_fd(&self) -> RawFd {
        self.fd.as_raw_fd()
    }

    pub(crate) fn transport(&self) -> Transport {
        self.transport
    }

    /// Accepts one pending connection.
    pub(crate) fn accept(&self) -> io::Result<Stream> {
        let fd = sys::accept(self.raw_fd())?;
        if self.transport.is_tcp() {
            sys::set_nodelay(fd.as_raw_fd());
        }
        Ok(Stream::new(fd, self.transport))
    }
}

impl Drop for Listening {
    fn drop(&mut self) {
        // Only the file made for `ipc://*` is removed, with its directory, and only
        // while it is still that file: a later bind at the same path (another socket
        // taking it over) keeps its own. A named path is left alone, as in libzmq
        // 4.3.5: another socket may have bound it since.
        if let Some(w) = self.wildcard.take() {
            if w.id.is_some() && file_id(&w.file) == w.id && std::fs::remove_file(&w.file).is_ok() {
                let _ = std::fs::remove_dir(&w.dir);
            }
        }
    }
}

/// Binds and listens on `name` (the address part of a tcp or ipc endpoint).
pub(crate) fn listen(transport: Transport, name: &str, options: &Options) -> ZResult<Listening> {
    if options.use_fd >= 0 {
        return listen_fd(transport, options.use_fd);
    }
    match transport {
        // ws and wss listen through their ports (`ws::WsPorts`).
        Transport::Ws | Transport::Wss => Err(Errno::EPROTONOSUPPORT),
        Transport::Tcp => {
            let local = address::resolve_tcp_bind(name, options.ipv6)?;
            let fd = sys::tcp_listen(&local, options).map_err(to_errno)?;
            let endpoint = endpoint_of(transport, sys::sock_name(fd.as_raw_fd(), false));
            Ok(Listening {
                fd,
                transport,
                endpoint,
                wildcard: None,
            })
        }
        Transport::Ipc => {
            let (addr, mut wildcard) = if name == "*" {
                let path = address::wildcard_ipc_path()?;
                let dir = path.parent().map(PathBuf::from).unwrap_or_default();
                let w = Wildcard {
                    file: path.clone(),
                    dir,
                    id: None,
                };
                (IpcAddr::Path(path), Some(w))
            } else {
                (IpcAddr::parse(name)?, None)
            };
            if let IpcAddr::Path(p) = &addr {
                // A stale socket file from an earlier run would make bind fail, as libzmq
                // finds; it is replaced.
                let _ = std::fs::remove_file(p);
            }
            let std_addr = addr.to_std().map_err(to_errno)?;
            let l = std::os::unix::net::UnixListener::bind_addr(&std_addr).map_err(|e| {
                if let Some(w) = &wildcard {
                    let _ = std::fs::remove_dir(&w.dir);
                }
                to_errno(e)
            })?;
            if let Some(w) = wildcard.as_mut() {
                w.id = file_id(&w.file);
            }
            l.set_nonblocking(true).map_err(to_errno)?;
            Ok(Listening {
                fd: OwnedFd::from(l),
                transport,
                endpoint: addr.endpoint(),
                wildcard,
            })
        }
    }
}

/// A listener over a descriptor the application bound itself (ZMQ_USE_FD).
fn listen_fd(transport: Transport, fd: i32) -> ZResult<Listening> {
    let fd = sys::adopt_listener(fd).map_err(to_errno)?;
    let endpoint = match sys::sock_name(fd.as_raw_fd(), false) {
        Some(SockName::Unix(p)) if p.is_empty() => String::new(),
        name => endpoint_of(transport, name),
    };
    Ok(Listening {
        fd,
        transport,
        endpoint,
        wildcard: None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_write_to_a_closed_peer_fails_without_a_signal() {
        let (a, b) = std::os::unix::net::UnixStream::pair().unwrap();
        let mut s = Stream::new(OwnedFd::from(a), Transport::Ipc);
        drop(b);
        // With the default SIGPIPE disposition a plain write would kill the test run.
        let e = s.write(b"x").unwrap_err();
        assert_eq!(e.raw_os_error(), Some(libc::EPIPE));
        let slices = [io::IoSlice::new(b"a"), io::IoSlice::new(b"b")];
        let e = s.write_vectored(&slices).unwrap_err();
        assert_eq!(e.raw_os_error(), Some(libc::EPIPE));
    }

    #[test]
    fn tcp_listen_accept_connect_and_names() {
        let opts = Options::for_context(crate::abi::ZMQ_PAIR, false, true);
        let l = listen(Transport::Tcp, "127.0.0.1:*", &opts).unwrap();
        assert!(l.endpoint.starts_with("tcp://127.0.0.1:"));
        let port = l.endpoint.rsplit(':').next().unwrap().to_string();
        let target = Target {
            transport: Transport::Tcp,
            address: format!("127.0.0.1:{port}"),
            ws: None,
        };
        let (c, _) = connect(&target, &opts).unwrap();
        // Wait for the accept to become possible.
        let accepted = (0..1000)
            .find_map(|_| {
                std::thread::sleep(std::time::Duration::from_millis(1));
                l.accept().ok()
            })
            .unwrap();
        assert_eq!(accepted.local_endpoint(), l.endpoint);
        assert_eq!(accepted.peer_endpoint(), c.local_endpoint());
        assert_eq!(accepted.peer_ip(), "127.0.0.1");
        assert!(c.connect_result().unwrap());
    }

    #[test]
    fn ipc_listener_removes_only_its_wildcard_file() {
        let opts = Options::for_context(crate::abi::ZMQ_PAIR, false, true);
        let dir = std::env::temp_dir().join(format!("zmq-ipc-test-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("named");
        let name = path.to_str().unwrap().to_string();
        let first = listen(Transport::Ipc, &name, &opts).unwrap();
        // A later bind to the same path replaces the file; the first listener's
        // close must leave it in place.
        let second = listen(Transport::Ipc, &name, &opts).unwrap();
        drop(first);
        assert!(path.exists());
        drop(second);
        let _ = std::fs::remove_file(&path);
        let _ = std::fs::remove_dir(&dir);

        let wild = listen(Transport::Ipc, "*", &opts).unwrap();
        let file = PathBuf::from(wild.endpoint.strip_prefix("ipc://").unwrap());
        assert!(file.exists());
        drop(wild);
        assert!(!file.exists());
        assert!(!file.parent().unwrap().exists());

        // A later bind at the wildcard's path keeps its file when the first closes.
        let wild = listen(Transport::Ipc, "*", &opts).unwrap();
        let name = wild.endpoint.strip_prefix("ipc://").unwrap().to_string();
        let later = listen(Transport::Ipc, &name, &opts).unwrap();
        drop(wild);
        assert!(PathBuf::from(&name).exists());
        drop(later);
        let _ = std::fs::remove_file(&name);
        let _ = std::fs::remove_dir(PathBuf::from(&name).parent().unwrap());
    }
}
