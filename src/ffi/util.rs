//! Utility functions of the C API: version, errno and error texts, capabilities, Z85,
//! atomic counters, stopwatches, sleeping, application threads and timers.

use std::collections::BTreeSet;
use std::ffi::CStr;
use std::mem::MaybeUninit;
use std::os::raw::{c_char, c_int, c_long, c_uint, c_ulong, c_void};
use std::ptr;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Mutex, MutexGuard, PoisonError};

use crate::abi::{zmq_thread_fn, zmq_timer_fn};
use crate::error::{Errno, ZResult};
use crate::ffi::ffi_call;
use crate::util::timers::{Pass, TimerId, Timers};
use crate::util::{capability, clock, strerror, thread, z85};

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

// ---- errors and capabilities ----

/// The calling thread's `errno`, for languages that cannot read it directly.
#[no_mangle]
pub extern "C" fn zmq_errno() -> c_int {
    // SAFETY: __errno_location returns the calling thread's errno slot, always valid.
    ffi_call!(-1, { Ok(unsafe { *libc::__errno_location() }) })
}

/// The text of an error code. The pointer stays valid for the life of the process.
#[no_mangle]
pub extern "C" fn zmq_strerror(errnum: c_int) -> *const c_char {
    ffi_call!(ptr::null(), { Ok(strerror::strerror(errnum).as_ptr()) })
}

/// 1 if this library provides `capability` (see `util::capability`), else 0.
#[no_mangle]
pub extern "C" fn zmq_has(capability: *const c_char) -> c_int {
    ffi_call!(0, {
        if capability.is_null() {
            return Ok(0);
        }
        // SAFETY: non-NULL, and the caller passes a NUL-terminated string.
        let name = unsafe { CStr::from_ptr(capability) };
        Ok(c_int::from(capability::has(name.to_bytes())))
    })
}

// ---- Z85 ----

/// Encodes `size` bytes (a multiple of 4) at `data` into `dest`, which must hold
/// `size * 5 / 4 + 1` bytes; writes the NUL terminator and returns `dest`.
#[no_mangle]
pub extern "C" fn zmq_z85_encode(dest: *mut c_char, data: *const u8, size: usize) -> *mut c_char {
    ffi_call!(ptr::null_mut(), {
        let len = z85::encoded_len(size).ok_or(Errno::EINVAL)?;
        // libzmq accepts a NULL `data` for an empty input; it only crashes on the others.
        if dest.is_null() || (data.is_null() && size > 0) {
            return Err(Errno::EINVAL);
        }
        let input: &[u8] = if size == 0 {
            &[]
        } else {
            // SAFETY: non-NULL and, by the contract, `size` readable bytes.
            unsafe { std::slice::from_raw_parts(data, size) }
        };
        // SAFETY: non-NULL and, by the contract, room for len + 1 bytes.
        let out = unsafe { std::slice::from_raw_parts_mut(dest.cast::<u8>(), len + 1) };
        let written = z85::encode_into(input, out)?;
        out[written] = 0;
        Ok(dest)
    })
}

/// Decodes the Z85 string `string` (length a multiple of 5) into `dest`, which must
/// hold `strlen(string) * 4 / 5` bytes; returns `dest`.
#[no_mangle]
pub extern "C" fn zmq_z85_decode(dest: *mut u8, string: *const c_char) -> *mut u8 {
    ffi_call!(ptr::null_mut(), {
        if dest.is_null() || string.is_null() {
            return Err(Errno::EINVAL);
        }
        // SAFETY: non-NULL, and the caller passes a NUL-terminated string.
        let text = unsafe { CStr::from_ptr(string) }.to_bytes();
        // SAFETY: non-NULL and, by the contract, room for the decoded bytes.
        let out = unsafe { std::slice::from_raw_parts_mut(dest, text.len() / 5 * 4) };
        z85::decode_into(text, out)?;
        Ok(dest)
    })
}

// ---- atomic counters ----

/// Counters are 32-bit unsigned cells, as in libzmq; the C API shows them as `int`.
fn counter<'a>(counter: *mut c_void) -> ZResult<&'a AtomicU32> {
    if counter.is_null() {
        return Err(Errno::EFAULT);
    }
    // SAFETY: non-NULL counters come from zmq_atomic_counter_new and live until
    // zmq_atomic_counter_destroy; AtomicU32 is safe to share between threads.
    Ok(unsafe { &*counter.cast::<AtomicU32>() })
}

