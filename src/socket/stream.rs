//! STREAM: raw connections named by routing ids the socket makes up itself.
//!
//! Every received frame is delivered as two: the connection's routing id, then the
//! data. Sending takes the routing id first (with ZMQ_SNDMORE), then one data frame; an
//! empty data frame closes that connection. Over inproc the peers' pipes are the
//! connections (no connect/disconnect notifications, as in libzmq); over TCP the
//! session sends notifications when ZMQ_STREAM_NOTIFY is on.

use std::collections::HashMap;
use std::hash::{BuildHasher, Hasher};

use super::Pattern;
use crate::abi::*;
use crate::error::{Errno, ZResult};
use crate::msg::Msg;
use crate::options;
use crate::pattern::FairQueue;
use crate::pipe::PipeId;
use crate::pipe::{PipeEnd, Pipes};

pub struct Stream {
    fq: FairQueue,
    /// Routing id -> pipe; each pipe's `route` holds its id.
    routes: HashMap<Vec<u8>, PipeId>,
    /// Counter the generated routing ids (a zero byte, then 4 bytes) come from.
    next_id: u32,
    /// Between the routing id frame and the data frame of a send.
    more_out: bool,
    /// Where the data frame goes (None: dropped).
    current_out: Option<PipeId>,
    /// A message read by `has_in`, as its routing id frame and its data frame.
    prefetched_id: Option<Msg>,
    prefetched_msg: Option<Msg>,
    /// ZMQ_STREAM_NOTIFY.
    notify: bool,
    /// libzmq reports the last generated routing id as the socket's own ZMQ_ROUTING_ID
    /// (programs use that to address the peer they just connected to).
    last_generated: Option<Vec<u8>>,
}

impl Default for Stream {
    fn default() -> Self {
        Stream::new()
    }
}

impl Stream {
    pub fn new() -> Stream {
        // Ids start at a random point so that they differ between sockets and runs.
        let start = std::collections::hash_map::RandomState::new()
            .build_hasher()
            .finish();
        Stream {
            fq: FairQueue::default(),
            routes: HashMap::new(),
            next_id: start as u32,
            more_out: false,
            current_out: None,
            prefetched_id: None,
            prefetched_msg: None,
            notify: true,
            last_generated: None,
        }
    }

    /// Whether connects and disconnects are announced (ZMQ_STREAM_NOTIFY).
    #[allow(dead_code)] // read by the network sessions of raw connections
    pub fn notify(&self) -> bool {
        self.notify
    }

    fn generate_id(&mut self) -> Vec<u8> {
        loop {
            let mut id = vec![0u8];
            id.extend_from_slice(&self.next_id.to_be_bytes());
            self.next_id = self.next_id.wrapping_add(1);
            if !self.routes.contains_key(&id) {
                return id;
            }
        }
    }

    /// Reads the next frame and splits it into routing id and data frames.
    fn fetch(&mut self, pipes: &mut Pipes) -> Option<(Msg, Msg)> {
        let (mut msg, id) = self.fq.recv(pipes)?;
        // A peer speaking in multipart messages (possible only in-process) gets each
        // frame delivered on its own; libzmq would abort here.
        msg.set_more(false);
        let route = pipes
            .get(id)
            .and_then(|p| p.route.as_deref())
            .unwrap_or_default();
        let mut rid = Msg::from_slice(route);
        rid.set_more(true);
        // The routing id frame carries the data frame's properties, as in libzmq.
        rid.set_metadata(msg.metadata().cloned());
        Some((rid, msg))
    }

    /// Drops a connection the application closed.
    fn close_pipe(&mut self, pipes: &mut Pipes, id: PipeId) {
        if let Some(mut pipe) = pipes.remove(id) {
            pipe.drain();
            pipe.terminate();
            self.forget(&pipe);
        }
    }

    fn forget(&mut self, pipe: &PipeEnd) {
        if let Some(route) = &pipe.route {
            if self.routes.get(route) == Some(&pipe.id) {
                self.routes.remove(route);
            }
        }
        self.fq.terminated(pipe.id);
        if self.current_out == Some(pipe.id) {
            self.current_out = None;
        }
    }
}

impl Pattern for Stream {
    fn attach(&mut self, pipes: &mut Pipes, id: PipeId) {
        // A connect may name the connection (ZMQ_CONNECT_ROUTING_ID); otherwise the
        // socket makes up a name. The peer's own routing id plays no part.
        let preset = pipes
            .get_mut(id)
            .and_then(|p| p.route.take())
            .filter(|r| !self.routes.contains_key(r));
        let route = match preset {
            Some(r) => r,
            None => {
                let r = self.generate_id();
                self.last_generated = Some(r.clone());
                r
            }
        };
        if let Some(p) = pipes.get_mut(id) {
            p.route = Some(route.clone());
        }
        self.routes.insert(route, id);
        self.fq.attach(pipes, id);
    }

