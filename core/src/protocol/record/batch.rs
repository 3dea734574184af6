//! Record batches: header, CRC and records section.

use bytes::{BufMut, Bytes, BytesMut};

use super::compression::Compression;
use super::crc::{Crc32c, crc32c};
use super::data::Record;
use super::iter::RecordIter;
use crate::protocol::codec::{Decode, DecodeError, Encode, EncodeError, Reader, Version};

/// Bytes before `batch_len` counts: `base_offset` (8) and `batch_len` itself (4).
pub const BATCH_PREAMBLE_SIZE: usize = 12;
/// Header bytes counted by `batch_len` (from `partition_leader_epoch` to `first_sequence`).
pub const BATCH_HEADER_SIZE: usize = 45;
/// Preamble plus header: the fixed part of every batch.
pub const BATCH_FIXED_SIZE: usize = BATCH_PREAMBLE_SIZE + BATCH_HEADER_SIZE;
/// Attribute bit announcing a `u32` schema id after the header.
pub const ATTR_SCHEMA_PRESENT: i16 = 0x10;
/// The only batch format Fluvio writes.
pub const MAGIC: i8 = 2;
/// `first_timestamp` / `max_time_stamp` of a batch without timestamps.
pub const NO_TIMESTAMP: i64 = -1;
/// Default bound on a batch's decompressed records section (64 MiB).
pub const DEFAULT_MAX_DECOMPRESSED: usize = 64 << 20;

/// Offset inside the `batch_len`-counted bytes where the CRC-covered part starts
/// (`partition_leader_epoch` 4 + `magic` 1 + `crc` 4).
const CRC_START: usize = 9;

/// The fixed fields of a record batch.
///
/// On encode, `batch_len` and `crc` are recomputed from the batch contents; on decode
/// they hold what the wire said (and the CRC has been verified).
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
pub struct BatchHeader {
    /// Offset of the first record (a producer sends `count - 1`; the SPU assigns it).
    pub base_offset: i64,
    /// Bytes after this field to the end of the batch.
    pub batch_len: i32,
    /// Leader epoch (-1 from producers).
    pub partition_leader_epoch: i32,
    /// Format version, 2.
    pub magic: i8,
    /// CRC-32C of everything from `attributes` to the end of the batch.
    pub crc: u32,
    /// Bits 0x07: compression codec; 0x10: schema id present.
    pub attributes: i16,
    /// Offset delta of the last record (record count - 1).
    pub last_offset_delta: i32,
    /// Milliseconds since the epoch when the batch was created, or -1.
    pub first_timestamp: i64,
    /// `first_timestamp` plus the last record's timestamp delta, or -1.
    pub max_time_stamp: i64,
    /// Producer id (-1).
    pub producer_id: i64,
    /// Producer epoch (-1).
    pub producer_epoch: i16,
    /// First sequence number (-1).
    pub first_sequence: i32,
    /// Schema id, on the wire only when `attributes & 0x10`.
    pub schema_id: Option<u32>,
}

impl Default for BatchHeader {
    fn default() -> Self {
        Self {
            base_offset: 0,
            batch_len: 0,
            partition_leader_epoch: -1,
            magic: MAGIC,
            crc: 0,
            attributes: 0,
            last_offset_delta: -1,
            first_timestamp: NO_TIMESTAMP,
            max_time_stamp: NO_TIMESTAMP,
            producer_id: -1,
            producer_epoch: -1,
            first_sequence: -1,
            schema_id: None,
        }
    }
}

impl BatchHeader {
    /// The codec named by the attributes.
    pub fn compression(&self) -> Result<Compression, DecodeError> {
        Compression::from_attributes(self.attributes)
    }

    /// True when the attributes announce a schema id.
    pub fn has_schema(&self) -> bool {
        self.attributes & ATTR_SCHEMA_PRESENT != 0
    }

    /// Number of records the header announces (`last_offset_delta + 1`, at least 0).
    pub fn records_count(&self) -> usize {
        usize::try_from(i64::from(self.last_offset_delta) + 1).unwrap_or(0)
    }

