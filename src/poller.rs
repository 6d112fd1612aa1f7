//! Waiting on many sockets and descriptors at once, with lasting registrations: the
//! machinery under `zmq_poller_*`, `zmq_poll` and `zmq_ppoll`.
//!
//! A `PollSet` watches its sockets through their signals (`Signal::watch`): any
//! notification of a socket wakes the poller's `PollWake`. Plain descriptors wait in a
//! pollfd array built when the set changes, next to the poller's eventfd, so a sleep
//! is one poll(2) however many sockets there are, and sockets need no descriptor.
//!
//! Looking at a socket costs its lock. A socket found not ready is skipped by later
//! passes while its stamp (epoch and count of its own operations, `Signal::stamp`)
//! stays the same: nothing can have made it ready. So a pass over a thousand idle
//! sockets reads a thousand stamps and takes no lock.
//!
//! Contract kept from libzmq: sockets report `ZMQ_POLLIN`/`ZMQ_POLLOUT` as
//! `ZMQ_EVENTS` does (level-triggered: a socket that stays ready is reported again),
//! descriptors report what poll(2) says (any condition other than in, out and pri as
//! `ZMQ_POLLERR`), ETERM once a socket's context terminates, EINTR when a signal
//! handler ran while waiting.

use std::ffi::c_int;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd, RawFd};
use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::abi::*;
use crate::error::{Errno, ZResult};
use crate::signal::{PollWake, Signal};
use crate::socket::SocketRef;

/// How long a poller whose sockets have peers in this process re-checks them before
/// it sleeps (as a blocked receive does: see `signal`).
const SPIN_FOR: Duration = Duration::from_micros(20);

/// One watched socket.
pub(crate) struct Watched {
    pub(crate) sock: SocketRef,
    signal: Arc<Signal>,
    /// Stamp of the last look that found none of `want`: skip while unchanged.
    quiet: Option<(u32, u32)>,
    /// Whether the socket had a peer in this process at the last look.
    local: bool,
    /// The events looked for (libzmq looks at every socket item, even one asking for
    /// nothing: its context's termination is still reported).
    pub(crate) want: i32,
}

/// Sockets and descriptors waited on together, with the poller's wake-up.
pub(crate) struct PollSet {
    wake: Arc<PollWake>,
    pub(crate) sockets: Vec<Watched>,
    /// The eventfd first, then one entry per plain descriptor (-1 for one asking for
    /// nothing, which poll(2) then leaves alone, as libzmq leaves it out).
    pollfds: Vec<libc::pollfd>,
    /// The plain descriptors.
    fds: Vec<RawFd>,
    /// `pollfds[1..]` hold results of a poll(2) not yet looked at.
    fresh: bool,
    /// Made for a thread's `zmq_poll` cache: the process it belongs to.
    pid: u32,
    /// Once `zmq_poller_fd` was asked for: an epoll set of the eventfd and the plain
    /// descriptors, which is the descriptor handed out.
    epoll: Option<OwnedFd>,
}

/// What to do about a signal mask while waiting (`zmq_ppoll`).
pub(crate) type SigMask = Option<libc::sigset_t>;

impl PollSet {
    pub(crate) fn new() -> ZResult<PollSet> {
        let wake = Arc::new(PollWake::new()?);
        let pollfds = vec![libc::pollfd {
            fd: wake.raw_fd(),
            events: libc::POLLIN,
            revents: 0,
        }];
        Ok(PollSet {
            wake,
            sockets: Vec::new(),
            pollfds,
            fds: Vec::new(),
            fresh: false,
            pid: std::process::id(),
            epoll: None,
        })
    }

    /// Whether this set was made by this process (a forked child must not touch
    /// its parent's).
    pub(crate) fn is_own(&self) -> bool {
        self.pid == std::process::id()
    }

