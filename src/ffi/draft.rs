//! Draft socket functions: groups (`zmq_join`, `zmq_leave`), `zmq_connect_peer` and
//! `zmq_socket_get_peer_state`.

use std::ffi::{c_char, c_int, c_void, CStr};

use super::{ffi_call, handle};
use crate::error::{Errno, ZResult};

/// A group name: any bytes up to a NUL (libzmq's are C strings); EINVAL for NULL.
fn group_name<'a>(p: *const c_char) -> ZResult<&'a [u8]> {
    if p.is_null() {
        return Err(Errno::EINVAL);
    }
    // SAFETY: non-NULL, and the C API requires a NUL-terminated string.
    Ok(unsafe { CStr::from_ptr(p) }.to_bytes())
}

#[no_mangle]
pub extern "C" fn zmq_join(s: *mut c_void, group: *const c_char) -> c_int {
    ffi_call!(-1, {
        let sock = handle::socket(s)?;
        let g = group_name(group)?;
        sock.lock()?.join(g, true)?;
        Ok(0)
    })
}

#[no_mangle]
pub extern "C" fn zmq_leave(s: *mut c_void, group: *const c_char) -> c_int {
    ffi_call!(-1, {
        let sock = handle::socket(s)?;
        let g = group_name(group)?;
        sock.lock()?.join(g, false)?;
        Ok(0)
    })
}

/// Connects a PEER socket and returns the routing id of the new peer (0 on failure,
/// with errno set).
#[no_mangle]
pub extern "C" fn zmq_connect_peer(s: *mut c_void, addr: *const c_char) -> u32 {
    ffi_call!(0, {
        let sock = handle::socket(s)?;
        let addr = handle::c_str(addr)?;
        sock.lock()?.connect_peer(addr)
    })
}

/// A ROUTER's view of one peer: ZMQ_POLLOUT when a message to it could be sent now.
#[no_mangle]
pub extern "C" fn zmq_socket_get_peer_state(
    socket: *mut c_void,
    routing_id: *const c_void,
    routing_id_size: usize,
) -> c_int {
    ffi_call!(-1, {
        let sock = handle::socket(socket)?;
        let rid = handle::bytes(routing_id, routing_id_size)?;
        sock.lock()?.peer_state(rid)
    })
}
