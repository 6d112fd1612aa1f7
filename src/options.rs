//! The one table of socket options: libzmq 4.3.5's generic options with their types,
//! per-socket-type defaults, validation and read-back, byte for byte as `zmq_setsockopt`
//! and `zmq_getsockopt` see them.
//!
//! The socket layer first offers an option to its pattern (SUBSCRIBE, ROUTER_MANDATORY,
//! ...); when the pattern answers `EINVAL`, it calls [`Options::set`] / [`Options::get`].
//! The socket core itself answers the read-only options listed by [`is_socket_level`].
//!
//! Conventions mirrored from libzmq (and checked against it):
//! - integer options are set and read with exactly `sizeof(int)` bytes (native endian);
//!   `ZMQ_AFFINITY` and `ZMQ_MAXMSGSIZE` with exactly 8;
//! - string options are read as a NUL-terminated string; the buffer must have room for
//!   the NUL, the rest of the buffer is zeroed and the returned length includes the NUL;
//! - `ZMQ_ROUTING_ID` reads back its bytes without a NUL;
//! - CURVE keys read back as 32 raw bytes (buffer of 32) or 40 Z85 characters plus NUL
//!   (buffer of 41);
//! - some options tell a NULL `optval` from an empty non-NULL one: see [`Options::set_optval`].
//!
//! Features a default libzmq 4.3.5 build does not have (GSSAPI, VMCI, NORM) answer
//! `EINVAL`, exactly as such a libzmq does. The wss options are set only (libzmq reads
//! none of them back); a PEM that holds no certificate or key is refused at once.

use std::collections::{BTreeMap, BTreeSet};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use crate::abi::*;
use crate::error::{Errno, ZResult};
use crate::util::secret::{SecretBytes, SecretKey};

/// Size of a raw CURVE key.
pub const CURVE_KEY_SIZE: usize = 32;
/// Size of a Z85-encoded CURVE key, without its terminating NUL.
pub const CURVE_KEY_Z85_SIZE: usize = 40;

/// libzmq's default high-water mark, in messages, for both directions.
pub const DEFAULT_HWM: i32 = 1000;

/// Longest `ZMQ_BINDTODEVICE` value: the kernel's `IFNAMSIZ`.
const BINDTODEVICE_MAX: usize = 16;
/// Longest value of the options libzmq bounds by `UCHAR_MAX`.
const SHORT_STRING_MAX: usize = 255;
/// `ZMQ_HEARTBEAT_TTL` is kept in deciseconds, the unit of the ZMTP PING command.
const MS_PER_DECISECOND: i32 = 100;

/// One `ZMQ_TCP_ACCEPT_FILTER` entry: an address and the number of leading bits that
/// must match (libzmq's `tcp_address_mask_t`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TcpAcceptFilter {
    /// The network address. With `ZMQ_IPV6` set when the filter was added, an IPv4
    /// literal is stored as an IPv4-mapped IPv6 address, as libzmq's resolver does.
    pub addr: IpAddr,
    /// Prefix length in bits (0 matches every address of the family).
    pub mask: u32,
}

impl TcpAcceptFilter {
    /// Parses `address[/bits]` the way libzmq does for `ZMQ_TCP_ACCEPT_FILTER`: numeric
    /// addresses only (no DNS, no interface names), the family chosen by `ipv6`.
    pub fn parse(text: &[u8], ipv6: bool) -> ZResult<TcpAcceptFilter> {
        // libzmq hands the option to its resolver as a C string.
        let text = until_nul(text);
        let text = std::str::from_utf8(text).map_err(|_| Errno::EINVAL)?;
        let (addr_part, mask_part) = match text.rfind('/') {
            Some(slash) => {
                let mask = &text[slash + 1..];
                if mask.is_empty() {
                    return Err(Errno::EINVAL);
                }
                (&text[..slash], Some(mask))
            }
            None => (text, None),
        };
        let addr = resolve_numeric(addr_part, ipv6)?;
        let full = if addr.is_ipv6() { 128 } else { 32 };
        let mask = match mask_part {
            None => full,
            Some("0") => 0,
            Some(bits) => {
                let bits = c_strtol(bits);
                if bits < 1 || bits > i64::from(full) {
                    return Err(Errno::EINVAL);
                }
                bits as u32
            }
        };
        Ok(TcpAcceptFilter { addr, mask })
    }

    /// Whether a peer address passes this filter: same family and the first `mask`
    /// bits equal (libzmq compares families without unmapping IPv4-mapped addresses).
    pub fn matches(&self, peer: &IpAddr) -> bool {
        let (ours, theirs): (Vec<u8>, Vec<u8>) = match (self.addr, peer) {
            (IpAddr::V4(a), IpAddr::V4(b)) => (a.octets().to_vec(), b.octets().to_vec()),
            (IpAddr::V6(a), IpAddr::V6(b)) => (a.octets().to_vec(), b.octets().to_vec()),
            _ => return false,
        };
        let full_bytes = (self.mask / 8) as usize;
        if ours[..full_bytes] != theirs[..full_bytes] {
            return false;
        }
        let rest = self.mask % 8;
        if rest == 0 {
            return true;
        }
        let keep = 0xFFu8 << (8 - rest);
        ours[full_bytes] & keep == theirs[full_bytes] & keep
    }
}

/// All generic options of one socket, with libzmq's types and defaults.
///
/// Fields are public so the socket core, sessions and engines read them directly; every
/// change through the C API goes through [`Options::set`], which validates.
#[derive(Debug, Clone)]
pub struct Options {
    /// `ZMQ_TYPE`: the socket type the options were made for.
    pub socket_type: i32,
    /// `ZMQ_SNDHWM`, messages; 0 means no limit.
    pub sndhwm: i32,
    /// `ZMQ_RCVHWM`, messages; 0 means no limit.
    pub rcvhwm: i32,
    /// `ZMQ_AFFINITY`: bitmap of I/O threads for new connections.
    pub affinity: u64,
    /// `ZMQ_ROUTING_ID` (alias `ZMQ_IDENTITY`): empty, or 1 to 255 bytes.
    pub routing_id: Vec<u8>,
    /// `ZMQ_RATE`, kilobits per second (multicast).
    pub rate: i32,
    /// `ZMQ_RECOVERY_IVL`, milliseconds (multicast).
    pub recovery_ivl: i32,
    /// `ZMQ_MULTICAST_HOPS`.
    pub multicast_hops: i32,
    /// `ZMQ_MULTICAST_MAXTPDU`, bytes.
    pub multicast_maxtpdu: i32,
    /// `ZMQ_SNDBUF`: kernel `SO_SNDBUF`; -1 leaves the OS default.
    pub sndbuf: i32,
    /// `ZMQ_RCVBUF`: kernel `SO_RCVBUF`; -1 leaves the OS default.
    pub rcvbuf: i32,
    /// `ZMQ_TOS`: IP type-of-service byte for new connections.
    pub tos: i32,
    /// `ZMQ_PRIORITY`: `SO_PRIORITY` for new connections.
    pub priority: i32,
    /// `ZMQ_LINGER`, milliseconds; -1 waits forever.
    pub linger: i32,
    /// `ZMQ_CONNECT_TIMEOUT`, milliseconds; 0 leaves it to the OS.
    pub connect_timeout: i32,
    /// `ZMQ_TCP_MAXRT`, milliseconds; 0 leaves it to the OS.
    pub tcp_maxrt: i32,
    /// `ZMQ_RECONNECT_STOP`: bitmask of `ZMQ_RECONNECT_STOP_*`.
    pub reconnect_stop: i32,
    /// `ZMQ_RECONNECT_IVL`, milliseconds; -1 disables reconnection.
    pub reconnect_ivl: i32,
    /// `ZMQ_RECONNECT_IVL_MAX`, milliseconds; 0 means no exponential back-off.
    pub reconnect_ivl_max: i32,
    /// `ZMQ_BACKLOG`: listen queue length.
    pub backlog: i32,
    /// `ZMQ_MAXMSGSIZE`, bytes; -1 means no limit.
    pub maxmsgsize: i64,
    /// `ZMQ_RCVTIMEO`, milliseconds; -1 blocks forever.
    pub rcvtimeo: i32,
    /// `ZMQ_SNDTIMEO`, milliseconds; -1 blocks forever.
    pub sndtimeo: i32,
    /// `ZMQ_IPV6` (and the inverse, deprecated `ZMQ_IPV4ONLY`).
    pub ipv6: bool,
    /// `ZMQ_IMMEDIATE` (alias `ZMQ_DELAY_ATTACH_ON_CONNECT`): queue only on completed
    /// connections.
    pub immediate: bool,
    /// SUB filters incoming messages by subscription (XSUB does not).
    pub filter: bool,
    /// `ZMQ_INVERT_MATCHING`.
    pub invert_matching: bool,
    /// ROUTER and REP receive the peer's routing id as the first frame.
    pub recv_routing_id: bool,
    /// STREAM and DGRAM speak raw bytes rather than ZMTP.
    pub raw_socket: bool,
    /// Raw sockets announce connects and disconnects with empty messages.
    pub raw_notify: bool,
    /// `ZMQ_SOCKS_PROXY`: `host:port` of a SOCKS5 proxy; empty means none.
    pub socks_proxy_address: Vec<u8>,
    /// `ZMQ_SOCKS_USERNAME`; when non-empty the proxy is asked for basic auth.
    pub socks_proxy_username: Vec<u8>,
    /// `ZMQ_SOCKS_PASSWORD`.
    pub socks_proxy_password: Vec<u8>,
    /// `ZMQ_TCP_KEEPALIVE`: -1 OS default, 0 off, 1 on.
    pub tcp_keepalive: i32,
    /// `ZMQ_TCP_KEEPALIVE_CNT`: -1 OS default.
    pub tcp_keepalive_cnt: i32,
    /// `ZMQ_TCP_KEEPALIVE_IDLE`, seconds: -1 OS default.
    pub tcp_keepalive_idle: i32,
    /// `ZMQ_TCP_KEEPALIVE_INTVL`, seconds: -1 OS default.
    pub tcp_keepalive_intvl: i32,
    /// `ZMQ_TCP_ACCEPT_FILTER`: when non-empty, only matching peers are accepted.
    pub tcp_accept_filters: Vec<TcpAcceptFilter>,
    /// `ZMQ_IPC_FILTER_UID`: when non-empty, only these peer uids are accepted.
    pub ipc_uid_accept_filters: BTreeSet<u32>,
    /// `ZMQ_IPC_FILTER_GID`: when non-empty, only these peer gids are accepted.
    pub ipc_gid_accept_filters: BTreeSet<u32>,
    /// `ZMQ_IPC_FILTER_PID`: when non-empty, only these peer pids are accepted.
    pub ipc_pid_accept_filters: BTreeSet<i32>,
    /// `ZMQ_MECHANISM` (read-only): `ZMQ_NULL`, `ZMQ_PLAIN` or `ZMQ_CURVE`, derived from
    /// the last security option set.
    pub mechanism: i32,
    /// This side is the server of the PLAIN or CURVE handshake.
    pub as_server: bool,
    /// `ZMQ_ZAP_DOMAIN`.
    pub zap_domain: Vec<u8>,
    /// `ZMQ_PLAIN_USERNAME`.
    pub plain_username: Vec<u8>,
    /// `ZMQ_PLAIN_PASSWORD`.
    pub plain_password: SecretBytes,
    /// `ZMQ_CURVE_PUBLICKEY`, raw.
    pub curve_public_key: [u8; CURVE_KEY_SIZE],
    /// `ZMQ_CURVE_SECRETKEY`, raw.
    pub curve_secret_key: SecretKey,
    /// `ZMQ_CURVE_SERVERKEY`, raw.
    pub curve_server_key: [u8; CURVE_KEY_SIZE],
    /// `ZMQ_CONFLATE` as set; see [`Options::effective_conflate`] for where it applies.
    pub conflate: bool,
    /// `ZMQ_HANDSHAKE_IVL`, milliseconds; 0 means no handshake timeout.
    pub handshake_ivl: i32,
    /// `ZMQ_HEARTBEAT_TTL` in deciseconds, as carried by the ZMTP PING command.
    pub heartbeat_ttl: u16,
    /// `ZMQ_HEARTBEAT_IVL`, milliseconds; 0 disables heartbeats.
    pub heartbeat_interval: i32,
    /// `ZMQ_HEARTBEAT_TIMEOUT`, milliseconds; -1 means "use the interval"
    /// (see [`Options::effective_heartbeat_timeout`]).
    pub heartbeat_timeout: i32,
    /// `ZMQ_USE_FD`: a pre-made listening fd for the next bind; -1 means none.
    pub use_fd: i32,
    /// `ZMQ_BINDTODEVICE`: interface for `SO_BINDTODEVICE`; empty means none.
    pub bound_device: Vec<u8>,
    /// `ZMQ_ZAP_ENFORCE_DOMAIN`.
    pub zap_enforce_domain: bool,
    /// `ZMQ_LOOPBACK_FASTPATH` (Windows-only effect in libzmq; stored).
    pub loopback_fastpath: bool,
    /// `ZMQ_MULTICAST_LOOP`.
    pub multicast_loop: bool,
    /// `ZMQ_IN_BATCH_SIZE`, bytes read per system call.
    pub in_batch_size: i32,
    /// `ZMQ_OUT_BATCH_SIZE`, bytes written per system call.
    pub out_batch_size: i32,
    /// `ZMQ_ROUTER_NOTIFY`: bitmask of `ZMQ_NOTIFY_CONNECT` / `ZMQ_NOTIFY_DISCONNECT`.
    pub router_notify: i32,
    /// `ZMQ_METADATA`: application properties sent in the handshake; keys start with
    /// `X-`. The first value set for a key is kept, as in libzmq.
    pub app_metadata: BTreeMap<Vec<u8>, Vec<u8>>,
    /// `ZMQ_HELLO_MSG`: sent to every new peer; empty means none.
    pub hello_msg: Vec<u8>,
    /// This socket type sends `hello_msg`.
    pub can_send_hello_msg: bool,
    /// `ZMQ_DISCONNECT_MSG`: delivered locally when a peer goes away; empty means none.
    pub disconnect_msg: Vec<u8>,
    /// This socket type delivers `disconnect_msg`.
    pub can_recv_disconnect_msg: bool,
    /// `ZMQ_HICCUP_MSG`: delivered locally when a connection is re-established.
    pub hiccup_msg: Vec<u8>,
    /// This socket type delivers `hiccup_msg`.
    pub can_recv_hiccup_msg: bool,
    /// `ZMQ_BUSY_POLL` (stored; libzmq's read-back of it always fails).
    pub busy_poll: i32,
    /// `ZMQ_CONNECT_ROUTING_ID` (ROUTER, REP, STREAM): routing id for the next connect;
    /// the socket clears it once that connect used it.
    pub connect_routing_id: Vec<u8>,
    /// `ZMQ_WSS_KEY_PEM`: a wss server's private key (PEM).
    pub wss_key_pem: Vec<u8>,
    /// `ZMQ_WSS_CERT_PEM`: a wss server's certificate chain (PEM).
    pub wss_cert_pem: Vec<u8>,
    /// `ZMQ_WSS_TRUST_PEM`: certificates a wss client trusts (PEM).
    pub wss_trust_pem: Vec<u8>,
    /// `ZMQ_WSS_HOSTNAME`: the name a wss server's certificate must carry; empty: the
    /// host connected to.
    pub wss_hostname: Vec<u8>,
    /// `ZMQ_WSS_TRUST_SYSTEM`: a wss client also trusts the system's certificates.
    pub wss_trust_system: bool,
}

