//! Field and byte helpers of the `--serve` JSON-lines protocol (host/README.md),
//! free of wasmtime so that eryx-host (on another wasmtime) includes this same
//! file for the same protocol.

use serde_json::{Map, Value};

/// An optional string field of a request: absent or null is `None`.
pub fn str_field<'a>(req: &'a Map<String, Value>, key: &str) -> Result<Option<&'a str>, String> {
    match req.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s)),
        Some(other) => Err(format!("field '{key}' must be a string, got {other}")),
    }
}

/// Snapshot bytes travel as lowercase hex.
pub fn decode_hex(s: &str) -> Result<Vec<u8>, String> {
    let s = s.trim();
    if !s.len().is_multiple_of(2) {
        return Err("invalid hex: odd number of digits".to_string());
    }
    (0..s.len())
        .step_by(2)
        .map(|i| {
            s.get(i..i + 2)
                .and_then(|pair| u8::from_str_radix(pair, 16).ok())
                .ok_or_else(|| format!("invalid hex: bad digits at offset {i}"))
        })
        .collect()
}

pub fn encode_hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        s.push(DIGITS[(b >> 4) as usize] as char);
        s.push(DIGITS[(b & 0xf) as usize] as char);
    }
    s
}
