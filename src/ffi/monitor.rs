//! The socket monitor and the CURVE key functions of the C API.

use std::ffi::{c_char, c_int, c_void};

use super::{ffi_call, handle};
use crate::abi::*;
use crate::error::{Errno, ZResult};

fn monitor(
    s: *mut c_void,
    addr: *const c_char,
    events: u64,
    version: c_int,
    r#type: c_int,
) -> ZResult<c_int> {
    let sock = handle::socket(s)?;
    let addr = if addr.is_null() {
        None
    } else {
        Some(handle::c_str(addr)?)
    };
    sock.lock()?.monitor(addr, events, version, r#type)?;
    Ok(0)
}

#[no_mangle]
pub extern "C" fn zmq_socket_monitor(s: *mut c_void, addr: *const c_char, events: c_int) -> c_int {
    ffi_call!(-1, { monitor(s, addr, events as u32 as u64, 1, ZMQ_PAIR) })
}

#[cfg(zmq_draft_api)]
#[no_mangle]
pub extern "C" fn zmq_socket_monitor_versioned(
    s: *mut c_void,
    addr: *const c_char,
    events: u64,
    event_version: c_int,
    r#type: c_int,
) -> c_int {
    ffi_call!(-1, { monitor(s, addr, events, event_version, r#type) })
}

#[cfg(zmq_draft_api)]
#[no_mangle]
pub extern "C" fn zmq_socket_monitor_pipes_stats(s: *mut c_void) -> c_int {
    ffi_call!(-1, {
        handle::socket(s)?.lock()?.pipes_stats()?;
        Ok(0)
    })
}

/// This build has no CURVE mechanism yet (`zmq_has("curve")` is 0): like a libzmq built
/// without CURVE, key generation reports ENOTSUP.
#[no_mangle]
pub extern "C" fn zmq_curve_keypair(
    z85_public_key: *mut c_char,
    z85_secret_key: *mut c_char,
) -> c_int {
    let _ = (z85_public_key, z85_secret_key);
    ffi_call!(-1, { Err::<c_int, _>(Errno::ENOTSUP) })
}

/// See `zmq_curve_keypair`.
#[no_mangle]
pub extern "C" fn zmq_curve_public(
    z85_public_key: *mut c_char,
    z85_secret_key: *const c_char,
) -> c_int {
    let _ = (z85_public_key, z85_secret_key);
    ffi_call!(-1, { Err::<c_int, _>(Errno::ENOTSUP) })
}
