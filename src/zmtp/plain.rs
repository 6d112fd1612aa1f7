//! PLAIN (RFC 24): the client sends HELLO with a user name and password, the server
//! asks its ZAP handler (it needs one: without a handler the handshake fails, as in
//! libzmq), answers WELCOME, takes INITIATE with the client's properties and answers
//! READY with its own. A refusal is an ERROR with the ZAP status code.

use crate::abi::*;
use crate::util::secret::SecretBytes;

use super::command;
use super::mechanism::{
    check_command, client_error, parse_metadata, protocol, Failure, Local, Mechanism, Properties,
    ZapExchange,
};
use super::zap::{self, ZapReply, ZapSettings};

/// The greeting's mechanism field for PLAIN.
pub(crate) const PLAIN_NAME: &[u8; 20] = b"PLAIN\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0";

const HELLO: &[u8] = b"\x05HELLO";
const WELCOME: &[u8] = b"\x07WELCOME";
const INITIATE: &[u8] = b"\x08INITIATE";

fn unexpected() -> Failure {
    protocol(
        ZMQ_PROTOCOL_ERROR_ZMTP_UNEXPECTED_COMMAND,
        "unexpected command during the handshake",
    )
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum ClientState {
    SendHello,
    AwaitWelcome,
    SendInitiate,
    AwaitReady,
    Ready,
}

/// The client side.
pub(crate) struct PlainClient {
    username: Vec<u8>,
    password: SecretBytes,
    state: ClientState,
    peer: Option<Properties>,
}

impl PlainClient {
    pub(crate) fn new(username: Vec<u8>, password: SecretBytes) -> PlainClient {
        PlainClient {
            username,
            password,
            state: ClientState::SendHello,
            peer: None,
        }
    }
}

impl Mechanism for PlainClient {
    fn name(&self) -> &'static [u8; 20] {
        PLAIN_NAME
    }

    fn next_command(&mut self, local: &Local<'_>) -> Result<Option<Vec<u8>>, Failure> {
        match self.state {
            ClientState::SendHello => {
                self.state = ClientState::AwaitWelcome;
                // The options cap both at 255 bytes.
                let (user, pass) = (&self.username, self.password.bytes());
                let mut body = Vec::with_capacity(HELLO.len() + 2 + user.len() + pass.len());
                body.extend_from_slice(HELLO);
                body.push(user.len() as u8);
                body.extend_from_slice(user);
                body.push(pass.len() as u8);
                body.extend_from_slice(pass);
                Ok(Some(body))
            }
            ClientState::SendInitiate => {
                self.state = ClientState::AwaitReady;
                let mut body = INITIATE.to_vec();
                command::put_basic_properties(
                    &mut body,
                    local.socket_type,
                    local.routing_id,
                    local.metadata,
                );
                Ok(Some(body))
            }
            _ => Ok(None),
        }
    }

    fn process_command(&mut self, local: &Local<'_>, body: &[u8]) -> Result<(), Failure> {
        if body.starts_with(WELCOME) {
            if self.state != ClientState::AwaitWelcome {
                return Err(unexpected());
            }
            if body.len() != WELCOME.len() {
                return Err(protocol(
                    ZMQ_PROTOCOL_ERROR_ZMTP_MALFORMED_COMMAND_WELCOME,
                    "malformed WELCOME",
                ));
            }
            self.state = ClientState::SendInitiate;
            Ok(())
        } else if body.starts_with(command::READY) {
            if self.state != ClientState::AwaitReady {
                return Err(unexpected());
            }
            let props =
                parse_metadata(local.socket_type, &body[command::READY.len()..]).map_err(|_| {
                    protocol(
                        ZMQ_PROTOCOL_ERROR_ZMTP_INVALID_METADATA,
                        "invalid metadata in READY",
                    )
                })?;
            self.peer = Some(props);
            self.state = ClientState::Ready;
            Ok(())
        } else if let Some(f) = client_error(body) {
            if !matches!(
                self.state,
                ClientState::AwaitWelcome | ClientState::AwaitReady
            ) {
                return Err(unexpected());
            }
            Err(f)
        } else {
            Err(unexpected())
        }
    }

    fn is_ready(&self) -> bool {
        self.state == ClientState::Ready
    }

    fn peer_properties(&mut self) -> Properties {
        self.peer.take().unwrap_or_default()
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum ServerState {
    AwaitHello,
    /// HELLO taken; the ZAP handler decides.
    Zap,
    SendWelcome,
    AwaitInitiate,
    SendReady,
    Ready,
}

/// The server side.
pub(crate) struct PlainServer {
    zap: ZapSettings,
    state: ServerState,
    exchange: ZapExchange,
    peer: Option<Properties>,
}

impl PlainServer {
    pub(crate) fn new(zap: ZapSettings) -> PlainServer {
        PlainServer {
            zap,
            state: ServerState::AwaitHello,
            exchange: ZapExchange::default(),
            peer: None,
        }
    }

    fn hello(&mut self, local: &Local<'_>, body: &[u8]) -> Result<(), Failure> {
        let malformed = || {
            protocol(
                ZMQ_PROTOCOL_ERROR_ZMTP_MALFORMED_COMMAND_HELLO,
                "malformed HELLO",
            )
        };
        let rest = &body[HELLO.len()..];
        let (&user_len, rest) = rest.split_first().ok_or_else(malformed)?;
        let user = rest.get(..usize::from(user_len)).ok_or_else(malformed)?;
        let rest = &rest[user.len()..];
        let (&pass_len, pass) = rest.split_first().ok_or_else(malformed)?;
        if pass.len() != usize::from(pass_len) {
            return Err(malformed());
        }
        let request = zap::request(&self.zap, local.routing_id, b"PLAIN", &[user, pass]);
        self.exchange.ask(request);
        self.state = ServerState::Zap;
        Ok(())
    }
}

impl Mechanism for PlainServer {
    fn name(&self) -> &'static [u8; 20] {
        PLAIN_NAME
    }

    fn as_server(&self) -> bool {
        true
    }

    fn next_command(&mut self, local: &Local<'_>) -> Result<Option<Vec<u8>>, Failure> {
        if let Some(error) = self.exchange.take_error() {
            return Ok(Some(error));
        }
        match self.state {
            ServerState::SendWelcome => {
                self.state = ServerState::AwaitInitiate;
                Ok(Some(WELCOME.to_vec()))
            }
            ServerState::SendReady => {
                self.state = ServerState::Ready;
                Ok(Some(command::ready_body(
                    local.socket_type,
                    local.routing_id,
                    local.metadata,
                )))
            }
            _ => Ok(None),
        }
    }

    fn process_command(&mut self, local: &Local<'_>, body: &[u8]) -> Result<(), Failure> {
        match self.state {
            ServerState::AwaitHello => {
                check_command(body)?;
                if !body.starts_with(HELLO) {
                    return Err(unexpected());
                }
                self.hello(local, body)
            }
            ServerState::AwaitInitiate => {
                check_command(body)?;
                if !body.starts_with(INITIATE) {
                    return Err(unexpected());
                }
                self.peer = Some(parse_metadata(local.socket_type, &body[INITIATE.len()..])?);
                self.state = ServerState::SendReady;
                Ok(())
            }
            // Nothing is expected while the handler decides, nor after.
            _ => Err(protocol(
                ZMQ_PROTOCOL_ERROR_ZMTP_UNSPECIFIED,
                "command out of turn",
            )),
        }
    }

    fn is_ready(&self) -> bool {
        self.state == ServerState::Ready
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
        if self.exchange.reply(reply)? {
            self.state = ServerState::SendWelcome;
        }
        Ok(())
    }

    /// PLAIN cannot go on without a handler to check the password.
    fn zap_unavailable(&mut self) -> Result<(), Failure> {
        Err(zap::no_handler())
    }
}