    /// Starts watching a socket; returns its index.
    pub(crate) fn add_socket(&mut self, sock: SocketRef, want: i32) -> ZResult<usize> {
        let signal = sock.lock_quiet()?.signal().clone();
        signal.watch(&self.wake);
        self.sockets.push(Watched {
            sock,
            signal,
            quiet: None,
            local: false,
            want,
        });
        Ok(self.sockets.len() - 1)
    }

    /// Stops watching the socket at `index` (the last one takes its place).
    pub(crate) fn remove_socket(&mut self, index: usize) {
        let w = self.sockets.swap_remove(index);
        w.signal.unwatch(&self.wake);
    }

    /// Changes what the socket at `index` is looked at for.
    pub(crate) fn set_want(&mut self, index: usize, want: i32) {
        let w = &mut self.sockets[index];
        w.want = want;
        w.quiet = None;
    }

    /// Adds a plain descriptor; returns its index among the descriptors.
    pub(crate) fn add_fd(&mut self, fd: RawFd, events: i16) -> ZResult<usize> {
        let p = pollfd_for(fd, events);
        if let (Some(ep), true) = (&self.epoll, p.fd >= 0) {
            epoll_set(ep, libc::EPOLL_CTL_ADD, fd, p.events)?;
        }
        self.fds.push(fd);
        self.pollfds.push(p);
        self.fresh = false;
        Ok(self.pollfds.len() - 2)
    }

    /// Adds a plain descriptor that is polled even when it asks for nothing (poll(2)
    /// then reports only errors and hang-ups), as zmq_poll does.
    pub(crate) fn add_fd_always(&mut self, fd: RawFd, events: i16) -> usize {
        self.fds.push(fd);
        self.pollfds.push(libc::pollfd {
            fd,
            events: poll_events(events),
            revents: 0,
        });
        self.fresh = false;
        self.pollfds.len() - 2
    }

    /// Removes the descriptor at `index` (the last one takes its place).
    pub(crate) fn remove_fd(&mut self, index: usize) {
        if let Some(ep) = &self.epoll {
            // It may be closed already (then the kernel forgot it): nothing to undo.
            let _ = epoll_set(ep, libc::EPOLL_CTL_DEL, self.fds[index], 0);
        }
        self.fds.swap_remove(index);
        self.pollfds.swap_remove(index + 1);
        self.fresh = false;
    }

    pub(crate) fn set_fd_events(&mut self, index: usize, events: i16) -> ZResult<()> {
        let p = pollfd_for(self.fds[index], events);
        if let Some(ep) = &self.epoll {
            let fd = self.fds[index];
            if p.fd < 0 {
                // Asking for nothing: out of the set (epoll would still report errors).
                let _ = epoll_set(ep, libc::EPOLL_CTL_DEL, fd, 0);
            } else if epoll_set(ep, libc::EPOLL_CTL_MOD, fd, p.events).is_err() {
                epoll_set(ep, libc::EPOLL_CTL_ADD, fd, p.events)?;
            }
        }
        self.pollfds[index + 1] = p;
        self.fresh = false;
        Ok(())
    }

    pub(crate) fn fd_count(&self) -> usize {
        self.pollfds.len() - 1
    }

    /// What poll(2) reported for the descriptor at `index`, as libzmq maps it.
    pub(crate) fn fd_revents(&self, index: usize) -> i16 {
        zmq_revents(self.pollfds[index + 1].revents)
    }

    /// The poller's descriptor for `zmq_poller_fd`: an epoll set of its eventfd
    /// (which from now on becomes readable at every wake-up) and its descriptors.
    pub(crate) fn export_fd(&mut self) -> ZResult<RawFd> {
        if let Some(ep) = &self.epoll {
            return Ok(ep.as_raw_fd());
        }
        // SAFETY: plain syscall; the result is checked before use.
        let raw = unsafe { libc::epoll_create1(libc::EPOLL_CLOEXEC) };
        if raw < 0 {
            return Err(Errno(
                std::io::Error::last_os_error()
                    .raw_os_error()
                    .unwrap_or(libc::EMFILE),
            ));
        }
        // SAFETY: a fresh descriptor we own.
        let ep = unsafe { OwnedFd::from_raw_fd(raw) };
        epoll_set(&ep, libc::EPOLL_CTL_ADD, self.wake.raw_fd(), libc::POLLIN)?;
        for p in &self.pollfds[1..] {
            if p.fd >= 0 {
                epoll_set(&ep, libc::EPOLL_CTL_ADD, p.fd, p.events)?;
            }
        }
        self.wake.export();
        self.epoll = Some(ep);
        Ok(raw)
    }