impl Options {
    /// libzmq's defaults for a socket of `socket_type` in a context with default
    /// settings (`ZMQ_IPV6` 0, `ZMQ_BLOCKY` 1, `ZMQ_ZERO_COPY_RECV` 1).
    #[cfg(test)]
    pub fn new(socket_type: i32) -> Options {
        Options::for_context(socket_type, false, true)
    }

    /// libzmq's defaults for a socket of `socket_type`, taking the context's `ZMQ_IPV6`,
    /// `ZMQ_BLOCKY` (linger -1 when set, 0 otherwise) and `ZMQ_ZERO_COPY_RECV`.
    pub fn for_context(socket_type: i32, ipv6: bool, blocky: bool) -> Options {
        let mut o = Options {
            socket_type,
            sndhwm: DEFAULT_HWM,
            rcvhwm: DEFAULT_HWM,
            affinity: 0,
            routing_id: Vec::new(),
            rate: 100,
            recovery_ivl: 10_000,
            multicast_hops: 1,
            multicast_maxtpdu: 1500,
            sndbuf: -1,
            rcvbuf: -1,
            tos: 0,
            priority: 0,
            linger: if blocky { -1 } else { 0 },
            connect_timeout: 0,
            tcp_maxrt: 0,
            reconnect_stop: 0,
            reconnect_ivl: 100,
            reconnect_ivl_max: 0,
            backlog: 100,
            maxmsgsize: -1,
            rcvtimeo: -1,
            sndtimeo: -1,
            ipv6,
            immediate: false,
            filter: false,
            invert_matching: false,
            recv_routing_id: false,
            raw_socket: false,
            raw_notify: true,
            socks_proxy_address: Vec::new(),
            socks_proxy_username: Vec::new(),
            socks_proxy_password: Vec::new(),
            tcp_keepalive: -1,
            tcp_keepalive_cnt: -1,
            tcp_keepalive_idle: -1,
            tcp_keepalive_intvl: -1,
            tcp_accept_filters: Vec::new(),
            ipc_uid_accept_filters: BTreeSet::new(),
            ipc_gid_accept_filters: BTreeSet::new(),
            ipc_pid_accept_filters: BTreeSet::new(),
            mechanism: ZMQ_NULL,
            as_server: false,
            zap_domain: Vec::new(),
            plain_username: Vec::new(),
            plain_password: SecretBytes::default(),
            curve_public_key: [0; CURVE_KEY_SIZE],
            curve_secret_key: SecretKey::default(),
            curve_server_key: [0; CURVE_KEY_SIZE],
            conflate: false,
            handshake_ivl: 30_000,
            heartbeat_ttl: 0,
            heartbeat_interval: 0,
            heartbeat_timeout: -1,
            use_fd: -1,
            bound_device: Vec::new(),
            zap_enforce_domain: false,
            loopback_fastpath: false,
            multicast_loop: true,
            in_batch_size: 8192,
            out_batch_size: 8192,
            router_notify: 0,
            app_metadata: BTreeMap::new(),
            hello_msg: Vec::new(),
            can_send_hello_msg: false,
            disconnect_msg: Vec::new(),
            can_recv_disconnect_msg: false,
            hiccup_msg: Vec::new(),
            can_recv_hiccup_msg: false,
            busy_poll: 0,
            connect_routing_id: Vec::new(),
            wss_key_pem: Vec::new(),
            wss_cert_pem: Vec::new(),
            wss_trust_pem: Vec::new(),
            wss_hostname: Vec::new(),
            wss_trust_system: false,
        };
        // The tweaks libzmq's socket-type constructors make (REQ inherits DEALER's,
        // REP inherits ROUTER's, PEER SERVER's).
        match socket_type {
            ZMQ_SUB => {
                o.filter = true;
                o.linger = 0;
            }
            // Pending subscriptions are not worth waiting for at close.
            ZMQ_XSUB | ZMQ_DISH => o.linger = 0,
            ZMQ_DEALER | ZMQ_REQ | ZMQ_CLIENT => {
                o.can_send_hello_msg = true;
                o.can_recv_hiccup_msg = true;
            }
            ZMQ_ROUTER | ZMQ_REP => {
                o.recv_routing_id = true;
                o.can_send_hello_msg = true;
                o.can_recv_disconnect_msg = true;
            }
            ZMQ_SERVER => {
                o.can_send_hello_msg = true;
                o.can_recv_disconnect_msg = true;
            }
            ZMQ_PEER => {
                o.can_send_hello_msg = true;
                o.can_recv_disconnect_msg = true;
                o.can_recv_hiccup_msg = true;
            }
            ZMQ_STREAM | ZMQ_DGRAM => o.raw_socket = true,
            _ => {}
        }
        o
    }

    /// Sets a generic option from a non-NULL `optval` of `value.len()` bytes.
    /// `Err(EINVAL)` for unknown option ids, wrong length or bad value.
    #[cfg(test)]
    pub fn set(&mut self, option: i32, value: &[u8]) -> ZResult<()> {
        self.set_optval(option, Some(value))
    }

