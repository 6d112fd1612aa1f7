//! When a connect session tries to connect: the first attempt at once, retries after
//! failures and disconnects with libzmq's backoff (RECONNECT_IVL doubling up to
//! RECONNECT_IVL_MAX, plus a random jitter below RECONNECT_IVL), CONNECT_TIMEOUT on
//! attempts in progress, and the RECONNECT_STOP conditions. A pure state machine:
//! it is told what happened and what time it is, and answers what to do next; the
//! session does the I/O and reports the monitor events.

use std::time::{Duration, Instant};

use crate::abi::*;
use crate::options::Options;

/// The reconnect options of a socket, as they were at connect time.
#[derive(Clone, Debug)]
pub(crate) struct Policy {
    /// RECONNECT_IVL; None when reconnecting is off (0 or -1, as libzmq 4.3.5).
    ivl: Option<Duration>,
    /// RECONNECT_IVL_MAX when it raises the interval (else no backoff).
    ivl_max: Option<Duration>,
    /// CONNECT_TIMEOUT.
    connect_timeout: Option<Duration>,
    stop_refused: bool,
    stop_handshake_failed: bool,
    stop_after_disconnect: bool,
}

impl Policy {
    pub(crate) fn from_options(o: &Options) -> Policy {
        let ms = |v: i32| (v > 0).then(|| Duration::from_millis(v as u64));
        let ivl = ms(o.reconnect_ivl);
        Policy {
            ivl,
            ivl_max: ms(o.reconnect_ivl_max).filter(|m| ivl.is_some_and(|i| *m > i)),
            connect_timeout: ms(o.connect_timeout),
            stop_refused: o.reconnect_stop & ZMQ_RECONNECT_STOP_CONN_REFUSED != 0,
            stop_handshake_failed: o.reconnect_stop & ZMQ_RECONNECT_STOP_HANDSHAKE_FAILED != 0,
            stop_after_disconnect: o.reconnect_stop & ZMQ_RECONNECT_STOP_AFTER_DISCONNECT != 0,
        }
    }
}

/// Why a connection of the session ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Ended {
    /// The transport failed or timed out (heartbeat, or handshake when `handshaking`).
    Lost { handshaking: bool },
    /// The peer broke the protocol: libzmq does not reconnect then.
    Protocol,
}

/// What the session does next.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Next {
    /// Start a connect attempt now.
    Connect,
    /// Wait this long (reported as ZMQ_EVENT_CONNECT_RETRIED), then connect.
    Retry(Duration),
    /// No more attempts. `refused`: stopped by RECONNECT_STOP_CONN_REFUSED (libzmq then
    /// removes the endpoint from the socket).
    Stop { refused: bool },
    /// Nothing to do yet.
    Wait,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum State {
    /// The next attempt starts at this instant.
    Waiting(Instant),
    /// An attempt is in progress; it is abandoned at the deadline (CONNECT_TIMEOUT).
    Connecting(Option<Instant>),
    Connected,
    Stopped,
}

/// The connect schedule of one connect session.
pub(crate) struct Connecter {
    policy: Policy,
    state: State,
    /// The interval the next backoff step starts from.
    current: Duration,
    rng: u64,
}

impl Connecter {
    /// A connecter whose first attempt is due at once.
    pub(crate) fn new(policy: Policy, now: Instant) -> Connecter {
        let seed = now.elapsed().as_nanos() as u64
            ^ (std::process::id() as u64).rotate_left(32)
            ^ (&policy as *const Policy as u64);
        Connecter {
            current: policy.ivl.unwrap_or_default(),
            policy,
            state: State::Waiting(now),
            rng: seed | 1,
        }
    }

    /// When `poll` has something to do next.
    pub(crate) fn deadline(&self) -> Option<Instant> {
        match self.state {
            State::Waiting(at) => Some(at),
            State::Connecting(deadline) => deadline,
            State::Connected | State::Stopped => None,
        }
    }

