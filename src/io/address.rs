//! Resolving tcp and ipc endpoint addresses, and formatting resolved endpoints the way
//! libzmq reports them in ZMQ_LAST_ENDPOINT and monitor events.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr, ToSocketAddrs};
use std::path::PathBuf;

use crate::endpoint::split_host_port;
use crate::error::{Errno, ZResult};

/// An ipc address: a filesystem path or a Linux abstract name.
#[derive(Clone, Debug)]
pub enum IpcAddr {
    Path(PathBuf),
    Abstract(Vec<u8>),
}

impl IpcAddr {
    /// Parses an ipc address (`path`, `@name`); `*` is resolved by the caller.
    pub fn parse(address: &str) -> ZResult<IpcAddr> {
        if let Some(name) = address.strip_prefix('@') {
            return Ok(IpcAddr::Abstract(name.as_bytes().to_vec()));
        }
        // sun_path holds 108 bytes including the NUL.
        if address.len() > 107 {
            return Err(Errno(libc::ENAMETOOLONG));
        }
        Ok(IpcAddr::Path(PathBuf::from(address)))
    }

    pub fn to_std(&self) -> std::io::Result<std::os::unix::net::SocketAddr> {
        use std::os::linux::net::SocketAddrExt;
        match self {
            IpcAddr::Path(p) => std::os::unix::net::SocketAddr::from_pathname(p),
            IpcAddr::Abstract(name) => std::os::unix::net::SocketAddr::from_abstract_name(name),
        }
    }

    /// The endpoint string, as libzmq prints it.
    pub fn endpoint(&self) -> String {
        match self {
            IpcAddr::Path(p) => format!("ipc://{}", p.display()),
            IpcAddr::Abstract(name) => format!("ipc://@{}", String::from_utf8_lossy(name)),
        }
    }
}

/// A fresh path for `ipc://*`: a new private directory holding a socket file.
pub fn wildcard_ipc_path() -> ZResult<PathBuf> {
    let mut template = std::env::temp_dir()
        .join("tmpXXXXXX")
        .into_os_string()
        .into_encoded_bytes();
    template.push(0);
    // SAFETY: mkdtemp rewrites the X's of a NUL-terminated template we own.
    let dir = unsafe { libc::mkdtemp(template.as_mut_ptr().cast()) };
    if dir.is_null() {
        return Err(Errno(
            std::io::Error::last_os_error()
                .raw_os_error()
                .unwrap_or(libc::EINVAL),
        ));
    }
    template.pop();
    let dir = PathBuf::from(std::ffi::OsString::from_vec_bytes(template));
    Ok(dir.join("socket"))
}

trait FromVecBytes {
    fn from_vec_bytes(bytes: Vec<u8>) -> Self;
}

impl FromVecBytes for std::ffi::OsString {
    fn from_vec_bytes(bytes: Vec<u8>) -> Self {
        use std::os::unix::ffi::OsStringExt;
        std::ffi::OsString::from_vec(bytes)
    }
}

/// The endpoint string of a tcp address.
pub fn tcp_endpoint(addr: &SocketAddr) -> String {
    match addr {
        SocketAddr::V4(a) => format!("tcp://{}:{}", a.ip(), a.port()),
        SocketAddr::V6(a) => format!("tcp://[{}]:{}", a.ip(), a.port()),
    }
}

fn strip_brackets(host: &str) -> &str {
    host.strip_prefix('[')
        .and_then(|h| h.strip_suffix(']'))
        .unwrap_or(host)
}

/// Parses an IP literal, dropping an IPv6 zone suffix (`%eth0`) it cannot represent.
fn ip_literal(host: &str) -> Option<IpAddr> {
    let host = strip_brackets(host);
    let host = host.split('%').next().unwrap_or(host);
    host.parse().ok()
}

