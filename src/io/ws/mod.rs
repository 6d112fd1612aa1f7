//! The WebSocket transports, `ws://host:port/path` and `wss://` (RFC 6455, ZWS 2.0 of
//! RFC 45): a layer between a connection's socket and its engine (`layer`: TLS from
//! rustls for wss, then WebSocket framing, `frame`), an HTTP upgrade before the
//! engine starts (`handshake`), and the TLS settings (`tls`).
//!
//! Several paths share one port: a bind to a port this context already listens on
//! with ws (same address, same certificate for wss) adds its path to that listener
//! (a `Port`) instead of binding again. An accepted connection is routed by the path
//! of its request; a path no endpoint has goes to the port's only endpoint when it has
//! just one (libzmq ignores the path, and programs connect to `/` or to another
//! path), and is answered 404 otherwise.

pub(crate) mod frame;
pub(crate) mod handshake;
pub(crate) mod layer;
pub(crate) mod tls;

use std::collections::HashMap;
use std::net::SocketAddr;
use std::os::fd::{AsRawFd, OwnedFd, RawFd};
use std::sync::{Arc, Weak};

use parking_lot::Mutex;
use rustls::pki_types::ServerName;

use super::address;
use super::sys::{self, SockName};
use super::{Control, IoThread, SocketLink};
use crate::error::{Errno, ZResult};
use crate::options::Options;

/// A context's ports by bound address and security (ws/wss), weakly: a port lives as
/// long as its listener does.
type PortMap = Mutex<HashMap<(SocketAddr, bool), Weak<Port>>>;

/// Splits `host:port/path` into `host:port` and the path (`/` when there is none).
pub(crate) fn split_path(address: &str) -> (&str, &str) {
    match address.find('/') {
        Some(i) => (&address[..i], &address[i..]),
        None => (address, "/"),
    }
}

/// What a connect session needs to upgrade its connections.
#[derive(Debug)]
pub(crate) struct WsConnect {
    /// `host:port` to connect to (and to name in the Host header).
    pub(crate) host_port: String,
    pub(crate) path: String,
    /// wss: the TLS configuration and the name the server's certificate must carry.
    pub(crate) tls: Option<(Arc<rustls::ClientConfig>, ServerName<'static>)>,
}

impl WsConnect {
    /// The settings for connecting to `address` (`host:port[/path]`); EINVAL for wss
    /// settings that cannot be used.
    pub(crate) fn new(secure: bool, address: &str, options: &Options) -> ZResult<WsConnect> {
        let (host_port, path) = split_path(address);
        let (host, _) = crate::endpoint::split_host_port(host_port)?;
        let tls = if secure {
            Some(tls::client_config(options, host)?)
        } else {
            None
        };
        Ok(WsConnect {
            host_port: host_port.to_string(),
            path: path.to_string(),
            tls,
        })
    }
}

/// One bound path of a port.
pub(crate) struct Route {
    pub(crate) path: String,
    /// The endpoint as bound, for ZMQ_LAST_ENDPOINT and monitor events.
    pub(crate) endpoint: String,
    pub(crate) endpoint_id: u64,
    pub(crate) link: SocketLink,
}

struct Routes {
    routes: Vec<Route>,
    /// The listener closed (its last route went): binds must make a new one.
    closed: bool,
}

/// A listening ws or wss port of a context, with the paths bound on it.
pub(crate) struct Port {
    /// Names the port's connections while they upgrade (the loop's socket 0).
    pub(crate) id: u64,
    key: (SocketAddr, bool),
    /// `ws://ip:port` as bound.
    base: String,
    fd: RawFd,
    pub(crate) secure: bool,
    pub(crate) tls: Option<Arc<rustls::ServerConfig>>,
    /// The certificate and key PEM the port was made with (wss binds must match).
    identity: (Vec<u8>, Vec<u8>),
    routes: Mutex<Routes>,
    /// The I/O thread running the listener.
    io: Weak<IoThread>,
    registry: Weak<PortMap>,
}

impl Port {
    pub(crate) fn raw_fd(&self) -> RawFd {
        self.fd
    }

