//! Utility functions of the C API: version, errno.

use std::os::raw::c_int;

/// Reports the library version, 4.3.5.
#[no_mangle]
pub extern "C" fn zmq_version(major: *mut c_int, minor: *mut c_int, patch: *mut c_int) {
    // SAFETY: each pointer is checked for NULL; libzmq writes through them unconditionally.
    unsafe {
        if !major.is_null() {
            *major = crate::abi::ZMQ_VERSION_MAJOR;
        }
        if !minor.is_null() {
            *minor = crate::abi::ZMQ_VERSION_MINOR;
        }
        if !patch.is_null() {
            *patch = crate::abi::ZMQ_VERSION_PATCH;
        }
    }
}
