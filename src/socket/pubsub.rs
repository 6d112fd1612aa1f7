//! PUB, XPUB, SUB and XSUB (RFC 29) with libzmq's observable rules.
//!
//! Subscriptions travel upstream in-band, as messages whose first byte is 1
//! (subscribe) or 0 (unsubscribe) followed by the topic. SUB and XSUB keep a counted
//! copy of what they subscribed to, replay it to every new publisher and filter (SUB)
//! what arrives; PUB and XPUB keep which pipe wants which prefix and fan each message
//! out to the pipes whose prefixes match its first frame. PUB is XPUB minus `recv`,
//! SUB is XSUB with local filtering and subscriptions made by socket option.

use std::collections::VecDeque;

use super::Pattern;
use crate::abi::*;
use crate::error::{Errno, ZResult};
use crate::msg::Msg;
use crate::options;
use crate::pattern::trie::{MTrie, RmResult, Trie};
use crate::pattern::{Dist, FairQueue};
use crate::pipe::PipeId;
use crate::pipe::{PipeEnd, Pipes};

/// Reads a flag option the way libzmq's XPUB/XSUB do: exactly an int, not negative,
/// non-zero meaning on.
fn nonneg_flag(value: &[u8]) -> ZResult<bool> {
    match options::int_value(value)? {
        v if v < 0 => Err(Errno::EINVAL),
        v => Ok(v != 0),
    }
}

/// `ZMQ_INVERT_MATCHING`: any int, non-zero meaning on.
fn relaxed_flag(value: &[u8]) -> ZResult<bool> {
    Ok(options::int_value(value)? != 0)
}

/// The options XPUB and XSUB answer alike: ZMQ_TOPICS_COUNT and ZMQ_INVERT_MATCHING.
fn topic_option(
    option: i32,
    out: &mut [u8],
    topics: usize,
    invert_matching: bool,
) -> Option<ZResult<usize>> {
    match option {
        ZMQ_TOPICS_COUNT => Some(put_int_at_least(out, topics as i32)),
        ZMQ_INVERT_MATCHING => Some(options::put_int(out, invert_matching as i32)),
        _ => None,
    }
}

/// Writes an int the way libzmq's pattern options are read back: any buffer of at
/// least `sizeof(int)` bytes, the rest zeroed.
fn put_int_at_least(out: &mut [u8], v: i32) -> ZResult<usize> {
    if out.len() < 4 {
        return Err(Errno::EINVAL);
    }
    out[..4].copy_from_slice(&v.to_ne_bytes());
    out[4..].fill(0);
    Ok(4)
}

/// A subscription message: `1` or `0`, then the topic.
fn subscription_msg(subscribe: bool, topic: &[u8]) -> Msg {
    let mut body = Vec::with_capacity(topic.len() + 1);
    body.push(subscribe as u8);
    body.extend_from_slice(topic);
    Msg::from_slice(&body)
}

/// Splits a subscription message into (subscribe?, topic).
fn parse_subscription(data: &[u8]) -> Option<(bool, &[u8])> {
    match data.split_first() {
        Some((&1, topic)) => Some((true, topic)),
        Some((&0, topic)) => Some((false, topic)),
        _ => None,
    }
}

/// PUB and XPUB.
pub struct XPub {
    /// PUB: never reports subscriptions nor passes on upstream messages.
    is_pub: bool,
    /// Attached pipes, in attach order.
    pipes: Vec<PipeId>,
    subscriptions: MTrie,
    /// XPUB_MANUAL: what each pipe asked for (the application decides what it gets).
    manual_subscriptions: MTrie,
    dist: Dist,
    verbose_subs: bool,
    verbose_unsubs: bool,
    /// Reading a multipart message from a subscriber.
    more_recv: bool,
    /// Later parts of the current inbound message count as (un)subscriptions.
    process_subscribe: bool,
    only_first_subscribe: bool,
    /// Drop for pipes at their high-water mark (false: XPUB_NODROP, EAGAIN instead).
    lossy: bool,
    manual: bool,
    /// XPUB_MANUAL_LAST_VALUE: the first message after a grant goes to that pipe only.
    send_last_pipe: bool,
    /// Manual mode: the pipe of the last subscription message received by the user.
    last_pipe: Option<PipeId>,
    /// Manual mode: pipes of (un)subscription messages not yet received by the user.
    pending_pipes: VecDeque<Option<PipeId>>,
    welcome: Option<Msg>,
    /// Messages waiting for `recv`: reported (un)subscriptions and upstream messages.
    pending: VecDeque<Msg>,
    invert_matching: bool,
}

