//! A socket's mailbox: what its pipes' peers and connecting peers tell it, queued for
//! the socket's owner thread, which is woken through the socket's signal.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use crossbeam_channel::{Receiver, Sender};

use crate::pipe::{PeerInfo, PipeAcceptor, PipeEnd, PipeEvent, PipeOwner};
use crate::signal::Signal;

/// What a socket is told by others.
pub(crate) enum Command {
    /// Something happened at the other end of one of its pipes.
    Pipe(PipeEvent),
    /// A new pipe to attach (a connecting peer or a network session made it); boxed
    /// so the common commands stay small in the channel.
    Attach(Box<(PipeEnd, PeerInfo)>),
}

/// Sends commands to one socket and wakes it.
pub(crate) struct Mailbox {
    tx: Sender<Command>,
    /// A second receiving end, to empty the queue once the socket is closed.
    rx: Receiver<Command>,
    closed: AtomicBool,
    signal: Arc<Signal>,
}

impl Mailbox {
    /// A new mailbox waking `signal`, and its receiving end.
    pub(crate) fn new(signal: Arc<Signal>) -> (Arc<Mailbox>, Receiver<Command>) {
        let (tx, rx) = crossbeam_channel::unbounded();
        let mailbox = Mailbox {
            tx,
            rx: rx.clone(),
            closed: AtomicBool::new(false),
            signal,
        };
        (Arc::new(mailbox), rx)
    }

    /// Delivers a command and wakes the socket.
    fn send(&self, cmd: Command) {
        if self.tx.send(cmd).is_ok() {
            self.signal.notify_command();
        }
        // A pipe sent to a closed socket must be dropped (its peer then sees it
        // terminated), never left in the queue: the queue is kept alive by the very
        // pipes in it, and their peers would wait for them forever.
        if self.closed.load(Ordering::SeqCst) {
            self.drain();
        }
    }

    /// The socket closed: what is queued now or later is dropped.
    pub(crate) fn close(&self) {
        self.closed.store(true, Ordering::SeqCst);
        self.drain();
    }

    fn drain(&self) {
        while let Ok(cmd) = self.rx.try_recv() {
            drop(cmd);
        }
    }
}

impl PipeOwner for Mailbox {
    fn pipe_event(&self, event: PipeEvent) {
        self.send(Command::Pipe(event));
    }
}

impl PipeAcceptor for Mailbox {
    fn accept_pipe(&self, pipe: PipeEnd, info: PeerInfo) {
        self.send(Command::Attach(Box::new((pipe, info))));
    }
}
