//! Producer-side batch building.

use bytes::{BufMut, BytesMut};
use flv_crc::Appender;

use super::batch::{BATCH_FIXED_SIZE, BATCH_PREAMBLE_SIZE, Batch, BatchHeader};
use super::compression::Compression;
use super::data::{self, Record};
use crate::protocol::codec::{Encode, EncodeError};

/// Fails when a batch of `len` bytes could not be sent (its length is an `i32`).
fn check_size(len: usize) -> Result<(), EncodeError> {
    if len > i32::MAX as usize {
        return Err(EncodeError::TooLong {
            what: "record batch",
            len,
            max: i32::MAX as usize,
        });
    }
    Ok(())
}

/// Where the records section (its `i32` count, then the records) starts in the buffer.
const SECTION_AT: usize = BATCH_FIXED_SIZE;
/// Where the first record starts in the buffer.
const RECORDS_AT: usize = SECTION_AT + 4;
/// What computes the CRC of the records of a batch compressed with `compression`: an
/// uncompressed batch's CRC is folded as its records are copied in; a compressed one's
/// covers the compressed bytes, so its records are only copied.
fn records_crc(compression: Compression, buf: &BytesMut) -> Appender {
    let mut crc = match compression {
        Compression::None => Appender::new(RECORDS_AT),
        _ => Appender::portable(RECORDS_AT),
    };
    crc.reset_aligned(buf, RECORDS_AT);
    crc
}

/// Where the CRC field sits, and where the bytes it covers start.
const CRC_AT: usize = BATCH_PREAMBLE_SIZE + 5;
const CRC_COVERS: usize = CRC_AT + 4;

/// Accumulates records into a batch, encoding each one as it is pushed.
///
/// Records are written once, straight into a buffer laid out as the uncompressed batch
/// will be on the wire: room for the header, the `i32` count, then the records. The
/// CRC-32C of the records is folded as keys and values are copied in (one pass over
/// them on CPUs with AVX-512 VPCLMULQDQ, see `flv_crc::Appender`; a pass at the end
/// elsewhere); building fills the header in place and combines its CRC with that of the
/// records, so an uncompressed batch costs one copy of each key and value, with no
/// further copy.
/// The builder always knows the uncompressed size of the batch it would build
/// ([`BatchBuilder::encoded_size`]), which is what upstream's producer compares with
/// `batch_size` and `max_request_size`.
///
/// The header mirrors upstream's producer: `base_offset = last_offset_delta =
/// count - 1`, `first_timestamp` given by the caller (the core has no clock),
/// `max_time_stamp = first_timestamp` plus the last record's timestamp delta, producer
/// id/epoch/sequence -1.
///
/// # Reuse
///
/// [`BatchBuilder::encode_into`] and [`BatchBuilder::take`] leave the builder empty and
/// ready for the next batch with its buffer kept, and [`BatchBuilder::reset`] starts
/// the next batch with a new creation time: in steady state nothing is allocated.
/// `encode_into` copies the finished batch out and keeps the whole buffer; `take` hands
/// the buffer's bytes to the [`Batch`] without copying them, and `reset` reclaims them
/// once that batch is dropped (a batch still alive then makes it allocate anew).
#[derive(Debug, Clone)]
pub struct BatchBuilder {
    compression: Compression,
    first_timestamp: i64,
    /// Header room, `i32` count placeholder, encoded records.
    buf: BytesMut,
    /// The CRC of the records, computed as keys and values are copied in.
    crc: Appender,
    /// Capacity to keep ready between batches.
    capacity: usize,
    count: i32,
    last_timestamp_delta: i64,
    /// Producer id, epoch and first sequence written into the header (-1 each unless
    /// [`BatchBuilder::set_producer`] stamped the batch).
    producer: (i64, i16, i32),
}

impl BatchBuilder {
    /// An empty batch for `compression`, created at `first_timestamp` (ms since the epoch).
    pub fn new(compression: Compression, first_timestamp: i64) -> Self {
        Self::with_capacity(compression, first_timestamp, 0)
    }

