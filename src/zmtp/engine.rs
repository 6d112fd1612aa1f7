//! The ZMTP engine of one connection: greeting and version negotiation, the NULL
//! mechanism's handshake, framing, commands and heartbeats, as a deterministic state
//! machine. Bytes go in through `receive`, come out through `output`; time is passed in.

use std::collections::VecDeque;
use std::io::IoSlice;
use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::abi::*;
use crate::msg::{flags, Metadata, Msg, Properties};

use super::codec::{self, DecodeError, Decoder, Framing, WIRE_COMMAND, WIRE_MORE};
use super::command;
use super::inbox::Inbox;
use super::mechanism::{self, Local, Mechanism, Security};
use super::output::{OutQueue, ZERO_COPY_MIN};
use super::zap::{self, ZapRequest};

/// Size of the signature: 0xFF, 8 bytes, 0x7F.
const SIGNATURE_LEN: usize = 10;
/// What is read of a peer's greeting before its revision says whether it is 3.x.
const V2_GREETING_LEN: usize = 12;
/// A full ZMTP 3.x greeting.
const V3_GREETING_LEN: usize = 64;
/// `send` refuses more while this much output waits (large bodies are queued by
/// reference, so this bounds how many messages leave the pipe ahead of the wire).
pub const OUTPUT_LIMIT: usize = 1024 * 1024;
/// The errno reported with a handshake timeout (what libzmq's last read left behind).
const HANDSHAKE_TIMEOUT_ERRNO: i32 = libc::EAGAIN;
/// The flags a mechanism's `encode` carries inside its box (libzmq's message flags).
const MSG_MORE: u8 = 0x01;
const MSG_COMMAND: u8 = 0x02;

/// What a connection's engine needs to know of its socket.
#[derive(Debug, Clone)]
pub struct EngineConfig {
    /// Our ZMQ_* socket type.
    pub socket_type: i32,
    /// Our ZMQ_ROUTING_ID (sent as Identity in READY, or as the identity frame to
    /// ZMTP 1.0/2.0 peers).
    pub routing_id: Vec<u8>,
    /// ZMQ_MAXMSGSIZE: -1 = unlimited; a larger incoming frame is a protocol error.
    pub maxmsgsize: i64,
    /// ZMQ_HEARTBEAT_IVL in ms: 0 = off; send PING every interval.
    pub heartbeat_ivl_ms: i32,
    /// ZMQ_HEARTBEAT_TIMEOUT in ms: -1 = the interval; no traffic this long after a
    /// PING closes the connection.
    pub heartbeat_timeout_ms: i32,
    /// ZMQ_HEARTBEAT_TTL in ms, announced in our PINGs (deciseconds on the wire).
    pub heartbeat_ttl_ms: i32,
    /// ZMQ_HANDSHAKE_IVL in ms: 0 = no limit.
    pub handshake_ivl_ms: i32,
    /// ZMQ_METADATA "X-..." properties to put in READY.
    pub metadata: Vec<(String, Vec<u8>)>,
    /// The Peer-Address property of received messages (empty: none); also the
    /// address a ZAP request names.
    pub peer_address: String,
    /// The security mechanism and its keys, and ZAP.
    pub security: Security,
}

impl Default for EngineConfig {
    fn default() -> Self {
        EngineConfig {
            socket_type: ZMQ_PAIR,
            routing_id: Vec::new(),
            maxmsgsize: -1,
            heartbeat_ivl_ms: 0,
            heartbeat_timeout_ms: -1,
            heartbeat_ttl_ms: 0,
            handshake_ivl_ms: 30_000,
            metadata: Vec::new(),
            peer_address: String::new(),
            security: Security::default(),
        }
    }
}

/// The protocol spoken with the peer, as negotiated.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Version {
    /// ZMTP 1.0 (with or without a signature): v1 framing, identity frame, no commands.
    Zmtp10,
    /// ZMTP 2.0: v2 framing, identity frame, no commands.
    Zmtp20,
    /// ZMTP 3.0: NULL handshake; subscriptions travel as messages.
    Zmtp30,
    /// ZMTP 3.1: subscriptions travel as SUBSCRIBE/CANCEL commands.
    Zmtp31,
}

impl Version {
    /// Whether the peer went through a mechanism handshake. libzmq reports
    /// ZMQ_EVENT_HANDSHAKE_SUCCEEDED only then, and attaches connection metadata to
    /// received messages only then.
    pub fn has_handshake(self) -> bool {
        matches!(self, Version::Zmtp30 | Version::Zmtp31)
    }
}

/// How a connection ended, which decides what the session does next: libzmq stops
/// reconnecting after a protocol error, and reconnects after the others.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CloseKind {
    /// The peer broke the protocol (bad frame, failed handshake, ERROR command).
    Protocol,
    /// The handshake or a heartbeat timed out.
    Timeout,
    /// The transport failed (reported through `Engine::connection_error`).
    Connection,
}

