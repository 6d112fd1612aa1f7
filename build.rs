//! Build script: sets the SONAME, the `zmq_draft_api` cfg and (later) generates the header.
fn main() {
    println!("cargo::rustc-check-cfg=cfg(zmq_draft_api)");
    println!("cargo::rustc-cfg=zmq_draft_api");
    println!("cargo::rustc-cdylib-link-arg=-Wl,-soname,libzmq.so.5");
}
