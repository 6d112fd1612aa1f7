//! Message functions of the C API (`zmq_msg_*`).

use std::ffi::{c_char, c_int, c_void, CString};

use super::{ffi_call, handle};
use crate::abi::*;
use crate::error::Errno;
use crate::msg::Msg;

#[no_mangle]
pub extern "C" fn zmq_msg_init(msg: *mut zmq_msg_t) -> c_int {
    ffi_call!(-1, {
        handle::put_msg(msg, Msg::new())?;
        Ok(0)
    })
}

#[no_mangle]
pub extern "C" fn zmq_msg_init_size(msg: *mut zmq_msg_t, size: usize) -> c_int {
    ffi_call!(-1, {
        if msg.is_null() {
            return Err(Errno::EFAULT);
        }
        handle::put_msg(msg, Msg::with_size(size)?)?;
        Ok(0)
    })
}

#[no_mangle]
pub extern "C" fn zmq_msg_init_data(
    msg: *mut zmq_msg_t,
    data: *mut c_void,
    size: usize,
    ffn: Option<zmq_free_fn>,
    hint: *mut c_void,
) -> c_int {
    ffi_call!(-1, {
        if data.is_null() && size > 0 {
            // libzmq asserts here; a clear error is kinder to the host program.
            return Err(Errno::EINVAL);
        }
        let m = match ffn {
            None => Msg::constant(data.cast(), size),
            Some(_) => Msg::from_user(data.cast(), size, ffn, hint),
        };
        handle::put_msg(msg, m)?;
        Ok(0)
    })
}

#[cfg(zmq_draft_api)]
#[no_mangle]
pub extern "C" fn zmq_msg_init_buffer(
    msg: *mut zmq_msg_t,
    buf: *const c_void,
    size: usize,
) -> c_int {
    ffi_call!(-1, {
        let data = handle::bytes(buf, size)?;
        handle::put_msg(msg, Msg::try_from_slice(data)?)?;
        Ok(0)
    })
}

#[no_mangle]
pub extern "C" fn zmq_msg_close(msg: *mut zmq_msg_t) -> c_int {
    ffi_call!(-1, {
        handle::close_msg(msg)?;
        Ok(0)
    })
}

#[no_mangle]
pub extern "C" fn zmq_msg_move(dest: *mut zmq_msg_t, src: *mut zmq_msg_t) -> c_int {
    ffi_call!(-1, {
        handle::msg(src)?;
        handle::msg(dest)?;
        if dest != src {
            let moved = handle::take_msg(src)?;
            handle::store_msg(handle::msg(dest)?, moved);
        }
        Ok(0)
    })
}

#[no_mangle]
pub extern "C" fn zmq_msg_copy(dest: *mut zmq_msg_t, src: *mut zmq_msg_t) -> c_int {
    ffi_call!(-1, {
        let copy = handle::msg(src)?.share();
        handle::store_msg(handle::msg(dest)?, copy);
        Ok(0)
    })
}

#[no_mangle]
pub extern "C" fn zmq_msg_data(msg: *mut zmq_msg_t) -> *mut c_void {
    ffi_call!(std::ptr::null_mut(), {
        Ok(handle::msg(msg)?.data_ptr().cast())
    })
}

#[no_mangle]
pub extern "C" fn zmq_msg_size(msg: *const zmq_msg_t) -> usize {
    ffi_call!(0, { Ok(handle::msg(msg)?.len()) })
}

#[no_mangle]
pub extern "C" fn zmq_msg_more(msg: *const zmq_msg_t) -> c_int {
    ffi_call!(0, { Ok(handle::msg(msg)?.more() as c_int) })
}

#[no_mangle]
pub extern "C" fn zmq_msg_get(msg: *const zmq_msg_t, property: c_int) -> c_int {
    ffi_call!(-1, {
        let m = handle::msg(msg)?;
        match property {
            ZMQ_MORE => Ok(m.more() as c_int),
            // Only messages read from a network connection carry its fd.
            ZMQ_SRCFD => m
                .metadata()
                .and_then(|meta| meta.get("__fd"))
                .and_then(|fd| fd.to_str().ok()?.parse().ok())
                .ok_or(Errno::EINVAL),
            ZMQ_SHARED => Ok(m.is_shared() as c_int),
            _ => Err(Errno::EINVAL),
        }
    })
}

#[no_mangle]
pub extern "C" fn zmq_msg_set(msg: *mut zmq_msg_t, property: c_int, optval: c_int) -> c_int {
    let _ = (property, optval);
    ffi_call!(-1, {
        handle::msg(msg)?;
        // libzmq defines no settable property.
        Err(Errno::EINVAL)
    })
}

#[no_mangle]
pub extern "C" fn zmq_msg_gets(msg: *const zmq_msg_t, property: *const c_char) -> *const c_char {
    ffi_call!(std::ptr::null(), {
        let m = handle::msg(msg)?;
        let name = handle::c_str(property)?;
        let meta = m.metadata().ok_or(Errno::EINVAL)?;
        Ok(meta.get(name).ok_or(Errno::EINVAL)?.as_ptr())
    })
}

#[cfg(zmq_draft_api)]
#[no_mangle]
pub extern "C" fn zmq_msg_set_routing_id(msg: *mut zmq_msg_t, routing_id: u32) -> c_int {
    ffi_call!(-1, {
        let m = handle::msg(msg)?;
        if routing_id == 0 {
            return Err(Errno::EINVAL);
        }
        m.set_routing_id(routing_id);
        Ok(0)
    })
}

#[cfg(zmq_draft_api)]
#[no_mangle]
pub extern "C" fn zmq_msg_routing_id(msg: *mut zmq_msg_t) -> u32 {
    ffi_call!(0, { Ok(handle::msg(msg)?.routing_id()) })
}

#[cfg(zmq_draft_api)]
#[no_mangle]
pub extern "C" fn zmq_msg_set_group(msg: *mut zmq_msg_t, group: *const c_char) -> c_int {
    ffi_call!(-1, {
        let m = handle::msg(msg)?;
        let g = handle::c_str(group)?;
        if g.len() > ZMQ_GROUP_MAX_LENGTH as usize {
            return Err(Errno::EINVAL);
        }
        m.set_group(Some(CString::new(g).map_err(|_| Errno::EINVAL)?));
        Ok(0)
    })
}

#[cfg(zmq_draft_api)]
#[no_mangle]
pub extern "C" fn zmq_msg_group(msg: *mut zmq_msg_t) -> *const c_char {
    ffi_call!(std::ptr::null(), {
        let m = handle::msg(msg)?;
        Ok(m.group().map(|g| g.as_ptr()).unwrap_or(c"".as_ptr()))
    })
}
