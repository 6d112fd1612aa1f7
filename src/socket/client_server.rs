//! CLIENT and SERVER (RFC 41), and PEER: thread-safe sockets of single-part messages.
//! A SERVER names each pipe by a 32-bit routing id, set on every message it receives
//! and read from every message it sends; a PEER is a SERVER that also connects (and
//! learns the routing id of each connection at once, `zmq_connect_peer`).

use std::collections::HashMap;

use super::router::random_u32;
use super::Pattern;
use crate::error::{Errno, ZResult};
use crate::msg::Msg;
use crate::pattern::{FairQueue, LoadBalance};
use crate::pipe::{PipeEnd, PipeId, Pipes};

/// The next single-part message and its pipe; a multipart message (which only a
/// misbehaving peer sends these types) is dropped whole, as libzmq drops it.
pub(super) fn recv_single(fq: &mut FairQueue, pipes: &mut Pipes) -> Option<(Msg, PipeId)> {
    loop {
        let (msg, id) = fq.recv(pipes)?;
        if !msg.more() {
            return Some((msg, id));
        }
        while fq.recv(pipes)?.0.more() {}
    }
}

/// ZMQ_SNDMORE is refused by the single-part socket types.
pub(super) fn single_part(msg: &Msg) -> ZResult<()> {
    if msg.more() {
        return Err(Errno::EINVAL);
    }
    Ok(())
}

#[derive(Default)]
pub struct Client {
    fq: FairQueue,
    lb: LoadBalance,
}

impl Pattern for Client {
    fn attach(&mut self, pipes: &mut Pipes, id: PipeId) {
        self.fq.attach(pipes, id);
        self.lb.attach(pipes, id);
    }
    fn read_activated(&mut self, pipes: &mut Pipes, id: PipeId) {
        self.fq.activated(pipes, id);
    }
    fn write_activated(&mut self, pipes: &mut Pipes, id: PipeId) {
        self.lb.activated(pipes, id);
    }
    fn terminated(&mut self, _pipes: &mut Pipes, pipe: &PipeEnd) {
        self.fq.terminated(pipe.id);
        self.lb.terminated(pipe.id);
    }
    fn send(&mut self, pipes: &mut Pipes, msg: &mut Msg) -> ZResult<()> {
        single_part(msg)?;
        self.lb.send(pipes, msg).map(|_| ())
    }
    fn recv(&mut self, pipes: &mut Pipes) -> ZResult<Msg> {
        recv_single(&mut self.fq, pipes)
            .map(|(m, _)| m)
            .ok_or(Errno::EAGAIN)
    }
    fn has_in(&mut self, pipes: &mut Pipes) -> bool {
        self.fq.has_in(pipes)
    }
    fn has_out(&mut self, pipes: &mut Pipes) -> bool {
        self.lb.has_out(pipes)
    }
}

/// SERVER, and PEER.
pub struct Server {
    fq: FairQueue,
    /// Pipes by routing id, and back.
    by_id: HashMap<u32, PipeId>,
    ids: HashMap<PipeId, u32>,
    next_id: u32,
    /// The routing id given to the pipe attached last (`zmq_connect_peer`).
    last_id: Option<u32>,
}

impl Default for Server {
    fn default() -> Self {
        Server {
            fq: FairQueue::default(),
            by_id: HashMap::new(),
            ids: HashMap::new(),
            // As libzmq: the first id is random, so ids do not repeat across runs.
            next_id: random_u32(),
            last_id: None,
        }
    }
}

impl Server {
    fn next_routing_id(&mut self) -> u32 {
        loop {
            let id = self.next_id;
            self.next_id = id.wrapping_add(1);
            // Never 0 (which means "no routing id"), never one in use after a wrap.
            if id != 0 && !self.by_id.contains_key(&id) {
                return id;
            }
        }
    }
}

