//! Security mechanisms behind one seam (RFC 23's handshake after the greeting): the
//! engine asks the mechanism for the commands to send and hands it each command the
//! peer sends, until the mechanism is ready or has failed. NULL (RFC 23) lives here,
//! PLAIN (RFC 24) and CURVE (RFC 26) beside it. A server that asks a ZAP handler
//! (RFC 27) hands the engine a request and gets the reply back through the same seam.
//! A mechanism that transforms message frames (CURVE's encryption) says so through
//! `transparent`, and the engine then passes every frame through `encode`/`decode`
//! and keeps messages off the zero-copy and direct-write shortcuts.

use crate::abi::*;
use crate::msg::Msg;
use crate::util::secret::{SecretBytes, SecretKey};

use super::command::{self, ErrorReason};
use super::curve::{CurveClient, CurveServer};
use super::plain::{PlainClient, PlainServer};
use super::zap::{self, Verdict, ZapReply, ZapRequest, ZapSettings};

/// The greeting's mechanism field for NULL.
pub(crate) const NULL_NAME: &[u8; 20] = b"NULL\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0";

/// Why a handshake failed: the monitor event and value libzmq reports (event 0: none,
/// only DISCONNECTED), and a description for tests.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Failure {
    pub(crate) event: i32,
    pub(crate) value: i32,
    pub(crate) reason: &'static str,
}

/// Properties a peer announced in its handshake, in the order sent.
pub(crate) type Properties = Vec<(String, Vec<u8>)>;

/// What a mechanism needs to know of its socket.
pub(crate) struct Local<'a> {
    pub(crate) socket_type: i32,
    pub(crate) routing_id: &'a [u8],
    /// ZMQ_METADATA "X-..." properties.
    pub(crate) metadata: &'a [(String, Vec<u8>)],
}

/// The security settings of a socket, as its options set them (ZMQ_MECHANISM and
/// the PLAIN, CURVE and ZAP options).
#[derive(Clone, Debug, Default)]
pub struct Security {
    /// ZMQ_NULL, ZMQ_PLAIN or ZMQ_CURVE.
    pub mechanism: i32,
    /// This side is the server of a PLAIN or CURVE handshake.
    pub as_server: bool,
    pub plain_username: Vec<u8>,
    pub plain_password: SecretBytes,
    pub curve_public_key: [u8; 32],
    pub curve_secret_key: SecretKey,
    pub curve_server_key: [u8; 32],
    /// ZMQ_ZAP_DOMAIN (empty: none).
    pub zap_domain: Vec<u8>,
    pub zap_enforce_domain: bool,
}

impl Security {
    /// libzmq's `zap_enabled`: a security mechanism or a ZAP domain is set. Such a
    /// socket refuses ZMTP 1.0 and 2.0 peers, which could not be authenticated.
    pub(crate) fn zap_enabled(&self) -> bool {
        self.mechanism != ZMQ_NULL || !self.zap_domain.is_empty()
    }
}

