//! Commands sent to a socket by its peers and its context, and the handle that
//! delivers them and wakes the socket.

use std::sync::Arc;

use crossbeam_channel::{Receiver, Sender};

use crate::pipe::{PeerInfo, PipeEnd};
use crate::signal::Signal;

/// Identity of one pipe end, unique in the process.
pub type PipeId = u64;

/// What a socket is told by others.
pub enum Command {
    /// The pipe's inbound queue went from empty to non-empty.
    ActivateRead(PipeId),
    /// The pipe's peer consumed messages: there may be room to write again.
    ActivateWrite(PipeId),
    /// A new pipe to attach (the other end was attached by a connecting or binding peer);
    /// boxed so the common commands stay small in the channel.
    Attach(Box<(PipeEnd, PeerInfo)>),
    /// The peer of this pipe has gone; read what is left, then drop it.
    PipeTerm(PipeId),
}

/// Sends commands to one socket and wakes it.
#[derive(Clone)]
pub struct Mailbox {
    tx: Sender<Command>,
    signal: Arc<Signal>,
}

impl Mailbox {
    /// A new mailbox and its receiving end.
    pub fn new(signal: Arc<Signal>) -> (Mailbox, Receiver<Command>) {
        let (tx, rx) = crossbeam_channel::unbounded();
        (Mailbox { tx, signal }, rx)
    }

    /// Delivers a command; a closed mailbox (socket gone) drops it.
    pub fn send(&self, cmd: Command) {
        if self.tx.send(cmd).is_ok() {
            self.signal.notify();
        }
    }

    pub fn signal(&self) -> &Arc<Signal> {
        &self.signal
    }
}
