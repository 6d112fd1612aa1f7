//! RADIO and DISH (RFC 48): groups. A DISH joins groups (`zmq_join`, `zmq_leave`),
//! telling every RADIO it is connected to with JOIN and LEAVE commands; a RADIO sends
//! each message (its group set by `zmq_msg_set_group`) to the peers that joined its
//! group, and to every udp endpoint. Both are thread-safe; messages are single-part.
//!
//! JOIN and LEAVE travel through pipes as command messages whose body is the ZMTP
//! command (`\x04JOIN` or `\x05LEAVE`, then the group), which a tcp or ipc connection
//! sends as a command frame as it stands.

use std::collections::{HashMap, HashSet};

use super::client_server::single_part;
use super::Pattern;
use crate::abi::*;
use crate::error::{Errno, ZResult};
use crate::msg::{flags, Msg};
use crate::pattern::{Dist, FairQueue};
use crate::pipe::{PipeEnd, PipeId, Pipes};

/// The ZMTP names of the commands, with their length byte.
pub(crate) const JOIN: &[u8] = b"\x04JOIN";
pub(crate) const LEAVE: &[u8] = b"\x05LEAVE";

/// A JOIN (or LEAVE) command for `group`, as a pipe carries it.
pub(crate) fn group_command(join: bool, group: &[u8]) -> Msg {
    let name = if join { JOIN } else { LEAVE };
    let mut body = Vec::with_capacity(name.len() + group.len());
    body.extend_from_slice(name);
    body.extend_from_slice(group);
    let mut msg = Msg::from_slice(&body);
    msg.set_flags(flags::COMMAND);
    msg
}

/// What a command message asks: (join, group); None for anything else.
pub(crate) fn parse_group_command(msg: &Msg) -> Option<(bool, &[u8])> {
    if !msg.is_command() {
        return None;
    }
    let d = msg.data();
    if let Some(group) = d.strip_prefix(JOIN) {
        Some((true, group))
    } else {
        d.strip_prefix(LEAVE).map(|group| (false, group))
    }
}

/// The group a message belongs to (empty when none was set).
fn group_of(msg: &Msg) -> &[u8] {
    msg.group().map_or(&[][..], |g| g.to_bytes())
}

/// libzmq's limit on group names.
fn check_group(group: &[u8]) -> ZResult<()> {
    if group.len() > ZMQ_GROUP_MAX_LENGTH as usize {
        return Err(Errno::EINVAL);
    }
    Ok(())
}

pub struct Radio {
    dist: Dist,
    /// The pipes that joined each group.
    groups: HashMap<Vec<u8>, Vec<PipeId>>,
    /// udp pipes, which get every message.
    udp: Vec<PipeId>,
    /// Drop for peers at their high-water mark (false: ZMQ_XPUB_NODROP, EAGAIN).
    lossy: bool,
}

impl Default for Radio {
    fn default() -> Self {
        Radio {
            dist: Dist::default(),
            groups: HashMap::new(),
            udp: Vec::new(),
            lossy: true,
        }
    }
}

impl Pattern for Radio {
    fn attach(&mut self, pipes: &mut Pipes, id: PipeId) {
        if pipes.get(id).is_some_and(|p| p.subscribe_all) {
            self.udp.push(id);
        } else {
            // JOINs may be waiting in the pipe already.
            self.read_activated(pipes, id);
        }
    }

    fn read_activated(&mut self, pipes: &mut Pipes, id: PipeId) {
        let Some(pipe) = pipes.get_mut(id) else {
            return;
        };
        while let Some(msg) = pipe.read() {
            let Some((join, group)) = parse_group_command(&msg) else {
                continue;
            };
            let members = self.groups.entry(group.to_vec()).or_default();
            if join {
                members.push(id);
            } else if let Some(i) = members.iter().position(|&p| p == id) {
                members.swap_remove(i);
                if members.is_empty() {
                    self.groups.remove(group);
                }
            }
        }
        if pipe.is_finished() {
            pipes.mark_finished(id);
        }
    }