/// What the engine has to tell the I/O layer.
#[derive(Debug)]
pub enum EngineEvent {
    /// Handshake done. peer_routing_id is the Identity property (empty if none), or
    /// the identity frame of a ZMTP 1.0/2.0 peer.
    Ready {
        /// The peer's ZMQ_* type (-1 when it did not say or said something unknown).
        peer_socket_type: i32,
        peer_routing_id: Vec<u8>,
        /// Connection properties (empty for ZMTP 1.0/2.0 peers).
        metadata: Arc<Metadata>,
        /// The negotiated protocol.
        version: Version,
    },
    /// One incoming message part (user data), with MORE as sent; carries the connection
    /// metadata (Socket-Type, Identity, Peer-Address, X- properties) for ZMTP 3.x peers.
    Message(Msg),
    /// The handshake asks the ZAP handler: send these parts as one message on a pipe
    /// to the handler at `inproc://zeromq.zap.01`, then call `zap_reply` with the
    /// answer, or `zap_unavailable` when no handler is bound.
    ZapRequest(ZapRequest),
    /// A monitor event to emit now (a ZAP refusal), with its value.
    Monitor { event: i32, value: i32 },
    /// The connection must close. `event` is the monitor event to emit before
    /// ZMQ_EVENT_DISCONNECTED, with `value`; 0 means none (a plain disconnect).
    Closed {
        event: i32,
        value: i32,
        reason: &'static str,
        kind: CloseKind,
    },
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Phase {
    /// Reading the peer's greeting.
    Greeting,
    /// ZMTP 3.x: waiting for the peer's READY (or ERROR).
    Handshake,
    /// ZMTP 1.0/2.0: waiting for the peer's identity frame.
    Identity,
    /// Traffic.
    Active,
    /// Done; nothing more goes in or out.
    Closed,
}

/// The ZMTP engine of one connection.
pub struct Engine {
    socket_type: i32,
    routing_id: Vec<u8>,
    maxmsgsize: i64,
    heartbeat_ivl: Option<Duration>,
    heartbeat_timeout: Option<Duration>,
    heartbeat_ttl_ms: i32,
    app_metadata: Vec<(String, Vec<u8>)>,
    peer_address: String,
    source_fd: Option<i32>,
    mechanism: Box<dyn Mechanism>,
    /// A mechanism or a ZAP domain is set: ZMTP 1.0/2.0 peers are refused.
    zap_enabled: bool,
    /// A ZAP request is out and its reply not in.
    awaiting_zap: bool,
    /// What was left of our greeting when the greeting itself was refused.
    farewell: Vec<u8>,
    /// Over ZWS (WebSocket, RFC 45): no greeting, heartbeats as empty commands (the
    /// transport sends WebSocket pings for them and shows pings and pongs it gets as
    /// empty commands, which only count as traffic).
    zws: bool,

    phase: Phase,
    greeting: [u8; V3_GREETING_LEN],
    greeting_len: usize,
    greeting_need: usize,
    sent_major: bool,
    sent_rest: bool,
    unversioned: bool,
    version: Option<Version>,
    peer_socket_type: i32,
    decoder: Decoder,
    metadata: Option<Arc<Metadata>>,
    /// The metadata, ready to attach to each received message.
    properties: Option<Properties>,

    out: OutQueue,
    /// The last frame queued had MORE set: the next one continues a message.
    out_more: bool,
    /// A PONG is queued and not yet written out, up to this output position: a PING
    /// flood from a peer that never reads gets no more (memory stays flat).
    pong_until: Option<u64>,
    /// Control events (Ready, Closed); message parts wait in `inbox`.
    events: VecDeque<EngineEvent>,
    inbox: Inbox,
    /// DISH: the group frame of the message being received (Err: one with a NUL).
    group_in: Option<Result<std::ffi::CString, ()>>,
    /// DISH: the properties (metadata and group) of the last group received, shared
    /// by its messages.
    last_group: Option<Properties>,

    handshake_deadline: Option<Instant>,
    ping_at: Option<Instant>,
    timeout_at: Option<Instant>,
    ttl_at: Option<Instant>,
}

fn ms(v: i32) -> Option<Duration> {
    (v > 0).then(|| Duration::from_millis(v as u64))
}

impl Engine {
    /// A new engine; queues the first part of our greeting for output.
    pub fn new(cfg: EngineConfig, now: Instant) -> Engine {
        let heartbeat_ivl = ms(cfg.heartbeat_ivl_ms);
        let heartbeat_timeout = heartbeat_ivl.and_then(|ivl| {
            if cfg.heartbeat_timeout_ms == -1 {
                Some(ivl)
            } else {
                ms(cfg.heartbeat_timeout_ms)
            }
        });
        let mechanism = mechanism::for_options(&cfg.security, &cfg.peer_address);
        let mut e = Engine {
            socket_type: cfg.socket_type,
            routing_id: cfg.routing_id,
            maxmsgsize: cfg.maxmsgsize,
            heartbeat_ivl,
            heartbeat_timeout,
            heartbeat_ttl_ms: cfg.heartbeat_ttl_ms,
            app_metadata: cfg.metadata,
            peer_address: cfg.peer_address,
            source_fd: None,
            mechanism,
            zap_enabled: cfg.security.zap_enabled(),
            awaiting_zap: false,
            farewell: Vec::new(),
            zws: false,
            phase: Phase::Greeting,
            greeting: [0; V3_GREETING_LEN],
            greeting_len: 0,
            greeting_need: V2_GREETING_LEN,
            sent_major: false,
            sent_rest: false,
            unversioned: false,
            version: None,
            peer_socket_type: -1,
            decoder: Decoder::new(Framing::V2, cfg.maxmsgsize),
            metadata: None,
            properties: None,
            out: OutQueue::default(),
            out_more: false,
            pong_until: None,
            events: VecDeque::new(),
            inbox: Inbox::default(),
            group_in: None,
            last_group: None,
            handshake_deadline: ms(cfg.handshake_ivl_ms).map(|d| now + d),
            ping_at: None,
            timeout_at: None,
            ttl_at: None,
        };
        // The signature doubles as the header of a ZMTP 1.0 identity frame (long
        // form, length = routing id + flags byte), so an unversioned peer reads our
        // identity from it.
        let buf = e.out.buf();
        buf.push(0xFF);
        buf.extend_from_slice(&(e.routing_id.len() as u64 + 1).to_be_bytes());
        buf.push(0x7F);
        e
    }

