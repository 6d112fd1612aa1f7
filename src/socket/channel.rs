//! CHANNEL (RFC 51): PAIR for single-part messages, thread-safe. One peer; later
//! connections are refused.

use super::client_server::single_part;
use super::Pattern;
use crate::error::{Errno, ZResult};
use crate::msg::Msg;
use crate::pipe::{PipeEnd, PipeId, Pipes};

#[derive(Default)]
pub struct Channel {
    pipe: Option<PipeId>,
}

impl Pattern for Channel {
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
        }
    }
    fn send(&mut self, pipes: &mut Pipes, msg: &mut Msg) -> ZResult<()> {
        single_part(msg)?;
        let pipe = self
            .pipe
            .and_then(|id| pipes.get_mut(id))
            .ok_or(Errno::EAGAIN)?;
        if !pipe.check_write() {
            return Err(Errno::EAGAIN);
        }
        pipe.write(std::mem::take(msg));
        Ok(())
    }
    fn recv(&mut self, pipes: &mut Pipes) -> ZResult<Msg> {
        let id = self.pipe.ok_or(Errno::EAGAIN)?;
        let pipe = pipes.get_mut(id).ok_or(Errno::EAGAIN)?;
        loop {
            let Some(msg) = pipe.read() else {
                if pipe.is_finished() {
                    pipes.mark_finished(id);
                }
                return Err(Errno::EAGAIN);
            };
            if !msg.more() {
                return Ok(msg);
            }
            // A multipart message (from a misbehaving peer) is dropped whole.
            while pipe.read().is_some_and(|m| m.more()) {}
        }
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
