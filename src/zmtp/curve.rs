//! CURVE (RFC 26, CurveZMQ): the client proves it knows the server's long-term key
//! (HELLO), the server answers with a short-term key inside a cookie (WELCOME), the
//! client vouches for its short-term key with its long-term one (INITIATE, with its
//! metadata), the server answers READY with its own; afterwards every frame travels
//! as a MESSAGE box under the short-term keys, with strictly increasing nonces.
//!
//! The primitives are NaCl's crypto_box (X25519, HSalsa20, XSalsa20-Poly1305) and
//! crypto_secretbox from the RustCrypto crates; keys come from the operating system's
//! CSPRNG. Nothing cryptographic is implemented here: only CurveZMQ's framing, nonce
//! rules and checks, as libzmq applies them (with its monitor codes).

use crypto_box::aead::generic_array::GenericArray;
use crypto_box::aead::rand_core::{OsRng, RngCore};
use crypto_box::aead::AeadInPlace;
use crypto_box::{PublicKey, SalsaBox};
use crypto_secretbox::{KeyInit, XSalsa20Poly1305};
use zeroize::{Zeroize, Zeroizing};

use crate::abi::*;
use crate::msg::{flags, Msg};
use crate::util::secret::SecretKey;

use super::codec::v2_header;
use super::command;
use super::mechanism::{
    check_command, client_error, parse_metadata, protocol, Failure, Local, Mechanism, Properties,
    ZapExchange,
};
use super::zap::{self, ZapReply, ZapSettings};

/// The greeting's mechanism field for CURVE.
pub(crate) const CURVE_NAME: &[u8; 20] = b"CURVE\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0";

const HELLO: &[u8] = b"\x05HELLO";
const WELCOME: &[u8] = b"\x07WELCOME";
const INITIATE: &[u8] = b"\x08INITIATE";
const MESSAGE: &[u8] = b"\x07MESSAGE";

const HELLO_SIZE: usize = 200;
const WELCOME_SIZE: usize = 168;
/// Smallest INITIATE: name, cookie (16 + 80), short nonce, box of 128 bytes + MAC.
const INITIATE_MIN: usize = 257;
/// Smallest READY: name, short nonce, MAC.
const READY_MIN: usize = 30;
const TAG: usize = 16;
/// "\x07MESSAGE" and the short nonce.
const MESSAGE_HEADER: usize = 16;
/// MESSAGE overhead before the payload: header, MAC, flags byte.
pub(crate) const MESSAGE_OVERHEAD: usize = MESSAGE_HEADER + TAG + 1;

/// Random bytes from the operating system; a failure fails the handshake.
fn random(buf: &mut [u8]) -> Result<(), Failure> {
    OsRng.try_fill_bytes(buf).map_err(|_| Failure {
        event: ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL,
        value: libc::EAGAIN,
        reason: "no random bytes",
    })
}

/// A new random secret key and its public key.
pub(crate) fn keypair() -> Option<([u8; 32], SecretKey)> {
    let mut bytes = Zeroizing::new([0u8; 32]);
    OsRng.try_fill_bytes(&mut bytes[..]).ok()?;
    let secret = crypto_box::SecretKey::from(*bytes);
    Some((
        secret.public_key().to_bytes(),
        SecretKey::new(secret.to_bytes()),
    ))
}

/// The public key of a secret key.
pub(crate) fn public_key(secret: &SecretKey) -> [u8; 32] {
    crypto_box::SecretKey::from(*secret.bytes())
        .public_key()
        .to_bytes()
}

fn boxed(public: &[u8; 32], secret: &crypto_box::SecretKey) -> SalsaBox {
    SalsaBox::new(&PublicKey::from(*public), secret)
}

fn nonce(prefix: &[u8], tail: &[u8]) -> [u8; 24] {
    let mut n = [0u8; 24];
    n[..prefix.len()].copy_from_slice(prefix);
    n[prefix.len()..].copy_from_slice(tail);
    n
}

/// Encrypts `plain`: MAC then ciphertext, as libzmq puts boxes on the wire.
fn seal(cipher: &impl AeadInPlace, nonce: &[u8; 24], plain: &[u8]) -> Vec<u8> {
    let mut out = vec![0u8; TAG + plain.len()];
    out[TAG..].copy_from_slice(plain);
    let tag = cipher
        .encrypt_in_place_detached(GenericArray::from_slice(nonce), b"", &mut out[TAG..])
        .expect("no associated data");
    out[..TAG].copy_from_slice(&tag);
    out
}

