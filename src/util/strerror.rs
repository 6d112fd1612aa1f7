//! Error texts of `zmq_strerror`: libzmq's own for its codes, the C library's otherwise.

use std::collections::BTreeSet;
use std::ffi::{c_char, CStr};
use std::sync::{Mutex, PoisonError};

use crate::abi;

/// Text for `code`, as libzmq 4.3.5 words it on Linux. The reference lives forever, so
/// C callers may keep the pointer.
pub fn strerror(code: i32) -> &'static CStr {
    match code {
        abi::EFSM => c"Operation cannot be accomplished in current state",
        abi::ENOCOMPATPROTO => c"The protocol is not compatible with the socket type",
        abi::ETERM => c"Context was terminated",
        abi::EMTHREAD => c"No thread available",
        // libzmq overrides the C library's "No route to host" here.
        libc::EHOSTUNREACH => c"Host unreachable",
        // Includes the ZMQ_HAUSNUMERO-based fallbacks (ENOTSUP, ...): on Linux they are
        // never produced and the C library calls them "Unknown error N", as libzmq does.
        _ => interned(&system_text(code)),
    }
}

/// The C library's text for `code`, in the current locale.
fn system_text(code: i32) -> Vec<u8> {
    let mut buf = vec![0u8; 256];
    loop {
        // SAFETY: buf is writable for buf.len() bytes; the XSI strerror_r writes at most
        // that many bytes, NUL included, and reports ERANGE when the text was truncated.
        let rc = unsafe { libc::strerror_r(code, buf.as_mut_ptr().cast::<c_char>(), buf.len()) };
        if rc == libc::ERANGE && buf.len() < 64 * 1024 {
            buf.resize(buf.len() * 2, 0);
            continue;
        }
        // For unknown codes glibc still fills in "Unknown error N" (and returns EINVAL).
        let len = buf.iter().position(|&b| b == 0).unwrap_or(buf.len());
        buf.truncate(len);
        return buf;
    }
}

/// One leaked copy per distinct text: bounded by the number of texts the C library has
/// (times the locales used), and each pointer handed out stays valid.
fn interned(text: &[u8]) -> &'static CStr {
    static TEXTS: Mutex<BTreeSet<&'static CStr>> = Mutex::new(BTreeSet::new());
    let mut set = TEXTS.lock().unwrap_or_else(PoisonError::into_inner);
    let mut owned = text.to_vec();
    owned.push(0);
    let key = CStr::from_bytes_with_nul(&owned).unwrap_or(c"");
    if let Some(found) = set.get(key) {
        return found;
    }
    let leaked: &'static CStr = Box::leak(key.to_owned().into_boxed_c_str());
    set.insert(leaked);
    leaked
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn libzmq_codes_have_libzmq_texts() {
        assert_eq!(
            strerror(abi::EFSM).to_bytes(),
            b"Operation cannot be accomplished in current state"
        );
        assert_eq!(
            strerror(abi::ENOCOMPATPROTO).to_bytes(),
            b"The protocol is not compatible with the socket type"
        );
        assert_eq!(strerror(abi::ETERM).to_bytes(), b"Context was terminated");
        assert_eq!(strerror(abi::EMTHREAD).to_bytes(), b"No thread available");
        assert_eq!(strerror(libc::EHOSTUNREACH).to_bytes(), b"Host unreachable");
    }

    #[test]
    fn system_codes_come_from_the_c_library() {
        // SAFETY: strerror returns a valid NUL-terminated string; copied before any other call.
        let expected = unsafe { CStr::from_ptr(libc::strerror(libc::EINVAL)) }.to_owned();
        assert_eq!(strerror(libc::EINVAL), expected.as_c_str());
    }

    #[test]
    fn unknown_codes_are_stable_pointers() {
        let code = abi::ZMQ_HAUSNUMERO + 1;
        let first = strerror(code);
        let other = strerror(code + 1);
        assert_ne!(first, other);
        assert!(first.to_bytes().ends_with(code.to_string().as_bytes()));
        assert_eq!(strerror(code).as_ptr(), first.as_ptr());
    }
}
