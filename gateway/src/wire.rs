//! The JSON shapes of records, in and out, and the parsing of query parameters.

use std::collections::HashMap;

use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use bytes::Bytes;
use flv_tokio::core::client::{ConsumerRecord, Offset};
use serde::{Deserialize, Serialize};

use crate::error::ApiError;

/// A record to produce: `value` (UTF-8) or `value_b64`, optional `key` or `key_b64`, optional
/// `partition`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct InRecord {
    #[serde(default)]
    key: Option<String>,
    #[serde(default)]
    key_b64: Option<String>,
    #[serde(default)]
    value: Option<String>,
    #[serde(default)]
    value_b64: Option<String>,
    /// Partition of this record (else the request's, else the partitioner's choice).
    #[serde(default)]
    pub partition: Option<u32>,
}

impl InRecord {
    /// The key and value bytes, or a 400 naming the record.
    pub(crate) fn into_parts(self, index: usize) -> Result<(Option<Bytes>, Bytes), ApiError> {
        let key = match (self.key, self.key_b64) {
            (Some(_), Some(_)) => {
                return Err(ApiError::bad(format!(
                    "record {index}: give key or key_b64, not both"
                )));
            }
            (Some(k), None) => Some(Bytes::from(k)),
            (None, Some(k)) => Some(decode_b64(&k, index, "key_b64")?),
            (None, None) => None,
        };
        let value = match (self.value, self.value_b64) {
            (Some(v), None) => Bytes::from(v),
            (None, Some(v)) => decode_b64(&v, index, "value_b64")?,
            (Some(_), Some(_)) => {
                return Err(ApiError::bad(format!(
                    "record {index}: give value or value_b64, not both"
                )));
            }
            (None, None) => {
                return Err(ApiError::bad(format!(
                    "record {index}: value or value_b64 is required"
                )));
            }
        };
        Ok((key, value))
    }
}

fn decode_b64(text: &str, index: usize, field: &str) -> Result<Bytes, ApiError> {
    B64.decode(text)
        .map(Bytes::from)
        .map_err(|e| ApiError::bad(format!("record {index}: {field} is not base64: {e}")))
}

/// A produce request body.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct ProduceBody {
    pub records: Vec<InRecord>,
    /// Partition of every record without its own.
    #[serde(default)]
    pub partition: Option<u32>,
}

/// Where a record was stored.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq)]
pub(crate) struct Stored {
    pub partition: u32,
    pub offset: i64,
}

/// Appends `text` as a JSON string.
fn write_str(out: &mut Vec<u8>, text: &str) {
    let bytes = text.as_bytes();
    // One branch-free pass (vectorised) decides whether anything needs escaping.
    let special = bytes.iter().fold(false, |acc, &b| {
        acc | (b < 0x20) | (b == b'"') | (b == b'\\')
    });
    if special {
        // Writing a string to a Vec cannot fail.
        let _ = serde_json::to_writer(&mut *out, text);
    } else {
        out.reserve(bytes.len() + 2);
        out.push(b'"');
        out.extend_from_slice(bytes);
        out.push(b'"');
    }
}

/// Appends `,"name":` and the key or value `bytes`: a JSON string when they are UTF-8, else
/// `,"name_b64":"…"` (and `"key":null` for keys, so a key field is always there).
fn write_bytes(out: &mut Vec<u8>, name: &str, bytes: &[u8], is_key: bool) {
    match std::str::from_utf8(bytes) {
        Ok(text) => {
            out.extend_from_slice(b",\"");
            out.extend_from_slice(name.as_bytes());
            out.extend_from_slice(b"\":");
            write_str(out, text);
        }
        Err(_) => {
            out.extend_from_slice(b",\"");
            out.extend_from_slice(name.as_bytes());
            out.extend_from_slice(b"_b64\":\"");
            out.extend_from_slice(B64.encode(bytes).as_bytes());
            out.push(b'"');
            if is_key {
                out.extend_from_slice(b",\"key\":null");
            }
        }
    }
}

