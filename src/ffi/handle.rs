//! Turning the C API's `void *` and `zmq_msg_t *` arguments into references, with
//! libzmq's errors for bad ones (EFAULT for contexts and messages, ENOTSOCK for sockets).

use std::ffi::{c_char, c_void, CStr};
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Arc;

use crate::abi::zmq_msg_t;
use crate::ctx::Ctx;
use crate::error::{Errno, ZResult};
use crate::msg::Msg;
use crate::socket::SocketHandle;

const CTX_LIVE: u32 = 0xabad_cafe;
const CTX_DEAD: u32 = 0xdead_cafe;

/// What a `void *context` points at.
pub struct CtxHandle {
    tag: AtomicU32,
    pub ctx: Arc<Ctx>,
}

/// Allocates a context handle.
pub fn new_ctx() -> *mut c_void {
    Box::into_raw(Box::new(CtxHandle {
        tag: AtomicU32::new(CTX_LIVE),
        ctx: Ctx::new(),
    }))
    .cast()
}

/// The context behind a handle; EFAULT for NULL or a non-context.
pub fn ctx<'a>(p: *mut c_void) -> ZResult<&'a CtxHandle> {
    if p.is_null() || !(p as usize).is_multiple_of(std::mem::align_of::<CtxHandle>()) {
        return Err(Errno::EFAULT);
    }
    // SAFETY: non-NULL and aligned; the tag tells a live context from anything else,
    // as libzmq's own tag check does.
    let handle = unsafe { &*(p as *const CtxHandle) };
    if handle.tag.load(Ordering::Acquire) != CTX_LIVE {
        return Err(Errno::EFAULT);
    }
    Ok(handle)
}

/// Frees a context handle after termination.
pub fn free_ctx(p: *mut c_void) {
    // SAFETY: `p` was checked by `ctx()` and comes from `new_ctx`; the caller no longer uses it.
    let handle = unsafe { Box::from_raw(p as *mut CtxHandle) };
    handle.tag.store(CTX_DEAD, Ordering::Release);
}

/// The socket behind a handle; ENOTSOCK for NULL, closed or foreign pointers.
pub fn socket(p: *mut c_void) -> ZResult<&'static SocketHandle> {
    if p.is_null() || !(p as usize).is_multiple_of(std::mem::align_of::<SocketHandle>()) {
        return Err(Errno::ENOTSOCK);
    }
    // SAFETY: socket handles are never freed (closed ones are recycled), and the tag
    // tells a live one from anything else.
    let handle = unsafe { &*(p as *const SocketHandle) };
    if !handle.is_live() {
        return Err(Errno::ENOTSOCK);
    }
    Ok(handle)
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

/// The live message stored in a `zmq_msg_t`; EFAULT otherwise.
pub fn msg<'a>(p: *const zmq_msg_t) -> ZResult<&'a mut Msg> {
    if !is_live_msg(p) {
        return Err(Errno::EFAULT);
    }
    // SAFETY: the marker shows a Msg was written here by `put_msg` and not yet closed.
    Ok(unsafe { &mut *(p as *mut Msg) })
}

/// Stores a new message into a `zmq_msg_t` (whatever it held is overwritten, not dropped).
pub fn put_msg(p: *mut zmq_msg_t, m: Msg) -> ZResult<()> {
    if p.is_null() {
        return Err(Errno::EFAULT);
    }
    // SAFETY: zmq_msg_t is 64 bytes aligned to 8, enough for a Msg (asserted in msg.rs).
    unsafe { std::ptr::write(p as *mut Msg, m) };
    Ok(())
}

/// Drops the message in a `zmq_msg_t` and marks it closed.
pub fn close_msg(p: *mut zmq_msg_t) -> ZResult<()> {
    if !is_live_msg(p) {
        return Err(Errno::EFAULT);
    }
    // SAFETY: the marker shows a live Msg; after dropping it we overwrite the marker so
    // a second close is detected.
    unsafe {
        std::ptr::drop_in_place(p as *mut Msg);
        std::ptr::write_unaligned((p as *mut u8).add(Msg::MAGIC_OFFSET) as *mut u32, 0);
    }
    Ok(())
}

/// Takes the message out of a `zmq_msg_t`, leaving an empty one.
pub fn take_msg(p: *mut zmq_msg_t) -> ZResult<Msg> {
    let m = msg(p)?;
    Ok(std::mem::take(m))
}