    /// Writes the CRC-covered fixed fields (attributes to schema id).
    pub(super) fn put_crc_fields(&self, dst: &mut impl BufMut) -> Result<(), EncodeError> {
        dst.put_i16(self.attributes);
        dst.put_i32(self.last_offset_delta);
        dst.put_i64(self.first_timestamp);
        dst.put_i64(self.max_time_stamp);
        dst.put_i64(self.producer_id);
        dst.put_i16(self.producer_epoch);
        dst.put_i32(self.first_sequence);
        match (self.has_schema(), self.schema_id) {
            (true, Some(id)) => dst.put_u32(id),
            (false, None) => {}
            _ => {
                return Err(EncodeError::InvalidValue {
                    what: "batch schema id",
                    message: "schema id must be present exactly when attributes has 0x10".into(),
                });
            }
        }
        Ok(())
    }
}

/// A record batch: a header and its records section.
///
/// The records section is kept as the exact bytes of the wire (`i32` count + records,
/// compressed as a whole when the attributes name a codec). A decoded batch therefore
/// re-encodes byte for byte; [`Batch::records`] decodes the records on demand.
/// Producers build batches with [`Batch::from_records`] or
/// [`BatchBuilder`](super::BatchBuilder).
#[derive(Clone, PartialEq, Default)]
#[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
pub struct Batch {
    header: BatchHeader,
    #[cfg_attr(feature = "arbitrary", arbitrary(with = crate::protocol::codec::arb::bytes))]
    raw_records: Bytes,
    #[cfg_attr(feature = "arbitrary", arbitrary(default))]
    sealed: Sealed,
}

/// Set when a batch's `batch_len` and `crc` are known to match its contents: they were
/// computed by [`Batch::from_raw_parts`] or the builder, or verified by decoding. Encoding
/// a sealed batch writes them as they are instead of computing the CRC again. Not part of
/// the batch's value: two batches compare equal whatever their marks.
#[derive(Debug, Clone, Copy, Default)]
struct Sealed(bool);

impl PartialEq for Sealed {
    fn eq(&self, _: &Self) -> bool {
        true
    }
}

impl Batch {
    /// A batch from a header and an already encoded (and compressed) records section.
    ///
    /// `batch_len` and `crc` are recomputed here (and again on encode).
    pub fn from_raw_parts(mut header: BatchHeader, raw_records: Bytes) -> Self {
        let schema = if header.has_schema() { 4 } else { 0 };
        let len = BATCH_HEADER_SIZE + schema + raw_records.len();
        header.batch_len = i32::try_from(len).unwrap_or(i32::MAX);
        let mut fixed = Vec::with_capacity(BATCH_HEADER_SIZE);
        // An inconsistent schema id is reported by `encode`, which then needs no CRC.
        let consistent = header.put_crc_fields(&mut fixed).is_ok();
        let mut crc = Crc32c::new();
        crc.update(&fixed);
        crc.update(&raw_records);
        header.crc = crc.value();
        Self {
            sealed: Sealed(consistent && i32::try_from(len).is_ok()),
            header,
            raw_records,
        }
    }

    /// A batch whose `batch_len` and `crc` the caller computed from exactly these parts.
    pub(super) fn from_sealed_parts(header: BatchHeader, raw_records: Bytes) -> Self {
        Self {
            header,
            raw_records,
            sealed: Sealed(true),
        }
    }

    /// Builds a producer batch from `records` (see [`BatchBuilder`](super::BatchBuilder)).
    ///
    /// Offset deltas are renumbered 0, 1, …; timestamp deltas are kept.
    pub fn from_records(
        records: impl IntoIterator<Item = Record>,
        compression: Compression,
        first_timestamp: i64,
    ) -> Result<Self, EncodeError> {
        let mut builder = super::BatchBuilder::new(compression, first_timestamp);
        for record in records {
            builder.push(record)?;
        }
        builder.build()
    }

    /// The header.
    pub fn header(&self) -> &BatchHeader {
        &self.header
    }

    /// Offset of the first record.
    pub fn base_offset(&self) -> i64 {
        self.header.base_offset
    }

    /// Changes the base offset (not covered by the CRC).
    pub fn set_base_offset(&mut self, base_offset: i64) {
        self.header.base_offset = base_offset;
    }