impl XPub {
    pub fn new(socket_type: i32) -> XPub {
        XPub {
            is_pub: socket_type == ZMQ_PUB,
            pipes: Vec::new(),
            subscriptions: MTrie::default(),
            manual_subscriptions: MTrie::default(),
            dist: Dist::default(),
            verbose_subs: false,
            verbose_unsubs: false,
            more_recv: false,
            process_subscribe: false,
            only_first_subscribe: false,
            lossy: true,
            manual: false,
            send_last_pipe: false,
            last_pipe: None,
            pending_pipes: VecDeque::new(),
            welcome: None,
            pending: VecDeque::new(),
            invert_matching: false,
        }
    }

    /// Handles one message a subscriber sent upstream.
    fn process_upstream(&mut self, id: PipeId, mut msg: Msg) {
        let first_part = !self.more_recv;
        self.more_recv = msg.more();
        let subscription = if first_part || self.process_subscribe {
            parse_subscription(msg.data())
        } else {
            None
        };
        if first_part {
            self.process_subscribe = !self.only_first_subscribe || subscription.is_some();
        }
        let Some((subscribe, topic)) = subscription else {
            // Anything else is passed to the application as it came (never by PUB).
            if !self.is_pub {
                self.pending.push_back(msg);
            }
            return;
        };
        let mut notify = false;
        if self.manual {
            if subscribe {
                self.manual_subscriptions.add(topic, id);
            } else {
                self.manual_subscriptions.rm(topic, id);
            }
            self.pending_pipes.push_back(Some(id));
        } else if subscribe {
            notify = self.subscriptions.add(topic, id) || self.verbose_subs;
        } else {
            // Not subscribed at all counts as "nobody left" too, as in libzmq.
            let removed = self.subscriptions.rm(topic, id);
            notify = removed != RmResult::ValuesRemain || self.verbose_unsubs;
        }
        if self.manual || (!self.is_pub && notify) {
            // Reported as a single-part message, whatever its place upstream.
            msg.set_more(false);
            self.pending.push_back(msg);
        }
    }

    /// Queues the report that `topic` lost its subscriber(s).
    fn report_unsubscription(&mut self, topic: &[u8]) {
        if self.is_pub {
            return;
        }
        self.pending.push_back(subscription_msg(false, topic));
        if self.manual {
            self.last_pipe = None;
            self.pending_pipes.push_back(None);
        }
    }

    /// Receivers of a message whose first frame is `data`.
    fn targets(&mut self, data: &[u8]) -> Vec<PipeId> {
        let mut matched = Vec::new();
        match self.last_pipe {
            Some(last) if self.manual && self.send_last_pipe => {
                self.subscriptions.match_pipes(data, |p| {
                    if p == last {
                        matched.push(p)
                    }
                });
                self.last_pipe = None;
            }
            _ => self.subscriptions.match_pipes(data, |p| matched.push(p)),
        }
        if matched.len() > 1 {
            matched.sort_unstable();
            matched.dedup();
        }
        if self.invert_matching {
            self.pipes
                .iter()
                .copied()
                .filter(|p| !matched.contains(p))
                .collect()
        } else {
            matched
        }
    }
}

impl Pattern for XPub {
    fn attach(&mut self, pipes: &mut Pipes, id: PipeId) {
        self.pipes.push(id);
        if let Some(welcome) = &self.welcome {
            if let Some(p) = pipes.get_mut(id) {
                // Sent whatever the high-water mark, as libzmq does.
                p.write(welcome.share());
            }
        }
        self.read_activated(pipes, id);
    }

    fn read_activated(&mut self, pipes: &mut Pipes, id: PipeId) {
        loop {
            let Some(pipe) = pipes.get_mut(id) else {
                return;
            };
            match pipe.read() {
                Some(msg) => self.process_upstream(id, msg),
                None => {
                    if pipe.is_finished() {
                        pipes.mark_finished(id);
                    }
                    return;
                }
            }
        }
    }

    fn write_activated(&mut self, _pipes: &mut Pipes, _id: PipeId) {}

    fn terminated(&mut self, _pipes: &mut Pipes, pipe: &PipeEnd) {
        let id = pipe.id;
        self.pipes.retain(|&p| p != id);
        let mut gone = Vec::new();
        if self.manual {
            // What the pipe asked for is reported, every topic of it; the grants
            // are dropped silently.
            self.manual_subscriptions
                .rm_pipe(id, false, |t| gone.push(t.to_vec()));
            self.subscriptions.rm_pipe(id, false, |_| {});
            if self.last_pipe == Some(id) {
                self.last_pipe = None;
            }
        } else {
            let only_last = !self.verbose_unsubs;
            self.subscriptions
                .rm_pipe(id, only_last, |t| gone.push(t.to_vec()));
        }
        for topic in gone {
            self.report_unsubscription(&topic);
        }
        self.dist.terminated(id);
    }

