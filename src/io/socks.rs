//! SOCKS5 client handshake (RFC 1928, with RFC 1929 username/password) as a sans-I/O
//! state machine: the caller writes [`SocksClient::output`] to the proxy, feeds back what
//! the proxy sends through [`SocksClient::receive`], and once it reports
//! [`Progress::Connected`] the connection carries the target's bytes (starting with the
//! leftover ones).
//!
//! It speaks as libzmq's `socks_connecter` does: the greeting offers exactly one method,
//! username/password when a username is set (ZMQ_SOCKS_USERNAME) and "no authentication"
//! otherwise; a proxy that picks "no authentication" anyway is accepted; the CONNECT
//! request names the target by IPv4 or IPv6 address when the host is a numeric one, else
//! by domain name (resolved by the proxy); any reply other than "succeeded" fails. Input
//! is bounded: nothing is buffered beyond the message being read (a reply is at most
//! 262 octets), and octets a proxy sends before its turn are an error.

use std::fmt;
use std::net::{Ipv4Addr, Ipv6Addr};

const VERSION: u8 = 5;
const AUTH_VERSION: u8 = 1;
const METHOD_NO_AUTH: u8 = 0;
const METHOD_USER_PASS: u8 = 2;
const NO_ACCEPTABLE_METHOD: u8 = 0xff;
const CMD_CONNECT: u8 = 1;
const ATYP_V4: u8 = 1;
const ATYP_DOMAIN: u8 = 3;
const ATYP_V6: u8 = 4;

/// Username and password for RFC 1929 authentication.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Credentials {
    username: Vec<u8>,
    password: Vec<u8>,
}

impl Credentials {
    /// The username takes 1 to 255 octets; the password up to 255 (an empty one is
    /// sent as such, as libzmq does).
    pub(crate) fn new(username: &[u8], password: &[u8]) -> Result<Self, SocksError> {
        if username.is_empty() || username.len() > 255 {
            return Err(SocksError::UsernameLength(username.len()));
        }
        if password.len() > 255 {
            return Err(SocksError::PasswordLength(password.len()));
        }
        Ok(Credentials {
            username: username.to_vec(),
            password: password.to_vec(),
        })
    }

    /// Credentials from the socket options: none when no username is set (libzmq
    /// authenticates only then).
    pub(crate) fn from_options(
        username: &[u8],
        password: &[u8],
    ) -> Result<Option<Self>, SocksError> {
        if username.is_empty() {
            Ok(None)
        } else {
            Credentials::new(username, password).map(Some)
        }
    }
}

/// An address in a SOCKS request or reply.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum SocksAddr {
    V4(Ipv4Addr, u16),
    V6(Ipv6Addr, u16),
    /// A name, as octets (the protocol does not say they are text).
    Domain(Vec<u8>, u16),
}

/// How far the handshake got.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Progress {
    /// More octets from the proxy are needed (and [`SocksClient::output`] may hold
    /// octets to send).
    NeedMore,
    /// The proxy connected to the target. `bound` is the address the proxy reported
    /// for its end; `leftover` are octets that followed the reply: the target's.
    Connected { bound: SocksAddr, leftover: Vec<u8> },
}

/// Why the handshake failed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum SocksError {
    /// The target host is empty or longer than the 255 octets a request can name.
    HostLength(usize),
    /// `host:port` without a colon, or a port that is not 1 to 65535.
    BadTargetAddress,
    UsernameLength(usize),
    PasswordLength(usize),
    /// A message from the proxy did not start with the expected version octet.
    Version {
        step: &'static str,
        got: u8,
    },
    /// The proxy accepts none of the offered authentication methods.
    NoAcceptableMethod,
    /// The proxy picked a method that was not offered (and cannot be spoken).
    UnofferedMethod(u8),
    /// The proxy refused the username and password (RFC 1929 status).
    AuthRejected(u8),
    /// The proxy did not connect to the target (RFC 1928 reply code).
    Refused(u8),
    /// The reply's reserved octet is not zero.
    Reserved(u8),
    /// The reply names an address type RFC 1928 does not define.
    AddressType(u8),
    /// The proxy sent octets before its turn (ahead of our next request).
    UnexpectedData,
    /// The handshake already ended (connected or failed).
    Finished,
}

