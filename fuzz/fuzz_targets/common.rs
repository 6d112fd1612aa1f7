//! Helpers shared by the fuzz targets: a peer's greeting, draining an engine, and
//! feeding it input split where the input says, answering its ZAP requests.
#![allow(dead_code)]

use std::time::Instant;

use zmq::fuzzing::{zap_reply, Engine, EngineEvent};

/// A ZMTP 3.1 greeting for `mechanism`, as a server when `as_server`.
pub fn greeting(mechanism: &[u8], as_server: bool) -> Vec<u8> {
    let mut g = vec![0xFF, 0, 0, 0, 0, 0, 0, 0, 1, 0x7F, 3, 1];
    let mut m = [0u8; 20];
    m[..mechanism.len()].copy_from_slice(mechanism);
    g.extend_from_slice(&m);
    g.push(u8::from(as_server));
    g.extend_from_slice(&[0; 31]);
    g
}

/// Everything the engine queued for output.
pub fn output_all(e: &mut Engine) -> Vec<u8> {
    let mut v = Vec::new();
    loop {
        let o = e.output();
        if o.is_empty() {
            return v;
        }
        let n = o.len();
        v.extend_from_slice(o);
        e.consume_output(n);
    }
}

/// Takes every event; ZAP requests get `status`.
pub fn drain(e: &mut Engine, status: &str, now: Instant) {
    while let Some(ev) = e.poll_event() {
        if let EngineEvent::ZapRequest(_) = ev {
            e.zap_reply(&zap_reply(status), now);
        }
    }
}

/// Feeds `prefix` then `data` (split where its first byte says), answering ZAP
/// requests with a status the second byte picks.
pub fn feed(e: &mut Engine, prefix: &[u8], data: &[u8], now: Instant) {
    let status = ["200", "300", "400", "500"][data.get(1).map_or(0, |&b| b as usize % 4)];
    e.receive(prefix, now);
    drain(e, status, now);
    let cut = data.first().map_or(0, |&b| b as usize).min(data.len());
    e.receive(&data[..cut], now);
    drain(e, status, now);
    e.receive(&data[cut..], now);
    drain(e, status, now);
    output_all(e);
    e.handle_timeout(now);
    drain(e, status, now);
}
