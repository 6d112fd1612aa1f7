//! The udp transport: RADIO and DISH groups over datagrams, and DGRAM's raw datagrams,
//! unicast or multicast (libzmq 4.3's udp engine, on the wire byte for byte).
//!
//! There is no connection, so no session and no ZMTP: a `UdpEndpoint` room of the event
//! loop owns the datagram socket and the I/O thread's end of one pipe to the socket.
//!
//! - RADIO connects (`udp://host:port`, a unicast or multicast destination) and sends:
//!   every message becomes one datagram, `[group length][group][body]`.
//! - DISH binds (`udp://[interface;]address:port`; a multicast address is joined on
//!   the interface) and receives; its JOIN and LEAVE commands stay local (a DISH
//!   filters what arrives itself).
//! - DGRAM binds and does both: a message is the peer's `ip:port` (with a NUL after
//!   it, as libzmq writes it) and the body, in both directions.
//!
//! The datagram socket is made and bound by the socket's thread (`open`), so a bad
//! address or a port in use fails `zmq_bind`/`zmq_connect` itself; libzmq reports
//! those only by not delivering. A datagram the pipe has no room for is dropped, as
//! udp drops what a receiver cannot take.

use std::ffi::CString;
use std::io;
use std::mem::size_of;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr, ToSocketAddrs, UdpSocket};
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd, RawFd};
use std::sync::Arc;

use super::session::Io;
use super::transport;
use super::SocketLink;
use crate::error::{Errno, ZResult};
use crate::msg::{Msg, Properties};
use crate::options::Options;
use crate::pipe::{network_pipe_pair, PipeEnd, PipeEvent, PipeOwner};

/// The largest datagram read (a udp datagram's limit; libzmq reads at most 8 KiB).
const MAX_DATAGRAM: usize = 64 * 1024;
/// Datagrams moved per turn of the event loop at most, each way, so a flood on one
/// endpoint never starves the thread's other rooms; the rest waits for the next turn.
const PER_TURN: usize = 256;

/// What a udp endpoint does.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Role {
    /// RADIO: sends to one destination.
    Send,
    /// DISH: receives.
    Receive,
    /// DGRAM: receives, and sends to the address each message names.
    Raw,
}

/// A resolved udp address, as libzmq reads `[source;]address:port`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct UdpAddr {
    /// Where a sender sends (the destination, or the multicast group).
    pub(crate) target: SocketAddr,
    /// What a receiver binds.
    pub(crate) bind: SocketAddr,
    /// The interface for multicast: its index for IPv6 (0: any), None if unknown.
    pub(crate) ifindex: Option<u32>,
    /// The interface was named (`source;`), so multicast goes out through it.
    pub(crate) has_interface: bool,
}

fn any(v6: bool, port: u16) -> SocketAddr {
    if v6 {
        SocketAddr::new(IpAddr::V6(Ipv6Addr::UNSPECIFIED), port)
    } else {
        SocketAddr::new(IpAddr::V4(Ipv4Addr::UNSPECIFIED), port)
    }
}

/// `host:port`, the host bracketed or not for IPv6.
fn split_host_port(s: &str) -> ZResult<(&str, &str)> {
    let (host, port) = s.rsplit_once(':').ok_or(Errno::EINVAL)?;
    let host = host
        .strip_prefix('[')
        .and_then(|h| h.strip_suffix(']'))
        .unwrap_or(host);
    if host.is_empty() {
        return Err(Errno::EINVAL);
    }
    Ok((host, port))
}

fn interface_index(name: &str) -> Option<u32> {
    let c = CString::new(name).ok()?;
    // SAFETY: a valid NUL-terminated name.
    let idx = unsafe { libc::if_nametoindex(c.as_ptr()) };
    (idx != 0).then_some(idx)
}