/// One security mechanism's side of a handshake.
pub(crate) trait Mechanism: Send {
    /// The mechanism field of our greeting.
    fn name(&self) -> &'static [u8; 20];
    /// The as-server field of our greeting.
    fn as_server(&self) -> bool {
        false
    }
    /// The next command to send, if one is due.
    fn next_command(&mut self, local: &Local<'_>) -> Result<Option<Vec<u8>>, Failure>;
    /// A command the peer sent during the handshake.
    fn process_command(&mut self, local: &Local<'_>, body: &[u8]) -> Result<(), Failure>;
    /// The handshake is complete: messages may flow.
    fn is_ready(&self) -> bool;
    /// The handshake failed without closing at once (an ERROR was or will be sent, or
    /// ZAP answered 300): the connection waits for the peer to go, and nothing the
    /// peer sends is taken.
    fn is_failed(&self) -> bool {
        self.exchange().is_some_and(ZapExchange::is_failed)
    }
    /// What the peer announced (once ready).
    fn peer_properties(&mut self) -> Properties;
    /// A server's exchange with its ZAP handler (None: a client, which asks none).
    fn exchange(&self) -> Option<&ZapExchange> {
        None
    }
    fn exchange_mut(&mut self) -> Option<&mut ZapExchange> {
        None
    }
    /// What the ZAP handler added (User-Id and its metadata), once ready.
    fn zap_properties(&mut self) -> Properties {
        self.exchange_mut()
            .map(ZapExchange::take_properties)
            .unwrap_or_default()
    }
    /// A request for the ZAP handler, once, when the handshake needs one.
    fn take_zap_request(&mut self) -> Option<ZapRequest> {
        self.exchange_mut()?.take_request()
    }
    /// The handler's answer to our request.
    fn zap_reply(&mut self, _reply: ZapReply) -> Result<(), Failure> {
        Err(Failure {
            event: ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL,
            value: ZMQ_PROTOCOL_ERROR_ZAP_UNSPECIFIED,
            reason: "unexpected ZAP reply",
        })
    }
    /// No handler is bound at `inproc://zeromq.zap.01`.
    fn zap_unavailable(&mut self) -> Result<(), Failure> {
        Ok(())
    }
    /// A monitor event to report now (a ZAP refusal), not tied to closing.
    fn take_event(&mut self) -> Option<(i32, i32)> {
        self.exchange_mut()?.take_event()
    }
    /// Whether message frames go on the wire as they are (no encryption).
    fn transparent(&self) -> bool {
        true
    }
    /// Appends one outgoing frame (`flags`: 1 MORE, 2 COMMAND) whose body is the
    /// concatenation of `parts`, transformed (only called when not transparent).
    fn encode(&mut self, _out: &mut Vec<u8>, _flags: u8, _parts: &[&[u8]]) {}
    /// Turns one received frame back into a message part with its flags (only called
    /// when not transparent). `frame` is the decoder's own, unshared message.
    fn decode(&mut self, frame: Msg) -> Result<Msg, Failure> {
        Ok(frame)
    }
}

/// The mechanism a socket's options select.
pub(crate) fn for_options(security: &Security, peer_address: &str) -> Box<dyn Mechanism> {
    let zap = ZapSettings {
        domain: security.zap_domain.clone(),
        enforce: security.zap_enforce_domain,
        address: peer_address.to_string(),
    };
    match (security.mechanism, security.as_server) {
        (ZMQ_PLAIN, true) => Box::new(PlainServer::new(zap)),
        (ZMQ_PLAIN, false) => Box::new(PlainClient::new(
            security.plain_username.clone(),
            security.plain_password.clone(),
        )),
        (ZMQ_CURVE, true) => Box::new(CurveServer::new(&security.curve_secret_key, zap)),
        (ZMQ_CURVE, false) => Box::new(CurveClient::new(
            security.curve_public_key,
            &security.curve_secret_key,
            security.curve_server_key,
        )),
        _ => Box::new(Null::new(zap)),
    }
}

/// A failure with an event of HANDSHAKE_FAILED_PROTOCOL and one of libzmq's codes.
pub(crate) fn protocol(value: i32, reason: &'static str) -> Failure {
    Failure {
        event: ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL,
        value,
        reason,
    }
}

/// libzmq's check on every handshake command: at least two bytes and a name length
/// that fits.
pub(crate) fn check_command(body: &[u8]) -> Result<(), Failure> {
    if body.len() <= 1 || body.len() <= usize::from(body[0]) {
        return Err(protocol(
            ZMQ_PROTOCOL_ERROR_ZMTP_MALFORMED_COMMAND_UNSPECIFIED,
            "malformed command",
        ));
    }
    Ok(())
}

/// An ERROR command from a server (PLAIN and CURVE clients): None when it is not
/// one; its meaning otherwise (a ZAP code is reported as an authentication failure).
pub(crate) fn client_error(body: &[u8]) -> Option<Failure> {
    body.starts_with(command::ERROR).then(|| {
        let mut f = peer_error(body);
        if f.event == 0 {
            f.reason = "server sent ERROR";
        }
        f
    })
}

/// Parses a metadata block and checks every Socket-Type it names against ours
/// (libzmq's compatibility table). Linear in the number of properties.
pub(crate) fn parse_metadata(socket_type: i32, block: &[u8]) -> Result<Properties, Failure> {
    let Some(props) = command::parse_properties(block) else {
        return Err(Failure {
            event: 0,
            value: 0,
            reason: "malformed metadata",
        });
    };
    let mut out = Vec::with_capacity(props.len());
    for (name, value) in props {
        if name == command::PROP_SOCKET_TYPE.as_bytes() && !command::compatible(socket_type, value)
        {
            return Err(Failure {
                event: 0,
                value: 0,
                reason: "incompatible socket type",
            });
        }
        out.push((String::from_utf8_lossy(name).into_owned(), value.to_vec()));
    }
    Ok(out)
}

/// The failure an ERROR command from the peer means.
pub(crate) fn peer_error(body: &[u8]) -> Failure {
    match command::parse_error(body) {
        None => Failure {
            event: ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL,
            value: ZMQ_PROTOCOL_ERROR_ZMTP_MALFORMED_COMMAND_ERROR,
            reason: "malformed ERROR command",
        },
        Some(ErrorReason::Auth(code)) => Failure {
            event: ZMQ_EVENT_HANDSHAKE_FAILED_AUTH,
            value: code,
            reason: "peer refused the handshake",
        },
        Some(ErrorReason::Other) => Failure {
            event: 0,
            value: 0,
            reason: "peer sent ERROR",
        },
    }
}

/// Where a server stands with its ZAP handler.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum ZapStage {
    /// No request needed or sent yet.
    Idle,
    /// The request is out; the reply decides.
    Waiting,
    /// Allowed (by the handler, or without one where that is allowed).
    Allowed,
    /// Refused with this code: an ERROR is due (0: 300, nothing is sent).
    Refused(i32),
    /// Refused and done (ERROR sent, or none for 300).
    Failed,
}

/// A server mechanism's exchange with its ZAP handler: the request it hands the engine,
/// the reply's verdict, the properties (User-Id, metadata) and the monitor event it
/// leads to. NULL (with a domain), PLAIN and CURVE servers share it.
pub(crate) struct ZapExchange {
    stage: ZapStage,
    request: Option<ZapRequest>,
    props: Properties,
    event: Option<(i32, i32)>,
}

impl Default for ZapExchange {
    fn default() -> ZapExchange {
        ZapExchange {
            stage: ZapStage::Idle,
            request: None,
            props: Vec::new(),
            event: None,
        }
    }
}

impl ZapExchange {
    /// Asks the handler: the engine takes the request next.
    pub(crate) fn ask(&mut self, request: ZapRequest) {
        self.request = Some(request);
        self.stage = ZapStage::Waiting;
    }