/// A new counter, initially 0.
#[no_mangle]
pub extern "C" fn zmq_atomic_counter_new() -> *mut c_void {
    ffi_call!(ptr::null_mut(), {
        Ok(Box::into_raw(Box::new(AtomicU32::new(0))).cast::<c_void>())
    })
}

/// Sets the counter to `value`.
#[no_mangle]
pub extern "C" fn zmq_atomic_counter_set(counter: *mut c_void, value: c_int) {
    ffi_call!((), {
        self::counter(counter)?.store(value as u32, Ordering::SeqCst);
        Ok(())
    })
}

/// Adds 1 and returns the value before the increment.
#[no_mangle]
pub extern "C" fn zmq_atomic_counter_inc(counter: *mut c_void) -> c_int {
    ffi_call!(-1, {
        Ok(self::counter(counter)?.fetch_add(1, Ordering::SeqCst) as c_int)
    })
}

/// Subtracts 1 and returns 1 if the counter is still non-zero, 0 if it reached zero.
#[no_mangle]
pub extern "C" fn zmq_atomic_counter_dec(counter: *mut c_void) -> c_int {
    ffi_call!(-1, {
        let before = self::counter(counter)?.fetch_sub(1, Ordering::SeqCst);
        Ok(c_int::from(before.wrapping_sub(1) != 0))
    })
}

/// The counter's current value.
#[no_mangle]
pub extern "C" fn zmq_atomic_counter_value(counter: *mut c_void) -> c_int {
    ffi_call!(-1, {
        Ok(self::counter(counter)?.load(Ordering::SeqCst) as c_int)
    })
}

/// Frees the counter at `*counter_p` and sets `*counter_p` to NULL.
#[no_mangle]
pub extern "C" fn zmq_atomic_counter_destroy(counter_p: *mut *mut c_void) {
    ffi_call!((), {
        if counter_p.is_null() {
            return Ok(());
        }
        // SAFETY: non-NULL; the caller passes the address of a counter variable.
        let counter = unsafe { counter_p.replace(ptr::null_mut()) };
        if !counter.is_null() {
            // SAFETY: a non-NULL counter was made by zmq_atomic_counter_new and is freed once.
            drop(unsafe { Box::from_raw(counter.cast::<AtomicU32>()) });
        }
        Ok(())
    })
}

// ---- stopwatch and sleep ----

/// Starts a stopwatch; free it with `zmq_stopwatch_stop`.
#[no_mangle]
pub extern "C" fn zmq_stopwatch_start() -> *mut c_void {
    ffi_call!(ptr::null_mut(), {
        Ok(Box::into_raw(Box::new(clock::now_us())).cast::<c_void>())
    })
}

/// Microseconds since `zmq_stopwatch_start`, the watch keeps running.
#[no_mangle]
pub extern "C" fn zmq_stopwatch_intermediate(watch: *mut c_void) -> c_ulong {
    ffi_call!(0, {
        if watch.is_null() {
            return Err(Errno::EFAULT);
        }
        // SAFETY: non-NULL watches come from zmq_stopwatch_start and are not yet stopped.
        let start = unsafe { *watch.cast::<u64>() };
        Ok(clock::now_us().saturating_sub(start) as c_ulong)
    })
}

/// Microseconds since `zmq_stopwatch_start`; frees the watch.
#[no_mangle]
pub extern "C" fn zmq_stopwatch_stop(watch: *mut c_void) -> c_ulong {
    ffi_call!(0, {
        if watch.is_null() {
            return Err(Errno::EFAULT);
        }
        // SAFETY: non-NULL watches come from zmq_stopwatch_start and are freed only here.
        let start = *unsafe { Box::from_raw(watch.cast::<u64>()) };
        Ok(clock::now_us().saturating_sub(start) as c_ulong)
    })
}

/// Sleeps `seconds` seconds (like sleep(3), a signal may cut it short).
#[no_mangle]
pub extern "C" fn zmq_sleep(seconds: c_int) {
    ffi_call!((), {
        // A negative time would be a near-endless sleep for sleep(3); take it as none.
        let seconds = c_uint::try_from(seconds).unwrap_or(0);
        // SAFETY: sleep has no memory-safety preconditions.
        unsafe { libc::sleep(seconds) };
        Ok(())
    })
}

// ---- application threads ----

