//! The socket monitor: events about a socket's connections, published on a PAIR (or
//! PUB/PUSH) socket bound to an inproc endpoint, in libzmq's v1 or v2 message format.

use std::sync::Arc;

use crate::abi::*;
use crate::ctx::Ctx;
use crate::endpoint::{self, Transport};
use crate::error::{Errno, ZResult};
use crate::monitor::{Endpoints, MonitorSink};
use crate::msg::Msg;
use crate::socket::{SocketHandle, SocketRef};

/// An active monitor of one socket.
pub(crate) struct Monitor {
    socket: SocketRef,
    events: u64,
    version: i32,
}

impl Monitor {
    /// Creates the monitor socket and binds it to `addr`, as zmq_socket_monitor does.
    pub(crate) fn start(
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
        let socket = SocketHandle::create(ctx, socket_type)?;
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

    fn emit(&self, event: u64, values: &[u64], at: &Endpoints) {
        if self.events & event == 0 {
            return;
        }
        let mut parts: Vec<Msg> = Vec::new();
        if self.version == 1 {
            let mut head = Vec::with_capacity(6);
            head.extend_from_slice(&(event as u16).to_ne_bytes());
            head.extend_from_slice(&(values.first().copied().unwrap_or(0) as u32).to_ne_bytes());
            parts.push(Msg::from_slice(&head));
            parts.push(Msg::from_slice(at.identifier().as_bytes()));
        } else {
            parts.push(Msg::from_slice(&event.to_ne_bytes()));
            parts.push(Msg::from_slice(&(values.len() as u64).to_ne_bytes()));
            for v in values {
                parts.push(Msg::from_slice(&v.to_ne_bytes()));
            }
            parts.push(Msg::from_slice(at.local.as_bytes()));
            parts.push(Msg::from_slice(at.remote.as_bytes()));
        }
        let last = parts.len() - 1;
        for (i, mut part) in parts.into_iter().enumerate() {
            let flags = ZMQ_DONTWAIT | if i < last { ZMQ_SNDMORE } else { 0 };
            if self.socket.send(&mut part, flags).is_err() {
                return;
            }
        }
    }
}

impl MonitorSink for Monitor {
    fn events(&self) -> u64 {
        self.events
    }

    /// Publishes `event` if it is monitored. Never blocks the monitored socket.
    fn publish(&self, event: u64, values: &[u64], at: &Endpoints) {
        self.emit(event, values, at);
    }

    /// Stops monitoring: reports MONITOR_STOPPED (if monitored) and closes the socket.
    fn stop(self: Box<Self>, send_stopped: bool) {
        if send_stopped {
            self.emit(
                ZMQ_EVENT_MONITOR_STOPPED as u64,
                &[0],
                &Endpoints::default(),
            );
        }
        let _ = self.socket.close();
    }
}