    /// An engine for a ZWS 2.0 connection (RFC 45), whose WebSocket upgrade chose the
    /// protocol: with `mechanism` (`ZWS2.0/NULL`, `/PLAIN`, `/CURVE`) the configured
    /// mechanism's handshake runs without a greeting, and subscriptions travel as
    /// messages (as with ZMTP 3.0); without (`ZWS2.0`) each side's first message is
    /// its routing id, as with ZMTP 2.0. Frames are given and taken in ZMTP 2.0/3.x
    /// framing; the transport translates them.
    pub fn new_zws(cfg: EngineConfig, mechanism: bool, now: Instant) -> Engine {
        let mut e = Engine::new(cfg, now);
        e.zws = true;
        e.out.clear();
        if mechanism {
            e.version = Some(Version::Zmtp30);
            e.phase = Phase::Handshake;
            e.advance_handshake(now);
        } else {
            e.version = Some(Version::Zmtp20);
            let buf = e.out.buf();
            codec::v2_header(buf, 0, e.routing_id.len());
            buf.extend_from_slice(&e.routing_id);
            e.legacy_started();
        }
        e
    }

    /// Whether the engine speaks ZWS (see `new_zws`).
    pub fn is_zws(&self) -> bool {
        self.zws
    }

    /// The transport found the peer breaking its framing (a malformed WebSocket
    /// frame): the connection closes as a protocol error.
    pub fn transport_protocol_error(&mut self, reason: &'static str) {
        let (event, value) = if self.handshaking() {
            (
                ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL,
                ZMQ_PROTOCOL_ERROR_WS_UNSPECIFIED,
            )
        } else {
            (0, 0)
        };
        self.close(event, value, reason, CloseKind::Protocol);
    }

    /// Adds the private "__fd" property (what `zmq_msg_get(ZMQ_SRCFD)` reads) to the
    /// connection metadata, as libzmq does when the peer address is known; call before
    /// the handshake completes.
    pub fn set_source_fd(&mut self, fd: i32) {
        self.source_fd = Some(fd);
    }

    /// Feeds bytes read from the connection (any split works).
    pub fn receive(&mut self, data: &[u8], now: Instant) {
        if self.phase == Phase::Closed || data.is_empty() {
            return;
        }
        if self.phase == Phase::Active {
            // Any traffic shows the peer alive.
            self.timeout_at = None;
            self.ttl_at = None;
        }
        let mut pos = 0;
        if self.phase == Phase::Greeting {
            self.receive_greeting(data, &mut pos, now);
        }
        self.decode(data, &mut pos, now);
    }

    /// While a message body of at least `min_need` more bytes arrives: the buffer to
    /// append the next bytes read to directly, and how many it takes now. Call
    /// `large_body_received` after appending.
    pub fn large_body(&mut self, min_need: usize) -> Option<(&mut Vec<u8>, usize)> {
        if self.phase != Phase::Active {
            return None;
        }
        self.decoder.body_room(min_need)
    }

    /// Body size of the last message part received: while parts are large, reading
    /// little more than the next header lets its body be read straight into place.
    pub fn last_part_size(&self) -> usize {
        self.decoder.last_size()
    }

    /// Bytes were appended to the buffer `large_body` lent.
    pub fn large_body_received(&mut self, now: Instant) {
        self.timeout_at = None;
        self.ttl_at = None;
        if let Some(msg) = self.decoder.body_appended() {
            self.on_frame(msg, now);
        }
    }

    fn decode(&mut self, data: &[u8], pos: &mut usize, now: Instant) {
        while *pos < data.len()
            && matches!(
                self.phase,
                Phase::Handshake | Phase::Identity | Phase::Active
            )
        {
            if self.phase == Phase::Active && self.mechanism.transparent() {
                // Whole data frames go straight to the inbox.
                while let Some((start, end, more)) = self.decoder.whole_data_frame(data, *pos) {
                    self.decoder.took_frame(end - start);
                    let mut msg = Msg::from_slice(&data[start..end]);
                    if more {
                        msg.set_flags(flags::MORE);
                    }
                    *pos = end;
                    self.deliver(msg);
                    if self.phase != Phase::Active {
                        return;
                    }
                }
                if *pos == data.len() {
                    break;
                }
            }
            match self.decoder.decode(data, pos) {
                Ok(Some(msg)) => self.on_frame(msg, now),
                Ok(None) => break,
                Err(DecodeError::TooLarge) => self.close(
                    0,
                    0,
                    "frame larger than ZMQ_MAXMSGSIZE",
                    CloseKind::Protocol,
                ),
                Err(DecodeError::Malformed) => {
                    self.close(0, 0, "malformed ZMTP 1.0 frame", CloseKind::Protocol)
                }
            }
        }
    }

