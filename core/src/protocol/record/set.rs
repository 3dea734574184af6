//! Record sets: an `i32` length followed by batches, the last one possibly cut short.

use bytes::{Bytes, BytesMut};

use super::batch::{BATCH_HEADER_SIZE, BATCH_PREAMBLE_SIZE, Batch};
use super::data::Record;
use crate::protocol::codec::{Decode, DecodeError, Encode, EncodeError, Reader, Version};

/// The bytes of a batch cut short at the end of a record set.
///
/// An SPU answering a StreamFetch copies whole stored batches until `max_bytes` and
/// then cuts the last one **inside** the batch; the record set's `i32` length is the
/// cut length. The records of a partial batch are not usable, and the SPU's stream
/// does **not** resend them: it continues after the cut batch (observed in
/// `consumer-offsets-commit.trace`: a response ending with the cut batch 431..=433 is
/// followed by one starting at 434, and the official client acknowledges 434 in
/// UpdateOffsets, silently skipping those records). A consumer that must not lose them
/// fetches again from [`PartialBatch::base_offset`]. The bytes are kept so the set
/// re-encodes identically.
#[derive(Clone, PartialEq, Eq, Default)]
#[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
pub struct PartialBatch {
    /// The cut batch's base offset, when its first 8 bytes arrived.
    pub base_offset: Option<i64>,
    /// Everything of the batch that arrived.
    #[cfg_attr(feature = "arbitrary", arbitrary(with = crate::protocol::codec::arb::bytes))]
    pub bytes: Bytes,
}

impl PartialBatch {
    /// The cut batch's `last_offset_delta`, when its header arrived that far.
    pub fn last_offset_delta(&self) -> Option<i32> {
        self.bytes
            .get(23..27)
            .and_then(|b| <[u8; 4]>::try_from(b).ok())
            .map(i32::from_be_bytes)
    }

    /// The offset after the cut batch: where the SPU's stream continues.
    pub fn next_offset(&self) -> Option<i64> {
        let base = self.base_offset?;
        Some(
            base.saturating_add(i64::from(self.last_offset_delta()?))
                .saturating_add(1),
        )
    }
}

/// A record set: `i32` total length, then concatenated batches.
///
/// Decoding keeps every complete batch as a zero-copy slice of the frame (CRC
/// verified) and a trailing incomplete batch as a [`PartialBatch`]; encoding writes
/// both back unchanged.
#[derive(Debug, Clone, PartialEq, Default)]
#[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
pub struct RecordSet {
    /// The complete batches, in order.
    pub batches: Vec<Batch>,
    /// A batch cut short at the end of the set, if any.
    pub partial: Option<PartialBatch>,
}

impl RecordSet {
    /// A record set of complete batches.
    pub fn from_batches(batches: Vec<Batch>) -> Self {
        Self {
            batches,
            partial: None,
        }
    }

    /// The complete batches.
    pub fn batches(&self) -> &[Batch] {
        &self.batches
    }

    /// The trailing cut batch, if any.
    pub fn partial(&self) -> Option<&PartialBatch> {
        self.partial.as_ref()
    }

    /// True when the set has no complete batch.
    pub fn is_empty(&self) -> bool {
        self.batches.is_empty()
    }

    /// Base offset of the first complete batch.
    pub fn base_offset(&self) -> Option<i64> {
        self.batches.first().map(Batch::base_offset)
    }

    /// Offset of the last record of the last complete batch.
    pub fn last_offset(&self) -> Option<i64> {
        self.batches.last().map(Batch::last_offset)
    }

    /// The offset after the last complete batch: every record before it was delivered.
    ///
    /// `None` when no batch is complete (then a [`PartialBatch`], if any, is a batch
    /// larger than the fetch's `max_bytes`). See [`PartialBatch`] for where the SPU's
    /// stream continues.
    pub fn next_offset(&self) -> Option<i64> {
        self.batches.last().map(Batch::next_offset)
    }

    /// Records announced by the complete batches' headers.
    pub fn total_records(&self) -> usize {
        self.batches.iter().map(Batch::records_count).sum()
    }

    /// Every record of the complete batches with its absolute offset, decompressing
    /// each batch with a bound of `max_decompressed` bytes.
    pub fn records_with_offsets(
        &self,
        max_decompressed: usize,
    ) -> Result<Vec<(i64, Record)>, DecodeError> {
        let mut out = Vec::new();
        for batch in &self.batches {
            for record in batch.iter_records_with_limit(max_decompressed)? {
                let record = record?;
                out.push((batch.record_offset(&record), record));
            }
        }
        Ok(out)
    }

    /// Bytes the set takes on the wire, its length prefix included.
    pub fn encoded_size(&self) -> usize {
        4 + self.batches.iter().map(Batch::encoded_size).sum::<usize>()
            + self.partial.as_ref().map_or(0, |p| p.bytes.len())
    }
}

impl Encode for RecordSet {
    fn encode(&self, dst: &mut BytesMut, version: Version) -> Result<(), EncodeError> {
        dst.reserve(self.encoded_size());
        crate::protocol::codec::encode_u32_len_prefixed(dst, "record set", |dst| {
            for batch in &self.batches {
                batch.encode(dst, version)?;
            }
            if let Some(partial) = &self.partial {
                dst.extend_from_slice(&partial.bytes);
            }
            Ok(())
        })
    }
}

impl Decode for RecordSet {
    fn decode(src: &mut Reader, version: Version) -> Result<Self, DecodeError> {
        let len = src.count("record set")?;
        let mut set = Reader::new(src.bytes("record set", len)?);
        let mut batches = Vec::new();
        while !set.is_empty() {
            let head = set.peek();
            let base_offset = head
                .get(..8)
                .and_then(|b| <[u8; 8]>::try_from(b).ok())
                .map(i64::from_be_bytes);
            let batch_len = head
                .get(8..BATCH_PREAMBLE_SIZE)
                .and_then(|b| <[u8; 4]>::try_from(b).ok())
                .map(i32::from_be_bytes);
            if let Some(batch_len) = batch_len {
                // Even a cut batch must announce a plausible length.
                let plausible = usize::try_from(batch_len)
                    .ok()
                    .filter(|len| *len >= BATCH_HEADER_SIZE);
                let Some(blen) = plausible else {
                    return Err(DecodeError::InvalidLength {
                        what: "record batch",
                        len: i64::from(batch_len),
                    });
                };
                if BATCH_PREAMBLE_SIZE.saturating_add(blen) <= set.remaining() {
                    batches.push(Batch::decode(&mut set, version)?);
                    continue;
                }
            }
            return Ok(Self {
                batches,
                partial: Some(PartialBatch {
                    base_offset,
                    bytes: set.rest(),
                }),
            });
        }
        Ok(Self {
            batches,
            partial: None,
        })
    }
}