    /// Sets a generic option; `None` stands for a NULL `optval` with length 0.
    ///
    /// libzmq tells the two apart for some options: `(NULL, 0)` clears
    /// `ZMQ_TCP_ACCEPT_FILTER`, `ZMQ_IPC_FILTER_*`, `ZMQ_SOCKS_PROXY` and
    /// `ZMQ_BINDTODEVICE` and resets the mechanism for `ZMQ_PLAIN_USERNAME` /
    /// `ZMQ_PLAIN_PASSWORD`, while an empty non-NULL value is `EINVAL` for them.
    /// (A NULL `optval` with a non-zero length would crash libzmq; the C boundary
    /// should refuse it before calling here.)
    pub fn set_optval(&mut self, option: i32, value: Option<&[u8]>) -> ZResult<()> {
        let bytes = value.unwrap_or(&[]);
        let int = int_value(bytes).ok();
        match option {
            ZMQ_SNDHWM => self.sndhwm = int_where(int, |v| v >= 0)?,
            ZMQ_RCVHWM => self.rcvhwm = int_where(int, |v| v >= 0)?,
            ZMQ_AFFINITY => self.affinity = u64::from_ne_bytes(exact(bytes)?),
            ZMQ_ROUTING_ID => {
                // Any 1 to 255 bytes; a leading zero byte is accepted too.
                if bytes.is_empty() || bytes.len() > SHORT_STRING_MAX {
                    return Err(Errno::EINVAL);
                }
                self.routing_id = bytes.to_vec();
            }
            ZMQ_RATE => self.rate = int_where(int, |v| v > 0)?,
            ZMQ_RECOVERY_IVL => self.recovery_ivl = int_where(int, |v| v >= 0)?,
            ZMQ_SNDBUF => self.sndbuf = int_where(int, |v| v >= -1)?,
            ZMQ_RCVBUF => self.rcvbuf = int_where(int, |v| v >= -1)?,
            ZMQ_TOS => self.tos = int_where(int, |v| v >= 0)?,
            ZMQ_LINGER => self.linger = int_where(int, |v| v >= -1)?,
            ZMQ_CONNECT_TIMEOUT => self.connect_timeout = int_where(int, |v| v >= 0)?,
            ZMQ_TCP_MAXRT => self.tcp_maxrt = int_where(int, |v| v >= 0)?,
            ZMQ_RECONNECT_STOP => self.reconnect_stop = int_where(int, |_| true)?,
            ZMQ_RECONNECT_IVL => self.reconnect_ivl = int_where(int, |v| v >= -1)?,
            ZMQ_RECONNECT_IVL_MAX => self.reconnect_ivl_max = int_where(int, |v| v >= 0)?,
            ZMQ_BACKLOG => self.backlog = int_where(int, |v| v >= 0)?,
            ZMQ_MAXMSGSIZE => self.maxmsgsize = i64::from_ne_bytes(exact(bytes)?),
            ZMQ_MULTICAST_HOPS => self.multicast_hops = int_where(int, |v| v > 0)?,
            ZMQ_MULTICAST_MAXTPDU => self.multicast_maxtpdu = int_where(int, |v| v > 0)?,
            ZMQ_RCVTIMEO => self.rcvtimeo = int_where(int, |v| v >= -1)?,
            ZMQ_SNDTIMEO => self.sndtimeo = int_where(int, |v| v >= -1)?,
            ZMQ_IPV4ONLY => self.ipv6 = !bool_value(bytes)?,
            ZMQ_IPV6 => self.ipv6 = bool_value(bytes)?,
            ZMQ_SOCKS_PROXY => self.socks_proxy_address = string_strict(value, usize::MAX)?,
            ZMQ_SOCKS_USERNAME => self.socks_proxy_username = string_or_clear(bytes)?,
            ZMQ_SOCKS_PASSWORD => self.socks_proxy_password = string_or_clear(bytes)?,
            ZMQ_TCP_KEEPALIVE => self.tcp_keepalive = int_where(int, |v| (-1..=1).contains(&v))?,
            ZMQ_TCP_KEEPALIVE_CNT => self.tcp_keepalive_cnt = int_where(int, |v| v >= -1)?,
            ZMQ_TCP_KEEPALIVE_IDLE => self.tcp_keepalive_idle = int_where(int, |v| v >= -1)?,
            ZMQ_TCP_KEEPALIVE_INTVL => self.tcp_keepalive_intvl = int_where(int, |v| v >= -1)?,
            ZMQ_IMMEDIATE => self.immediate = bool_value(bytes)?,
            ZMQ_TCP_ACCEPT_FILTER => {
                let text = string_strict(value, SHORT_STRING_MAX)?;
                if text.is_empty() {
                    self.tcp_accept_filters.clear();
                } else {
                    let filter = TcpAcceptFilter::parse(&text, self.ipv6)?;
                    self.tcp_accept_filters.push(filter);
                }
            }
            ZMQ_IPC_FILTER_UID => {
                set_filter(&mut self.ipc_uid_accept_filters, value, u32::from_ne_bytes)?
            }
            ZMQ_IPC_FILTER_GID => {
                set_filter(&mut self.ipc_gid_accept_filters, value, u32::from_ne_bytes)?
            }
            ZMQ_IPC_FILTER_PID => {
                set_filter(&mut self.ipc_pid_accept_filters, value, i32::from_ne_bytes)?
            }
            ZMQ_PLAIN_SERVER => {
                self.as_server = bool_value(bytes)?;
                self.mechanism = if self.as_server { ZMQ_PLAIN } else { ZMQ_NULL };
            }
            ZMQ_PLAIN_USERNAME | ZMQ_PLAIN_PASSWORD => match value {
                None => self.mechanism = ZMQ_NULL,
                Some(b) if !b.is_empty() && b.len() <= SHORT_STRING_MAX => {
                    if option == ZMQ_PLAIN_USERNAME {
                        self.plain_username = b.to_vec();
                    } else {
                        self.plain_password = SecretBytes::new(b.to_vec());
                    }
                    self.as_server = false;
                    self.mechanism = ZMQ_PLAIN;
                }
                Some(_) => return Err(Errno::EINVAL),
            },
            ZMQ_ZAP_DOMAIN => {
                // Unlike most strings, an empty ZAP domain cannot be set at all.
                if bytes.is_empty() || bytes.len() > SHORT_STRING_MAX {
                    return Err(Errno::EINVAL);
                }
                self.zap_domain = bytes.to_vec();
            }
            ZMQ_CURVE_SERVER => {
                self.as_server = bool_value(bytes)?;
                self.mechanism = if self.as_server { ZMQ_CURVE } else { ZMQ_NULL };
            }
            ZMQ_CURVE_PUBLICKEY => self.set_curve_key(KeySlot::Public, value)?,
            ZMQ_CURVE_SECRETKEY => self.set_curve_key(KeySlot::Secret, value)?,
            ZMQ_CURVE_SERVERKEY => {
                self.set_curve_key(KeySlot::Server, value)?;
                self.as_server = false;
            }
            ZMQ_CONFLATE => self.conflate = bool_value(bytes)?,
            ZMQ_HANDSHAKE_IVL => self.handshake_ivl = int_where(int, |v| v >= 0)?,
            ZMQ_INVERT_MATCHING => self.invert_matching = relaxed_bool(bytes)?,
            ZMQ_HEARTBEAT_IVL => self.heartbeat_interval = int_where(int, |v| v >= 0)?,
            ZMQ_HEARTBEAT_TTL => {
                // Truncating division first, as libzmq does: -99..=6553599 ms are valid.
                let ds = int_value(bytes)? / MS_PER_DECISECOND;
                self.heartbeat_ttl = u16::try_from(ds).map_err(|_| Errno::EINVAL)?;
            }
            ZMQ_HEARTBEAT_TIMEOUT => self.heartbeat_timeout = int_where(int, |v| v >= 0)?,
            ZMQ_USE_FD => self.use_fd = int_where(int, |v| v >= -1)?,
            ZMQ_BINDTODEVICE => self.bound_device = string_strict(value, BINDTODEVICE_MAX)?,
            ZMQ_ZAP_ENFORCE_DOMAIN => self.zap_enforce_domain = relaxed_bool(bytes)?,
            ZMQ_LOOPBACK_FASTPATH => self.loopback_fastpath = relaxed_bool(bytes)?,
            ZMQ_METADATA => {
                let (key, val) = parse_metadata(bytes)?;
                self.app_metadata.entry(key).or_insert(val);
            }
            ZMQ_MULTICAST_LOOP => self.multicast_loop = relaxed_bool(bytes)?,
            ZMQ_IN_BATCH_SIZE => self.in_batch_size = int_where(int, |v| v > 0)?,
            ZMQ_OUT_BATCH_SIZE => self.out_batch_size = int_where(int, |v| v > 0)?,
            ZMQ_BUSY_POLL => self.busy_poll = int_where(int, |_| true)?,
            ZMQ_HELLO_MSG => self.hello_msg = bytes.to_vec(),
            ZMQ_DISCONNECT_MSG => self.disconnect_msg = bytes.to_vec(),
            ZMQ_HICCUP_MSG => self.hiccup_msg = bytes.to_vec(),
            ZMQ_PRIORITY => self.priority = int_where(int, |v| v >= 0)?,
            ZMQ_WSS_KEY_PEM => {
                use rustls::pki_types::{pem::PemObject, PrivateKeyDer};
                if !bytes.is_empty() && PrivateKeyDer::from_pem_slice(bytes).is_err() {
                    return Err(Errno::EINVAL);
                }
                self.wss_key_pem = bytes.to_vec();
            }
            ZMQ_WSS_CERT_PEM | ZMQ_WSS_TRUST_PEM => {
                use rustls::pki_types::{pem::PemObject, CertificateDer};
                let mut certs = CertificateDer::pem_slice_iter(bytes);
                let valid = certs.all(|c| c.is_ok())
                    && CertificateDer::pem_slice_iter(bytes).next().is_some();
                if !bytes.is_empty() && !valid {
                    return Err(Errno::EINVAL);
                }
                if option == ZMQ_WSS_CERT_PEM {
                    self.wss_cert_pem = bytes.to_vec();
                } else {
                    self.wss_trust_pem = bytes.to_vec();
                }
            }
            ZMQ_WSS_HOSTNAME => {
                let name = String::from_utf8(bytes.to_vec()).map_err(|_| Errno::EINVAL)?;
                if !name.is_empty() && rustls::pki_types::ServerName::try_from(name).is_err() {
                    return Err(Errno::EINVAL);
                }
                self.wss_hostname = bytes.to_vec();
            }
            ZMQ_WSS_TRUST_SYSTEM => self.wss_trust_system = bool_value(bytes)?,
            // Handled by ROUTER's own option code in libzmq (so REP, built on ROUTER,
            // accepts it too); other types refuse it but still read it back.
            ZMQ_ROUTER_NOTIFY if self.has_router_options() => {
                let all = ZMQ_NOTIFY_CONNECT | ZMQ_NOTIFY_DISCONNECT;
                self.router_notify = int_where(int, |v| (0..=all).contains(&v))?;
            }
            // Only the routing socket types (ROUTER, REP, STREAM) take it; any length > 0.
            ZMQ_CONNECT_ROUTING_ID if self.has_connect_routing_id() => match value {
                Some(b) if !b.is_empty() => self.connect_routing_id = b.to_vec(),
                _ => return Err(Errno::EINVAL),
            },
            _ => return Err(Errno::EINVAL),
        }
        Ok(())
    }

    /// Reads a generic option into `out` (the C buffer of `out.len()` bytes) and returns
    /// the number of bytes written, the new `*optvallen`. `Err(EINVAL)` for an unknown
    /// or write-only option or a buffer of the wrong size.
    pub fn get(&self, option: i32, out: &mut [u8]) -> ZResult<usize> {
        match option {
            ZMQ_SNDHWM => put_int(out, self.sndhwm),
            ZMQ_RCVHWM => put_int(out, self.rcvhwm),
            ZMQ_AFFINITY => put_exact(out, &self.affinity.to_ne_bytes()),
            ZMQ_ROUTING_ID => put_bytes(out, &self.routing_id),
            ZMQ_RATE => put_int(out, self.rate),
            ZMQ_RECOVERY_IVL => put_int(out, self.recovery_ivl),
            ZMQ_SNDBUF => put_int(out, self.sndbuf),
            ZMQ_RCVBUF => put_int(out, self.rcvbuf),
            ZMQ_TOS => put_int(out, self.tos),
            ZMQ_TYPE => put_int(out, self.socket_type),
            ZMQ_LINGER => put_int(out, self.linger),
            ZMQ_CONNECT_TIMEOUT => put_int(out, self.connect_timeout),
            ZMQ_TCP_MAXRT => put_int(out, self.tcp_maxrt),
            ZMQ_RECONNECT_STOP => put_int(out, self.reconnect_stop),
            ZMQ_RECONNECT_IVL => put_int(out, self.reconnect_ivl),
            ZMQ_RECONNECT_IVL_MAX => put_int(out, self.reconnect_ivl_max),
            ZMQ_BACKLOG => put_int(out, self.backlog),
            ZMQ_MAXMSGSIZE => put_exact(out, &self.maxmsgsize.to_ne_bytes()),
            ZMQ_MULTICAST_HOPS => put_int(out, self.multicast_hops),
            ZMQ_MULTICAST_MAXTPDU => put_int(out, self.multicast_maxtpdu),
            ZMQ_RCVTIMEO => put_int(out, self.rcvtimeo),
            ZMQ_SNDTIMEO => put_int(out, self.sndtimeo),
            ZMQ_IPV4ONLY => put_int(out, i32::from(!self.ipv6)),
            ZMQ_IPV6 => put_int(out, i32::from(self.ipv6)),
            ZMQ_IMMEDIATE => put_int(out, i32::from(self.immediate)),
            ZMQ_SOCKS_PROXY => put_string(out, &self.socks_proxy_address),
            ZMQ_SOCKS_USERNAME => put_string(out, &self.socks_proxy_username),
            ZMQ_SOCKS_PASSWORD => put_string(out, &self.socks_proxy_password),
            ZMQ_TCP_KEEPALIVE => put_int(out, self.tcp_keepalive),
            ZMQ_TCP_KEEPALIVE_CNT => put_int(out, self.tcp_keepalive_cnt),
            ZMQ_TCP_KEEPALIVE_IDLE => put_int(out, self.tcp_keepalive_idle),
            ZMQ_TCP_KEEPALIVE_INTVL => put_int(out, self.tcp_keepalive_intvl),
            ZMQ_MECHANISM => put_int(out, self.mechanism),
            ZMQ_PLAIN_SERVER => put_int(out, self.server_of(ZMQ_PLAIN)),
            ZMQ_PLAIN_USERNAME => put_string(out, &self.plain_username),
            ZMQ_PLAIN_PASSWORD => put_string(out, self.plain_password.bytes()),
            ZMQ_ZAP_DOMAIN => put_string(out, &self.zap_domain),
            ZMQ_CURVE_SERVER => put_int(out, self.server_of(ZMQ_CURVE)),
            ZMQ_CURVE_PUBLICKEY => put_curve_key(out, &self.curve_public_key),
            ZMQ_CURVE_SECRETKEY => put_curve_key(out, self.curve_secret_key.bytes()),
            ZMQ_CURVE_SERVERKEY => put_curve_key(out, &self.curve_server_key),
            ZMQ_CONFLATE => put_int(out, i32::from(self.conflate)),
            ZMQ_HANDSHAKE_IVL => put_int(out, self.handshake_ivl),
            ZMQ_INVERT_MATCHING => put_int(out, i32::from(self.invert_matching)),
            ZMQ_HEARTBEAT_IVL => put_int(out, self.heartbeat_interval),
            ZMQ_HEARTBEAT_TTL => put_int(out, self.heartbeat_ttl_ms()),
            ZMQ_HEARTBEAT_TIMEOUT => put_int(out, self.heartbeat_timeout),
            ZMQ_USE_FD => put_int(out, self.use_fd),
            ZMQ_BINDTODEVICE => put_string(out, &self.bound_device),
            ZMQ_ZAP_ENFORCE_DOMAIN => put_int(out, i32::from(self.zap_enforce_domain)),
            ZMQ_LOOPBACK_FASTPATH => put_int(out, i32::from(self.loopback_fastpath)),
            ZMQ_MULTICAST_LOOP => put_int(out, i32::from(self.multicast_loop)),
            ZMQ_ROUTER_NOTIFY => put_int(out, self.router_notify),
            ZMQ_IN_BATCH_SIZE => put_int(out, self.in_batch_size),
            ZMQ_OUT_BATCH_SIZE => put_int(out, self.out_batch_size),
            ZMQ_PRIORITY => put_int(out, self.priority),
            ZMQ_BUSY_POLL => {
                // libzmq 4.3.5 writes the value and then falls through to EINVAL.
                if out.len() == 4 {
                    out.copy_from_slice(&self.busy_poll.to_ne_bytes());
                }
                Err(Errno::EINVAL)
            }
            _ => Err(Errno::EINVAL),
        }
    }

    /// `ZMQ_HEARTBEAT_TTL` in milliseconds, as read back (a multiple of 100).
    pub fn heartbeat_ttl_ms(&self) -> i32 {
        i32::from(self.heartbeat_ttl) * MS_PER_DECISECOND
    }

    /// How long to wait for traffic after a PING before dropping the connection:
    /// `ZMQ_HEARTBEAT_TIMEOUT`, or the interval when it was never set.
    #[cfg(test)]
    pub fn effective_heartbeat_timeout(&self) -> i32 {
        if self.heartbeat_timeout == -1 {
            self.heartbeat_interval
        } else {
            self.heartbeat_timeout
        }
    }

    /// `ZMQ_CONFLATE` only acts on DEALER, PULL, PUSH, PUB and SUB sockets.
    pub fn effective_conflate(&self) -> bool {
        self.conflate
            && matches!(
                self.socket_type,
                ZMQ_DEALER | ZMQ_PULL | ZMQ_PUSH | ZMQ_PUB | ZMQ_SUB
            )
    }

