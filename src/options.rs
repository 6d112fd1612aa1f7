//! Socket options (placeholder subset until the full table lands).

use crate::abi::*;
use crate::error::{Errno, ZResult};

/// Generic socket options.
#[derive(Clone, Debug)]
pub struct Options {
    pub socket_type: i32,
    pub sndhwm: i32,
    pub rcvhwm: i32,
    pub linger: i32,
    pub sndtimeo: i32,
    pub rcvtimeo: i32,
    pub routing_id: Vec<u8>,
    pub connect_routing_id: Vec<u8>,
    pub immediate: bool,
    pub conflate: bool,
    pub maxmsgsize: i64,
}

impl Options {
    pub fn new(socket_type: i32) -> Options {
        Options {
            socket_type,
            sndhwm: 1000,
            rcvhwm: 1000,
            linger: -1,
            sndtimeo: -1,
            rcvtimeo: -1,
            routing_id: Vec::new(),
            connect_routing_id: Vec::new(),
            immediate: false,
            conflate: false,
            maxmsgsize: -1,
        }
    }

    pub fn set(&mut self, option: i32, value: &[u8]) -> ZResult<()> {
        match option {
            ZMQ_SNDHWM => self.sndhwm = nonneg(value)?,
            ZMQ_RCVHWM => self.rcvhwm = nonneg(value)?,
            ZMQ_LINGER => self.linger = int_value(value)?.max(-1),
            ZMQ_SNDTIMEO => self.sndtimeo = int_value(value)?,
            ZMQ_RCVTIMEO => self.rcvtimeo = int_value(value)?,
            ZMQ_ROUTING_ID if (1..=255).contains(&value.len()) => self.routing_id = value.to_vec(),
            ZMQ_CONNECT_ROUTING_ID if (1..=255).contains(&value.len()) => {
                self.connect_routing_id = value.to_vec()
            }
            ZMQ_IMMEDIATE => self.immediate = bool_value(value)?,
            ZMQ_CONFLATE => self.conflate = bool_value(value)?,
            _ => return Err(Errno::EINVAL),
        }
        Ok(())
    }

    pub fn get(&self, option: i32, out: &mut [u8]) -> ZResult<usize> {
        match option {
            ZMQ_SNDHWM => put_int(out, self.sndhwm),
            ZMQ_RCVHWM => put_int(out, self.rcvhwm),
            ZMQ_LINGER => put_int(out, self.linger),
            ZMQ_SNDTIMEO => put_int(out, self.sndtimeo),
            ZMQ_RCVTIMEO => put_int(out, self.rcvtimeo),
            ZMQ_IMMEDIATE => put_int(out, self.immediate as i32),
            ZMQ_CONFLATE => put_int(out, self.conflate as i32),
            ZMQ_ROUTING_ID => {
                if out.len() < self.routing_id.len() {
                    return Err(Errno::EINVAL);
                }
                out[..self.routing_id.len()].copy_from_slice(&self.routing_id);
                Ok(self.routing_id.len())
            }
            _ => Err(Errno::EINVAL),
        }
    }
}

fn nonneg(value: &[u8]) -> ZResult<i32> {
    let v = int_value(value)?;
    if v < 0 {
        return Err(Errno::EINVAL);
    }
    Ok(v)
}

pub fn int_value(value: &[u8]) -> ZResult<i32> {
    let bytes: [u8; 4] = value.try_into().map_err(|_| Errno::EINVAL)?;
    Ok(i32::from_ne_bytes(bytes))
}

pub fn bool_value(value: &[u8]) -> ZResult<bool> {
    match int_value(value)? {
        0 => Ok(false),
        1 => Ok(true),
        _ => Err(Errno::EINVAL),
    }
}

pub fn put_int(out: &mut [u8], v: i32) -> ZResult<usize> {
    if out.len() != 4 {
        return Err(Errno::EINVAL);
    }
    out.copy_from_slice(&v.to_ne_bytes());
    Ok(4)
}