/// Opens a box (MAC then ciphertext); None when it does not authenticate.
fn open(cipher: &impl AeadInPlace, nonce: &[u8; 24], sealed: &[u8]) -> Option<Zeroizing<Vec<u8>>> {
    if sealed.len() < TAG {
        return None;
    }
    let (tag, ct) = sealed.split_at(TAG);
    let mut plain = Zeroizing::new(ct.to_vec());
    cipher
        .decrypt_in_place_detached(
            GenericArray::from_slice(nonce),
            b"",
            &mut plain,
            GenericArray::from_slice(tag),
        )
        .ok()?;
    Some(plain)
}

fn crypto_failure(reason: &'static str) -> Failure {
    protocol(ZMQ_PROTOCOL_ERROR_ZMTP_CRYPTOGRAPHIC, reason)
}

fn unexpected() -> Failure {
    protocol(
        ZMQ_PROTOCOL_ERROR_ZMTP_UNEXPECTED_COMMAND,
        "unexpected command during the handshake",
    )
}

/// The MESSAGE boxes of an established connection: the precomputed short-term key,
/// our nonce counter and the last nonce the peer used.
pub(crate) struct Codec {
    cipher: SalsaBox,
    send_prefix: &'static [u8; 16],
    recv_prefix: &'static [u8; 16],
    next_nonce: u64,
    peer_nonce: u64,
}

impl Codec {
    fn take_nonce(&mut self) -> u64 {
        let n = self.next_nonce;
        self.next_nonce += 1;
        n
    }

    /// Appends one frame holding a MESSAGE box of `flags` and the parts, encrypted in
    /// place in `out` (no other buffer).
    pub(crate) fn encode(&mut self, out: &mut Vec<u8>, msg_flags: u8, parts: &[&[u8]]) {
        let body: usize = 1 + parts.iter().map(|p| p.len()).sum::<usize>();
        out.reserve(9 + MESSAGE_HEADER + TAG + body);
        v2_header(out, 0, MESSAGE_HEADER + TAG + body);
        let short = self.take_nonce().to_be_bytes();
        out.extend_from_slice(MESSAGE);
        out.extend_from_slice(&short);
        let tag_at = out.len();
        out.extend_from_slice(&[0; TAG]);
        let start = out.len();
        out.push(msg_flags);
        for p in parts {
            out.extend_from_slice(p);
        }
        let n = nonce(self.send_prefix, &short);
        let tag = self
            .cipher
            .encrypt_in_place_detached(GenericArray::from_slice(&n), b"", &mut out[start..])
            .expect("no associated data");
        out[tag_at..start].copy_from_slice(&tag);
    }

    /// Opens one received frame: a MESSAGE with a nonce above the last one.
    pub(crate) fn decode(&mut self, mut frame: Msg) -> Result<Msg, Failure> {
        check_command(frame.data())?;
        let len = frame.len();
        if !frame.data().starts_with(MESSAGE) {
            return Err(unexpected());
        }
        if len < MESSAGE_OVERHEAD {
            return Err(protocol(
                ZMQ_PROTOCOL_ERROR_ZMTP_MALFORMED_COMMAND_MESSAGE,
                "malformed MESSAGE",
            ));
        }
        let short: [u8; 8] = frame.data()[8..16].try_into().expect("8 bytes");
        let n = u64::from_be_bytes(short);
        if n <= self.peer_nonce {
            return Err(protocol(
                ZMQ_PROTOCOL_ERROR_ZMTP_INVALID_SEQUENCE,
                "MESSAGE nonce not above the last one",
            ));
        }
        self.peer_nonce = n;
        let tag: [u8; TAG] = frame.data()[MESSAGE_HEADER..MESSAGE_HEADER + TAG]
            .try_into()
            .expect("16 bytes");
        let full = nonce(self.recv_prefix, &short);
        // SAFETY: the decoder made this message for us alone (never shared, never
        // constant memory), so its `len` bytes at `data_ptr` are ours to write.
        let data = unsafe { std::slice::from_raw_parts_mut(frame.data_ptr(), len) };
        self.cipher
            .decrypt_in_place_detached(
                GenericArray::from_slice(&full),
                b"",
                &mut data[MESSAGE_HEADER + TAG..],
                GenericArray::from_slice(&tag),
            )
            .map_err(|_| crypto_failure("MESSAGE does not authenticate"))?;
        let f = data[MESSAGE_HEADER + TAG];
        let mut msg = Msg::from_slice(&data[MESSAGE_OVERHEAD..]);
        if f & 0x01 != 0 {
            msg.set_flags(flags::MORE);
        }
        if f & 0x02 != 0 {
            msg.set_flags(flags::COMMAND);
        }
        Ok(msg)
    }
}