/// Appends `record` as one JSON object (no newline) to `out`:
/// `{"partition","offset","key","value","timestamp"}`. Keys and values that are not UTF-8
/// come as `key_b64` (with `"key":null`) / `value_b64` instead.
pub(crate) fn write_record(out: &mut Vec<u8>, record: &ConsumerRecord) {
    let mut ints = itoa::Buffer::new();
    out.extend_from_slice(b"{\"partition\":");
    out.extend_from_slice(ints.format(record.partition).as_bytes());
    out.extend_from_slice(b",\"offset\":");
    out.extend_from_slice(ints.format(record.offset).as_bytes());
    match record.key.as_deref() {
        None => out.extend_from_slice(b",\"key\":null"),
        Some(key) => write_bytes(out, "key", key, true),
    }
    write_bytes(out, "value", &record.value, false);
    out.extend_from_slice(b",\"timestamp\":");
    out.extend_from_slice(ints.format(record.timestamp).as_bytes());
    out.push(b'}');
}

/// Query parameters, each given at most once.
pub(crate) struct Params(HashMap<String, String>);

impl Params {
    /// Parses a query string (`None` = no query).
    pub(crate) fn parse(query: Option<&str>) -> Result<Self, ApiError> {
        let pairs: Vec<(String, String)> = serde_urlencoded_pairs(query.unwrap_or_default())?;
        let mut map = HashMap::new();
        for (k, v) in pairs {
            if map.insert(k.clone(), v).is_some() {
                return Err(ApiError::bad(format!("parameter {k} is given twice")));
            }
        }
        Ok(Self(map))
    }

    /// Fails with 400 on a parameter not in `known`.
    pub(crate) fn only(&self, known: &[&str]) -> Result<(), ApiError> {
        match self.0.keys().find(|k| !known.contains(&k.as_str())) {
            Some(k) => Err(ApiError::bad(format!(
                "unknown parameter {k:?} (known: {})",
                known.join(", ")
            ))),
            None => Ok(()),
        }
    }

    pub(crate) fn get(&self, name: &str) -> Option<&str> {
        self.0.get(name).map(String::as_str)
    }

    /// A number parameter.
    pub(crate) fn number<T: std::str::FromStr>(&self, name: &str) -> Result<Option<T>, ApiError> {
        self.get(name)
            .map(|v| {
                v.parse().map_err(|_| {
                    ApiError::bad(format!("parameter {name}={v:?} is not a valid number"))
                })
            })
            .transpose()
    }

    /// A `true`/`false` parameter.
    pub(crate) fn flag(&self, name: &str, default: bool) -> Result<bool, ApiError> {
        match self.get(name) {
            None => Ok(default),
            Some("true" | "1" | "yes") => Ok(true),
            Some("false" | "0" | "no") => Ok(false),
            Some(v) => Err(ApiError::bad(format!(
                "parameter {name}={v:?} must be true or false"
            ))),
        }
    }

    /// `offset=beginning|end|N|-N` (N records before the end), default `default`.
    pub(crate) fn offset(&self, default: Offset) -> Result<Offset, ApiError> {
        let Some(v) = self.get("offset") else {
            return Ok(default);
        };
        let bad = || {
            ApiError::bad(format!(
                "parameter offset={v:?} must be beginning, end, an offset N, or -N (N before the end)"
            ))
        };
        match v {
            "beginning" => Ok(Offset::beginning()),
            "end" => Ok(Offset::end()),
            _ => match v.strip_prefix('-') {
                Some(n) => n.parse::<u32>().map(Offset::FromEnd).map_err(|_| bad()),
                None => v
                    .parse::<i64>()
                    .ok()
                    .filter(|o| *o >= 0)
                    .map(Offset::Absolute)
                    .ok_or_else(bad),
            },
        }
    }

    /// `delivery_semantic=at-most-once|at-least-once`: whether at most once.
    pub(crate) fn at_most_once(&self) -> Result<bool, ApiError> {
        match self.get("delivery_semantic") {
            None | Some("at-least-once" | "at_least_once" | "AtLeastOnce") => Ok(false),
            Some("at-most-once" | "at_most_once" | "AtMostOnce") => Ok(true),
            Some(v) => Err(ApiError::bad(format!(
                "parameter delivery_semantic={v:?} must be at-least-once or at-most-once"
            ))),
        }
    }