/// A local address for binding: `*`, an IP literal or an interface name (no DNS).
fn local_ip(host: &str, ipv6: bool) -> ZResult<IpAddr> {
    if host == "*" {
        return Ok(any(ipv6, 0).ip());
    }
    if let Ok(ip) = host.split('%').next().unwrap_or(host).parse::<IpAddr>() {
        if ip.is_ipv6() && !ipv6 {
            return Err(Errno(libc::ENODEV));
        }
        return Ok(ip);
    }
    super::sys::interface_address(host, ipv6).ok_or(Errno(libc::ENODEV))
}

/// Resolves a udp address for a bind (`bind`) or a connect, as libzmq does.
pub(crate) fn resolve(address: &str, bind: bool, ipv6: bool) -> ZResult<UdpAddr> {
    let (source, target) = match address.rsplit_once(';') {
        Some((s, t)) => (Some(s), t),
        None => (None, address),
    };
    let (host, port) = split_host_port(target)?;
    let port: u16 = match port {
        "*" if bind => 0,
        p => p.parse().map_err(|_| Errno::EINVAL)?,
    };
    let target_ip = if bind {
        local_ip(host, ipv6)?
    } else {
        match host.parse::<IpAddr>() {
            Ok(ip) if ip.is_ipv6() && !ipv6 => return Err(Errno::EINVAL),
            Ok(ip) => ip,
            Err(_) => {
                let all: Vec<SocketAddr> = (host, port)
                    .to_socket_addrs()
                    .map_err(|_| Errno::EINVAL)?
                    .collect();
                all.iter()
                    .find(|a| a.is_ipv4())
                    .or_else(|| all.iter().find(|a| ipv6 && a.is_ipv6()))
                    .ok_or(Errno::EINVAL)?
                    .ip()
            }
        }
    };
    let target = SocketAddr::new(target_ip, port);
    let multicast = target_ip.is_multicast();
    let (bind_addr, ifindex, has_interface) = match source {
        Some(src) => {
            // An interface only makes sense for multicast.
            if !multicast {
                return Err(Errno::EINVAL);
            }
            let ip = local_ip(src, ipv6 || target_ip.is_ipv6())?;
            if ip.is_multicast() {
                return Err(Errno::EINVAL);
            }
            let ifindex = if src == "*" {
                Some(0)
            } else {
                interface_index(src)
            };
            (SocketAddr::new(ip, port), ifindex, true)
        }
        None if multicast || !bind => (any(target_ip.is_ipv6(), port), Some(0), false),
        None => (target, None, false),
    };
    if bind_addr.is_ipv6() != target.is_ipv6() {
        return Err(Errno::EINVAL);
    }
    // IPv6 multicast needs an interface index.
    if target.is_ipv6() && multicast && ifindex.is_none() {
        return Err(Errno(libc::ENODEV));
    }
    Ok(UdpAddr {
        target,
        bind: bind_addr,
        ifindex,
        has_interface,
    })
}

fn errno_of(e: io::Error) -> Errno {
    Errno(e.raw_os_error().unwrap_or(libc::EINVAL))
}

fn set_int(fd: RawFd, level: libc::c_int, name: libc::c_int, value: libc::c_int) -> ZResult<()> {
    // SAFETY: passing a pointer to a live c_int and its size.
    let rc = unsafe {
        libc::setsockopt(
            fd,
            level,
            name,
            (&value as *const libc::c_int).cast(),
            size_of::<libc::c_int>() as libc::socklen_t,
        )
    };
    if rc < 0 {
        return Err(errno_of(io::Error::last_os_error()));
    }
    Ok(())
}

/// A udp socket made for an endpoint, ready for its I/O thread.
pub(crate) struct Opened {
    socket: UdpSocket,
    role: Role,
    /// Where RADIO sends.
    target: SocketAddr,
}

