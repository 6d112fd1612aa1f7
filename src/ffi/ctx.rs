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
        handle::ctx(p)?
            .ctx
            .set(crate::abi::ZMQ_IO_THREADS, io_threads)?;
        Ok(p)
    })
}

#[no_mangle]
pub extern "C" fn zmq_ctx_term(context: *mut c_void) -> c_int {
    ffi_call!(-1, {
        let h = handle::ctx(context)?;
        h.ctx.terminate();
        handle::free_ctx(context);
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
        handle::ctx(context)?.ctx.shutdown();
        Ok(0)
    })
}

#[no_mangle]
pub extern "C" fn zmq_ctx_set(context: *mut c_void, option: c_int, optval: c_int) -> c_int {
    ffi_call!(-1, {
        handle::ctx(context)?.ctx.set(option, optval)?;
        Ok(0)
    })
}

#[no_mangle]
pub extern "C" fn zmq_ctx_get(context: *mut c_void, option: c_int) -> c_int {
    ffi_call!(-1, { handle::ctx(context)?.ctx.get(option) })
}