// ------------------------------------------------------------------ client

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum ClientState {
    SendHello,
    AwaitWelcome,
    SendInitiate,
    AwaitReady,
    Ready,
}

/// The client side: knows the server's long-term public key.
pub(crate) struct CurveClient {
    public: [u8; 32],
    secret: crypto_box::SecretKey,
    server: [u8; 32],
    /// Our short-term key pair (C', c'), made for the HELLO.
    transient: Option<crypto_box::SecretKey>,
    /// The server's short-term key (S') and cookie, from WELCOME.
    server_transient: [u8; 32],
    cookie: [u8; 96],
    state: ClientState,
    /// Nonces of HELLO and INITIATE, before the codec exists.
    next_nonce: u64,
    codec: Option<Codec>,
    peer: Option<Properties>,
}

impl CurveClient {
    pub(crate) fn new(public: [u8; 32], secret: &SecretKey, server: [u8; 32]) -> CurveClient {
        CurveClient {
            public,
            secret: crypto_box::SecretKey::from(*secret.bytes()),
            server,
            transient: None,
            server_transient: [0; 32],
            cookie: [0; 96],
            state: ClientState::SendHello,
            next_nonce: 1,
            codec: None,
            peer: None,
        }
    }

    fn hello(&mut self) -> Result<Vec<u8>, Failure> {
        let mut bytes = Zeroizing::new([0u8; 32]);
        random(&mut bytes[..])?;
        let transient = crypto_box::SecretKey::from(*bytes);
        let short = self.next_nonce.to_be_bytes();
        self.next_nonce += 1;
        let signature = seal(
            &boxed(&self.server, &transient),
            &nonce(b"CurveZMQHELLO---", &short),
            &[0; 64],
        );
        let mut body = Vec::with_capacity(HELLO_SIZE);
        body.extend_from_slice(HELLO);
        body.extend_from_slice(&[1, 0]);
        body.extend_from_slice(&[0; 72]);
        body.extend_from_slice(transient.public_key().as_bytes());
        body.extend_from_slice(&short);
        body.extend_from_slice(&signature);
        debug_assert_eq!(body.len(), HELLO_SIZE);
        self.transient = Some(transient);
        Ok(body)
    }

    fn welcome(&mut self, body: &[u8]) -> Result<(), Failure> {
        if body.len() != WELCOME_SIZE {
            return Err(crypto_failure("WELCOME of the wrong size"));
        }
        let transient = self.transient.as_ref().ok_or_else(unexpected)?;
        let plain = open(
            &boxed(&self.server, transient),
            &nonce(b"WELCOME-", &body[8..24]),
            &body[24..],
        )
        .ok_or_else(|| crypto_failure("WELCOME does not open: wrong server key?"))?;
        self.server_transient.copy_from_slice(&plain[..32]);
        self.cookie.copy_from_slice(&plain[32..128]);
        self.codec = Some(Codec {
            cipher: boxed(&self.server_transient, transient),
            send_prefix: b"CurveZMQMESSAGEC",
            recv_prefix: b"CurveZMQMESSAGES",
            next_nonce: self.next_nonce,
            peer_nonce: 0,
        });
        self.state = ClientState::SendInitiate;
        Ok(())
    }

