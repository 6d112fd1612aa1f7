//! Z85 (ZeroMQ RFC 32): 4 binary bytes <-> 5 printable characters, as libzmq checks it.

use crate::error::{Errno, ZResult};

/// The 85 digits, most significant first in each 5-character group.
const ALPHABET: &[u8; 85] =
    b"0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ.-:+=^!/*?&<>()[]{}@%$#";

/// Marks a byte that is not a Z85 digit.
const INVALID: u8 = 0xFF;

/// Digit value of every byte, `INVALID` for bytes outside the alphabet.
const DIGITS: [u8; 256] = {
    let mut table = [INVALID; 256];
    let mut i = 0;
    while i < ALPHABET.len() {
        table[ALPHABET[i] as usize] = i as u8;
        i += 1;
    }
    table
};

/// Characters needed to encode `size` bytes (without NUL), or `None` if `size` is not
/// a multiple of 4.
pub fn encoded_len(size: usize) -> Option<usize> {
    size.is_multiple_of(4).then_some(size / 4 * 5)
}

/// Encodes `data` into `out`, returning the characters written (no NUL is written).
///
/// EINVAL when `data.len()` is not a multiple of 4 or `out` is too short.
pub fn encode_into(data: &[u8], out: &mut [u8]) -> ZResult<usize> {
    let len = encoded_len(data.len()).ok_or(Errno::EINVAL)?;
    if out.len() < len {
        return Err(Errno::EINVAL);
    }
    for (chunk, group) in data.chunks_exact(4).zip(out.chunks_exact_mut(5)) {
        let mut value = u32::from_be_bytes([chunk[0], chunk[1], chunk[2], chunk[3]]);
        for slot in group.iter_mut().rev() {
            *slot = ALPHABET[(value % 85) as usize];
            value /= 85;
        }
    }
    Ok(len)
}

/// Encodes `data` as a Z85 string; EINVAL unless its length is a multiple of 4.
#[cfg(test)]
pub fn encode(data: &[u8]) -> ZResult<String> {
    let mut out = vec![0u8; encoded_len(data.len()).ok_or(Errno::EINVAL)?];
    encode_into(data, &mut out)?;
    // Every byte written comes from the ASCII alphabet.
    Ok(out.into_iter().map(char::from).collect())
}

/// Decodes one 5-character group; `None` for a non-digit or a value above `u32::MAX`.
fn decode_group(group: &[u8]) -> Option<[u8; 4]> {
    let mut value: u64 = 0;
    for &c in group {
        let digit = DIGITS[c as usize];
        if digit == INVALID {
            return None;
        }
        value = value * 85 + u64::from(digit);
    }
    u32::try_from(value).ok().map(u32::to_be_bytes)
}

/// Decodes `text` into `out`, returning the bytes written.
///
/// EINVAL when `text` is empty or not a multiple of 5 long, holds a character outside
/// the alphabet, or a group whose value exceeds 32 bits. Like libzmq, groups before a
/// bad one have already been written to `out` when the error is reported.
pub fn decode_into(text: &[u8], out: &mut [u8]) -> ZResult<usize> {
    if text.len() < 5 || !text.len().is_multiple_of(5) {
        return Err(Errno::EINVAL);
    }
    let len = text.len() / 5 * 4;
    if out.len() < len {
        return Err(Errno::EINVAL);
    }
    for (group, bytes) in text.chunks_exact(5).zip(out.chunks_exact_mut(4)) {
        bytes.copy_from_slice(&decode_group(group).ok_or(Errno::EINVAL)?);
    }
    Ok(len)
}

/// Decodes a Z85 string (see [`decode_into`] for what is rejected).
#[cfg(test)]
pub fn decode(text: &[u8]) -> ZResult<Vec<u8>> {
    let mut out = vec![0u8; text.len() / 5 * 4];
    decode_into(text, &mut out)?;
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The test vector of RFC 32.
    const HELLO: [u8; 8] = [0x86, 0x4F, 0xD2, 0x6F, 0xB5, 0x59, 0xF7, 0x5B];

    #[test]
    fn rfc32_vector() {
        assert_eq!(encode(&HELLO).unwrap(), "HelloWorld");
        assert_eq!(decode(b"HelloWorld").unwrap(), HELLO);
    }

    #[test]
    fn extremes() {
        assert_eq!(encode(&[0; 4]).unwrap(), "00000");
        assert_eq!(encode(&[0xFF; 4]).unwrap(), "%nSc0");
        assert_eq!(decode(b"%nSc0").unwrap(), [0xFF; 4]);
        // One above u32::MAX, and the largest digits everywhere.
        assert_eq!(decode(b"%nSc1"), Err(Errno::EINVAL));
        assert_eq!(decode(b"#####"), Err(Errno::EINVAL));
    }

    #[test]
    fn round_trip_all_byte_values() {
        let data: Vec<u8> = (0..=255u8).collect();
        let text = encode(&data).unwrap();
        assert_eq!(text.len(), 320);
        assert_eq!(decode(text.as_bytes()).unwrap(), data);
    }

    #[test]
    fn lengths_are_checked() {
        assert_eq!(encode(&[1, 2, 3]), Err(Errno::EINVAL));
        assert_eq!(encode(&[]).unwrap(), "");
        // libzmq refuses to decode the empty string although it encodes empty input.
        assert_eq!(decode(b""), Err(Errno::EINVAL));
        assert_eq!(decode(b"abcd"), Err(Errno::EINVAL));
        assert_eq!(decode(b"HelloWorl"), Err(Errno::EINVAL));
        let mut short = [0u8; 4];
        assert_eq!(decode_into(b"HelloWorld", &mut short), Err(Errno::EINVAL));
        assert_eq!(encode_into(&HELLO, &mut [0u8; 9]), Err(Errno::EINVAL));
    }

    #[test]
    fn characters_outside_the_alphabet_are_rejected() {
        for bad in [
            b' ', b'"', b'\'', b',', b';', b'\\', b'_', b'`', b'|', b'~', 0x7F, 0x80, 0x01,
        ] {
            let text = [b'0', b'0', bad, b'0', b'0'];
            assert_eq!(decode(&text), Err(Errno::EINVAL), "byte {bad:#x}");
        }
    }

    #[test]
    fn earlier_groups_are_written_before_an_error() {
        let mut out = [0xAA; 8];
        assert_eq!(decode_into(b"0000z 0000", &mut out), Err(Errno::EINVAL));
        assert_eq!(out, [0, 0, 0, 0x23, 0xAA, 0xAA, 0xAA, 0xAA]);
    }
}
