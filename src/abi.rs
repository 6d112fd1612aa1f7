//! The C-visible constants of libzmq 4.3.5's ABI: option ids, socket types, events, errno values.
//!
//! cbindgen turns every item here into a `#define` or type of `include/zmq.h`; draft items
//! are wrapped in `#ifdef ZMQ_BUILD_DRAFT_API` by the `zmq_draft_api` cfg that `build.rs`
//! always sets. `build.rs` reads the `pub const` lines of this file (one item per line):
//! it writes the `&str` constants as string-literal macros, which cbindgen cannot, and keeps
//! every other crate constant out of the header. The callback aliases become libzmq's
//! function-type typedefs there.
#![allow(missing_docs, non_camel_case_types)]

pub const ZMQ_AFFINITY: i32 = 4;
pub const ZMQ_BACKLOG: i32 = 19;
pub const ZMQ_BINDTODEVICE: i32 = 92;
pub const ZMQ_BLOCKY: i32 = 70;
#[cfg(zmq_draft_api)]
pub const ZMQ_BUSY_POLL: i32 = 113;
#[cfg(zmq_draft_api)]
pub const ZMQ_CHANNEL: i32 = 20;
#[cfg(zmq_draft_api)]
pub const ZMQ_CLIENT: i32 = 13;
pub const ZMQ_CONFLATE: i32 = 54;
pub const ZMQ_CONNECT_RID: i32 = 61;
pub const ZMQ_CONNECT_ROUTING_ID: i32 = 61;
pub const ZMQ_CONNECT_TIMEOUT: i32 = 79;
#[cfg(zmq_draft_api)]
pub const ZMQ_CURRENT_EVENT_VERSION: i32 = 1;
#[cfg(zmq_draft_api)]
pub const ZMQ_CURRENT_EVENT_VERSION_DRAFT: i32 = 2;
pub const ZMQ_CURVE: i32 = 2;
pub const ZMQ_CURVE_PUBLICKEY: i32 = 48;
pub const ZMQ_CURVE_SECRETKEY: i32 = 49;
pub const ZMQ_CURVE_SERVER: i32 = 47;
pub const ZMQ_CURVE_SERVERKEY: i32 = 50;
pub const ZMQ_DEALER: i32 = 5;
pub const ZMQ_DELAY_ATTACH_ON_CONNECT: i32 = 39;
#[cfg(zmq_draft_api)]
pub const ZMQ_DGRAM: i32 = 18;
#[cfg(zmq_draft_api)]
pub const ZMQ_DISCONNECT_MSG: i32 = 111;
#[cfg(zmq_draft_api)]
pub const ZMQ_DISH: i32 = 15;
pub const ZMQ_DONTWAIT: i32 = 1;
pub const ZMQ_EVENTS: i32 = 15;
pub const ZMQ_EVENT_ACCEPTED: i32 = 32;
pub const ZMQ_EVENT_ACCEPT_FAILED: i32 = 64;
pub const ZMQ_EVENT_ALL: i32 = 65535;
#[cfg(zmq_draft_api)]
pub const ZMQ_EVENT_ALL_V1: i32 = 65535;
#[cfg(zmq_draft_api)]
pub const ZMQ_EVENT_ALL_V2: i32 = 131071;
pub const ZMQ_EVENT_BIND_FAILED: i32 = 16;
pub const ZMQ_EVENT_CLOSED: i32 = 128;
pub const ZMQ_EVENT_CLOSE_FAILED: i32 = 256;
pub const ZMQ_EVENT_CONNECTED: i32 = 1;
pub const ZMQ_EVENT_CONNECT_DELAYED: i32 = 2;
pub const ZMQ_EVENT_CONNECT_RETRIED: i32 = 4;
pub const ZMQ_EVENT_DISCONNECTED: i32 = 512;
pub const ZMQ_EVENT_HANDSHAKE_FAILED_AUTH: i32 = 16384;
pub const ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL: i32 = 2048;
pub const ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL: i32 = 8192;
pub const ZMQ_EVENT_HANDSHAKE_SUCCEEDED: i32 = 4096;
pub const ZMQ_EVENT_LISTENING: i32 = 8;
pub const ZMQ_EVENT_MONITOR_STOPPED: i32 = 1024;
#[cfg(zmq_draft_api)]
pub const ZMQ_EVENT_PIPES_STATS: i32 = 65536;
pub const ZMQ_FAIL_UNROUTABLE: i32 = 33;
pub const ZMQ_FD: i32 = 14;
pub const ZMQ_FORWARDER: i32 = 2;
#[cfg(zmq_draft_api)]
pub const ZMQ_GATHER: i32 = 16;
pub const ZMQ_GROUP_MAX_LENGTH: i32 = 255;
pub const ZMQ_GSSAPI: i32 = 3;
pub const ZMQ_GSSAPI_NT_HOSTBASED: i32 = 0;
pub const ZMQ_GSSAPI_NT_KRB5_PRINCIPAL: i32 = 2;
pub const ZMQ_GSSAPI_NT_USER_NAME: i32 = 1;
pub const ZMQ_GSSAPI_PLAINTEXT: i32 = 65;
pub const ZMQ_GSSAPI_PRINCIPAL: i32 = 63;
pub const ZMQ_GSSAPI_PRINCIPAL_NAMETYPE: i32 = 90;
pub const ZMQ_GSSAPI_SERVER: i32 = 62;
pub const ZMQ_GSSAPI_SERVICE_PRINCIPAL: i32 = 64;
pub const ZMQ_GSSAPI_SERVICE_PRINCIPAL_NAMETYPE: i32 = 91;
pub const ZMQ_HANDSHAKE_IVL: i32 = 66;
pub const ZMQ_HAS_CAPABILITIES: i32 = 1;
pub const ZMQ_HAUSNUMERO: i32 = 156384712;
pub const ZMQ_HEARTBEAT_IVL: i32 = 75;
pub const ZMQ_HEARTBEAT_TIMEOUT: i32 = 77;
pub const ZMQ_HEARTBEAT_TTL: i32 = 76;
#[cfg(zmq_draft_api)]
pub const ZMQ_HELLO_MSG: i32 = 110;
#[cfg(zmq_draft_api)]
pub const ZMQ_HICCUP_MSG: i32 = 114;
pub const ZMQ_IDENTITY: i32 = 5;
pub const ZMQ_IMMEDIATE: i32 = 39;
pub const ZMQ_INVERT_MATCHING: i32 = 74;
#[cfg(zmq_draft_api)]
pub const ZMQ_IN_BATCH_SIZE: i32 = 101;
pub const ZMQ_IO_THREADS: i32 = 1;
pub const ZMQ_IO_THREADS_DFLT: i32 = 1;
pub const ZMQ_IPC_FILTER_GID: i32 = 60;
pub const ZMQ_IPC_FILTER_PID: i32 = 58;
pub const ZMQ_IPC_FILTER_UID: i32 = 59;
pub const ZMQ_IPV4ONLY: i32 = 31;
pub const ZMQ_IPV6: i32 = 42;
pub const ZMQ_LAST_ENDPOINT: i32 = 32;
pub const ZMQ_LINGER: i32 = 17;
#[cfg(zmq_draft_api)]
pub const ZMQ_LOOPBACK_FASTPATH: i32 = 94;
pub const ZMQ_MAXMSGSIZE: i32 = 22;
pub const ZMQ_MAX_MSGSZ: i32 = 5;
pub const ZMQ_MAX_SOCKETS: i32 = 2;
pub const ZMQ_MAX_SOCKETS_DFLT: i32 = 1023;
pub const ZMQ_MECHANISM: i32 = 43;
#[cfg(zmq_draft_api)]
pub const ZMQ_METADATA: i32 = 95;
pub const ZMQ_MORE: i32 = 1;
#[cfg(zmq_draft_api)]
pub const ZMQ_MSG_PROPERTY_PEER_ADDRESS: &str = "Peer-Address";
#[cfg(zmq_draft_api)]
pub const ZMQ_MSG_PROPERTY_ROUTING_ID: &str = "Routing-Id";
#[cfg(zmq_draft_api)]
pub const ZMQ_MSG_PROPERTY_SOCKET_TYPE: &str = "Socket-Type";
#[cfg(zmq_draft_api)]
pub const ZMQ_MSG_PROPERTY_USER_ID: &str = "User-Id";
pub const ZMQ_MSG_T_SIZE: i32 = 6;
pub const ZMQ_MULTICAST_HOPS: i32 = 25;
#[cfg(zmq_draft_api)]
pub const ZMQ_MULTICAST_LOOP: i32 = 96;
pub const ZMQ_MULTICAST_MAXTPDU: i32 = 84;
pub const ZMQ_NOBLOCK: i32 = 1;
#[cfg(zmq_draft_api)]
pub const ZMQ_NORM_BLOCK_SIZE: i32 = 121;
#[cfg(zmq_draft_api)]
pub const ZMQ_NORM_BUFFER_SIZE: i32 = 119;
#[cfg(zmq_draft_api)]
pub const ZMQ_NORM_CC: i32 = 1;
#[cfg(zmq_draft_api)]
pub const ZMQ_NORM_CCE: i32 = 3;
#[cfg(zmq_draft_api)]
pub const ZMQ_NORM_CCE_ECNONLY: i32 = 4;
#[cfg(zmq_draft_api)]
pub const ZMQ_NORM_CCL: i32 = 2;
#[cfg(zmq_draft_api)]
pub const ZMQ_NORM_FIXED: i32 = 0;
#[cfg(zmq_draft_api)]
pub const ZMQ_NORM_MODE: i32 = 117;
#[cfg(zmq_draft_api)]
pub const ZMQ_NORM_NUM_AUTOPARITY: i32 = 123;
#[cfg(zmq_draft_api)]
pub const ZMQ_NORM_NUM_PARITY: i32 = 122;
#[cfg(zmq_draft_api)]
pub const ZMQ_NORM_PUSH: i32 = 124;
#[cfg(zmq_draft_api)]
pub const ZMQ_NORM_SEGMENT_SIZE: i32 = 120;
#[cfg(zmq_draft_api)]
pub const ZMQ_NORM_UNICAST_NACK: i32 = 118;
#[cfg(zmq_draft_api)]
pub const ZMQ_NOTIFY_CONNECT: i32 = 1;
#[cfg(zmq_draft_api)]
pub const ZMQ_NOTIFY_DISCONNECT: i32 = 2;
pub const ZMQ_NULL: i32 = 0;
#[cfg(zmq_draft_api)]
pub const ZMQ_ONLY_FIRST_SUBSCRIBE: i32 = 108;
#[cfg(zmq_draft_api)]
pub const ZMQ_OUT_BATCH_SIZE: i32 = 102;
pub const ZMQ_PAIR: i32 = 0;
#[cfg(zmq_draft_api)]
pub const ZMQ_PEER: i32 = 19;
pub const ZMQ_PLAIN: i32 = 1;
pub const ZMQ_PLAIN_PASSWORD: i32 = 46;
pub const ZMQ_PLAIN_SERVER: i32 = 44;
pub const ZMQ_PLAIN_USERNAME: i32 = 45;
pub const ZMQ_POLLERR: i32 = 4;
pub const ZMQ_POLLIN: i32 = 1;
pub const ZMQ_POLLITEMS_DFLT: i32 = 16;
pub const ZMQ_POLLOUT: i32 = 2;
pub const ZMQ_POLLPRI: i32 = 8;
#[cfg(zmq_draft_api)]
pub const ZMQ_PRIORITY: i32 = 112;
pub const ZMQ_PROBE_ROUTER: i32 = 51;
pub const ZMQ_PROTOCOL_ERROR_WS_UNSPECIFIED: i32 = 805306368;
pub const ZMQ_PROTOCOL_ERROR_ZAP_BAD_REQUEST_ID: i32 = 536870914;
pub const ZMQ_PROTOCOL_ERROR_ZAP_BAD_VERSION: i32 = 536870915;
pub const ZMQ_PROTOCOL_ERROR_ZAP_INVALID_METADATA: i32 = 536870917;
pub const ZMQ_PROTOCOL_ERROR_ZAP_INVALID_STATUS_CODE: i32 = 536870916;
pub const ZMQ_PROTOCOL_ERROR_ZAP_MALFORMED_REPLY: i32 = 536870913;
pub const ZMQ_PROTOCOL_ERROR_ZAP_UNSPECIFIED: i32 = 536870912;
pub const ZMQ_PROTOCOL_ERROR_ZMTP_CRYPTOGRAPHIC: i32 = 285212673;
pub const ZMQ_PROTOCOL_ERROR_ZMTP_INVALID_METADATA: i32 = 268435480;
pub const ZMQ_PROTOCOL_ERROR_ZMTP_INVALID_SEQUENCE: i32 = 268435458;
pub const ZMQ_PROTOCOL_ERROR_ZMTP_KEY_EXCHANGE: i32 = 268435459;
pub const ZMQ_PROTOCOL_ERROR_ZMTP_MALFORMED_COMMAND_ERROR: i32 = 268435477;
pub const ZMQ_PROTOCOL_ERROR_ZMTP_MALFORMED_COMMAND_HELLO: i32 = 268435475;
pub const ZMQ_PROTOCOL_ERROR_ZMTP_MALFORMED_COMMAND_INITIATE: i32 = 268435476;
pub const ZMQ_PROTOCOL_ERROR_ZMTP_MALFORMED_COMMAND_MESSAGE: i32 = 268435474;
pub const ZMQ_PROTOCOL_ERROR_ZMTP_MALFORMED_COMMAND_READY: i32 = 268435478;
pub const ZMQ_PROTOCOL_ERROR_ZMTP_MALFORMED_COMMAND_UNSPECIFIED: i32 = 268435473;
pub const ZMQ_PROTOCOL_ERROR_ZMTP_MALFORMED_COMMAND_WELCOME: i32 = 268435479;
pub const ZMQ_PROTOCOL_ERROR_ZMTP_MECHANISM_MISMATCH: i32 = 285212674;
pub const ZMQ_PROTOCOL_ERROR_ZMTP_UNEXPECTED_COMMAND: i32 = 268435457;
pub const ZMQ_PROTOCOL_ERROR_ZMTP_UNSPECIFIED: i32 = 268435456;
pub const ZMQ_PUB: i32 = 1;
pub const ZMQ_PULL: i32 = 7;
pub const ZMQ_PUSH: i32 = 8;
pub const ZMQ_QUEUE: i32 = 3;
#[cfg(zmq_draft_api)]
pub const ZMQ_RADIO: i32 = 14;
pub const ZMQ_RATE: i32 = 8;
pub const ZMQ_RCVBUF: i32 = 12;
pub const ZMQ_RCVHWM: i32 = 24;
pub const ZMQ_RCVMORE: i32 = 13;
pub const ZMQ_RCVTIMEO: i32 = 27;
pub const ZMQ_RECONNECT_IVL: i32 = 18;
pub const ZMQ_RECONNECT_IVL_MAX: i32 = 21;
#[cfg(zmq_draft_api)]
pub const ZMQ_RECONNECT_STOP: i32 = 109;
#[cfg(zmq_draft_api)]
pub const ZMQ_RECONNECT_STOP_AFTER_DISCONNECT: i32 = 4;
#[cfg(zmq_draft_api)]
pub const ZMQ_RECONNECT_STOP_CONN_REFUSED: i32 = 1;
#[cfg(zmq_draft_api)]
pub const ZMQ_RECONNECT_STOP_HANDSHAKE_FAILED: i32 = 2;
pub const ZMQ_RECOVERY_IVL: i32 = 9;
pub const ZMQ_REP: i32 = 4;
pub const ZMQ_REQ: i32 = 3;
pub const ZMQ_REQ_CORRELATE: i32 = 52;
pub const ZMQ_REQ_RELAXED: i32 = 53;
pub const ZMQ_ROUTER: i32 = 6;
pub const ZMQ_ROUTER_BEHAVIOR: i32 = 33;
pub const ZMQ_ROUTER_HANDOVER: i32 = 56;
pub const ZMQ_ROUTER_MANDATORY: i32 = 33;
#[cfg(zmq_draft_api)]
pub const ZMQ_ROUTER_NOTIFY: i32 = 97;
pub const ZMQ_ROUTER_RAW: i32 = 41;
pub const ZMQ_ROUTING_ID: i32 = 5;
#[cfg(zmq_draft_api)]
pub const ZMQ_SCATTER: i32 = 17;
#[cfg(zmq_draft_api)]
pub const ZMQ_SERVER: i32 = 12;
pub const ZMQ_SHARED: i32 = 3;
pub const ZMQ_SNDBUF: i32 = 11;
pub const ZMQ_SNDHWM: i32 = 23;
pub const ZMQ_SNDMORE: i32 = 2;
pub const ZMQ_SNDTIMEO: i32 = 28;
pub const ZMQ_SOCKET_LIMIT: i32 = 3;
#[cfg(zmq_draft_api)]
pub const ZMQ_SOCKS_PASSWORD: i32 = 100;
pub const ZMQ_SOCKS_PROXY: i32 = 68;
#[cfg(zmq_draft_api)]
pub const ZMQ_SOCKS_USERNAME: i32 = 99;
pub const ZMQ_SRCFD: i32 = 2;
pub const ZMQ_STREAM: i32 = 11;
pub const ZMQ_STREAMER: i32 = 1;
pub const ZMQ_STREAM_NOTIFY: i32 = 73;
pub const ZMQ_SUB: i32 = 2;
pub const ZMQ_SUBSCRIBE: i32 = 6;
pub const ZMQ_TCP_ACCEPT_FILTER: i32 = 38;
pub const ZMQ_TCP_KEEPALIVE: i32 = 34;
pub const ZMQ_TCP_KEEPALIVE_CNT: i32 = 35;
pub const ZMQ_TCP_KEEPALIVE_IDLE: i32 = 36;
pub const ZMQ_TCP_KEEPALIVE_INTVL: i32 = 37;
pub const ZMQ_TCP_MAXRT: i32 = 80;
pub const ZMQ_THREAD_AFFINITY_CPU_ADD: i32 = 7;
pub const ZMQ_THREAD_AFFINITY_CPU_REMOVE: i32 = 8;
pub const ZMQ_THREAD_NAME_PREFIX: i32 = 9;
pub const ZMQ_THREAD_PRIORITY: i32 = 3;
pub const ZMQ_THREAD_PRIORITY_DFLT: i32 = -1;
pub const ZMQ_THREAD_SAFE: i32 = 81;
pub const ZMQ_THREAD_SCHED_POLICY: i32 = 4;
pub const ZMQ_THREAD_SCHED_POLICY_DFLT: i32 = -1;
#[cfg(zmq_draft_api)]
pub const ZMQ_TOPICS_COUNT: i32 = 116;
pub const ZMQ_TOS: i32 = 57;
pub const ZMQ_TYPE: i32 = 16;
pub const ZMQ_UNSUBSCRIBE: i32 = 7;
pub const ZMQ_USE_FD: i32 = 89;
pub const ZMQ_VERSION_MAJOR: i32 = 4;
pub const ZMQ_VERSION_MINOR: i32 = 3;
pub const ZMQ_VERSION_PATCH: i32 = 5;
pub const ZMQ_VMCI_BUFFER_MAX_SIZE: i32 = 87;
pub const ZMQ_VMCI_BUFFER_MIN_SIZE: i32 = 86;
pub const ZMQ_VMCI_BUFFER_SIZE: i32 = 85;
pub const ZMQ_VMCI_CONNECT_TIMEOUT: i32 = 88;
#[cfg(zmq_draft_api)]
pub const ZMQ_WSS_CERT_PEM: i32 = 104;
#[cfg(zmq_draft_api)]
pub const ZMQ_WSS_HOSTNAME: i32 = 106;
#[cfg(zmq_draft_api)]
pub const ZMQ_WSS_KEY_PEM: i32 = 103;
#[cfg(zmq_draft_api)]
pub const ZMQ_WSS_TRUST_PEM: i32 = 105;
#[cfg(zmq_draft_api)]
pub const ZMQ_WSS_TRUST_SYSTEM: i32 = 107;
pub const ZMQ_XPUB: i32 = 9;
pub const ZMQ_XPUB_MANUAL: i32 = 71;
#[cfg(zmq_draft_api)]
pub const ZMQ_XPUB_MANUAL_LAST_VALUE: i32 = 98;
pub const ZMQ_XPUB_NODROP: i32 = 69;
pub const ZMQ_XPUB_VERBOSE: i32 = 40;
pub const ZMQ_XPUB_VERBOSER: i32 = 78;
pub const ZMQ_XPUB_WELCOME_MSG: i32 = 72;
pub const ZMQ_XREP: i32 = 6;
pub const ZMQ_XREQ: i32 = 5;
pub const ZMQ_XSUB: i32 = 10;
#[cfg(zmq_draft_api)]
pub const ZMQ_XSUB_VERBOSE_UNSUBSCRIBE: i32 = 115;
pub const ZMQ_ZAP_DOMAIN: i32 = 55;
#[cfg(zmq_draft_api)]
pub const ZMQ_ZAP_ENFORCE_DOMAIN: i32 = 93;
#[cfg(zmq_draft_api)]
pub const ZMQ_ZERO_COPY_RECV: i32 = 10;
pub const ZMQ_VERSION: i32 = 40305;

