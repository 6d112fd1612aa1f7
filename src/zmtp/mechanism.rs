//! Security mechanisms behind one seam (RFC 23's handshake after the greeting): the
//! engine asks the mechanism for the commands to send and hands it each command the
//! peer sends, until the mechanism is ready or has failed. NULL (RFC 23) lives here;
//! PLAIN and CURVE plug in beside it. A mechanism that transforms message frames
//! (CURVE's encryption) says so through `transparent`, and the engine then keeps
//! messages off the zero-copy and direct-write shortcuts.

use crate::abi::*;

use super::command::{self, ErrorReason};

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

/// One security mechanism's side of a handshake.
pub(crate) trait Mechanism: Send {
    /// The mechanism field of our greeting.
    fn name(&self) -> &'static [u8; 20];
    /// The next command to send, if one is due.
    fn next_command(&mut self, local: &Local<'_>) -> Option<Vec<u8>>;
    /// A command the peer sent during the handshake.
    fn process_command(&mut self, local: &Local<'_>, body: &[u8]) -> Result<(), Failure>;
    /// The handshake is complete: messages may flow.
    fn is_ready(&self) -> bool;
    /// What the peer announced (once ready).
    fn peer_properties(&mut self) -> Properties;
    /// Whether message frames go on the wire as they are (no encryption).
    fn transparent(&self) -> bool {
        true
    }
}

/// The mechanism a socket's options select.
pub(crate) fn for_options() -> Box<dyn Mechanism> {
    Box::new(Null::default())
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
fn peer_error(body: &[u8]) -> Failure {
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

/// NULL: each side sends READY with its properties; no authentication.
#[derive(Default)]
pub(crate) struct Null {
    sent_ready: bool,
    peer: Option<Properties>,
}

impl Mechanism for Null {
    fn name(&self) -> &'static [u8; 20] {
        NULL_NAME
    }

    fn next_command(&mut self, local: &Local<'_>) -> Option<Vec<u8>> {
        if self.sent_ready {
            return None;
        }
        self.sent_ready = true;
        Some(command::ready_body(
            local.socket_type,
            local.routing_id,
            local.metadata,
        ))
    }

    /// As in libzmq the command flag is not checked: the body decides.
    fn process_command(&mut self, local: &Local<'_>, body: &[u8]) -> Result<(), Failure> {
        if self.peer.is_none() && body.starts_with(command::READY) {
            self.peer = Some(parse_metadata(
                local.socket_type,
                &body[command::READY.len()..],
            )?);
            Ok(())
        } else if body.starts_with(command::ERROR) {
            Err(peer_error(body))
        } else {
            Err(Failure {
                event: ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL,
                value: ZMQ_PROTOCOL_ERROR_ZMTP_UNEXPECTED_COMMAND,
                reason: "unexpected command during the handshake",
            })
        }
    }

    fn is_ready(&self) -> bool {
        self.sent_ready && self.peer.is_some()
    }

    fn peer_properties(&mut self) -> Properties {
        self.peer.take().unwrap_or_default()
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
        let ready = m.next_command(&local).unwrap();
        assert!(ready.starts_with(command::READY));
        assert!(m.next_command(&local).is_none());
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
