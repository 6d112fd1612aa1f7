//! DEALER: load-balanced out, fair-queued in, no envelope handling.

use super::Pattern;
use crate::abi::ZMQ_PROBE_ROUTER;
use crate::error::{Errno, ZResult};
use crate::msg::Msg;
use crate::options::Options;
use crate::pattern::{FairQueue, LoadBalance};
use crate::pipe::PipeId;
use crate::pipe::{PipeEnd, Pipes};

#[derive(Default)]
pub struct Dealer {
    pub(super) fq: FairQueue,
    pub(super) lb: LoadBalance,
    probe_router: bool,
}

impl Dealer {
    pub fn new(_options: &Options) -> Dealer {
        Dealer::default()
    }
}

impl Pattern for Dealer {
    fn attach(&mut self, pipes: &mut Pipes, id: PipeId) {
        if self.probe_router {
            // An empty message tells a ROUTER peer we exist.
            if let Some(p) = pipes.get_mut(id) {
                p.write(Msg::new());
            }
        }
        self.fq.attach(pipes, id);
        self.lb.attach(pipes, id);
    }
    fn read_activated(&mut self, pipes: &mut Pipes, id: PipeId) {
        self.fq.activated(pipes, id);
    }
    fn write_activated(&mut self, pipes: &mut Pipes, id: PipeId) {
        self.lb.activated(pipes, id);
    }
    fn terminated(&mut self, _pipes: &mut Pipes, pipe: &PipeEnd) {
        self.fq.terminated(pipe.id);
        self.lb.terminated(pipe.id);
    }
    fn send(&mut self, pipes: &mut Pipes, msg: &mut Msg) -> ZResult<()> {
        self.lb.send(pipes, msg).map(|_| ())
    }
    fn recv(&mut self, pipes: &mut Pipes) -> ZResult<Msg> {
        self.fq.recv(pipes).map(|(m, _)| m).ok_or(Errno::EAGAIN)
    }
    fn has_in(&mut self, pipes: &mut Pipes) -> bool {
        self.fq.has_in(pipes)
    }
    fn has_out(&mut self, pipes: &mut Pipes) -> bool {
        self.lb.has_out(pipes)
    }
    fn set_option(&mut self, _pipes: &mut Pipes, option: i32, value: &[u8]) -> Option<ZResult<()>> {
        match option {
            // Any non-negative int, as libzmq reads it.
            ZMQ_PROBE_ROUTER => {
                Some(super::router::flag_value(value).map(|v| self.probe_router = v))
            }
            _ => None,
        }
    }
}
