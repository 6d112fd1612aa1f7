//! Context functions of the C API.

use std::ffi::{c_int, c_void};

use super::{ffi_call, handle};
use crate::error::Errno;

#[no_mangle]
pub extern "C" fn zmq_ctx_new() -> *mut c_void {
    ffi_call!(std::ptr::null_mut(), { Ok(handle::new_ctx()) })
}

#[no_mangle]
pub extern "C" fn zmq_init(io_threads: c_int) -> *mut c_void {
    ffi_call!(std::ptr::null_mut(), {
        if io_threads < 0 {
            return Err(Errno::EINVAL);
        }
        let p = handle::new_ctx();
        handle::ctx(p)?.set(crate::abi::ZMQ_IO_THREADS, io_threads)?;
        Ok(p)
    })
}

#[no_mangle]
pub extern "C" fn zmq_ctx_term(context: *mut c_void) -> c_int {
    ffi_call!(-1, {
        let ctx = handle::ctx(context)?;
        if ctx.forked() {
            // A forked child: the threads and descriptors belong to the parent. The
            // handle reads as terminated from now on; the rest is left untouched.
            let taken = handle::free_ctx(context, true)?;
            std::mem::forget((ctx, taken));
            return Ok(0);
        }
        ctx.terminate()?;
        drop(ctx);
        drop(handle::free_ctx(context, false)?);
        Ok(0)
    })
}

#[no_mangle]
pub extern "C" fn zmq_ctx_destroy(context: *mut c_void) -> c_int {
    zmq_ctx_term(context)
}

#[no_mangle]
pub extern "C" fn zmq_term(context: *mut c_void) -> c_int {
    zmq_ctx_term(context)
}

#[no_mangle]
pub extern "C" fn zmq_ctx_shutdown(context: *mut c_void) -> c_int {
    ffi_call!(-1, {
        handle::ctx(context)?.shutdown();
        Ok(0)
    })
}

#[no_mangle]
pub extern "C" fn zmq_ctx_set(context: *mut c_void, option: c_int, optval: c_int) -> c_int {
    ffi_call!(-1, {
        handle::ctx(context)?.set(option, optval)?;
        Ok(0)
    })
}

#[no_mangle]
pub extern "C" fn zmq_ctx_get(context: *mut c_void, option: c_int) -> c_int {
    ffi_call!(-1, { handle::ctx(context)?.get(option) })
}

const INT_LEN: usize = std::mem::size_of::<c_int>();

#[cfg(zmq_draft_api)]
#[no_mangle]
pub extern "C" fn zmq_ctx_set_ext(
    context: *mut c_void,
    option: c_int,
    optval: *const c_void,
    optvallen: usize,
) -> c_int {
    ffi_call!(-1, {
        let ctx = handle::ctx(context)?;
        let value = handle::bytes(optval, optvallen)?;
        if option == crate::abi::ZMQ_THREAD_NAME_PREFIX && optvallen != INT_LEN {
            ctx.set_thread_name_prefix(value)?;
            return Ok(0);
        }
        let int = crate::options::int_value(value)?;
        ctx.set(option, int)?;
        Ok(0)
    })
}

#[cfg(zmq_draft_api)]
#[no_mangle]
pub extern "C" fn zmq_ctx_get_ext(
    context: *mut c_void,
    option: c_int,
    optval: *mut c_void,
    optvallen: *mut usize,
) -> c_int {
    ffi_call!(-1, {
        let ctx = handle::ctx(context)?;
        if optval.is_null() || optvallen.is_null() {
            return Err(Errno::EFAULT);
        }
        // SAFETY: checked non-NULL; holds the size of the caller's buffer.
        let len = unsafe { *optvallen };
        if option == crate::abi::ZMQ_THREAD_NAME_PREFIX && len != INT_LEN {
            let prefix = ctx.thread_name_prefix();
            if len < prefix.len() {
                return Err(Errno::EINVAL);
            }
            // SAFETY: the caller's buffer holds `len` >= prefix.len() bytes.
            unsafe {
                std::ptr::copy_nonoverlapping(prefix.as_ptr(), optval.cast::<u8>(), prefix.len());
                *optvallen = prefix.len();
            }
            return Ok(0);
        }
        if len != INT_LEN {
            return Err(Errno::EINVAL);
        }
        let value = ctx.get(option)?;
        // SAFETY: the caller's buffer holds an int.
        unsafe { *(optval as *mut c_int) = value };
        Ok(0)
    })
}
