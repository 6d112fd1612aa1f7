//! `zmq_poll` and `zmq_ppoll`: readiness of sockets and plain file descriptors, with a
//! timeout (and, for `zmq_ppoll`, a signal mask while waiting).
//!
//! A call that finds something ready at once looks at each socket directly, as
//! libzmq does. A call that finds nothing builds a `PollSet` (the machinery of
//! `zmq_poller`) to wait on, which the thread keeps for its next call: a program that
//! polls the same items in a loop gets lasting registrations, so a later call skips
//! every socket that cannot have become ready since (see `crate::poller`) and sleeps
//! in one poll(2) whatever the number of sockets.

use std::cell::RefCell;
use std::ffi::{c_int, c_long, c_short};
use std::time::{Duration, Instant};

use super::{ffi_call, handle};
use crate::abi::*;
use crate::error::{Errno, ZResult};
use crate::poller::{self, PollSet, SigMask};
use crate::socket::SocketRef;

/// Where an item of the cached set is: a socket of the set, or a descriptor.
#[derive(Clone, Copy)]
enum Slot {
    Socket(usize),
    Fd(usize),
}

/// The set a thread's last waiting `zmq_poll` built, reused while the items stay the
/// same sockets (same handles, not closed since), descriptors and events.
struct Cached {
    set: PollSet,
    key: Vec<(usize, c_int, c_short)>,
    socks: Vec<Option<SocketRef>>,
    slots: Vec<Slot>,
}

thread_local! {
    static CACHE: RefCell<Option<Cached>> = const { RefCell::new(None) };
}

impl Cached {
    fn matches(&self, items: &[zmq_pollitem_t], socks: &[Option<SocketRef>]) -> bool {
        self.key.len() == items.len()
            && self.set.is_own()
            && self
                .key
                .iter()
                .zip(items)
                .all(|(k, i)| *k == (i.socket as usize, i.fd, i.events))
            && self.socks.iter().zip(socks).all(|(a, b)| match (a, b) {
                (Some(a), Some(b)) => a.same_socket(b),
                (None, None) => true,
                _ => false,
            })
    }

    fn build(items: &[zmq_pollitem_t], socks: &[Option<SocketRef>]) -> ZResult<Cached> {
        let mut set = PollSet::new()?;
        let mut slots = Vec::with_capacity(items.len());
        for (i, (item, sock)) in items.iter().zip(socks).enumerate() {
            let slot = match sock {
                Some(sock) => {
                    // A socket listed twice is watched once, for all its items' events.
                    let earlier = socks[..i]
                        .iter()
                        .position(|s| s.as_ref().is_some_and(|s| s.same_socket(sock)));
                    match earlier.map(|e| slots[e]) {
                        Some(Slot::Socket(j)) => {
                            let want = set.sockets[j].want | item.events as i32;
                            set.set_want(j, want);
                            Slot::Socket(j)
                        }
                        _ => Slot::Socket(set.add_socket(*sock, item.events as i32)?),
                    }
                }
                None => Slot::Fd(set.add_fd_always(item.fd, item.events)),
            };
            slots.push(slot);
        }
        Ok(Cached {
            set,
            key: items
                .iter()
                .map(|i| (i.socket as usize, i.fd, i.events))
                .collect(),
            socks: socks.to_vec(),
            slots,
        })
    }

    /// One pass over the items with the cached set.
    fn pass(&mut self, items: &mut [zmq_pollitem_t], sigmask: &SigMask) -> ZResult<c_int> {
        self.set.refresh_fds(sigmask)?;
        let mut ready = 0;
        for (item, slot) in items.iter_mut().zip(&self.slots) {
            item.revents = match *slot {
                Slot::Socket(j) => (self.set.socket_events(j)? as c_short) & item.events,
                Slot::Fd(k) => self.set.fd_revents(k),
            };
            if item.revents != 0 {
                ready += 1;
            }
        }
        Ok(ready)
    }
}

/// One pass without a set: fills `revents` of every item; returns how many are ready.
///
/// Plain descriptors are looked at first, as libzmq's single poll(2) over all items
/// does: a program may poll a socket's own `ZMQ_FD` as a plain item next to the socket,
/// and looking at the socket (`ZMQ_EVENTS`) clears that descriptor.
fn direct_pass(
    items: &mut [zmq_pollitem_t],
    socks: &[Option<SocketRef>],
    sigmask: &SigMask,
) -> ZResult<c_int> {
    let mut ready = 0;
    let plain = socks.iter().filter(|s| s.is_none()).count();
    if plain > 0 || sigmask.is_some() {
        let mut fds: Vec<libc::pollfd> = items
            .iter()
            .zip(socks)
            .filter(|(_, s)| s.is_none())
            .map(|(item, _)| libc::pollfd {
                fd: item.fd,
                events: poller::poll_events(item.events),
                revents: 0,
            })
            .collect();
        poller::sys_poll(&mut fds, Some(Duration::ZERO), sigmask)?;
        let mut it = fds.iter();
        for (item, _) in items.iter_mut().zip(socks).filter(|(_, s)| s.is_none()) {
            if let Some(p) = it.next() {
                item.revents = poller::zmq_revents(p.revents);
                if item.revents != 0 {
                    ready += 1;
                }
            }
        }
    }
    for (item, sock) in items.iter_mut().zip(socks) {
        let Some(sock) = sock else {
            continue;
        };
        let mut core = sock.lock_quiet()?;
        if core.ctx_terminating() {
            return Err(Errno::ETERM);
        }
        let ev = core.events() as c_short;
        item.revents = ev & item.events & (ZMQ_POLLIN | ZMQ_POLLOUT) as c_short;
        if item.revents != 0 {
            ready += 1;
        }
    }
    Ok(ready)
}