    fn send(&mut self, pipes: &mut Pipes, msg: &mut Msg) -> ZResult<()> {
        // The receivers are chosen at the first part and kept for the rest.
        let targets = if self.dist.in_message() {
            Vec::new()
        } else {
            self.targets(msg.data())
        };
        self.dist.send(pipes, msg, move |_| targets, !self.lossy)
    }

    fn recv(&mut self, _pipes: &mut Pipes) -> ZResult<Msg> {
        if self.is_pub {
            return Err(Errno::ENOTSUP);
        }
        let msg = self.pending.pop_front().ok_or(Errno::EAGAIN)?;
        if self.manual {
            if let Some(pipe) = self.pending_pipes.pop_front() {
                // A pipe gone since cannot be granted anything.
                self.last_pipe = pipe.filter(|p| self.pipes.contains(p));
            }
        }
        Ok(msg)
    }

    fn has_in(&mut self, _pipes: &mut Pipes) -> bool {
        !self.is_pub && !self.pending.is_empty()
    }

    fn has_out(&mut self, _pipes: &mut Pipes) -> bool {
        true
    }

    fn set_option(&mut self, _pipes: &mut Pipes, option: i32, value: &[u8]) -> Option<ZResult<()>> {
        let r = match option {
            ZMQ_XPUB_VERBOSE => nonneg_flag(value).map(|v| {
                self.verbose_subs = v;
                self.verbose_unsubs = false;
            }),
            ZMQ_XPUB_VERBOSER => nonneg_flag(value).map(|v| {
                self.verbose_subs = v;
                self.verbose_unsubs = v;
            }),
            ZMQ_XPUB_MANUAL_LAST_VALUE => nonneg_flag(value).map(|v| {
                self.manual = v;
                self.send_last_pipe = v;
            }),
            ZMQ_XPUB_NODROP => nonneg_flag(value).map(|v| self.lossy = !v),
            ZMQ_XPUB_MANUAL => nonneg_flag(value).map(|v| self.manual = v),
            ZMQ_ONLY_FIRST_SUBSCRIBE => nonneg_flag(value).map(|v| self.only_first_subscribe = v),
            ZMQ_SUBSCRIBE if self.manual => {
                if let Some(last) = self.last_pipe {
                    self.subscriptions.add(value, last);
                }
                Ok(())
            }
            ZMQ_UNSUBSCRIBE if self.manual => {
                if let Some(last) = self.last_pipe {
                    self.subscriptions.rm(value, last);
                }
                Ok(())
            }
            ZMQ_XPUB_WELCOME_MSG => {
                self.welcome = (!value.is_empty()).then(|| Msg::from_slice(value));
                Ok(())
            }
            ZMQ_INVERT_MATCHING => relaxed_flag(value).map(|v| self.invert_matching = v),
            _ => return None,
        };
        Some(r)
    }

    fn get_option(&self, option: i32, out: &mut [u8]) -> Option<ZResult<usize>> {
        topic_option(
            option,
            out,
            self.subscriptions.num_prefixes(),
            self.invert_matching,
        )
    }
}

/// SUB and XSUB.
pub struct XSub {
    /// SUB: subscriptions by option, `send` refused, incoming messages filtered.
    is_sub: bool,
    fq: FairQueue,
    dist: Dist,
    /// Attached pipes, in attach order.
    pipes: Vec<PipeId>,
    subscriptions: Trie,
    /// XSUB_VERBOSE_UNSUBSCRIBE: pass on every unsubscription, not only the last.
    verbose_unsubs: bool,
    /// A matching message found by `has_in`, returned by the next `recv`.
    prefetched: Option<Msg>,
    more_send: bool,
    more_recv: bool,
    /// Later parts of the message being sent count as (un)subscriptions.
    process_subscribe: bool,
    only_first_subscribe: bool,
    invert_matching: bool,
}

impl XSub {
    pub fn new(socket_type: i32) -> XSub {
        XSub {
            is_sub: socket_type == ZMQ_SUB,
            fq: FairQueue::default(),
            dist: Dist::default(),
            pipes: Vec::new(),
            subscriptions: Trie::default(),
            verbose_unsubs: false,
            prefetched: None,
            more_send: false,
            more_recv: false,
            process_subscribe: false,
            only_first_subscribe: false,
            invert_matching: false,
        }
    }

    fn send_to_all(&mut self, pipes: &mut Pipes, msg: &mut Msg) -> ZResult<()> {
        let all = &self.pipes;
        self.dist.send(pipes, msg, |_| all.clone(), false)
    }

