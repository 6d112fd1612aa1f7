//! REQ and REP (RFC 28): strict request-reply lockstep over DEALER and ROUTER, with the
//! reply envelope (routing frames up to an empty delimiter) handled by the sockets.

use super::dealer::Dealer;
use super::router::{flag_value, random_u32, Router};
use super::Pattern;
use crate::abi::*;
use crate::error::{Errno, ZResult};
use crate::msg::Msg;
use crate::options::Options;
use crate::pipe::PipeId;
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
            _ => self.dealer.set_option(pipes, option, value),
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pipe::pipe_pair;

    fn link(pattern: &mut dyn Pattern, pipes: &mut Pipes, peer_rid: &[u8]) -> PipeEnd {
        let (mut ours, mut theirs) = pipe_pair([0, 0]);
        ours.send_routing_id(b"");
        theirs.send_routing_id(peer_rid);
        let id = ours.id;
        pipes.insert(ours);
        pattern.attach(pipes, id);
        theirs
    }

    /// What the ActivateRead commands would do after a peer wrote.
    fn wake(pattern: &mut dyn Pattern, pipes: &mut Pipes) {
        for id in pipes.ids() {
            pattern.read_activated(pipes, id);
        }
    }

    fn part(data: &[u8], more: bool) -> Msg {
        let mut m = Msg::from_slice(data);
        m.set_more(more);
        m
    }

    fn send_all(end: &mut PipeEnd, parts: &[&[u8]]) {
        for (i, p) in parts.iter().enumerate() {
            end.write(part(p, i + 1 < parts.len()));
        }
    }

    fn read_all(end: &mut PipeEnd) -> Vec<Vec<u8>> {
        let mut out = vec![];
        while let Some(m) = end.read() {
            out.push(m.data().to_vec());
            if !m.more() {
                break;
            }
        }
        out
    }

    fn req() -> Req {
        Req::new(&Options::new(ZMQ_REQ))
    }

    #[test]
    fn req_is_lockstep_and_frames_requests() {
        let mut req = req();
        let mut pipes = Pipes::default();
        let mut peer = link(&mut req, &mut pipes, b"");
        assert_eq!(req.recv(&mut pipes).err(), Some(Errno::EFSM));
        assert!(req.has_out(&mut pipes));
        req.send(&mut pipes, &mut part(b"q1", true)).unwrap();
        req.send(&mut pipes, &mut part(b"q2", false)).unwrap();
        assert!(!req.has_out(&mut pipes));
        assert_eq!(
            req.send(&mut pipes, &mut part(b"again", false)),
            Err(Errno::EFSM)
        );
        assert_eq!(
            read_all(&mut peer),
            vec![b"".to_vec(), b"q1".to_vec(), b"q2".to_vec()]
        );
        assert_eq!(req.recv(&mut pipes).err(), Some(Errno::EAGAIN));
        // Without the delimiter a reply is dropped.
        send_all(&mut peer, &[b"bad"]);
        send_all(&mut peer, &[b"", b"good"]);
        wake(&mut req, &mut pipes);
        assert_eq!(req.recv(&mut pipes).unwrap().data(), b"good");
        assert_eq!(req.recv(&mut pipes).err(), Some(Errno::EFSM));
        assert!(req.has_out(&mut pipes));
    }

    #[test]
    fn req_takes_replies_from_its_peer_only() {
        let mut req = req();
        let mut pipes = Pipes::default();
        let mut a = link(&mut req, &mut pipes, b"");
        let mut b = link(&mut req, &mut pipes, b"");
        req.send(&mut pipes, &mut part(b"q", false)).unwrap();
        assert_eq!(read_all(&mut a).len(), 2);
        send_all(&mut b, &[b"", b"from-b"]);
        wake(&mut req, &mut pipes);
        assert_eq!(req.recv(&mut pipes).err(), Some(Errno::EAGAIN));
        send_all(&mut a, &[b"", b"from-a"]);
        wake(&mut req, &mut pipes);
        assert_eq!(req.recv(&mut pipes).unwrap().data(), b"from-a");
        // The next request goes to the next peer.
        req.send(&mut pipes, &mut part(b"q", false)).unwrap();
        assert_eq!(read_all(&mut b).len(), 2);
    }

    #[test]
    fn req_correlates_relaxed_requests() {
        let mut req = req();
        let mut pipes = Pipes::default();
        let on = 1i32.to_ne_bytes();
        for opt in [ZMQ_REQ_RELAXED, ZMQ_REQ_CORRELATE] {
            assert_eq!(req.set_option(&mut pipes, opt, &on), Some(Ok(())));
        }
        let mut peer = link(&mut req, &mut pipes, b"");
        req.send(&mut pipes, &mut part(b"first", false)).unwrap();
        let first = read_all(&mut peer);
        req.send(&mut pipes, &mut part(b"second", false)).unwrap();
        let second = read_all(&mut peer);
        assert_eq!(first[0].len(), 4);
        assert_ne!(first[0], second[0]);
        assert_eq!(&first[1..], &[b"".to_vec(), b"first".to_vec()]);
        send_all(&mut peer, &[&first[0], b"", b"stale"]);
        send_all(&mut peer, &[&second[0], b"", b"current"]);
        wake(&mut req, &mut pipes);
        assert_eq!(req.recv(&mut pipes).unwrap().data(), b"current");
    }

    #[test]
    fn rep_hides_and_restores_the_envelope() {
        let mut rep = Rep::default();
        let mut pipes = Pipes::default();
        let mut peer = link(&mut rep, &mut pipes, b"P");
        assert_eq!(
            rep.send(&mut pipes, &mut part(b"x", false)),
            Err(Errno::EFSM)
        );
        send_all(&mut peer, &[b"no-delimiter"]);
        send_all(&mut peer, &[b"hop", b"", b"body1", b"body2"]);
        assert!(rep.has_in(&mut pipes));
        let m = rep.recv(&mut pipes).unwrap();
        assert_eq!((m.data(), m.more()), (&b"body1"[..], true));
        assert_eq!(rep.recv(&mut pipes).unwrap().data(), b"body2");
        assert_eq!(rep.recv(&mut pipes).err(), Some(Errno::EFSM));
        assert!(!rep.has_in(&mut pipes) && rep.has_out(&mut pipes));
        rep.send(&mut pipes, &mut part(b"r1", true)).unwrap();
        rep.send(&mut pipes, &mut part(b"r2", false)).unwrap();
        assert!(!rep.has_out(&mut pipes));
        assert_eq!(
            read_all(&mut peer),
            vec![
                b"hop".to_vec(),
                b"".to_vec(),
                b"r1".to_vec(),
                b"r2".to_vec()
            ]
        );
    }
}