    fn receive_greeting(&mut self, data: &[u8], pos: &mut usize, now: Instant) {
        while self.phase == Phase::Greeting && *pos < data.len() {
            let take = (self.greeting_need - self.greeting_len).min(data.len() - *pos);
            self.greeting[self.greeting_len..self.greeting_len + take]
                .copy_from_slice(&data[*pos..*pos + take]);
            self.greeting_len += take;
            *pos += take;

            // No signature: a ZMTP 1.0 peer whose first frame is its identity. The
            // lowest bit of byte 9 is where such a frame's flags would be.
            if self.greeting[0] != 0xFF
                || (self.greeting_len >= SIGNATURE_LEN && self.greeting[9] & 0x01 == 0)
            {
                self.start_unversioned(now);
                return;
            }
            if self.greeting_len < SIGNATURE_LEN {
                continue;
            }
            if !self.sent_major {
                self.sent_major = true;
                self.out.buf().push(3);
            }
            if self.greeting_len > SIGNATURE_LEN && !self.sent_rest {
                self.sent_rest = true;
                let revision = self.greeting[SIGNATURE_LEN];
                if revision <= 1 {
                    // ZMTP 1.0/2.0 greeting: the socket type ends it.
                    let t = self.socket_type as u8;
                    self.out.buf().push(t);
                } else {
                    let as_server = u8::from(self.mechanism.as_server());
                    let buf = self.out.buf();
                    buf.push(1);
                    buf.extend_from_slice(self.mechanism.name());
                    buf.push(as_server);
                    buf.extend_from_slice(&[0; 31]);
                    self.greeting_need = V3_GREETING_LEN;
                }
            }
            if self.greeting_len == self.greeting_need {
                self.greeting_done(now);
            }
        }
    }

    fn start_unversioned(&mut self, now: Instant) {
        if self.zap_enabled {
            self.refuse_legacy();
            return;
        }
        self.unversioned = true;
        self.version = Some(Version::Zmtp10);
        self.decoder = Decoder::new(Framing::V1, self.maxmsgsize);
        // The rest of our identity frame, whose header the signature already was.
        self.out.buf().extend_from_slice(&self.routing_id);
        self.legacy_started();
        let greeting = self.greeting;
        let mut pos = 0;
        self.decode(&greeting[..self.greeting_len], &mut pos, now);
    }

    /// ZMTP 1.0/2.0 framing is in place: the peer's identity frame comes next. The
    /// handshake timer keeps running until it has come, so a peer that sends one byte
    /// or a greeting and then nothing is closed (as libzmq 4.3.4 does).
    fn legacy_started(&mut self) {
        self.phase = Phase::Identity;
    }

    /// As libzmq: with a mechanism or a ZAP domain set, a ZMTP 1.0/2.0 peer (which
    /// could not be authenticated) is dropped as a protocol error.
    fn refuse_legacy(&mut self) {
        self.close(
            0,
            0,
            "ZMTP 1.0/2.0 peer refused: security is on",
            CloseKind::Protocol,
        );
    }

    /// Moves the handshake on: queues the commands the mechanism has ready, passes on
    /// its events and ZAP request, and completes the handshake once it is ready.
    fn advance_handshake(&mut self, now: Instant) {
        if self.phase != Phase::Handshake {
            return;
        }
        loop {
            let local = Local {
                socket_type: self.socket_type,
                routing_id: &self.routing_id,
                metadata: &self.app_metadata,
            };
            match self.mechanism.next_command(&local) {
                Ok(Some(body)) => self.queue_raw_command(&body),
                Ok(None) => break,
                Err(f) => {
                    self.close(f.event, f.value, f.reason, CloseKind::Protocol);
                    return;
                }
            }
        }
        while let Some((event, value)) = self.mechanism.take_event() {
            self.events.push_back(EngineEvent::Monitor { event, value });
        }
        if let Some(request) = self.mechanism.take_zap_request() {
            self.awaiting_zap = true;
            self.events.push_back(EngineEvent::ZapRequest(request));
        }
        if self.mechanism.is_ready() {
            self.handshake_complete(now);
        }
    }

    /// The ZAP handler answered the request of `EngineEvent::ZapRequest`: the parts of
    /// its reply message.
    pub fn zap_reply(&mut self, parts: &[Msg], now: Instant) {
        if self.phase != Phase::Handshake || !self.awaiting_zap {
            return;
        }
        self.awaiting_zap = false;
        let outcome = zap::parse_reply(self.socket_type, parts)
            .and_then(|reply| self.mechanism.zap_reply(reply));
        match outcome {
            Ok(()) => self.advance_handshake(now),
            Err(f) => self.close(f.event, f.value, f.reason, CloseKind::Protocol),
        }
    }

    /// No ZAP handler is bound for the request of `EngineEvent::ZapRequest`.
    pub fn zap_unavailable(&mut self, now: Instant) {
        if self.phase != Phase::Handshake || !self.awaiting_zap {
            return;
        }
        self.awaiting_zap = false;
        match self.mechanism.zap_unavailable() {
            Ok(()) => self.advance_handshake(now),
            Err(f) => self.close(f.event, f.value, f.reason, CloseKind::Protocol),
        }
    }

