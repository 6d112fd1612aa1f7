//! Where a socket's monitor is reached from: the I/O threads and the socket report
//! connection events through the socket's `MonitorSlot`, which holds whatever sink
//! `zmq_socket_monitor` installed (the socket layer provides it). A leaf module: it
//! knows nothing of sockets, pipes or I/O.

use std::sync::Arc;

use parking_lot::Mutex;

/// The endpoints an event is about, as libzmq reports them: in v2 events both, in v1
/// events the local one on the binding side and the remote one on the connecting side.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct Endpoints {
    pub(crate) local: String,
    pub(crate) remote: String,
    /// The binding side (a listener or a connection it accepted).
    pub(crate) bound: bool,
}

impl Endpoints {
    /// A listener's endpoint, before any connection.
    pub(crate) fn bound(local: &str) -> Endpoints {
        Endpoints {
            local: local.to_string(),
            remote: String::new(),
            bound: true,
        }
    }

    /// A connect endpoint, before any connection.
    pub(crate) fn connecting(remote: &str) -> Endpoints {
        Endpoints {
            local: String::new(),
            remote: remote.to_string(),
            bound: false,
        }
    }

    /// The single endpoint a v1 event carries.
    pub(crate) fn identifier(&self) -> &str {
        if self.bound {
            &self.local
        } else {
            &self.remote
        }
    }
}

/// A monitor, as installed by `zmq_socket_monitor`.
pub(crate) trait MonitorSink: Send {
    /// The monitored events (a ZMQ_EVENT_* mask).
    fn events(&self) -> u64;
    /// Publishes one event (if monitored); never blocks the monitored socket.
    fn publish(&self, event: u64, values: &[u64], at: &Endpoints);
    /// Ends monitoring, reporting MONITOR_STOPPED first when asked.
    fn stop(self: Box<Self>, send_stopped: bool);
}

/// A socket's monitor, shared with the I/O threads serving its connections. When the
/// last holder lets go (the socket closed and its last listener and session ended), the
/// monitor stops: as in libzmq, every event of a closing socket's endpoints (their
/// ZMQ_EVENT_CLOSED, a lingering session's disconnect) comes before MONITOR_STOPPED.
#[derive(Clone, Default)]
pub(crate) struct MonitorSlot(Arc<Slot>);

#[derive(Default)]
struct Slot(Mutex<Option<Box<dyn MonitorSink>>>);

impl Drop for Slot {
    fn drop(&mut self) {
        if let Some(sink) = self.0.get_mut().take() {
            sink.stop(true);
        }
    }
}

impl MonitorSlot {
    /// Reports an event with one value.
    pub(crate) fn emit(&self, event: i32, value: u64, at: &Endpoints) {
        self.emit_values(event, &[value], at);
    }

    /// Reports an event with several values (v2 carries them all, v1 the first).
    pub(crate) fn emit_values(&self, event: i32, values: &[u64], at: &Endpoints) {
        if let Some(m) = self.0 .0.lock().as_ref() {
            m.publish(event as u32 as u64, values, at);
        }
    }

    /// True when `event` is monitored.
    pub(crate) fn wants(&self, event: i32) -> bool {
        self.0
             .0
            .lock()
            .as_ref()
            .is_some_and(|m| m.events() & event as u32 as u64 != 0)
    }

    /// Installs a new monitor, returning the previous one.
    pub(crate) fn replace(
        &self,
        sink: Option<Box<dyn MonitorSink>>,
    ) -> Option<Box<dyn MonitorSink>> {
        std::mem::replace(&mut *self.0 .0.lock(), sink)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    type Log = Arc<Mutex<Vec<(u64, Vec<u64>, Endpoints)>>>;

    struct Recorder(Log, u64, Arc<Mutex<bool>>);

    impl MonitorSink for Recorder {
        fn events(&self) -> u64 {
            self.1
        }
        fn publish(&self, event: u64, values: &[u64], at: &Endpoints) {
            if self.1 & event != 0 {
                self.0.lock().push((event, values.to_vec(), at.clone()));
            }
        }
        fn stop(self: Box<Self>, _send_stopped: bool) {
            *self.2.lock() = true;
        }
    }

    #[test]
    fn events_reach_the_installed_sink() {
        let slot = MonitorSlot::default();
        slot.emit(1, 7, &Endpoints::bound("tcp://a:1"));
        let log = Arc::new(Mutex::new(Vec::new()));
        let stopped = Arc::new(Mutex::new(false));
        let sink = Recorder(log.clone(), 3, stopped.clone());
        assert!(slot.replace(Some(Box::new(sink))).is_none());
        assert!(slot.wants(2) && !slot.wants(4));
        slot.emit(2, 9, &Endpoints::connecting("tcp://b:2"));
        slot.emit(4, 9, &Endpoints::connecting("tcp://b:2"));
        let got = log.lock().clone();
        assert_eq!(got.len(), 1);
        assert_eq!(got[0].2.identifier(), "tcp://b:2");
        assert_eq!(Endpoints::bound("x").identifier(), "x");
        // The monitor stops when the last holder lets go.
        let held = slot.clone();
        drop(slot);
        assert!(!*stopped.lock());
        held.emit(2, 1, &Endpoints::bound("late"));
        assert_eq!(log.lock().len(), 2);
        drop(held);
        assert!(*stopped.lock());
    }
}
