//! `zmq_poll`: readiness of sockets and plain file descriptors, with a timeout.
//!
//! Sockets are checked directly; to sleep, the thread polls each socket's `ZMQ_FD`
//! eventfd together with the plain descriptors, after a short spin that catches
//! replies arriving within microseconds without a system call.

use std::ffi::{c_int, c_long, c_short};
use std::time::{Duration, Instant};

use super::{ffi_call, handle};
use crate::abi::*;
use crate::error::{Errno, ZResult};

/// How long zmq_poll re-checks sockets before it sleeps in poll(2).
const SPIN_FOR: Duration = Duration::from_micros(20);

fn now_plus_ms(ms: c_long) -> Instant {
    Instant::now() + Duration::from_millis(ms as u64)
}

/// One pass: fills `revents` of every item; returns how many are ready.
///
/// Plain descriptors are looked at first, as libzmq's single poll(2) over all items
/// does: a program may poll a socket's own `ZMQ_FD` as a plain item next to the socket,
/// and looking at the socket (`ZMQ_EVENTS`) clears that descriptor.
fn check_items(items: &mut [zmq_pollitem_t]) -> ZResult<c_int> {
    let mut ready = 0;
    if items.iter().any(|item| item.socket.is_null()) {
        let mut only_fds: Vec<libc::pollfd> = items
            .iter()
            .filter(|item| item.socket.is_null())
            .map(plain_pollfd)
            .collect();
        sys_poll(&mut only_fds, 0)?;
        let mut it = only_fds.iter();
        for item in items.iter_mut().filter(|i| i.socket.is_null()) {
            if let Some(p) = it.next() {
                item.revents = fd_revents(p.revents);
                if item.revents != 0 {
                    ready += 1;
                }
            }
        }
    }
    for item in items.iter_mut() {
        if item.socket.is_null() {
            continue;
        }
        item.revents = 0;
        let sock = handle::socket(item.socket)?;
        let mut core = sock.lock()?;
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

/// Maps poll(2) results as libzmq does: any condition other than in/out/pri
/// (hang-up, error, invalid fd) is reported as ZMQ_POLLERR.
fn fd_revents(got: c_short) -> c_short {
    let mut r = 0;
    if got & libc::POLLIN != 0 {
        r |= ZMQ_POLLIN as c_short;
    }
    if got & libc::POLLOUT != 0 {
        r |= ZMQ_POLLOUT as c_short;
    }
    if got & libc::POLLPRI != 0 {
        r |= ZMQ_POLLPRI as c_short;
    }
    if got & !(libc::POLLIN | libc::POLLOUT | libc::POLLPRI) != 0 {
        r |= ZMQ_POLLERR as c_short;
    }
    r
}

fn sys_poll(fds: &mut [libc::pollfd], timeout_ms: c_int) -> ZResult<c_int> {
    // SAFETY: `fds` is a valid, exclusively borrowed array of pollfd.
    let rc = unsafe { libc::poll(fds.as_mut_ptr(), fds.len() as libc::nfds_t, timeout_ms) };
    if rc < 0 {
        let e = std::io::Error::last_os_error()
            .raw_os_error()
            .unwrap_or(libc::EINTR);
        return Err(Errno(e));
    }
    Ok(rc)
}

/// The pollfd for a plain-descriptor item.
fn plain_pollfd(item: &zmq_pollitem_t) -> libc::pollfd {
    let mut events = 0;
    if item.events & ZMQ_POLLIN as c_short != 0 {
        events |= libc::POLLIN;
    }
    if item.events & ZMQ_POLLOUT as c_short != 0 {
        events |= libc::POLLOUT;
    }
    if item.events & ZMQ_POLLPRI as c_short != 0 {
        events |= libc::POLLPRI;
    }
    libc::pollfd {
        fd: item.fd,
        events,
        revents: 0,
    }
}

/// The descriptors to sleep on: each socket's eventfd, and the plain fds.
fn sleep_set(items: &[zmq_pollitem_t]) -> ZResult<Vec<libc::pollfd>> {
    items
        .iter()
        .map(|item| {
            if item.socket.is_null() {
                Ok(plain_pollfd(item))
            } else {
                let sock = handle::socket(item.socket)?;
                let fd = sock.lock()?.signal().fd()?;
                Ok(libc::pollfd {
                    fd,
                    events: libc::POLLIN,
                    revents: 0,
                })
            }
        })
        .collect()
}

/// Whether a polled socket has a peer in this process (see `Pipes::has_local`).
fn any_local_peer(items: &[zmq_pollitem_t]) -> ZResult<bool> {
    for item in items.iter().filter(|i| !i.socket.is_null()) {
        if handle::socket(item.socket)?.lock()?.pipes.has_local() {
            return Ok(true);
        }
    }
    Ok(false)
}

/// The body of zmq_poll over a checked item array.
pub(crate) fn poll_items(items: &mut [zmq_pollitem_t], timeout: c_long) -> ZResult<c_int> {
    let deadline = (timeout > 0).then(|| now_plus_ms(timeout));
    // Built only when the call has to sleep: most calls find something ready at once.
    let mut fds: Vec<libc::pollfd> = Vec::new();
    // Decided when first needed: most calls find something ready at once.
    let mut spin_until = None;
    let has_plain_fds = items.iter().any(|i| i.socket.is_null());
    loop {
        let ready = check_items(items)?;
        if ready > 0 || timeout == 0 {
            return Ok(ready);
        }
        let now = Instant::now();
        if deadline.is_some_and(|d| now >= d) {
            return Ok(0);
        }
        if !has_plain_fds {
            let until = match spin_until {
                Some(until) => until,
                None => *spin_until.insert(if any_local_peer(items)? {
                    now + SPIN_FOR
                } else {
                    now
                }),
            };
            if now < until {
                std::hint::spin_loop();
                continue;
            }
        }
        let wait_ms = match deadline {
            None => -1,
            Some(d) => {
                d.saturating_duration_since(now)
                    .as_millis()
                    .min(i32::MAX as u128) as c_int
                    + 1
            }
        };
        if fds.is_empty() {
            fds = sleep_set(items)?;
            // The eventfds may have been created just now: look again before sleeping.
            continue;
        }
        for f in fds.iter_mut() {
            f.revents = 0;
        }
        sys_poll(&mut fds, wait_ms)?;
    }
}

#[no_mangle]
pub extern "C" fn zmq_poll(items: *mut zmq_pollitem_t, nitems: c_int, timeout: c_long) -> c_int {
    ffi_call!(-1, {
        if nitems < 0 {
            return Err(Errno::EINVAL);
        }
        if nitems == 0 {
            if timeout == 0 {
                return Ok(0);
            }
            // As libzmq: a plain sleep, cut short by a signal handler (EINTR).
            let ms = if timeout < 0 {
                -1
            } else {
                timeout.min(c_int::MAX as c_long) as c_int
            };
            sys_poll(&mut [], ms)?;
            return Ok(0);
        }
        if items.is_null() {
            return Err(Errno::EFAULT);
        }
        // SAFETY: the caller passes `nitems` poll items at `items`.
        let items = unsafe { std::slice::from_raw_parts_mut(items, nitems as usize) };
        poll_items(items, timeout)
    })
}