    fn greeting_done(&mut self, now: Instant) {
        let revision = self.greeting[SIGNATURE_LEN];
        let minor = self.greeting[SIGNATURE_LEN + 1];
        match revision {
            0 | 1 if self.zap_enabled => self.refuse_legacy(),
            0 | 1 => {
                // Byte 11 of a ZMTP 1.0/2.0 greeting is the peer's socket type.
                self.peer_socket_type = i32::from(minor);
                let buf = self.out.buf();
                if revision == 0 {
                    self.version = Some(Version::Zmtp10);
                    self.decoder = Decoder::new(Framing::V1, self.maxmsgsize);
                    codec::v1_header(buf, false, self.routing_id.len());
                } else {
                    self.version = Some(Version::Zmtp20);
                    codec::v2_header(buf, 0, self.routing_id.len());
                }
                buf.extend_from_slice(&self.routing_id);
                self.legacy_started();
            }
            _ => {
                self.version = Some(if revision == 3 && minor == 0 {
                    Version::Zmtp30
                } else {
                    Version::Zmtp31
                });
                if &self.greeting[12..32] != self.mechanism.name() {
                    self.close(
                        ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL,
                        ZMQ_PROTOCOL_ERROR_ZMTP_MECHANISM_MISMATCH,
                        "security mechanism mismatch",
                        CloseKind::Protocol,
                    );
                    return;
                }
                // Two servers would each wait for the other's HELLO until the
                // handshake times out (libzmq waits); we say so at once.
                if self.mechanism.as_server() && self.greeting[32] & 0x01 != 0 {
                    self.close(
                        ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL,
                        ZMQ_PROTOCOL_ERROR_ZMTP_MECHANISM_MISMATCH,
                        "both peers are servers",
                        CloseKind::Protocol,
                    );
                    return;
                }
                self.phase = Phase::Handshake;
                self.advance_handshake(now);
            }
        }
    }

    fn on_frame(&mut self, msg: Msg, now: Instant) {
        if self.zws && msg.is_command() && msg.is_empty() {
            // A WebSocket ping or pong, shown as traffic; nothing to act on.
            return;
        }
        match self.phase {
            Phase::Handshake => self.handshake_frame(msg, now),
            Phase::Identity => {
                self.phase = Phase::Active;
                self.handshake_deadline = None;
                if self.zws {
                    self.ping_at = self.heartbeat_ivl.map(|ivl| now + ivl);
                }
                let version = self.version.expect("negotiated");
                self.events.push_back(EngineEvent::Ready {
                    peer_socket_type: self.peer_socket_type,
                    peer_routing_id: msg.data().to_vec(),
                    metadata: Arc::new(Metadata::default()),
                    version,
                });
                if self.unversioned && matches!(self.socket_type, ZMQ_PUB | ZMQ_XPUB) {
                    // Such peers do not send subscriptions: subscribe them to everything.
                    self.deliver(Msg::from_slice(&[1]));
                }
            }
            Phase::Active => {
                let msg = if self.mechanism.transparent() {
                    msg
                } else {
                    match self.mechanism.decode(msg) {
                        Ok(m) => m,
                        Err(f) => {
                            self.close(f.event, f.value, f.reason, CloseKind::Protocol);
                            return;
                        }
                    }
                };
                if msg.is_command() {
                    if self.version.is_some_and(Version::has_handshake) {
                        self.command(msg, now);
                    }
                    // ZMTP 2.0 peers have no commands: dropped, as libzmq does.
                } else {
                    self.deliver(msg);
                }
            }
            Phase::Greeting | Phase::Closed => {}
        }
    }

    /// A frame during the mechanism's handshake.
    fn handshake_frame(&mut self, msg: Msg, now: Instant) {
        if self.mechanism.is_failed() {
            // The handshake already failed (ERROR sent): nothing more is taken.
            self.close(0, 0, "input after a failed handshake", CloseKind::Protocol);
            return;
        }
        let local = Local {
            socket_type: self.socket_type,
            routing_id: &self.routing_id,
            metadata: &self.app_metadata,
        };
        let outcome = self.mechanism.process_command(&local, msg.data());
        if let Err(f) = outcome {
            self.close(f.event, f.value, f.reason, CloseKind::Protocol);
            return;
        }
        self.advance_handshake(now);
    }

    /// The mechanism is done: the peer's properties become the connection metadata.
    fn handshake_complete(&mut self, now: Instant) {
        let props = self.mechanism.peer_properties();
        let zap_props = self.mechanism.zap_properties();
        let mut peer_type = -1;
        let mut peer_id: &[u8] = &[];
        for (name, value) in &props {
            if name == command::PROP_SOCKET_TYPE {
                if peer_type == -1 {
                    peer_type = command::socket_type_from_name(value);
                }
            } else if name == command::PROP_IDENTITY {
                peer_id = value;
            }
        }
        let peer_routing_id = peer_id.to_vec();
        let mut pairs: Vec<(String, Vec<u8>)> = Vec::with_capacity(props.len() + 2);
        // As libzmq: no peer address, no transport properties at all.
        if !self.peer_address.is_empty() {
            pairs.push((
                command::PROP_PEER_ADDRESS.to_string(),
                self.peer_address.as_bytes().to_vec(),
            ));
            if let Some(fd) = self.source_fd {
                pairs.push(("__fd".to_string(), fd.to_string().into_bytes()));
            }
        }
        // As in a map filled by insertion: the first value of a name stays. What the
        // ZAP handler said (User-Id...) goes before what the peer announced.
        let mut seen: std::collections::HashSet<String> =
            pairs.iter().map(|(k, _)| k.clone()).collect();
        for (name, value) in zap_props.into_iter().chain(props) {
            if seen.insert(name.clone()) {
                pairs.push((name, value));
            }
        }
        let metadata = Arc::new(Metadata::new(pairs));
        self.metadata = Some(metadata.clone());
        self.properties = Some(Properties::new(metadata.clone()));
        self.phase = Phase::Active;
        self.handshake_deadline = None;
        self.ping_at = self.heartbeat_ivl.map(|ivl| now + ivl);
        self.events.push_back(EngineEvent::Ready {
            peer_socket_type: peer_type,
            peer_routing_id,
            metadata,
            version: self.version.expect("negotiated"),
        });
    }

