//! Raw socket calls the standard library does not offer: creating tcp and ipc sockets
//! with libzmq's options applied before bind/connect (backlog, TOS, buffers, keepalive,
//! device binding, source address), accepting, reading socket errors and names, and
//! reads and writes that never raise SIGPIPE (`MSG_NOSIGNAL` on every send: a peer that
//! vanished must never kill the host process).

use std::io;
use std::mem::size_of;
use std::net::SocketAddr;
use std::os::fd::{FromRawFd, OwnedFd, RawFd};

use crate::options::Options;

fn cvt(rc: libc::c_int) -> io::Result<libc::c_int> {
    if rc < 0 {
        Err(io::Error::last_os_error())
    } else {
        Ok(rc)
    }
}

/// A sockaddr for `addr`, with its length.
pub(crate) fn sockaddr(addr: &SocketAddr) -> (libc::sockaddr_storage, libc::socklen_t) {
    // SAFETY: sockaddr_storage is plain data; all-zero is a valid value.
    let mut storage: libc::sockaddr_storage = unsafe { std::mem::zeroed() };
    let len = match addr {
        SocketAddr::V4(v4) => {
            let sin = libc::sockaddr_in {
                sin_family: libc::AF_INET as libc::sa_family_t,
                sin_port: v4.port().to_be(),
                sin_addr: libc::in_addr {
                    s_addr: u32::from_ne_bytes(v4.ip().octets()),
                },
                sin_zero: [0; 8],
            };
            // SAFETY: sockaddr_storage is large and aligned enough for any sockaddr.
            unsafe { std::ptr::write(&mut storage as *mut _ as *mut libc::sockaddr_in, sin) };
            size_of::<libc::sockaddr_in>()
        }
        SocketAddr::V6(v6) => {
            let sin6 = libc::sockaddr_in6 {
                sin6_family: libc::AF_INET6 as libc::sa_family_t,
                sin6_port: v6.port().to_be(),
                sin6_flowinfo: v6.flowinfo(),
                sin6_addr: libc::in6_addr {
                    s6_addr: v6.ip().octets(),
                },
                sin6_scope_id: v6.scope_id(),
            };
            // SAFETY: as above.
            unsafe { std::ptr::write(&mut storage as *mut _ as *mut libc::sockaddr_in6, sin6) };
            size_of::<libc::sockaddr_in6>()
        }
    };
    (storage, len as libc::socklen_t)
}

fn set_int(fd: RawFd, level: libc::c_int, name: libc::c_int, value: libc::c_int) -> io::Result<()> {
    // SAFETY: passing a pointer to a live c_int and its size.
    cvt(unsafe {
        libc::setsockopt(
            fd,
            level,
            name,
            (&value as *const libc::c_int).cast(),
            size_of::<libc::c_int>() as libc::socklen_t,
        )
    })
    .map(|_| ())
}

/// Applies the tcp-level socket options libzmq applies to every tcp socket.
pub(crate) fn apply_tcp_options(fd: RawFd, opts: &Options) -> io::Result<()> {
    if opts.sndbuf >= 0 {
        set_int(fd, libc::SOL_SOCKET, libc::SO_SNDBUF, opts.sndbuf)?;
    }
    if opts.rcvbuf >= 0 {
        set_int(fd, libc::SOL_SOCKET, libc::SO_RCVBUF, opts.rcvbuf)?;
    }
    if opts.tos != 0 {
        // Best effort on IPv6 sockets, as libzmq.
        let _ = set_int(fd, libc::IPPROTO_IP, libc::IP_TOS, opts.tos);
        let _ = set_int(fd, libc::IPPROTO_IPV6, libc::IPV6_TCLASS, opts.tos);
    }
    if opts.tcp_keepalive != -1 {
        set_int(fd, libc::SOL_SOCKET, libc::SO_KEEPALIVE, opts.tcp_keepalive)?;
        if opts.tcp_keepalive == 1 {
            if opts.tcp_keepalive_cnt != -1 {
                set_int(
                    fd,
                    libc::IPPROTO_TCP,
                    libc::TCP_KEEPCNT,
                    opts.tcp_keepalive_cnt,
                )?;
            }
            if opts.tcp_keepalive_idle != -1 {
                set_int(
                    fd,
                    libc::IPPROTO_TCP,
                    libc::TCP_KEEPIDLE,
                    opts.tcp_keepalive_idle,
                )?;
            }
            if opts.tcp_keepalive_intvl != -1 {
                set_int(
                    fd,
                    libc::IPPROTO_TCP,
                    libc::TCP_KEEPINTVL,
                    opts.tcp_keepalive_intvl,
                )?;
            }
        }
    }
    if opts.tcp_maxrt > 0 {
        set_int(
            fd,
            libc::IPPROTO_TCP,
            libc::TCP_USER_TIMEOUT,
            opts.tcp_maxrt,
        )?;
    }
    if !opts.bound_device.is_empty() {
        // SAFETY: the device name buffer and its length.
        cvt(unsafe {
            libc::setsockopt(
                fd,
                libc::SOL_SOCKET,
                libc::SO_BINDTODEVICE,
                opts.bound_device.as_ptr().cast(),
                opts.bound_device.len() as libc::socklen_t,
            )
        })?;
    }
    Ok(())
}

