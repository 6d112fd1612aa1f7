//! Loom model of the wake-up protocol: the library's own `src/signal/wake.rs`,
//! compiled here with `--cfg loom` (loom's atomics, a futex made of a mutex and a
//! condition variable), driven by a few threads in every possible interleaving.
//! Loom fails a test on a deadlock (a waiter that never wakes) or a failed assertion.

#[cfg(loom)]
#[path = "../../src/signal/wake.rs"]
#[allow(dead_code)]
mod wake;

#[cfg(all(loom, test))]
mod tests {
    use super::wake::{EdgeFlag, EventCount, Slept};
    use loom::sync::atomic::{AtomicBool, AtomicU32, AtomicUsize, Ordering};
    use loom::sync::Arc;
    use loom::sync::{Condvar, Mutex};
    use loom::thread;

    /// Every interleaving with at most three preemptions (a bound that keeps the four
    /// models at about ten seconds; the known wake-up bugs need two).
    fn model(f: impl Fn() + Sync + Send + 'static) {
        let mut builder = loom::model::Builder::new();
        builder.preemption_bound = Some(3);
        builder.check(f);
    }

    /// What a blocked send or recv does: take the epoch, look, sleep until it moves.
    fn wait_until(ec: &EventCount, mut ready: impl FnMut() -> bool) {
        loop {
            let seen = ec.epoch();
            if ready() {
                return;
            }
            ec.sleep(seen, false);
        }
    }

    /// Two threads wait on one socket for one event: both wake.
    #[test]
    fn two_waiters_one_notification() {
        model(|| {
            let ec = Arc::new(EventCount::default());
            let flag = Arc::new(AtomicBool::new(false));
            let waiters: Vec<_> = (0..2)
                .map(|_| {
                    let (ec, flag) = (ec.clone(), flag.clone());
                    thread::spawn(move || wait_until(&ec, || flag.load(Ordering::Acquire)))
                })
                .collect();
            flag.store(true, Ordering::Release);
            ec.notify();
            for w in waiters {
                w.join().unwrap();
            }
        });
    }

    /// A second waiter gives up (timeout or signal handler) while the first sleeps:
    /// the first must still be woken by the next notification. (The earlier protocol
    /// lost the first waiter's sleeping state here.)
    #[test]
    fn a_waiter_that_gives_up_leaves_the_other_wakeable() {
        model(|| {
            let ec = Arc::new(EventCount::default());
            let flag = Arc::new(AtomicBool::new(false));
            let sleeper = {
                let (ec, flag) = (ec.clone(), flag.clone());
                thread::spawn(move || wait_until(&ec, || flag.load(Ordering::Acquire)))
            };
            let quitter = {
                let (ec, flag) = (ec.clone(), flag.clone());
                thread::spawn(move || {
                    let seen = ec.epoch();
                    if !flag.load(Ordering::Acquire) {
                        let slept = ec.sleep(seen, true);
                        assert!(matches!(slept, Slept::TimedOut | Slept::Changed));
                    }
                })
            };
            quitter.join().unwrap();
            flag.store(true, Ordering::Release);
            ec.notify();
            sleeper.join().unwrap();
        });
    }

    /// Two receivers on a thread-safe socket, two messages written back to back, and
    /// (as a pipe does) a notification only for the first, on the empty-to-non-empty
    /// edge. Each receiver must get one: the one that takes the first message cannot
    /// leave the other asleep with the second one queued.
    #[test]
    fn edge_notified_queue_with_two_consumers() {
        model(|| {
            let ec = Arc::new(EventCount::default());
            let queued = Arc::new(AtomicUsize::new(0));
            let take = |q: &AtomicUsize| {
                let mut n = q.load(Ordering::Acquire);
                while n > 0 {
                    match q.compare_exchange(n, n - 1, Ordering::AcqRel, Ordering::Acquire) {
                        Ok(_) => return true,
                        Err(now) => n = now,
                    }
                }
                false
            };
            let consumers: Vec<_> = (0..2)
                .map(|_| {
                    let (ec, queued) = (ec.clone(), queued.clone());
                    thread::spawn(move || {
                        let mut got = false;
                        wait_until(&ec, || {
                            got = got || take(&queued);
                            got
                        });
                    })
                })
                .collect();
            for _ in 0..2 {
                if queued.fetch_add(1, Ordering::AcqRel) == 0 {
                    ec.notify();
                }
            }
            for c in consumers {
                c.join().unwrap();
            }
        });
    }

    /// ZMQ_FD's edge contract: a notifier queues a command and arms the flag while the
    /// owner clears the flag and then looks at its commands. Either the owner sees the
    /// command, or the flag (and the descriptor) stays armed for it.
    #[test]
    fn edge_flag_never_loses_a_command() {
        model(|| {
            let flag = Arc::new(EdgeFlag::armed());
            let command = Arc::new(AtomicBool::new(false));
            let tokens = Arc::new(AtomicUsize::new(1));
            let notifier = {
                let (flag, command, tokens) = (flag.clone(), command.clone(), tokens.clone());
                thread::spawn(move || {
                    command.store(true, Ordering::Release);
                    flag.arm(|| {
                        tokens.fetch_add(1, Ordering::Relaxed);
                    });
                })
            };
            flag.clear(|| tokens.store(0, Ordering::Relaxed));
            let seen = command.swap(false, Ordering::AcqRel);
            notifier.join().unwrap();
            assert!(
                seen || flag.is_armed(),
                "a command neither seen nor signalled"
            );
            assert_eq!(flag.is_armed(), tokens.load(Ordering::Relaxed) > 0);
        });
    }

    /// An eventfd as poll(2) sees it: a token that a write puts in and a read after a
    /// poll takes.
    #[derive(Default)]
    struct EventFd {
        token: Mutex<bool>,
        cond: Condvar,
    }

    impl EventFd {
        fn write(&self) {
            *self.token.lock().unwrap() = true;
            self.cond.notify_all();
        }

        fn poll_and_read(&self) {
            let mut token = self.token.lock().unwrap();
            while !*token {
                token = self.cond.wait(token).unwrap();
            }
            *token = false;
        }
    }

    /// A poller starts watching a socket (src/signal.rs `Signal::watch`: store the
    /// watcher count, then bump the socket's epoch) while a notifier announces a
    /// message (`Signal::notify`: bump the epoch, then read the count, then wake the
    /// poller: `PollWake::wake`, which writes the eventfd only for a marked sleeper).
    /// The poller either finds the message or is woken from its poll(2).
    #[test]
    fn poller_registration_races_a_notification() {
        model(|| {
            let socket = Arc::new(EventCount::default());
            let watchers = Arc::new(AtomicU32::new(0));
            let poller = Arc::new(EventCount::default());
            let efd = Arc::new(EventFd::default());
            let message = Arc::new(AtomicBool::new(false));
            let notifier = {
                let (socket, watchers, poller, efd, message) = (
                    socket.clone(),
                    watchers.clone(),
                    poller.clone(),
                    efd.clone(),
                    message.clone(),
                );
                thread::spawn(move || {
                    message.store(true, Ordering::Release);
                    socket.notify();
                    if watchers.load(Ordering::Acquire) != 0 && poller.bump() {
                        efd.write();
                    }
                })
            };
            watchers.store(1, Ordering::Release);
            socket.notify();
            loop {
                let seen = poller.epoch();
                let _stamp = socket.epoch();
                if message.load(Ordering::Acquire) {
                    break;
                }
                if poller.mark_sleeper(seen).is_some() {
                    efd.poll_and_read();
                    poller.unmark();
                }
            }
            notifier.join().unwrap();
        });
    }
}