    /// An empty batch whose buffer holds `capacity` bytes of batch (header included)
    /// before it grows; the builder keeps that much ready after each batch.
    pub fn with_capacity(compression: Compression, first_timestamp: i64, capacity: usize) -> Self {
        let capacity = capacity.max(RECORDS_AT);
        let mut buf = BytesMut::with_capacity(capacity);
        buf.put_bytes(0, RECORDS_AT);
        let crc = records_crc(compression, &buf);
        Self {
            compression,
            first_timestamp,
            buf,
            crc,
            capacity,
            count: 0,
            last_timestamp_delta: 0,
            producer: (-1, -1, -1),
        }
    }

    /// Stamps the batch with a producer id, epoch and first sequence (kept in the header
    /// as they are: the SPU stores them as sent, which lets a producer find its batch in
    /// the log after an unknown outcome). The stamp stays for the next batches until
    /// changed.
    pub fn set_producer(&mut self, producer_id: i64, producer_epoch: i16, first_sequence: i32) {
        self.producer = (producer_id, producer_epoch, first_sequence);
    }

    /// Drops the records pushed so far and starts a new batch created at
    /// `first_timestamp`, keeping the buffer.
    ///
    /// The buffer is made ready for a batch of the builder's capacity: after
    /// [`BatchBuilder::take`], this is where the bytes of the batch it handed out are
    /// reclaimed, without allocating, if that batch was dropped by then.
    pub fn reset(&mut self, first_timestamp: i64) {
        self.buf.clear();
        self.buf.reserve(self.capacity);
        self.clear();
        self.first_timestamp = first_timestamp;
    }