    pub(crate) fn is_idle(&self) -> bool {
        self.stage == ZapStage::Idle
    }

    pub(crate) fn is_waiting(&self) -> bool {
        self.stage == ZapStage::Waiting
    }

    pub(crate) fn is_failed(&self) -> bool {
        self.stage == ZapStage::Failed
    }

    /// The ERROR command a refusal calls for, once (none for a silent 300).
    pub(crate) fn take_error(&mut self) -> Option<Vec<u8>> {
        if let ZapStage::Refused(code) = self.stage {
            self.stage = ZapStage::Failed;
            return Some(zap::error_command(code));
        }
        None
    }

    pub(crate) fn take_request(&mut self) -> Option<ZapRequest> {
        self.request.take()
    }

    pub(crate) fn take_properties(&mut self) -> Properties {
        std::mem::take(&mut self.props)
    }

    pub(crate) fn take_event(&mut self) -> Option<(i32, i32)> {
        self.event.take()
    }

    /// The handler answered; true when the client is allowed in.
    pub(crate) fn reply(&mut self, reply: ZapReply) -> Result<bool, Failure> {
        if self.stage != ZapStage::Waiting {
            return Err(protocol(
                ZMQ_PROTOCOL_ERROR_ZAP_UNSPECIFIED,
                "unexpected ZAP reply",
            ));
        }
        self.stage = match Verdict::of(reply.status) {
            Verdict::Allow => {
                self.props = reply.properties();
                ZapStage::Allowed
            }
            Verdict::Silent => {
                self.event = Some((ZMQ_EVENT_HANDSHAKE_FAILED_AUTH, 300));
                ZapStage::Failed
            }
            Verdict::Refuse(code) => {
                self.event = Some((ZMQ_EVENT_HANDSHAKE_FAILED_AUTH, code));
                ZapStage::Refused(code)
            }
        };
        Ok(self.stage == ZapStage::Allowed)
    }

