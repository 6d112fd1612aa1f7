//! Placeholder for the ZMTP engine API while it is written; replaced at merge.
#![allow(dead_code, unused_variables)]
use std::sync::Arc;
use std::time::Instant;

pub struct EngineConfig {
    pub socket_type: i32,
    pub routing_id: Vec<u8>,
    pub maxmsgsize: i64,
    pub heartbeat_ivl_ms: i32,
    pub heartbeat_timeout_ms: i32,
    pub heartbeat_ttl_ms: i32,
    pub handshake_ivl_ms: i32,
    pub metadata: Vec<(String, Vec<u8>)>,
    pub peer_address: String,
}
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CloseKind {
    Protocol,
    Timeout,
    Connection,
}
pub enum EngineEvent {
    Ready {
        peer_socket_type: i32,
        peer_routing_id: Vec<u8>,
        metadata: Arc<crate::msg::Metadata>,
    },
    Message(crate::msg::Msg),
    Closed {
        event: i32,
        value: i32,
        reason: &'static str,
        kind: CloseKind,
    },
}
pub struct Engine;
impl Engine {
    pub fn new(cfg: EngineConfig, now: Instant) -> Engine {
        unimplemented!()
    }
    pub fn receive(&mut self, data: &[u8], now: Instant) {}
    pub fn output(&self) -> &[u8] {
        &[]
    }
    pub fn consume_output(&mut self, n: usize) {}
    pub fn send(&mut self, msg: &crate::msg::Msg) -> bool {
        false
    }
    pub fn poll_event(&mut self) -> Option<EngineEvent> {
        None
    }
    pub fn handle_timeout(&mut self, now: Instant) {}
    pub fn next_timeout(&self) -> Option<Instant> {
        None
    }
    pub fn is_ready(&self) -> bool {
        false
    }
    pub fn set_source_fd(&mut self, fd: i32) {}
    pub fn connection_error(&mut self, errno: i32) {}
    pub fn output_len(&self) -> usize {
        0
    }
    pub fn output_slices<'a>(&'a self, slices: &mut [std::io::IoSlice<'a>]) -> usize {
        0
    }
}