/// Makes the datagram socket of an endpoint: options, bind and multicast membership
/// for receivers, multicast options for senders.
pub(crate) fn open(address: &str, role: Role, options: &Options) -> ZResult<Opened> {
    let bind = role != Role::Send;
    let addr = resolve(address, bind, options.ipv6)?;
    let v6 = addr.target.is_ipv6();
    let family = if v6 { libc::AF_INET6 } else { libc::AF_INET };
    // SAFETY: plain syscall; the result is checked before use.
    let raw = unsafe {
        libc::socket(
            family,
            libc::SOCK_DGRAM | libc::SOCK_NONBLOCK | libc::SOCK_CLOEXEC,
            libc::IPPROTO_UDP,
        )
    };
    if raw < 0 {
        return Err(errno_of(io::Error::last_os_error()));
    }
    // SAFETY: a fresh descriptor we own.
    let fd = unsafe { OwnedFd::from_raw_fd(raw) };
    let socket = UdpSocket::from(fd);
    let s = socket.as_raw_fd();
    if !options.bound_device.is_empty() {
        let dev = &options.bound_device;
        // SAFETY: the device name bytes and their length.
        let rc = unsafe {
            libc::setsockopt(
                s,
                libc::SOL_SOCKET,
                libc::SO_BINDTODEVICE,
                dev.as_ptr().cast(),
                dev.len() as libc::socklen_t,
            )
        };
        if rc < 0 {
            return Err(errno_of(io::Error::last_os_error()));
        }
    }
    let multicast = addr.target.ip().is_multicast();
    if role == Role::Send && multicast {
        match addr.target.ip() {
            IpAddr::V4(_) => {
                socket
                    .set_multicast_loop_v4(options.multicast_loop)
                    .map_err(errno_of)?;
                if options.multicast_hops > 0 {
                    socket
                        .set_multicast_ttl_v4(options.multicast_hops as u32)
                        .map_err(errno_of)?;
                }
                if let IpAddr::V4(local) = addr.bind.ip() {
                    if addr.has_interface && !local.is_unspecified() {
                        let mreq = libc::in_addr {
                            s_addr: u32::from_ne_bytes(local.octets()),
                        };
                        // SAFETY: an in_addr and its size.
                        let rc = unsafe {
                            libc::setsockopt(
                                s,
                                libc::IPPROTO_IP,
                                libc::IP_MULTICAST_IF,
                                (&mreq as *const libc::in_addr).cast(),
                                size_of::<libc::in_addr>() as libc::socklen_t,
                            )
                        };
                        if rc < 0 {
                            return Err(errno_of(io::Error::last_os_error()));
                        }
                    }
                }
            }
            IpAddr::V6(_) => {
                socket
                    .set_multicast_loop_v6(options.multicast_loop)
                    .map_err(errno_of)?;
                if options.multicast_hops > 0 {
                    set_int(
                        s,
                        libc::IPPROTO_IPV6,
                        libc::IPV6_MULTICAST_HOPS,
                        options.multicast_hops,
                    )?;
                }
                if let Some(idx) = addr.ifindex.filter(|&i| i > 0) {
                    set_int(s, libc::IPPROTO_IPV6, libc::IPV6_MULTICAST_IF, idx as i32)?;
                }
            }
        }
    }
    if bind {
        set_int(s, libc::SOL_SOCKET, libc::SO_REUSEADDR, 1)?;
        let local = if multicast {
            // Every receiver of the group gets every datagram.
            set_int(s, libc::SOL_SOCKET, libc::SO_REUSEPORT, 1)?;
            any(v6, addr.bind.port())
        } else {
            addr.bind
        };
        let (storage, len) = super::sys::sockaddr(&local);
        // SAFETY: a sockaddr of `len` bytes.
        let rc = unsafe { libc::bind(s, (&storage as *const libc::sockaddr_storage).cast(), len) };
        if rc < 0 {
            return Err(errno_of(io::Error::last_os_error()));
        }
        if multicast {
            match (addr.target.ip(), addr.bind.ip()) {
                (IpAddr::V4(group), IpAddr::V4(iface)) => {
                    socket.join_multicast_v4(&group, &iface).map_err(errno_of)?
                }
                (IpAddr::V6(group), _) => socket
                    .join_multicast_v6(&group, addr.ifindex.unwrap_or(0))
                    .map_err(errno_of)?,
                _ => return Err(Errno::EINVAL),
            }
        }
    }
    Ok(Opened {
        socket,
        role,
        target: addr.target,
    })
}

