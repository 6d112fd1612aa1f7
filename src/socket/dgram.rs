//! DGRAM: datagrams over udp. Every message is two parts, the peer's address
//! (`ip:port`) then the body; received messages come the same way, with the sender's
//! address. One pipe (the udp endpoint's); not thread-safe, as in libzmq.

use super::Pattern;
use crate::error::{Errno, ZResult};
use crate::msg::Msg;
use crate::pipe::{PipeEnd, PipeId, Pipes};

#[derive(Default)]
pub struct Dgram {
    pipe: Option<PipeId>,
    /// The address part was sent: the body comes next.
    more_out: bool,
}

impl Pattern for Dgram {
    fn attach(&mut self, pipes: &mut Pipes, id: PipeId) {
        if self.pipe.is_none() {
            self.pipe = Some(id);
        } else {
            pipes.remove(id);
        }
    }
    fn read_activated(&mut self, _pipes: &mut Pipes, _id: PipeId) {}
    fn write_activated(&mut self, _pipes: &mut Pipes, _id: PipeId) {}
    fn terminated(&mut self, _pipes: &mut Pipes, pipe: &PipeEnd) {
        if self.pipe == Some(pipe.id) {
            self.pipe = None;
            self.more_out = false;
        }
    }
    fn send(&mut self, pipes: &mut Pipes, msg: &mut Msg) -> ZResult<()> {
        // Exactly two parts: the address with ZMQ_SNDMORE, the body without.
        if msg.more() == self.more_out {
            return Err(Errno::EINVAL);
        }
        let pipe = self
            .pipe
            .and_then(|id| pipes.get_mut(id))
            .ok_or(Errno::EAGAIN)?;
        if !pipe.check_write() {
            return Err(Errno::EAGAIN);
        }
        pipe.write(std::mem::take(msg));
        self.more_out = !self.more_out;
        Ok(())
    }
    fn recv(&mut self, pipes: &mut Pipes) -> ZResult<Msg> {
        let id = self.pipe.ok_or(Errno::EAGAIN)?;
        let pipe = pipes.get_mut(id).ok_or(Errno::EAGAIN)?;
        pipe.read().ok_or(Errno::EAGAIN)
    }
    fn has_in(&mut self, pipes: &mut Pipes) -> bool {
        self.pipe
            .and_then(|id| pipes.get_mut(id))
            .is_some_and(|p| p.check_read())
    }
    fn has_out(&mut self, pipes: &mut Pipes) -> bool {
        self.pipe
            .and_then(|id| pipes.get_mut(id))
            .is_some_and(|p| p.check_write())
    }
}