    /// Empties the batch, leaving room for the header and count.
    fn clear(&mut self) {
        self.buf.clear();
        self.buf.put_bytes(0, RECORDS_AT);
        self.crc.reset_aligned(&self.buf, RECORDS_AT);
        self.count = 0;
        self.last_timestamp_delta = 0;
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

    /// The creation time the batch will carry (ms since the epoch).
    pub fn first_timestamp(&self) -> i64 {
        self.first_timestamp
    }

    /// Uncompressed size of the batch on the wire (preamble, header, count, records).
    pub fn encoded_size(&self) -> usize {
        self.buf.len()
    }

    /// [`BatchBuilder::encoded_size`] after pushing `record`.
    pub fn encoded_size_with(&self, record: &Record) -> usize {
        self.encoded_size()
            + data::encoded_size_parts(
                record.timestamp_delta,
                i64::from(self.count),
                record.key.as_deref(),
                &record.value,
                record.headers,
            )
    }

    /// Appends `record`, setting its offset delta to its index; returns that index.
    ///
    /// The record's timestamp delta (ms after `first_timestamp`) is kept.
    #[inline]
    pub fn push(&mut self, record: Record) -> Result<i64, EncodeError> {
        self.push_fields(
            record.attributes,
            record.timestamp_delta,
            record.key.as_deref(),
            &record.value,
            record.headers,
        )
    }

    /// Appends a record made of `key` and `value`, `timestamp_delta` ms after
    /// `first_timestamp`; returns its index (its offset delta).
    ///
    /// The bytes are copied once, into the batch; nothing is allocated once the
    /// buffer has room. The record is the one [`BatchBuilder::push`] would write for
    /// `Record { key, value, timestamp_delta, ..Record::default() }`.
    #[inline]
    pub fn push_slices(
        &mut self,
        key: Option<&[u8]>,
        value: &[u8],
        timestamp_delta: i64,
    ) -> Result<i64, EncodeError> {
        self.push_fields(0, timestamp_delta, key, value, 0)
    }

    #[inline]
    fn push_fields(
        &mut self,
        attributes: i8,
        timestamp_delta: i64,
        key: Option<&[u8]>,
        value: &[u8],
        headers: i64,
    ) -> Result<i64, EncodeError> {
        let index = self.count;
        let next = index.checked_add(1).ok_or(EncodeError::TooLong {
            what: "record batch count",
            len: self.len(),
            max: i32::MAX as usize,
        })?;
        let crc = &mut self.crc;
        data::encode_parts(
            &mut self.buf,
            |buf, bytes| crc.append(buf, bytes),
            attributes,
            timestamp_delta,
            i64::from(index),
            key,
            value,
            headers,
        )?;
        self.count = next;
        self.last_timestamp_delta = timestamp_delta;
        Ok(i64::from(index))
    }

    /// Finishes the batch: fills the count, compresses, and computes length and CRC.
    pub fn build(mut self) -> Result<Batch, EncodeError> {
        self.take()
    }

    /// Finishes the batch like [`BatchBuilder::build`] and starts a new, empty one with
    /// the same codec and `first_timestamp` (see [`BatchBuilder::reset`] to change it).
    ///
    /// An uncompressed batch takes the buffer's bytes without copying them; the next
    /// batch goes into what is left of the allocation until [`BatchBuilder::reset`]
    /// reclaims the whole of it. On error the builder is left as it was.
    pub fn take(&mut self) -> Result<Batch, EncodeError> {
        let header = self.header()?;
        let batch = match self.compression {
            Compression::None => {
                check_size(self.buf.len())?;
                let header = self.seal(header)?;
                let bytes = self.buf.split().freeze();
                Batch::from_sealed_parts(header, bytes.slice(SECTION_AT..))
            }
            codec => {
                let batch = Batch::from_raw_parts(header, codec.compress(self.section())?);
                check_size(batch.encoded_size())?;
                batch
            }
        };
        self.clear();
        Ok(batch)
    }

    /// Appends the finished batch to `dst` as it goes on the wire, then starts a new,
    /// empty one with the same codec and `first_timestamp`, keeping the whole buffer.
    /// Returns the bytes appended.
    ///
    /// The result is byte for byte what [`BatchBuilder::build`] then
    /// [`Encode::encode`] write. On error the builder is left as it was.
    pub fn encode_into(&mut self, dst: &mut BytesMut) -> Result<usize, EncodeError> {
        let header = self.header()?;
        let start = dst.len();
        match self.compression {
            Compression::None => {
                check_size(self.buf.len())?;
                self.seal(header)?;
                dst.extend_from_slice(&self.buf);
            }
            codec => {
                let batch = Batch::from_raw_parts(header, codec.compress(self.section())?);
                batch.encode(dst, 0)?;
            }
        }
        self.clear();
        Ok(dst.len() - start)
    }

    /// The records section: `i32` count and records.
    fn section(&self) -> &[u8] {
        self.buf.get(SECTION_AT..).unwrap_or_default()
    }

    /// Writes the count and returns the header (without length and CRC).
    fn header(&mut self) -> Result<BatchHeader, EncodeError> {
        if let Some(slot) = self.buf.get_mut(SECTION_AT..RECORDS_AT) {
            slot.copy_from_slice(&self.count.to_be_bytes());
        }
        let last = self.count - 1;
        Ok(BatchHeader {
            base_offset: i64::from(last.max(0)),
            attributes: self.compression.apply_to(0),
            last_offset_delta: last,
            first_timestamp: self.first_timestamp,
            max_time_stamp: self
                .first_timestamp
                .saturating_add(self.last_timestamp_delta),
            producer_id: self.producer.0,
            producer_epoch: self.producer.1,
            first_sequence: self.producer.2,
            ..BatchHeader::default()
        })
    }

    /// Completes the buffer (at most `i32::MAX` bytes) as an uncompressed batch: writes `header` with its length
    /// into the room left for it, then computes and writes the CRC.
    fn seal(&mut self, mut header: BatchHeader) -> Result<BatchHeader, EncodeError> {
        // The caller checked the whole batch against `i32::MAX`.
        let len = self.buf.len() - BATCH_PREAMBLE_SIZE;
        header.batch_len = i32::try_from(len).unwrap_or(i32::MAX);
        let mut room = self.buf.get_mut(..SECTION_AT).unwrap_or_default();
        room.put_i64(header.base_offset);
        room.put_i32(header.batch_len);
        room.put_i32(header.partition_leader_epoch);
        room.put_i8(header.magic);
        room.put_u32(0);
        header.put_crc_fields(&mut room)?;
        header.crc = self.crc.finish(&self.buf, CRC_COVERS);
        if let Some(slot) = self.buf.get_mut(CRC_AT..CRC_COVERS) {
            slot.copy_from_slice(&header.crc.to_be_bytes());
        }
        Ok(header)
    }
}