/// The body of zmq_poll and zmq_ppoll over a checked item array.
pub(crate) fn poll_items(
    items: &mut [zmq_pollitem_t],
    timeout: c_long,
    sigmask: SigMask,
) -> ZResult<c_int> {
    let socks = items
        .iter()
        .map(|i| {
            if i.socket.is_null() {
                Ok(None)
            } else {
                handle::socket(i.socket).map(Some)
            }
        })
        .collect::<ZResult<Vec<_>>>()?;
    // No cache while the thread's locals are being torn down (a destructor polling).
    let mut cached = CACHE.try_with(|c| c.borrow_mut().take()).ok().flatten();
    if let Some(c) = cached.take_if(|c| !c.matches(items, &socks)) {
        if c.set.is_own() {
            drop(c);
        } else {
            // A forked child: the set's descriptor and the sockets are the parent's.
            std::mem::forget(c);
        }
    }
    let deadline = (timeout > 0).then(|| Instant::now() + Duration::from_millis(timeout as u64));
    let result = poll_with(items, &socks, &mut cached, timeout, deadline, &sigmask);
    if cached.is_some() {
        let _ = CACHE.try_with(|c| *c.borrow_mut() = cached);
    }
    result
}

fn poll_with(
    items: &mut [zmq_pollitem_t],
    socks: &[Option<SocketRef>],
    cached: &mut Option<Cached>,
    timeout: c_long,
    deadline: Option<Instant>,
    sigmask: &SigMask,
) -> ZResult<c_int> {
    if cached.is_none() {
        // Most calls find something ready at once: no need to register anything.
        let ready = direct_pass(items, socks, sigmask)?;
        if ready > 0 {
            return Ok(ready);
        }
        // Nothing ready: the set is built for the wait, and kept for the next call,
        // which (polling the same items) skips the sockets nothing happened to.
        *cached = Some(Cached::build(items, socks)?);
        if timeout == 0 {
            return Ok(0);
        }
    }
    let c = cached.as_mut().expect("built above");
    let mut spin = None;
    loop {
        let seen = c.set.epoch();
        let ready = c.pass(items, sigmask)?;
        if ready > 0 || timeout == 0 {
            return Ok(ready);
        }
        if deadline.is_some_and(|d| Instant::now() >= d) {
            return Ok(0);
        }
        c.set.sleep(seen, deadline, sigmask, &mut spin)?;
    }
}

/// zmq_poll's and zmq_ppoll's checks before anything else, as libzmq makes them.
fn checked_items<'a>(
    items: *mut zmq_pollitem_t,
    nitems: c_int,
    timeout: c_long,
    sigmask: &SigMask,
) -> ZResult<Option<&'a mut [zmq_pollitem_t]>> {
    if nitems < 0 {
        return Err(Errno::EINVAL);
    }
    if nitems == 0 {
        if timeout != 0 {
            // As libzmq: a plain sleep, cut short by a signal handler (EINTR).
            let t = (timeout > 0).then(|| Duration::from_millis(timeout as u64));
            poller::sleep_only(t, sigmask)?;
        }
        return Ok(None);
    }
    if items.is_null() {
        return Err(Errno::EFAULT);
    }
    // SAFETY: the caller passes `nitems` poll items at `items`.
    Ok(Some(unsafe {
        std::slice::from_raw_parts_mut(items, nitems as usize)
    }))
}

#[no_mangle]
pub extern "C" fn zmq_poll(items: *mut zmq_pollitem_t, nitems: c_int, timeout: c_long) -> c_int {
    ffi_call!(-1, {
        match checked_items(items, nitems, timeout, &None)? {
            None => Ok(0),
            Some(items) => poll_items(items, timeout, None),
        }
    })
}

/// `zmq_ppoll` (draft): `zmq_poll` with `sigmask` as the thread's signal mask while
/// it waits, as ppoll(2) does (NULL: the mask is left alone).
#[no_mangle]
pub extern "C" fn zmq_ppoll(
    items: *mut zmq_pollitem_t,
    nitems: c_int,
    timeout: c_long,
    sigmask: *const libc::sigset_t,
) -> c_int {
    ffi_call!(-1, {
        // SAFETY: NULL or, by the contract, a valid sigset_t.
        let mask: SigMask = (!sigmask.is_null()).then(|| unsafe { *sigmask });
        match checked_items(items, nitems, timeout, &mask)? {
            None => Ok(0),
            Some(items) => poll_items(items, timeout, mask),
        }
    })
}