/// A pipe for a udp endpoint: the socket's end (which gets every group: see
/// `PipeEnd::subscribe_all`), then the I/O thread's.
pub(crate) fn udp_pipe(options: &Options) -> (PipeEnd, PipeEnd) {
    let hwm = |v: i32| v.max(0) as u64;
    let (mut app, io) = network_pipe_pair(hwm(options.sndhwm), hwm(options.rcvhwm), None);
    app.subscribe_all = true;
    app.send_routing_id(&options.routing_id);
    (app, io)
}

/// `ip:port` as DGRAM's address parts read, with libzmq's trailing NUL.
fn address_part(addr: &SocketAddr) -> Msg {
    let text = match addr {
        SocketAddr::V4(a) => format!("{}:{}\0", a.ip(), a.port()),
        SocketAddr::V6(a) => format!("[{}]:{}\0", a.ip(), a.port()),
    };
    let mut m = Msg::from_slice(text.as_bytes());
    m.set_more(true);
    m
}

/// Parses a DGRAM address part (`ip:port`, a NUL and what follows it ignored); None
/// for anything else, whose message is dropped, as libzmq drops it.
fn parse_address_part(data: &[u8]) -> Option<SocketAddr> {
    let end = data.iter().position(|&b| b == 0).unwrap_or(data.len());
    let text = std::str::from_utf8(&data[..end]).ok()?;
    let (host, port) = split_host_port(text).ok()?;
    let port: u16 = port.parse().ok().filter(|&p| p != 0)?;
    Some(SocketAddr::new(host.parse().ok()?, port))
}

/// The I/O thread's side of a udp endpoint.
pub(crate) struct UdpEndpoint {
    link: SocketLink,
    pub(crate) endpoint_id: u64,
    socket: UdpSocket,
    role: Role,
    target: SocketAddr,
    owner: Arc<dyn PipeOwner>,
    pipe: PipeEnd,
    /// A datagram the socket would not take yet (sends resume when writable).
    blocked: Option<(Vec<u8>, SocketAddr)>,
    /// DGRAM: the address part of the message being read from the pipe.
    address: Option<Option<SocketAddr>>,
    /// DISH: the group of the last datagram, shared by the messages of that group.
    last_group: Option<Properties>,
    done: bool,
    /// The deadline this room has in the loop's timer heap (none ever).
    pub(crate) scheduled: Option<std::time::Instant>,
}

impl UdpEndpoint {
    pub(crate) fn new(
        link: SocketLink,
        endpoint_id: u64,
        opened: Opened,
        pipe: PipeEnd,
        owner: Arc<dyn PipeOwner>,
    ) -> UdpEndpoint {
        UdpEndpoint {
            link,
            endpoint_id,
            socket: opened.socket,
            role: opened.role,
            target: opened.target,
            owner,
            pipe,
            blocked: None,
            address: None,
            last_group: None,
            done: false,
            scheduled: None,
        }
    }

    pub(crate) fn socket_id(&self) -> u64 {
        self.link.socket_id
    }

    pub(crate) fn is_done(&self) -> bool {
        self.done
    }

    /// Joins the event loop and the pipe.
    pub(crate) fn start(&mut self, io: &mut Io<'_>) {
        self.pipe.attach(self.owner.clone());
        self.pipe.send_routing_id(b"");
        if transport::register(io.registry, self.socket.as_raw_fd(), io.token).is_err() {
            self.end(io);
            return;
        }
        self.on_ready(io, true, true);
    }

