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

/// Starts a library thread with every signal blocked from its first instruction (the
/// mask is inherited: it is blocked here around the spawn, then restored), so no
/// signal meant for the application is ever handled on it.
pub(crate) fn spawn_blocking_signals<F>(
    name: String,
    f: F,
) -> std::io::Result<std::thread::JoinHandle<()>>
where
    F: FnOnce() + Send + 'static,
{
    let mut all = MaybeUninit::<libc::sigset_t>::uninit();
    let mut old = MaybeUninit::<libc::sigset_t>::uninit();
    // SAFETY: sigfillset initialises `all`; pthread_sigmask stores the current mask in
    // `old`, which is restored below.
    unsafe {
        libc::sigfillset(all.as_mut_ptr());
        libc::pthread_sigmask(libc::SIG_SETMASK, all.as_ptr(), old.as_mut_ptr());
    }
    let spawned = std::thread::Builder::new().name(name).spawn(f);
    // SAFETY: `old` was filled by the call above.
    unsafe {
        libc::pthread_sigmask(libc::SIG_SETMASK, old.as_ptr(), std::ptr::null_mut());
    }
    spawned
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
