//! The records of a fetched batch, as the application gets them: shared by the consumer
//! streams and the one-shot fetch of the admin component.

use super::error::ClientError;
use super::event::ConsumerRecord;
use crate::protocol::record::{Batch, DEFAULT_MAX_DECOMPRESSED};

/// The records of `batch` at or after `from` and before `end`.
pub(crate) fn batch_records(
    batch: &Batch,
    partition: u32,
    from: i64,
    end: Option<i64>,
) -> Result<Vec<ConsumerRecord>, ClientError> {
    let records = batch
        .records_with_limit(DEFAULT_MAX_DECOMPRESSED)
        .map_err(|source| ClientError::CorruptBatch {
            base_offset: batch.base_offset(),
            source,
        })?;
    Ok(batch
        .records_at_or_after(records, from, end)
        .map(|(offset, r)| ConsumerRecord {
            partition,
            offset,
            timestamp: batch.record_timestamp(&r).unwrap_or(-1),
            key: r.key,
            value: r.value,
        })
        .collect())
}
