//! Message parts a connection decoded and the socket has not taken yet, kept so that
//! only whole messages are handed on, many at a time.

use std::collections::VecDeque;

use crate::msg::Msg;

/// Decoded parts in arrival order; the leading `whole` of them form complete messages.
#[derive(Default)]
pub struct Inbox {
    parts: VecDeque<Msg>,
    /// Leading parts that belong to complete messages (the last of them has no MORE).
    whole: usize,
    /// Payload bytes of all queued parts.
    bytes: usize,
}

impl Inbox {
    #[inline]
    pub fn push(&mut self, msg: Msg) {
        self.bytes += msg.len();
        let last = !msg.more();
        self.parts.push_back(msg);
        if last {
            self.whole = self.parts.len();
        }
    }

    /// The next part of a complete message; None when only an unfinished message (or
    /// nothing) is left.
    #[inline]
    pub fn pop_whole(&mut self) -> Option<Msg> {
        if self.whole == 0 {
            return None;
        }
        self.whole -= 1;
        let msg = self.parts.pop_front()?;
        self.bytes -= msg.len();
        Some(msg)
    }

    /// The next part, complete message or not (for tests and inspection).
    pub fn pop_any(&mut self) -> Option<Msg> {
        let msg = self.parts.pop_front()?;
        self.whole = self.whole.saturating_sub(1);
        self.bytes -= msg.len();
        Some(msg)
    }

    /// Whether a complete message is waiting.
    #[inline]
    pub fn has_whole(&self) -> bool {
        self.whole > 0
    }

    pub fn is_empty(&self) -> bool {
        self.parts.is_empty()
    }

    /// Payload bytes waiting.
    pub fn bytes(&self) -> usize {
        self.bytes
    }

    /// Drops everything (the socket went away).
    pub fn clear(&mut self) {
        self.parts.clear();
        self.whole = 0;
        self.bytes = 0;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::msg::flags;

    fn part(data: &[u8], more: bool) -> Msg {
        let mut m = Msg::from_slice(data);
        if more {
            m.set_flags(flags::MORE);
        }
        m
    }

    #[test]
    fn only_complete_messages_come_out_whole() {
        let mut inbox = Inbox::default();
        inbox.push(part(b"a", true));
        assert!(!inbox.has_whole());
        assert!(inbox.pop_whole().is_none());
        inbox.push(part(b"bc", false));
        inbox.push(part(b"d", true));
        assert_eq!(inbox.bytes(), 4);
        assert_eq!(inbox.pop_whole().unwrap().data(), b"a");
        assert_eq!(inbox.pop_whole().unwrap().data(), b"bc");
        assert!(
            inbox.pop_whole().is_none(),
            "the last message is unfinished"
        );
        assert_eq!(inbox.bytes(), 1);
        assert_eq!(inbox.pop_any().unwrap().data(), b"d");
        assert!(inbox.is_empty());
        assert_eq!(inbox.bytes(), 0);
    }
}
