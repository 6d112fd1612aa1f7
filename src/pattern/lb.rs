//! Load-balancing: sends each whole message to the next pipe with room.

use crate::error::{Errno, ZResult};
use crate::msg::Msg;
use crate::pipe::PipeId;
use crate::pipe::Pipes;

/// Round-robin over pipes with room under their high-water mark.
#[derive(Default)]
pub struct LoadBalance {
    active: Vec<PipeId>,
    current: usize,
    more: bool,
    /// The pipe died mid-message: the remaining parts are discarded.
    dropping: bool,
}

impl LoadBalance {
    pub fn attach(&mut self, pipes: &mut Pipes, id: PipeId) {
        if let Some(p) = pipes.get_mut(id) {
            p.out_active = true;
            self.active.push(id);
        }
    }

    /// The pipe has room again.
    pub fn activated(&mut self, pipes: &mut Pipes, id: PipeId) {
        if let Some(p) = pipes.get_mut(id) {
            if !p.out_active && !p.peer_gone {
                p.out_active = true;
                self.active.push(id);
            }
        }
    }

    pub fn terminated(&mut self, id: PipeId) {
        if let Some(i) = self.active.iter().position(|&a| a == id) {
            if i == self.current && self.more {
                self.dropping = true;
            }
            self.active.remove(i);
            if i < self.current {
                self.current -= 1;
            }
        }
    }

    /// Sends one part; Err(EAGAIN) when no pipe has room. Returns the pipe used.
    #[inline]
    pub fn send(&mut self, pipes: &mut Pipes, msg: &mut Msg) -> ZResult<Option<PipeId>> {
        if self.dropping {
            self.more = msg.more();
            self.dropping = self.more;
            *msg = Msg::new();
            return Ok(None);
        }
        while !self.active.is_empty() {
            if self.current >= self.active.len() {
                self.current = 0;
            }
            let id = self.active[self.current];
            if let Some(pipe) = pipes.get_mut(id) {
                if pipe.check_write() {
                    let more = msg.more();
                    pipe.write(std::mem::take(msg));
                    self.more = more;
                    if !more {
                        // Wrapped at once, as libzmq does: a pipe attached now comes
                        // after the others, not next.
                        self.current = (self.current + 1) % self.active.len();
                    }
                    return Ok(Some(id));
                }
                pipe.out_active = false;
            }
            self.active.remove(self.current);
            if self.more {
                // The pipe vanished mid-message: drop the rest of it.
                self.more = msg.more();
                self.dropping = self.more;
                *msg = Msg::new();
                return Ok(None);
            }
        }
        Err(Errno::EAGAIN)
    }

    /// True when a part could be sent now.
    pub fn has_out(&mut self, pipes: &mut Pipes) -> bool {
        if self.more {
            return true;
        }
        while !self.active.is_empty() {
            if self.current >= self.active.len() {
                self.current = 0;
            }
            let id = self.active[self.current];
            if let Some(p) = pipes.get_mut(id) {
                if p.check_write() {
                    return true;
                }
                p.out_active = false;
            }
            self.active.remove(self.current);
        }
        false
    }
}