    /// The epoch to sleep on; take it before a pass.
    pub(crate) fn epoch(&self) -> u32 {
        if self.wake.is_exported() {
            // About to look: the descriptor reads as "look again" only after this.
            self.wake.clear();
        }
        self.wake.epoch()
    }

    /// Polls the plain descriptors without waiting, unless a sleep just did.
    pub(crate) fn refresh_fds(&mut self, sigmask: &SigMask) -> ZResult<()> {
        if std::mem::take(&mut self.fresh) {
            return Ok(());
        }
        if self.pollfds.len() > 1 || sigmask.is_some() {
            // With a mask even a pass without descriptors asks the kernel, so that a
            // pending signal the mask lets through interrupts it, as zmq_ppoll does.
            let from = if self.pollfds.len() > 1 { 1 } else { 0 };
            for p in &mut self.pollfds[from..] {
                p.revents = 0;
            }
            sys_poll(&mut self.pollfds[from..], Some(Duration::ZERO), sigmask)?;
        }
        Ok(())
    }

    /// The events of socket `index` among its wanted ones: from its stamp when it
    /// cannot have changed since it was last found without them, else by looking.
    pub(crate) fn socket_events(&mut self, index: usize) -> ZResult<i32> {
        let w = &mut self.sockets[index];
        let stamp = w.signal.stamp();
        if w.quiet == Some(stamp) {
            return Ok(0);
        }
        let mut core = w.sock.lock_quiet()?;
        if core.ctx_terminating() {
            return Err(Errno::ETERM);
        }
        let ev = core.events() & (ZMQ_POLLIN | ZMQ_POLLOUT);
        w.local = core.pipes.has_local();
        drop(core);
        let got = ev & w.want;
        w.quiet = (got == 0).then_some(stamp);
        Ok(got)
    }

    /// Called after a pass found something: an exported descriptor stays readable,
    /// so an event loop polling it comes back while things are ready.
    pub(crate) fn found(&self) {
        if self.wake.is_exported() {
            self.wake.arm();
        }
    }

    /// Whether a socket had a peer in this process at its last look.
    fn any_local(&self) -> bool {
        self.sockets.iter().any(|w| w.local)
    }

    /// Waits, after a pass that found nothing, until a watched socket is notified, a
    /// descriptor is ready, or `deadline` (None: forever). Sockets with peers in this
    /// process are given a brief spin first.
    pub(crate) fn sleep(
        &mut self,
        seen: u32,
        deadline: Option<Instant>,
        sigmask: &SigMask,
        spin: &mut Option<Instant>,
    ) -> ZResult<()> {
        let now = Instant::now();
        if self.pollfds.len() == 1 && sigmask.is_none() {
            let until = *spin.get_or_insert(if self.any_local() {
                now + SPIN_FOR
            } else {
                now
            });
            if now < until {
                while Instant::now() < until {
                    if self.wake.epoch() != seen {
                        return Ok(());
                    }
                    for _ in 0..64 {
                        std::hint::spin_loop();
                    }
                }
            }
        }
        let timeout = deadline.map(|d| d.saturating_duration_since(Instant::now()));
        if !self.wake.begin_sleep(seen) {
            return Ok(());
        }
        for p in &mut self.pollfds {
            p.revents = 0;
        }
        let r = sys_poll(&mut self.pollfds, timeout, sigmask);
        self.wake.end_sleep();
        r?;
        self.fresh = true;
        Ok(())
    }
}

