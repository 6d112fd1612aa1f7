//! Fan-out: sends each message to a chosen set of pipes (PUB, XPUB, RADIO).

use crate::error::{Errno, ZResult};
use crate::msg::Msg;
use crate::pipe::PipeId;
use crate::pipe::Pipes;

/// Delivers a message to many pipes; a pipe without room misses the whole message.
#[derive(Default)]
pub struct Dist {
    /// Pipes receiving the message currently being sent (fixed at its first part).
    targets: Vec<PipeId>,
    more: bool,
}

impl Dist {
    /// True while a multipart message is being sent.
    pub fn in_message(&self) -> bool {
        self.more
    }

    /// Forgets a terminated pipe.
    pub fn terminated(&mut self, id: PipeId) {
        self.targets.retain(|&t| t != id);
    }

    /// Sends one part. At the first part `candidates` chooses the receivers; with
    /// `no_drop`, Err(EAGAIN) if any of them lacks room (and nothing is sent),
    /// otherwise pipes without room are skipped for this message.
    pub fn send(
        &mut self,
        pipes: &mut Pipes,
        msg: &mut Msg,
        candidates: impl FnOnce(&mut Pipes) -> Vec<PipeId>,
        no_drop: bool,
    ) -> ZResult<()> {
        if !self.more {
            let mut chosen = candidates(pipes);
            if no_drop {
                if chosen
                    .iter()
                    .any(|&id| pipes.get_mut(id).is_some_and(|p| !p.check_write()))
                {
                    return Err(Errno::EAGAIN);
                }
            } else {
                chosen.retain(|&id| pipes.get_mut(id).is_some_and(|p| p.check_write()));
            }
            self.targets = chosen;
        }
        self.more = msg.more();
        let msg = std::mem::take(msg);
        if let Some((&last, rest)) = self.targets.split_last() {
            for &id in rest {
                if let Some(p) = pipes.get_mut(id) {
                    p.write(msg.share());
                }
            }
            if let Some(p) = pipes.get_mut(last) {
                p.write(msg);
            }
        }
        if !self.more {
            self.targets.clear();
        }
        Ok(())
    }
}