    /// XSUB's send: (un)subscriptions are tracked, then passed upstream like
    /// everything else (an unsubscription only when it removed the topic, unless
    /// verbose).
    fn xsend(&mut self, pipes: &mut Pipes, msg: &mut Msg) -> ZResult<()> {
        let first_part = !self.more_send;
        self.more_send = msg.more();
        if first_part {
            self.process_subscribe = !self.only_first_subscribe;
        } else if !self.process_subscribe {
            return self.send_to_all(pipes, msg);
        }
        match parse_subscription(msg.data()) {
            Some((true, topic)) => {
                // Duplicates go upstream too: XPUB counts them (XPUB_VERBOSE).
                self.subscriptions.add(topic);
                self.process_subscribe = true;
                self.send_to_all(pipes, msg)
            }
            Some((false, topic)) => {
                self.process_subscribe = true;
                if self.subscriptions.rm(topic) || self.verbose_unsubs {
                    self.send_to_all(pipes, msg)
                } else {
                    *msg = Msg::new();
                    Ok(())
                }
            }
            None => self.send_to_all(pipes, msg),
        }
    }

    fn matches(&self, msg: &Msg) -> bool {
        self.subscriptions.check(msg.data()) ^ self.invert_matching
    }

    /// Next message from the fair queue that passes the filter, or None.
    fn next_matching(&mut self, pipes: &mut Pipes) -> Option<Msg> {
        loop {
            let (msg, _) = self.fq.recv(pipes)?;
            if !self.is_sub || self.matches(&msg) {
                return Some(msg);
            }
            // Drop the rest of a message that does not match.
            let mut more = msg.more();
            while more {
                match self.fq.recv(pipes) {
                    Some((part, _)) => more = part.more(),
                    None => break,
                }
            }
        }
    }
}

impl XSub {
    /// Tells a (new or reconnected) publisher everything subscribed so far; what does
    /// not fit under its high-water mark is dropped, as a subscription made then would be.
    fn send_subscriptions(&mut self, pipes: &mut Pipes, id: PipeId) {
        if let Some(pipe) = pipes.get_mut(id) {
            self.subscriptions.apply(|topic| {
                if pipe.check_write() {
                    pipe.write(subscription_msg(true, topic));
                }
            });
        }
    }
}

impl Pattern for XSub {
    fn attach(&mut self, pipes: &mut Pipes, id: PipeId) {
        self.fq.attach(pipes, id);
        self.pipes.push(id);
        self.send_subscriptions(pipes, id);
    }

    fn hiccuped(&mut self, pipes: &mut Pipes, id: PipeId) {
        self.send_subscriptions(pipes, id);
    }

    fn read_activated(&mut self, pipes: &mut Pipes, id: PipeId) {
        self.fq.activated(pipes, id);
    }

    fn write_activated(&mut self, _pipes: &mut Pipes, _id: PipeId) {}

    fn terminated(&mut self, _pipes: &mut Pipes, pipe: &PipeEnd) {
        self.pipes.retain(|&p| p != pipe.id);
        self.fq.terminated(pipe.id);
        self.dist.terminated(pipe.id);
    }

    fn send(&mut self, pipes: &mut Pipes, msg: &mut Msg) -> ZResult<()> {
        if self.is_sub {
            return Err(Errno::ENOTSUP);
        }
        self.xsend(pipes, msg)
    }

    fn recv(&mut self, pipes: &mut Pipes) -> ZResult<Msg> {
        if let Some(msg) = self.prefetched.take() {
            self.more_recv = msg.more();
            return Ok(msg);
        }
        let msg = if self.more_recv {
            // Later parts of a message that matched.
            self.fq.recv(pipes).map(|(m, _)| m)
        } else {
            self.next_matching(pipes)
        }
        .ok_or(Errno::EAGAIN)?;
        self.more_recv = msg.more();
        Ok(msg)
    }

    fn has_in(&mut self, pipes: &mut Pipes) -> bool {
        if self.more_recv || self.prefetched.is_some() {
            return true;
        }
        self.prefetched = self.next_matching(pipes);
        self.prefetched.is_some()
    }

    fn has_out(&mut self, _pipes: &mut Pipes) -> bool {
        !self.is_sub
    }

    fn set_option(&mut self, pipes: &mut Pipes, option: i32, value: &[u8]) -> Option<ZResult<()>> {
        let r = match option {
            ZMQ_SUBSCRIBE | ZMQ_UNSUBSCRIBE if self.is_sub => {
                let mut msg = subscription_msg(option == ZMQ_SUBSCRIBE, value);
                self.xsend(pipes, &mut msg)
            }
            ZMQ_ONLY_FIRST_SUBSCRIBE if !self.is_sub => {
                nonneg_flag(value).map(|v| self.only_first_subscribe = v)
            }
            ZMQ_XSUB_VERBOSE_UNSUBSCRIBE if !self.is_sub => {
                // libzmq reads an int here whatever the length; take its first bytes.
                let bytes = value.get(..4).ok_or(Errno::EINVAL);
                bytes
                    .and_then(options::int_value)
                    .map(|v| self.verbose_unsubs = v != 0)
            }
            ZMQ_INVERT_MATCHING => relaxed_flag(value).map(|v| self.invert_matching = v),
            _ => return None,
        };
        Some(r)
    }

