//! Self-contained helpers behind libzmq's utility API: Z85, timers, clocks, error texts.

pub mod capability;
pub mod clock;
pub mod quarantine;
pub mod secret;
pub mod strerror;
pub mod thread;
pub mod timers;
pub mod z85;