    /// Offset of the last record (`base_offset + last_offset_delta`).
    pub fn last_offset(&self) -> i64 {
        self.header
            .base_offset
            .saturating_add(i64::from(self.header.last_offset_delta))
    }

    /// The offset after this batch: where a consumer continues.
    pub fn next_offset(&self) -> i64 {
        self.last_offset().saturating_add(1)
    }

    /// Number of records the header announces.
    pub fn records_count(&self) -> usize {
        self.header.records_count()
    }

    /// The codec of the records section.
    pub fn compression(&self) -> Result<Compression, DecodeError> {
        self.header.compression()
    }

    /// The records section exactly as on the wire (compressed if the batch is).
    pub fn raw_records(&self) -> &Bytes {
        &self.raw_records
    }

    /// Bytes the batch takes on the wire.
    pub fn encoded_size(&self) -> usize {
        let schema = if self.header.has_schema() { 4 } else { 0 };
        BATCH_FIXED_SIZE + schema + self.raw_records.len()
    }

    /// Decodes the records, decompressing up to [`DEFAULT_MAX_DECOMPRESSED`] bytes.
    pub fn records(&self) -> Result<Vec<Record>, DecodeError> {
        self.records_with_limit(DEFAULT_MAX_DECOMPRESSED)
    }

    /// Decodes the records, failing if the records section decompresses to more than
    /// `max_decompressed` bytes.
    ///
    /// Checks that the record count equals `last_offset_delta + 1` and that the records
    /// fill the section exactly. Keys and values of an uncompressed batch are slices of
    /// the buffer the batch was decoded from.
    pub fn records_with_limit(&self, max_decompressed: usize) -> Result<Vec<Record>, DecodeError> {
        let mut iter = self.iter_records_with_limit(max_decompressed)?;
        let mut records = Vec::with_capacity(iter.remaining());
        for record in &mut iter {
            records.push(record?);
        }
        Ok(records)
    }

    /// The records one at a time, decompressing up to [`DEFAULT_MAX_DECOMPRESSED`] bytes.
    ///
    /// Like [`Batch::records`] without collecting: each record is decoded when the
    /// iterator reaches it, its key and value zero-copy slices of the (decompressed)
    /// records section. The count is checked up front; a record that does not decode,
    /// or bytes after the last one, are yielded as an error that ends the iteration.
    pub fn iter_records(&self) -> Result<RecordIter, DecodeError> {
        self.iter_records_with_limit(DEFAULT_MAX_DECOMPRESSED)
    }

    /// [`Batch::iter_records`], failing if the records section decompresses to more than
    /// `max_decompressed` bytes.
    pub fn iter_records_with_limit(
        &self,
        max_decompressed: usize,
    ) -> Result<RecordIter, DecodeError> {
        let section = self
            .compression()?
            .decompress(&self.raw_records, max_decompressed)?;
        RecordIter::new(section, i64::from(self.header.last_offset_delta) + 1)
    }

    /// Absolute offset of a record of this batch.
    pub fn record_offset(&self, record: &Record) -> i64 {
        self.header.base_offset.saturating_add(record.offset_delta)
    }

    /// The records of this batch (decoded by the caller) that a consumer at `from`
    /// delivers, each with its offset, in log order, stopping before `end`.
    ///
    /// Records before `from` lead a batch that starts before the consumer's position; they
    /// are skipped. After the first record at or past `from`, every record is delivered:
    /// a real SPU running a SmartModule merges the records that passed from several
    /// stored batches into one batch and shifts each later batch's offset deltas the
    /// wrong way (upstream `fluvio-spu` `process_batch` adds `base - input_base`, not
    /// `input_base - base`), so those records carry offsets below their true ones, even
    /// below `from`. The records are in log order, so flv delivers them, each with the
    /// highest offset seen so far in the batch (never above its true offset, so a commit
    /// of it re-reads rather than skips); upstream's consumer keeps only records at or
    /// after its start offset (read in its source), so it drops them. Checked on
    /// a real SPU in `tests/tests/real_smartmodule.rs`. For a batch whose offsets rise, as
    /// every batch without a SmartModule's does, this is the plain `from..end` window.
    pub fn records_at_or_after(
        &self,
        records: Vec<Record>,
        from: i64,
        end: Option<i64>,
    ) -> impl Iterator<Item = (i64, Record)> {
        let mut reached = false;
        let mut highest = i64::MIN;
        let base = self.header.base_offset;
        records.into_iter().filter_map(move |record| {
            let given = base.saturating_add(record.offset_delta);
            highest = highest.max(given);
            reached |= highest >= from;
            let in_window = reached && end.is_none_or(|e| highest < e);
            in_window.then_some((highest, record))
        })
    }

