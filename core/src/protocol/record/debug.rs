//! Compact, safe `Debug` renderings of records and batches.
//!
//! Captured traffic holds megabytes of record payloads; these renderings show what a
//! person needs (offsets, counts, codec, a few records) with keys and values escaped
//! and shortened, so dissections and snapshots stay readable.

use std::fmt;

use super::{Batch, PartialBatch, Record};

/// Records of a batch shown in full before the rest is summarised.
const SHOWN_RECORDS: usize = 3;
/// Bytes of a key or value shown before it is cut.
const SHOWN_BYTES: usize = 48;

/// Renders bytes as an escaped string, cut after a few dozen bytes.
pub struct ShortBytes<'a>(pub &'a [u8]);

impl fmt::Debug for ShortBytes<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let shown = &self.0[..self.0.len().min(SHOWN_BYTES)];
        write!(f, "b\"{}\"", shown.escape_ascii())?;
        if self.0.len() > SHOWN_BYTES {
            write!(f, "… ({} bytes)", self.0.len())?;
        }
        Ok(())
    }
}

impl fmt::Debug for Record {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut d = f.debug_struct("Record");
        d.field("offset_delta", &self.offset_delta)
            .field("timestamp_delta", &self.timestamp_delta);
        match &self.key {
            Some(k) => d.field("key", &ShortBytes(k)),
            None => d.field("key", &format_args!("None")),
        };
        d.field("value", &ShortBytes(&self.value));
        if self.attributes != 0 || self.headers != 0 {
            d.field("attributes", &self.attributes)
                .field("headers", &self.headers);
        }
        d.finish()
    }
}

impl fmt::Debug for Batch {
    /// One line per batch, whatever the formatter's alternate flag: batches come by the
    /// hundred in a fetch response.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let h = self.header();
        let compression = self
            .compression()
            .map_or_else(|e| e.to_string(), |c| format!("{c:?}"));
        write!(
            f,
            "Batch {{ base_offset: {}, records: {}, compression: {compression}, batch_len: {}, \
             crc: {:#010x}, attributes: {}, epoch: {}, timestamps: {}..={}, producer: ({}, {}, {})",
            h.base_offset,
            self.records_count(),
            h.batch_len,
            h.crc,
            h.attributes,
            h.partition_leader_epoch,
            h.first_timestamp,
            h.max_time_stamp,
            h.producer_id,
            h.producer_epoch,
            h.first_sequence,
        )?;
        if let Some(id) = h.schema_id {
            write!(f, ", schema_id: {id}")?;
        }
        match self.records() {
            Ok(records) => {
                write!(f, ", first: [")?;
                for (i, r) in records.iter().take(SHOWN_RECORDS).enumerate() {
                    if i > 0 {
                        write!(f, ", ")?;
                    }
                    write!(f, "+{} ", r.offset_delta)?;
                    if let Some(k) = &r.key {
                        write!(f, "{:?} => ", ShortBytes(k))?;
                    }
                    write!(f, "{:?}", ShortBytes(&r.value))?;
                }
                write!(f, "]")?;
                if records.len() > SHOWN_RECORDS {
                    write!(f, " … {} more", records.len() - SHOWN_RECORDS)?;
                }
            }
            Err(e) => write!(f, ", records: <do not decode: {e}>")?,
        }
        write!(f, " }}")
    }
}

impl fmt::Debug for PartialBatch {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PartialBatch")
            .field("base_offset", &self.base_offset)
            .field("last_offset_delta", &self.last_offset_delta())
            .field("bytes_received", &self.bytes.len())
            .finish()
    }
}