    /// A command after the handshake. Unknown and malformed commands are ignored, as
    /// libzmq ignores them.
    fn command(&mut self, msg: Msg, now: Instant) {
        let d = msg.data();
        let Some(&name_len) = d.first() else {
            return;
        };
        let name_len = name_len as usize;
        if d.len() < name_len + 1 {
            return;
        }
        let rest = &d[name_len + 1..];
        match &d[1..name_len + 1] {
            b"PING" => {
                let ttl = if rest.len() >= 2 {
                    u16::from_be_bytes([rest[0], rest[1]])
                } else {
                    0
                };
                if ttl > 0 {
                    self.ttl_at = Some(now + Duration::from_millis(u64::from(ttl) * 100));
                }
                let context = rest.get(2..).unwrap_or(&[]);
                let context = &context[..context.len().min(command::PING_CONTEXT_MAX)];
                if self.pong_until.is_some_and(|end| self.out.written() < end) {
                    // One PONG waits already: it answers this PING too.
                    return;
                }
                let mut pong = Vec::with_capacity(command::PONG.len() + context.len());
                pong.extend_from_slice(command::PONG);
                pong.extend_from_slice(context);
                self.queue_command(&pong);
                self.pong_until = Some(self.out.written() + self.out.len() as u64);
            }
            // The RADIO socket reads it as it came (see socket::radio_dish); a group
            // longer than libzmq allows is ignored (libzmq would abort).
            b"JOIN" | b"LEAVE"
                if self.socket_type == ZMQ_RADIO && rest.len() <= ZMQ_GROUP_MAX_LENGTH as usize =>
            {
                self.push_in(msg);
            }
            b"SUBSCRIBE" | b"CANCEL" => {
                if matches!(self.socket_type, ZMQ_PUB | ZMQ_XPUB) {
                    let mut body = Vec::with_capacity(rest.len() + 1);
                    body.push(u8::from(name_len == 9));
                    body.extend_from_slice(rest);
                    self.deliver(Msg::from_slice(&body));
                } else {
                    // libzmq hands other sockets the command as it came, as data.
                    let mut msg = msg;
                    msg.reset_flags(flags::COMMAND);
                    self.deliver(msg);
                }
            }
            _ => {}
        }
    }

    /// A data frame (or a message the engine makes, as a subscription) for the socket.
    #[inline]
    fn deliver(&mut self, msg: Msg) {
        if self.socket_type == ZMQ_DISH {
            self.dish_frame(msg);
        } else {
            self.push_in(msg);
        }
    }

    /// RADIO to DISH (RFC 48, as libzmq 4.3 frames it): each message is a group frame
    /// (MORE set, at most ZMQ_GROUP_MAX_LENGTH bytes) and a body frame (MORE clear),
    /// handed on as one message with its group set. Anything else breaks the protocol.
    fn dish_frame(&mut self, msg: Msg) {
        match self.group_in.take() {
            None => {
                if !msg.more() || msg.len() > ZMQ_GROUP_MAX_LENGTH as usize {
                    self.close(0, 0, "bad RADIO group frame", CloseKind::Protocol);
                    return;
                }
                self.group_in = Some(std::ffi::CString::new(msg.data()).map_err(|_| ()));
            }
            Some(group) => {
                let mut msg = msg;
                if msg.more() {
                    self.close(0, 0, "multipart message to a DISH", CloseKind::Protocol);
                    return;
                }
                // A group with a NUL byte can match no group joined: dropped.
                if let Ok(group) = group {
                    let same = self
                        .last_group
                        .as_ref()
                        .is_some_and(|p| p.group() == Some(group.as_c_str()));
                    if !same {
                        let props = Properties::with_group(self.properties.as_ref(), group);
                        self.last_group = Some(props);
                    }
                    if let Some(p) = &self.last_group {
                        msg.set_properties(p);
                    }
                    self.inbox.push(msg);
                }
            }
        }
    }

    #[inline(always)]
    fn push_in(&mut self, mut msg: Msg) {
        if let Some(p) = &self.properties {
            msg.set_properties(p);
        }
        self.inbox.push(msg);
    }

    /// Queues a handshake command, as it is.
    fn queue_raw_command(&mut self, body: &[u8]) {
        let buf = self.out.buf();
        codec::v2_header(buf, WIRE_COMMAND, body.len());
        buf.extend_from_slice(body);
    }

    /// Queues a command of an established connection (PING, PONG): boxed like any
    /// frame when the mechanism encrypts.
    fn queue_command(&mut self, body: &[u8]) {
        if self.phase == Phase::Active && !self.mechanism.transparent() {
            self.mechanism.encode(self.out.buf(), MSG_COMMAND, &[body]);
        } else {
            self.queue_raw_command(body);
        }
    }

