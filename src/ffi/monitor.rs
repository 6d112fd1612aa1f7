//! The socket monitor and the CURVE key functions of the C API (`zmq_curve_keypair`,
//! `zmq_curve_public`).

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

/// Makes a new CURVE key pair and writes both keys as 40 Z85 characters and a NUL
/// (each buffer must hold 41 bytes).
#[no_mangle]
pub extern "C" fn zmq_curve_keypair(
    z85_public_key: *mut c_char,
    z85_secret_key: *mut c_char,
) -> c_int {
    ffi_call!(-1, {
        if z85_public_key.is_null() || z85_secret_key.is_null() {
            return Err(Errno::EINVAL);
        }
        let (public, secret) = crate::zmtp::curve_keypair().ok_or(Errno::EAGAIN)?;
        write_z85_key(z85_public_key, &public)?;
        write_z85_key(z85_secret_key, secret.bytes())?;
        Ok(0)
    })
}

/// Derives the public key of a secret key (both 40 Z85 characters and a NUL).
#[no_mangle]
pub extern "C" fn zmq_curve_public(
    z85_public_key: *mut c_char,
    z85_secret_key: *const c_char,
) -> c_int {
    ffi_call!(-1, {
        if z85_public_key.is_null() || z85_secret_key.is_null() {
            return Err(Errno::EINVAL);
        }
        // SAFETY: non-NULL, and the caller passes a NUL-terminated string.
        let text = unsafe { std::ffi::CStr::from_ptr(z85_secret_key) }.to_bytes();
        if text.len() != 40 {
            return Err(Errno::EINVAL);
        }
        let mut secret = crate::util::secret::SecretKey::default();
        crate::util::z85::decode_into(text, secret.bytes_mut())?;
        let public = crate::zmtp::curve_public_key(&secret);
        write_z85_key(z85_public_key, &public)?;
        Ok(0)
    })
}

/// Writes a key as Z85 text with its NUL into a caller's 41-byte buffer.
fn write_z85_key(dest: *mut c_char, key: &[u8; 32]) -> ZResult<()> {
    // SAFETY: non-NULL (checked by the callers) and, by the API's contract, 41
    // writable bytes.
    let out = unsafe { std::slice::from_raw_parts_mut(dest.cast::<u8>(), 41) };
    let n = crate::util::z85::encode_into(key, out)?;
    out[n] = 0;
    Ok(())
}