/// Turns off Nagle's algorithm: messages are already batched by the engine.
pub(crate) fn set_nodelay(fd: RawFd) {
    let _ = set_int(fd, libc::IPPROTO_TCP, libc::TCP_NODELAY, 1);
}

fn new_socket(addr: &SocketAddr) -> io::Result<OwnedFd> {
    let domain = if addr.is_ipv4() {
        libc::AF_INET
    } else {
        libc::AF_INET6
    };
    // SAFETY: plain syscall; the result is checked.
    let fd = cvt(unsafe {
        libc::socket(
            domain,
            libc::SOCK_STREAM | libc::SOCK_NONBLOCK | libc::SOCK_CLOEXEC,
            0,
        )
    })?;
    // SAFETY: `fd` is a fresh descriptor we own.
    Ok(unsafe { OwnedFd::from_raw_fd(fd) })
}

/// A listening tcp socket bound to `addr` (non-blocking).
pub(crate) fn tcp_listen(addr: &SocketAddr, opts: &Options) -> io::Result<OwnedFd> {
    use std::os::fd::AsRawFd;
    let sock = new_socket(addr)?;
    let fd = sock.as_raw_fd();
    set_int(fd, libc::SOL_SOCKET, libc::SO_REUSEADDR, 1)?;
    if addr.is_ipv6() {
        // Dual-stack, as libzmq binds IPv6 wildcards.
        let _ = set_int(fd, libc::IPPROTO_IPV6, libc::IPV6_V6ONLY, 0);
    }
    apply_tcp_options(fd, opts)?;
    let (sa, len) = sockaddr(addr);
    // SAFETY: a valid sockaddr and its length.
    cvt(unsafe { libc::bind(fd, &sa as *const _ as *const libc::sockaddr, len) })?;
    // SAFETY: plain syscall on our descriptor.
    cvt(unsafe { libc::listen(fd, opts.backlog.max(1)) })?;
    Ok(sock)
}

/// A failed connect start: the error, and the number of the socket made for it (now
/// closed) if one was made.
pub(crate) type ConnectError = (io::Error, Option<RawFd>);

/// Starts a non-blocking tcp connect to `addr`, from `source` if given; the socket
/// and whether the connect is still in progress.
pub(crate) fn tcp_connect(
    addr: &SocketAddr,
    source: Option<&SocketAddr>,
    opts: &Options,
) -> Result<(OwnedFd, bool), ConnectError> {
    use std::os::fd::AsRawFd;
    let sock = new_socket(addr).map_err(|e| (e, None))?;
    let fd = sock.as_raw_fd();
    let prepared = (|| {
        apply_tcp_options(fd, opts)?;
        if let Some(src) = source {
            set_int(fd, libc::SOL_SOCKET, libc::SO_REUSEADDR, 1)?;
            let (sa, len) = sockaddr(src);
            // SAFETY: a valid sockaddr and its length.
            cvt(unsafe { libc::bind(fd, &sa as *const _ as *const libc::sockaddr, len) })?;
        }
        Ok(())
    })();
    if let Err(e) = prepared {
        return Err((e, Some(fd)));
    }
    set_nodelay(fd);
    let (sa, len) = sockaddr(addr);
    // SAFETY: a valid sockaddr and its length.
    let rc = unsafe { libc::connect(fd, &sa as *const _ as *const libc::sockaddr, len) };
    if rc < 0 {
        let err = io::Error::last_os_error();
        if err.raw_os_error() != Some(libc::EINPROGRESS) {
            return Err((err, Some(fd)));
        }
        return Ok((sock, true));
    }
    Ok((sock, false))
}