/// What the new thread needs; handed over through pthread_create's argument.
struct ThreadStart {
    func: zmq_thread_fn,
    arg: *mut c_void,
}

/// A thread of `zmq_threadstart`, joined by `zmq_threadclose`.
struct AppThread {
    id: libc::pthread_t,
}

/// Entry point of application threads. A plain pthread (not `std::thread`) so that C
/// code behaves as under libzmq: default stack size, and `pthread_exit` in `func` works,
/// since no Rust frame with cleanup is live during the call.
extern "C" fn app_thread_main(start: *mut c_void) -> *mut c_void {
    // SAFETY: `start` is the Box made by zmq_threadstart, handed to this thread only.
    let ThreadStart { func, arg } = *unsafe { Box::from_raw(start.cast::<ThreadStart>()) };
    thread::block_all_signals();
    // SAFETY: naming the calling thread with a NUL-terminated name under 16 bytes.
    unsafe { libc::pthread_setname_np(libc::pthread_self(), c"ZMQapp".as_ptr()) };
    // SAFETY: the application's thread function, called with its own argument.
    unsafe { func(arg) };
    ptr::null_mut()
}

/// Runs `func(arg)` on a new thread (named "ZMQapp", all signals blocked, as libzmq's);
/// returns a handle for `zmq_threadclose`.
#[no_mangle]
pub extern "C" fn zmq_threadstart(func: Option<zmq_thread_fn>, arg: *mut c_void) -> *mut c_void {
    ffi_call!(ptr::null_mut(), {
        let func = func.ok_or(Errno::EINVAL)?;
        let start = Box::into_raw(Box::new(ThreadStart { func, arg }));
        let mut id = MaybeUninit::<libc::pthread_t>::uninit();
        // SAFETY: `id` is writable, a NULL attr asks for defaults, and the entry point
        // takes ownership of `start` only if the thread is created.
        let rc = unsafe {
            libc::pthread_create(
                id.as_mut_ptr(),
                ptr::null(),
                app_thread_main,
                start.cast::<c_void>(),
            )
        };
        if rc != 0 {
            // SAFETY: no thread was created, so `start` is still ours.
            drop(unsafe { Box::from_raw(start) });
            return Err(Errno(rc));
        }
        // SAFETY: pthread_create succeeded and filled in `id`.
        let id = unsafe { id.assume_init() };
        Ok(Box::into_raw(Box::new(AppThread { id })).cast::<c_void>())
    })
}

/// Waits for a thread of `zmq_threadstart` to finish and frees its handle.
#[no_mangle]
pub extern "C" fn zmq_threadclose(thread: *mut c_void) {
    ffi_call!((), {
        if thread.is_null() {
            return Ok(());
        }
        // SAFETY: non-NULL handles come from zmq_threadstart and are closed once.
        let thread = unsafe { Box::from_raw(thread.cast::<AppThread>()) };
        // SAFETY: the thread is joinable and joined only here.
        unsafe { libc::pthread_join(thread.id, ptr::null_mut()) };
        Ok(())
    })
}

// ---- timers ----

/// A handler as registered by `zmq_timers_add`.
#[derive(Clone, Copy)]
struct TimerHandler {
    func: zmq_timer_fn,
    arg: *mut c_void,
}

/// The object behind a `zmq_timers_new` handle.
struct TimersHandle {
    state: Mutex<TimersState>,
}

struct TimersState {
    timers: Timers<TimerHandler>,
    /// Passes of `zmq_timers_execute` under way (a handler may start a nested one).
    passes: u32,
    /// Destroyed by a handler during a pass: the last pass to end frees the object.
    destroyed: bool,
}

// SAFETY: the raw `arg` pointers are only handed back to the application's handlers;
// the library never dereferences them, so the state may move between threads.
unsafe impl Send for TimersState {}

/// Addresses of the live timer sets. libzmq checks a tag inside the object (EFAULT when
/// it is wrong); looking the address up instead also rejects freed or foreign pointers
/// without reading through them. Holding this lock also keeps any listed set alive.
static LIVE_TIMERS: Mutex<BTreeSet<usize>> = Mutex::new(BTreeSet::new());

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Runs `op` on the live timer set at `timers`; EFAULT if there is none.
fn with_timers<T>(
    timers: *mut c_void,
    op: impl FnOnce(&mut TimersState) -> ZResult<T>,
) -> ZResult<T> {
    let live = lock(&LIVE_TIMERS);
    if !live.contains(&(timers as usize)) {
        return Err(Errno::EFAULT);
    }
    // SAFETY: listed addresses are live TimersHandle boxes, and they are unlisted and
    // freed only while LIVE_TIMERS is held.
    let handle = unsafe { &*timers.cast::<TimersHandle>() };
    let result = op(&mut lock(&handle.state));
    drop(live);
    result
}