    pub(crate) fn is_stopped(&self) -> bool {
        self.state == State::Stopped
    }

    /// What is due at `now`: `Connect` when an attempt should start (the session then
    /// calls `attempt_started`), a retry when the attempt in progress timed out.
    pub(crate) fn poll(&mut self, now: Instant) -> Next {
        match self.state {
            State::Waiting(at) if now >= at => Next::Connect,
            State::Connecting(Some(deadline)) if now >= deadline => self.retry(now),
            _ => Next::Wait,
        }
    }

    /// A non-blocking connect was started (or completed at once).
    pub(crate) fn attempt_started(&mut self, now: Instant) {
        self.state = State::Connecting(self.policy.connect_timeout.map(|t| now + t));
    }

    /// The attempt failed with `errno`.
    pub(crate) fn attempt_failed(&mut self, now: Instant, errno: i32) -> Next {
        if errno == libc::ECONNREFUSED && self.policy.stop_refused {
            self.state = State::Stopped;
            return Next::Stop { refused: true };
        }
        self.retry(now)
    }

    /// The connection is up: the next series of attempts starts from RECONNECT_IVL.
    pub(crate) fn connected(&mut self) {
        self.state = State::Connected;
        self.current = self.policy.ivl.unwrap_or_default();
    }

    /// The connection ended. `disconnected`: the application called zmq_disconnect on
    /// the socket at some point (RECONNECT_STOP_AFTER_DISCONNECT).
    pub(crate) fn ended(&mut self, now: Instant, why: Ended, disconnected: bool) -> Next {
        let stop = match why {
            Ended::Protocol => true,
            Ended::Lost { handshaking } => {
                (handshaking && self.policy.stop_handshake_failed)
                    || (disconnected && self.policy.stop_after_disconnect)
            }
        };
        if stop {
            self.state = State::Stopped;
            return Next::Stop { refused: false };
        }
        self.retry(now)
    }

    /// Schedules the next attempt after a failure, or stops when reconnecting is off.
    fn retry(&mut self, now: Instant) -> Next {
        let Some(ivl) = self.policy.ivl else {
            self.state = State::Stopped;
            return Next::Stop { refused: false };
        };
        // As libzmq: the current interval plus a jitter below RECONNECT_IVL, so that
        // many peers that lost the same server do not come back in step.
        let jitter = Duration::from_millis(self.random() % ivl.as_millis().max(1) as u64);
        let wait = self.current.saturating_add(jitter);
        if let Some(max) = self.policy.ivl_max {
            self.current = self.current.saturating_mul(2).min(max);
        }
        self.state = State::Waiting(now + wait);
        Next::Retry(wait)
    }

