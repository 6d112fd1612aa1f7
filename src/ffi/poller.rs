//! The draft poller API, `zmq_poller_*`: registrations that last across waits (see
//! `crate::poller`), and a descriptor (`zmq_poller_fd`) that any event loop can poll.
//!
//! A poller handle is a record that is never freed, like a socket's: a destroyed
//! poller answers EFAULT instead of reading freed memory. A poller serves one call at
//! a time; calls from other threads wait for it.

use std::ffi::{c_int, c_long, c_short, c_void};
use std::sync::atomic::{AtomicU64, Ordering};

use parking_lot::{Mutex, MutexGuard};

use super::{ffi_call, handle};
use crate::abi::*;
use crate::error::{Errno, ZResult};
use crate::poller::{Event, Poller};
use crate::util::quarantine::{handle_state, state_tag, Quarantine};

/// Tags of live and destroyed poller records; negative as C ints.
const POLLER_LIVE: u32 = 0xcafe_babe;
const POLLER_DEAD: u32 = 0xdead_beef;

/// Destroyed poller records wait behind this many others before reuse.
static DESTROYED: Quarantine<PollerHandle> = Quarantine::new(4096);

/// What a `void *poller` points at.
#[repr(C)]
struct PollerHandle {
    state: AtomicU64,
    poller: Mutex<Option<Box<Poller>>>,
}

/// The live poller at `p`, locked; EFAULT for NULL, destroyed or foreign pointers.
fn poller_of<'a>(p: *mut c_void) -> ZResult<MutexGuard<'a, Option<Box<Poller>>>> {
    if p.is_null() || !(p as usize).is_multiple_of(std::mem::align_of::<PollerHandle>()) {
        return Err(Errno::EFAULT);
    }
    // SAFETY: non-NULL and aligned; poller records are never freed, and the tag tells a
    // live poller from anything else (the C API's contract for a `void *poller`).
    let handle = unsafe { &*(p as *const PollerHandle) };
    let state = handle.state.load(Ordering::Acquire);
    if state_tag(state) != POLLER_LIVE {
        return Err(Errno::EFAULT);
    }
    let guard = handle.poller.lock();
    if guard.is_none() || handle.state.load(Ordering::Relaxed) != state {
        return Err(Errno::EFAULT);
    }
    Ok(guard)
}

fn live<'g>(guard: &'g mut MutexGuard<'_, Option<Box<Poller>>>) -> &'g mut Poller {
    guard.as_mut().expect("checked by `poller_of`")
}

#[no_mangle]
pub extern "C" fn zmq_poller_new() -> *mut c_void {
    ffi_call!(std::ptr::null_mut(), {
        let p = Box::new(Poller::new()?);
        let handle: &'static PollerHandle = DESTROYED.reuse().unwrap_or_else(|| {
            Box::leak(Box::new(PollerHandle {
                state: AtomicU64::new(handle_state(POLLER_DEAD, 0)),
                poller: Mutex::new(None),
            }))
        });
        let mut slot = handle.poller.lock();
        *slot = Some(p);
        let generation = (handle.state.load(Ordering::Relaxed) >> 32) as u32;
        handle
            .state
            .store(handle_state(POLLER_LIVE, generation), Ordering::Release);
        drop(slot);
        Ok(handle as *const PollerHandle as *mut c_void)
    })
}

#[no_mangle]
pub extern "C" fn zmq_poller_destroy(poller_p: *mut *mut c_void) -> c_int {
    ffi_call!(-1, {
        if poller_p.is_null() {
            return Err(Errno::EFAULT);
        }
        // SAFETY: non-NULL; the caller passes the address of its poller pointer.
        let p = unsafe { *poller_p };
        let mut guard = poller_of(p)?;
        // SAFETY: `poller_of` checked that `p` is a live record.
        let handle = unsafe { &*(p as *const PollerHandle) };
        let generation = (handle.state.load(Ordering::Relaxed) >> 32) as u32;
        handle.state.store(
            handle_state(POLLER_DEAD, generation.wrapping_add(1)),
            Ordering::Release,
        );
        let gone = guard.take();
        drop(guard);
        drop(gone);
        DESTROYED.retire(handle);
        // SAFETY: as above.
        unsafe { *poller_p = std::ptr::null_mut() };
        Ok(0)
    })
}

#[no_mangle]
pub extern "C" fn zmq_poller_size(poller: *mut c_void) -> c_int {
    ffi_call!(-1, {
        let mut g = poller_of(poller)?;
        Ok(live(&mut g).size() as c_int)
    })
}

