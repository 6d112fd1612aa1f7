//! The I/O rooms driven through a real event loop on loopback sockets, with a fake
//! clock: reconnect backoff, linger, handshake timeouts and the session's close paths
//! happen in memory, at the instants the clock is moved to, without waiting.

use std::sync::atomic::AtomicBool;
use std::sync::Arc;
use std::time::Duration;

use mio::Events;
use parking_lot::Mutex;

use super::clock::{Clock, FakeClock};
use super::event_loop::{EventLoop, WAKER};
use super::*;
use crate::abi::*;
use crate::monitor::{Endpoints, MonitorSink, MonitorSlot};
use crate::msg::Msg;
use crate::pipe::{PeerInfo, PipeEnd};

type Log = Arc<Mutex<Vec<(i32, u64)>>>;

/// Records monitor events.
struct Recorder(Log);

impl MonitorSink for Recorder {
    fn events(&self) -> u64 {
        u64::MAX
    }
    fn publish(&self, event: u64, values: &[u64], _at: &Endpoints) {
        self.0.lock().push((event as i32, values[0]));
    }
    fn stop(self: Box<Self>, _send_stopped: bool) {}
}

/// Keeps the pipes sessions hand to "the socket".
#[derive(Default)]
struct Socket {
    pipes: Mutex<Vec<PipeEnd>>,
}

impl PipeOwner for Socket {
    fn pipe_event(&self, _event: PipeEvent) {}
}

impl PipeAcceptor for Socket {
    fn accept_pipe(&self, pipe: PipeEnd, _info: PeerInfo) {
        self.pipes.lock().push(pipe);
    }
}

struct Harness {
    event_loop: EventLoop<FakeClock>,
    clock: FakeClock,
    mailbox: IoMailbox,
    events: Events,
    log: Log,
    socket: Arc<Socket>,
}

impl Harness {
    fn new() -> Harness {
        let poll = mio::Poll::new().unwrap();
        let waker = mio::Waker::new(poll.registry(), WAKER).unwrap();
        let (mailbox, wake, commands) = IoMailbox::new(waker);
        let clock = FakeClock::new();
        let event_loop = EventLoop::new(poll, clock.clone(), commands, wake, mailbox.clone());
        Harness {
            event_loop,
            clock,
            mailbox,
            events: Events::with_capacity(64),
            log: Log::default(),
            socket: Arc::default(),
        }
    }

    fn link(&self, options: Options) -> SocketLink {
        let monitor = MonitorSlot::default();
        monitor.replace(Some(Box::new(Recorder(self.log.clone()))));
        SocketLink {
            socket_id: 1,
            acceptor: self.socket.clone(),
            options: Arc::new(options),
            monitor,
            disconnected: Arc::new(AtomicBool::new(false)),
            zap: None,
        }
    }

    fn send(&self, control: Control) {
        self.mailbox.send(IoCommand::Control(Box::new(control)));
    }

    /// Runs turns (waiting briefly for the kernel) until `done` or a bound.
    fn run_until(&mut self, mut done: impl FnMut(&mut Harness) -> bool) -> bool {
        for _ in 0..2000 {
            if done(self) {
                return true;
            }
            self.event_loop
                .turn(&mut self.events, Some(Duration::from_millis(1)))
                .unwrap();
        }
        done(self)
    }

    /// Moves the fake clock and lets the loop act on it.
    fn advance(&mut self, by: Duration) {
        self.clock.advance(by);
        for _ in 0..5 {
            self.event_loop
                .turn(&mut self.events, Some(Duration::from_millis(1)))
                .unwrap();
        }
    }

    fn count(&self, event: i32) -> usize {
        self.log.lock().iter().filter(|(e, _)| *e == event).count()
    }
}

fn options(socket_type: i32) -> Options {
    Options::for_context(socket_type, false, true)
}

/// A local tcp port nothing listens on.
fn refused_port() -> u16 {
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    l.local_addr().unwrap().port()
}

fn tcp_target(port: u16) -> Target {
    Target {
        transport: Transport::Tcp,
        address: format!("127.0.0.1:{port}"),
        ws: None,
    }
}

