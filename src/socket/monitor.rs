//! The socket monitor: events about a socket's connections, published on a PAIR (or
//! PUB/PUSH) socket bound to an inproc endpoint, in libzmq's v1 or v2 message format.

use crate::abi::*;
use crate::ctx::Ctx;
use crate::endpoint::{self, Transport};
use crate::error::{Errno, ZResult};
use crate::msg::Msg;
use crate::socket::SocketHandle;
use std::sync::Arc;

use parking_lot::Mutex;

/// A socket's monitor, shared with the I/O threads that report its connections' events.
#[derive(Clone, Default)]
pub struct MonitorSlot(Arc<Mutex<Option<Monitor>>>);

impl MonitorSlot {
    /// Reports an event with one value about `endpoint` (v1 carries the value; v2 all).
    pub fn emit(&self, event: i32, value: u64, endpoint: &str) {
        if let Some(m) = self.0.lock().as_ref() {
            m.emit(event as u32 as u64, &[value], endpoint, "");
        }
    }

    /// True when `event` is monitored.
    pub fn wants(&self, event: i32) -> bool {
        self.0
            .lock()
            .as_ref()
            .is_some_and(|m| m.events & event as u32 as u64 != 0)
    }

    /// Reports an event with several values (v2 carries them all, v1 the first).
    pub fn emit_values(&self, event: i32, values: &[u64], local: &str, remote: &str) {
        if let Some(m) = self.0.lock().as_ref() {
            m.emit(event as u32 as u64, values, local, remote);
        }
    }

    /// Installs a new monitor, returning the previous one.
    pub fn replace(&self, monitor: Option<Monitor>) -> Option<Monitor> {
        std::mem::replace(&mut *self.0.lock(), monitor)
    }
}

/// An active monitor of one socket.
pub struct Monitor {
    socket: &'static SocketHandle,
    events: u64,
    version: i32,
}

impl Monitor {
    /// Creates the monitor socket and binds it to `addr`, as zmq_socket_monitor does.
    pub fn start(
        ctx: Arc<Ctx>,
        addr: &str,
        events: u64,
        version: i32,
        socket_type: i32,
    ) -> ZResult<Monitor> {
        if !(version == 1 || version == 2) || (version == 1 && events >> 16 != 0) {
            return Err(Errno::EINVAL);
        }
        let (transport, _) = endpoint::parse(addr)?;
        if transport != Transport::Inproc {
            return Err(Errno::EPROTONOSUPPORT);
        }
        if !matches!(socket_type, ZMQ_PAIR | ZMQ_PUB | ZMQ_PUSH) {
            return Err(Errno::EINVAL);
        }
        let ptr = SocketHandle::create(ctx, socket_type)?;
        // SAFETY: socket handles are never freed.
        let socket: &'static SocketHandle = unsafe { &*ptr };
        let setup = (|| {
            let mut core = socket.lock()?;
            // Pending events never hold up context termination.
            core.set_option(ZMQ_LINGER, Some(&0i32.to_ne_bytes()))?;
            core.bind(addr)
        })();
        if let Err(e) = setup {
            let _ = socket.close();
            return Err(e);
        }
        Ok(Monitor {
            socket,
            events,
            version,
        })
    }

    /// Publishes `event` if it is monitored. Never blocks the monitored socket.
    pub fn emit(&self, event: u64, values: &[u64], local: &str, remote: &str) {
        if self.events & event == 0 {
            return;
        }
        let mut parts: Vec<Msg> = Vec::new();
        if self.version == 1 {
            let mut head = Vec::with_capacity(6);
            head.extend_from_slice(&(event as u16).to_ne_bytes());
            head.extend_from_slice(&(values.first().copied().unwrap_or(0) as u32).to_ne_bytes());
            parts.push(Msg::from_slice(&head));
            parts.push(Msg::from_slice(local.as_bytes()));
        } else {
            parts.push(Msg::from_slice(&event.to_ne_bytes()));
            parts.push(Msg::from_slice(&(values.len() as u64).to_ne_bytes()));
            for v in values {
                parts.push(Msg::from_slice(&v.to_ne_bytes()));
            }
            parts.push(Msg::from_slice(local.as_bytes()));
            parts.push(Msg::from_slice(remote.as_bytes()));
        }
        let last = parts.len() - 1;
        for (i, mut part) in parts.into_iter().enumerate() {
            let flags = ZMQ_DONTWAIT | if i < last { ZMQ_SNDMORE } else { 0 };
            if self.socket.send(&mut part, flags).is_err() {
                return;
            }
        }
    }

    /// Stops monitoring: reports MONITOR_STOPPED (if monitored) and closes the socket.
    pub fn stop(self, send_stopped: bool) {
        if send_stopped {
            self.emit(ZMQ_EVENT_MONITOR_STOPPED as u64, &[0], "", "");
        }
        let _ = self.socket.close();
    }
}