    fn random(&mut self) -> u64 {
        // xorshift64: jitter needs no more.
        let mut x = self.rng;
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        self.rng = x;
        x
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn policy(ivl: i32, max: i32, stop: i32) -> Policy {
        let mut o = Options::for_context(ZMQ_DEALER, false, true);
        o.reconnect_ivl = ivl;
        o.reconnect_ivl_max = max;
        o.reconnect_stop = stop;
        Policy::from_options(&o)
    }

    fn ms(v: u64) -> Duration {
        Duration::from_millis(v)
    }

    #[test]
    fn first_attempt_is_immediate_and_retries_back_off_with_jitter() {
        let t0 = Instant::now();
        let mut c = Connecter::new(policy(100, 1000, 0), t0);
        assert_eq!(c.poll(t0), Next::Connect);
        c.attempt_started(t0);
        assert_eq!(c.deadline(), None, "no CONNECT_TIMEOUT");
        let mut base = 100;
        let mut now = t0;
        for _ in 0..6 {
            let Next::Retry(wait) = c.attempt_failed(now, libc::ECONNREFUSED) else {
                panic!("expected a retry");
            };
            assert!(
                wait >= ms(base) && wait < ms(base + 100),
                "{wait:?} for base {base}"
            );
            assert_eq!(c.poll(now + wait - ms(1)), Next::Wait);
            now += wait;
            assert_eq!(c.poll(now), Next::Connect);
            c.attempt_started(now);
            base = (base * 2).min(1000);
        }
        // A successful connection starts the next series from RECONNECT_IVL again.
        c.connected();
        let Next::Retry(wait) = c.ended(now, Ended::Lost { handshaking: false }, false) else {
            panic!("expected a retry");
        };
        assert!(wait < ms(200));
    }

    #[test]
    fn without_a_max_the_interval_stays() {
        let t0 = Instant::now();
        let mut c = Connecter::new(policy(50, 0, 0), t0);
        for _ in 0..5 {
            c.attempt_started(t0);
            let Next::Retry(wait) = c.attempt_failed(t0, libc::ECONNREFUSED) else {
                panic!();
            };
            assert!(wait >= ms(50) && wait < ms(100));
        }
    }

    #[test]
    fn connect_timeout_abandons_the_attempt() {
        let t0 = Instant::now();
        let mut o = Options::for_context(ZMQ_DEALER, false, true);
        o.connect_timeout = 250;
        let mut c = Connecter::new(Policy::from_options(&o), t0);
        assert_eq!(c.poll(t0), Next::Connect);
        c.attempt_started(t0);
        assert_eq!(c.deadline(), Some(t0 + ms(250)));
        assert_eq!(c.poll(t0 + ms(249)), Next::Wait);
        assert!(matches!(c.poll(t0 + ms(250)), Next::Retry(_)));
        assert_eq!(c.poll(t0 + ms(250)), Next::Wait);
    }

    #[test]
    fn stop_conditions() {
        let t0 = Instant::now();
        let mut c = Connecter::new(policy(100, 0, ZMQ_RECONNECT_STOP_CONN_REFUSED), t0);
        c.attempt_started(t0);
        assert!(matches!(
            c.attempt_failed(t0, libc::ETIMEDOUT),
            Next::Retry(_)
        ));
        c.attempt_started(t0);
        assert_eq!(
            c.attempt_failed(t0, libc::ECONNREFUSED),
            Next::Stop { refused: true }
        );
        assert!(c.is_stopped());
        assert_eq!(c.deadline(), None);

        let mut c = Connecter::new(policy(100, 0, ZMQ_RECONNECT_STOP_HANDSHAKE_FAILED), t0);
        c.connected();
        assert!(matches!(
            c.ended(t0, Ended::Lost { handshaking: false }, false),
            Next::Retry(_)
        ));
        c.connected();
        assert_eq!(
            c.ended(t0, Ended::Lost { handshaking: true }, false),
            Next::Stop { refused: false }
        );

        let mut c = Connecter::new(policy(100, 0, ZMQ_RECONNECT_STOP_AFTER_DISCONNECT), t0);
        c.connected();
        assert!(matches!(
            c.ended(t0, Ended::Lost { handshaking: false }, false),
            Next::Retry(_)
        ));
        c.connected();
        assert!(matches!(
            c.ended(t0, Ended::Lost { handshaking: false }, true),
            Next::Stop { .. }
        ));

        let mut c = Connecter::new(policy(100, 0, 0), t0);
        c.connected();
        assert!(matches!(
            c.ended(t0, Ended::Protocol, false),
            Next::Stop { .. }
        ));
    }

    #[test]
    fn reconnect_off_stops_after_the_first_failure() {
        let t0 = Instant::now();
        for ivl in [0, -1] {
            let mut c = Connecter::new(policy(ivl, 0, 0), t0);
            assert_eq!(c.poll(t0), Next::Connect);
            c.attempt_started(t0);
            assert_eq!(
                c.attempt_failed(t0, libc::ECONNREFUSED),
                Next::Stop { refused: false }
            );
        }
    }
}