    fn get_option(&self, option: i32, out: &mut [u8]) -> Option<ZResult<usize>> {
        topic_option(
            option,
            out,
            self.subscriptions.num_prefixes(),
            self.invert_matching,
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pipe::pipe_pair;

    /// Adds a pipe to `pipes` and returns its id and the peer's end.
    fn link(pipes: &mut Pipes, hwm: u64) -> (PipeId, PipeEnd) {
        let (mut ours, mut theirs) = pipe_pair([hwm, hwm]);
        ours.send_routing_id(b"");
        theirs.send_routing_id(b"");
        let id = ours.id;
        pipes.insert(ours);
        (id, theirs)
    }

    fn send(p: &mut dyn Pattern, pipes: &mut Pipes, data: &[u8], more: bool) -> ZResult<()> {
        let mut msg = Msg::from_slice(data);
        msg.set_more(more);
        p.send(pipes, &mut msg)
    }

    fn drain(end: &mut PipeEnd) -> Vec<Vec<u8>> {
        let mut out = Vec::new();
        while let Some(m) = end.read() {
            out.push(m.data().to_vec());
        }
        out
    }

    fn recv_all(p: &mut dyn Pattern, pipes: &mut Pipes) -> Vec<Vec<u8>> {
        let mut out = Vec::new();
        while let Ok(m) = p.recv(pipes) {
            out.push(m.data().to_vec());
        }
        out
    }

    fn v(items: &[&[u8]]) -> Vec<Vec<u8>> {
        items.iter().map(|i| i.to_vec()).collect()
    }

    fn set_int(p: &mut dyn Pattern, pipes: &mut Pipes, option: i32, value: i32) {
        p.set_option(pipes, option, &value.to_ne_bytes())
            .expect("pattern option")
            .expect("valid value");
    }

    fn get_int(p: &dyn Pattern, option: i32) -> i32 {
        let mut out = [0u8; 4];
        p.get_option(option, &mut out).unwrap().unwrap();
        i32::from_ne_bytes(out)
    }

    /// The subscriber writes `msgs`, then the publisher notices.
    fn upstream(
        p: &mut dyn Pattern,
        pipes: &mut Pipes,
        id: PipeId,
        end: &mut PipeEnd,
        msgs: &[&[u8]],
    ) {
        for m in msgs {
            end.write(Msg::from_slice(m));
        }
        p.read_activated(pipes, id);
    }

    fn terminate(p: &mut dyn Pattern, pipes: &mut Pipes, id: PipeId) {
        let pipe = pipes.remove(id).unwrap();
        p.terminated(pipes, &pipe);
    }

    #[test]
    fn xpub_filters_by_prefix_and_reports_new_topics() {
        let mut pipes = Pipes::default();
        let mut x = XPub::new(ZMQ_XPUB);
        let (a, mut peer_a) = link(&mut pipes, 0);
        let (b, mut peer_b) = link(&mut pipes, 0);
        x.attach(&mut pipes, a);
        x.attach(&mut pipes, b);
        upstream(&mut x, &mut pipes, a, &mut peer_a, &[b"\x01A", b"\x01A"]);
        upstream(
            &mut x,
            &mut pipes,
            b,
            &mut peer_b,
            &[b"\x01A", b"\x01", b"user"],
        );
        assert!(x.has_in(&mut pipes));
        assert_eq!(
            recv_all(&mut x, &mut pipes),
            v(&[b"\x01A", b"\x01", b"user"])
        );
        assert_eq!(get_int(&x, ZMQ_TOPICS_COUNT), 2);
        for m in [&b"A1"[..], b"B1", b""] {
            send(&mut x, &mut pipes, m, false).unwrap();
        }
        assert_eq!(drain(&mut peer_a), v(&[b"A1"]));
        assert_eq!(drain(&mut peer_b), v(&[b"A1", b"B1", b""]));
        // The last subscriber of a topic leaving is reported; others not.
        upstream(&mut x, &mut pipes, a, &mut peer_a, &[b"\x00A"]);
        assert_eq!(recv_all(&mut x, &mut pipes), Vec::<Vec<u8>>::new());
        terminate(&mut x, &mut pipes, b);
        assert_eq!(recv_all(&mut x, &mut pipes), v(&[b"\x00", b"\x00A"]));
        assert_eq!(get_int(&x, ZMQ_TOPICS_COUNT), 0);
    }

    #[test]
    fn xpub_verbose_and_verboser() {
        let mut pipes = Pipes::default();
        let mut x = XPub::new(ZMQ_XPUB);
        set_int(&mut x, &mut pipes, ZMQ_XPUB_VERBOSE, 1);
        let (a, mut peer_a) = link(&mut pipes, 0);
        let (b, mut peer_b) = link(&mut pipes, 0);
        x.attach(&mut pipes, a);
        x.attach(&mut pipes, b);
        upstream(&mut x, &mut pipes, a, &mut peer_a, &[b"\x01A"]);
        upstream(&mut x, &mut pipes, b, &mut peer_b, &[b"\x01A", b"\x00A"]);
        assert_eq!(recv_all(&mut x, &mut pipes), v(&[b"\x01A", b"\x01A"]));
        set_int(&mut x, &mut pipes, ZMQ_XPUB_VERBOSER, 1);
        upstream(
            &mut x,
            &mut pipes,
            b,
            &mut peer_b,
            &[b"\x01A", b"\x01B", b"\x00A"],
        );
        assert_eq!(
            recv_all(&mut x, &mut pipes),
            v(&[b"\x01A", b"\x01B", b"\x00A"])
        );
        // Verboser reports every topic of a leaving pipe, shared or not.
        upstream(&mut x, &mut pipes, b, &mut peer_b, &[b"\x01A"]);
        recv_all(&mut x, &mut pipes);
        terminate(&mut x, &mut pipes, b);
        assert_eq!(recv_all(&mut x, &mut pipes), v(&[b"\x00A", b"\x00B"]));
        // Option values: not negative, exactly an int.
        assert_eq!(
            x.set_option(&mut pipes, ZMQ_XPUB_VERBOSE, &(-1i32).to_ne_bytes()),
            Some(Err(Errno::EINVAL))
        );
        assert_eq!(
            x.set_option(&mut pipes, ZMQ_XPUB_NODROP, &[1, 0]),
            Some(Err(Errno::EINVAL))
        );
        assert_eq!(x.get_option(ZMQ_XPUB_VERBOSE, &mut [0; 4]), None);
    }

    #[test]
    fn pub_drops_past_hwm_and_never_receives() {
        let mut pipes = Pipes::default();
        let mut p = XPub::new(ZMQ_PUB);
        let (a, mut peer) = link(&mut pipes, 2);
        p.attach(&mut pipes, a);
        upstream(&mut p, &mut pipes, a, &mut peer, &[b"\x01", b"ignored"]);
        assert!(!p.has_in(&mut pipes));
        assert_eq!(p.recv(&mut pipes).unwrap_err(), Errno::ENOTSUP);
        for i in 0..5u8 {
            send(&mut p, &mut pipes, &[i], true).unwrap();
            send(&mut p, &mut pipes, b"tail", false).unwrap();
        }
        assert!(p.has_out(&mut pipes));
        assert_eq!(drain(&mut peer), v(&[b"\x00", b"tail", b"\x01", b"tail"]));
    }

    #[test]
    fn xpub_nodrop_refuses_whole_messages() {
        let mut pipes = Pipes::default();
        let mut x = XPub::new(ZMQ_XPUB);
        set_int(&mut x, &mut pipes, ZMQ_XPUB_NODROP, 1);
        let (a, mut peer) = link(&mut pipes, 1);
        x.attach(&mut pipes, a);
        upstream(&mut x, &mut pipes, a, &mut peer, &[b"\x01"]);
        send(&mut x, &mut pipes, b"1", true).unwrap();
        send(&mut x, &mut pipes, b"2", false).unwrap();
        assert_eq!(send(&mut x, &mut pipes, b"3", true), Err(Errno::EAGAIN));
        assert_eq!(drain(&mut peer), v(&[b"1", b"2"]));
        send(&mut x, &mut pipes, b"3", false).unwrap();
        assert_eq!(drain(&mut peer), v(&[b"3"]));
    }

    #[test]
    fn xpub_invert_matching() {
        let mut pipes = Pipes::default();
        let mut x = XPub::new(ZMQ_XPUB);
        set_int(&mut x, &mut pipes, ZMQ_INVERT_MATCHING, 7);
        assert_eq!(get_int(&x, ZMQ_INVERT_MATCHING), 1);
        let (a, mut peer_a) = link(&mut pipes, 0);
        let (b, mut peer_b) = link(&mut pipes, 0);
        x.attach(&mut pipes, a);
        x.attach(&mut pipes, b);
        upstream(&mut x, &mut pipes, a, &mut peer_a, &[b"\x01A"]);
        send(&mut x, &mut pipes, b"A1", false).unwrap();
        send(&mut x, &mut pipes, b"B1", false).unwrap();
        assert_eq!(drain(&mut peer_a), v(&[b"B1"]));
        assert_eq!(drain(&mut peer_b), v(&[b"A1", b"B1"]));
    }

    #[test]
    fn xpub_manual_grants_to_last_pipe() {
        let mut pipes = Pipes::default();
        let mut x = XPub::new(ZMQ_XPUB);
        assert_eq!(
            x.set_option(&mut pipes, ZMQ_SUBSCRIBE, b"A"),
            None,
            "only manual mode takes subscriptions"
        );
        set_int(&mut x, &mut pipes, ZMQ_XPUB_MANUAL, 1);
        let (a, mut peer_a) = link(&mut pipes, 0);
        let (b, mut peer_b) = link(&mut pipes, 0);
        x.attach(&mut pipes, a);
        x.attach(&mut pipes, b);
        upstream(&mut x, &mut pipes, a, &mut peer_a, &[b"\x01A", b"\x01A"]);
        upstream(&mut x, &mut pipes, b, &mut peer_b, &[b"\x01B"]);
        send(&mut x, &mut pipes, b"A0", false).unwrap();
        assert_eq!(x.recv(&mut pipes).unwrap().data(), b"\x01A");
        x.set_option(&mut pipes, ZMQ_SUBSCRIBE, b"AB")
            .unwrap()
            .unwrap();
        assert_eq!(x.recv(&mut pipes).unwrap().data(), b"\x01A");
        assert_eq!(x.recv(&mut pipes).unwrap().data(), b"\x01B");
        x.set_option(&mut pipes, ZMQ_SUBSCRIBE, b"B")
            .unwrap()
            .unwrap();
        for m in [&b"A1"[..], b"AB1", b"B1"] {
            send(&mut x, &mut pipes, m, false).unwrap();
        }
        assert_eq!(drain(&mut peer_a), v(&[b"AB1"]));
        assert_eq!(drain(&mut peer_b), v(&[b"B1"]));
        // Leaving reports what the pipe asked for, not what it was granted.
        terminate(&mut x, &mut pipes, a);
        assert_eq!(recv_all(&mut x, &mut pipes), v(&[b"\x00A"]));
        x.set_option(&mut pipes, ZMQ_SUBSCRIBE, b"Z")
            .unwrap()
            .unwrap();
        assert_eq!(get_int(&x, ZMQ_TOPICS_COUNT), 1);
    }

    #[test]
    fn xpub_welcome_message_on_attach() {
        let mut pipes = Pipes::default();
        let mut x = XPub::new(ZMQ_XPUB);
        x.set_option(&mut pipes, ZMQ_XPUB_WELCOME_MSG, b"hi")
            .unwrap()
            .unwrap();
        let (a, mut peer_a) = link(&mut pipes, 1);
        x.attach(&mut pipes, a);
        assert_eq!(drain(&mut peer_a), v(&[b"hi"]));
        x.set_option(&mut pipes, ZMQ_XPUB_WELCOME_MSG, b"")
            .unwrap()
            .unwrap();
        let (b, mut peer_b) = link(&mut pipes, 1);
        x.attach(&mut pipes, b);
        assert!(drain(&mut peer_b).is_empty());
    }

    #[test]
    fn xpub_only_first_subscribe() {
        let mut pipes = Pipes::default();
        let mut x = XPub::new(ZMQ_XPUB);
        set_int(&mut x, &mut pipes, ZMQ_ONLY_FIRST_SUBSCRIBE, 1);
        let (a, mut peer) = link(&mut pipes, 0);
        x.attach(&mut pipes, a);
        let mut part = Msg::from_slice(b"user");
        part.set_more(true);
        peer.write(part);
        upstream(&mut x, &mut pipes, a, &mut peer, &[b"\x01A", b"\x01B"]);
        let got: Vec<(Vec<u8>, bool)> = std::iter::from_fn(|| x.recv(&mut pipes).ok())
            .map(|m| (m.data().to_vec(), m.more()))
            .collect();
        assert_eq!(
            got,
            vec![
                (b"user".to_vec(), true),
                (b"\x01A".to_vec(), false),
                (b"\x01B".to_vec(), false)
            ]
        );
        assert_eq!(get_int(&x, ZMQ_TOPICS_COUNT), 1);
    }

    #[test]
    fn sub_filters_locally_and_replays_subscriptions() {
        let mut pipes = Pipes::default();
        let mut s = XSub::new(ZMQ_SUB);
        s.set_option(&mut pipes, ZMQ_SUBSCRIBE, b"B")
            .unwrap()
            .unwrap();
        s.set_option(&mut pipes, ZMQ_SUBSCRIBE, b"A")
            .unwrap()
            .unwrap();
        s.set_option(&mut pipes, ZMQ_SUBSCRIBE, b"A")
            .unwrap()
            .unwrap();
        assert_eq!(get_int(&s, ZMQ_TOPICS_COUNT), 2);
        let (a, mut peer) = link(&mut pipes, 0);
        s.attach(&mut pipes, a);
        assert_eq!(drain(&mut peer), v(&[b"\x01A", b"\x01B"]));
        // Duplicates go upstream; an unsubscription only once it removes the topic.
        s.set_option(&mut pipes, ZMQ_SUBSCRIBE, b"B")
            .unwrap()
            .unwrap();
        s.set_option(&mut pipes, ZMQ_UNSUBSCRIBE, b"A")
            .unwrap()
            .unwrap();
        s.set_option(&mut pipes, ZMQ_UNSUBSCRIBE, b"A")
            .unwrap()
            .unwrap();
        s.set_option(&mut pipes, ZMQ_UNSUBSCRIBE, b"never")
            .unwrap()
            .unwrap();
        assert_eq!(drain(&mut peer), v(&[b"\x01B", b"\x00A"]));
        for (m, more) in [
            (&b"A1"[..], false),
            (b"B1", true),
            (b"x", false),
            (b"C", true),
            (b"B", false),
        ] {
            let mut msg = Msg::from_slice(m);
            msg.set_more(more);
            peer.write(msg);
        }
        s.read_activated(&mut pipes, a);
        assert!(s.has_in(&mut pipes));
        assert_eq!(recv_all(&mut s, &mut pipes), v(&[b"B1", b"x"]));
        assert!(!s.has_out(&mut pipes));
        assert_eq!(send(&mut s, &mut pipes, b"x", false), Err(Errno::ENOTSUP));
        assert_eq!(
            s.set_option(&mut pipes, ZMQ_ONLY_FIRST_SUBSCRIBE, &1i32.to_ne_bytes()),
            None
        );
    }

    #[test]
    fn sub_invert_matching() {
        let mut pipes = Pipes::default();
        let mut s = XSub::new(ZMQ_SUB);
        set_int(&mut s, &mut pipes, ZMQ_INVERT_MATCHING, 1);
        s.set_option(&mut pipes, ZMQ_SUBSCRIBE, b"A")
            .unwrap()
            .unwrap();
        let (a, mut peer) = link(&mut pipes, 0);
        s.attach(&mut pipes, a);
        for m in [&b"A1"[..], b"B1", b"AB"] {
            peer.write(Msg::from_slice(m));
        }
        assert_eq!(recv_all(&mut s, &mut pipes), v(&[b"B1"]));
    }

    #[test]
    fn xsub_sends_anything_and_receives_everything() {
        let mut pipes = Pipes::default();
        let mut s = XSub::new(ZMQ_XSUB);
        send(&mut s, &mut pipes, b"\x01T", false).unwrap();
        send(&mut s, &mut pipes, b"hello", true).unwrap();
        send(&mut s, &mut pipes, b"\x01M", false).unwrap();
        let (a, mut peer) = link(&mut pipes, 0);
        s.attach(&mut pipes, a);
        assert_eq!(drain(&mut peer), v(&[b"\x01M", b"\x01T"]));
        send(&mut s, &mut pipes, b"up", false).unwrap();
        send(&mut s, &mut pipes, b"\x00T", false).unwrap();
        send(&mut s, &mut pipes, b"\x00T", false).unwrap();
        assert_eq!(drain(&mut peer), v(&[b"up", b"\x00T"]));
        set_int(&mut s, &mut pipes, ZMQ_XSUB_VERBOSE_UNSUBSCRIBE, 1);
        send(&mut s, &mut pipes, b"\x00T", false).unwrap();
        assert_eq!(drain(&mut peer), v(&[b"\x00T"]));
        assert_eq!(get_int(&s, ZMQ_TOPICS_COUNT), 1);
        peer.write(Msg::from_slice(b"anything"));
        assert_eq!(recv_all(&mut s, &mut pipes), v(&[b"anything"]));
        assert!(s.has_out(&mut pipes));
        assert_eq!(s.set_option(&mut pipes, ZMQ_SUBSCRIBE, b"A"), None);
    }

    #[test]
    fn xsub_only_first_subscribe() {
        let mut pipes = Pipes::default();
        let mut s = XSub::new(ZMQ_XSUB);
        set_int(&mut s, &mut pipes, ZMQ_ONLY_FIRST_SUBSCRIBE, 1);
        send(&mut s, &mut pipes, b"user", true).unwrap();
        send(&mut s, &mut pipes, b"\x01A", false).unwrap();
        send(&mut s, &mut pipes, b"\x01B", true).unwrap();
        send(&mut s, &mut pipes, b"\x01C", false).unwrap();
        assert_eq!(get_int(&s, ZMQ_TOPICS_COUNT), 2, "B and C, not A");
    }
}
