//! ROUTER (RFC 28): names every pipe by its peer's routing id, prefixes each received
//! message with the name of the pipe it came from, and routes each sent message to the
//! pipe named by its first frame.

use std::collections::HashMap;

use super::Pattern;
use crate::abi::*;
use crate::error::{Errno, ZResult};
use crate::msg::Msg;
use crate::options;
use crate::pattern::FairQueue;
use crate::pipe::PipeId;
use crate::pipe::{PipeEnd, Pipes};

/// A random 32-bit number (the first generated routing id, like libzmq, is random so
/// names do not repeat across sockets and runs).
pub(super) fn random_u32() -> u32 {
    use std::hash::{BuildHasher, Hasher};
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos() as u64)
        .unwrap_or(0);
    h.write_u64(now);
    h.finish() as u32
}

/// libzmq's flag options for ROUTER and REQ: exactly an int, non-negative.
pub(super) fn flag_value(value: &[u8]) -> ZResult<bool> {
    match options::int_value(value)? {
        v if v >= 0 => Ok(v != 0),
        _ => Err(Errno::EINVAL),
    }
}

/// What identifying a pipe's peer gave.
enum Identity {
    /// The pipe has a name and is routable.
    Named,
    /// The peer's routing id has not arrived yet.
    Pending,
    /// Another pipe has the name already: this one is ignored.
    Duplicate,
}

pub struct Router {
    fq: FairQueue,
    /// Identified pipes by name.
    routes: HashMap<Vec<u8>, PipeId>,
    /// Pipes whose peer's routing id has not arrived yet.
    anonymous: Vec<PipeId>,
    /// Pipes refused for a duplicate name: kept open but never read or written.
    ignored: Vec<PipeId>,
    /// Next generated name (a 0 byte then this, big-endian).
    next_integral_id: u32,
    /// Body part read along with the name frame handed out just before it.
    prefetched: Option<Msg>,
    /// A message is being received (more parts follow).
    more_in: bool,
    /// Pipe of the message being received.
    current_in: Option<PipeId>,
    /// `current_in` lost its name to a newcomer: terminate it once its message is read.
    terminate_current_in: bool,
    /// A message is being sent (its name frame was taken).
    more_out: bool,
    /// Pipe of the message being sent; None drops its remaining parts.
    current_out: Option<PipeId>,
    mandatory: bool,
    raw: bool,
    probe: bool,
    handover: bool,
}

impl Default for Router {
    fn default() -> Self {
        Router::new()
    }
}

impl Router {
    pub fn new() -> Router {
        Router {
            fq: FairQueue::default(),
            routes: HashMap::new(),
            anonymous: Vec::new(),
            ignored: Vec::new(),
            next_integral_id: random_u32(),
            prefetched: None,
            more_in: false,
            current_in: None,
            terminate_current_in: false,
            more_out: false,
            current_out: None,
            mandatory: false,
            raw: false,
            probe: false,
            handover: false,
        }
    }

    fn generate_name(&mut self) -> Vec<u8> {
        let n = self.next_integral_id;
        self.next_integral_id = n.wrapping_add(1);
        let mut name = vec![0u8];
        name.extend_from_slice(&n.to_be_bytes());
        name
    }

    /// Gives `id` its name, as libzmq's `identify_peer`: a name preset by
    /// ZMQ_CONNECT_ROUTING_ID, else a generated one in raw mode, else the peer's
    /// routing id (generated when empty).
    fn identify(&mut self, pipes: &mut Pipes, id: PipeId) -> Identity {
        let Some(pipe) = pipes.get_mut(id) else {
            return Identity::Pending;
        };
        let name = if let Some(preset) = pipe.route.take() {
            preset
        } else if self.raw {
            self.generate_name()
        } else {
            if !pipe.identify() {
                // Arms the wake-up for when the routing id arrives (unless it just did).
                pipe.check_read();
                if !pipe.identify() {
                    return Identity::Pending;
                }
            }
            match pipe.peer_routing_id.as_deref() {
                None => return Identity::Pending,
                Some([]) => self.generate_name(),
                Some(rid) => rid.to_vec(),
            }
        };
        if let Some(&old) = self.routes.get(&name) {
            if !self.handover {
                return Identity::Duplicate;
            }
            self.take_over(pipes, old, &name);
        }
        if let Some(pipe) = pipes.get_mut(id) {
            pipe.route = Some(name.clone());
        }
        self.routes.insert(name, id);
        Identity::Named
    }