    fn has_router_options(&self) -> bool {
        matches!(self.socket_type, ZMQ_ROUTER | ZMQ_REP)
    }

    fn has_connect_routing_id(&self) -> bool {
        matches!(self.socket_type, ZMQ_ROUTER | ZMQ_REP | ZMQ_STREAM)
    }

    fn server_of(&self, mechanism: i32) -> i32 {
        i32::from(self.as_server && self.mechanism == mechanism)
    }

    fn set_curve_key(&mut self, slot: KeySlot, value: Option<&[u8]>) -> ZResult<()> {
        let bytes = value.ok_or(Errno::EINVAL)?;
        let key = match slot {
            KeySlot::Public => &mut self.curve_public_key,
            KeySlot::Secret => self.curve_secret_key.bytes_mut(),
            KeySlot::Server => &mut self.curve_server_key,
        };
        match bytes.len() {
            CURVE_KEY_SIZE => key.copy_from_slice(bytes),
            // libzmq decodes the text as a C string: it stops at the first NUL, and
            // a shorter text that is still a multiple of 5 only fills the key's prefix.
            CURVE_KEY_Z85_SIZE | 41 => z85_decode_into(until_nul(bytes), key)?,
            _ => return Err(Errno::EINVAL),
        }
        self.mechanism = ZMQ_CURVE;
        Ok(())
    }
}

#[derive(Clone, Copy)]
enum KeySlot {
    Public,
    Secret,
    Server,
}

/// Options the socket core answers itself (never [`Options`]): `ZMQ_TYPE`,
/// `ZMQ_RCVMORE`, `ZMQ_FD`, `ZMQ_EVENTS`, `ZMQ_LAST_ENDPOINT`, `ZMQ_THREAD_SAFE`.
/// All are read-only; setting them is `EINVAL`. libzmq reads `ZMQ_TYPE` as an exact-size
/// int ([`put_int`], and [`Options::get`] answers it too) and the others with
/// [`put_int_relaxed`] / [`put_string`].
/// False for options of a mechanism this build lacks: like a libzmq built without it,
/// the socket answers EINVAL for them.
pub fn option_available(option: i32) -> bool {
    match option {
        ZMQ_CURVE_SERVER | ZMQ_CURVE_PUBLICKEY | ZMQ_CURVE_SECRETKEY | ZMQ_CURVE_SERVERKEY => {
            crate::util::capability::has(b"curve")
        }
        _ => true,
    }
}

/// True for the read-only options the socket core answers itself.
#[cfg(test)]
pub fn is_socket_level(option: i32) -> bool {
    matches!(
        option,
        ZMQ_TYPE | ZMQ_RCVMORE | ZMQ_FD | ZMQ_EVENTS | ZMQ_LAST_ENDPOINT | ZMQ_THREAD_SAFE
    )
}

/// Options that belong to socket patterns, not to [`Options`] (which refuses them with
/// `EINVAL`): subscriptions, ROUTER/REQ/XPUB/XSUB behaviour flags, `ZMQ_STREAM_NOTIFY`,
/// `ZMQ_TOPICS_COUNT`.
#[cfg(test)]
pub fn is_pattern_level(option: i32) -> bool {
    matches!(
        option,
        ZMQ_SUBSCRIBE
            | ZMQ_UNSUBSCRIBE
            | ZMQ_ROUTER_MANDATORY
            | ZMQ_ROUTER_HANDOVER
            | ZMQ_ROUTER_RAW
            | ZMQ_PROBE_ROUTER
            | ZMQ_REQ_CORRELATE
            | ZMQ_REQ_RELAXED
            | ZMQ_XPUB_VERBOSE
            | ZMQ_XPUB_VERBOSER
            | ZMQ_XPUB_NODROP
            | ZMQ_XPUB_MANUAL
            | ZMQ_XPUB_MANUAL_LAST_VALUE
            | ZMQ_XPUB_WELCOME_MSG
            | ZMQ_ONLY_FIRST_SUBSCRIBE
            | ZMQ_XSUB_VERBOSE_UNSUBSCRIBE
            | ZMQ_TOPICS_COUNT
            | ZMQ_STREAM_NOTIFY
    )
}

/// An int option value: exactly `sizeof(int)` bytes, native endian; else `EINVAL`.
pub fn int_value(value: &[u8]) -> ZResult<i32> {
    Ok(i32::from_ne_bytes(exact(value)?))
}

/// A boolean option value, libzmq's strict form: an int that is 0 or 1; else `EINVAL`.
pub fn bool_value(value: &[u8]) -> ZResult<bool> {
    match int_value(value)? {
        0 => Ok(false),
        1 => Ok(true),
        _ => Err(Errno::EINVAL),
    }
}

/// A boolean option value, libzmq's relaxed form: any int, non-zero meaning true.
pub fn relaxed_bool(value: &[u8]) -> ZResult<bool> {
    Ok(int_value(value)? != 0)
}

/// Writes an int option the way libzmq's option table does: the buffer must be exactly
/// `sizeof(int)` bytes. Returns 4.
pub fn put_int(out: &mut [u8], v: i32) -> ZResult<usize> {
    put_exact(out, &v.to_ne_bytes())
}

/// Writes an int the way libzmq's socket core does for `ZMQ_RCVMORE`, `ZMQ_EVENTS`,
/// `ZMQ_THREAD_SAFE` (and `ZMQ_FD`): any buffer of at least 4 bytes, the rest zeroed.
/// Returns 4.
pub fn put_int_relaxed(out: &mut [u8], v: i32) -> ZResult<usize> {
    put_bytes(out, &v.to_ne_bytes())
}

/// Writes raw bytes: the buffer must hold them; the rest of it is zeroed. Returns the
/// value's length.
pub fn put_bytes(out: &mut [u8], value: &[u8]) -> ZResult<usize> {
    if out.len() < value.len() {
        return Err(Errno::EINVAL);
    }
    out[..value.len()].copy_from_slice(value);
    out[value.len()..].fill(0);
    Ok(value.len())
}

/// Writes a string option as a C string: the buffer must hold it and its NUL; the rest
/// is zeroed. Returns the length including the NUL.
pub fn put_string(out: &mut [u8], value: &[u8]) -> ZResult<usize> {
    if out.len() < value.len() + 1 {
        return Err(Errno::EINVAL);
    }
    out[..value.len()].copy_from_slice(value);
    out[value.len()..].fill(0);
    Ok(value.len() + 1)
}

fn put_exact(out: &mut [u8], value: &[u8]) -> ZResult<usize> {
    if out.len() != value.len() {
        return Err(Errno::EINVAL);
    }
    out.copy_from_slice(value);
    Ok(value.len())
}

fn put_curve_key(out: &mut [u8], key: &[u8; CURVE_KEY_SIZE]) -> ZResult<usize> {
    match out.len() {
        CURVE_KEY_SIZE => out.copy_from_slice(key),
        41 => {
            out[..CURVE_KEY_Z85_SIZE].copy_from_slice(&z85_encode_key(key));
            out[CURVE_KEY_Z85_SIZE] = 0;
        }
        _ => return Err(Errno::EINVAL),
    }
    Ok(out.len())
}

fn exact<const N: usize>(value: &[u8]) -> ZResult<[u8; N]> {
    value.try_into().map_err(|_| Errno::EINVAL)
}

fn int_where(int: Option<i32>, valid: impl Fn(i32) -> bool) -> ZResult<i32> {
    match int {
        Some(v) if valid(v) => Ok(v),
        _ => Err(Errno::EINVAL),
    }
}

/// libzmq's "strict" strings: `(NULL, 0)` clears, otherwise 1 to `max` bytes.
fn string_strict(value: Option<&[u8]>, max: usize) -> ZResult<Vec<u8>> {
    match value {
        None => Ok(Vec::new()),
        Some(b) if !b.is_empty() && b.len() <= max => Ok(b.to_vec()),
        Some(_) => Err(Errno::EINVAL),
    }
}

/// SOCKS credentials: NULL or empty clears, otherwise up to 255 bytes.
fn string_or_clear(bytes: &[u8]) -> ZResult<Vec<u8>> {
    if bytes.len() > SHORT_STRING_MAX {
        return Err(Errno::EINVAL);
    }
    Ok(bytes.to_vec())
}

fn set_filter<T: Ord>(
    set: &mut BTreeSet<T>,
    value: Option<&[u8]>,
    decode: fn([u8; 4]) -> T,
) -> ZResult<()> {
    match value {
        None => set.clear(),
        Some(b) => {
            set.insert(decode(exact(b)?));
        }
    }
    Ok(())
}

/// `X-name:value`: a key starting with `X-` of at most 255 bytes, a non-empty value.
fn parse_metadata(bytes: &[u8]) -> ZResult<(Vec<u8>, Vec<u8>)> {
    // libzmq refuses any 4-byte value here, mistaking it for an int.
    if bytes.is_empty() || bytes.len() == 4 {
        return Err(Errno::EINVAL);
    }
    let colon = bytes.iter().position(|&b| b == b':').ok_or(Errno::EINVAL)?;
    if colon == 0 || colon == bytes.len() - 1 {
        return Err(Errno::EINVAL);
    }
    let key = &bytes[..colon];
    if !key.starts_with(b"X-") || key.len() > SHORT_STRING_MAX {
        return Err(Errno::EINVAL);
    }
    Ok((key.to_vec(), bytes[colon + 1..].to_vec()))
}

fn until_nul(bytes: &[u8]) -> &[u8] {
    match bytes.iter().position(|&b| b == 0) {
        Some(end) => &bytes[..end],
        None => bytes,
    }
}

// ---- Numeric address parsing, as libzmq's resolver does it through getaddrinfo
// ---- with AI_NUMERICHOST on glibc.

/// Resolves a numeric host for an accept filter: brackets stripped, an optional
/// `%zone` validated, then an IPv4 (inet_aton forms) or IPv6 literal for the family.
fn resolve_numeric(text: &str, ipv6: bool) -> ZResult<IpAddr> {
    let mut host = text;
    if host.len() >= 2 && host.starts_with('[') && host.ends_with(']') {
        host = &host[1..host.len() - 1];
    }
    if let Some(pct) = host.rfind('%') {
        let zone = &host[pct + 1..];
        if zone.is_empty() || zone_index(zone) == 0 {
            return Err(Errno::EINVAL);
        }
        host = &host[..pct];
    }
    let v4 = parse_inet_aton(host);
    let v6 = || host.parse::<Ipv6Addr>().ok();
    let addr = if ipv6 {
        match v4 {
            Some(a) => IpAddr::V6(a.to_ipv6_mapped()),
            None => IpAddr::V6(v6().ok_or(Errno::EINVAL)?),
        }
    } else {
        match v4 {
            Some(a) => IpAddr::V4(a),
            // glibc hands back the IPv4 address inside an IPv4-mapped literal.
            None => IpAddr::V4(v6().and_then(|a| a.to_ipv4_mapped()).ok_or(Errno::EINVAL)?),
        }
    };
    Ok(addr)
}

/// A zone: an interface name (starting with a letter) or a number read like `atoi`.
fn zone_index(zone: &str) -> u32 {
    if zone.starts_with(|c: char| c.is_ascii_alphabetic()) {
        let Ok(name) = std::ffi::CString::new(zone) else {
            return 0;
        };
        // SAFETY: `name` is a valid NUL-terminated string that outlives the call.
        unsafe { libc::if_nametoindex(name.as_ptr()) }
    } else {
        c_strtol(zone) as u32
    }
}

/// glibc's exact `inet_aton`: one to four parts, each decimal, octal (leading 0) or
/// hex (`0x`); the last part fills the remaining bytes; nothing may follow.
fn parse_inet_aton(text: &str) -> Option<Ipv4Addr> {
    let s = text.as_bytes();
    let mut parts: Vec<u64> = Vec::with_capacity(4);
    let mut i = 0;
    loop {
        if !s.get(i).is_some_and(u8::is_ascii_digit) {
            return None;
        }
        let mut seen_digit = false;
        let mut base = 10;
        if s[i] == b'0' {
            i += 1;
            if matches!(s.get(i), Some(b'x' | b'X')) {
                base = 16;
                i += 1;
            } else {
                base = 8;
                seen_digit = true;
            }
        }
        let mut value: u64 = 0;
        while let Some(&c) = s.get(i) {
            let digit = match c {
                b'0'..=b'9' if base != 8 || c < b'8' => u64::from(c - b'0'),
                b'8' | b'9' => return None,
                b'a'..=b'f' if base == 16 => u64::from(c - b'a' + 10),
                b'A'..=b'F' if base == 16 => u64::from(c - b'A' + 10),
                _ => break,
            };
            value = value.saturating_mul(base).saturating_add(digit);
            seen_digit = true;
            i += 1;
        }
        // "0x" alone is no number.
        if !seen_digit {
            return None;
        }
        match s.get(i) {
            Some(b'.') => {
                if parts.len() >= 3 || value > 0xFF {
                    return None;
                }
                parts.push(value);
                i += 1;
            }
            None => {
                parts.push(value);
                break;
            }
            Some(_) => return None,
        }
    }
    let last = *parts.last()?;
    let head = &parts[..parts.len() - 1];
    let max_last: u64 = 0xFFFF_FFFF >> (8 * head.len());
    if last > max_last {
        return None;
    }
    let mut addr = last as u32;
    for (n, &part) in head.iter().enumerate() {
        addr |= (part as u32) << (24 - 8 * n);
    }
    Some(Ipv4Addr::from(addr))
}