    fn initiate(&mut self, local: &Local<'_>) -> Result<Vec<u8>, Failure> {
        let transient = self.transient.as_ref().ok_or_else(unexpected)?;
        // The vouch: our short-term key and the server's, boxed from our long-term
        // key to the server's short-term one.
        let mut vouch_nonce = [0u8; 16];
        random(&mut vouch_nonce)?;
        let mut vouch_plain = [0u8; 64];
        vouch_plain[..32].copy_from_slice(transient.public_key().as_bytes());
        vouch_plain[32..].copy_from_slice(&self.server);
        let vouch = seal(
            &boxed(&self.server_transient, &self.secret),
            &nonce(b"VOUCH---", &vouch_nonce),
            &vouch_plain,
        );
        let mut plain = Vec::with_capacity(128 + 64);
        plain.extend_from_slice(&self.public);
        plain.extend_from_slice(&vouch_nonce);
        plain.extend_from_slice(&vouch);
        command::put_basic_properties(
            &mut plain,
            local.socket_type,
            local.routing_id,
            local.metadata,
        );
        let codec = self.codec.as_mut().ok_or_else(unexpected)?;
        let short = codec.take_nonce().to_be_bytes();
        let sealed = seal(&codec.cipher, &nonce(b"CurveZMQINITIATE", &short), &plain);
        let mut body = Vec::with_capacity(113 + sealed.len());
        body.extend_from_slice(INITIATE);
        body.extend_from_slice(&self.cookie);
        body.extend_from_slice(&short);
        body.extend_from_slice(&sealed);
        Ok(body)
    }

    fn ready(&mut self, local: &Local<'_>, body: &[u8]) -> Result<(), Failure> {
        if body.len() < READY_MIN {
            return Err(protocol(
                ZMQ_PROTOCOL_ERROR_ZMTP_MALFORMED_COMMAND_READY,
                "malformed READY",
            ));
        }
        let codec = self.codec.as_mut().ok_or_else(unexpected)?;
        let short: [u8; 8] = body[6..14].try_into().expect("8 bytes");
        codec.peer_nonce = u64::from_be_bytes(short);
        let plain = open(
            &codec.cipher,
            &nonce(b"CurveZMQREADY---", &short),
            &body[14..],
        )
        .ok_or_else(|| crypto_failure("READY does not open"))?;
        let props = parse_metadata(local.socket_type, &plain).map_err(|_| {
            protocol(
                ZMQ_PROTOCOL_ERROR_ZMTP_INVALID_METADATA,
                "invalid metadata in READY",
            )
        })?;
        self.peer = Some(props);
        self.state = ClientState::Ready;
        Ok(())
    }
}

