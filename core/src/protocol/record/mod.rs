//! Record batches, records, record sets and compression.
//!
//! # Layout (all integers big-endian)
//!
//! A **record set** is an `i32` byte length followed by concatenated batches. A
//! **batch** is:
//!
//! ```text
//!  0  base_offset            i64   producers send count-1; the SPU assigns the real one
//!  8  batch_len              i32   bytes after this field
//! 12  partition_leader_epoch i32
//! 16  magic                  i8    2
//! 17  crc                    u32   CRC-32C (Castagnoli) of bytes 21.. to the end
//! 21  attributes             i16   0x07 codec (see Compression), 0x10 schema id present
//! 23  last_offset_delta      i32   record count - 1
//! 27  first_timestamp        i64
//! 35  max_time_stamp         i64
//! 43  producer_id            i64
//! 51  producer_epoch         i16
//! 53  first_sequence         i32
//! 57  [schema_id             u32]  only with attribute 0x10
//!     records section              i32 count + records; compressed AS A WHOLE
//!                                  (count included) when the codec is not none
//! ```
//!
//! A **record** is Fluvio's variant of Kafka's (see [`Record`]): varint length,
//! attributes, varint deltas, a `u8`-flagged optional key, a varint-length value and a
//! varint header count.
//!
//! # Truncation rule
//!
//! An SPU answering a StreamFetch fills the record set with whole stored batches up
//! to `max_bytes` and **cuts the last batch wherever the limit falls**; the set's
//! `i32` length is the cut length (observed in the real-cluster trace
//! `consume-beginning.trace`: length = `max_bytes` = 1048890, 74 complete batches,
//! then 4275 bytes of a 15448-byte batch, its header complete). Decoding keeps the
//! complete batches and the cut tail as a [`PartialBatch`] (which may stop anywhere,
//! even inside its first 12 bytes). [`RecordSet::next_offset`] is the offset after
//! the last complete batch; the SPU's stream itself continues after the cut batch
//! (see [`PartialBatch`]). A complete batch whose CRC or length is wrong is an error,
//! never silently dropped (upstream drops it, or hands back a cut batch as if whole).
//!
//! # Bytes and allocation
//!
//! Decoded batches keep their records section as a zero-copy slice of the frame and
//! re-encode byte for byte; [`Batch::records`] decodes records on demand (keys and
//! values are slices of the frame for uncompressed batches) and decompresses through a
//! bounded reader. No length read from the wire is used to allocate before it has
//! been checked against the bytes present.

mod batch;
mod builder;
mod compression;
mod crc;
mod data;
mod debug;
mod iter;
mod set;

#[cfg(test)]
mod batch_tests;
#[cfg(test)]
mod reuse_tests;
#[cfg(test)]
mod trace_tests;

pub use batch::{
    ATTR_SCHEMA_PRESENT, BATCH_FIXED_SIZE, BATCH_HEADER_SIZE, BATCH_PREAMBLE_SIZE, Batch,
    BatchHeader, DEFAULT_MAX_DECOMPRESSED, MAGIC, NO_TIMESTAMP,
};
pub use builder::BatchBuilder;
pub use compression::{ALL_COMPRESSIONS, COMPRESSION_MASK, Compression, UnknownCompression};
pub use data::{MIN_RECORD_SIZE, Record};
pub use debug::ShortBytes;
pub use iter::RecordIter;
pub use set::{PartialBatch, RecordSet};
