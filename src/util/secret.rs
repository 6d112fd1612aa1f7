//! Secret material (CURVE secret keys, PLAIN passwords): never shown by `Debug`, zeroed
//! when dropped, so copies in option snapshots and engines leave nothing behind.

use zeroize::Zeroize;

/// A 32-byte secret key.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct SecretKey([u8; 32]);

impl SecretKey {
    /// Wraps key bytes (the caller's copy is its own to clear).
    pub fn new(bytes: [u8; 32]) -> SecretKey {
        SecretKey(bytes)
    }

    /// The key bytes.
    pub fn bytes(&self) -> &[u8; 32] {
        &self.0
    }

    /// The key bytes, to fill in place.
    pub(crate) fn bytes_mut(&mut self) -> &mut [u8; 32] {
        &mut self.0
    }
}

impl std::fmt::Debug for SecretKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SecretKey(..)")
    }
}

impl Drop for SecretKey {
    fn drop(&mut self) {
        self.0.zeroize();
    }
}

/// Secret bytes of any length (a PLAIN password).
#[derive(Clone, Default, PartialEq, Eq)]
pub struct SecretBytes(Vec<u8>);

impl SecretBytes {
    pub fn new(bytes: Vec<u8>) -> SecretBytes {
        SecretBytes(bytes)
    }

    pub fn bytes(&self) -> &[u8] {
        &self.0
    }
}

impl std::fmt::Debug for SecretBytes {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "SecretBytes({} bytes)", self.0.len())
    }
}

impl Drop for SecretBytes {
    fn drop(&mut self) {
        self.0.zeroize();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_stay_out_of_debug_output() {
        let key = SecretKey::new([0x41; 32]);
        let text = format!("{key:?}");
        assert!(!text.contains("65") && !text.contains('A'), "{text}");
        let pw = SecretBytes::new(b"hunter2".to_vec());
        assert!(!format!("{pw:?}").contains("hunter2"));
        assert_eq!(pw.bytes(), b"hunter2");
    }
}
