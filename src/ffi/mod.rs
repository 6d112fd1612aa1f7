//! The C boundary: every `extern "C"` function of the library lives below this module.
//!
//! Each exported body runs inside [`ffi_call!`], which catches panics and turns an
//! `Err(Errno)` into libzmq's failure value with `errno` set through libc.

mod ctx;
pub(crate) mod handle;
mod monitor;
mod msg;
mod poll;
mod proxy;
mod socket;
pub(crate) mod util;

/// Nothing the library does is printed on the host's stderr, not even a panic (which
/// the boundary below turns into an error): this silent hook is installed when the
/// library is loaded. It is the hook of the library's own copy of the Rust runtime: a
/// C program has no other, and a Rust program that loads libzmq.so keeps its own
/// runtime and its own hook.
#[cfg(not(test))]
#[used]
#[link_section = ".init_array"]
static SILENCE_PANICS: extern "C" fn() = silence_panics;

#[cfg(not(test))]
extern "C" fn silence_panics() {
    std::panic::set_hook(Box::new(|_| {}));
}

/// Sets the calling thread's C `errno`, so C code reading `errno` sees it.
pub(crate) fn set_errno(code: i32) {
    // SAFETY: __errno_location returns the calling thread's errno slot, always valid.
    unsafe { *libc::__errno_location() = code };
}

/// Runs a body returning `ZResult<T>`; on `Err(e)` sets errno to `e` and yields `$fail`.
/// A panic never crosses the boundary: it becomes `$fail` with errno EFAULT.
macro_rules! ffi_call {
    ($fail:expr, $body:block) => {{
        let run = std::panic::AssertUnwindSafe(|| -> $crate::error::ZResult<_> { $body });
        match std::panic::catch_unwind(run) {
            Ok(Ok(value)) => value,
            Ok(Err(err)) => {
                $crate::ffi::set_errno(err.0);
                $fail
            }
            Err(_) => {
                $crate::ffi::set_errno(libc::EFAULT);
                $fail
            }
        }
    }};
}
pub(crate) use ffi_call;