    fn read_activated(&mut self, pipes: &mut Pipes, id: PipeId) {
        self.fq.activated(pipes, id);
    }

    fn write_activated(&mut self, _pipes: &mut Pipes, _id: PipeId) {}

    fn terminated(&mut self, _pipes: &mut Pipes, pipe: &PipeEnd) {
        self.forget(pipe);
    }

    fn send(&mut self, pipes: &mut Pipes, msg: &mut Msg) -> ZResult<()> {
        if !self.more_out {
            // The routing id frame. Without SNDMORE it is ignored (and the next frame
            // still counts as data), as libzmq does.
            if msg.more() {
                let id = *self.routes.get(msg.data()).ok_or(Errno::EHOSTUNREACH)?;
                let pipe = pipes.get_mut(id).ok_or(Errno::EHOSTUNREACH)?;
                if !pipe.check_write() {
                    return Err(Errno::EAGAIN);
                }
                self.current_out = Some(id);
            }
            self.more_out = true;
            *msg = Msg::new();
            return Ok(());
        }
        // The data frame; its MORE flag is ignored.
        self.more_out = false;
        let mut data = std::mem::take(msg);
        data.set_more(false);
        if let Some(id) = self.current_out.take() {
            if data.is_empty() {
                self.close_pipe(pipes, id);
            } else if let Some(pipe) = pipes.get_mut(id) {
                pipe.write(data);
            }
        }
        Ok(())
    }

    fn recv(&mut self, pipes: &mut Pipes) -> ZResult<Msg> {
        if let Some(id) = self.prefetched_id.take() {
            return Ok(id);
        }
        if let Some(msg) = self.prefetched_msg.take() {
            return Ok(msg);
        }
        let (id, msg) = self.fetch(pipes).ok_or(Errno::EAGAIN)?;
        self.prefetched_msg = Some(msg);
        Ok(id)
    }

    fn has_in(&mut self, pipes: &mut Pipes) -> bool {
        if self.prefetched_id.is_some() || self.prefetched_msg.is_some() {
            return true;
        }
        match self.fetch(pipes) {
            Some((id, msg)) => {
                self.prefetched_id = Some(id);
                self.prefetched_msg = Some(msg);
                true
            }
            None => false,
        }
    }

    fn has_out(&mut self, _pipes: &mut Pipes) -> bool {
        // Whether a send succeeds depends on the connection it names.
        true
    }

    fn set_option(&mut self, _pipes: &mut Pipes, option: i32, value: &[u8]) -> Option<ZResult<()>> {
        match option {
            ZMQ_STREAM_NOTIFY => Some(options::bool_value(value).map(|v| self.notify = v)),
            ZMQ_ROUTING_ID => {
                // The generic options store it; from now on it is what reads back.
                if (1..=255).contains(&value.len()) {
                    self.last_generated = None;
                }
                None
            }
            _ => None,
        }
    }