impl Drop for PollSet {
    fn drop(&mut self) {
        for w in &self.sockets {
            w.signal.unwatch(&self.wake);
        }
    }
}

/// Adds, changes or removes `fd` in an epoll set, watching poll(2) `events`.
fn epoll_set(ep: &OwnedFd, op: c_int, fd: RawFd, events: i16) -> ZResult<()> {
    let mut mask = 0u32;
    if events & libc::POLLIN != 0 {
        mask |= libc::EPOLLIN as u32;
    }
    if events & libc::POLLOUT != 0 {
        mask |= libc::EPOLLOUT as u32;
    }
    if events & libc::POLLPRI != 0 {
        mask |= libc::EPOLLPRI as u32;
    }
    let mut ev = libc::epoll_event {
        events: mask,
        u64: fd as u64,
    };
    // SAFETY: `ep` is our epoll descriptor; `ev` outlives the call.
    let rc = unsafe { libc::epoll_ctl(ep.as_raw_fd(), op, fd, &mut ev) };
    if rc < 0 {
        return Err(Errno(
            std::io::Error::last_os_error()
                .raw_os_error()
                .unwrap_or(libc::EINVAL),
        ));
    }
    Ok(())
}

/// The pollfd of a plain descriptor asking for `events`.
fn pollfd_for(fd: RawFd, events: i16) -> libc::pollfd {
    libc::pollfd {
        fd: if events == 0 { -1 } else { fd },
        events: poll_events(events),
        revents: 0,
    }
}

/// poll(2) events for a zmq_pollitem_t / poller item's events.
pub(crate) fn poll_events(events: i16) -> i16 {
    let events = events as i32;
    let mut out = 0;
    if events & ZMQ_POLLIN != 0 {
        out |= libc::POLLIN;
    }
    if events & ZMQ_POLLOUT != 0 {
        out |= libc::POLLOUT;
    }
    if events & ZMQ_POLLPRI != 0 {
        out |= libc::POLLPRI;
    }
    out
}

/// Maps poll(2) results as libzmq does: any condition other than in/out/pri
/// (hang-up, error, invalid fd) is reported as ZMQ_POLLERR.
pub(crate) fn zmq_revents(got: i16) -> i16 {
    let mut r = 0;
    if got & libc::POLLIN != 0 {
        r |= ZMQ_POLLIN;
    }
    if got & libc::POLLOUT != 0 {
        r |= ZMQ_POLLOUT;
    }
    if got & libc::POLLPRI != 0 {
        r |= ZMQ_POLLPRI;
    }
    if got & !(libc::POLLIN | libc::POLLOUT | libc::POLLPRI) != 0 {
        r |= ZMQ_POLLERR;
    }
    r as i16
}

/// poll(2), or ppoll(2) with a signal mask; None waits forever. EINTR when a signal
/// handler ran.
pub(crate) fn sys_poll(
    fds: &mut [libc::pollfd],
    timeout: Option<Duration>,
    sigmask: &SigMask,
) -> ZResult<usize> {
    let ts = timeout.map(|t| libc::timespec {
        tv_sec: t.as_secs().min(i32::MAX as u64) as libc::time_t,
        tv_nsec: t.subsec_nanos() as libc::c_long,
    });
    let ts_ptr = ts
        .as_ref()
        .map_or(std::ptr::null(), |t| t as *const libc::timespec);
    let mask_ptr = sigmask
        .as_ref()
        .map_or(std::ptr::null(), |m| m as *const libc::sigset_t);
    // SAFETY: `fds` is a valid, exclusively borrowed array of pollfd; the timespec and
    // the mask (or NULL) outlive the call.
    let rc = unsafe {
        libc::ppoll(
            fds.as_mut_ptr(),
            fds.len() as libc::nfds_t,
            ts_ptr,
            mask_ptr,
        )
    };
    if rc < 0 {
        let e = std::io::Error::last_os_error()
            .raw_os_error()
            .unwrap_or(libc::EINTR);
        return Err(Errno(e));
    }
    Ok(rc as usize)
}