    fn write_activated(&mut self, _pipes: &mut Pipes, _id: PipeId) {}

    fn terminated(&mut self, _pipes: &mut Pipes, pipe: &PipeEnd) {
        let id = pipe.id;
        self.groups.retain(|_, members| {
            members.retain(|&p| p != id);
            !members.is_empty()
        });
        self.udp.retain(|&p| p != id);
        self.dist.terminated(id);
    }

    fn send(&mut self, pipes: &mut Pipes, msg: &mut Msg) -> ZResult<()> {
        single_part(msg)?;
        let mut targets: Vec<PipeId> = self
            .groups
            .get(group_of(msg))
            .map(|m| m.to_vec())
            .unwrap_or_default();
        targets.extend_from_slice(&self.udp);
        targets.sort_unstable();
        targets.dedup();
        self.dist.send(pipes, msg, |_| targets, !self.lossy)
    }

    fn has_out(&mut self, _pipes: &mut Pipes) -> bool {
        true
    }

    fn set_option(&mut self, _pipes: &mut Pipes, option: i32, value: &[u8]) -> Option<ZResult<()>> {
        if option != ZMQ_XPUB_NODROP {
            return None;
        }
        Some(match crate::options::int_value(value) {
            Ok(v) if v >= 0 => {
                self.lossy = v == 0;
                Ok(())
            }
            _ => Err(Errno::EINVAL),
        })
    }
}

#[derive(Default)]
pub struct Dish {
    fq: FairQueue,
    /// Every pipe, to tell of joins and leaves.
    pipes: Vec<PipeId>,
    groups: HashSet<Vec<u8>>,
    /// A matching message found by `has_in`, handed out by the next `recv`.
    prefetched: Option<Msg>,
}

impl Dish {
    /// Tells one pipe of every group joined (a new peer, or a reconnected one).
    fn send_groups(&self, pipes: &mut Pipes, id: PipeId) {
        if let Some(p) = pipes.get_mut(id) {
            for g in &self.groups {
                p.write(group_command(true, g));
            }
        }
    }

    /// Tells every pipe with room (a full one misses it, as in libzmq).
    fn tell_all(&self, pipes: &mut Pipes, join: bool, group: &[u8]) {
        for &id in &self.pipes {
            if let Some(p) = pipes.get_mut(id) {
                if p.check_write() {
                    p.write(group_command(join, group));
                }
            }
        }
    }

    /// The next message of a joined group; others are dropped.
    fn next_matching(&mut self, pipes: &mut Pipes) -> Option<Msg> {
        loop {
            let (msg, _) = self.fq.recv(pipes)?;
            if msg.more() {
                // No RADIO sends these: a misbehaving peer's message is dropped whole.
                while self.fq.recv(pipes)?.0.more() {}
                continue;
            }
            if self.groups.contains(group_of(&msg)) {
                return Some(msg);
            }
        }
    }
}