    /// The route for a request to `path` (see the module's doc).
    pub(crate) fn route(&self, path: &str) -> Option<(SocketLink, u64, String)> {
        let r = self.routes.lock();
        let found = r
            .routes
            .iter()
            .find(|x| x.path == path)
            .or_else(|| (r.routes.len() == 1).then(|| &r.routes[0]))?;
        Some((
            found.link.clone(),
            found.endpoint_id,
            found.endpoint.clone(),
        ))
    }

    /// The port's only route, if it has exactly one: a connection that fails before
    /// naming its path is reported to that socket, as libzmq's one-socket listener does.
    pub(crate) fn sole_route(&self) -> Option<(SocketLink, u64, String)> {
        let r = self.routes.lock();
        match r.routes.as_slice() {
            [only] => Some((only.link.clone(), only.endpoint_id, only.endpoint.clone())),
            _ => None,
        }
    }

    /// A link for connections still upgrading: the first route's socket settings,
    /// under socket 0 (they belong to no socket yet). None when no route is left.
    pub(crate) fn upgrade_link(&self) -> Option<SocketLink> {
        let r = self.routes.lock();
        let mut link = r.routes.first()?.link.clone();
        link.socket_id = 0;
        Some(link)
    }

    /// Removes the routes of a socket (one endpoint, or all): each is returned to
    /// report its closing. When none is left the port closes (true).
    pub(crate) fn remove(&self, socket_id: u64, endpoint_id: Option<u64>) -> (Vec<Route>, bool) {
        let mut r = self.routes.lock();
        let (gone, kept): (Vec<Route>, Vec<Route>) =
            std::mem::take(&mut r.routes).into_iter().partition(|x| {
                x.link.socket_id == socket_id && endpoint_id.is_none_or(|id| id == x.endpoint_id)
            });
        r.routes = kept;
        if r.routes.is_empty() && !r.closed {
            r.closed = true;
            drop(r);
            if let Some(reg) = self.registry.upgrade() {
                let mut map = reg.lock();
                if map
                    .get(&self.key)
                    .is_some_and(|w| std::ptr::eq(w.as_ptr(), self))
                {
                    map.remove(&self.key);
                }
            }
            return (gone, true);
        }
        (gone, false)
    }
}

/// A context's ws and wss ports, by bound address.
#[derive(Default)]
pub(crate) struct WsPorts {
    map: Arc<PortMap>,
    next_id: std::sync::atomic::AtomicU64,
}

/// A successful ws bind.
pub(crate) struct WsBound {
    pub(crate) endpoint: String,
    pub(crate) fd: RawFd,
    /// The I/O thread serving the port (the socket sends it the endpoint's commands).
    pub(crate) io: Arc<IoThread>,
}

impl WsPorts {
    /// Binds `name` (`host:port[/path]`) for the socket of `link`: a path on a port
    /// already listening, or a new listener run by `io`.
    pub(crate) fn bind(
        &self,
        secure: bool,
        name: &str,
        link: SocketLink,
        endpoint_id: u64,
        io: Arc<IoThread>,
    ) -> ZResult<WsBound> {
        let o = link.options.clone();
        let (host_port, path) = split_path(name);
        let tls = if secure {
            Some(tls::server_config(&o)?)
        } else {
            None
        };
        let identity = (o.wss_cert_pem.clone(), o.wss_key_pem.clone());
        let fd = if o.use_fd >= 0 {
            None
        } else {
            let local = address::resolve_tcp_bind(host_port, o.ipv6)?;
            let mut map = self.map.lock();
            let existing = (local.port() != 0)
                .then(|| map.get(&(local, secure)).and_then(Weak::upgrade))
                .flatten();
            if let Some((port, port_io)) = existing.and_then(|p| p.io.upgrade().map(|t| (p, t))) {
                let mut r = port.routes.lock();
                if !r.closed {
                    if r.routes.iter().any(|x| x.path == path)
                        || (secure && port.identity != identity)
                    {
                        return Err(Errno(libc::EADDRINUSE));
                    }
                    let endpoint = format!("{}{}", port.base, path);
                    r.routes.push(Route {
                        path: path.to_string(),
                        endpoint: endpoint.clone(),
                        endpoint_id,
                        link,
                    });
                    return Ok(WsBound {
                        endpoint,
                        fd: port.fd,
                        io: port_io,
                    });
                }
                drop(r);
                map.remove(&(local, secure));
            }
            drop(map);
            Some(
                sys::tcp_listen(&local, &o)
                    .map_err(|e| Errno(e.raw_os_error().unwrap_or(libc::EINVAL)))?,
            )
        };
        let fd: OwnedFd = match fd {
            Some(fd) => fd,
            None => sys::adopt_listener(o.use_fd)
                .map_err(|e| Errno(e.raw_os_error().unwrap_or(libc::EINVAL)))?,
        };
        let bound = match sys::sock_name(fd.as_raw_fd(), false) {
            Some(SockName::Inet(a)) => a,
            _ => return Err(Errno::EINVAL),
        };
        let scheme = if secure { "wss://" } else { "ws://" };
        let base = format!(
            "{scheme}{}",
            address::tcp_endpoint(&bound).trim_start_matches("tcp://")
        );
        let endpoint = format!("{base}{path}");
        let id = self
            .next_id
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed)
            + 1;
        let port = Arc::new(Port {
            id,
            key: (bound, secure),
            base,
            fd: fd.as_raw_fd(),
            secure,
            tls,
            identity,
            routes: Mutex::new(Routes {
                routes: vec![Route {
                    path: path.to_string(),
                    endpoint: endpoint.clone(),
                    endpoint_id,
                    link,
                }],
                closed: false,
            }),
            io: Arc::downgrade(&io),
            registry: Arc::downgrade(&self.map),
        });
        if o.use_fd < 0 {
            self.map
                .lock()
                .insert((bound, secure), Arc::downgrade(&port));
        }
        let raw = fd.as_raw_fd();
        io.send(Control::ListenWs { port, fd });
        Ok(WsBound {
            endpoint,
            fd: raw,
            io,
        })
    }
}

