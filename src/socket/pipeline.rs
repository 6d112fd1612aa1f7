//! PUSH and PULL (RFC 30): load-balanced out, fair-queued in.

use super::Pattern;
use crate::error::{Errno, ZResult};
use crate::msg::Msg;
use crate::pattern::{FairQueue, LoadBalance};
use crate::pipe::PipeId;
use crate::pipe::{PipeEnd, Pipes};

#[derive(Default)]
pub struct Push {
    lb: LoadBalance,
}

impl Pattern for Push {
    fn attach(&mut self, pipes: &mut Pipes, id: PipeId) {
        self.lb.attach(pipes, id);
    }
    fn read_activated(&mut self, _pipes: &mut Pipes, _id: PipeId) {}
    fn write_activated(&mut self, pipes: &mut Pipes, id: PipeId) {
        self.lb.activated(pipes, id);
    }
    fn terminated(&mut self, _pipes: &mut Pipes, pipe: &PipeEnd) {
        self.lb.terminated(pipe.id);
    }
    fn send(&mut self, pipes: &mut Pipes, msg: &mut Msg) -> ZResult<()> {
        self.lb.send(pipes, msg).map(|_| ())
    }
    fn has_out(&mut self, pipes: &mut Pipes) -> bool {
        self.lb.has_out(pipes)
    }
}

#[derive(Default)]
pub struct Pull {
    fq: FairQueue,
}

impl Pattern for Pull {
    fn attach(&mut self, pipes: &mut Pipes, id: PipeId) {
        self.fq.attach(pipes, id);
    }
    fn read_activated(&mut self, pipes: &mut Pipes, id: PipeId) {
        self.fq.activated(pipes, id);
    }
    fn write_activated(&mut self, _pipes: &mut Pipes, _id: PipeId) {}
    fn terminated(&mut self, _pipes: &mut Pipes, pipe: &PipeEnd) {
        self.fq.terminated(pipe.id);
    }
    fn recv(&mut self, pipes: &mut Pipes) -> ZResult<Msg> {
        self.fq.recv(pipes).map(|(m, _)| m).ok_or(Errno::EAGAIN)
    }
    fn has_in(&mut self, pipes: &mut Pipes) -> bool {
        self.fq.has_in(pipes)
    }
}