/// C `strtol(s, NULL, 10)`: leading white space, a sign, digits; stops at anything
/// else; 0 when there are no digits; saturates on overflow.
fn c_strtol(text: &str) -> i64 {
    let s = text.trim_start_matches([' ', '\t', '\n', '\x0b', '\x0c', '\r']);
    let (negative, digits) = match s.as_bytes().first() {
        Some(b'-') => (true, &s[1..]),
        Some(b'+') => (false, &s[1..]),
        _ => (false, s),
    };
    let mut value: i64 = 0;
    for c in digits.bytes().take_while(u8::is_ascii_digit) {
        let d = i64::from(c - b'0');
        value = if negative {
            value.saturating_mul(10).saturating_sub(d)
        } else {
            value.saturating_mul(10).saturating_add(d)
        };
    }
    value
}

// ---- Z85 (RFC 32), for CURVE keys given or read as text.

const Z85_ALPHABET: &[u8; 85] =
    b"0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ.-:+=^!/*?&<>()[]{}@%$#";

/// Maps a byte to its Z85 digit value, 0xFF for bytes outside the alphabet.
const Z85_DECODE: [u8; 256] = {
    let mut table = [0xFFu8; 256];
    let mut i = 0;
    while i < Z85_ALPHABET.len() {
        table[Z85_ALPHABET[i] as usize] = i as u8;
        i += 1;
    }
    table
};

fn z85_encode_key(key: &[u8; CURVE_KEY_SIZE]) -> [u8; CURVE_KEY_Z85_SIZE] {
    let mut text = [0u8; CURVE_KEY_Z85_SIZE];
    for (chunk, out) in key.chunks_exact(4).zip(text.chunks_exact_mut(5)) {
        let mut value = u32::from_be_bytes([chunk[0], chunk[1], chunk[2], chunk[3]]);
        for slot in out.iter_mut().rev() {
            *slot = Z85_ALPHABET[(value % 85) as usize];
            value /= 85;
        }
    }
    text
}