/// For the fuzz targets: decodes `data` as WebSocket frames arriving at a server or a
/// client, `step` bytes at a time into a small buffer.
pub(crate) fn fuzz_ws_decode(
    data: &[u8],
    server: bool,
    maxmsgsize: i64,
    step: usize,
) -> Option<Vec<u8>> {
    let role = if server {
        frame::Role::Server
    } else {
        frame::Role::Client
    };
    let mut inbound = frame::Inbound::new(role, maxmsgsize);
    inbound.keepalive = true;
    let mut out = Vec::new();
    let mut buf = [0u8; 61];
    for chunk in data.chunks(step.max(1)) {
        let mut pos = 0;
        loop {
            let (used, made) = inbound.decode(&chunk[pos..], &mut buf).ok()?;
            out.extend_from_slice(&buf[..made]);
            pos += used;
            if (pos == chunk.len() && made < buf.len()) || (used == 0 && made == 0) {
                break;
            }
        }
        while inbound.take_control().is_some() {}
    }
    Some(out)
}

/// For the fuzz targets: `data` as an upgrade request and as an upgrade answer.
pub(crate) fn fuzz_ws_upgrade(data: &[u8]) -> bool {
    let server = handshake::ServerHandshake::default().receive(data);
    let offered = handshake::Subprotocol::offered(crate::abi::ZMQ_NULL);
    let client = handshake::ClientHandshake::new("h:1", "/", offered, [0; 16]).receive(data);
    matches!(server, Ok(Some(_))) || matches!(client, Ok(Some(_)))
}

#[cfg(test)]
mod tests;
