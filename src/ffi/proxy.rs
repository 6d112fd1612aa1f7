//! `zmq_proxy`, `zmq_proxy_steerable` and `zmq_device`: forward whole messages between
//! two sockets, copy them to an optional capture socket, obey a control socket.

use std::ffi::{c_int, c_void};

use super::poll::poll_items;
use super::{ffi_call, handle};
use crate::abi::*;
use crate::error::{Errno, ZResult};
use crate::msg::Msg;
use crate::socket::SocketRef;

/// Messages and bytes through one side of the proxy, as STATISTICS reports them.
#[derive(Default, Clone, Copy)]
struct SideStats {
    msgs_in: u64,
    bytes_in: u64,
    msgs_out: u64,
    bytes_out: u64,
}

/// Most messages moved per wake-up before the other side gets its turn.
const BURST: usize = 1000;

/// Moves whole messages from `from` to `to` while some are ready (up to a burst),
/// copying each part to `capture`.
fn forward(
    from: SocketRef,
    to: SocketRef,
    capture: Option<SocketRef>,
    from_stats: &mut SideStats,
    to_stats: &mut SideStats,
) -> ZResult<()> {
    for _ in 0..BURST {
        match forward_one(from, to, capture, from_stats, to_stats) {
            Err(Errno::EAGAIN) => return Ok(()),
            other => other?,
        }
    }
    Ok(())
}

/// Moves one whole message if one is ready (EAGAIN if none).
fn forward_one(
    from: SocketRef,
    to: SocketRef,
    capture: Option<SocketRef>,
    from_stats: &mut SideStats,
    to_stats: &mut SideStats,
) -> ZResult<()> {
    let mut first = true;
    loop {
        // Only the first part may be absent; the rest of a message is always there.
        let mut msg = from.recv(if first { ZMQ_DONTWAIT } else { 0 })?;
        first = false;
        let more = msg.more();
        let len = msg.len() as u64;
        let flags = if more { ZMQ_SNDMORE } else { 0 };
        if let Some(cap) = capture {
            let mut copy = msg.share();
            cap.send(&mut copy, flags)?;
        }
        to.send(&mut msg, flags)?;
        from_stats.msgs_in += 1;
        from_stats.bytes_in += len;
        to_stats.msgs_out += 1;
        to_stats.bytes_out += len;
        if !more {
            return Ok(());
        }
    }
}

enum Control {
    Continue,
    Terminate,
}

/// Handles one command from the control socket.
fn steer(control: SocketRef, paused: &mut bool, stats: &[SideStats; 2]) -> ZResult<Control> {
    let cmd = control.recv(0)?;
    // Drain any further parts: commands are single-part.
    let mut more = cmd.more();
    while more {
        more = control.recv(0)?.more();
    }
    let mut next = Control::Continue;
    match cmd.data() {
        b"PAUSE" => *paused = true,
        b"RESUME" => *paused = false,
        b"TERMINATE" => next = Control::Terminate,
        b"STATISTICS" => {
            let values = [
                stats[0].msgs_in,
                stats[0].bytes_in,
                stats[0].msgs_out,
                stats[0].bytes_out,
                stats[1].msgs_in,
                stats[1].bytes_in,
                stats[1].msgs_out,
                stats[1].bytes_out,
            ];
            for (i, v) in values.iter().enumerate() {
                let mut part = Msg::from_slice(&v.to_ne_bytes());
                let flags = if i + 1 < values.len() { ZMQ_SNDMORE } else { 0 };
                control.send(&mut part, flags)?;
            }
            return Ok(next);
        }
        // libzmq 4.3.5 ignores an unknown command (older versions abort).
        _ => {}
    }
    // As libzmq 4.3.5: a REP control socket answers every other command with an empty
    // message, so a REQ controller can go on.
    if control.lock()?.socket_type == ZMQ_REP {
        control.send(&mut Msg::new(), 0)?;
    }
    Ok(next)
}

fn run_proxy(
    frontend: *mut c_void,
    backend: *mut c_void,
    capture: *mut c_void,
    control: *mut c_void,
) -> ZResult<c_int> {
    if frontend.is_null() || backend.is_null() {
        return Err(Errno::EFAULT);
    }
    let front = handle::socket(frontend)?;
    let back = handle::socket(backend)?;
    let capture = if capture.is_null() {
        None
    } else {
        Some(handle::socket(capture)?)
    };
    let control_sock = if control.is_null() {
        None
    } else {
        Some(handle::socket(control)?)
    };
    let same = frontend == backend;
    let mut items = vec![
        zmq_pollitem_t {
            socket: frontend,
            fd: 0,
            events: ZMQ_POLLIN as i16,
            revents: 0,
        },
        zmq_pollitem_t {
            socket: backend,
            fd: 0,
            events: ZMQ_POLLIN as i16,
            revents: 0,
        },
    ];
    if let Some(_c) = control_sock {
        items.push(zmq_pollitem_t {
            socket: control,
            fd: 0,
            events: ZMQ_POLLIN as i16,
            revents: 0,
        });
    }
    let mut stats = [SideStats::default(); 2];
    let mut paused = false;
    loop {
        poll_items(&mut items, -1)?;
        if let Some(c) = control_sock {
            if items[2].revents & ZMQ_POLLIN as i16 != 0 {
                if let Control::Terminate = steer(c, &mut paused, &stats)? {
                    return Ok(0);
                }
            }
        }
        if paused {
            // Only the control socket is served while paused (only it can pause).
            let mut only_control = [zmq_pollitem_t {
                socket: control,
                fd: 0,
                events: ZMQ_POLLIN as i16,
                revents: 0,
            }];
            poll_items(&mut only_control, -1)?;
            continue;
        }
        let [front_stats, back_stats] = &mut stats;
        if items[0].revents & ZMQ_POLLIN as i16 != 0 {
            if same {
                forward(
                    front,
                    front,
                    capture,
                    front_stats,
                    &mut SideStats::default(),
                )?;
            } else {
                forward(front, back, capture, front_stats, back_stats)?;
            }
        }
        if !same && items[1].revents & ZMQ_POLLIN as i16 != 0 {
            forward(back, front, capture, back_stats, front_stats)?;
        }
    }
}

#[no_mangle]
pub extern "C" fn zmq_proxy(
    frontend: *mut c_void,
    backend: *mut c_void,
    capture: *mut c_void,
) -> c_int {
    ffi_call!(-1, {
        run_proxy(frontend, backend, capture, std::ptr::null_mut())
    })
}

#[no_mangle]
pub extern "C" fn zmq_proxy_steerable(
    frontend: *mut c_void,
    backend: *mut c_void,
    capture: *mut c_void,
    control: *mut c_void,
) -> c_int {
    ffi_call!(-1, { run_proxy(frontend, backend, capture, control) })
}

#[no_mangle]
pub extern "C" fn zmq_device(r#type: c_int, frontend: *mut c_void, backend: *mut c_void) -> c_int {
    let _ = r#type;
    ffi_call!(-1, {
        run_proxy(
            frontend,
            backend,
            std::ptr::null_mut(),
            std::ptr::null_mut(),
        )
    })
}