    /// Timestamp (ms since the epoch) of a record of this batch, if the batch has one.
    pub fn record_timestamp(&self, record: &Record) -> Option<i64> {
        (self.header.first_timestamp != NO_TIMESTAMP).then(|| {
            self.header
                .first_timestamp
                .saturating_add(record.timestamp_delta)
        })
    }
}

impl Encode for Batch {
    /// Writes the batch in one pass, patching `batch_len` and the CRC in place (the CRC
    /// is computed only for a batch made by `Default` or `Arbitrary`: every other one
    /// already holds it).
    fn encode(&self, dst: &mut BytesMut, _: Version) -> Result<(), EncodeError> {
        let h = &self.header;
        dst.reserve(self.encoded_size());
        dst.put_i64(h.base_offset);
        let len_at = dst.len();
        dst.put_i32(0);
        dst.put_i32(h.partition_leader_epoch);
        dst.put_i8(h.magic);
        let crc_at = dst.len();
        dst.put_u32(0);
        h.put_crc_fields(dst)?;
        dst.extend_from_slice(&self.raw_records);

        let len = dst.len() - len_at - 4;
        let len32 = i32::try_from(len).map_err(|_| EncodeError::TooLong {
            what: "record batch",
            len,
            max: i32::MAX as usize,
        })?;
        let crc = if self.sealed.0 {
            // `from_raw_parts`, the builder or `decode` computed both from these parts.
            debug_assert_eq!(len32, h.batch_len);
            h.crc
        } else {
            crc32c(dst.get(crc_at + 4..).unwrap_or_default())
        };
        if let Some(slot) = dst.get_mut(len_at..len_at + 4) {
            slot.copy_from_slice(&len32.to_be_bytes());
        }
        if let Some(slot) = dst.get_mut(crc_at..crc_at + 4) {
            slot.copy_from_slice(&crc.to_be_bytes());
        }
        Ok(())
    }
}

impl Decode for Batch {
    /// Reads one complete batch, verifying its length and CRC-32C.
    ///
    /// The records section is a zero-copy slice of the input; records are not decoded
    /// (see [`Batch::records`]).
    fn decode(src: &mut Reader, _: Version) -> Result<Self, DecodeError> {
        let base_offset = src.i64()?;
        let batch_len = src.i32()?;
        let len = usize::try_from(batch_len)
            .ok()
            .filter(|len| *len >= BATCH_HEADER_SIZE)
            .ok_or(DecodeError::InvalidLength {
                what: "record batch",
                len: i64::from(batch_len),
            })?;
        let body = src.bytes("record batch", len)?;
        let actual = crc32c(body.get(CRC_START..).unwrap_or_default());

        let mut r = Reader::new(body);
        let mut header = BatchHeader {
            base_offset,
            batch_len,
            partition_leader_epoch: r.i32()?,
            magic: r.i8()?,
            crc: r.u32()?,
            attributes: r.i16()?,
            last_offset_delta: r.i32()?,
            first_timestamp: r.i64()?,
            max_time_stamp: r.i64()?,
            producer_id: r.i64()?,
            producer_epoch: r.i16()?,
            first_sequence: r.i32()?,
            schema_id: None,
        };
        if header.has_schema() {
            header.schema_id = Some(r.u32()?);
        }
        if header.crc != actual {
            return Err(DecodeError::CrcMismatch {
                expected: header.crc,
                actual,
            });
        }
        Ok(Self {
            header,
            raw_records: r.rest(),
            sealed: Sealed(true),
        })
    }
}