impl SocksError {
    /// The meaning of an RFC 1928 reply code.
    fn reply_text(code: u8) -> &'static str {
        match code {
            1 => "general SOCKS server failure",
            2 => "connection not allowed by ruleset",
            3 => "network unreachable",
            4 => "host unreachable",
            5 => "connection refused",
            6 => "TTL expired",
            7 => "command not supported",
            8 => "address type not supported",
            _ => "unassigned reply code",
        }
    }
}

impl fmt::Display for SocksError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SocksError::HostLength(n) => write!(f, "target host of {n} octets (1 to 255)"),
            SocksError::BadTargetAddress => write!(f, "target address is not host:port"),
            SocksError::UsernameLength(n) => write!(f, "username of {n} octets (1 to 255)"),
            SocksError::PasswordLength(n) => write!(f, "password of {n} octets (at most 255)"),
            SocksError::Version { step, got } => {
                write!(f, "proxy's {step} has version {got}")
            }
            SocksError::NoAcceptableMethod => {
                write!(
                    f,
                    "proxy accepts none of the offered authentication methods"
                )
            }
            SocksError::UnofferedMethod(m) => {
                write!(
                    f,
                    "proxy chose authentication method {m}, which was not offered"
                )
            }
            SocksError::AuthRejected(s) => {
                write!(f, "proxy rejected the username and password (status {s})")
            }
            SocksError::Refused(code) => write!(
                f,
                "proxy did not connect: {} ({code})",
                SocksError::reply_text(*code)
            ),
            SocksError::Reserved(v) => write!(f, "proxy's reply has reserved octet {v}"),
            SocksError::AddressType(t) => write!(f, "proxy's reply has address type {t}"),
            SocksError::UnexpectedData => write!(f, "proxy sent octets before its turn"),
            SocksError::Finished => write!(f, "the SOCKS handshake is over"),
        }
    }
}

/// Splits a tcp address `host:port` (`[v6]:port` too) the way libzmq's socks connecter
/// does: the last colon separates the port, brackets around the host are removed, and the
/// port must be 1 to 65535.
pub(crate) fn split_target(address: &str) -> Result<(&str, u16), SocksError> {
    let (host, port) = address
        .rsplit_once(':')
        .ok_or(SocksError::BadTargetAddress)?;
    let host = host
        .strip_prefix('[')
        .and_then(|h| h.strip_suffix(']'))
        .unwrap_or(host);
    if port.is_empty() || !port.bytes().all(|b| b.is_ascii_digit()) {
        return Err(SocksError::BadTargetAddress);
    }
    match port.parse::<u16>() {
        Ok(p) if p != 0 => Ok((host, p)),
        _ => Err(SocksError::BadTargetAddress),
    }
}