impl Mechanism for CurveClient {
    fn name(&self) -> &'static [u8; 20] {
        CURVE_NAME
    }

    fn next_command(&mut self, local: &Local<'_>) -> Result<Option<Vec<u8>>, Failure> {
        match self.state {
            ClientState::SendHello => {
                let hello = self.hello()?;
                self.state = ClientState::AwaitWelcome;
                Ok(Some(hello))
            }
            ClientState::SendInitiate => {
                let initiate = self.initiate(local)?;
                self.state = ClientState::AwaitReady;
                Ok(Some(initiate))
            }
            _ => Ok(None),
        }
    }

    fn process_command(&mut self, local: &Local<'_>, body: &[u8]) -> Result<(), Failure> {
        if body.starts_with(WELCOME) {
            if self.state != ClientState::AwaitWelcome {
                return Err(unexpected());
            }
            self.welcome(body)
        } else if body.starts_with(command::READY) {
            if self.state != ClientState::AwaitReady {
                return Err(unexpected());
            }
            self.ready(local, body)
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

    fn transparent(&self) -> bool {
        false
    }

    fn encode(&mut self, out: &mut Vec<u8>, msg_flags: u8, parts: &[&[u8]]) {
        if let Some(c) = self.codec.as_mut() {
            c.encode(out, msg_flags, parts);
        }
    }

    fn decode(&mut self, frame: Msg) -> Result<Msg, Failure> {
        match self.codec.as_mut() {
            Some(c) => c.decode(frame),
            None => Err(unexpected()),
        }
    }
}

// ------------------------------------------------------------------ server

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum ServerState {
    AwaitHello,
    SendWelcome,
    AwaitInitiate,
    /// INITIATE taken; the ZAP handler decides.
    Zap,
    SendReady,
    Ready,
}

/// The server side: holds its long-term secret key.
pub(crate) struct CurveServer {
    secret: crypto_box::SecretKey,
    zap: ZapSettings,
    state: ServerState,
    /// The client's short-term key (C'), from HELLO.
    client_transient: [u8; 32],
    /// Our short-term key pair (S', s'), made for the WELCOME.
    transient: Option<crypto_box::SecretKey>,
    /// The key of the cookie, fresh for each WELCOME.
    cookie_key: Zeroizing<[u8; 32]>,
    /// The client's long-term key (C), from INITIATE: what ZAP is asked about.
    client_key: [u8; 32],
    codec: Option<Codec>,
    exchange: ZapExchange,
    peer: Option<Properties>,
    /// The last nonce of the handshake (HELLO's, then INITIATE's).
    peer_nonce: u64,
}

impl CurveServer {
    pub(crate) fn new(secret: &SecretKey, zap: ZapSettings) -> CurveServer {
        CurveServer {
            secret: crypto_box::SecretKey::from(*secret.bytes()),
            zap,
            state: ServerState::AwaitHello,
            client_transient: [0; 32],
            transient: None,
            cookie_key: Zeroizing::new([0; 32]),
            client_key: [0; 32],
            codec: None,
            exchange: ZapExchange::default(),
            peer: None,
            peer_nonce: 0,
        }
    }

    fn hello(&mut self, body: &[u8]) -> Result<(), Failure> {
        if !body.starts_with(HELLO) {
            return Err(unexpected());
        }
        if body.len() != HELLO_SIZE || body[6] != 1 || body[7] != 0 {
            return Err(protocol(
                ZMQ_PROTOCOL_ERROR_ZMTP_MALFORMED_COMMAND_HELLO,
                "malformed HELLO",
            ));
        }
        self.client_transient.copy_from_slice(&body[80..112]);
        self.peer_nonce = u64::from_be_bytes(body[112..120].try_into().expect("8 bytes"));
        open(
            &boxed(&self.client_transient, &self.secret),
            &nonce(b"CurveZMQHELLO---", &body[112..120]),
            &body[120..200],
        )
        .ok_or_else(|| crypto_failure("HELLO does not open: wrong server key?"))?;
        self.state = ServerState::SendWelcome;
        Ok(())
    }

    fn welcome(&mut self) -> Result<Vec<u8>, Failure> {
        let mut bytes = Zeroizing::new([0u8; 32]);
        random(&mut bytes[..])?;
        let transient = crypto_box::SecretKey::from(*bytes);
        random(&mut self.cookie_key[..])?;
        // The cookie: C' and s' under a key only this connection knows.
        let mut cookie_nonce = [0u8; 16];
        random(&mut cookie_nonce)?;
        let mut cookie_plain = Zeroizing::new([0u8; 64]);
        cookie_plain[..32].copy_from_slice(&self.client_transient);
        cookie_plain[32..].copy_from_slice(&transient.to_bytes());
        let cookie = seal(
            &XSalsa20Poly1305::new(GenericArray::from_slice(&self.cookie_key[..])),
            &nonce(b"COOKIE--", &cookie_nonce),
            &cookie_plain[..],
        );
        let mut plain = Vec::with_capacity(128);
        plain.extend_from_slice(transient.public_key().as_bytes());
        plain.extend_from_slice(&cookie_nonce);
        plain.extend_from_slice(&cookie);
        let mut welcome_nonce = [0u8; 16];
        random(&mut welcome_nonce)?;
        let sealed = seal(
            &boxed(&self.client_transient, &self.secret),
            &nonce(b"WELCOME-", &welcome_nonce),
            &plain,
        );
        let mut body = Vec::with_capacity(WELCOME_SIZE);
        body.extend_from_slice(WELCOME);
        body.extend_from_slice(&welcome_nonce);
        body.extend_from_slice(&sealed);
        debug_assert_eq!(body.len(), WELCOME_SIZE);
        self.transient = Some(transient);
        Ok(body)
    }

    fn initiate(&mut self, local: &Local<'_>, body: &[u8]) -> Result<(), Failure> {
        if !body.starts_with(INITIATE) {
            return Err(unexpected());
        }
        if body.len() < INITIATE_MIN {
            return Err(protocol(
                ZMQ_PROTOCOL_ERROR_ZMTP_MALFORMED_COMMAND_INITIATE,
                "malformed INITIATE",
            ));
        }
        let transient = self.transient.as_ref().ok_or_else(unexpected)?;
        let cookie = open(
            &XSalsa20Poly1305::new(GenericArray::from_slice(&self.cookie_key[..])),
            &nonce(b"COOKIE--", &body[9..25]),
            &body[25..105],
        )
        .ok_or_else(|| crypto_failure("INITIATE cookie does not open"))?;
        let mut transient_bytes = transient.to_bytes();
        let cookie_ok =
            cookie[..32] == self.client_transient && cookie[32..64] == transient_bytes[..];
        transient_bytes.zeroize();
        if !cookie_ok {
            return Err(crypto_failure("INITIATE cookie is not ours"));
        }
        let short: [u8; 8] = body[105..113].try_into().expect("8 bytes");
        self.peer_nonce = u64::from_be_bytes(short);
        let cipher = boxed(&self.client_transient, transient);
        let plain = open(&cipher, &nonce(b"CurveZMQINITIATE", &short), &body[113..])
            .ok_or_else(|| crypto_failure("INITIATE does not open"))?;
        // plain: C, vouch nonce, vouch (80), metadata.
        self.client_key.copy_from_slice(&plain[..32]);
        let vouch = open(
            &boxed(&self.client_key, transient),
            &nonce(b"VOUCH---", &plain[32..48]),
            &plain[48..128],
        )
        .ok_or_else(|| crypto_failure("INITIATE vouch does not open"))?;
        if vouch[..32] != self.client_transient {
            return Err(protocol(
                ZMQ_PROTOCOL_ERROR_ZMTP_KEY_EXCHANGE,
                "vouch is for another key",
            ));
        }
        self.peer = Some(parse_metadata(local.socket_type, &plain[128..])?);
        self.codec = Some(Codec {
            cipher,
            send_prefix: b"CurveZMQMESSAGES",
            recv_prefix: b"CurveZMQMESSAGEC",
            next_nonce: 1,
            peer_nonce: self.peer_nonce,
        });
        // ZAP as libzmq asks it: with a domain, or unless the domain is enforced;
        // without a domain and enforced, the Stonehouse pattern (no authentication).
        if !self.zap.domain.is_empty() || !self.zap.enforce {
            let key = self.client_key;
            let request = zap::request(&self.zap, local.routing_id, b"CURVE", &[&key]);
            self.exchange.ask(request);
            self.state = ServerState::Zap;
        } else {
            self.state = ServerState::SendReady;
        }
        Ok(())
    }

    fn ready(&mut self, local: &Local<'_>) -> Result<Vec<u8>, Failure> {
        let codec = self.codec.as_mut().ok_or_else(unexpected)?;
        let mut plain = Vec::new();
        command::put_basic_properties(
            &mut plain,
            local.socket_type,
            local.routing_id,
            local.metadata,
        );
        let short = codec.take_nonce().to_be_bytes();
        let sealed = seal(&codec.cipher, &nonce(b"CurveZMQREADY---", &short), &plain);
        let mut body = Vec::with_capacity(14 + sealed.len());
        body.extend_from_slice(command::READY);
        body.extend_from_slice(&short);
        body.extend_from_slice(&sealed);
        Ok(body)
    }
}

impl Mechanism for CurveServer {
    fn name(&self) -> &'static [u8; 20] {
        CURVE_NAME
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
                let welcome = self.welcome()?;
                self.state = ServerState::AwaitInitiate;
                Ok(Some(welcome))
            }
            ServerState::SendReady => {
                let ready = self.ready(local)?;
                self.state = ServerState::Ready;
                Ok(Some(ready))
            }
            _ => Ok(None),
        }
    }

    fn process_command(&mut self, local: &Local<'_>, body: &[u8]) -> Result<(), Failure> {
        match self.state {
            ServerState::AwaitHello => {
                check_command(body)?;
                self.hello(body)
            }
            ServerState::AwaitInitiate => {
                check_command(body)?;
                self.initiate(local, body)
            }
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
            self.state = ServerState::SendReady;
        }
        Ok(())
    }

    /// Without a handler the client is let in unless the domain is enforced.
    fn zap_unavailable(&mut self) -> Result<(), Failure> {
        if self.zap.enforce {
            return Err(zap::no_handler());
        }
        self.exchange.allow();
        self.state = ServerState::SendReady;
        Ok(())
    }

    fn transparent(&self) -> bool {
        false
    }

    fn encode(&mut self, out: &mut Vec<u8>, msg_flags: u8, parts: &[&[u8]]) {
        if let Some(c) = self.codec.as_mut() {
            c.encode(out, msg_flags, parts);
        }
    }

    fn decode(&mut self, frame: Msg) -> Result<Msg, Failure> {
        match self.codec.as_mut() {
            Some(c) => c.decode(frame),
            None => Err(unexpected()),
        }
    }
}