    /// ROUTER_HANDOVER: the pipe holding `name` gets a generated one and is terminated
    /// (after the message being read from it, if any).
    fn take_over(&mut self, pipes: &mut Pipes, old: PipeId, name: &[u8]) {
        self.routes.remove(name);
        let renamed = self.generate_name();
        if let Some(p) = pipes.get_mut(old) {
            p.route = Some(renamed.clone());
        }
        self.routes.insert(renamed, old);
        if self.current_in == Some(old) {
            self.terminate_current_in = true;
        } else {
            self.close_pipe(pipes, old);
        }
    }

    /// Terminates one of our pipes: it stops being read at once, the core removes it
    /// (calling `terminated`) and the peer reads what was already sent.
    fn close_pipe(&mut self, pipes: &mut Pipes, id: PipeId) {
        self.fq.terminated(id);
        if self.current_out == Some(id) {
            self.current_out = None;
        }
        pipes.mark_finished(id);
    }

    /// Adds an identified pipe to the fair queue, or files it away.
    fn file(&mut self, pipes: &mut Pipes, id: PipeId, identity: Identity) {
        match identity {
            Identity::Named => self.fq.attach(pipes, id),
            Identity::Pending => {
                if pipes.get_mut(id).is_some_and(|p| p.is_finished()) {
                    pipes.mark_finished(id);
                } else {
                    self.anonymous.push(id);
                }
            }
            Identity::Duplicate => {
                self.ignored.push(id);
                self.drop_if_gone(pipes, id);
            }
        }
    }

    /// An ignored pipe whose peer left: discard what it holds and let it go.
    fn drop_if_gone(&mut self, pipes: &mut Pipes, id: PipeId) {
        if let Some(p) = pipes.get_mut(id) {
            if p.peer_gone {
                p.drain();
                pipes.mark_finished(id);
            }
        }
    }

    /// The message being received is complete.
    fn end_of_input(&mut self, pipes: &mut Pipes) {
        if let Some(id) = self.current_in.take() {
            if std::mem::take(&mut self.terminate_current_in) {
                self.close_pipe(pipes, id);
            }
        }
    }

    /// Starts a message to the pipe named `name`: it becomes the current output pipe,
    /// or, if there is none or it cannot take a message, the message will be dropped.
    /// With `mandatory` that is an error instead: EHOSTUNREACH (unknown or closing)
    /// or EAGAIN (full), and nothing is started.
    pub(super) fn open_route(
        &mut self,
        pipes: &mut Pipes,
        name: &[u8],
        mandatory: bool,
    ) -> ZResult<()> {
        let mut error = Errno::EHOSTUNREACH;
        self.current_out = None;
        if let Some(&id) = self.routes.get(name) {
            if let Some(p) = pipes.get_mut(id) {
                if p.check_write() {
                    self.current_out = Some(id);
                } else if !p.peer_gone {
                    error = Errno::EAGAIN;
                }
            }
        }
        if self.current_out.is_none() && mandatory {
            return Err(error);
        }
        self.more_out = true;
        Ok(())
    }

    /// Sends the part of a message that follows its name frame.
    fn send_body(&mut self, pipes: &mut Pipes, msg: &mut Msg) {
        if self.raw {
            msg.set_more(false);
        }
        self.more_out = msg.more();
        let msg = std::mem::take(msg);
        let Some(id) = self.current_out else {
            return;
        };
        if self.raw && msg.is_empty() {
            // A raw ROUTER closes the connection on an empty message.
            self.close_pipe(pipes, id);
            return;
        }
        match pipes.get_mut(id) {
            Some(p) if !p.peer_gone => {
                p.write(msg);
                if !self.more_out {
                    self.current_out = None;
                }
            }
            // Gone mid-message: the unfinished message is never published.
            _ => self.current_out = None,
        }
    }
}

