//! Fair-queueing: reads whole messages from the active pipes in turn.

use crate::msg::Msg;
use crate::pipe::PipeId;
use crate::pipe::Pipes;

/// Round-robin over pipes that may have messages; a multipart message is read whole
/// from one pipe before moving on.
#[derive(Default)]
pub struct FairQueue {
    active: Vec<PipeId>,
    current: usize,
    more: bool,
}

impl FairQueue {
    /// Adds a newly attached pipe.
    pub fn attach(&mut self, pipes: &mut Pipes, id: PipeId) {
        if let Some(p) = pipes.get_mut(id) {
            p.in_active = true;
            self.active.push(id);
        }
    }

    /// The pipe has messages again.
    pub fn activated(&mut self, pipes: &mut Pipes, id: PipeId) {
        if let Some(p) = pipes.get_mut(id) {
            if !p.in_active {
                p.in_active = true;
                self.active.push(id);
            }
        }
    }

    /// The pipe is gone.
    pub fn terminated(&mut self, id: PipeId) {
        if let Some(i) = self.active.iter().position(|&a| a == id) {
            if i == self.current {
                self.more = false;
            }
            self.active.remove(i);
            if i < self.current {
                self.current -= 1;
            }
        }
    }

    fn deactivate_current(&mut self, pipes: &mut Pipes, id: PipeId) {
        if let Some(p) = pipes.get_mut(id) {
            p.in_active = false;
            if p.is_finished() {
                pipes.mark_finished(id);
            }
        }
        self.active.remove(self.current);
        self.more = false;
    }

    /// Next part and the pipe it came from, or None when nothing is ready.
    #[inline]
    pub fn recv(&mut self, pipes: &mut Pipes) -> Option<(Msg, PipeId)> {
        while !self.active.is_empty() {
            if self.current >= self.active.len() {
                self.current = 0;
            }
            let id = self.active[self.current];
            let spins = if self.active.len() == 1 {
                pipes.read_spins
            } else {
                0
            };
            if let Some(msg) = pipes.get_mut(id).and_then(|p| p.read_spinning(spins)) {
                self.more = msg.more();
                if !self.more {
                    self.current += 1;
                }
                return Some((msg, id));
            }
            self.deactivate_current(pipes, id);
        }
        None
    }

    /// True when a part can be read now.
    pub fn has_in(&mut self, pipes: &mut Pipes) -> bool {
        if self.more {
            return true;
        }
        while !self.active.is_empty() {
            if self.current >= self.active.len() {
                self.current = 0;
            }
            let id = self.active[self.current];
            if pipes.get_mut(id).is_some_and(|p| p.check_read()) {
                return true;
            }
            self.deactivate_current(pipes, id);
        }
        false
    }
}