    pub(crate) fn on_ready(&mut self, io: &mut Io<'_>, readable: bool, writable: bool) {
        if readable && self.role != Role::Send {
            self.receive(io);
        }
        if writable || readable {
            self.send_pending();
        }
    }

    pub(crate) fn on_pipe(&mut self, io: &mut Io<'_>, event: PipeEvent) {
        match event {
            PipeEvent::ReadActivated(_) => self.send_pending(),
            // Also what `receive` posts itself when it stopped at its quota.
            PipeEvent::WriteActivated(_) if self.role != Role::Send => self.receive(io),
            PipeEvent::Terminated(_) => {
                // The socket let go of the pipe: what it sent before goes out.
                self.pipe.peer_gone = true;
                self.send_queued(true);
                self.end(io);
            }
            PipeEvent::WriteActivated(_) | PipeEvent::Hiccup(_) => {}
        }
    }

    /// The socket let go (close, unbind, disconnect): what is queued goes out now
    /// (a datagram is never waited for), then the endpoint ends.
    pub(crate) fn let_go(&mut self, io: &mut Io<'_>) {
        self.send_queued(true);
        self.end(io);
    }

    pub(crate) fn end(&mut self, io: &mut Io<'_>) {
        if self.done {
            return;
        }
        self.done = true;
        transport::deregister(io.registry, self.socket.as_raw_fd());
        self.pipe.terminate();
    }

    /// Reads every datagram waiting, into the pipe.
    fn receive(&mut self, io: &mut Io<'_>) {
        let len = MAX_DATAGRAM.min(io.buf.len());
        let buf = &mut io.buf[..len];
        let mut wrote = false;
        for n in 0.. {
            if n == PER_TURN {
                // More may wait (edge-triggered: no new event comes for them): the
                // next turn goes on.
                self.owner
                    .pipe_event(PipeEvent::WriteActivated(self.pipe.peer_id()));
                break;
            }
            let (n, from) = match self.socket.recv_from(buf) {
                Ok(got) => got,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                // WouldBlock, or an error a datagram socket reports and goes on from.
                Err(_) => break,
            };
            let data = &buf[..n];
            if !self.pipe.check_write() {
                // No room: the datagram is lost, as udp loses it.
                continue;
            }
            match self.role {
                Role::Raw => {
                    self.pipe.write_unflushed(address_part(&from));
                    self.pipe.write_unflushed(Msg::from_slice(data));
                }
                _ => {
                    let Some((&len, rest)) = data.split_first() else {
                        continue;
                    };
                    let len = len as usize;
                    if rest.len() < len {
                        continue;
                    }
                    let group = &rest[..len];
                    let same = self
                        .last_group
                        .as_ref()
                        .is_some_and(|p| p.group().is_some_and(|g| g.to_bytes() == group));
                    if !same {
                        // A group with a NUL byte can match no group joined: dropped.
                        let Ok(group) = CString::new(group) else {
                            continue;
                        };
                        self.last_group = Some(Properties::with_group(None, group));
                    }
                    let mut msg = Msg::from_slice(&rest[len..]);
                    if let Some(p) = &self.last_group {
                        msg.set_properties(p);
                    }
                    self.pipe.write_unflushed(msg);
                }
            }
            wrote = true;
        }
        if wrote {
            self.pipe.flush_writes();
        }
    }

    /// Sends what the pipe holds, until the socket would block (or, unless `all`,
    /// until this turn's quota).
    fn send_pending(&mut self) {
        self.send_queued(false);
    }