    /// No handler is bound and none is needed: the client is let in.
    pub(crate) fn allow(&mut self) {
        self.stage = ZapStage::Allowed;
    }
}

/// NULL: each side sends READY with its properties; no authentication, but a server
/// with a ZAP domain asks its handler first (and sends ERROR if refused).
pub(crate) struct Null {
    zap: ZapSettings,
    exchange: ZapExchange,
    sent_ready: bool,
    peer: Option<Properties>,
    error_received: bool,
}

impl Null {
    pub(crate) fn new(zap: ZapSettings) -> Null {
        Null {
            zap,
            exchange: ZapExchange::default(),
            sent_ready: false,
            peer: None,
            error_received: false,
        }
    }
}

impl Default for Null {
    fn default() -> Null {
        Null::new(ZapSettings::default())
    }
}

impl Mechanism for Null {
    fn name(&self) -> &'static [u8; 20] {
        NULL_NAME
    }

    fn next_command(&mut self, local: &Local<'_>) -> Result<Option<Vec<u8>>, Failure> {
        if self.sent_ready {
            return Ok(None);
        }
        if self.exchange.is_idle() && !self.zap.domain.is_empty() {
            let request = zap::request(&self.zap, local.routing_id, b"NULL", &[]);
            self.exchange.ask(request);
            return Ok(None);
        }
        if let Some(error) = self.exchange.take_error() {
            return Ok(Some(error));
        }
        if self.exchange.is_waiting() || self.exchange.is_failed() {
            return Ok(None);
        }
        self.sent_ready = true;
        Ok(Some(command::ready_body(
            local.socket_type,
            local.routing_id,
            local.metadata,
        )))
    }

    /// As in libzmq the command flag is not checked: the body decides.
    fn process_command(&mut self, local: &Local<'_>, body: &[u8]) -> Result<(), Failure> {
        if self.peer.is_some() || self.error_received {
            return Err(protocol(
                ZMQ_PROTOCOL_ERROR_ZMTP_UNEXPECTED_COMMAND,
                "unexpected command during the handshake",
            ));
        }
        if body.starts_with(command::READY) {
            self.peer = Some(parse_metadata(
                local.socket_type,
                &body[command::READY.len()..],
            )?);
            Ok(())
        } else if body.starts_with(command::ERROR) {
            self.error_received = true;
            Err(peer_error(body))
        } else {
            Err(protocol(
                ZMQ_PROTOCOL_ERROR_ZMTP_UNEXPECTED_COMMAND,
                "unexpected command during the handshake",
            ))
        }
    }

    fn is_ready(&self) -> bool {
        self.sent_ready && self.peer.is_some()
    }

    fn exchange(&self) -> Option<&ZapExchange> {
        Some(&self.exchange)
    }

    fn exchange_mut(&mut self) -> Option<&mut ZapExchange> {
        Some(&mut self.exchange)
    }

    fn peer_properties(&mut self) -> Properties {
        self.peer.take().unwrap_or_default()
    }

    fn zap_reply(&mut self, reply: ZapReply) -> Result<(), Failure> {
        self.exchange.reply(reply).map(|_| ())
    }

    fn zap_unavailable(&mut self) -> Result<(), Failure> {
        if self.zap.enforce {
            return Err(zap::no_handler());
        }
        self.exchange.allow();
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn null_handshake() {
        let local = Local {
            socket_type: ZMQ_DEALER,
            routing_id: b"me",
            metadata: &[],
        };
        let mut m = Null::default();
        let ready = m.next_command(&local).unwrap().unwrap();
        assert!(ready.starts_with(command::READY));
        assert!(m.next_command(&local).unwrap().is_none());
        assert!(!m.is_ready());
        let mut peer = command::READY.to_vec();
        peer.extend_from_slice(b"\x0bSocket-Type\0\0\0\x06ROUTER");
        m.process_command(&local, &peer).unwrap();
        assert!(m.is_ready());
        assert_eq!(m.peer_properties()[0].1, b"ROUTER");

        let mut m = Null::default();
        let mut bad = command::READY.to_vec();
        bad.extend_from_slice(b"\x0bSocket-Type\0\0\0\x03PUB");
        assert_eq!(
            m.process_command(&local, &bad).unwrap_err().reason,
            "incompatible socket type"
        );
        let e = m.process_command(&local, b"\x05HELLO").unwrap_err();
        assert_eq!(e.event, ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL);
    }
}