#[test]
fn reconnects_follow_the_backoff_on_the_loops_clock() {
    let mut h = Harness::new();
    let mut o = options(ZMQ_DEALER);
    o.reconnect_ivl = 100;
    o.reconnect_ivl_max = 400;
    let (_app, pipe) = session_pipe(&o);
    h.send(Control::Connect {
        endpoint_id: 1,
        endpoint: "tcp://refused".into(),
        target: tcp_target(refused_port()),
        pipe: Some(pipe),
        link: h.link(o),
    });
    assert!(h.run_until(|h| h.count(ZMQ_EVENT_CONNECT_RETRIED) == 1));
    // No attempt happens before the clock gets there, however long we wait.
    std::thread::sleep(Duration::from_millis(300));
    h.advance(Duration::from_millis(10));
    assert_eq!(h.count(ZMQ_EVENT_CONNECT_RETRIED), 1);
    // Each retry waits the interval (plus jitter below 100 ms), doubling up to 400.
    for (step, expect) in [(200, 2), (300, 3), (500, 4), (500, 5)] {
        h.advance(Duration::from_millis(step));
        assert!(h.run_until(|h| h.count(ZMQ_EVENT_CONNECT_RETRIED) == expect));
    }
    let waits: Vec<u64> = h
        .log
        .lock()
        .iter()
        .filter(|(e, _)| *e == ZMQ_EVENT_CONNECT_RETRIED)
        .map(|(_, v)| *v)
        .collect();
    for (wait, base) in waits.iter().zip([100u64, 200, 400, 400, 400]) {
        assert!(*wait >= base && *wait < base + 100, "{waits:?}");
    }
    // Each failed attempt reports its socket closed, as libzmq does.
    assert_eq!(h.count(ZMQ_EVENT_CLOSED), 5);
}

#[test]
fn a_connecter_whose_socket_closed_stops_when_nothing_is_left() {
    let mut h = Harness::new();
    let o = options(ZMQ_DEALER);
    let (app, pipe) = session_pipe(&o);
    h.send(Control::Connect {
        endpoint_id: 1,
        endpoint: "tcp://refused".into(),
        target: tcp_target(refused_port()),
        pipe: Some(pipe),
        link: h.link(o),
    });
    assert!(h.run_until(|h| h.count(ZMQ_EVENT_CONNECT_RETRIED) == 1));
    h.send(Control::SocketClosed {
        socket_id: 1,
        linger: -1,
    });
    drop(app);
    h.send(Control::Stop);
    assert!(h.run_until(|h| h.event_loop.finished()));
    // No more attempts after the end, even much later.
    h.advance(Duration::from_secs(60));
    assert_eq!(h.count(ZMQ_EVENT_CONNECT_RETRIED), 1);
}

#[test]
fn linger_bounds_how_long_an_undeliverable_message_waits() {
    let mut h = Harness::new();
    let mut o = options(ZMQ_DEALER);
    o.reconnect_ivl = 100;
    let (mut app, pipe) = session_pipe(&o);
    app.send_routing_id(b"");
    app.write(Msg::from_slice(b"undeliverable"));
    h.send(Control::Connect {
        endpoint_id: 1,
        endpoint: "tcp://refused".into(),
        target: tcp_target(refused_port()),
        pipe: Some(pipe),
        link: h.link(o),
    });
    assert!(h.run_until(|h| h.count(ZMQ_EVENT_CONNECT_RETRIED) >= 1));
    h.send(Control::SocketClosed {
        socket_id: 1,
        linger: 1000,
    });
    drop(app);
    h.send(Control::Stop);
    // The linger counts from when the I/O thread hears of the close.
    h.advance(Duration::ZERO);
    h.advance(Duration::from_millis(900));
    assert!(!h.event_loop.finished(), "lingering for the message");
    h.advance(Duration::from_millis(200));
    assert!(h.run_until(|h| h.event_loop.finished()));
}