/// How the CONNECT request names a host: a numeric IPv4 or IPv6 address (an IPv6 zone,
/// `%name`, is not sent) or else a domain name.
fn target_addr(host: &str, port: u16) -> Result<SocksAddr, SocksError> {
    if let Ok(v4) = host.parse::<Ipv4Addr>() {
        return Ok(SocksAddr::V4(v4, port));
    }
    let unzoned = host.split_once('%').map_or(host, |(addr, _)| addr);
    if let Ok(v6) = unzoned.parse::<Ipv6Addr>() {
        return Ok(SocksAddr::V6(v6, port));
    }
    if host.is_empty() || host.len() > 255 {
        return Err(SocksError::HostLength(host.len()));
    }
    Ok(SocksAddr::Domain(host.as_bytes().to_vec(), port))
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum State {
    /// Waiting for the proxy's method choice (2 octets).
    Choice,
    /// Waiting for the RFC 1929 status (2 octets).
    AuthStatus,
    /// Waiting for the CONNECT reply (10 to 262 octets).
    Reply,
    Done,
}

/// The client side of one SOCKS5 handshake.
pub(crate) struct SocksClient {
    state: State,
    target: SocksAddr,
    credentials: Option<Credentials>,
    /// Octets to send; `sent` of them already went.
    out: Vec<u8>,
    sent: usize,
    /// The part of the proxy's current message received so far.
    msg: Vec<u8>,
}

impl SocksClient {
    /// A handshake that will ask the proxy to connect to `target_host:target_port`; the
    /// greeting is ready in [`output`](Self::output) at once.
    pub(crate) fn new(
        target_host: &str,
        target_port: u16,
        credentials: Option<Credentials>,
    ) -> Result<Self, SocksError> {
        let target = target_addr(target_host, target_port)?;
        let method = if credentials.is_some() {
            METHOD_USER_PASS
        } else {
            METHOD_NO_AUTH
        };
        Ok(SocksClient {
            state: State::Choice,
            target,
            credentials,
            out: vec![VERSION, 1, method],
            sent: 0,
            msg: Vec::with_capacity(262),
        })
    }

    /// Octets to write to the proxy now (empty when there are none).
    pub(crate) fn output(&self) -> &[u8] {
        &self.out[self.sent..]
    }

    /// Records that the first `n` octets of [`output`](Self::output) were written.
    pub(crate) fn consume_output(&mut self, n: usize) {
        self.sent = (self.sent + n).min(self.out.len());
        if self.sent == self.out.len() {
            self.out.clear();
            self.sent = 0;
        }
    }

    /// Takes octets the proxy sent.
    pub(crate) fn receive(&mut self, mut bytes: &[u8]) -> Result<Progress, SocksError> {
        loop {
            let need = self.needed().ok_or(SocksError::Finished)?;
            let take = need.saturating_sub(self.msg.len()).min(bytes.len());
            self.msg.extend_from_slice(&bytes[..take]);
            bytes = &bytes[take..];
            // Each octet is checked as soon as it is there, so garbage fails early.
            if let Err(e) = self.check_prefix() {
                self.state = State::Done;
                return Err(e);
            }
            // A reply's length is known only once its address type (and a domain's
            // length octet) arrived: the message may still grow.
            if self.msg.len() < self.needed().unwrap_or(0) {
                if bytes.is_empty() {
                    return Ok(Progress::NeedMore);
                }
                continue;
            }
            match self.complete() {
                Ok(Some(bound)) => {
                    self.state = State::Done;
                    return Ok(Progress::Connected {
                        bound,
                        leftover: bytes.to_vec(),
                    });
                }
                // The proxy must wait for our next request before it speaks again.
                Ok(None) if !bytes.is_empty() => {
                    self.state = State::Done;
                    return Err(SocksError::UnexpectedData);
                }
                Ok(None) => return Ok(Progress::NeedMore),
                Err(e) => {
                    self.state = State::Done;
                    return Err(e);
                }
            }
        }
    }

    /// The length of the message being read, as far as it is known yet.
    fn needed(&self) -> Option<usize> {
        match self.state {
            State::Choice | State::AuthStatus => Some(2),
            State::Reply => Some(match self.msg.get(3) {
                None => 4,
                Some(&ATYP_V4) => 4 + 4 + 2,
                Some(&ATYP_V6) => 4 + 16 + 2,
                // Known once the domain's length octet is in.
                Some(_) => match self.msg.get(4) {
                    None => 5,
                    Some(&len) => 5 + len as usize + 2,
                },
            }),
            State::Done => None,
        }
    }

    /// Validates the octets of the current message received so far.
    fn check_prefix(&self) -> Result<(), SocksError> {
        let m = &self.msg;
        match self.state {
            State::Choice => match m.first() {
                Some(&v) if v != VERSION => Err(SocksError::Version {
                    step: "method choice",
                    got: v,
                }),
                _ => Ok(()),
            },
            State::AuthStatus => match m.first() {
                Some(&v) if v != AUTH_VERSION => Err(SocksError::Version {
                    step: "authentication status",
                    got: v,
                }),
                _ => Ok(()),
            },
            State::Reply => {
                if let Some(&v) = m.first() {
                    if v != VERSION {
                        return Err(SocksError::Version {
                            step: "reply",
                            got: v,
                        });
                    }
                }
                if let Some(&code) = m.get(1) {
                    if code != 0 {
                        return Err(SocksError::Refused(code));
                    }
                }
                if let Some(&rsv) = m.get(2) {
                    if rsv != 0 {
                        return Err(SocksError::Reserved(rsv));
                    }
                }
                match m.get(3) {
                    Some(&t) if t != ATYP_V4 && t != ATYP_V6 && t != ATYP_DOMAIN => {
                        Err(SocksError::AddressType(t))
                    }
                    _ => Ok(()),
                }
            }
            State::Done => Err(SocksError::Finished),
        }
    }

    /// Acts on a complete message: the next request goes out, or (the reply) the bound
    /// address is returned.
    fn complete(&mut self) -> Result<Option<SocksAddr>, SocksError> {
        let msg = std::mem::take(&mut self.msg);
        match self.state {
            State::Choice => match (msg[1], &self.credentials) {
                (METHOD_NO_AUTH, _) => {
                    self.queue_connect();
                    Ok(None)
                }
                (METHOD_USER_PASS, Some(c)) => {
                    let mut req = Vec::with_capacity(3 + c.username.len() + c.password.len());
                    req.push(AUTH_VERSION);
                    req.push(c.username.len() as u8);
                    req.extend_from_slice(&c.username);
                    req.push(c.password.len() as u8);
                    req.extend_from_slice(&c.password);
                    self.out.extend_from_slice(&req);
                    self.state = State::AuthStatus;
                    Ok(None)
                }
                (NO_ACCEPTABLE_METHOD, _) => Err(SocksError::NoAcceptableMethod),
                (m, _) => Err(SocksError::UnofferedMethod(m)),
            },
            State::AuthStatus => {
                if msg[1] != 0 {
                    return Err(SocksError::AuthRejected(msg[1]));
                }
                self.queue_connect();
                Ok(None)
            }
            State::Reply => {
                let n = msg.len();
                let port = u16::from_be_bytes([msg[n - 2], msg[n - 1]]);
                let bound = match msg[3] {
                    ATYP_V4 => SocksAddr::V4(Ipv4Addr::new(msg[4], msg[5], msg[6], msg[7]), port),
                    ATYP_V6 => {
                        let mut a = [0u8; 16];
                        a.copy_from_slice(&msg[4..20]);
                        SocksAddr::V6(Ipv6Addr::from(a), port)
                    }
                    _ => SocksAddr::Domain(msg[5..n - 2].to_vec(), port),
                };
                Ok(Some(bound))
            }
            State::Done => Err(SocksError::Finished),
        }
    }

    /// Queues the CONNECT request and waits for its reply.
    fn queue_connect(&mut self) {
        self.out.extend_from_slice(&[VERSION, CMD_CONNECT, 0]);
        let port = match &self.target {
            SocksAddr::V4(a, p) => {
                self.out.push(ATYP_V4);
                self.out.extend_from_slice(&a.octets());
                *p
            }
            SocksAddr::V6(a, p) => {
                self.out.push(ATYP_V6);
                self.out.extend_from_slice(&a.octets());
                *p
            }
            SocksAddr::Domain(name, p) => {
                self.out.push(ATYP_DOMAIN);
                self.out.push(name.len() as u8);
                self.out.extend_from_slice(name);
                *p
            }
        };
        self.out.extend_from_slice(&port.to_be_bytes());
        self.state = State::Reply;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn creds() -> Option<Credentials> {
        Some(Credentials::new(b"user", b"secret").unwrap())
    }

    /// Takes all pending output.
    fn drain(c: &mut SocksClient) -> Vec<u8> {
        let out = c.output().to_vec();
        c.consume_output(out.len());
        out
    }

    const V4_OK: [u8; 10] = [5, 0, 0, 1, 10, 0, 0, 1, 0x1f, 0x90];

    #[test]
    fn greeting_offers_one_method() {
        let mut c = SocksClient::new("127.0.0.1", 5555, None).unwrap();
        assert_eq!(drain(&mut c), [5, 1, 0]);
        let mut c = SocksClient::new("127.0.0.1", 5555, creds()).unwrap();
        assert_eq!(drain(&mut c), [5, 1, 2]);
        assert!(c.output().is_empty());
    }

    #[test]
    fn output_is_consumed_in_parts() {
        let mut c = SocksClient::new("127.0.0.1", 5555, None).unwrap();
        c.consume_output(1);
        assert_eq!(c.output(), [1, 0]);
        c.consume_output(2);
        assert!(c.output().is_empty());
        // More than there is: nothing breaks.
        c.consume_output(10);
        assert!(c.output().is_empty());
    }

    #[test]
    fn no_auth_ipv4_target() {
        let mut c = SocksClient::new("127.0.0.1", 5555, None).unwrap();
        drain(&mut c);
        assert_eq!(c.receive(&[5, 0]), Ok(Progress::NeedMore));
        assert_eq!(drain(&mut c), [5, 1, 0, 1, 127, 0, 0, 1, 0x15, 0xb3]);
        assert_eq!(
            c.receive(&V4_OK),
            Ok(Progress::Connected {
                bound: SocksAddr::V4(Ipv4Addr::new(10, 0, 0, 1), 8080),
                leftover: vec![],
            })
        );
        assert_eq!(c.receive(&[0]), Err(SocksError::Finished));
    }

    #[test]
    fn domain_target() {
        let mut c = SocksClient::new("example.org", 80, None).unwrap();
        drain(&mut c);
        c.receive(&[5, 0]).unwrap();
        let mut want = vec![5, 1, 0, 3, 11];
        want.extend_from_slice(b"example.org");
        want.extend_from_slice(&[0, 80]);
        assert_eq!(drain(&mut c), want);
    }

    #[test]
    fn ipv6_target() {
        let (host, port) = split_target("[::1]:5555").unwrap();
        let mut c = SocksClient::new(host, port, None).unwrap();
        drain(&mut c);
        c.receive(&[5, 0]).unwrap();
        let mut want = vec![5, 1, 0, 4];
        want.extend_from_slice(&Ipv6Addr::LOCALHOST.octets());
        want.extend_from_slice(&[0x15, 0xb3]);
        assert_eq!(drain(&mut c), want);
        // A zone is not part of the address sent.
        let mut c = SocksClient::new("fe80::1%eth0", 1, None).unwrap();
        drain(&mut c);
        c.receive(&[5, 0]).unwrap();
        let out = drain(&mut c);
        assert_eq!(out[3], 4);
        assert_eq!(out.len(), 4 + 16 + 2);
    }

    #[test]
    fn host_length_limits() {
        let long = "a".repeat(255);
        assert!(SocksClient::new(&long, 1, None).is_ok());
        let longer = "a".repeat(256);
        assert_eq!(
            SocksClient::new(&longer, 1, None).err(),
            Some(SocksError::HostLength(256))
        );
        assert_eq!(
            SocksClient::new("", 1, None).err(),
            Some(SocksError::HostLength(0))
        );
    }

    #[test]
    fn credential_limits() {
        assert_eq!(
            Credentials::new(b"", b"x"),
            Err(SocksError::UsernameLength(0))
        );
        assert_eq!(
            Credentials::new(&[b'u'; 256], b"x"),
            Err(SocksError::UsernameLength(256))
        );
        assert_eq!(
            Credentials::new(b"u", &[b'p'; 256]),
            Err(SocksError::PasswordLength(256))
        );
        assert!(Credentials::new(&[b'u'; 255], &[b'p'; 255]).is_ok());
        assert!(Credentials::new(b"u", b"").is_ok());
        assert_eq!(Credentials::from_options(b"", b"ignored"), Ok(None));
        assert_eq!(
            Credentials::from_options(b"u", b"p"),
            Ok(Some(Credentials::new(b"u", b"p").unwrap()))
        );
    }

    #[test]
    fn username_password_flow() {
        let mut c = SocksClient::new("10.1.2.3", 9, creds()).unwrap();
        drain(&mut c);
        assert_eq!(c.receive(&[5, 2]), Ok(Progress::NeedMore));
        let mut want = vec![1, 4];
        want.extend_from_slice(b"user");
        want.push(6);
        want.extend_from_slice(b"secret");
        assert_eq!(drain(&mut c), want);
        assert_eq!(c.receive(&[1, 0]), Ok(Progress::NeedMore));
        assert_eq!(drain(&mut c), [5, 1, 0, 1, 10, 1, 2, 3, 0, 9]);
        assert!(matches!(c.receive(&V4_OK), Ok(Progress::Connected { .. })));
    }

    #[test]
    fn empty_password_is_sent_empty() {
        let mut c =
            SocksClient::new("10.1.2.3", 9, Some(Credentials::new(b"u", b"").unwrap())).unwrap();
        drain(&mut c);
        c.receive(&[5, 2]).unwrap();
        assert_eq!(drain(&mut c), [1, 1, b'u', 0]);
    }

    #[test]
    fn proxy_may_skip_authentication() {
        // libzmq goes on when the proxy picks "no authentication" though it offered
        // username/password only.
        let mut c = SocksClient::new("10.1.2.3", 9, creds()).unwrap();
        drain(&mut c);
        assert_eq!(c.receive(&[5, 0]), Ok(Progress::NeedMore));
        assert_eq!(drain(&mut c), [5, 1, 0, 1, 10, 1, 2, 3, 0, 9]);
    }

    #[test]
    fn authentication_failures() {
        let mut c = SocksClient::new("10.1.2.3", 9, creds()).unwrap();
        c.receive(&[5, 2]).unwrap();
        assert_eq!(c.receive(&[1, 1]), Err(SocksError::AuthRejected(1)));
        assert_eq!(c.receive(&[1, 0]), Err(SocksError::Finished));

        let mut c = SocksClient::new("10.1.2.3", 9, creds()).unwrap();
        c.receive(&[5, 2]).unwrap();
        assert_eq!(
            c.receive(&[5, 0]),
            Err(SocksError::Version {
                step: "authentication status",
                got: 5
            })
        );
    }

    #[test]
    fn method_choice_failures() {
        let mut c = SocksClient::new("h", 1, creds()).unwrap();
        assert_eq!(c.receive(&[5, 0xff]), Err(SocksError::NoAcceptableMethod));
        // Username/password without credentials: not offered, cannot be spoken.
        let mut c = SocksClient::new("h", 1, None).unwrap();
        assert_eq!(c.receive(&[5, 2]), Err(SocksError::UnofferedMethod(2)));
        let mut c = SocksClient::new("h", 1, None).unwrap();
        assert_eq!(c.receive(&[5, 1]), Err(SocksError::UnofferedMethod(1)));
        // SOCKS4 or garbage: the very first octet fails.
        let mut c = SocksClient::new("h", 1, None).unwrap();
        assert_eq!(
            c.receive(&[4]),
            Err(SocksError::Version {
                step: "method choice",
                got: 4
            })
        );
    }

    #[test]
    fn proxy_speaking_out_of_turn() {
        // The choice, then octets before the CONNECT request was even sent.
        let mut c = SocksClient::new("h", 1, None).unwrap();
        assert_eq!(c.receive(&[5, 0, 5]), Err(SocksError::UnexpectedData));
        let mut c = SocksClient::new("h", 1, creds()).unwrap();
        c.receive(&[5, 2]).unwrap();
        assert_eq!(c.receive(&[1, 0, 0]), Err(SocksError::UnexpectedData));
    }

    fn connecting() -> SocksClient {
        let mut c = SocksClient::new("127.0.0.1", 5555, None).unwrap();
        c.receive(&[5, 0]).unwrap();
        drain(&mut c);
        c
    }

    #[test]
    fn every_refusal_code() {
        for code in 1..=255u8 {
            let mut c = connecting();
            let err = c.receive(&[5, code, 0, 1, 0, 0, 0, 0, 0, 0]).unwrap_err();
            assert_eq!(err, SocksError::Refused(code));
            // The message names the reason.
            let text = err.to_string();
            assert!(text.contains(&format!("({code})")), "{text}");
        }
        assert!(SocksError::Refused(5)
            .to_string()
            .contains("connection refused"));
        assert!(SocksError::Refused(2).to_string().contains("ruleset"));
        assert!(SocksError::Refused(9).to_string().contains("unassigned"));
    }

    #[test]
    fn malformed_replies() {
        let mut c = connecting();
        assert_eq!(
            c.receive(&[4, 0]),
            Err(SocksError::Version {
                step: "reply",
                got: 4
            })
        );
        let mut c = connecting();
        assert_eq!(c.receive(&[5, 0, 1]), Err(SocksError::Reserved(1)));
        for atyp in [0u8, 2, 5, 0xff] {
            let mut c = connecting();
            assert_eq!(
                c.receive(&[5, 0, 0, atyp]),
                Err(SocksError::AddressType(atyp))
            );
        }
    }

    #[test]
    fn reply_with_each_bound_address_type() {
        let mut c = connecting();
        let mut reply = vec![5, 0, 0, 4];
        reply.extend_from_slice(&Ipv6Addr::LOCALHOST.octets());
        reply.extend_from_slice(&[0, 1]);
        assert_eq!(
            c.receive(&reply),
            Ok(Progress::Connected {
                bound: SocksAddr::V6(Ipv6Addr::LOCALHOST, 1),
                leftover: vec![],
            })
        );

        let mut c = connecting();
        let mut reply = vec![5, 0, 0, 3, 9];
        reply.extend_from_slice(b"proxy.lan");
        reply.extend_from_slice(&[0x04, 0x38]);
        assert_eq!(
            c.receive(&reply),
            Ok(Progress::Connected {
                bound: SocksAddr::Domain(b"proxy.lan".to_vec(), 1080),
                leftover: vec![],
            })
        );

        // A domain of length 0 (seen from proxies that do not say).
        let mut c = connecting();
        assert_eq!(
            c.receive(&[5, 0, 0, 3, 0, 0, 0]),
            Ok(Progress::Connected {
                bound: SocksAddr::Domain(vec![], 0),
                leftover: vec![],
            })
        );
    }

    #[test]
    fn reply_octet_by_octet() {
        let mut reply = vec![5, 0, 0, 3, 255];
        reply.extend_from_slice(&[b'x'; 255]);
        reply.extend_from_slice(&[0, 7]);
        let mut c = connecting();
        for b in &reply[..reply.len() - 1] {
            assert_eq!(c.receive(std::slice::from_ref(b)), Ok(Progress::NeedMore));
        }
        assert_eq!(
            c.receive(&reply[reply.len() - 1..]),
            Ok(Progress::Connected {
                bound: SocksAddr::Domain(vec![b'x'; 255], 7),
                leftover: vec![],
            })
        );
    }

    #[test]
    fn whole_handshake_octet_by_octet() {
        let mut c = SocksClient::new("example.org", 443, creds()).unwrap();
        drain(&mut c);
        for msg in [[5u8, 2], [1, 0]] {
            for b in &msg {
                assert!(c.output().is_empty());
                assert_eq!(c.receive(std::slice::from_ref(b)), Ok(Progress::NeedMore));
            }
            // The next request is ready once the proxy's message is complete.
            assert!(!c.output().is_empty());
            drain(&mut c);
        }
        for b in &V4_OK[..9] {
            assert_eq!(c.receive(std::slice::from_ref(b)), Ok(Progress::NeedMore));
        }
        assert!(matches!(
            c.receive(&V4_OK[9..]),
            Ok(Progress::Connected { .. })
        ));
    }

    #[test]
    fn leftover_after_the_reply() {
        // The target's first octets (a ZMTP greeting) may share a read with the reply;
        // they are handed back, however many, never buffered.
        let mut c = connecting();
        let mut input = V4_OK.to_vec();
        let tail = vec![0xffu8; 100_000];
        input.extend_from_slice(&tail);
        match c.receive(&input).unwrap() {
            Progress::Connected { leftover, .. } => assert_eq!(leftover, tail),
            p => panic!("{p:?}"),
        }
        assert!(c.msg.capacity() <= 262);
    }

    #[test]
    fn input_is_bounded_while_waiting() {
        // Octets beyond the message being read are never kept: either they are the
        // leftover, or an error.
        let mut c = SocksClient::new("h", 1, None).unwrap();
        assert_eq!(
            c.receive(&vec![5u8; 10_000]),
            Err(SocksError::UnofferedMethod(5))
        );
        assert!(c.msg.len() <= 262);
        let mut c = connecting();
        c.receive(&[5, 0, 0, 3, 200]).unwrap();
        assert!(c.msg.len() <= 262);
    }

    #[test]
    fn failure_is_final() {
        let mut c = SocksClient::new("h", 1, None).unwrap();
        assert!(c.receive(&[5, 0xff]).is_err());
        assert_eq!(c.receive(&[5, 0]), Err(SocksError::Finished));
    }

    #[test]
    fn splitting_targets() {
        assert_eq!(split_target("127.0.0.1:5555"), Ok(("127.0.0.1", 5555)));
        assert_eq!(split_target("[::1]:80"), Ok(("::1", 80)));
        assert_eq!(
            split_target("example.org:65535"),
            Ok(("example.org", 65535))
        );
        for bad in ["noport", "h:", "h:0", "h:abc", "h:65536", "h:-1", "h:+1"] {
            assert_eq!(
                split_target(bad),
                Err(SocksError::BadTargetAddress),
                "{bad}"
            );
        }
    }
}