/// Sleeps `timeout` (None: forever), cut short by a signal handler (EINTR).
pub(crate) fn sleep_only(timeout: Option<Duration>, sigmask: &SigMask) -> ZResult<()> {
    sys_poll(&mut [], timeout, sigmask).map(|_| ())
}

/// What one item of a `Poller` is.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    /// A socket: its index in the set's sockets.
    Socket(usize),
    /// A plain descriptor: the descriptor and its index in the set's descriptors.
    Fd(RawFd, usize),
}

/// One registration of `zmq_poller_add` / `zmq_poller_add_fd`.
struct Item {
    kind: Kind,
    /// The socket handle as the application passed it (reported back in events).
    handle: usize,
    user_data: usize,
    events: i16,
}

/// What `Poller::wait` reports for one ready item.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Event {
    /// The socket handle, or 0 for a descriptor.
    pub(crate) socket: usize,
    /// The descriptor, or -1 for a socket.
    pub(crate) fd: RawFd,
    pub(crate) user_data: usize,
    pub(crate) events: i16,
}

/// `zmq_poller_*`: registrations in the order they were made, over a `PollSet`.
pub(crate) struct Poller {
    set: PollSet,
    items: Vec<Item>,
    /// What the last wait found.
    found: Vec<Event>,
}

/// The event bits an item may ask for.
const ITEM_EVENTS: i16 = (ZMQ_POLLIN | ZMQ_POLLOUT | ZMQ_POLLERR | ZMQ_POLLPRI) as i16;

impl Poller {
    pub(crate) fn new() -> ZResult<Poller> {
        Ok(Poller {
            set: PollSet::new()?,
            items: Vec::new(),
            found: Vec::new(),
        })
    }

    pub(crate) fn size(&self) -> usize {
        self.items.len()
    }

    fn check_events(events: i16) -> ZResult<()> {
        if events & !ITEM_EVENTS != 0 {
            return Err(Errno::EINVAL);
        }
        Ok(())
    }

    fn find_socket(&self, sock: &SocketRef) -> Option<usize> {
        self.items.iter().position(|i| match i.kind {
            Kind::Socket(j) => self.set.sockets[j].sock.same_socket(sock),
            Kind::Fd(..) => false,
        })
    }

    fn find_fd(&self, fd: RawFd) -> Option<usize> {
        self.items
            .iter()
            .position(|i| matches!(i.kind, Kind::Fd(f, _) if f == fd))
    }

    pub(crate) fn add(&mut self, sock: SocketRef, user_data: usize, events: i16) -> ZResult<()> {
        Self::check_events(events)?;
        if self.find_socket(&sock).is_some() {
            return Err(Errno::EINVAL);
        }
        let handle = sock.as_ptr() as usize;
        let j = self.set.add_socket(sock, events as i32)?;
        self.items.push(Item {
            kind: Kind::Socket(j),
            handle,
            user_data,
            events,
        });
        Ok(())
    }

    pub(crate) fn add_fd(&mut self, fd: RawFd, user_data: usize, events: i16) -> ZResult<()> {
        if fd == -1 {
            return Err(Errno(libc::EBADF));
        }
        Self::check_events(events)?;
        if self.find_fd(fd).is_some() {
            return Err(Errno::EINVAL);
        }
        let k = self.set.add_fd(fd, events)?;
        self.items.push(Item {
            kind: Kind::Fd(fd, k),
            handle: 0,
            user_data,
            events,
        });
        Ok(())
    }

    pub(crate) fn modify(&mut self, sock: &SocketRef, events: i16) -> ZResult<()> {
        Self::check_events(events)?;
        let i = self.find_socket(sock).ok_or(Errno::EINVAL)?;
        self.items[i].events = events;
        if let Kind::Socket(j) = self.items[i].kind {
            self.set.set_want(j, events as i32);
        }
        Ok(())
    }