#[no_mangle]
pub extern "C" fn zmq_poller_add(
    poller: *mut c_void,
    socket: *mut c_void,
    user_data: *mut c_void,
    events: c_short,
) -> c_int {
    ffi_call!(-1, {
        let mut g = poller_of(poller)?;
        let sock = handle::socket(socket)?;
        live(&mut g).add(sock, user_data as usize, events)?;
        Ok(0)
    })
}

#[no_mangle]
pub extern "C" fn zmq_poller_modify(
    poller: *mut c_void,
    socket: *mut c_void,
    events: c_short,
) -> c_int {
    ffi_call!(-1, {
        let mut g = poller_of(poller)?;
        let sock = handle::socket(socket)?;
        live(&mut g).modify(&sock, events)?;
        Ok(0)
    })
}

#[no_mangle]
pub extern "C" fn zmq_poller_remove(poller: *mut c_void, socket: *mut c_void) -> c_int {
    ffi_call!(-1, {
        let mut g = poller_of(poller)?;
        let sock = handle::socket(socket)?;
        live(&mut g).remove(&sock)?;
        Ok(0)
    })
}

#[no_mangle]
pub extern "C" fn zmq_poller_add_fd(
    poller: *mut c_void,
    fd: zmq_fd_t,
    user_data: *mut c_void,
    events: c_short,
) -> c_int {
    ffi_call!(-1, {
        let mut g = poller_of(poller)?;
        live(&mut g).add_fd(fd, user_data as usize, events)?;
        Ok(0)
    })
}

#[no_mangle]
pub extern "C" fn zmq_poller_modify_fd(
    poller: *mut c_void,
    fd: zmq_fd_t,
    events: c_short,
) -> c_int {
    ffi_call!(-1, {
        let mut g = poller_of(poller)?;
        live(&mut g).modify_fd(fd, events)?;
        Ok(0)
    })
}

#[no_mangle]
pub extern "C" fn zmq_poller_remove_fd(poller: *mut c_void, fd: zmq_fd_t) -> c_int {
    ffi_call!(-1, {
        let mut g = poller_of(poller)?;
        live(&mut g).remove_fd(fd)?;
        Ok(0)
    })
}

/// Writes one event as the C API lays it out.
fn put_event(out: &mut zmq_poller_event_t, e: Option<&Event>) {
    match e {
        Some(e) => {
            out.socket = e.socket as *mut c_void;
            out.fd = e.fd;
            out.user_data = e.user_data as *mut c_void;
            out.events = e.events;
        }
        None => {
            out.socket = std::ptr::null_mut();
            out.fd = -1;
            out.user_data = std::ptr::null_mut();
            out.events = 0;
        }
    }
}

/// The body of `zmq_poller_wait_all`: the number of events written.
fn wait_all(
    poller: *mut c_void,
    events: *mut zmq_poller_event_t,
    n_events: c_int,
    timeout: c_long,
) -> ZResult<c_int> {
    let mut g = poller_of(poller)?;
    if events.is_null() {
        return Err(Errno::EFAULT);
    }
    if n_events < 0 {
        return Err(Errno::EINVAL);
    }
    let found = live(&mut g).wait(n_events as usize, timeout)?;
    // SAFETY: the caller passes `n_events` writable events at `events`.
    let out = unsafe { std::slice::from_raw_parts_mut(events, n_events as usize) };
    for (i, slot) in out.iter_mut().enumerate() {
        put_event(slot, found.get(i));
    }
    Ok(found.len() as c_int)
}

#[no_mangle]
pub extern "C" fn zmq_poller_wait_all(
    poller: *mut c_void,
    events: *mut zmq_poller_event_t,
    n_events: c_int,
    timeout: c_long,
) -> c_int {
    ffi_call!(-1, { wait_all(poller, events, n_events, timeout) })
}

#[no_mangle]
pub extern "C" fn zmq_poller_wait(
    poller: *mut c_void,
    event: *mut zmq_poller_event_t,
    timeout: c_long,
) -> c_int {
    ffi_call!(-1, {
        match wait_all(poller, event, 1, timeout) {
            Ok(_) => Ok(0),
            Err(e) => {
                if !event.is_null() {
                    // SAFETY: non-NULL; the caller passes one writable event.
                    put_event(unsafe { &mut *event }, None);
                }
                Err(e)
            }
        }
    })
}

