//! REQ and REP (RFC 28): strict request-reply lockstep over DEALER and ROUTER, with the
//! reply envelope (routing frames up to an empty delimiter) handled by the sockets.

use super::dealer::Dealer;
use super::router::{flag_value, random_u32, Router};
use super::Pattern;
use crate::abi::*;
use crate::error::{Errno, ZResult};
use crate::mailbox::PipeId;
use crate::msg::Msg;
use crate::options::Options;
use crate::pipe::{PipeEnd, Pipes};

/// REQ: a DEALER that sends `[request id,] empty delimiter, request` to one peer and then
/// accepts only that peer's reply.
pub struct Req {
    dealer: Dealer,
    /// A request was sent; its reply is awaited.
    receiving_reply: bool,
    /// The next part sent or received starts a message.
    message_begins: bool,
    /// The pipe the request went to (None: it is gone, accept any).
    reply_pipe: Option<PipeId>,
    /// ZMQ_REQ_CORRELATE: requests carry `request_id`, replies must echo it.
    correlate: bool,
    request_id: u32,
    /// Not ZMQ_REQ_RELAXED: one request at a time.
    strict: bool,
}

impl Req {
    pub fn new(options: &Options) -> Req {
        Req {
            dealer: Dealer::new(options),
            receiving_reply: false,
            message_begins: true,
            reply_pipe: None,
            correlate: false,
            request_id: random_u32(),
            strict: true,
        }
    }

    /// Next part from the reply pipe; parts from other pipes are discarded.
    fn recv_reply_part(&mut self, pipes: &mut Pipes) -> ZResult<Msg> {
        loop {
            let (msg, id) = self.dealer.fq.recv(pipes).ok_or(Errno::EAGAIN)?;
            if self.reply_pipe.is_none_or(|r| r == id) {
                return Ok(msg);
            }
        }
    }

    /// Discards the rest of a message whose first part was `msg`.
    fn skip_rest(&mut self, pipes: &mut Pipes, mut msg: Msg) -> ZResult<()> {
        while msg.more() {
            msg = self.recv_reply_part(pipes)?;
        }
        Ok(())
    }

    /// Sends a part made by REQ itself, noting the pipe it went to.
    fn send_own(&mut self, pipes: &mut Pipes, data: &[u8]) -> ZResult<()> {
        let mut part = Msg::from_slice(data);
        part.set_more(true);
        if let Some(id) = self.dealer.lb.send(pipes, &mut part)? {
            self.reply_pipe = Some(id);
        }
        Ok(())
    }
}

impl Pattern for Req {
    fn attach(&mut self, pipes: &mut Pipes, id: PipeId) {
        self.dealer.attach(pipes, id);
    }

    fn read_activated(&mut self, pipes: &mut Pipes, id: PipeId) {
        self.dealer.read_activated(pipes, id);
    }

    fn write_activated(&mut self, pipes: &mut Pipes, id: PipeId) {
        self.dealer.write_activated(pipes, id);
    }

    fn terminated(&mut self, pipes: &mut Pipes, pipe: &PipeEnd) {
        if self.reply_pipe == Some(pipe.id) {
            self.reply_pipe = None;
        }
        self.dealer.terminated(pipes, pipe);
    }

    fn send(&mut self, pipes: &mut Pipes, msg: &mut Msg) -> ZResult<()> {
        if self.receiving_reply {
            if self.strict {
                return Err(Errno::EFSM);
            }
            // Relaxed: the pending reply is abandoned.
            self.receiving_reply = false;
            self.message_begins = true;
        }
        if self.message_begins {
            self.reply_pipe = None;
            if self.correlate {
                self.request_id = self.request_id.wrapping_add(1);
                let id = self.request_id.to_ne_bytes();
                self.send_own(pipes, &id)?;
            }
            self.send_own(pipes, &[])?;
            self.message_begins = false;
            // Whatever arrived so far answers older requests: a late reply from a peer
            // must not pass for the answer to a later request to the same peer.
            while self.dealer.fq.recv(pipes).is_some() {}
        }
        let more = msg.more();
        self.dealer.lb.send(pipes, msg)?;
        if !more {
            self.receiving_reply = true;
            self.message_begins = true;
        }
        Ok(())
    }

