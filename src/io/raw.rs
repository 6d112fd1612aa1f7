//! The engine of STREAM connections: no protocol, bytes in and out. Each read becomes
//! one message (carrying the `Peer-Address` property); each message sent is written as
//! is; an empty message closes the connection, as libzmq's raw engine does.

use std::collections::VecDeque;
use std::io::IoSlice;
use std::sync::Arc;

use crate::abi::ZMQ_STREAM;
use crate::msg::{Metadata, Msg, Properties};
use crate::zmtp::{CloseKind, EngineEvent, Inbox};

/// Raw byte engine with the same surface as the ZMTP engine.
pub(crate) struct RawEngine {
    properties: Properties,
    out: Vec<u8>,
    out_pos: usize,
    events: VecDeque<EngineEvent>,
    inbox: Inbox,
    closed: bool,
}

impl RawEngine {
    /// Ready at once: there is no handshake.
    pub(crate) fn new(peer_address: &str) -> RawEngine {
        let metadata = Arc::new(Metadata::new([(
            "Peer-Address".to_string(),
            peer_address.as_bytes().to_vec(),
        )]));
        let properties = Properties::new(metadata.clone());
        let mut events = VecDeque::new();
        events.push_back(EngineEvent::Ready {
            peer_socket_type: ZMQ_STREAM,
            peer_routing_id: Vec::new(),
            metadata,
            version: crate::zmtp::Version::Zmtp31,
        });
        RawEngine {
            properties,
            out: Vec::new(),
            out_pos: 0,
            events,
            inbox: Inbox::default(),
            closed: false,
        }
    }

    pub(crate) fn receive(&mut self, data: &[u8]) {
        if !self.closed {
            let mut msg = Msg::from_slice(data);
            msg.set_properties(&self.properties);
            self.inbox.push(msg);
        }
    }

    pub(crate) fn send(&mut self, msg: &Msg) -> bool {
        if self.closed {
            return true;
        }
        if msg.is_empty() {
            self.close();
        } else {
            self.out.extend_from_slice(msg.data());
        }
        true
    }

    fn close(&mut self) {
        if !self.closed {
            self.closed = true;
            self.events.push_back(EngineEvent::Closed {
                event: 0,
                value: 0,
                reason: "stream closed",
                kind: CloseKind::Connection,
            });
        }
    }

    pub(crate) fn connection_error(&mut self) {
        self.close();
    }

    pub(crate) fn poll_control(&mut self) -> Option<EngineEvent> {
        self.events.pop_front()
    }

    pub(crate) fn inbox(&mut self) -> &mut Inbox {
        &mut self.inbox
    }

    pub(crate) fn output_len(&self) -> usize {
        self.out.len() - self.out_pos
    }

    pub(crate) fn output_slices<'a>(&'a self, slices: &mut [IoSlice<'a>]) -> usize {
        if self.output_len() == 0 || slices.is_empty() {
            return 0;
        }
        slices[0] = IoSlice::new(&self.out[self.out_pos..]);
        1
    }

    pub(crate) fn consume_output(&mut self, n: usize) {
        self.out_pos += n;
        if self.out_pos >= self.out.len() {
            self.out.clear();
            self.out_pos = 0;
        }
    }
}