/// Decodes Z85 text into the front of `key`, four bytes per five characters, as
/// libzmq's decoder does: the text must be a non-empty multiple of 5 characters and
/// each group must fit in 32 bits. Like libzmq, groups decoded before a bad one stay
/// written.
fn z85_decode_into(text: &[u8], key: &mut [u8; CURVE_KEY_SIZE]) -> ZResult<()> {
    if text.len() < 5 || !text.len().is_multiple_of(5) || text.len() / 5 * 4 > key.len() {
        return Err(Errno::EINVAL);
    }
    for (group, out) in text.chunks_exact(5).zip(key.chunks_exact_mut(4)) {
        let mut value: u64 = 0;
        for &c in group {
            let digit = Z85_DECODE[c as usize];
            if digit == 0xFF {
                return Err(Errno::EINVAL);
            }
            value = value * 85 + u64::from(digit);
        }
        let value = u32::try_from(value).map_err(|_| Errno::EINVAL)?;
        out.copy_from_slice(&value.to_be_bytes());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn int(v: i32) -> [u8; 4] {
        v.to_ne_bytes()
    }

    fn get_int(o: &Options, option: i32) -> ZResult<i32> {
        let mut b = [0u8; 4];
        assert_eq!(o.get(option, &mut b)?, 4);
        Ok(i32::from_ne_bytes(b))
    }

    fn get_vec(o: &Options, option: i32, size: usize) -> ZResult<Vec<u8>> {
        let mut b = vec![0xAAu8; size];
        let n = o.get(option, &mut b)?;
        assert!(b[n..].iter().all(|&x| x == 0), "tail zeroed");
        b.truncate(n);
        Ok(b)
    }

    const ALL_TYPES: [i32; 21] = [
        ZMQ_PAIR,
        ZMQ_PUB,
        ZMQ_SUB,
        ZMQ_REQ,
        ZMQ_REP,
        ZMQ_DEALER,
        ZMQ_ROUTER,
        ZMQ_PULL,
        ZMQ_PUSH,
        ZMQ_XPUB,
        ZMQ_XSUB,
        ZMQ_STREAM,
        ZMQ_SERVER,
        ZMQ_CLIENT,
        ZMQ_RADIO,
        ZMQ_DISH,
        ZMQ_GATHER,
        ZMQ_SCATTER,
        ZMQ_DGRAM,
        ZMQ_PEER,
        ZMQ_CHANNEL,
    ];

    /// Defaults as read from libzmq for every socket type.
    #[test]
    fn int_defaults() {
        let expected = [
            (ZMQ_SNDHWM, 1000),
            (ZMQ_RCVHWM, 1000),
            (ZMQ_RATE, 100),
            (ZMQ_RECOVERY_IVL, 10000),
            (ZMQ_SNDBUF, -1),
            (ZMQ_RCVBUF, -1),
            (ZMQ_RECONNECT_IVL, 100),
            (ZMQ_BACKLOG, 100),
            (ZMQ_RECONNECT_IVL_MAX, 0),
            (ZMQ_MULTICAST_HOPS, 1),
            (ZMQ_RCVTIMEO, -1),
            (ZMQ_SNDTIMEO, -1),
            (ZMQ_IPV4ONLY, 1),
            (ZMQ_TCP_KEEPALIVE, -1),
            (ZMQ_TCP_KEEPALIVE_CNT, -1),
            (ZMQ_TCP_KEEPALIVE_IDLE, -1),
            (ZMQ_TCP_KEEPALIVE_INTVL, -1),
            (ZMQ_IMMEDIATE, 0),
            (ZMQ_IPV6, 0),
            (ZMQ_MECHANISM, ZMQ_NULL),
            (ZMQ_PLAIN_SERVER, 0),
            (ZMQ_CURVE_SERVER, 0),
            (ZMQ_CONFLATE, 0),
            (ZMQ_TOS, 0),
            (ZMQ_HANDSHAKE_IVL, 30000),
            (ZMQ_INVERT_MATCHING, 0),
            (ZMQ_HEARTBEAT_IVL, 0),
            (ZMQ_HEARTBEAT_TTL, 0),
            (ZMQ_HEARTBEAT_TIMEOUT, -1),
            (ZMQ_CONNECT_TIMEOUT, 0),
            (ZMQ_TCP_MAXRT, 0),
            (ZMQ_MULTICAST_MAXTPDU, 1500),
            (ZMQ_USE_FD, -1),
            (ZMQ_ZAP_ENFORCE_DOMAIN, 0),
            (ZMQ_LOOPBACK_FASTPATH, 0),
            (ZMQ_MULTICAST_LOOP, 1),
            (ZMQ_ROUTER_NOTIFY, 0),
            (ZMQ_IN_BATCH_SIZE, 8192),
            (ZMQ_OUT_BATCH_SIZE, 8192),
            (ZMQ_RECONNECT_STOP, 0),
            (ZMQ_PRIORITY, 0),
        ];
        for t in ALL_TYPES {
            let o = Options::new(t);
            for (option, value) in expected {
                assert_eq!(get_int(&o, option), Ok(value), "type {t} option {option}");
            }
            assert_eq!(get_int(&o, ZMQ_TYPE), Ok(t));
            let linger = if matches!(t, ZMQ_SUB | ZMQ_XSUB | ZMQ_DISH) {
                0
            } else {
                -1
            };
            assert_eq!(get_int(&o, ZMQ_LINGER), Ok(linger), "type {t} linger");
            let mut b = [0xAAu8; 8];
            assert_eq!(o.get(ZMQ_AFFINITY, &mut b), Ok(8));
            assert_eq!(u64::from_ne_bytes(b), 0);
            assert_eq!(o.get(ZMQ_MAXMSGSIZE, &mut b), Ok(8));
            assert_eq!(i64::from_ne_bytes(b), -1);
        }
    }

    #[test]
    fn string_defaults() {
        let o = Options::new(ZMQ_DEALER);
        for option in [
            ZMQ_PLAIN_USERNAME,
            ZMQ_PLAIN_PASSWORD,
            ZMQ_ZAP_DOMAIN,
            ZMQ_SOCKS_PROXY,
            ZMQ_SOCKS_USERNAME,
            ZMQ_SOCKS_PASSWORD,
            ZMQ_BINDTODEVICE,
        ] {
            assert_eq!(get_vec(&o, option, 256), Ok(vec![0]), "option {option}");
            assert_eq!(get_vec(&o, option, 1), Ok(vec![0]));
            assert_eq!(get_vec(&o, option, 0), Err(Errno::EINVAL));
        }
        // An empty routing id reads back as zero bytes, even into an empty buffer.
        assert_eq!(get_vec(&o, ZMQ_ROUTING_ID, 0), Ok(vec![]));
        assert_eq!(get_vec(&o, ZMQ_ROUTING_ID, 16), Ok(vec![]));
        assert_eq!(get_vec(&o, ZMQ_CURVE_PUBLICKEY, 32), Ok(vec![0; 32]));
        let mut z85 = vec![b'0'; 40];
        z85.push(0);
        assert_eq!(get_vec(&o, ZMQ_CURVE_SERVERKEY, 41), Ok(z85));
    }

    #[test]
    fn per_type_flags() {
        let sub = Options::new(ZMQ_SUB);
        assert!(sub.filter);
        assert!(!Options::new(ZMQ_XSUB).filter);
        assert!(Options::new(ZMQ_ROUTER).recv_routing_id);
        assert!(Options::new(ZMQ_REP).recv_routing_id);
        assert!(!Options::new(ZMQ_DEALER).recv_routing_id);
        assert!(Options::new(ZMQ_STREAM).raw_socket);
        assert!(Options::new(ZMQ_DGRAM).raw_socket);
        assert!(!Options::new(ZMQ_ROUTER).raw_socket);
        let d = Options::new(ZMQ_DEALER);
        assert!(d.can_send_hello_msg && d.can_recv_hiccup_msg && !d.can_recv_disconnect_msg);
        let r = Options::new(ZMQ_ROUTER);
        assert!(r.can_send_hello_msg && r.can_recv_disconnect_msg && !r.can_recv_hiccup_msg);
        let p = Options::new(ZMQ_PEER);
        assert!(p.can_send_hello_msg && p.can_recv_disconnect_msg && p.can_recv_hiccup_msg);
        let pair = Options::new(ZMQ_PAIR);
        assert!(!pair.can_send_hello_msg && !pair.can_recv_disconnect_msg);
    }

    #[test]
    fn context_defaults() {
        let o = Options::for_context(ZMQ_DEALER, true, false);
        assert_eq!(get_int(&o, ZMQ_IPV6), Ok(1));
        assert_eq!(get_int(&o, ZMQ_IPV4ONLY), Ok(0));
        assert_eq!(get_int(&o, ZMQ_LINGER), Ok(0));
    }

    /// (option, lowest accepted value, highest refused value below it).
    #[test]
    fn int_ranges() {
        let table: &[(i32, i32)] = &[
            (ZMQ_SNDHWM, 0),
            (ZMQ_RCVHWM, 0),
            (ZMQ_RATE, 1),
            (ZMQ_RECOVERY_IVL, 0),
            (ZMQ_SNDBUF, -1),
            (ZMQ_RCVBUF, -1),
            (ZMQ_TOS, 0),
            (ZMQ_LINGER, -1),
            (ZMQ_CONNECT_TIMEOUT, 0),
            (ZMQ_TCP_MAXRT, 0),
            (ZMQ_RECONNECT_IVL, -1),
            (ZMQ_RECONNECT_IVL_MAX, 0),
            (ZMQ_BACKLOG, 0),
            (ZMQ_MULTICAST_HOPS, 1),
            (ZMQ_MULTICAST_MAXTPDU, 1),
            (ZMQ_RCVTIMEO, -1),
            (ZMQ_SNDTIMEO, -1),
            (ZMQ_TCP_KEEPALIVE_CNT, -1),
            (ZMQ_TCP_KEEPALIVE_IDLE, -1),
            (ZMQ_TCP_KEEPALIVE_INTVL, -1),
            (ZMQ_HANDSHAKE_IVL, 0),
            (ZMQ_HEARTBEAT_IVL, 0),
            (ZMQ_HEARTBEAT_TIMEOUT, 0),
            (ZMQ_USE_FD, -1),
            (ZMQ_IN_BATCH_SIZE, 1),
            (ZMQ_OUT_BATCH_SIZE, 1),
            (ZMQ_PRIORITY, 0),
            (ZMQ_RECONNECT_STOP, i32::MIN),
        ];
        for &(option, low) in table {
            let mut o = Options::new(ZMQ_DEALER);
            for v in [low, low + 1, 100, 65536, i32::MAX] {
                assert_eq!(o.set(option, &int(v)), Ok(()), "option {option} value {v}");
                assert_eq!(get_int(&o, option), Ok(v), "option {option} value {v}");
            }
            if low > i32::MIN {
                assert_eq!(o.set(option, &int(low - 1)), Err(Errno::EINVAL));
                assert_eq!(o.set(option, &int(i32::MIN)), Err(Errno::EINVAL));
                assert_eq!(get_int(&o, option), Ok(i32::MAX), "unchanged on error");
            }
            // Wrong lengths, for set and for get.
            for len in [0, 1, 3, 5, 8] {
                assert_eq!(o.set(option, &vec![0u8; len]), Err(Errno::EINVAL));
                assert_eq!(o.get(option, &mut vec![0u8; len]), Err(Errno::EINVAL));
            }
            assert_eq!(o.set_optval(option, None), Err(Errno::EINVAL));
        }
    }

    #[test]
    fn keepalive_and_booleans() {
        let mut o = Options::new(ZMQ_DEALER);
        for v in [-1, 0, 1] {
            assert_eq!(o.set(ZMQ_TCP_KEEPALIVE, &int(v)), Ok(()));
            assert_eq!(get_int(&o, ZMQ_TCP_KEEPALIVE), Ok(v));
        }
        assert_eq!(o.set(ZMQ_TCP_KEEPALIVE, &int(2)), Err(Errno::EINVAL));
        assert_eq!(o.set(ZMQ_TCP_KEEPALIVE, &int(-2)), Err(Errno::EINVAL));

        // Strict booleans: 0 or 1 only.
        for option in [
            ZMQ_IPV6,
            ZMQ_IPV4ONLY,
            ZMQ_IMMEDIATE,
            ZMQ_CONFLATE,
            ZMQ_PLAIN_SERVER,
            ZMQ_CURVE_SERVER,
        ] {
            for v in [0, 1] {
                assert_eq!(o.set(option, &int(v)), Ok(()));
                assert_eq!(get_int(&o, option), Ok(v), "option {option}");
            }
            for v in [-1, 2, 100] {
                assert_eq!(o.set(option, &int(v)), Err(Errno::EINVAL));
            }
        }
        // Relaxed booleans: any int, read back as 0 or 1.
        for option in [
            ZMQ_INVERT_MATCHING,
            ZMQ_ZAP_ENFORCE_DOMAIN,
            ZMQ_LOOPBACK_FASTPATH,
            ZMQ_MULTICAST_LOOP,
        ] {
            for (v, back) in [(0, 0), (1, 1), (-5, 1), (i32::MIN, 1), (7, 1)] {
                assert_eq!(o.set(option, &int(v)), Ok(()));
                assert_eq!(get_int(&o, option), Ok(back), "option {option}");
            }
            assert_eq!(o.set(option, &[1, 0]), Err(Errno::EINVAL));
        }
    }

    #[test]
    fn ipv4only_is_inverse_of_ipv6() {
        let mut o = Options::new(ZMQ_DEALER);
        o.set(ZMQ_IPV4ONLY, &int(0)).unwrap();
        assert!(o.ipv6);
        assert_eq!(get_int(&o, ZMQ_IPV6), Ok(1));
        assert_eq!(get_int(&o, ZMQ_IPV4ONLY), Ok(0));
        o.set(ZMQ_IPV6, &int(0)).unwrap();
        assert_eq!(get_int(&o, ZMQ_IPV4ONLY), Ok(1));
    }

    #[test]
    fn aliases_share_ids() {
        assert_eq!(ZMQ_IDENTITY, ZMQ_ROUTING_ID);
        assert_eq!(ZMQ_DELAY_ATTACH_ON_CONNECT, ZMQ_IMMEDIATE);
        assert_eq!(ZMQ_CONNECT_RID, ZMQ_CONNECT_ROUTING_ID);
    }

    #[test]
    fn sixty_four_bit_options() {
        let mut o = Options::new(ZMQ_DEALER);
        o.set(ZMQ_AFFINITY, &u64::MAX.to_ne_bytes()).unwrap();
        o.set(ZMQ_MAXMSGSIZE, &(-2i64).to_ne_bytes()).unwrap();
        let mut b = [0u8; 8];
        o.get(ZMQ_AFFINITY, &mut b).unwrap();
        assert_eq!(u64::from_ne_bytes(b), u64::MAX);
        o.get(ZMQ_MAXMSGSIZE, &mut b).unwrap();
        assert_eq!(i64::from_ne_bytes(b), -2);
        for option in [ZMQ_AFFINITY, ZMQ_MAXMSGSIZE] {
            assert_eq!(o.set(option, &int(1)), Err(Errno::EINVAL));
            assert_eq!(o.get(option, &mut [0u8; 4]), Err(Errno::EINVAL));
            assert_eq!(o.get(option, &mut [0u8; 16]), Err(Errno::EINVAL));
        }
    }

    #[test]
    fn routing_id() {
        let mut o = Options::new(ZMQ_DEALER);
        assert_eq!(o.set(ZMQ_ROUTING_ID, b""), Err(Errno::EINVAL));
        assert_eq!(o.set_optval(ZMQ_ROUTING_ID, None), Err(Errno::EINVAL));
        assert_eq!(o.set(ZMQ_ROUTING_ID, &[b'a'; 256]), Err(Errno::EINVAL));
        assert_eq!(o.set(ZMQ_ROUTING_ID, &[b'a'; 255]), Ok(()));
        assert_eq!(get_vec(&o, ZMQ_ROUTING_ID, 255), Ok(vec![b'a'; 255]));
        // A leading zero byte is accepted by libzmq 4.3.
        assert_eq!(o.set(ZMQ_ROUTING_ID, b"\0abc"), Ok(()));
        o.set(ZMQ_ROUTING_ID, b"ab").unwrap();
        assert_eq!(get_vec(&o, ZMQ_ROUTING_ID, 1), Err(Errno::EINVAL));
        assert_eq!(get_vec(&o, ZMQ_ROUTING_ID, 2), Ok(b"ab".to_vec()));
        assert_eq!(get_vec(&o, ZMQ_ROUTING_ID, 256), Ok(b"ab".to_vec()));
        assert_eq!(o.set(ZMQ_IDENTITY, b"xyz"), Ok(()));
        assert_eq!(o.routing_id, b"xyz");
    }

    #[test]
    fn heartbeat_ttl_is_deciseconds() {
        let mut o = Options::new(ZMQ_DEALER);
        for (ms, back) in [
            (-99, 0),
            (0, 0),
            (99, 0),
            (150, 100),
            (6_553_599, 6_553_500),
        ] {
            assert_eq!(o.set(ZMQ_HEARTBEAT_TTL, &int(ms)), Ok(()), "{ms}");
            assert_eq!(get_int(&o, ZMQ_HEARTBEAT_TTL), Ok(back));
        }
        for ms in [-100, 6_553_600, i32::MAX, i32::MIN] {
            assert_eq!(o.set(ZMQ_HEARTBEAT_TTL, &int(ms)), Err(Errno::EINVAL));
        }
        assert_eq!(o.heartbeat_ttl, 65535);
        assert_eq!(o.effective_heartbeat_timeout(), 0);
        o.set(ZMQ_HEARTBEAT_IVL, &int(250)).unwrap();
        assert_eq!(o.effective_heartbeat_timeout(), 250);
        o.set(ZMQ_HEARTBEAT_TIMEOUT, &int(40)).unwrap();
        assert_eq!(o.effective_heartbeat_timeout(), 40);
    }

    #[test]
    fn strings_strict_relaxed_and_null() {
        let mut o = Options::new(ZMQ_DEALER);
        // SOCKS_PROXY and BINDTODEVICE: NULL clears, empty non-NULL refused.
        o.set(ZMQ_SOCKS_PROXY, b"127.0.0.1:1080").unwrap();
        assert_eq!(
            get_vec(&o, ZMQ_SOCKS_PROXY, 64),
            Ok(b"127.0.0.1:1080\0".to_vec())
        );
        assert_eq!(get_vec(&o, ZMQ_SOCKS_PROXY, 14), Err(Errno::EINVAL));
        assert_eq!(get_vec(&o, ZMQ_SOCKS_PROXY, 15).map(|v| v.len()), Ok(15));
        assert_eq!(o.set(ZMQ_SOCKS_PROXY, b""), Err(Errno::EINVAL));
        assert_eq!(o.set(ZMQ_SOCKS_PROXY, &[b'a'; 1000]), Ok(()));
        assert_eq!(o.set_optval(ZMQ_SOCKS_PROXY, None), Ok(()));
        assert!(o.socks_proxy_address.is_empty());

        assert_eq!(o.set(ZMQ_BINDTODEVICE, &[b'e'; 16]), Ok(()));
        assert_eq!(o.set(ZMQ_BINDTODEVICE, &[b'e'; 17]), Err(Errno::EINVAL));
        assert_eq!(o.set(ZMQ_BINDTODEVICE, b""), Err(Errno::EINVAL));
        assert_eq!(o.set_optval(ZMQ_BINDTODEVICE, None), Ok(()));
        assert!(o.bound_device.is_empty());

        // SOCKS credentials: NULL or empty clear; up to 255 bytes.
        for option in [ZMQ_SOCKS_USERNAME, ZMQ_SOCKS_PASSWORD] {
            assert_eq!(o.set(option, &[b'u'; 255]), Ok(()));
            assert_eq!(get_vec(&o, option, 256).map(|v| v.len()), Ok(256));
            assert_eq!(o.set(option, &[b'u'; 256]), Err(Errno::EINVAL));
            assert_eq!(o.set(option, b""), Ok(()));
            assert_eq!(get_vec(&o, option, 1), Ok(vec![0]));
            o.set(option, b"x").unwrap();
            assert_eq!(o.set_optval(option, None), Ok(()));
            assert_eq!(get_vec(&o, option, 1), Ok(vec![0]));
        }

        // ZAP domain: 1..=255 bytes, never empty, never NULL.
        assert_eq!(o.set(ZMQ_ZAP_DOMAIN, b"global"), Ok(()));
        assert_eq!(get_vec(&o, ZMQ_ZAP_DOMAIN, 7), Ok(b"global\0".to_vec()));
        assert_eq!(o.set(ZMQ_ZAP_DOMAIN, b""), Err(Errno::EINVAL));
        assert_eq!(o.set_optval(ZMQ_ZAP_DOMAIN, None), Err(Errno::EINVAL));
        assert_eq!(o.set(ZMQ_ZAP_DOMAIN, &[b'z'; 256]), Err(Errno::EINVAL));
        assert_eq!(o.set(ZMQ_ZAP_DOMAIN, &[b'z'; 255]), Ok(()));
    }

    #[test]
    fn plain_mechanism() {
        let mut o = Options::new(ZMQ_DEALER);
        o.set(ZMQ_PLAIN_SERVER, &int(1)).unwrap();
        assert_eq!(get_int(&o, ZMQ_MECHANISM), Ok(ZMQ_PLAIN));
        assert_eq!(get_int(&o, ZMQ_PLAIN_SERVER), Ok(1));
        o.set(ZMQ_CURVE_SERVER, &int(0)).unwrap();
        assert_eq!(get_int(&o, ZMQ_MECHANISM), Ok(ZMQ_NULL));
        assert_eq!(get_int(&o, ZMQ_PLAIN_SERVER), Ok(0));

        o.set(ZMQ_PLAIN_SERVER, &int(1)).unwrap();
        o.set(ZMQ_PLAIN_USERNAME, b"admin").unwrap();
        assert_eq!(get_int(&o, ZMQ_MECHANISM), Ok(ZMQ_PLAIN));
        assert_eq!(
            get_int(&o, ZMQ_PLAIN_SERVER),
            Ok(0),
            "a username makes a client"
        );
        assert_eq!(get_vec(&o, ZMQ_PLAIN_USERNAME, 32), Ok(b"admin\0".to_vec()));

        o.set(ZMQ_PLAIN_SERVER, &int(1)).unwrap();
        o.set_optval(ZMQ_PLAIN_PASSWORD, None).unwrap();
        assert_eq!(get_int(&o, ZMQ_MECHANISM), Ok(ZMQ_NULL));
        assert_eq!(get_vec(&o, ZMQ_PLAIN_USERNAME, 32), Ok(b"admin\0".to_vec()));

        for option in [ZMQ_PLAIN_USERNAME, ZMQ_PLAIN_PASSWORD] {
            assert_eq!(o.set(option, b""), Err(Errno::EINVAL));
            assert_eq!(o.set(option, &[b'p'; 256]), Err(Errno::EINVAL));
            assert_eq!(o.set(option, &[b'p'; 255]), Ok(()));
        }
        assert_eq!(o.set(ZMQ_MECHANISM, &int(1)), Err(Errno::EINVAL));
    }

    const Z85_KEY: &[u8; 40] = b"rq:rM>}U?@Lns47E1%kR.o@n%FcmmsL/@{H8]yf7";
    const RAW_KEY: [u8; 32] = [
        0x54, 0xfc, 0xba, 0x24, 0xe9, 0x32, 0x49, 0x96, 0x93, 0x16, 0xfb, 0x61, 0x7c, 0x87, 0x2b,
        0xb0, 0xc1, 0xd1, 0xff, 0x14, 0x80, 0x04, 0x27, 0xc5, 0x94, 0xcb, 0xfa, 0xcf, 0x1b, 0xc2,
        0xd6, 0x52,
    ];

    #[test]
    fn z85_codec() {
        assert_eq!(&z85_encode_key(&RAW_KEY), Z85_KEY);
        let mut key = [0u8; 32];
        z85_decode_into(Z85_KEY, &mut key).unwrap();
        assert_eq!(key, RAW_KEY);
        // RFC 32 test vector.
        let mut k = [0u8; 32];
        z85_decode_into(b"HelloWorld", &mut k).unwrap();
        assert_eq!(&k[..8], &[0x86, 0x4F, 0xD2, 0x6F, 0xB5, 0x59, 0xF7, 0x5B]);
        assert_eq!(z85_decode_into(b"", &mut k), Err(Errno::EINVAL));
        assert_eq!(z85_decode_into(b"abcd", &mut k), Err(Errno::EINVAL));
        assert_eq!(
            z85_decode_into(b"%%%%%", &mut k),
            Err(Errno::EINVAL),
            "overflow"
        );
        assert_eq!(z85_decode_into(b"abc\"d", &mut k), Err(Errno::EINVAL));
        let mut all = [0u8; 32];
        for (i, b) in all.iter_mut().enumerate() {
            *b = (i * 37 + 255) as u8;
        }
        let mut back = [0u8; 32];
        z85_decode_into(&z85_encode_key(&all), &mut back).unwrap();
        assert_eq!(back, all);
    }

    #[test]
    fn curve_keys() {
        for option in [
            ZMQ_CURVE_PUBLICKEY,
            ZMQ_CURVE_SECRETKEY,
            ZMQ_CURVE_SERVERKEY,
        ] {
            let mut o = Options::new(ZMQ_DEALER);
            o.set(option, Z85_KEY).unwrap();
            assert_eq!(get_int(&o, ZMQ_MECHANISM), Ok(ZMQ_CURVE));
            assert_eq!(get_vec(&o, option, 32), Ok(RAW_KEY.to_vec()));
            let mut text = Z85_KEY.to_vec();
            text.push(0);
            assert_eq!(get_vec(&o, option, 41), Ok(text.clone()));
            for size in [0, 31, 33, 40, 42, 64] {
                assert_eq!(get_vec(&o, option, size), Err(Errno::EINVAL), "size {size}");
            }
            let mut o = Options::new(ZMQ_DEALER);
            o.set(option, &text).unwrap();
            assert_eq!(get_vec(&o, option, 32), Ok(RAW_KEY.to_vec()));
            let mut o = Options::new(ZMQ_DEALER);
            o.set(option, &RAW_KEY).unwrap();
            assert_eq!(get_vec(&o, option, 41), Ok(text));

            let mut o = Options::new(ZMQ_DEALER);
            for bad in [
                &b""[..],
                b"a",
                &[b'0'; 31],
                &[b'0'; 33],
                &[b'0'; 39],
                &[b'0'; 42],
            ] {
                assert_eq!(o.set(option, bad), Err(Errno::EINVAL));
            }
            assert_eq!(o.set_optval(option, None), Err(Errno::EINVAL));
            // 41 characters without a NUL, or an empty C string, are not keys.
            let mut no_nul = Z85_KEY.to_vec();
            no_nul.push(b'x');
            assert_eq!(o.set(option, &no_nul), Err(Errno::EINVAL));
            assert_eq!(o.set(option, &[0u8; 41]), Err(Errno::EINVAL));
            assert_eq!(get_int(&o, ZMQ_MECHANISM), Ok(ZMQ_NULL));
        }
    }

    #[test]
    fn curve_key_quirks_match_libzmq() {
        // A NUL inside the text ends it: "HelloWorld" fills only the first 8 bytes.
        let mut o = Options::new(ZMQ_DEALER);
        o.set(ZMQ_CURVE_SECRETKEY, Z85_KEY).unwrap();
        let mut text = b"HelloWorld\0".to_vec();
        text.resize(41, b'x');
        o.set(ZMQ_CURVE_SECRETKEY, &text).unwrap();
        let mut expected = RAW_KEY;
        expected[..8].copy_from_slice(&[0x86, 0x4F, 0xD2, 0x6F, 0xB5, 0x59, 0xF7, 0x5B]);
        assert_eq!(o.curve_secret_key.bytes(), &expected);
        // A bad character leaves the groups before it decoded, and fails.
        let mut o = Options::new(ZMQ_DEALER);
        let mut bad = *Z85_KEY;
        bad[39] = b'"';
        assert_eq!(o.set(ZMQ_CURVE_SECRETKEY, &bad), Err(Errno::EINVAL));
        assert_eq!(o.curve_secret_key.bytes()[..28], RAW_KEY[..28]);
        assert_eq!(o.curve_secret_key.bytes()[28..], [0; 4]);
        assert_eq!(o.mechanism, ZMQ_NULL);
    }

    #[test]
    fn curve_server_flags() {
        let mut o = Options::new(ZMQ_DEALER);
        o.set(ZMQ_CURVE_SERVER, &int(1)).unwrap();
        assert_eq!(get_int(&o, ZMQ_CURVE_SERVER), Ok(1));
        assert_eq!(get_int(&o, ZMQ_PLAIN_SERVER), Ok(0));
        o.set(ZMQ_CURVE_PUBLICKEY, &RAW_KEY).unwrap();
        assert_eq!(
            get_int(&o, ZMQ_CURVE_SERVER),
            Ok(1),
            "own keys keep the role"
        );
        o.set(ZMQ_CURVE_SERVERKEY, &RAW_KEY).unwrap();
        assert_eq!(
            get_int(&o, ZMQ_CURVE_SERVER),
            Ok(0),
            "a server key makes a client"
        );
        assert_eq!(get_int(&o, ZMQ_MECHANISM), Ok(ZMQ_CURVE));
        o.set(ZMQ_PLAIN_SERVER, &int(0)).unwrap();
        assert_eq!(get_int(&o, ZMQ_MECHANISM), Ok(ZMQ_NULL));
    }

    #[test]
    fn accept_filters() {
        let mut o = Options::new(ZMQ_DEALER);
        for ok in [
            &b"127.0.0.1"[..],
            b"127.0.0.1\0",
            b"10.0.0.0/8",
            b"1.2.3.4/0",
            b"1.2.3.4/8x",
            b"1.2.3.4/ 8",
            b"1.2.3.4/+8",
            b"1.2.3.4/08",
            b"127.1",
            b"0x7f.0.0.1",
            b"[127.0.0.1]",
            b"::ffff:1.2.3.4",
            b"0.0.0.0",
        ] {
            assert_eq!(o.set(ZMQ_TCP_ACCEPT_FILTER, ok), Ok(()), "{ok:?}");
        }
        for bad in [
            &b""[..],
            b"\0",
            b"a",
            b"::1",
            b"1.2.3.4/33",
            b"1.2.3.4/",
            b"1.2.3.4/00",
            b"1.2.3.4/-8",
            b"1.2.3.4/8/8",
            b"localhost",
            b"*",
            b"1.2.3.4:80",
            b" 1.2.3.4",
            b"1.2.3.4 ",
            b"fe80::1%lo",
            b"1.2.3.4/99999999999999999999",
            &[b'1'; 256],
        ] {
            assert_eq!(
                o.set(ZMQ_TCP_ACCEPT_FILTER, bad),
                Err(Errno::EINVAL),
                "{bad:?}"
            );
        }
        assert_eq!(o.tcp_accept_filters.len(), 13);
        assert_eq!(
            o.get(ZMQ_TCP_ACCEPT_FILTER, &mut [0u8; 256]),
            Err(Errno::EINVAL)
        );
        assert_eq!(o.set_optval(ZMQ_TCP_ACCEPT_FILTER, None), Ok(()));
        assert!(o.tcp_accept_filters.is_empty());

        o.set(ZMQ_IPV6, &int(1)).unwrap();
        for ok in [
            &b"::1"[..],
            b"::1/128",
            b"::1/0",
            b"[::1]",
            b"fe80::1%1",
            b"127.0.0.1",
        ] {
            assert_eq!(o.set(ZMQ_TCP_ACCEPT_FILTER, ok), Ok(()), "{ok:?}");
        }
        assert_eq!(o.set(ZMQ_TCP_ACCEPT_FILTER, b"::1/129"), Err(Errno::EINVAL));
        assert_eq!(
            o.set(ZMQ_TCP_ACCEPT_FILTER, b"fe80::1%"),
            Err(Errno::EINVAL)
        );
        assert_eq!(
            o.set(ZMQ_TCP_ACCEPT_FILTER, b"fe80::1%0"),
            Err(Errno::EINVAL)
        );
        let mapped = o.tcp_accept_filters.last().unwrap();
        assert_eq!(mapped.addr, "::ffff:127.0.0.1".parse::<IpAddr>().unwrap());
        assert_eq!(mapped.mask, 128);
    }

    #[test]
    fn accept_filter_matching() {
        let f = TcpAcceptFilter::parse(b"10.1.0.0/16", false).unwrap();
        assert!(f.matches(&"10.1.200.3".parse().unwrap()));
        assert!(!f.matches(&"10.2.0.1".parse().unwrap()));
        assert!(!f.matches(&"::ffff:10.1.0.1".parse().unwrap()));
        let f = TcpAcceptFilter::parse(b"192.168.1.128/25", false).unwrap();
        assert!(f.matches(&"192.168.1.200".parse().unwrap()));
        assert!(!f.matches(&"192.168.1.100".parse().unwrap()));
        let any = TcpAcceptFilter::parse(b"1.2.3.4/0", false).unwrap();
        assert!(any.matches(&"8.8.8.8".parse().unwrap()));
        let host = TcpAcceptFilter::parse(b"127.0.0.1", false).unwrap();
        assert_eq!(host.mask, 32);
        assert!(host.matches(&"127.0.0.1".parse().unwrap()));
        assert!(!host.matches(&"127.0.0.2".parse().unwrap()));
        let v6 = TcpAcceptFilter::parse(b"fe80::/10", true).unwrap();
        assert!(v6.matches(&"febf::1".parse().unwrap()));
        assert!(!v6.matches(&"fec0::1".parse().unwrap()));
    }

    #[test]
    fn inet_aton_forms() {
        let p = |s: &str| parse_inet_aton(s).map(|a| a.to_string());
        assert_eq!(p("1.2.3.4").as_deref(), Some("1.2.3.4"));
        assert_eq!(p("127.1").as_deref(), Some("127.0.0.1"));
        assert_eq!(p("10.1.258").as_deref(), Some("10.1.1.2"));
        assert_eq!(p("16909060").as_deref(), Some("1.2.3.4"));
        assert_eq!(p("0x7f.0.0.1").as_deref(), Some("127.0.0.1"));
        assert_eq!(p("010.0.0.1").as_deref(), Some("8.0.0.1"));
        assert_eq!(p("0").as_deref(), Some("0.0.0.0"));
        assert_eq!(p("00").as_deref(), Some("0.0.0.0"));
        let bad_forms = [
            "",
            ".",
            "1.",
            "1.2.3.4.5",
            "256.1.1.1",
            "1.2.3.256",
            "08.1.1.1",
            "0x",
            "0x.1",
            "a",
            "0x100000000",
        ];
        for bad in bad_forms {
            assert_eq!(p(bad), None, "{bad}");
        }
        assert_eq!(p("4294967295").as_deref(), Some("255.255.255.255"));
        assert_eq!(p("4294967296"), None);
    }

    #[test]
    fn ipc_filters() {
        let mut o = Options::new(ZMQ_DEALER);
        for option in [ZMQ_IPC_FILTER_UID, ZMQ_IPC_FILTER_GID, ZMQ_IPC_FILTER_PID] {
            for v in [0, 1000, -1, i32::MIN] {
                assert_eq!(o.set(option, &int(v)), Ok(()));
            }
            assert_eq!(o.set(option, b""), Err(Errno::EINVAL));
            assert_eq!(o.set(option, &[0u8; 8]), Err(Errno::EINVAL));
            assert_eq!(o.get(option, &mut [0u8; 4]), Err(Errno::EINVAL));
        }
        assert_eq!(o.ipc_uid_accept_filters.len(), 4);
        assert!(o.ipc_uid_accept_filters.contains(&1000));
        assert!(o.ipc_pid_accept_filters.contains(&-1));
        o.set_optval(ZMQ_IPC_FILTER_GID, None).unwrap();
        assert!(o.ipc_gid_accept_filters.is_empty());
        assert_eq!(o.ipc_uid_accept_filters.len(), 4);
    }

    #[test]
    fn metadata() {
        let mut o = Options::new(ZMQ_DEALER);
        assert_eq!(o.set(ZMQ_METADATA, b"X-key:value"), Ok(()));
        assert_eq!(o.set(ZMQ_METADATA, b"X-k:v"), Ok(()));
        assert_eq!(
            o.set(ZMQ_METADATA, b"X-k:other"),
            Ok(()),
            "accepted, first kept"
        );
        assert_eq!(o.set(ZMQ_METADATA, b"X-a:b:c"), Ok(()));
        assert_eq!(o.set(ZMQ_METADATA, b"X-a\0:2"), Ok(()));
        for bad in [
            &b""[..],
            b"key:value",
            b"x-a:22",
            b"X-:v",
            b"X-k:",
            b":val",
            b"X-novalue",
            b"X:val",
        ] {
            assert_eq!(o.set(ZMQ_METADATA, bad), Err(Errno::EINVAL), "{bad:?}");
        }
        let mut long_key = b"X-".to_vec();
        long_key.resize(256, b'k');
        long_key.extend_from_slice(b":v");
        assert_eq!(o.set(ZMQ_METADATA, &long_key), Err(Errno::EINVAL));
        assert_eq!(o.set_optval(ZMQ_METADATA, None), Err(Errno::EINVAL));
        assert_eq!(
            o.app_metadata.get(&b"X-k"[..]).map(Vec::as_slice),
            Some(&b"v"[..])
        );
        assert_eq!(
            o.app_metadata.get(&b"X-a"[..]).map(Vec::as_slice),
            Some(&b"b:c"[..])
        );
        assert_eq!(o.app_metadata.len(), 4);
        assert_eq!(o.get(ZMQ_METADATA, &mut [0u8; 64]), Err(Errno::EINVAL));
    }

    #[test]
    fn write_only_messages() {
        let mut o = Options::new(ZMQ_DEALER);
        for option in [ZMQ_HELLO_MSG, ZMQ_DISCONNECT_MSG, ZMQ_HICCUP_MSG] {
            assert_eq!(o.set(option, b"hello"), Ok(()));
            assert_eq!(o.get(option, &mut [0u8; 64]), Err(Errno::EINVAL));
        }
        assert_eq!(o.hello_msg, b"hello");
        assert_eq!(o.set(ZMQ_HELLO_MSG, b""), Ok(()));
        assert!(o.hello_msg.is_empty());
        assert_eq!(o.set_optval(ZMQ_DISCONNECT_MSG, None), Ok(()));
        assert!(o.disconnect_msg.is_empty());
        assert_eq!(o.hiccup_msg, b"hello");
    }

    #[test]
    fn busy_poll_reads_back_as_error() {
        let mut o = Options::new(ZMQ_DEALER);
        assert_eq!(o.set(ZMQ_BUSY_POLL, &int(-7)), Ok(()));
        assert_eq!(o.busy_poll, -7);
        let mut b = [0u8; 4];
        assert_eq!(o.get(ZMQ_BUSY_POLL, &mut b), Err(Errno::EINVAL));
        assert_eq!(i32::from_ne_bytes(b), -7);
        assert_eq!(o.set(ZMQ_BUSY_POLL, &[0u8; 8]), Err(Errno::EINVAL));
    }

    #[test]
    fn router_notify_and_connect_routing_id_by_type() {
        for t in ALL_TYPES {
            let mut o = Options::new(t);
            let routerish = matches!(t, ZMQ_ROUTER | ZMQ_REP);
            let notify = o.set(ZMQ_ROUTER_NOTIFY, &int(ZMQ_NOTIFY_CONNECT));
            assert_eq!(notify.is_ok(), routerish, "type {t}");
            let back = if routerish { ZMQ_NOTIFY_CONNECT } else { 0 };
            assert_eq!(get_int(&o, ZMQ_ROUTER_NOTIFY), Ok(back));
            let rid = o.set(ZMQ_CONNECT_ROUTING_ID, b"peer-1");
            assert_eq!(rid.is_ok(), routerish || t == ZMQ_STREAM, "type {t}");
        }
        let mut o = Options::new(ZMQ_ROUTER);
        assert_eq!(o.set(ZMQ_ROUTER_NOTIFY, &int(3)), Ok(()));
        assert_eq!(o.set(ZMQ_ROUTER_NOTIFY, &int(4)), Err(Errno::EINVAL));
        assert_eq!(o.set(ZMQ_ROUTER_NOTIFY, &int(-1)), Err(Errno::EINVAL));
        assert_eq!(o.set(ZMQ_CONNECT_ROUTING_ID, b""), Err(Errno::EINVAL));
        assert_eq!(
            o.set_optval(ZMQ_CONNECT_ROUTING_ID, None),
            Err(Errno::EINVAL)
        );
        assert_eq!(o.set(ZMQ_CONNECT_ROUTING_ID, &[b'r'; 300]), Ok(()));
        assert_eq!(o.connect_routing_id.len(), 300);
        assert_eq!(
            o.get(ZMQ_CONNECT_ROUTING_ID, &mut [0u8; 512]),
            Err(Errno::EINVAL)
        );
    }

    #[test]
    fn options_not_built_in_refuse() {
        let mut o = Options::new(ZMQ_DEALER);
        let absent = [
            ZMQ_GSSAPI_SERVER,
            ZMQ_GSSAPI_PRINCIPAL,
            ZMQ_GSSAPI_SERVICE_PRINCIPAL,
            ZMQ_GSSAPI_PLAINTEXT,
            ZMQ_GSSAPI_PRINCIPAL_NAMETYPE,
            ZMQ_GSSAPI_SERVICE_PRINCIPAL_NAMETYPE,
            ZMQ_VMCI_BUFFER_SIZE,
            ZMQ_VMCI_BUFFER_MIN_SIZE,
            ZMQ_VMCI_BUFFER_MAX_SIZE,
            ZMQ_VMCI_CONNECT_TIMEOUT,
            ZMQ_NORM_MODE,
            ZMQ_NORM_UNICAST_NACK,
            ZMQ_NORM_BUFFER_SIZE,
            ZMQ_NORM_SEGMENT_SIZE,
            ZMQ_NORM_BLOCK_SIZE,
            ZMQ_NORM_NUM_PARITY,
            ZMQ_NORM_NUM_AUTOPARITY,
            ZMQ_NORM_PUSH,
        ];
        for option in absent {
            for value in [&int(0)[..], &int(1), &0u64.to_ne_bytes(), b"text"] {
                assert_eq!(o.set(option, value), Err(Errno::EINVAL), "option {option}");
            }
            assert_eq!(o.get(option, &mut [0u8; 4]), Err(Errno::EINVAL));
            assert_eq!(o.get(option, &mut [0u8; 8]), Err(Errno::EINVAL));
        }
    }

    #[test]
    fn wss_options_are_checked_and_set_only() {
        let mut o = Options::new(ZMQ_DEALER);
        for option in [ZMQ_WSS_KEY_PEM, ZMQ_WSS_CERT_PEM, ZMQ_WSS_TRUST_PEM] {
            assert_eq!(o.set(option, b"not a pem"), Err(Errno::EINVAL), "{option}");
            assert_eq!(o.set_optval(option, None), Ok(()));
        }
        let cert = b"-----BEGIN CERTIFICATE-----\nMIIBAA==\n-----END CERTIFICATE-----\n";
        assert_eq!(o.set(ZMQ_WSS_TRUST_PEM, cert), Ok(()));
        assert_eq!(o.wss_trust_pem, cert.to_vec());
        assert_eq!(o.set(ZMQ_WSS_HOSTNAME, b"example.org"), Ok(()));
        assert_eq!(o.set(ZMQ_WSS_HOSTNAME, b"bad name!"), Err(Errno::EINVAL));
        assert_eq!(o.set(ZMQ_WSS_TRUST_SYSTEM, &int(1)), Ok(()));
        assert!(o.wss_trust_system);
        assert_eq!(o.set(ZMQ_WSS_TRUST_SYSTEM, &int(2)), Err(Errno::EINVAL));
        for option in [
            ZMQ_WSS_KEY_PEM,
            ZMQ_WSS_CERT_PEM,
            ZMQ_WSS_TRUST_PEM,
            ZMQ_WSS_HOSTNAME,
            ZMQ_WSS_TRUST_SYSTEM,
        ] {
            assert_eq!(o.get(option, &mut [0u8; 256]), Err(Errno::EINVAL));
        }
    }

    #[test]
    fn pattern_and_core_options_are_not_generic() {
        let mut o = Options::new(ZMQ_ROUTER);
        for option in -1..200 {
            if is_pattern_level(option) {
                assert_eq!(o.set(option, &int(1)), Err(Errno::EINVAL), "{option}");
                assert_eq!(o.get(option, &mut [0u8; 4]), Err(Errno::EINVAL), "{option}");
            }
            if is_socket_level(option) {
                assert_eq!(o.set(option, &int(1)), Err(Errno::EINVAL), "{option}");
            }
        }
        for option in [
            ZMQ_RCVMORE,
            ZMQ_FD,
            ZMQ_EVENTS,
            ZMQ_LAST_ENDPOINT,
            ZMQ_THREAD_SAFE,
        ] {
            assert!(is_socket_level(option));
            assert_eq!(o.get(option, &mut [0u8; 8]), Err(Errno::EINVAL));
        }
        assert!(is_socket_level(ZMQ_TYPE));
        assert!(!is_socket_level(ZMQ_LINGER));
        assert!(is_pattern_level(ZMQ_SUBSCRIBE) && !is_pattern_level(ZMQ_CONFLATE));
        assert_eq!(o.set(ZMQ_TYPE, &int(1)), Err(Errno::EINVAL));
        assert_eq!(o.get(ZMQ_TYPE, &mut [0u8; 8]), Err(Errno::EINVAL));
        // Unknown ids.
        for option in [-1, 0, 1, 3, 10, 26, 29, 30, 67, 82, 83, 125, 1000] {
            assert_eq!(o.set(option, &int(1)), Err(Errno::EINVAL), "{option}");
            assert_eq!(o.get(option, &mut [0u8; 4]), Err(Errno::EINVAL), "{option}");
        }
    }

    #[test]
    fn conflate_applies_to_some_types() {
        for t in ALL_TYPES {
            let mut o = Options::new(t);
            o.set(ZMQ_CONFLATE, &int(1)).unwrap();
            let applies = matches!(t, ZMQ_DEALER | ZMQ_PULL | ZMQ_PUSH | ZMQ_PUB | ZMQ_SUB);
            assert_eq!(o.effective_conflate(), applies, "type {t}");
        }
    }

    #[test]
    fn helpers() {
        assert_eq!(int_value(&int(-3)), Ok(-3));
        assert_eq!(int_value(&[0; 3]), Err(Errno::EINVAL));
        assert_eq!(int_value(&[0; 8]), Err(Errno::EINVAL));
        assert_eq!(bool_value(&int(1)), Ok(true));
        assert_eq!(bool_value(&int(0)), Ok(false));
        assert_eq!(bool_value(&int(2)), Err(Errno::EINVAL));
        assert_eq!(relaxed_bool(&int(2)), Ok(true));
        let mut b = [0xAAu8; 8];
        assert_eq!(put_int(&mut b[..4], 7), Ok(4));
        assert_eq!(put_int(&mut b, 7), Err(Errno::EINVAL));
        assert_eq!(put_int_relaxed(&mut b, 7), Ok(4));
        assert_eq!(b, [7, 0, 0, 0, 0, 0, 0, 0]);
        assert_eq!(put_int_relaxed(&mut b[..3], 7), Err(Errno::EINVAL));
        assert_eq!(put_string(&mut b, b"tcp"), Ok(4));
        assert_eq!(&b, b"tcp\0\0\0\0\0");
        assert_eq!(put_string(&mut b[..3], b"tcp"), Err(Errno::EINVAL));
        assert_eq!(put_bytes(&mut b[..3], b"tcp"), Ok(3));
        assert_eq!(c_strtol("  -12x"), -12);
        assert_eq!(c_strtol("x"), 0);
        assert_eq!(c_strtol("99999999999999999999999"), i64::MAX);
    }
}