/// Runs `op` on a set that has a pass under way (so it is not freed even if a handler
/// destroyed it), under the same lock as every other timers call.
fn with_timers_in_pass<T>(timers: *mut c_void, op: impl FnOnce(&mut TimersState) -> T) -> T {
    let live = lock(&LIVE_TIMERS);
    // SAFETY: the caller's pass keeps the box alive: destroy leaves freeing to the last
    // pass to end when `passes` is non-zero.
    let handle = unsafe { &*timers.cast::<TimersHandle>() };
    let result = op(&mut lock(&handle.state));
    drop(live);
    result
}

/// A new, empty timer set.
#[no_mangle]
pub extern "C" fn zmq_timers_new() -> *mut c_void {
    ffi_call!(ptr::null_mut(), {
        let handle = Box::into_raw(Box::new(TimersHandle {
            state: Mutex::new(TimersState {
                timers: Timers::new(),
                passes: 0,
                destroyed: false,
            }),
        }));
        lock(&LIVE_TIMERS).insert(handle as usize);
        Ok(handle.cast::<c_void>())
    })
}

/// Frees the timer set at `*timers_p` and sets `*timers_p` to NULL; EFAULT if it is not
/// a live set.
#[no_mangle]
pub extern "C" fn zmq_timers_destroy(timers_p: *mut *mut c_void) -> c_int {
    ffi_call!(-1, {
        if timers_p.is_null() {
            return Err(Errno::EFAULT);
        }
        // SAFETY: non-NULL; the caller passes the address of a timers variable.
        let timers = unsafe { *timers_p };
        let mut live = lock(&LIVE_TIMERS);
        if !live.remove(&(timers as usize)) {
            return Err(Errno::EFAULT);
        }
        let free_now = {
            // SAFETY: it was listed until just now, under the lock we still hold.
            let handle = unsafe { &*timers.cast::<TimersHandle>() };
            let mut state = lock(&handle.state);
            state.destroyed = true;
            state.passes == 0
        };
        if free_now {
            // SAFETY: unlisted, no pass under way: nothing else can reach the box.
            drop(unsafe { Box::from_raw(timers.cast::<TimersHandle>()) });
        }
        drop(live);
        // SAFETY: as above, the caller's variable.
        unsafe { *timers_p = ptr::null_mut() };
        Ok(0)
    })
}

/// Adds a timer calling `handler(id, arg)` every `interval` ms; returns its id.
#[no_mangle]
pub extern "C" fn zmq_timers_add(
    timers: *mut c_void,
    interval: usize,
    handler: Option<zmq_timer_fn>,
    arg: *mut c_void,
) -> c_int {
    ffi_call!(-1, {
        with_timers(timers, |state| {
            let func = handler.ok_or(Errno::EFAULT)?;
            let interval = u64::try_from(interval).unwrap_or(u64::MAX);
            let handler = TimerHandler { func, arg };
            Ok(state.timers.add(clock::now_ms(), interval, handler))
        })
    })
}

/// Cancels a timer; EINVAL if it does not exist or is already cancelled.
#[no_mangle]
pub extern "C" fn zmq_timers_cancel(timers: *mut c_void, timer_id: c_int) -> c_int {
    ffi_call!(-1, {
        with_timers(timers, |state| state.timers.cancel(timer_id).map(|()| 0))
    })
}

/// Changes a timer's interval, restarting it now; EINVAL if it does not exist.
#[no_mangle]
pub extern "C" fn zmq_timers_set_interval(
    timers: *mut c_void,
    timer_id: c_int,
    interval: usize,
) -> c_int {
    ffi_call!(-1, {
        let interval = u64::try_from(interval).unwrap_or(u64::MAX);
        with_timers(timers, |state| {
            let now = clock::now_ms();
            state
                .timers
                .set_interval(now, timer_id, interval)
                .map(|()| 0)
        })
    })
}

