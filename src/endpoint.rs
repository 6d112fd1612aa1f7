//! Endpoint strings: `transport://address`.

use crate::error::{Errno, ZResult};

/// The transports libzmq names.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Transport {
    Inproc,
    Tcp,
    Ipc,
    Pgm,
    Epgm,
    Tipc,
    Vmci,
    Norm,
    Udp,
    Ws,
    Wss,
}

/// Splits an endpoint into transport and address. EINVAL for a malformed string,
/// EPROTONOSUPPORT for an unknown transport.
pub fn parse(endpoint: &str) -> ZResult<(Transport, &str)> {
    let (scheme, address) = endpoint.split_once("://").ok_or(Errno::EINVAL)?;
    if scheme.is_empty() || address.is_empty() {
        return Err(Errno::EINVAL);
    }
    let transport = match scheme {
        "inproc" => Transport::Inproc,
        "tcp" => Transport::Tcp,
        "ipc" => Transport::Ipc,
        "pgm" => Transport::Pgm,
        "epgm" => Transport::Epgm,
        "tipc" => Transport::Tipc,
        "vmci" => Transport::Vmci,
        "norm" => Transport::Norm,
        "udp" => Transport::Udp,
        "ws" => Transport::Ws,
        "wss" => Transport::Wss,
        _ => return Err(Errno::EPROTONOSUPPORT),
    };
    if transport == Transport::Tcp {
        check_tcp_address(address)?;
    }
    if matches!(transport, Transport::Ws | Transport::Wss) {
        split_host_port(ws_host_port(address))?;
    }
    // An abstract ipc name must have at least one character.
    if transport == Transport::Ipc && address == "@" {
        return Err(Errno::EINVAL);
    }
    Ok((transport, address))
}

/// `parse` for `zmq_connect`, which also refuses what cannot be connected to, with
/// libzmq's rule for tcp: the host starts with a letter, digit, `[` or `:` (so `*` is
/// refused) and the port is a number.
pub fn parse_connect(endpoint: &str) -> ZResult<(Transport, &str)> {
    let (transport, address) = parse(endpoint)?;
    if matches!(transport, Transport::Ws | Transport::Wss) {
        // A host to reach and a port number, as for tcp.
        let (host, port) = split_host_port(ws_host_port(address))?;
        if host == "*" || port.is_none() {
            return Err(Errno::EINVAL);
        }
    }
    if transport == Transport::Tcp {
        let allowed = |b: u8| b.is_ascii_alphanumeric() || b".-:%;[]_*".contains(&b);
        let first = address.as_bytes()[0];
        let shape = (first.is_ascii_alphanumeric() || first == b'[' || first == b':')
            && address.bytes().all(allowed);
        let numeric_port = address
            .rsplit_once(':')
            .is_some_and(|(_, port)| port.bytes().next().is_some_and(|b| b.is_ascii_digit()));
        if !shape || !numeric_port {
            return Err(Errno::EINVAL);
        }
    }
    Ok((transport, address))
}

/// The `host:port` of a ws address `host:port[/path]`.
fn ws_host_port(address: &str) -> &str {
    address.find('/').map_or(address, |i| &address[..i])
}

/// Checks the shape of a tcp address: `[source;]host:port`, with a port that is a number
/// or `*` (libzmq rejects the rest with EINVAL before resolving anything).
fn check_tcp_address(address: &str) -> ZResult<()> {
    let target = match address.split_once(';') {
        Some((source, target)) => {
            split_host_port(source)?;
            target
        }
        None => address,
    };
    split_host_port(target).map(|_| ())
}

/// Splits `host:port` (host may be `[ipv6]`); the port is a number or `*`.
pub fn split_host_port(address: &str) -> ZResult<(&str, Option<u16>)> {
    let (host, port) = address.rsplit_once(':').ok_or(Errno::EINVAL)?;
    if host.is_empty() {
        return Err(Errno::EINVAL);
    }
    let port = match port {
        "*" | "0" => None,
        p if !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()) => {
            Some(p.parse::<u16>().map_err(|_| Errno::EINVAL)?)
        }
        _ => return Err(Errno::EINVAL),
    };
    Ok((host, port))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_rejects() {
        assert_eq!(parse("inproc://a").unwrap(), (Transport::Inproc, "a"));
        assert_eq!(parse("inproc://"), Err(Errno::EINVAL));
        assert_eq!(parse("nonsense"), Err(Errno::EINVAL));
        assert_eq!(parse("foo://bar"), Err(Errno::EPROTONOSUPPORT));
        assert_eq!(parse("tcp://127.0.0.1"), Err(Errno::EINVAL));
        assert_eq!(parse("tcp://127.0.0.1:"), Err(Errno::EINVAL));
        assert_eq!(parse("tcp://*:abc"), Err(Errno::EINVAL));
        assert!(parse("tcp://*:*").is_ok());
        assert!(parse("tcp://[::1]:5555").is_ok());
        assert!(parse("tcp://10.0.0.1:1;127.0.0.1:2").is_ok());
        assert_eq!(parse("ipc://@"), Err(Errno::EINVAL));
        assert!(parse("ipc://@a").is_ok());
    }

    #[test]
    fn connect_refuses_wildcards_as_libzmq_does() {
        for bad in [
            "tcp://*:5555",
            "tcp://127.0.0.1:*",
            "tcp://*:*",
            "tcp://*:0;127.0.0.1:5",
        ] {
            assert_eq!(parse_connect(bad), Err(Errno::EINVAL), "{bad}");
        }
        for good in [
            "tcp://127.0.0.1:0",
            "tcp://localhost:5555",
            "tcp://127.0.0.1:*;127.0.0.1:5555",
            "tcp://[::1]:5555",
            "tcp://eth0:5555",
        ] {
            assert!(parse_connect(good).is_ok(), "{good}");
        }
    }
}
