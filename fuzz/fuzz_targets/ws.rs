//! Fuzz target: arbitrary bytes as WebSocket frames (at a server and at a client,
//! split at a size the input chooses) and as HTTP upgrade heads.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((&split, rest)) = data.split_first() else {
        return;
    };
    let step = 1 + usize::from(split);
    for server in [true, false] {
        if let Some(out) = zmq::fuzzing::ws_decode(rest, server, 1 << 16, step) {
            // ZMTP output never exceeds what arrived by more than its headers.
            assert!(out.len() <= rest.len() * 5 + 16);
        }
    }
    zmq::fuzzing::ws_upgrade(rest);
});