/// Restarts a timer's interval from now; EINVAL if it does not exist.
#[no_mangle]
pub extern "C" fn zmq_timers_reset(timers: *mut c_void, timer_id: c_int) -> c_int {
    ffi_call!(-1, {
        with_timers(timers, |state| {
            state.timers.reset(clock::now_ms(), timer_id).map(|()| 0)
        })
    })
}

/// Milliseconds until the next timer is due, 0 if one is overdue, -1 if there is none.
#[no_mangle]
pub extern "C" fn zmq_timers_timeout(timers: *mut c_void) -> c_long {
    ffi_call!(-1, {
        with_timers(timers, |state| {
            Ok(state.timers.timeout(clock::now_ms()) as c_long)
        })
    })
}

/// Runs the handlers of the timers that are due, each once, and reschedules them.
#[no_mangle]
pub extern "C" fn zmq_timers_execute(timers: *mut c_void) -> c_int {
    ffi_call!(-1, {
        let now = clock::now_ms();
        let pass: Pass = with_timers(timers, |state| {
            state.passes += 1;
            Ok(state.timers.begin_pass())
        })?;
        loop {
            let next: Option<(TimerId, TimerHandler)> = with_timers_in_pass(timers, |state| {
                if state.destroyed {
                    None
                } else {
                    state.timers.next_due(now, pass)
                }
            });
            let Some((id, handler)) = next else { break };
            // Called with no lock held: the handler may use this set (or any other).
            // SAFETY: the application's handler, called with its own argument.
            unsafe { (handler.func)(id, handler.arg) };
        }
        let free_now = with_timers_in_pass(timers, |state| {
            state.passes -= 1;
            state.passes == 0 && state.destroyed
        });
        if free_now {
            let _live = lock(&LIVE_TIMERS);
            // SAFETY: destroyed during this pass and no other pass is under way, so
            // nothing else can reach the box any more.
            drop(unsafe { Box::from_raw(timers.cast::<TimersHandle>()) });
        }
        Ok(0)
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::AtomicI32;

    fn errno() -> c_int {
        zmq_errno()
    }

    #[test]
    fn z85_through_the_c_interface() {
        let data = [0x86u8, 0x4F, 0xD2, 0x6F, 0xB5, 0x59, 0xF7, 0x5B];
        let mut text = [0x55 as c_char; 11];
        let out = zmq_z85_encode(text.as_mut_ptr(), data.as_ptr(), data.len());
        assert_eq!(out, text.as_mut_ptr());
        // SAFETY: encode wrote a NUL-terminated string into `text`.
        assert_eq!(unsafe { CStr::from_ptr(out) }.to_bytes(), b"HelloWorld");
        let mut back = [0u8; 8];
        assert_eq!(zmq_z85_decode(back.as_mut_ptr(), out), back.as_mut_ptr());
        assert_eq!(back, data);

        assert!(zmq_z85_encode(text.as_mut_ptr(), data.as_ptr(), 7).is_null());
        assert_eq!(errno(), libc::EINVAL);
        assert!(zmq_z85_decode(back.as_mut_ptr(), c"Hello!".as_ptr()).is_null());
        assert_eq!(errno(), libc::EINVAL);
        assert!(zmq_z85_decode(back.as_mut_ptr(), ptr::null()).is_null());
        assert!(zmq_z85_encode(ptr::null_mut(), data.as_ptr(), 8).is_null());
        assert!(!zmq_z85_encode(text.as_mut_ptr(), ptr::null(), 0).is_null());
        assert_eq!(text[0], 0);
    }

    #[test]
    fn counters_follow_libzmq() {
        let mut c = zmq_atomic_counter_new();
        assert_eq!(zmq_atomic_counter_value(c), 0);
        assert_eq!(zmq_atomic_counter_inc(c), 0);
        assert_eq!(zmq_atomic_counter_inc(c), 1);
        assert_eq!(zmq_atomic_counter_dec(c), 1);
        assert_eq!(zmq_atomic_counter_dec(c), 0);
        // Below zero it wraps, and a wrapped value is non-zero.
        assert_eq!(zmq_atomic_counter_dec(c), 1);
        assert_eq!(zmq_atomic_counter_value(c), -1);
        zmq_atomic_counter_set(c, i32::MAX);
        assert_eq!(zmq_atomic_counter_inc(c), i32::MAX);
        assert_eq!(zmq_atomic_counter_value(c), i32::MIN);
        zmq_atomic_counter_destroy(&mut c);
        assert!(c.is_null());
        zmq_atomic_counter_destroy(&mut c);
    }

    #[test]
    fn has_and_strerror() {
        assert_eq!(zmq_has(c"draft".as_ptr()), 1);
        assert_eq!(zmq_has(c"ipc".as_ptr()), 1);
        assert_eq!(zmq_has(c"curve".as_ptr()), 1);
        assert_eq!(zmq_has(ptr::null()), 0);
        // SAFETY: zmq_strerror returns a NUL-terminated static string.
        let text = unsafe { CStr::from_ptr(zmq_strerror(crate::abi::ETERM)) };
        assert_eq!(text.to_bytes(), b"Context was terminated");
    }

    #[test]
    fn stopwatch_counts_microseconds() {
        let watch = zmq_stopwatch_start();
        std::thread::sleep(std::time::Duration::from_millis(2));
        let mid = zmq_stopwatch_intermediate(watch);
        assert!(mid >= 2000);
        assert!(zmq_stopwatch_stop(watch) >= mid);
    }

    unsafe extern "C" fn bump(arg: *mut c_void) {
        // SAFETY: the tests pass a pointer to a live AtomicI32.
        unsafe { &*arg.cast::<AtomicI32>() }.fetch_add(1, Ordering::SeqCst);
    }

    #[test]
    fn threads_run_and_join() {
        let hits = AtomicI32::new(0);
        let arg = ptr::from_ref(&hits).cast_mut().cast::<c_void>();
        let thread = zmq_threadstart(Some(bump), arg);
        assert!(!thread.is_null());
        zmq_threadclose(thread);
        assert_eq!(hits.load(Ordering::SeqCst), 1);
        assert!(zmq_threadstart(None, arg).is_null());
    }

    unsafe extern "C" fn count_timer(_id: c_int, arg: *mut c_void) {
        // SAFETY: the tests pass a pointer to a live AtomicI32.
        unsafe { &*arg.cast::<AtomicI32>() }.fetch_add(1, Ordering::SeqCst);
    }

    /// Destroys the timer set whose handle variable `arg` points to, from a handler.
    unsafe extern "C" fn destroy_timers(_id: c_int, arg: *mut c_void) {
        assert_eq!(zmq_timers_destroy(arg.cast::<*mut c_void>()), 0);
    }

    #[test]
    fn timers_through_the_c_interface() {
        let hits = AtomicI32::new(0);
        let arg = ptr::from_ref(&hits).cast_mut().cast::<c_void>();
        let mut timers = zmq_timers_new();
        assert_eq!(zmq_timers_timeout(timers), -1);
        let id = zmq_timers_add(timers, 0, Some(count_timer), arg);
        assert_eq!(id, 1);
        assert_eq!(zmq_timers_add(timers, 10, None, arg), -1);
        assert_eq!(errno(), libc::EFAULT);
        assert_eq!(zmq_timers_timeout(timers), 0);
        assert_eq!(zmq_timers_execute(timers), 0);
        assert_eq!(hits.load(Ordering::SeqCst), 1);
        assert_eq!(zmq_timers_cancel(timers, 99), -1);
        assert_eq!(errno(), libc::EINVAL);
        assert_eq!(zmq_timers_set_interval(timers, id, 100_000), 0);
        assert!(zmq_timers_timeout(timers) > 99_000);
        assert_eq!(zmq_timers_cancel(timers, id), 0);
        assert_eq!(zmq_timers_timeout(timers), -1);
        assert_eq!(zmq_timers_destroy(&mut timers), 0);
        assert!(timers.is_null());
        assert_eq!(zmq_timers_destroy(&mut timers), -1);
        assert_eq!(errno(), libc::EFAULT);
        let mut bogus = 12345usize as *mut c_void;
        assert_eq!(zmq_timers_execute(bogus), -1);
        assert_eq!(errno(), libc::EFAULT);
        assert_eq!(zmq_timers_destroy(&mut bogus), -1);
    }

    #[test]
    fn a_handler_may_destroy_its_timer_set() {
        let mut timers = zmq_timers_new();
        let var = ptr::from_mut(&mut timers).cast::<c_void>();
        assert_eq!(zmq_timers_add(timers, 0, Some(destroy_timers), var), 1);
        assert_eq!(zmq_timers_add(timers, 0, Some(destroy_timers), var), 2);
        let handle = timers;
        assert_eq!(zmq_timers_execute(handle), 0);
        assert!(timers.is_null());
    }
}
