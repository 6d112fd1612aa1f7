//! Turning the C API's `void *` and `zmq_msg_t *` arguments into references, with
//! libzmq's errors for bad ones (EFAULT for contexts and messages, ENOTSOCK for sockets).

use std::ffi::{c_char, c_void, CStr};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use parking_lot::Mutex;

use crate::abi::zmq_msg_t;
use crate::ctx::Ctx;
use crate::error::{Errno, ZResult};
use crate::msg::Msg;
use crate::socket::{SocketHandle, SocketRef};
use crate::ticket::Ticket;
use crate::util::quarantine::{handle_state, state_tag, Quarantine};

/// Tags of live and terminated context records; negative as C ints (never a valid fd).
const CTX_LIVE: u32 = 0xabad_cafe;
const CTX_DEAD: u32 = 0xdead_cafe;

/// Terminated context records wait behind this many others before reuse (see
/// `util::quarantine`): a stale context handle reads as terminated until then.
static TERMINATED: Quarantine<CtxHandle> = Quarantine::new(4096);

/// What a `void *context` points at: a record that is never freed. `repr(C)`: the
/// state word (tag and generation) comes first, so its first `int` is negative.
#[repr(C)]
pub struct CtxHandle {
    state: AtomicU64,
    ctx: Mutex<Option<Arc<Ctx>>>,
}

/// Allocates a context handle.
pub fn new_ctx() -> *mut c_void {
    let handle: &'static CtxHandle = TERMINATED.reuse().unwrap_or_else(|| {
        Box::leak(Box::new(CtxHandle {
            state: AtomicU64::new(handle_state(CTX_DEAD, 0)),
            ctx: Mutex::new(None),
        }))
    });
    let mut slot = handle.ctx.lock();
    *slot = Some(Ctx::new());
    let generation = (handle.state.load(Ordering::Relaxed) >> 32) as u32;
    handle
        .state
        .store(handle_state(CTX_LIVE, generation), Ordering::Release);
    drop(slot);
    handle as *const CtxHandle as *mut c_void
}

/// The record behind a live context handle; EFAULT for NULL or anything else.
fn ctx_record(p: *mut c_void) -> ZResult<(&'static CtxHandle, u64)> {
    if p.is_null() || !(p as usize).is_multiple_of(std::mem::align_of::<CtxHandle>()) {
        return Err(Errno::EFAULT);
    }
    // SAFETY: non-NULL and aligned; context records are never freed, and the tag tells
    // a live context from anything else, as libzmq's own tag check does.
    let handle = unsafe { &*(p as *const CtxHandle) };
    let state = handle.state.load(Ordering::Acquire);
    if state_tag(state) != CTX_LIVE {
        return Err(Errno::EFAULT);
    }
    Ok((handle, state))
}

/// The context behind a handle; EFAULT for NULL, terminated or foreign pointers.
pub fn ctx(p: *mut c_void) -> ZResult<Arc<Ctx>> {
    let (handle, state) = ctx_record(p)?;
    let slot = handle.ctx.lock();
    match slot.as_ref() {
        Some(ctx) if handle.state.load(Ordering::Relaxed) == state => Ok(ctx.clone()),
        _ => Err(Errno::EFAULT),
    }
}

/// Retires a context handle after termination: it reads as terminated from now on.
/// Returns the handle's reference to the context, for the caller to drop (or, in a
/// forked child, to leak: there the record also stays out of the quarantine, whose
/// lock a thread of the parent may have held at the fork).
pub fn free_ctx(p: *mut c_void, forked: bool) -> ZResult<Option<Arc<Ctx>>> {
    let (handle, state) = ctx_record(p)?;
    let ctx = {
        let mut slot = handle.ctx.lock();
        if handle.state.load(Ordering::Relaxed) != state {
            return Err(Errno::EFAULT);
        }
        let generation = (state >> 32) as u32;
        handle.state.store(
            handle_state(CTX_DEAD, generation.wrapping_add(1)),
            Ordering::Release,
        );
        slot.take()
    };
    if !forked {
        TERMINATED.retire(handle);
    }
    Ok(ctx)
}

/// The socket behind a handle; ENOTSOCK for NULL, closed or foreign pointers.
pub fn socket(p: *mut c_void) -> ZResult<SocketRef> {
    // SAFETY: the C API requires `p` to be NULL or a socket handle; records of closed
    // sockets are never freed.
    unsafe { SocketHandle::from_ptr(p) }
}