/// Local interface address by name (`eth0`, `lo`), for binding to an interface.
pub(crate) fn interface_address(name: &str, ipv6: bool) -> Option<std::net::IpAddr> {
    let mut ifaddrs: *mut libc::ifaddrs = std::ptr::null_mut();
    // SAFETY: getifaddrs fills a list we free below.
    if unsafe { libc::getifaddrs(&mut ifaddrs) } != 0 {
        return None;
    }
    let mut found = None;
    let mut cur = ifaddrs;
    while !cur.is_null() {
        // SAFETY: walking the list getifaddrs returned, until its NULL end.
        let ifa = unsafe { &*cur };
        cur = ifa.ifa_next;
        if ifa.ifa_addr.is_null() || ifa.ifa_name.is_null() {
            continue;
        }
        // SAFETY: ifa_name is a NUL-terminated string owned by the list.
        let ifname = unsafe { std::ffi::CStr::from_ptr(ifa.ifa_name) };
        if ifname.to_bytes() != name.as_bytes() {
            continue;
        }
        // SAFETY: ifa_addr points at a sockaddr whose family tells its real type.
        let family = unsafe { (*ifa.ifa_addr).sa_family } as libc::c_int;
        if family == libc::AF_INET {
            // SAFETY: family AF_INET means a sockaddr_in.
            let sin = unsafe { &*(ifa.ifa_addr as *const libc::sockaddr_in) };
            found = Some(std::net::IpAddr::from(sin.sin_addr.s_addr.to_ne_bytes()));
            if !ipv6 {
                break;
            }
        } else if family == libc::AF_INET6 && ipv6 {
            // SAFETY: family AF_INET6 means a sockaddr_in6.
            let sin6 = unsafe { &*(ifa.ifa_addr as *const libc::sockaddr_in6) };
            found = Some(std::net::IpAddr::from(sin6.sin6_addr.s6_addr));
            break;
        }
    }
    // SAFETY: freeing the list getifaddrs allocated.
    unsafe { libc::freeifaddrs(ifaddrs) };
    found
}

/// The (pid, uid, gid) of the process at the other end of a unix socket.
pub(crate) fn peer_credentials(fd: RawFd) -> Option<(i32, u32, u32)> {
    let mut cred = libc::ucred {
        pid: 0,
        uid: 0,
        gid: 0,
    };
    let mut len = size_of::<libc::ucred>() as libc::socklen_t;
    // SAFETY: SO_PEERCRED fills a ucred of the given size.
    let rc = unsafe {
        libc::getsockopt(
            fd,
            libc::SOL_SOCKET,
            libc::SO_PEERCRED,
            (&mut cred as *mut libc::ucred).cast(),
            &mut len,
        )
    };
    (rc == 0).then_some((cred.pid, cred.uid, cred.gid))
}

/// Adopts a listening socket the application created (ZMQ_USE_FD).
pub(crate) fn adopt_listener(fd: RawFd) -> io::Result<OwnedFd> {
    // SAFETY: fcntl on a descriptor number; failure (not open) is reported.
    let flags = cvt(unsafe { libc::fcntl(fd, libc::F_GETFL) })?;
    // SAFETY: as above.
    cvt(unsafe { libc::fcntl(fd, libc::F_SETFL, flags | libc::O_NONBLOCK) })?;
    // SAFETY: ZMQ_USE_FD hands the descriptor to the socket, which now owns it.
    Ok(unsafe { OwnedFd::from_raw_fd(fd) })
}

/// Reads at most `max` bytes from `fd`, appending them to `buf` without zeroing its
/// spare capacity first (large message bodies are read straight into place).
pub(crate) fn read_append(fd: RawFd, buf: &mut Vec<u8>, max: usize) -> io::Result<usize> {
    buf.reserve(max);
    let spare = buf.spare_capacity_mut();
    let len = max.min(spare.len());
    // SAFETY: `spare` is writable memory of at least `len` bytes owned by `buf`.
    let n = unsafe { libc::read(fd, spare.as_mut_ptr().cast(), len) };
    if n < 0 {
        return Err(io::Error::last_os_error());
    }
    let n = n as usize;
    // SAFETY: the kernel initialised the first `n` (<= len) spare bytes.
    unsafe { buf.set_len(buf.len() + n) };
    Ok(n)
}

