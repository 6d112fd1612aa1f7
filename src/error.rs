//! The crate's error type: an errno value, as libzmq reports every failure.

use crate::abi;

/// An errno value (system or one of libzmq's `ZMQ_HAUSNUMERO`-based codes).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Errno(pub i32);

/// Result of any fallible core operation.
pub type ZResult<T> = Result<T, Errno>;

impl Errno {
    pub const EAGAIN: Errno = Errno(libc::EAGAIN);
    pub const EINVAL: Errno = Errno(libc::EINVAL);
    pub const EFAULT: Errno = Errno(libc::EFAULT);
    pub const EINTR: Errno = Errno(libc::EINTR);
    pub const ENOMEM: Errno = Errno(libc::ENOMEM);
    pub const ENOTSUP: Errno = Errno(libc::ENOTSUP);
    pub const ENOTSOCK: Errno = Errno(libc::ENOTSOCK);
    pub const EMSGSIZE: Errno = Errno(libc::EMSGSIZE);
    pub const EMFILE: Errno = Errno(libc::EMFILE);
    pub const ENOENT: Errno = Errno(libc::ENOENT);
    pub const EADDRINUSE: Errno = Errno(libc::EADDRINUSE);
    pub const ECONNREFUSED: Errno = Errno(libc::ECONNREFUSED);
    pub const EHOSTUNREACH: Errno = Errno(libc::EHOSTUNREACH);
    pub const EPROTONOSUPPORT: Errno = Errno(libc::EPROTONOSUPPORT);
    pub const ENOCOMPATPROTO: Errno = Errno(abi::ENOCOMPATPROTO);
    pub const EFSM: Errno = Errno(abi::EFSM);
    pub const ETERM: Errno = Errno(abi::ETERM);
    pub const EMTHREAD: Errno = Errno(abi::EMTHREAD);
}