    fn close(&mut self, event: i32, value: i32, reason: &'static str, kind: CloseKind) {
        if self.phase == Phase::Closed {
            return;
        }
        if self.phase == Phase::Greeting {
            // Refused at the greeting: the rest of our greeting still tells the peer
            // why (its own check fails rather than its read).
            let mut slices = [IoSlice::new(&[]); 4];
            let n = self.out.slices(&mut slices);
            self.farewell = slices[..n].iter().flat_map(|s| s.iter().copied()).collect();
        }
        self.phase = Phase::Closed;
        self.out.clear();
        self.handshake_deadline = None;
        self.ping_at = None;
        self.timeout_at = None;
        self.ttl_at = None;
        self.events.push_back(EngineEvent::Closed {
            event,
            value,
            reason,
            kind,
        });
    }

    /// Whether libzmq would still count the connection as handshaking (no mechanism
    /// yet, or one that has not finished): failures then report
    /// ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL. ZMTP 1.0/2.0 peers never leave that state.
    fn handshaking(&self) -> bool {
        let failed = self.phase == Phase::Handshake && self.mechanism.is_failed();
        let established = self.phase == Phase::Active
            && (self.zws || self.version.is_some_and(Version::has_handshake));
        !failed && !established
    }

    /// The transport failed (`errno`: EPIPE for end of stream, ECONNRESET...): queues
    /// the Closed event libzmq would report.
    pub fn connection_error(&mut self, errno: i32) {
        if self.handshaking() {
            self.close(
                ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL,
                errno,
                "connection lost during the handshake",
                CloseKind::Connection,
            );
        } else {
            self.close(0, 0, "connection lost", CloseKind::Connection);
        }
    }

    /// Bytes to write to the connection: the next contiguous run of what is queued
    /// (empty only when nothing is). Write it, `consume_output` what was written, and
    /// repeat until empty or the transport would block.
    pub fn output(&self) -> &[u8] {
        self.out.front()
    }

    /// All queued bytes as slices for a vectored write; returns how many were filled.
    pub fn output_slices<'a>(&'a self, slices: &mut [IoSlice<'a>]) -> usize {
        self.out.slices(slices)
    }

    /// After a `Closed` at the greeting (mechanism mismatch, a refused older peer):
    /// the rest of our greeting, worth one non-blocking write before the transport
    /// closes, so the peer sees the mismatch too.
    pub fn farewell(&self) -> &[u8] {
        &self.farewell
    }

    /// Total bytes queued for output (`output()` may show only the first part).
    pub fn output_len(&self) -> usize {
        self.out.len()
    }

    /// Marks `n` bytes of output as written.
    pub fn consume_output(&mut self, n: usize) {
        self.out.consume(n);
    }

    /// Queues one outgoing message part; false while the handshake is not done, after
    /// the connection closed, or while `OUTPUT_LIMIT` bytes already wait to be written
    /// (the caller keeps the message and offers it again later).
    ///
    /// Subscriptions: from a SUB socket, a single-part message starting with 1 or 0
    /// is a subscribe/cancel; from an XSUB socket only when it also carries
    /// `flags::COMMAND` (libzmq sends what the XSUB user sends as data, and what it
    /// replays to new peers as commands). To ZMTP 3.1 peers they become SUBSCRIBE or
    /// CANCEL commands; older peers get them as data.
    pub fn send(&mut self, msg: &Msg) -> bool {
        if self.phase != Phase::Active || self.out.len() >= OUTPUT_LIMIT {
            return false;
        }
        let version = self.version.expect("negotiated");
        let first = !self.out_more;
        self.out_more = msg.more();
        let d = msg.data();
        let subscription = first
            && !msg.more()
            && matches!(d.first(), Some(0 | 1))
            && (self.socket_type == ZMQ_SUB || (self.socket_type == ZMQ_XSUB && msg.is_command()));
        if subscription {
            if version == Version::Zmtp31 {
                let name = if d[0] == 1 {
                    command::SUBSCRIBE
                } else {
                    command::CANCEL
                };
                let topic = &d[1..];
                if self.mechanism.transparent() {
                    let buf = self.out.buf();
                    codec::v2_header(buf, WIRE_COMMAND, name.len() + topic.len());
                    buf.extend_from_slice(name);
                    buf.extend_from_slice(topic);
                } else {
                    self.mechanism
                        .encode(self.out.buf(), MSG_COMMAND, &[name, topic]);
                }
            } else {
                self.encode_data(msg, version, 0);
            }
            return true;
        }
        if msg.is_command() {
            if version == Version::Zmtp10 {
                // ZMTP 1.0 has no commands.
                return true;
            }
            self.encode_data(msg, version, WIRE_COMMAND);
        } else {
            if self.socket_type == ZMQ_RADIO {
                // RFC 48: the group frame first (see `dish_frame`).
                let group = msg.group().map_or(&[][..], |g| g.to_bytes());
                let buf = self.out.buf();
                if version == Version::Zmtp10 {
                    codec::v1_header(buf, true, group.len());
                } else {
                    codec::v2_header(buf, WIRE_MORE, group.len());
                }
                buf.extend_from_slice(group);
            }
            self.encode_data(msg, version, 0);
        }
        true
    }