/// A C string argument; EINVAL for NULL or invalid UTF-8.
pub fn c_str<'a>(p: *const c_char) -> ZResult<&'a str> {
    if p.is_null() {
        return Err(Errno::EINVAL);
    }
    // SAFETY: non-NULL, and the C API requires a NUL-terminated string.
    unsafe { CStr::from_ptr(p) }
        .to_str()
        .map_err(|_| Errno::EINVAL)
}

/// A byte buffer argument; an empty slice for (NULL, 0), EINVAL for (NULL, n > 0).
pub fn bytes<'a>(p: *const c_void, len: usize) -> ZResult<&'a [u8]> {
    if len == 0 {
        return Ok(&[]);
    }
    if p.is_null() {
        return Err(Errno::EINVAL);
    }
    // SAFETY: the caller promises `len` readable bytes at `p`.
    Ok(unsafe { std::slice::from_raw_parts(p.cast(), len) })
}

/// True when `p` holds a live message.
fn is_live_msg(p: *const zmq_msg_t) -> bool {
    if p.is_null() {
        return false;
    }
    // SAFETY: a zmq_msg_t is 64 readable bytes; we read the marker word only.
    let magic =
        unsafe { std::ptr::read_unaligned((p as *const u8).add(Msg::MAGIC_OFFSET) as *const u32) };
    magic == Msg::MAGIC
}

/// The live message stored in a `zmq_msg_t`; EFAULT otherwise, and for a copy made by
/// value of a `zmq_msg_t` whose payload another copy already gave up (see
/// `crate::ticket`).
pub fn msg<'a>(p: *const zmq_msg_t) -> ZResult<&'a mut Msg> {
    if !is_live_msg(p) {
        return Err(Errno::EFAULT);
    }
    // SAFETY: the marker shows a Msg was written here by `put_msg` and not yet closed.
    let m = unsafe { &mut *(p as *mut Msg) };
    if !m.ticket().is_valid() {
        return Err(Errno::EFAULT);
    }
    Ok(m)
}

/// Gives a message just stored into a `zmq_msg_t` its ticket (in place: a message is
/// 64 bytes, not worth copying around).
#[inline]
fn ticket_in_place(m: &mut Msg, fresh: bool) {
    m.issue_ticket(fresh);
}

/// Stores a message just made into a `zmq_msg_t` (whatever it held is overwritten, not
/// dropped): nothing else holds its payload yet.
pub fn put_msg(p: *mut zmq_msg_t, m: Msg) -> ZResult<()> {
    if p.is_null() {
        return Err(Errno::EFAULT);
    }
    // SAFETY: zmq_msg_t is 64 bytes aligned to 8, enough for a Msg (asserted in msg.rs).
    unsafe {
        std::ptr::write(p as *mut Msg, m);
        // Every message put here was just made (init, init_size, init_data...).
        ticket_in_place(&mut *(p as *mut Msg), true);
    }
    Ok(())
}

/// Replaces the live message `slot` (from `msg`) with `m`, releasing the old one.
#[inline]
pub fn store_msg(slot: &mut Msg, m: Msg) {
    slot.replace_ticket(Ticket::default()).retire();
    *slot = m;
    ticket_in_place(slot, false);
}

/// Drops the message in a `zmq_msg_t` and marks it closed. A copy made by value of a
/// `zmq_msg_t` whose payload was already released is marked closed without touching
/// the payload, and answers EFAULT.
pub fn close_msg(p: *mut zmq_msg_t) -> ZResult<()> {
    if !is_live_msg(p) {
        return Err(Errno::EFAULT);
    }
    let mark_closed = || {
        // SAFETY: 64 writable bytes of the caller's; only the marker word changes.
        unsafe { std::ptr::write_unaligned((p as *mut u8).add(Msg::MAGIC_OFFSET) as *mut u32, 0) }
    };
    // SAFETY: the marker shows a Msg was written here.
    let m = unsafe { &mut *(p as *mut Msg) };
    if !m.ticket().retire() {
        mark_closed();
        return Err(Errno::EFAULT);
    }
    // SAFETY: a live Msg whose payload this `zmq_msg_t` still holds; after dropping it
    // the marker is overwritten so a second close is detected.
    unsafe { std::ptr::drop_in_place(p as *mut Msg) };
    mark_closed();
    Ok(())
}

/// Takes the message out of a `zmq_msg_t`, leaving an empty one.
pub fn take_msg(p: *mut zmq_msg_t) -> ZResult<Msg> {
    let m = msg(p)?;
    m.replace_ticket(Ticket::default()).retire();
    Ok(std::mem::take(m))
}
