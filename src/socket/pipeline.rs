//! PUSH and PULL (RFC 30): load-balanced out, fair-queued in. SCATTER and GATHER
//! (RFC 49, thread-safe draft types) are the same for single-part messages only.

use super::client_server::{recv_single, single_part};
use super::Pattern;
use crate::error::{Errno, ZResult};
use crate::msg::Msg;
use crate::pattern::{FairQueue, LoadBalance};
use crate::pipe::PipeId;
use crate::pipe::{PipeEnd, Pipes};

#[derive(Default)]
pub struct Push {
    lb: LoadBalance,
    /// SCATTER: ZMQ_SNDMORE is refused.
    single_part: bool,
}

impl Push {
    /// SCATTER.
    pub fn scatter() -> Push {
        Push {
            single_part: true,
            ..Push::default()
        }
    }
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
        if self.single_part {
            single_part(msg)?;
        }
        self.lb.send(pipes, msg).map(|_| ())
    }
    fn has_out(&mut self, pipes: &mut Pipes) -> bool {
        self.lb.has_out(pipes)
    }
}

#[derive(Default)]
pub struct Pull {
    fq: FairQueue,
    /// GATHER: the parts of a multipart message from a peer are dropped.
    single_part: bool,
}

impl Pull {
    /// GATHER.
    pub fn gather() -> Pull {
        Pull {
            single_part: true,
            ..Pull::default()
        }
    }
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
        let got = if self.single_part {
            recv_single(&mut self.fq, pipes)
        } else {
            self.fq.recv(pipes)
        };
        got.map(|(m, _)| m).ok_or(Errno::EAGAIN)
    }
    fn has_in(&mut self, pipes: &mut Pipes) -> bool {
        self.fq.has_in(pipes)
    }
}