pub const EFSM: i32 = ZMQ_HAUSNUMERO + 51;
pub const ENOCOMPATPROTO: i32 = ZMQ_HAUSNUMERO + 52;
pub const ETERM: i32 = ZMQ_HAUSNUMERO + 53;
pub const EMTHREAD: i32 = ZMQ_HAUSNUMERO + 54;

// ---- C types of the ABI ----

use std::os::raw::{c_int, c_short, c_uchar, c_void};

/// `zmq_fd_t`: a file descriptor (an `int` on Linux).
pub type zmq_fd_t = c_int;

/// Frees the data of a message created by `zmq_msg_init_data`.
pub type zmq_free_fn = unsafe extern "C" fn(data: *mut c_void, hint: *mut c_void);

/// Body of a thread started by `zmq_threadstart`.
pub type zmq_thread_fn = unsafe extern "C" fn(arg: *mut c_void);

/// Handler of a timer of `zmq_timers_*`.
pub type zmq_timer_fn = unsafe extern "C" fn(timer_id: c_int, arg: *mut c_void);

/// A message: 64 opaque bytes, pointer-aligned, holding a `crate::msg::Msg` in place.
/// In C its one field is `unsigned char _[64]`, as in libzmq.
///
/// cbindgen:field-names=[_]
#[repr(C, align(8))]
pub struct zmq_msg_t {
    pub _x: [c_uchar; 64],
}

/// One entry of `zmq_poll`'s array.
#[repr(C)]
pub struct zmq_pollitem_t {
    pub socket: *mut c_void,
    pub fd: zmq_fd_t,
    pub events: c_short,
    pub revents: c_short,
}

/// One event reported by `zmq_poller_wait` (draft).
#[cfg(zmq_draft_api)]
#[repr(C)]
pub struct zmq_poller_event_t {
    pub socket: *mut c_void,
    pub fd: zmq_fd_t,
    pub user_data: *mut c_void,
    pub events: c_short,
}