impl Pattern for Dish {
    fn attach(&mut self, pipes: &mut Pipes, id: PipeId) {
        self.fq.attach(pipes, id);
        self.pipes.push(id);
        self.send_groups(pipes, id);
    }
    fn read_activated(&mut self, pipes: &mut Pipes, id: PipeId) {
        self.fq.activated(pipes, id);
    }
    fn write_activated(&mut self, _pipes: &mut Pipes, _id: PipeId) {}
    fn terminated(&mut self, _pipes: &mut Pipes, pipe: &PipeEnd) {
        self.fq.terminated(pipe.id);
        self.pipes.retain(|&p| p != pipe.id);
    }
    fn hiccuped(&mut self, pipes: &mut Pipes, id: PipeId) {
        self.send_groups(pipes, id);
    }
    fn recv(&mut self, pipes: &mut Pipes) -> ZResult<Msg> {
        if let Some(m) = self.prefetched.take() {
            return Ok(m);
        }
        self.next_matching(pipes).ok_or(Errno::EAGAIN)
    }
    fn has_in(&mut self, pipes: &mut Pipes) -> bool {
        if self.prefetched.is_none() {
            self.prefetched = self.next_matching(pipes);
        }
        self.prefetched.is_some()
    }
    fn has_out(&mut self, _pipes: &mut Pipes) -> bool {
        // Joins and leaves may be made at any time.
        true
    }
    fn join(&mut self, pipes: &mut Pipes, group: &[u8]) -> ZResult<()> {
        check_group(group)?;
        if !self.groups.insert(group.to_vec()) {
            return Err(Errno::EINVAL);
        }
        self.tell_all(pipes, true, group);
        Ok(())
    }
    fn leave(&mut self, pipes: &mut Pipes, group: &[u8]) -> ZResult<()> {
        check_group(group)?;
        if !self.groups.remove(group) {
            return Err(Errno::EINVAL);
        }
        self.tell_all(pipes, false, group);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pipe::pipe_pair;
    use std::ffi::CString;

    fn linked(p: &mut dyn Pattern, pipes: &mut Pipes) -> PipeEnd {
        let (mut ours, mut theirs) = pipe_pair([0, 0]);
        ours.send_routing_id(b"");
        theirs.send_routing_id(b"");
        let id = ours.id;
        pipes.insert(ours);
        p.attach(pipes, id);
        theirs
    }

    fn in_group(group: &str, body: &[u8]) -> Msg {
        let mut m = Msg::from_slice(body);
        m.set_group(Some(CString::new(group).unwrap()));
        m
    }

    #[test]
    fn radio_sends_to_joined_groups_only() {
        let mut r = Radio::default();
        let mut pipes = Pipes::default();
        let mut a = linked(&mut r, &mut pipes);
        let mut b = linked(&mut r, &mut pipes);
        a.write(group_command(true, b"news"));
        b.write(group_command(true, b"sport"));
        let ids = pipes.ids();
        for id in ids {
            r.read_activated(&mut pipes, id);
        }
        r.send(&mut pipes, &mut in_group("news", b"n1")).unwrap();
        r.send(&mut pipes, &mut in_group("weather", b"w1")).unwrap();
        assert_eq!(a.read().unwrap().data(), b"n1");
        assert!(a.read().is_none());
        assert!(b.read().is_none());
        b.write(group_command(false, b"sport"));
        b.write(group_command(true, b"news"));
        for id in pipes.ids() {
            r.read_activated(&mut pipes, id);
        }
        r.send(&mut pipes, &mut in_group("news", b"n2")).unwrap();
        assert_eq!(a.read().unwrap().data(), b"n2");
        assert_eq!(b.read().unwrap().data(), b"n2");
        let mut multi = in_group("news", b"x");
        multi.set_more(true);
        assert_eq!(r.send(&mut pipes, &mut multi), Err(Errno::EINVAL));
    }

    #[test]
    fn dish_tells_joins_and_filters() {
        let mut d = Dish::default();
        let mut pipes = Pipes::default();
        d.join(&mut pipes, b"early").unwrap();
        let mut radio = linked(&mut d, &mut pipes);
        let first = radio.read().unwrap();
        assert_eq!(parse_group_command(&first), Some((true, &b"early"[..])));
        assert_eq!(d.join(&mut pipes, b"early"), Err(Errno::EINVAL));
        assert_eq!(d.leave(&mut pipes, b"never"), Err(Errno::EINVAL));
        assert_eq!(d.join(&mut pipes, &[b'g'; 256]), Err(Errno::EINVAL));
        d.join(&mut pipes, &[b'g'; 255]).unwrap();
        assert!(radio.read().is_some());
        radio.write(in_group("other", b"dropped"));
        radio.write(in_group("early", b"kept"));
        assert!(d.has_in(&mut pipes));
        assert_eq!(d.recv(&mut pipes).unwrap().data(), b"kept");
        assert!(!d.has_in(&mut pipes));
        d.leave(&mut pipes, b"early").unwrap();
        let left = radio.read().unwrap();
        assert_eq!(parse_group_command(&left), Some((false, &b"early"[..])));
    }
}
