//! What `zmq_has` reports: one row per capability name libzmq knows.
//!
//! A row says `true` only once the feature really works in this library; flip it
//! when the transport or mechanism lands.

/// Capability names as libzmq spells them, with whether this build provides them.
pub const CAPABILITIES: &[(&str, bool)] = &[
    ("ipc", true),
    ("pgm", false),
    ("tipc", false),
    ("norm", false),
    ("curve", true),
    ("gssapi", false),
    ("vmci", false),
    // The draft API is always exported, whatever the header shows.
    ("draft", true),
    ("ws", true),
    ("wss", true),
    // Not a name libzmq 4.3 answers (it has udp, but no capability for it): the
    // transport works here, so a program asking learns it can use it.
    ("udp", true),
];

/// Whether `name` (compared byte for byte, case-sensitive, like libzmq's `strcmp`) is
/// available.
pub fn has(name: &[u8]) -> bool {
    CAPABILITIES
        .iter()
        .any(|(cap, on)| *on && cap.as_bytes() == name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_what_works() {
        assert!(has(b"draft"));
        assert!(has(b"ipc"));
        assert!(has(b"udp"));
        assert!(has(b"curve"));
        assert!(has(b"ws"));
        assert!(has(b"wss"));
        for name in ["pgm", "tipc", "norm", "gssapi", "vmci"] {
            assert!(!has(name.as_bytes()), "{name}");
        }
    }

    #[test]
    fn unknown_and_case_variants_are_absent() {
        assert!(!has(b""));
        assert!(!has(b"DRAFT"));
        assert!(!has(b"draft "));
        assert!(!has(b"tcp"));
    }
}
