//! Socket functions of the C API: create, close, endpoints, options, send and receive.

use std::ffi::{c_char, c_int, c_void};

use super::{ffi_call, handle};
use crate::abi::*;
use crate::error::{Errno, ZResult};
use crate::msg::Msg;
use crate::socket::SocketHandle;
use crate::ticket::Ticket;

#[no_mangle]
pub extern "C" fn zmq_socket(context: *mut c_void, r#type: c_int) -> *mut c_void {
    ffi_call!(std::ptr::null_mut(), {
        let ctx = handle::ctx(context)?;
        Ok(SocketHandle::create(ctx, r#type)?.as_ptr())
    })
}

#[no_mangle]
pub extern "C" fn zmq_close(s: *mut c_void) -> c_int {
    ffi_call!(-1, {
        handle::socket(s)?.close()?;
        Ok(0)
    })
}

macro_rules! endpoint_fn {
    ($name:ident, $method:ident) => {
        #[no_mangle]
        pub extern "C" fn $name(s: *mut c_void, addr: *const c_char) -> c_int {
            ffi_call!(-1, {
                let sock = handle::socket(s)?;
                let addr = handle::c_str(addr)?;
                sock.lock()?.$method(addr)?;
                Ok(0)
            })
        }
    };
}

endpoint_fn!(zmq_bind, bind);
endpoint_fn!(zmq_connect, connect);
endpoint_fn!(zmq_unbind, unbind);
endpoint_fn!(zmq_disconnect, disconnect);

#[no_mangle]
pub extern "C" fn zmq_setsockopt(
    s: *mut c_void,
    option: c_int,
    optval: *const c_void,
    optvallen: usize,
) -> c_int {
    ffi_call!(-1, {
        let sock = handle::socket(s)?;
        let value = if optval.is_null() && optvallen == 0 {
            None
        } else {
            Some(handle::bytes(optval, optvallen)?)
        };
        sock.lock()?.set_option(option, value)?;
        Ok(0)
    })
}

#[no_mangle]
pub extern "C" fn zmq_getsockopt(
    s: *mut c_void,
    option: c_int,
    optval: *mut c_void,
    optvallen: *mut usize,
) -> c_int {
    ffi_call!(-1, {
        let sock = handle::socket(s)?;
        if optvallen.is_null() {
            return Err(Errno::EFAULT);
        }
        // SAFETY: checked non-NULL; the caller passes the buffer size through it.
        let len = unsafe { *optvallen };
        if optval.is_null() && len > 0 {
            return Err(Errno::EFAULT);
        }
        let out: &mut [u8] = if len == 0 {
            &mut []
        } else {
            // SAFETY: the caller promises `len` writable bytes at `optval`.
            unsafe { std::slice::from_raw_parts_mut(optval.cast(), len) }
        };
        let written = sock.lock()?.get_option(option, out)?;
        // SAFETY: checked non-NULL above.
        unsafe { *optvallen = written };
        Ok(0)
    })
}

fn size_result(len: usize) -> c_int {
    len.min(c_int::MAX as usize) as c_int
}

fn send_msg(s: *mut c_void, mut m: Msg, flags: c_int) -> ZResult<c_int> {
    let sock = handle::socket(s)?;
    let len = m.len();
    sock.send(&mut m, flags)?;
    Ok(size_result(len))
}

#[no_mangle]
pub extern "C" fn zmq_send(s: *mut c_void, buf: *const c_void, len: usize, flags: c_int) -> c_int {
    ffi_call!(-1, {
        let data = handle::bytes(buf, len)?;
        send_msg(s, Msg::try_from_slice(data)?, flags)
    })
}

#[no_mangle]
pub extern "C" fn zmq_send_const(
    s: *mut c_void,
    buf: *const c_void,
    len: usize,
    flags: c_int,
) -> c_int {
    ffi_call!(-1, {
        handle::bytes(buf, len)?;
        send_msg(s, Msg::constant(buf.cast(), len), flags)
    })
}

#[no_mangle]
pub extern "C" fn zmq_recv(s: *mut c_void, buf: *mut c_void, len: usize, flags: c_int) -> c_int {
    ffi_call!(-1, {
        if buf.is_null() && len > 0 {
            return Err(Errno::EFAULT);
        }
        let sock = handle::socket(s)?;
        let m = sock.recv(flags)?;
        let n = m.len().min(len);
        if n > 0 {
            // SAFETY: the caller promises `len` writable bytes at `buf`; n <= len.
            unsafe { std::ptr::copy_nonoverlapping(m.data().as_ptr(), buf.cast::<u8>(), n) };
        }
        Ok(size_result(m.len()))
    })
}

#[no_mangle]
pub extern "C" fn zmq_msg_send(msg: *mut zmq_msg_t, s: *mut c_void, flags: c_int) -> c_int {
    ffi_call!(-1, {
        let sock = handle::socket(s)?;
        let m = handle::msg(msg)?;
        let len = m.len();
        // The payload leaves the `zmq_msg_t` only if the send succeeds.
        let ticket = m.replace_ticket(Ticket::default());
        if let Err(e) = sock.send(m, flags) {
            m.replace_ticket(ticket);
            return Err(e);
        }
        ticket.retire();
        Ok(size_result(len))
    })
}

#[no_mangle]
pub extern "C" fn zmq_msg_recv(msg: *mut zmq_msg_t, s: *mut c_void, flags: c_int) -> c_int {
    ffi_call!(-1, {
        let sock = handle::socket(s)?;
        let slot = handle::msg(msg)?;
        let m = sock.recv(flags)?;
        let len = m.len();
        handle::store_msg(slot, m);
        Ok(size_result(len))
    })
}

#[no_mangle]
pub extern "C" fn zmq_sendmsg(s: *mut c_void, msg: *mut zmq_msg_t, flags: c_int) -> c_int {
    zmq_msg_send(msg, s, flags)
}

#[no_mangle]
pub extern "C" fn zmq_recvmsg(s: *mut c_void, msg: *mut zmq_msg_t, flags: c_int) -> c_int {
    zmq_msg_recv(msg, s, flags)
}

#[no_mangle]
pub extern "C" fn zmq_sendiov(
    s: *mut c_void,
    iov: *mut libc::iovec,
    count: usize,
    flags: c_int,
) -> c_int {
    ffi_call!(-1, {
        let sock = handle::socket(s)?;
        if iov.is_null() || count == 0 {
            return Err(Errno::EINVAL);
        }
        // SAFETY: the caller passes `count` iovecs.
        let parts = unsafe { std::slice::from_raw_parts(iov, count) };
        let mut last = 0;
        for (i, part) in parts.iter().enumerate() {
            let data = handle::bytes(part.iov_base, part.iov_len)?;
            let mut m = Msg::try_from_slice(data)?;
            // As libzmq: the caller's flags apply to every part and SNDMORE is cleared
            // on the last, so without SNDMORE each buffer is a message of its own.
            let part_flags = if i + 1 < count {
                flags
            } else {
                flags & !ZMQ_SNDMORE
            };
            sock.send(&mut m, part_flags)?;
            last = size_result(data.len());
        }
        Ok(last)
    })
}

#[no_mangle]
pub extern "C" fn zmq_recviov(
    s: *mut c_void,
    iov: *mut libc::iovec,
    count: *mut usize,
    flags: c_int,
) -> c_int {
    ffi_call!(-1, {
        let sock = handle::socket(s)?;
        // SAFETY: read only when non-NULL.
        if iov.is_null() || count.is_null() || unsafe { *count } == 0 {
            return Err(Errno::EINVAL);
        }
        // SAFETY: checked non-NULL; holds the capacity of `iov`.
        let capacity = unsafe { *count };
        // SAFETY: as above.
        unsafe { *count = 0 };
        let mut nread = 0;
        let mut more = true;
        while more && nread < capacity {
            let m = sock.recv(flags)?;
            more = m.more();
            // SAFETY: malloc'd for the caller, who frees it, as libzmq documents.
            let buf = unsafe { libc::malloc(m.len().max(1)) };
            if buf.is_null() {
                return Err(Errno::ENOMEM);
            }
            // SAFETY: `buf` has room for m.len() bytes; iov has `capacity` entries.
            unsafe {
                std::ptr::copy_nonoverlapping(m.data().as_ptr(), buf.cast::<u8>(), m.len());
                let slot = &mut *iov.add(nread);
                slot.iov_base = buf;
                slot.iov_len = m.len();
                *count += 1;
            }
            nread += 1;
        }
        Ok(nread as c_int)
    })
}
