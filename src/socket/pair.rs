//! PAIR (RFC 31): exactly one peer; later connections are refused. CHANNEL (RFC 51,
//! a thread-safe draft type) is the same for single-part messages only.

use super::client_server::single_part;
use super::Pattern;
use crate::error::{Errno, ZResult};
use crate::msg::Msg;
use crate::pipe::PipeId;
use crate::pipe::{PipeEnd, Pipes};

#[derive(Default)]
pub struct Pair {
    pipe: Option<PipeId>,
    /// CHANNEL: ZMQ_SNDMORE is refused, and a multipart message from a misbehaving
    /// peer is dropped whole.
    single_part: bool,
}

impl Pair {
    /// CHANNEL.
    pub fn channel() -> Pair {
        Pair {
            single_part: true,
            ..Pair::default()
        }
    }
}

impl Pattern for Pair {
    fn attach(&mut self, pipes: &mut Pipes, id: PipeId) {
        if self.pipe.is_none() {
            self.pipe = Some(id);
        } else {
            // A second peer is turned away, as libzmq does.
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
        if self.single_part {
            single_part(msg)?;
        }
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
        let spins = pipes.read_spins;
        let pipe = pipes.get_mut(id).ok_or(Errno::EAGAIN)?;
        loop {
            let got = if self.single_part {
                pipe.read()
            } else {
                pipe.read_spinning(spins)
            };
            let Some(msg) = got else {
                if pipe.is_finished() {
                    pipes.mark_finished(id);
                }
                return Err(Errno::EAGAIN);
            };
            if !self.single_part || !msg.more() {
                return Ok(msg);
            }
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