    /// `isolation=read_uncommitted|read_committed`: whether read committed.
    pub(crate) fn read_committed(&self) -> Result<bool, ApiError> {
        match self.get("isolation") {
            None | Some("read_uncommitted" | "read-uncommitted" | "ReadUncommitted") => Ok(false),
            Some("read_committed" | "read-committed" | "ReadCommitted") => Ok(true),
            Some(v) => Err(ApiError::bad(format!(
                "parameter isolation={v:?} must be read_uncommitted or read_committed"
            ))),
        }
    }
}

/// `a=b&c=d` with percent-decoding.
fn serde_urlencoded_pairs(query: &str) -> Result<Vec<(String, String)>, ApiError> {
    let mut pairs = Vec::new();
    for part in query.split('&').filter(|p| !p.is_empty()) {
        let (k, v) = part.split_once('=').unwrap_or((part, ""));
        pairs.push((percent_decode(k)?, percent_decode(v)?));
    }
    Ok(pairs)
}

fn percent_decode(text: &str) -> Result<String, ApiError> {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' => {
                let hex = bytes
                    .get(i + 1..i + 3)
                    .and_then(|h| std::str::from_utf8(h).ok())
                    .and_then(|h| u8::from_str_radix(h, 16).ok())
                    .ok_or_else(|| ApiError::bad("bad percent-encoding in the query"))?;
                out.push(hex);
                i += 2;
            }
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8(out).map_err(|_| ApiError::bad("the query is not UTF-8"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn params() {
        let p = Params::parse(Some("offset=beginning&limit=5&wait=false&a%20b=c+d")).unwrap();
        assert_eq!(p.offset(Offset::end()).unwrap(), Offset::beginning());
        assert_eq!(p.number::<u64>("limit").unwrap(), Some(5));
        assert!(!p.flag("wait", true).unwrap());
        assert_eq!(p.get("a b"), Some("c d"));
        assert!(p.only(&["offset", "limit", "wait"]).is_err());
        let p = Params::parse(Some("offset=-3")).unwrap();
        assert_eq!(p.offset(Offset::end()).unwrap(), Offset::FromEnd(3));
        let p = Params::parse(Some("offset=42")).unwrap();
        assert_eq!(p.offset(Offset::end()).unwrap(), Offset::Absolute(42));
        for bad in ["offset=x", "offset=-x", "offset=1.5"] {
            let p = Params::parse(Some(bad)).unwrap();
            assert!(matches!(
                p.offset(Offset::end()),
                Err(ApiError::BadRequest(_))
            ));
        }
        assert!(Params::parse(Some("a=1&a=2")).is_err());
        assert!(Params::parse(Some("a=%zz")).is_err());
        assert!(Params::parse(Some("a=%f")).is_err());
    }

    #[test]
    fn records_out() {
        let mut out = Vec::new();
        let record = ConsumerRecord {
            partition: 1,
            offset: 7,
            timestamp: 9,
            key: Some(Bytes::from_static(b"k")),
            value: Bytes::from_static(b"\xff"),
        };
        write_record(&mut out, &record);
        assert_eq!(
            String::from_utf8(out).unwrap(),
            r#"{"partition":1,"offset":7,"key":"k","value_b64":"/w==","timestamp":9}"#
        );
        // Escapes, and keys that are not UTF-8.
        let record = ConsumerRecord {
            key: Some(Bytes::from_static(b"\xfe")),
            value: Bytes::from_static(b"a\"b\\c\nd\x01"),
            ..record
        };
        let mut out = Vec::new();
        write_record(&mut out, &record);
        let v: serde_json::Value = serde_json::from_slice(&out).unwrap();
        assert_eq!(v["value"], "a\"b\\c\nd\u{1}");
        assert_eq!(v["key"], serde_json::Value::Null);
        assert_eq!(v["key_b64"], "/g==");
        assert_eq!(v["timestamp"], 9);
    }
}