    fn encode_data(&mut self, msg: &Msg, version: Version, extra_flags: u8) {
        if !self.mechanism.transparent() {
            // Every frame becomes a box: MORE and COMMAND travel inside it.
            let mut f = 0;
            if msg.more() {
                f |= MSG_MORE;
            }
            if extra_flags & WIRE_COMMAND != 0 {
                f |= MSG_COMMAND;
            }
            self.mechanism.encode(self.out.buf(), f, &[msg.data()]);
            return;
        }
        let len = msg.len();
        let buf = self.out.buf();
        if version == Version::Zmtp10 {
            codec::v1_header(buf, msg.more(), len);
        } else {
            let mut f = extra_flags;
            if msg.more() {
                f |= WIRE_MORE;
            }
            codec::v2_header(buf, f, len);
        }
        if len >= ZERO_COPY_MIN && self.mechanism.transparent() {
            self.out.push_body(msg);
        } else {
            self.out.buf().extend_from_slice(msg.data());
        }
    }

    /// The next thing to report, message parts included, in order.
    pub fn poll_event(&mut self) -> Option<EngineEvent> {
        merged_event(&mut self.events, &mut self.inbox)
    }

    /// The next control event (Ready, Closed), leaving message parts in the inbox.
    /// Ready always comes before the first part and Closed after the last, so taking
    /// control events first and parts in bulk keeps the order.
    pub fn poll_control(&mut self) -> Option<EngineEvent> {
        self.events.pop_front()
    }

    /// Received message parts not taken yet.
    pub fn inbox(&mut self) -> &mut Inbox {
        &mut self.inbox
    }

    /// Acts on whatever deadline has passed.
    pub fn handle_timeout(&mut self, now: Instant) {
        if self.phase == Phase::Closed {
            return;
        }
        if self.handshake_deadline.is_some_and(|d| now >= d) {
            // A handshake that already failed (ZAP refused) reports nothing more.
            let (event, value) = if self.handshaking() {
                (
                    ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL,
                    HANDSHAKE_TIMEOUT_ERRNO,
                )
            } else {
                (0, 0)
            };
            self.close(event, value, "handshake timed out", CloseKind::Timeout);
            return;
        }
        if !self.inbox.is_empty() {
            // We hold input the socket has not taken yet: the peer is alive, we
            // are just not reading.
            self.timeout_at = None;
            self.ttl_at = None;
        }
        if self.timeout_at.is_some_and(|d| now >= d) {
            self.close(0, 0, "heartbeat timed out", CloseKind::Timeout);
            return;
        }
        if self.ttl_at.is_some_and(|d| now >= d) {
            self.close(0, 0, "peer's heartbeat TTL expired", CloseKind::Timeout);
            return;
        }
        if let (Some(at), Some(ivl)) = (self.ping_at, self.heartbeat_ivl) {
            if now >= at {
                if self.zws {
                    // The transport turns an empty command into a WebSocket ping.
                    codec::v2_header(self.out.buf(), WIRE_COMMAND, 0);
                } else {
                    let ping = command::ping_body(self.heartbeat_ttl_ms);
                    self.queue_command(&ping);
                }
                self.ping_at = Some(now + ivl);
                if self.timeout_at.is_none() {
                    self.timeout_at = self.heartbeat_timeout.map(|t| now + t);
                }
            }
        }
    }

    /// The earliest deadline `handle_timeout` should be called at.
    pub fn next_timeout(&self) -> Option<Instant> {
        [
            self.handshake_deadline,
            self.ping_at,
            self.timeout_at,
            self.ttl_at,
        ]
        .into_iter()
        .flatten()
        .min()
    }

    /// Whether messages may be framed outside the engine and written by another thread
    /// (`DirectFraming`): plain ZMTP 2.0/3.x framing, a mechanism that leaves frames as
    /// they are, and a socket whose messages never turn into commands (SUB and XSUB
    /// send subscriptions as commands).
    pub(crate) fn direct_framing(&self) -> Option<super::DirectFraming> {
        let framing_plain = self.phase == Phase::Active
            && self.version.is_some_and(|v| v != Version::Zmtp10)
            && self.mechanism.transparent();
        // SUB and XSUB send subscriptions as commands, RADIO a group frame per message.
        let reframed = matches!(self.socket_type, ZMQ_SUB | ZMQ_XSUB | ZMQ_RADIO);
        // Over ZWS the transport wraps these frames (or refuses, for wss).
        (framing_plain && !reframed).then(super::DirectFraming::default)
    }

    /// Whether the handshake is done and messages flow.
    pub fn is_ready(&self) -> bool {
        self.phase == Phase::Active
    }

    /// Whether the engine closed (a Closed event was queued).
    pub fn is_closed(&self) -> bool {
        self.phase == Phase::Closed
    }

    /// The negotiated protocol, once the peer's greeting is in.
    pub fn version(&self) -> Option<Version> {
        self.version
    }

    /// Payload bytes of received messages not yet taken from the inbox. Stop
    /// reading while this is non-zero and the socket cannot take more; bytes of a
    /// partly received frame are not counted (more input is needed to finish it).
    pub fn pending_input(&self) -> usize {
        self.inbox.bytes()
    }

    /// Memory the engine holds for input and output buffers (for tests and limits).
    pub fn buffered_bytes(&self) -> usize {
        self.decoder.allocated() + self.out.allocated() + self.inbox.bytes()
    }
}

/// One ordered stream out of control events and message parts: a Ready first, then
/// parts, then the rest (a Closed).
fn merged_event(events: &mut VecDeque<EngineEvent>, inbox: &mut Inbox) -> Option<EngineEvent> {
    if !matches!(events.front(), Some(EngineEvent::Ready { .. })) {
        if let Some(part) = inbox.pop_any() {
            return Some(EngineEvent::Message(part));
        }
    }
    events.pop_front()
}