    fn get_option(&self, option: i32, out: &mut [u8]) -> Option<ZResult<usize>> {
        match (option, &self.last_generated) {
            (ZMQ_ROUTING_ID, Some(id)) => Some(if out.len() < id.len() {
                Err(Errno::EINVAL)
            } else {
                out[..id.len()].copy_from_slice(id);
                Ok(id.len())
            }),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pipe::pipe_pair;

    fn link(pipes: &mut Pipes, hwm: u64, route: Option<&[u8]>) -> (PipeId, PipeEnd) {
        let (mut ours, mut theirs) = pipe_pair([hwm, hwm]);
        ours.send_routing_id(b"peer");
        theirs.send_routing_id(b"");
        ours.route = route.map(|r| r.to_vec());
        let id = ours.id;
        pipes.insert(ours);
        (id, theirs)
    }

    fn send(s: &mut Stream, pipes: &mut Pipes, data: &[u8], more: bool) -> ZResult<()> {
        let mut msg = Msg::from_slice(data);
        msg.set_more(more);
        s.send(pipes, &mut msg)
    }

    fn recv(s: &mut Stream, pipes: &mut Pipes) -> (Vec<u8>, bool) {
        let m = s.recv(pipes).unwrap();
        (m.data().to_vec(), m.more())
    }

    #[test]
    fn frames_come_with_generated_routing_ids() {
        let mut pipes = Pipes::default();
        let mut s = Stream::new();
        let (a, mut peer_a) = link(&mut pipes, 0, None);
        let (b, mut peer_b) = link(&mut pipes, 0, None);
        s.attach(&mut pipes, a);
        s.attach(&mut pipes, b);
        let mut part = Msg::from_slice(b"one");
        part.set_more(true);
        peer_a.write(part);
        peer_a.write(Msg::from_slice(b"two"));
        assert!(s.has_in(&mut pipes));
        let (id_a, more) = recv(&mut s, &mut pipes);
        assert!(more);
        assert_eq!(id_a.len(), 5);
        assert_eq!(id_a[0], 0);
        assert_eq!(recv(&mut s, &mut pipes), (b"one".to_vec(), false));
        assert_eq!(recv(&mut s, &mut pipes), (id_a.clone(), true));
        assert_eq!(recv(&mut s, &mut pipes), (b"two".to_vec(), false));
        assert_eq!(s.recv(&mut pipes).unwrap_err(), Errno::EAGAIN);

        // The last generated id reads back as ZMQ_ROUTING_ID.
        let mut out = [0u8; 8];
        let n = s.get_option(ZMQ_ROUTING_ID, &mut out).unwrap().unwrap();
        let id_b = out[..n].to_vec();
        assert_ne!(id_a, id_b);
        assert_eq!(
            u32::from_be_bytes(id_b[1..].try_into().unwrap()),
            u32::from_be_bytes(id_a[1..].try_into().unwrap()).wrapping_add(1)
        );

        send(&mut s, &mut pipes, &id_b, true).unwrap();
        send(&mut s, &mut pipes, b"reply", true).unwrap();
        let got = peer_b.read().unwrap();
        assert_eq!((got.data(), got.more()), (&b"reply"[..], false));
        assert_eq!(
            send(&mut s, &mut pipes, b"nobody", true),
            Err(Errno::EHOSTUNREACH)
        );
        // An id frame without MORE is ignored, and so is the frame after it.
        send(&mut s, &mut pipes, &id_b, false).unwrap();
        send(&mut s, &mut pipes, b"dropped", false).unwrap();
        assert!(peer_b.read().is_none());

        // An empty data frame closes the connection.
        send(&mut s, &mut pipes, &id_b, true).unwrap();
        send(&mut s, &mut pipes, b"", false).unwrap();
        assert!(pipes.get(b).is_none());
        assert_eq!(
            send(&mut s, &mut pipes, &id_b, true),
            Err(Errno::EHOSTUNREACH)
        );
    }

    #[test]
    fn connect_routing_id_names_the_connection() {
        let mut pipes = Pipes::default();
        let mut s = Stream::new();
        let (a, mut peer) = link(&mut pipes, 0, Some(b"named"));
        s.attach(&mut pipes, a);
        assert_eq!(s.get_option(ZMQ_ROUTING_ID, &mut [0; 8]), None);
        send(&mut s, &mut pipes, b"named", true).unwrap();
        send(&mut s, &mut pipes, b"data", false).unwrap();
        assert_eq!(peer.read().unwrap().data(), b"data");
        // The same name again cannot be taken: the socket makes one up.
        let (b, _peer_b) = link(&mut pipes, 0, Some(b"named"));
        s.attach(&mut pipes, b);
        assert_eq!(pipes.get(b).unwrap().route.as_ref().unwrap().len(), 5);
    }

    #[test]
    fn full_pipe_gives_eagain_and_options() {
        let mut pipes = Pipes::default();
        let mut s = Stream::new();
        let (a, _peer) = link(&mut pipes, 1, Some(b"x"));
        s.attach(&mut pipes, a);
        send(&mut s, &mut pipes, b"x", true).unwrap();
        send(&mut s, &mut pipes, b"1", false).unwrap();
        assert_eq!(send(&mut s, &mut pipes, b"x", true), Err(Errno::EAGAIN));
        assert!(s.has_out(&mut pipes));

        assert!(s.notify());
        assert_eq!(
            s.set_option(&mut pipes, ZMQ_STREAM_NOTIFY, &2i32.to_ne_bytes()),
            Some(Err(Errno::EINVAL))
        );
        s.set_option(&mut pipes, ZMQ_STREAM_NOTIFY, &0i32.to_ne_bytes())
            .unwrap()
            .unwrap();
        assert!(!s.notify());
        assert_eq!(s.get_option(ZMQ_STREAM_NOTIFY, &mut [0; 4]), None);
    }
}