impl Pattern for Router {
    fn attach(&mut self, pipes: &mut Pipes, id: PipeId) {
        if self.probe {
            if let Some(p) = pipes.get_mut(id) {
                if p.check_write() {
                    p.write(Msg::new());
                }
            }
        }
        let identity = self.identify(pipes, id);
        self.file(pipes, id, identity);
    }

    fn read_activated(&mut self, pipes: &mut Pipes, id: PipeId) {
        if let Some(i) = self.anonymous.iter().position(|&a| a == id) {
            let identity = self.identify(pipes, id);
            if !matches!(identity, Identity::Pending) {
                self.anonymous.swap_remove(i);
                self.file(pipes, id, identity);
            } else if pipes.get_mut(id).is_some_and(|p| p.is_finished()) {
                pipes.mark_finished(id);
            }
        } else if self.ignored.contains(&id) {
            self.drop_if_gone(pipes, id);
        } else {
            self.fq.activated(pipes, id);
        }
    }

    fn write_activated(&mut self, _pipes: &mut Pipes, _id: PipeId) {}

    fn terminated(&mut self, _pipes: &mut Pipes, pipe: &PipeEnd) {
        let id = pipe.id;
        if let Some(i) = self.anonymous.iter().position(|&a| a == id) {
            self.anonymous.swap_remove(i);
            return;
        }
        if let Some(i) = self.ignored.iter().position(|&a| a == id) {
            self.ignored.swap_remove(i);
            return;
        }
        if let Some(name) = &pipe.route {
            if self.routes.get(name) == Some(&id) {
                self.routes.remove(name);
            }
        }
        self.fq.terminated(id);
        if self.current_out == Some(id) {
            self.current_out = None;
        }
        if self.current_in == Some(id) {
            self.current_in = None;
            self.terminate_current_in = false;
        }
    }

    fn send(&mut self, pipes: &mut Pipes, msg: &mut Msg) -> ZResult<()> {
        if self.more_out {
            self.send_body(pipes, msg);
            return Ok(());
        }
        // A name frame without a message after it is dropped.
        if msg.more() {
            self.open_route(pipes, msg.data(), self.mandatory)?;
        }
        *msg = Msg::new();
        Ok(())
    }

    fn recv(&mut self, pipes: &mut Pipes) -> ZResult<Msg> {
        let msg = match self.prefetched.take() {
            Some(body) => body,
            None => {
                let (msg, id) = self.fq.recv(pipes).ok_or(Errno::EAGAIN)?;
                if !self.more_in {
                    // First part: hand out the pipe's name, keep the part for later.
                    let name = pipes
                        .get(id)
                        .and_then(|p| p.route.as_deref())
                        .unwrap_or_default();
                    let mut frame = Msg::from_slice(name);
                    frame.set_more(true);
                    frame.set_metadata(msg.metadata().cloned());
                    self.prefetched = Some(msg);
                    self.current_in = Some(id);
                    self.more_in = true;
                    return Ok(frame);
                }
                msg
            }
        };
        self.more_in = msg.more();
        if !self.more_in {
            self.end_of_input(pipes);
        }
        Ok(msg)
    }

    fn has_in(&mut self, pipes: &mut Pipes) -> bool {
        self.more_in || self.prefetched.is_some() || self.fq.has_in(pipes)
    }

    fn has_out(&mut self, pipes: &mut Pipes) -> bool {
        // Without ROUTER_MANDATORY sends never block, so a ROUTER is always writable.
        if !self.mandatory {
            return true;
        }
        self.routes
            .values()
            .any(|&id| pipes.get_mut(id).is_some_and(|p| p.check_write()))
    }

    fn peer_state(&mut self, pipes: &mut Pipes, routing_id: &[u8]) -> ZResult<i32> {
        let id = *self.routes.get(routing_id).ok_or(Errno::EHOSTUNREACH)?;
        let pipe = pipes.get_mut(id).ok_or(Errno::EHOSTUNREACH)?;
        Ok(if pipe.check_write() { ZMQ_POLLOUT } else { 0 })
    }

