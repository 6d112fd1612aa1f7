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
    if scheme.is_empty() || address.is_empty() {
        return Err(Errno::EINVAL);
    }
    Ok((transport, address))
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
    }
}