fn resolve_name(host: &str, port: u16, ipv6: bool) -> ZResult<SocketAddr> {
    let addrs = (strip_brackets(host), port)
        .to_socket_addrs()
        .map_err(|_| Errno::EINVAL)?;
    let all: Vec<SocketAddr> = addrs.collect();
    all.iter()
        .find(|a| a.is_ipv4())
        .or_else(|| all.iter().find(|a| ipv6 && a.is_ipv6()))
        .copied()
        .ok_or(Errno::EINVAL)
}

/// Resolves the local address of a tcp bind: `*`, an IP literal, an interface name or
/// a host name, with an optional port (`*`/0: any).
pub fn resolve_tcp_bind(address: &str, ipv6: bool) -> ZResult<SocketAddr> {
    let (host, port) = split_host_port(address)?;
    let port = port.unwrap_or(0);
    let ip = if host == "*" {
        if ipv6 {
            IpAddr::V6(Ipv6Addr::UNSPECIFIED)
        } else {
            IpAddr::V4(Ipv4Addr::UNSPECIFIED)
        }
    } else if let Some(ip) = ip_literal(host) {
        if ip.is_ipv6() && !ipv6 {
            return Err(Errno(libc::ENODEV));
        }
        ip
    } else if let Some(ip) = super::sys::interface_address(host, ipv6) {
        ip
    } else {
        return resolve_name(host, port, ipv6).map_err(|_| Errno(libc::ENODEV));
    };
    Ok(SocketAddr::new(ip, port))
}

/// Resolves a tcp connect address `[source;]host:port` (may block on DNS).
pub fn resolve_tcp_connect(address: &str, ipv6: bool) -> ZResult<(Option<SocketAddr>, SocketAddr)> {
    let (source, target) = match address.split_once(';') {
        Some((s, t)) => (Some(s), t),
        None => (None, address),
    };
    let (host, port) = split_host_port(target)?;
    let port = port.ok_or(Errno::EINVAL)?;
    let remote = match ip_literal(host) {
        Some(ip) if ip.is_ipv6() && !ipv6 => return Err(Errno::EINVAL),
        Some(ip) => SocketAddr::new(ip, port),
        None => resolve_name(host, port, ipv6)?,
    };
    let source = match source {
        Some(s) => Some(resolve_tcp_bind(s, ipv6 || remote.is_ipv6())?),
        None => None,
    };
    Ok((source, remote))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn binds_resolve() {
        assert_eq!(
            resolve_tcp_bind("*:5555", false).unwrap().to_string(),
            "0.0.0.0:5555"
        );
        assert_eq!(resolve_tcp_bind("127.0.0.1:*", false).unwrap().port(), 0);
        assert_eq!(
            resolve_tcp_bind("[::1]:1", true).unwrap().to_string(),
            "[::1]:1"
        );
        assert_eq!(
            resolve_tcp_bind("lo:7", false).unwrap().to_string(),
            "127.0.0.1:7"
        );
        assert!(resolve_tcp_bind("[::1]:1", false).is_err());
    }

    #[test]
    fn connects_resolve() {
        let (src, dst) = resolve_tcp_connect("127.0.0.1:1;127.0.0.1:2", false).unwrap();
        assert_eq!(src.unwrap().port(), 1);
        assert_eq!(dst.port(), 2);
        assert!(resolve_tcp_connect("127.0.0.1:*", false).is_err());
        assert_eq!(
            resolve_tcp_connect("localhost:9", false).unwrap().1.port(),
            9
        );
    }

    #[test]
    fn endpoints_print_as_libzmq() {
        assert_eq!(
            tcp_endpoint(&"127.0.0.1:5".parse().unwrap()),
            "tcp://127.0.0.1:5"
        );
        assert_eq!(tcp_endpoint(&"[::1]:5".parse().unwrap()), "tcp://[::1]:5");
        assert_eq!(IpcAddr::parse("@x").unwrap().endpoint(), "ipc://@x");
    }
}