    fn set_option(&mut self, _pipes: &mut Pipes, option: i32, value: &[u8]) -> Option<ZResult<()>> {
        let slot = match option {
            ZMQ_ROUTER_MANDATORY => &mut self.mandatory,
            ZMQ_ROUTER_RAW => &mut self.raw,
            ZMQ_PROBE_ROUTER => &mut self.probe,
            ZMQ_ROUTER_HANDOVER => &mut self.handover,
            _ => return None,
        };
        Some(flag_value(value).map(|v| *slot = v))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pipe::pipe_pair;

    /// A pipe of the router's and the peer's end of it, with routing ids exchanged.
    fn link(
        router: &mut Router,
        pipes: &mut Pipes,
        peer_rid: &[u8],
        hwm: u64,
    ) -> (PipeId, PipeEnd) {
        let (mut ours, mut theirs) = pipe_pair([hwm, hwm]);
        ours.send_routing_id(b"");
        theirs.send_routing_id(peer_rid);
        let id = ours.id;
        pipes.insert(ours);
        router.attach(pipes, id);
        (id, theirs)
    }

    fn part(data: &[u8], more: bool) -> Msg {
        let mut m = Msg::from_slice(data);
        m.set_more(more);
        m
    }

    fn recv_all(router: &mut Router, pipes: &mut Pipes) -> Vec<Vec<u8>> {
        let mut out = vec![];
        loop {
            let m = router.recv(pipes).unwrap();
            out.push(m.data().to_vec());
            if !m.more() {
                return out;
            }
        }
    }

    #[test]
    fn prefixes_and_routes_by_name() {
        let mut r = Router::new();
        let mut pipes = Pipes::default();
        let (_, mut a) = link(&mut r, &mut pipes, b"A", 0);
        let (_, mut b) = link(&mut r, &mut pipes, b"", 0);
        a.write(part(b"1", true));
        a.write(part(b"2", false));
        assert_eq!(
            recv_all(&mut r, &mut pipes),
            vec![b"A".to_vec(), b"1".to_vec(), b"2".to_vec()]
        );
        b.write(part(b"x", false));
        let got = recv_all(&mut r, &mut pipes);
        assert_eq!(got[0].len(), 5);
        assert_eq!(got[0][0], 0);
        assert_eq!(r.recv(&mut pipes).err(), Some(Errno::EAGAIN));

        let generated = got[0].clone();
        r.send(&mut pipes, &mut part(&generated, true)).unwrap();
        r.send(&mut pipes, &mut part(b"to-b", false)).unwrap();
        assert_eq!(b.read().unwrap().data(), b"to-b");
        assert!(a.read().is_none());
    }

    #[test]
    fn unknown_names_drop_or_fail_when_mandatory() {
        let mut r = Router::new();
        let mut pipes = Pipes::default();
        let (_, mut a) = link(&mut r, &mut pipes, b"A", 0);
        r.send(&mut pipes, &mut part(b"nobody", true)).unwrap();
        r.send(&mut pipes, &mut part(b"lost", false)).unwrap();
        assert!(a.read().is_none());
        let mandatory = 1i32.to_ne_bytes();
        r.set_option(&mut pipes, ZMQ_ROUTER_MANDATORY, &mandatory)
            .unwrap()
            .unwrap();
        let mut id = part(b"nobody", true);
        assert_eq!(r.send(&mut pipes, &mut id), Err(Errno::EHOSTUNREACH));
        assert_eq!(
            id.data(),
            b"nobody",
            "a refused frame stays with the caller"
        );
        r.send(&mut pipes, &mut part(b"A", true)).unwrap();
        r.send(&mut pipes, &mut part(b"ok", false)).unwrap();
        assert_eq!(a.read().unwrap().data(), b"ok");
    }

    #[test]
    fn full_pipe_drops_or_eagain_when_mandatory() {
        let mut r = Router::new();
        let mut pipes = Pipes::default();
        let (_, mut a) = link(&mut r, &mut pipes, b"A", 1);
        for body in [&b"1"[..], b"2"] {
            r.send(&mut pipes, &mut part(b"A", true)).unwrap();
            r.send(&mut pipes, &mut part(body, false)).unwrap();
        }
        assert!(r.has_out(&mut pipes));
        r.set_option(&mut pipes, ZMQ_ROUTER_MANDATORY, &1i32.to_ne_bytes());
        assert!(!r.has_out(&mut pipes));
        assert_eq!(
            r.send(&mut pipes, &mut part(b"A", true)),
            Err(Errno::EAGAIN)
        );
        assert_eq!(a.read().unwrap().data(), b"1");
        assert!(a.read().is_none(), "the second message was dropped");
    }

    #[test]
    fn duplicate_names_are_ignored_or_handed_over() {
        let mut r = Router::new();
        let mut pipes = Pipes::default();
        let (first, mut a) = link(&mut r, &mut pipes, b"X", 0);
        let (_, mut b) = link(&mut r, &mut pipes, b"X", 0);
        b.write(part(b"from-b", false));
        a.write(part(b"from-a", false));
        assert_eq!(
            recv_all(&mut r, &mut pipes),
            vec![b"X".to_vec(), b"from-a".to_vec()]
        );
        assert!(r.recv(&mut pipes).is_err());

        r.set_option(&mut pipes, ZMQ_ROUTER_HANDOVER, &1i32.to_ne_bytes());
        let (_, mut c) = link(&mut r, &mut pipes, b"X", 0);
        assert_eq!(
            pipes.finished,
            vec![first],
            "the old holder of the name is closed"
        );
        r.send(&mut pipes, &mut part(b"X", true)).unwrap();
        r.send(&mut pipes, &mut part(b"new", false)).unwrap();
        assert_eq!(c.read().unwrap().data(), b"new");
        assert!(a.read().is_none());
    }

    #[test]
    fn pipe_is_named_when_its_routing_id_arrives() {
        let mut r = Router::new();
        let mut pipes = Pipes::default();
        let (ours, mut theirs) = pipe_pair([0, 0]);
        let id = ours.id;
        pipes.insert(ours);
        r.attach(&mut pipes, id);
        assert!(!r.has_in(&mut pipes));
        theirs.send_routing_id(b"late");
        theirs.write(part(b"hi", false));
        r.read_activated(&mut pipes, id);
        assert_eq!(
            recv_all(&mut r, &mut pipes),
            vec![b"late".to_vec(), b"hi".to_vec()]
        );
    }

    #[test]
    fn preset_name_is_usable_at_once() {
        let mut r = Router::new();
        let mut pipes = Pipes::default();
        let (mut ours, mut theirs) = pipe_pair([0, 0]);
        ours.send_routing_id(b"");
        ours.route = Some(b"alias".to_vec());
        let id = ours.id;
        pipes.insert(ours);
        r.attach(&mut pipes, id);
        r.send(&mut pipes, &mut part(b"alias", true)).unwrap();
        r.send(&mut pipes, &mut part(b"hi", false)).unwrap();
        assert_eq!(theirs.read().unwrap().data(), b"hi");
        theirs.send_routing_id(b"real");
        theirs.write(part(b"back", false));
        assert_eq!(
            recv_all(&mut r, &mut pipes),
            vec![b"alias".to_vec(), b"back".to_vec()]
        );
    }

    #[test]
    fn options_are_non_negative_ints() {
        let mut r = Router::new();
        let mut pipes = Pipes::default();
        for opt in [
            ZMQ_ROUTER_MANDATORY,
            ZMQ_ROUTER_RAW,
            ZMQ_PROBE_ROUTER,
            ZMQ_ROUTER_HANDOVER,
        ] {
            assert_eq!(
                r.set_option(&mut pipes, opt, &2i32.to_ne_bytes()),
                Some(Ok(()))
            );
            assert_eq!(
                r.set_option(&mut pipes, opt, &(-1i32).to_ne_bytes()),
                Some(Err(Errno::EINVAL))
            );
            assert_eq!(
                r.set_option(&mut pipes, opt, &[1]),
                Some(Err(Errno::EINVAL))
            );
            assert!(r.get_option(opt, &mut [0; 4]).is_none());
        }
        assert!(r.set_option(&mut pipes, ZMQ_SUBSCRIBE, b"").is_none());
    }
}
