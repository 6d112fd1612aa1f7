//! SCATTER and GATHER (RFC 49): PUSH and PULL for single-part messages, thread-safe.

use super::client_server::{recv_single, single_part};
use super::Pattern;
use crate::error::{Errno, ZResult};
use crate::msg::Msg;
use crate::pattern::{FairQueue, LoadBalance};
use crate::pipe::{PipeEnd, PipeId, Pipes};

#[derive(Default)]
pub struct Scatter {
    lb: LoadBalance,
}

impl Pattern for Scatter {
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
        single_part(msg)?;
        self.lb.send(pipes, msg).map(|_| ())
    }
    fn has_out(&mut self, pipes: &mut Pipes) -> bool {
        self.lb.has_out(pipes)
    }
}

#[derive(Default)]
pub struct Gather {
    fq: FairQueue,
}

impl Pattern for Gather {
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
        recv_single(&mut self.fq, pipes)
            .map(|(m, _)| m)
            .ok_or(Errno::EAGAIN)
    }
    fn has_in(&mut self, pipes: &mut Pipes) -> bool {
        self.fq.has_in(pipes)
    }
}