#[test]
fn infinite_linger_delivers_to_a_peer_that_comes_later() {
    let mut h = Harness::new();
    let mut o = options(ZMQ_PUSH);
    o.reconnect_ivl = 100;
    let port = refused_port();
    let (mut app, pipe) = session_pipe(&o);
    app.send_routing_id(b"");
    app.write(Msg::from_slice(b"late"));
    h.send(Control::Connect {
        endpoint_id: 1,
        endpoint: format!("tcp://127.0.0.1:{port}"),
        target: tcp_target(port),
        pipe: Some(pipe),
        link: h.link(o),
    });
    assert!(h.run_until(|h| h.count(ZMQ_EVENT_CONNECT_RETRIED) >= 1));
    h.send(Control::SocketClosed {
        socket_id: 1,
        linger: -1,
    });
    drop(app);
    h.send(Control::Stop);
    h.advance(Duration::from_secs(3600));
    assert!(!h.event_loop.finished(), "still waiting to deliver");
    // The peer comes: a raw listener that answers the handshake as a PULL socket.
    let listener = std::net::TcpListener::bind(("127.0.0.1", port)).unwrap();
    listener.set_nonblocking(true).unwrap();
    h.advance(Duration::from_millis(300));
    let mut peer = None;
    assert!(h.run_until(|_| {
        if peer.is_none() {
            peer = listener.accept().ok().map(|(s, _)| s);
        }
        peer.is_some()
    }));
    let mut peer = peer.unwrap();
    peer.set_nonblocking(false).unwrap();
    use std::io::{Read, Write};
    let mut greeting = crate::zmtp::tests::greeting(1, b"NULL");
    greeting.extend(crate::zmtp::tests::ready(&[("Socket-Type", b"PULL")]));
    peer.write_all(&greeting).unwrap();
    let mut got = Vec::new();
    let mut buf = [0u8; 256];
    peer.set_read_timeout(Some(Duration::from_millis(5)))
        .unwrap();
    assert!(h.run_until(|_| {
        if let Ok(n) = peer.read(&mut buf) {
            got.extend_from_slice(&buf[..n]);
        }
        got.windows(6).any(|w| w == b"\x00\x04late")
    }));
    // Delivered: the session and the loop end.
    assert!(h.run_until(|h| h.event_loop.finished()));
}

#[test]
fn a_silent_peer_is_closed_at_the_handshake_deadline() {
    let mut h = Harness::new();
    let mut o = options(ZMQ_ROUTER);
    o.handshake_ivl = 2000;
    let listening = listen(Transport::Tcp, "127.0.0.1:*", &o).unwrap();
    let endpoint = listening.endpoint.clone();
    h.send(Control::Listen {
        endpoint_id: 1,
        listening,
        link: h.link(o),
    });
    let addr = endpoint.strip_prefix("tcp://").unwrap();
    // One peer sends one byte of a greeting, another a whole greeting, then nothing.
    let mut one = std::net::TcpStream::connect(addr).unwrap();
    let mut two = std::net::TcpStream::connect(addr).unwrap();
    use std::io::Write;
    one.write_all(&[0xff]).unwrap();
    two.write_all(&crate::zmtp::tests::greeting(1, b"NULL"))
        .unwrap();
    assert!(h.run_until(|h| h.count(ZMQ_EVENT_ACCEPTED) == 2));
    h.advance(Duration::from_millis(1900));
    assert_eq!(h.count(ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL), 0);
    h.advance(Duration::from_millis(200));
    assert!(h.run_until(|h| h.count(ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL) == 2));
    assert_eq!(h.count(ZMQ_EVENT_DISCONNECTED), 2);
}

#[test]
fn closing_while_connecting_reports_the_attempt_closed() {
    let mut h = Harness::new();
    let o = options(ZMQ_DEALER);
    // A listener whose backlog is never accepted still completes connects; use an
    // address that does not answer at all instead: a connect to a port of a
    // non-routable address stays in progress.
    let target = Target {
        transport: Transport::Tcp,
        address: "10.255.255.1:9".into(),
        ws: None,
    };
    h.send(Control::Connect {
        endpoint_id: 1,
        endpoint: "tcp://10.255.255.1:9".into(),
        target,
        pipe: None,
        link: h.link(o),
    });
    h.run_until(|h| {
        h.count(ZMQ_EVENT_CONNECT_DELAYED) == 1 || h.count(ZMQ_EVENT_CONNECT_RETRIED) == 1
    });
    let delayed = h.count(ZMQ_EVENT_CONNECT_DELAYED) == 1;
    h.send(Control::SocketClosed {
        socket_id: 1,
        linger: -1,
    });
    h.send(Control::Stop);
    assert!(h.run_until(|h| h.event_loop.finished()));
    if delayed {
        // The attempt in progress was abandoned and its socket reported closed.
        assert!(h.count(ZMQ_EVENT_CLOSED) >= 1);
    }
}

#[test]
fn the_clock_seam_is_the_only_time_source() {
    let c = FakeClock::new();
    let t = c.now();
    std::thread::sleep(Duration::from_millis(2));
    assert_eq!(c.now(), t);
    c.advance(Duration::from_secs(1));
    assert_eq!(c.now(), t + Duration::from_secs(1));
}