/// `zmq_poller_fd`: a descriptor that becomes readable when a registered socket may
/// have become ready, whatever its type (libzmq gives one only to pollers holding
/// thread-safe sockets), or a registered descriptor is ready. It stays readable after
/// a `zmq_poller_wait` that found something, and after one that found nothing stays
/// unreadable until something changes.
#[no_mangle]
pub extern "C" fn zmq_poller_fd(poller: *mut c_void, fd: *mut zmq_fd_t) -> c_int {
    ffi_call!(-1, {
        let mut g = poller_of(poller)?;
        if fd.is_null() {
            return Err(Errno::EFAULT);
        }
        let raw = live(&mut g).fd()?;
        // SAFETY: non-NULL; the caller passes where to write the descriptor.
        unsafe { *fd = raw };
        Ok(0)
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ffi::ctx::{zmq_ctx_new, zmq_ctx_term};
    use crate::ffi::socket::{
        zmq_bind, zmq_close, zmq_connect, zmq_recv, zmq_send, zmq_setsockopt, zmq_socket,
    };
    use std::os::fd::RawFd;

    fn readable(fd: RawFd) -> bool {
        let mut p = libc::pollfd {
            fd,
            events: libc::POLLIN,
            revents: 0,
        };
        // SAFETY: one valid pollfd.
        unsafe { libc::poll(&mut p, 1, 0) == 1 }
    }

    fn socket(ctx: *mut c_void, t: c_int) -> *mut c_void {
        let s = zmq_socket(ctx, t);
        assert!(!s.is_null());
        let zero: c_int = 0;
        let rc = zmq_setsockopt(s, ZMQ_LINGER, (&zero as *const c_int).cast(), 4);
        assert_eq!(rc, 0);
        s
    }

    fn wait(poller: *mut c_void, timeout: c_long) -> Option<zmq_poller_event_t> {
        let mut ev = zmq_poller_event_t {
            socket: std::ptr::null_mut(),
            fd: 0,
            user_data: std::ptr::null_mut(),
            events: 0,
        };
        (zmq_poller_wait(poller, &mut ev, timeout) == 0).then_some(ev)
    }

    /// This library's poller descriptor serves any socket type and plain
    /// descriptors too (libzmq's only thread-safe sockets), readable while a wait
    /// would find something.
    #[test]
    fn poller_fd_serves_every_socket_and_descriptor() {
        let ctx = zmq_ctx_new();
        let a = socket(ctx, ZMQ_PAIR);
        let b = socket(ctx, ZMQ_PAIR);
        assert_eq!(zmq_bind(a, c"inproc://poller-fd".as_ptr()), 0);
        assert_eq!(zmq_connect(b, c"inproc://poller-fd".as_ptr()), 0);
        let mut poller = zmq_poller_new();
        assert_eq!(
            zmq_poller_add(poller, a, std::ptr::null_mut(), ZMQ_POLLIN as c_short),
            0
        );
        let mut fd: zmq_fd_t = -1;
        assert_eq!(zmq_poller_fd(poller, &mut fd), 0);
        // Readable at first (what happened before is unknown), until a wait finds
        // nothing.
        assert!(readable(fd));
        assert!(wait(poller, 0).is_none());
        assert!(!readable(fd));
        assert_eq!(zmq_send(b, c"x".as_ptr().cast(), 1, 0), 1);
        assert!(readable(fd));
        let ev = wait(poller, 0).expect("the message");
        assert_eq!(ev.socket, a);
        // Still ready (not read): the descriptor stays readable.
        assert!(readable(fd));
        assert!(wait(poller, 0).is_some());
        let mut buf = [0u8; 4];
        assert_eq!(zmq_recv(a, buf.as_mut_ptr().cast(), 4, 0), 1);
        assert!(wait(poller, 0).is_none());
        assert!(!readable(fd));

        // A plain descriptor registered in the poller drives it too.
        let mut p = [0; 2];
        // SAFETY: a two-int array for pipe(2).
        assert_eq!(unsafe { libc::pipe(p.as_mut_ptr()) }, 0);
        assert_eq!(
            zmq_poller_add_fd(poller, p[0], std::ptr::null_mut(), ZMQ_POLLIN as c_short),
            0
        );
        assert!(!readable(fd));
        // SAFETY: writing one byte from a live buffer to our pipe.
        assert_eq!(unsafe { libc::write(p[1], b"x".as_ptr().cast(), 1) }, 1);
        assert!(readable(fd));
        assert_eq!(wait(poller, 0).expect("the pipe").fd, p[0]);
        assert_eq!(zmq_poller_remove_fd(poller, p[0]), 0);
        assert!(wait(poller, 0).is_none());
        assert!(!readable(fd), "a removed descriptor no longer drives it");

        assert_eq!(zmq_poller_destroy(&mut poller), 0);
        // SAFETY: closing the pipe we made.
        unsafe {
            libc::close(p[0]);
            libc::close(p[1]);
        }
        assert_eq!(zmq_close(a), 0);
        assert_eq!(zmq_close(b), 0);
        assert_eq!(zmq_ctx_term(ctx), 0);
    }

    /// A socket found not ready is skipped while nothing happens to it, but one
    /// made ready by the application's own call (no notification at all) is seen:
    /// a REQ can send again once it has read its reply.
    #[test]
    fn a_socket_made_ready_by_its_own_call_is_seen() {
        let ctx = zmq_ctx_new();
        let req = socket(ctx, ZMQ_REQ);
        let rep = socket(ctx, ZMQ_REP);
        assert_eq!(zmq_bind(rep, c"inproc://own-call".as_ptr()), 0);
        assert_eq!(zmq_connect(req, c"inproc://own-call".as_ptr()), 0);
        let mut poller = zmq_poller_new();
        assert_eq!(
            zmq_poller_add(poller, req, std::ptr::null_mut(), ZMQ_POLLOUT as c_short),
            0
        );
        assert!(wait(poller, 0).is_some());
        assert_eq!(zmq_send(req, c"q".as_ptr().cast(), 1, 0), 1);
        assert!(wait(poller, 0).is_none());
        let mut buf = [0u8; 4];
        assert_eq!(zmq_recv(rep, buf.as_mut_ptr().cast(), 4, 0), 1);
        assert_eq!(zmq_send(rep, c"a".as_ptr().cast(), 1, 0), 1);
        // The reply is there, but a REQ may send only once it has read it.
        std::thread::sleep(std::time::Duration::from_millis(20));
        assert!(wait(poller, 0).is_none());
        assert!(wait(poller, 0).is_none());
        assert_eq!(zmq_recv(req, buf.as_mut_ptr().cast(), 4, 0), 1);
        assert_eq!(
            wait(poller, 0).map(|e| e.events),
            Some(ZMQ_POLLOUT as c_short)
        );
        assert_eq!(zmq_poller_destroy(&mut poller), 0);
        assert_eq!(zmq_close(req), 0);
        assert_eq!(zmq_close(rep), 0);
        assert_eq!(zmq_ctx_term(ctx), 0);
    }

    /// Many threads block on one thread-safe socket's poller and receive: each
    /// message wakes someone, none is lost, none is delivered twice.
    #[test]
    fn threads_blocked_on_one_socket_are_all_served() {
        let ctx = zmq_ctx_new();
        let gather = socket(ctx, ZMQ_GATHER);
        let scatter = socket(ctx, ZMQ_SCATTER);
        assert_eq!(zmq_bind(gather, c"inproc://served".as_ptr()), 0);
        assert_eq!(zmq_connect(scatter, c"inproc://served".as_ptr()), 0);
        let g = gather as usize;
        let got = std::sync::Arc::new(parking_lot::Mutex::new(Vec::new()));
        let threads: Vec<_> = (0..4)
            .map(|_| {
                let got = got.clone();
                std::thread::spawn(move || {
                    for _ in 0..25 {
                        let mut b = [0u8; 1];
                        let n = zmq_recv(g as *mut c_void, b.as_mut_ptr().cast(), 1, 0);
                        assert_eq!(n, 1);
                        got.lock().push(b[0]);
                    }
                })
            })
            .collect();
        for i in 0..100u8 {
            assert_eq!(zmq_send(scatter, [i].as_ptr().cast(), 1, 0), 1);
            if i % 10 == 0 {
                std::thread::sleep(std::time::Duration::from_millis(1));
            }
        }
        for t in threads {
            t.join().unwrap();
        }
        let mut all = got.lock().clone();
        all.sort_unstable();
        assert_eq!(all, (0..100u8).collect::<Vec<_>>());
        assert_eq!(zmq_close(gather), 0);
        assert_eq!(zmq_close(scatter), 0);
        assert_eq!(zmq_ctx_term(ctx), 0);
    }

    /// DGRAM's two-part datagrams need a datagram transport (libzmq would run them
    /// as raw bytes over a stream).
    #[test]
    fn dgram_refuses_stream_transports() {
        let ctx = zmq_ctx_new();
        let d = socket(ctx, ZMQ_DGRAM);
        assert_eq!(zmq_bind(d, c"tcp://127.0.0.1:*".as_ptr()), -1);
        assert_eq!(crate::ffi::util::zmq_errno(), ENOCOMPATPROTO);
        assert_eq!(zmq_close(d), 0);
        assert_eq!(zmq_ctx_term(ctx), 0);
    }
}