/// Reads into `buf` (non-blocking socket).
pub(crate) fn recv(fd: RawFd, buf: &mut [u8]) -> io::Result<usize> {
    // SAFETY: `buf` is writable memory of `buf.len()` bytes.
    let n = unsafe { libc::recv(fd, buf.as_mut_ptr().cast(), buf.len(), 0) };
    cvt_size(n)
}

/// One send of `bytes` that never blocks and never raises SIGPIPE.
pub(crate) fn send(fd: RawFd, bytes: &[u8]) -> io::Result<usize> {
    // SAFETY: `bytes` is readable memory of `bytes.len()` bytes.
    let n = unsafe {
        libc::send(
            fd,
            bytes.as_ptr().cast(),
            bytes.len(),
            libc::MSG_NOSIGNAL | libc::MSG_DONTWAIT,
        )
    };
    cvt_size(n)
}

/// One vectored send (`sendmsg`, as `writev` would raise SIGPIPE) that never blocks.
pub(crate) fn send_vectored(fd: RawFd, slices: &[io::IoSlice<'_>]) -> io::Result<usize> {
    // SAFETY: msghdr is plain data; all-zero is valid (no name, no control data).
    let mut hdr: libc::msghdr = unsafe { std::mem::zeroed() };
    // IoSlice is guaranteed ABI-compatible with iovec on Unix.
    hdr.msg_iov = slices.as_ptr() as *mut libc::iovec;
    hdr.msg_iovlen = slices.len() as _;
    // SAFETY: `hdr` points at `slices.len()` valid iovecs that outlive the call.
    let n = unsafe { libc::sendmsg(fd, &hdr, libc::MSG_NOSIGNAL | libc::MSG_DONTWAIT) };
    cvt_size(n)
}

fn cvt_size(n: isize) -> io::Result<usize> {
    if n < 0 {
        Err(io::Error::last_os_error())
    } else {
        Ok(n as usize)
    }
}

/// Accepts one connection from a non-blocking listener; the new socket is
/// non-blocking and close-on-exec.
pub(crate) fn accept(fd: RawFd) -> io::Result<OwnedFd> {
    // SAFETY: NULL address pointers are allowed by accept4; the result is checked.
    let rc = unsafe {
        libc::accept4(
            fd,
            std::ptr::null_mut(),
            std::ptr::null_mut(),
            libc::SOCK_NONBLOCK | libc::SOCK_CLOEXEC,
        )
    };
    let fd = cvt(rc)?;
    // SAFETY: `fd` is a fresh descriptor we own.
    Ok(unsafe { OwnedFd::from_raw_fd(fd) })
}

/// Starts a non-blocking connect of a unix stream socket; the socket and whether the
/// connect is still in progress.
pub(crate) fn ipc_connect(
    addr: &std::os::unix::net::SocketAddr,
) -> Result<(OwnedFd, bool), ConnectError> {
    use std::os::fd::AsRawFd;
    // SAFETY: plain syscall; the result is checked.
    let fd = cvt(unsafe {
        libc::socket(
            libc::AF_UNIX,
            libc::SOCK_STREAM | libc::SOCK_NONBLOCK | libc::SOCK_CLOEXEC,
            0,
        )
    })
    .map_err(|e| (e, None))?;
    // SAFETY: `fd` is a fresh descriptor we own.
    let sock = unsafe { OwnedFd::from_raw_fd(fd) };
    let (sa, len) = unix_sockaddr(addr);
    // SAFETY: a valid sockaddr_un and its length.
    let rc = unsafe {
        libc::connect(
            sock.as_raw_fd(),
            &sa as *const _ as *const libc::sockaddr,
            len,
        )
    };
    if rc < 0 {
        let err = io::Error::last_os_error();
        // EAGAIN (a full backlog) is a failure for unix sockets: retried later.
        if err.raw_os_error() != Some(libc::EINPROGRESS) {
            return Err((err, Some(fd)));
        }
        return Ok((sock, true));
    }
    Ok((sock, false))
}

/// A sockaddr_un for a std unix address (path or abstract name), with its length.
fn unix_sockaddr(addr: &std::os::unix::net::SocketAddr) -> (libc::sockaddr_un, libc::socklen_t) {
    use std::os::linux::net::SocketAddrExt;
    // SAFETY: sockaddr_un is plain data; all-zero is a valid value.
    let mut sun: libc::sockaddr_un = unsafe { std::mem::zeroed() };
    sun.sun_family = libc::AF_UNIX as libc::sa_family_t;
    let base = std::mem::offset_of!(libc::sockaddr_un, sun_path);
    let bytes: Vec<u8> = if let Some(name) = addr.as_abstract_name() {
        let mut v = vec![0u8];
        v.extend_from_slice(name);
        v
    } else if let Some(path) = addr.as_pathname() {
        use std::os::unix::ffi::OsStrExt;
        path.as_os_str().as_bytes().to_vec()
    } else {
        Vec::new()
    };
    let n = bytes.len().min(sun.sun_path.len() - 1);
    for (dst, src) in sun.sun_path.iter_mut().zip(&bytes[..n]) {
        *dst = *src as libc::c_char;
    }
    // Abstract names count exactly; paths include their NUL.
    let len = if addr.as_abstract_name().is_some() {
        base + n
    } else {
        base + n + 1
    };
    (sun, len as libc::socklen_t)
}

/// The pending error of a socket (SO_ERROR), as an io::Error; None when there is none.
pub(crate) fn take_error(fd: RawFd) -> io::Result<Option<io::Error>> {
    let mut err: libc::c_int = 0;
    let mut len = size_of::<libc::c_int>() as libc::socklen_t;
    // SAFETY: SO_ERROR writes one c_int of the given size.
    cvt(unsafe {
        libc::getsockopt(
            fd,
            libc::SOL_SOCKET,
            libc::SO_ERROR,
            (&mut err as *mut libc::c_int).cast(),
            &mut len,
        )
    })?;
    Ok((err != 0).then(|| io::Error::from_raw_os_error(err)))
}

/// A socket's own or its peer's address.
pub(crate) enum SockName {
    Inet(SocketAddr),
    /// A unix socket: its path, `@name` for an abstract one, empty when unnamed.
    Unix(String),
}

/// The local (`peer` false) or remote address of a connected or bound socket.
pub(crate) fn sock_name(fd: RawFd, peer: bool) -> Option<SockName> {
    // SAFETY: sockaddr_storage is plain data; all-zero is a valid value.
    let mut ss: libc::sockaddr_storage = unsafe { std::mem::zeroed() };
    let mut len = size_of::<libc::sockaddr_storage>() as libc::socklen_t;
    let sa = &mut ss as *mut libc::sockaddr_storage as *mut libc::sockaddr;
    // SAFETY: the kernel writes at most `len` bytes into `ss`.
    let rc = unsafe {
        if peer {
            libc::getpeername(fd, sa, &mut len)
        } else {
            libc::getsockname(fd, sa, &mut len)
        }
    };
    if rc != 0 {
        return None;
    }
    match ss.ss_family as libc::c_int {
        libc::AF_INET => {
            // SAFETY: family AF_INET means a sockaddr_in.
            let sin = unsafe { &*(sa as *const libc::sockaddr_in) };
            let ip = std::net::Ipv4Addr::from(sin.sin_addr.s_addr.to_ne_bytes());
            Some(SockName::Inet(SocketAddr::from((
                ip,
                u16::from_be(sin.sin_port),
            ))))
        }
        libc::AF_INET6 => {
            // SAFETY: family AF_INET6 means a sockaddr_in6.
            let sin6 = unsafe { &*(sa as *const libc::sockaddr_in6) };
            let ip = std::net::Ipv6Addr::from(sin6.sin6_addr.s6_addr);
            Some(SockName::Inet(SocketAddr::V6(std::net::SocketAddrV6::new(
                ip,
                u16::from_be(sin6.sin6_port),
                sin6.sin6_flowinfo,
                sin6.sin6_scope_id,
            ))))
        }
        libc::AF_UNIX => {
            // SAFETY: family AF_UNIX means a sockaddr_un.
            let sun = unsafe { &*(sa as *const libc::sockaddr_un) };
            let base = std::mem::offset_of!(libc::sockaddr_un, sun_path);
            let n = (len as usize).saturating_sub(base).min(sun.sun_path.len());
            let raw: Vec<u8> = sun.sun_path[..n].iter().map(|&c| c as u8).collect();
            let name = match raw.first() {
                None => String::new(),
                Some(0) => format!("@{}", String::from_utf8_lossy(&raw[1..])),
                Some(_) => {
                    let end = raw.iter().position(|&b| b == 0).unwrap_or(raw.len());
                    String::from_utf8_lossy(&raw[..end]).into_owned()
                }
            };
            Some(SockName::Unix(name))
        }
        _ => None,
    }
}
