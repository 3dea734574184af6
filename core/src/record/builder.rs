//! Producer-side batch building.

use bytes::{BufMut, BytesMut};

use super::batch::{BATCH_FIXED_SIZE, Batch, BatchHeader};
use super::compression::Compression;
use super::data::Record;
use crate::codec::{Encode, EncodeError};

/// Accumulates records into a batch, encoding each one as it is pushed.
///
/// Records are written once, straight into the batch's records section; the builder
/// always knows the uncompressed size of the batch it would build
/// ([`BatchBuilder::encoded_size`]), which is what upstream's producer compares with
/// `batch_size` and `max_request_size`. The header mirrors upstream's producer:
/// `base_offset = last_offset_delta = count - 1`, `first_timestamp` given by the
/// caller (the core has no clock), `max_time_stamp = first_timestamp` plus the last
/// record's timestamp delta, producer id/epoch/sequence -1.
#[derive(Debug, Clone)]
pub struct BatchBuilder {
    compression: Compression,
    first_timestamp: i64,
    /// `i32` count placeholder followed by the encoded records.
    section: BytesMut,
    count: i32,
    last_timestamp_delta: i64,
}

impl BatchBuilder {
    /// An empty batch for `compression`, created at `first_timestamp` (ms since the epoch).
    pub fn new(compression: Compression, first_timestamp: i64) -> Self {
        let mut section = BytesMut::new();
        section.put_i32(0);
        Self {
            compression,
            first_timestamp,
            section,
            count: 0,
            last_timestamp_delta: 0,
        }
    }

    /// Number of records pushed.
    pub fn len(&self) -> usize {
        usize::try_from(self.count).unwrap_or(0)
    }

    /// True when no record was pushed.
    pub fn is_empty(&self) -> bool {
        self.count == 0
    }

    /// The codec the batch will use.
    pub fn compression(&self) -> Compression {
        self.compression
    }

    /// Uncompressed size of the batch on the wire (preamble, header, count, records).
    pub fn encoded_size(&self) -> usize {
        BATCH_FIXED_SIZE + self.section.len()
    }

    /// [`BatchBuilder::encoded_size`] after pushing `record`.
    pub fn encoded_size_with(&self, record: &Record) -> usize {
        let mut probe = record.clone();
        probe.offset_delta = i64::from(self.count);
        self.encoded_size() + probe.encoded_size()
    }

    /// Appends `record`, setting its offset delta to its index; returns that index.
    ///
    /// The record's timestamp delta (ms after `first_timestamp`) is kept.
    pub fn push(&mut self, mut record: Record) -> Result<i64, EncodeError> {
        let index = self.count;
        let next = index.checked_add(1).ok_or(EncodeError::TooLong {
            what: "record batch count",
            len: self.len(),
            max: i32::MAX as usize,
        })?;
        record.offset_delta = i64::from(index);
        record.encode(&mut self.section, 0)?;
        self.count = next;
        self.last_timestamp_delta = record.timestamp_delta;
        Ok(i64::from(index))
    }

    /// Finishes the batch: fills the count, compresses, and computes length and CRC.
    pub fn build(mut self) -> Result<Batch, EncodeError> {
        if let Some(slot) = self.section.get_mut(..4) {
            slot.copy_from_slice(&self.count.to_be_bytes());
        }
        let raw = match self.compression {
            Compression::None => self.section.freeze(),
            codec => codec.compress(&self.section)?,
        };
        let last = self.count - 1;
        let header = BatchHeader {
            base_offset: i64::from(last.max(0)),
            attributes: self.compression.apply_to(0),
            last_offset_delta: last,
            first_timestamp: self.first_timestamp,
            max_time_stamp: self
                .first_timestamp
                .saturating_add(self.last_timestamp_delta),
            ..BatchHeader::default()
        };
        let batch = Batch::from_raw_parts(header, raw);
        if batch.encoded_size() > i32::MAX as usize {
            return Err(EncodeError::TooLong {
                what: "record batch",
                len: batch.encoded_size(),
                max: i32::MAX as usize,
            });
        }
        Ok(batch)
    }
}
