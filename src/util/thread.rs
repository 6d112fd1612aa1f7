//! Set-up shared by every thread the library starts, mirroring libzmq's own threads.

use std::mem::MaybeUninit;

/// Blocks every signal on the calling thread, so signals go to the application's threads
/// (libzmq does this first thing in each thread it starts).
pub fn block_all_signals() {
    let mut set = MaybeUninit::<libc::sigset_t>::uninit();
    // SAFETY: sigfillset initialises the set it is given; pthread_sigmask only reads it
    // and accepts a NULL old-set pointer.
    unsafe {
        libc::sigfillset(set.as_mut_ptr());
        libc::pthread_sigmask(libc::SIG_BLOCK, set.as_ptr(), std::ptr::null_mut());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blocks_signals_of_this_thread_only() {
        let blocked = std::thread::spawn(|| {
            block_all_signals();
            let mut current = MaybeUninit::<libc::sigset_t>::uninit();
            // SAFETY: a NULL new set only queries the mask into `current`.
            unsafe {
                libc::pthread_sigmask(libc::SIG_BLOCK, std::ptr::null(), current.as_mut_ptr());
                libc::sigismember(current.as_ptr(), libc::SIGINT) == 1
            }
        })
        .join()
        .unwrap();
        assert!(blocked);
    }
}