impl Pattern for Server {
    fn attach(&mut self, pipes: &mut Pipes, id: PipeId) {
        let rid = self.next_routing_id();
        self.by_id.insert(rid, id);
        self.ids.insert(id, rid);
        self.last_id = Some(rid);
        self.fq.attach(pipes, id);
    }
    fn read_activated(&mut self, pipes: &mut Pipes, id: PipeId) {
        self.fq.activated(pipes, id);
    }
    fn write_activated(&mut self, _pipes: &mut Pipes, _id: PipeId) {}
    fn terminated(&mut self, _pipes: &mut Pipes, pipe: &PipeEnd) {
        if let Some(rid) = self.ids.remove(&pipe.id) {
            self.by_id.remove(&rid);
        }
        self.fq.terminated(pipe.id);
    }
    fn send(&mut self, pipes: &mut Pipes, msg: &mut Msg) -> ZResult<()> {
        single_part(msg)?;
        let id = *self
            .by_id
            .get(&msg.routing_id())
            .ok_or(Errno::EHOSTUNREACH)?;
        let pipe = pipes.get_mut(id).ok_or(Errno::EHOSTUNREACH)?;
        if pipe.peer_gone {
            return Err(Errno::EHOSTUNREACH);
        }
        if !pipe.check_write() {
            return Err(Errno::EAGAIN);
        }
        let mut m = std::mem::take(msg);
        // The message may reach a socket of this process: it arrives without an id.
        m.set_routing_id(0);
        pipe.write(m);
        Ok(())
    }
    fn recv(&mut self, pipes: &mut Pipes) -> ZResult<Msg> {
        let (mut msg, id) = recv_single(&mut self.fq, pipes).ok_or(Errno::EAGAIN)?;
        msg.set_routing_id(self.ids.get(&id).copied().unwrap_or(0));
        Ok(msg)
    }
    fn has_in(&mut self, pipes: &mut Pipes) -> bool {
        self.fq.has_in(pipes)
    }
    fn has_out(&mut self, _pipes: &mut Pipes) -> bool {
        // Whether a send succeeds depends on the peer it names; as libzmq, writable.
        true
    }
    fn last_routing_id(&self) -> Option<u32> {
        self.last_id
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pipe::pipe_pair;

    fn part(data: &[u8], more: bool) -> Msg {
        let mut m = Msg::from_slice(data);
        m.set_more(more);
        m
    }

    fn link(p: &mut dyn Pattern, pipes: &mut Pipes) -> (PipeId, PipeEnd) {
        let (mut ours, mut theirs) = pipe_pair([0, 0]);
        ours.send_routing_id(b"");
        theirs.send_routing_id(b"");
        let id = ours.id;
        pipes.insert(ours);
        p.attach(pipes, id);
        (id, theirs)
    }

    #[test]
    fn server_routes_by_routing_id_and_refuses_more() {
        let mut s = Server::default();
        let mut pipes = Pipes::default();
        let (_, mut a) = link(&mut s, &mut pipes);
        let (_, mut b) = link(&mut s, &mut pipes);
        a.write(part(b"from-a", false));
        b.write(part(b"from-b", false));
        let ma = s.recv(&mut pipes).unwrap();
        let mb = s.recv(&mut pipes).unwrap();
        assert_ne!(ma.routing_id(), 0);
        assert_ne!(ma.routing_id(), mb.routing_id());
        let mut reply = part(b"to-b", false);
        reply.set_routing_id(if ma.data() == b"from-b" {
            ma.routing_id()
        } else {
            mb.routing_id()
        });
        s.send(&mut pipes, &mut reply).unwrap();
        assert_eq!(b.read().unwrap().data(), b"to-b");
        assert!(a.read().is_none());

        let mut nowhere = part(b"x", false);
        nowhere.set_routing_id(ma.routing_id().wrapping_add(1000));
        assert_eq!(s.send(&mut pipes, &mut nowhere), Err(Errno::EHOSTUNREACH));
        let mut more = part(b"x", true);
        more.set_routing_id(ma.routing_id());
        assert_eq!(s.send(&mut pipes, &mut more), Err(Errno::EINVAL));
    }

    #[test]
    fn multipart_messages_are_dropped_whole() {
        let mut c = Client::default();
        let mut pipes = Pipes::default();
        let (_, mut peer) = link(&mut c, &mut pipes);
        peer.write(part(b"1", true));
        peer.write(part(b"2", false));
        peer.write(part(b"single", false));
        assert_eq!(c.recv(&mut pipes).unwrap().data(), b"single");
        assert_eq!(c.recv(&mut pipes).err(), Some(Errno::EAGAIN));
        assert_eq!(
            c.send(&mut pipes, &mut part(b"x", true)),
            Err(Errno::EINVAL)
        );
    }
}
