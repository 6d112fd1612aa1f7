//! Commands sent to a socket (or an I/O thread) by its peers and its context, and the
//! handle that delivers them and wakes the receiver.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use crossbeam_channel::{Receiver, Sender};

use crate::io::IoCommand;
use crate::pipe::{PeerInfo, PipeEnd};
use crate::signal::Signal;

/// Identity of one pipe end, unique in the process.
pub type PipeId = u64;

/// What a socket or an I/O thread is told by others.
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
    /// The network connection behind this pipe was re-established.
    Hiccup(PipeId),
    /// Work for an I/O thread (listen, connect, stop...).
    Io(Box<IoCommand>),
}

/// Wakes an I/O thread blocked in its poll, once per batch of commands.
pub struct IoWake {
    waker: mio::Waker,
    pending: AtomicBool,
}

impl IoWake {
    pub fn new(waker: mio::Waker) -> IoWake {
        IoWake {
            waker,
            pending: AtomicBool::new(false),
        }
    }

    fn wake(&self) {
        if !self.pending.swap(true, Ordering::AcqRel) {
            let _ = self.waker.wake();
        }
    }

    /// Called by the I/O thread before it drains its commands.
    pub fn reset(&self) {
        self.pending.store(false, Ordering::Release);
    }
}

/// How a mailbox wakes its owner.
#[derive(Clone)]
enum Wake {
    Socket(Arc<Signal>),
    Io(Arc<IoWake>),
}

/// Sends commands to one socket or I/O thread and wakes it.
#[derive(Clone)]
pub struct Mailbox {
    tx: Sender<Command>,
    wake: Wake,
}

impl Mailbox {
    /// A new mailbox of a socket and its receiving end.
    pub fn new(signal: Arc<Signal>) -> (Mailbox, Receiver<Command>) {
        let (tx, rx) = crossbeam_channel::unbounded();
        (
            Mailbox {
                tx,
                wake: Wake::Socket(signal),
            },
            rx,
        )
    }

    /// A new mailbox of an I/O thread and its receiving end.
    pub fn for_io(wake: Arc<IoWake>) -> (Mailbox, Receiver<Command>) {
        let (tx, rx) = crossbeam_channel::unbounded();
        (
            Mailbox {
                tx,
                wake: Wake::Io(wake),
            },
            rx,
        )
    }

    /// Delivers a command; a closed mailbox (receiver gone) drops it.
    pub fn send(&self, cmd: Command) {
        if self.tx.send(cmd).is_ok() {
            match &self.wake {
                Wake::Socket(signal) => signal.notify_command(),
                Wake::Io(io) => io.wake(),
            }
        }
    }
}