    fn send_queued(&mut self, all: bool) {
        if let Some((datagram, to)) = self.blocked.take() {
            if !self.send_one(&datagram, to) {
                self.blocked = Some((datagram, to));
                return;
            }
        }
        let mut datagram = Vec::with_capacity(256);
        let mut sent = 0;
        while let Some(msg) = self.pipe.read() {
            let to = match self.role {
                // A DISH's JOIN and LEAVE stay local.
                Role::Receive => continue,
                Role::Send => {
                    if msg.is_command() {
                        continue;
                    }
                    let group = msg.group().map_or(&[][..], |g| g.to_bytes());
                    datagram.clear();
                    datagram.push(group.len() as u8);
                    datagram.extend_from_slice(group);
                    datagram.extend_from_slice(msg.data());
                    self.target
                }
                Role::Raw => {
                    if msg.more() {
                        self.address = Some(parse_address_part(msg.data()));
                        continue;
                    }
                    match self.address.take() {
                        Some(Some(to)) => {
                            datagram.clear();
                            datagram.extend_from_slice(msg.data());
                            to
                        }
                        // No valid address: dropped.
                        _ => continue,
                    }
                }
            };
            if !self.send_one(&datagram, to) {
                self.blocked = Some((std::mem::take(&mut datagram), to));
                return;
            }
            sent += 1;
            if sent == PER_TURN && !all {
                // The rest on the next turn (a message is always a whole datagram).
                self.owner
                    .pipe_event(PipeEvent::ReadActivated(self.pipe.peer_id()));
                return;
            }
        }
    }

    /// One datagram; false when the socket would block (keep it for later). Other
    /// errors (too large, unreachable) drop it.
    fn send_one(&self, datagram: &[u8], to: SocketAddr) -> bool {
        loop {
            match self.socket.send_to(datagram, to) {
                Ok(_) => return true,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => return false,
                Err(_) => return true,
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_resolve_as_libzmq_reads_them() {
        let a = resolve("127.0.0.1:5555", true, false).unwrap();
        assert_eq!(a.bind.to_string(), "127.0.0.1:5555");
        let a = resolve("127.0.0.1:5555", false, false).unwrap();
        assert_eq!(a.target.to_string(), "127.0.0.1:5555");
        assert!(a.bind.ip().is_unspecified());
        let m = resolve("239.0.0.1:5555", true, false).unwrap();
        assert!(m.bind.ip().is_unspecified() && m.target.ip().is_multicast());
        let m = resolve("127.0.0.1;239.0.0.1:5555", true, false).unwrap();
        assert_eq!(m.bind.to_string(), "127.0.0.1:5555");
        // An interface needs a multicast target; a source cannot be multicast.
        assert_eq!(
            resolve("127.0.0.1;127.0.0.2:5555", true, false),
            Err(Errno::EINVAL)
        );
        assert_eq!(
            resolve("239.0.0.2;239.0.0.1:5555", true, false),
            Err(Errno::EINVAL)
        );
        assert_eq!(resolve("127.0.0.1", true, false), Err(Errno::EINVAL));
        assert_eq!(resolve("127.0.0.1:x", false, false), Err(Errno::EINVAL));
        assert_eq!(resolve("127.0.0.1:*", false, false), Err(Errno::EINVAL));
        assert_eq!(resolve("*:*", true, false).unwrap().bind.port(), 0);
        assert!(resolve("[::1]:5", false, false).is_err());
        assert!(resolve("[::1]:5", false, true).is_ok());
    }

    #[test]
    fn address_parts_round_trip() {
        let a: SocketAddr = "10.1.2.3:4567".parse().unwrap();
        let m = address_part(&a);
        assert_eq!(m.data(), b"10.1.2.3:4567\0");
        assert!(m.more());
        assert_eq!(parse_address_part(m.data()), Some(a));
        assert_eq!(parse_address_part(b"10.1.2.3:4567"), Some(a));
        let v6: SocketAddr = "[::1]:9".parse().unwrap();
        assert_eq!(parse_address_part(address_part(&v6).data()), Some(v6));
        assert_eq!(parse_address_part(b"10.1.2.3:0"), None);
        assert_eq!(parse_address_part(b"nonsense"), None);
    }
}