    pub(crate) fn modify_fd(&mut self, fd: RawFd, events: i16) -> ZResult<()> {
        if fd == -1 {
            return Err(Errno(libc::EBADF));
        }
        Self::check_events(events)?;
        let i = self.find_fd(fd).ok_or(Errno::EINVAL)?;
        self.items[i].events = events;
        if let Kind::Fd(_, k) = self.items[i].kind {
            self.set.set_fd_events(k, events)?;
        }
        Ok(())
    }

    pub(crate) fn remove(&mut self, sock: &SocketRef) -> ZResult<()> {
        let i = self.find_socket(sock).ok_or(Errno::EINVAL)?;
        let item = self.items.remove(i);
        if let Kind::Socket(j) = item.kind {
            let last = self.set.sockets.len() - 1;
            self.set.remove_socket(j);
            // The set's last socket moved into the freed place.
            for it in &mut self.items {
                if it.kind == Kind::Socket(last) {
                    it.kind = Kind::Socket(j);
                }
            }
        }
        Ok(())
    }

    pub(crate) fn remove_fd(&mut self, fd: RawFd) -> ZResult<()> {
        if fd == -1 {
            return Err(Errno(libc::EBADF));
        }
        let i = self.find_fd(fd).ok_or(Errno::EINVAL)?;
        let item = self.items.remove(i);
        if let Kind::Fd(_, k) = item.kind {
            let last = self.set.fd_count() - 1;
            self.set.remove_fd(k);
            for it in &mut self.items {
                if let Kind::Fd(f, idx) = it.kind {
                    if idx == last {
                        it.kind = Kind::Fd(f, k);
                    }
                }
            }
        }
        Ok(())
    }

    /// `zmq_poller_fd`.
    pub(crate) fn fd(&mut self) -> ZResult<RawFd> {
        self.set.export_fd()
    }

    /// One pass: up to `max` ready items into `found`, in registration order.
    fn pass(&mut self, max: usize) -> ZResult<usize> {
        self.set.refresh_fds(&None)?;
        self.found.clear();
        for idx in 0..self.items.len() {
            if self.found.len() >= max {
                break;
            }
            let item = &self.items[idx];
            let (handle, user_data, kind, events) =
                (item.handle, item.user_data, item.kind, item.events);
            let (socket, fd, got) = match kind {
                Kind::Socket(j) => (handle, -1, self.set.socket_events(j)? as i16),
                Kind::Fd(fd, k) if events != 0 => (0, fd, self.set.fd_revents(k)),
                Kind::Fd(..) => continue,
            };
            if got != 0 {
                self.found.push(Event {
                    socket,
                    fd,
                    user_data,
                    events: got,
                });
            }
        }
        Ok(self.found.len())
    }

    /// `zmq_poller_wait_all`: the ready items (at most `max`), waiting up to `timeout`
    /// ms for one (-1: forever). EAGAIN when none became ready in time.
    pub(crate) fn wait(&mut self, max: usize, timeout: std::ffi::c_long) -> ZResult<&[Event]> {
        if self.items.is_empty() && timeout < 0 {
            return Err(Errno::EFAULT);
        }
        if self.items.iter().all(|i| i.events == 0) {
            // Nothing could ever be reported: as libzmq, fail rather than sleep forever,
            // or sleep out the timeout.
            if timeout < 0 {
                return Err(Errno::EFAULT);
            }
            if timeout > 0 {
                sleep_only(Some(Duration::from_millis(timeout as u64)), &None)?;
            }
            return Err(Errno::EAGAIN);
        }
        let deadline =
            (timeout > 0).then(|| Instant::now() + Duration::from_millis(timeout as u64));
        let mut spin = None;
        loop {
            let seen = self.set.epoch();
            if self.pass(max)? > 0 {
                self.set.found();
                return Ok(&self.found);
            }
            if timeout == 0 || deadline.is_some_and(|d| Instant::now() >= d) {
                return Err(Errno::EAGAIN);
            }
            self.set.sleep(seen, deadline, &None, &mut spin)?;
        }
    }
}