    fn recv(&mut self, pipes: &mut Pipes) -> ZResult<Msg> {
        if !self.receiving_reply {
            return Err(Errno::EFSM);
        }
        // Skip messages until one starts with the expected frames.
        while self.message_begins {
            if self.correlate {
                let msg = self.recv_reply_part(pipes)?;
                if !msg.more() || msg.data() != self.request_id.to_ne_bytes() {
                    self.skip_rest(pipes, msg)?;
                    continue;
                }
            }
            let msg = self.recv_reply_part(pipes)?;
            if !msg.more() || !msg.is_empty() {
                self.skip_rest(pipes, msg)?;
                continue;
            }
            self.message_begins = false;
        }
        let msg = self.recv_reply_part(pipes)?;
        if !msg.more() {
            self.receiving_reply = false;
            self.message_begins = true;
        }
        Ok(msg)
    }

    fn has_in(&mut self, pipes: &mut Pipes) -> bool {
        self.receiving_reply && self.dealer.has_in(pipes)
    }

    fn has_out(&mut self, pipes: &mut Pipes) -> bool {
        if self.receiving_reply && self.strict {
            return false;
        }
        self.dealer.has_out(pipes)
    }

    fn set_option(&mut self, pipes: &mut Pipes, option: i32, value: &[u8]) -> Option<ZResult<()>> {
        match option {
            ZMQ_REQ_CORRELATE => Some(flag_value(value).map(|v| self.correlate = v)),
            ZMQ_REQ_RELAXED => Some(flag_value(value).map(|v| self.strict = !v)),
            // DEALER's option, with libzmq's reading of any non-negative int.
            ZMQ_PROBE_ROUTER => Some(flag_value(value).and_then(|v| {
                let normal = i32::from(v).to_ne_bytes();
                self.dealer
                    .set_option(pipes, option, &normal)
                    .unwrap_or(Err(Errno::EINVAL))
            })),
            _ => None,
        }
    }
}

/// REP: a ROUTER that keeps each request's envelope and puts it back on the reply.
pub struct Rep {
    router: Router,
    /// A request was received whole; its reply is due.
    sending_reply: bool,
    /// The next part received starts a request.
    request_begins: bool,
    /// The request's envelope: its routing id (until the reply's pipe is chosen), then
    /// the frames up to the empty delimiter, kept until they go back with the reply.
    envelope: Vec<Msg>,
}

impl Default for Rep {
    fn default() -> Self {
        Rep {
            router: Router::new(),
            sending_reply: false,
            request_begins: true,
            envelope: Vec::new(),
        }
    }
}

impl Pattern for Rep {
    fn attach(&mut self, pipes: &mut Pipes, id: PipeId) {
        self.router.attach(pipes, id);
    }

    fn read_activated(&mut self, pipes: &mut Pipes, id: PipeId) {
        self.router.read_activated(pipes, id);
    }

    fn write_activated(&mut self, pipes: &mut Pipes, id: PipeId) {
        self.router.write_activated(pipes, id);
    }

    fn terminated(&mut self, pipes: &mut Pipes, pipe: &PipeEnd) {
        self.router.terminated(pipes, pipe);
    }

    fn send(&mut self, pipes: &mut Pipes, msg: &mut Msg) -> ZResult<()> {
        if !self.sending_reply {
            return Err(Errno::EFSM);
        }
        for mut frame in std::mem::take(&mut self.envelope) {
            self.router.send(pipes, &mut frame)?;
        }
        let more = msg.more();
        self.router.send(pipes, msg)?;
        if !more {
            self.sending_reply = false;
        }
        Ok(())
    }

    fn recv(&mut self, pipes: &mut Pipes) -> ZResult<Msg> {
        if self.sending_reply {
            return Err(Errno::EFSM);
        }
        if self.request_begins {
            // The routing id, then frames up to an empty delimiter; a request without
            // one is malformed and dropped whole.
            loop {
                let frame = self.router.recv(pipes)?;
                if !frame.more() {
                    self.envelope.clear();
                    continue;
                }
                let bottom = frame.is_empty();
                self.envelope.push(frame);
                if bottom {
                    break;
                }
            }
            // The reply goes back the way the request came: choose its pipe now.
            let route = self.envelope.remove(0);
            self.router.open_route(pipes, route.data(), false)?;
            self.request_begins = false;
        }
        let msg = self.router.recv(pipes)?;
        if !msg.more() {
            self.sending_reply = true;
            self.request_begins = true;
        }
        Ok(msg)
    }

    fn has_in(&mut self, pipes: &mut Pipes) -> bool {
        !self.sending_reply && self.router.has_in(pipes)
    }

    fn has_out(&mut self, pipes: &mut Pipes) -> bool {
        self.sending_reply && self.router.has_out(pipes)
    }

    fn set_option(&mut self, pipes: &mut Pipes, option: i32, value: &[u8]) -> Option<ZResult<()>> {
        self.router.set_option(pipes, option, value)
    }
}
