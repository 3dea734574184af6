//! `flv topic create -c FILE`: the official CLI's YAML topic configuration
//! (`fluvio-controlplane-metadata` `TopicConfig`), with the same defaults.
//!
//! ```yaml
//! version: 0.1.0          # optional
//! meta:
//!   name: my-topic
//! partition:              # optional; count 1, replication 1 by default
//!   count: 3
//!   replication: 2
//!   ignore-rack-assignment: true
//!   max-size: 10 GB
//!   maps: [{ id: 0, replicas: [5001, 5002] }]   # instead of count/replication
//! retention:
//!   time: 2m
//!   segment-size: 2.0 KB
//! compression:
//!   type: Lz4
//! deduplication:
//!   bounds: { count: 100, age: 1m }
//!   filter: { transform: { uses: fluvio/dedup-bloom-filter@0.1.0 } }
//! ```

use std::collections::BTreeMap;
use std::path::Path;

use anyhow::Context;
use flv_driver::core::sc::topic::{
    Bounds, CleanupPolicy, CompressionAlgorithm, Deduplication, Filter, PartitionMap, ReplicaSpec,
    SegmentBasedPolicy, TopicReplicaParam, TopicSpec, TopicStorageConfig, Transform,
};
use serde::Deserialize;

use super::topic::parse_bytes;

#[derive(Debug, Deserialize)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
struct TopicConfig {
    #[serde(default)]
    #[allow(dead_code, reason = "read as upstream does, not used")]
    version: Option<String>,
    meta: MetaConfig,
    #[serde(default)]
    partition: PartitionConfig,
    #[serde(default)]
    retention: RetentionConfig,
    #[serde(default)]
    compression: CompressionConfig,
    #[serde(default)]
    deduplication: Option<DedupConfig>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
struct MetaConfig {
    name: String,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
struct PartitionConfig {
    count: Option<u32>,
    max_size: Option<Size>,
    replication: Option<u32>,
    ignore_rack_assignment: Option<bool>,
    maps: Option<Vec<PartitionMap>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
struct RetentionConfig {
    time: Option<String>,
    segment_size: Option<Size>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct CompressionConfig {
    #[serde(rename = "type", default)]
    type_: CompressionAlgorithm,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct DedupConfig {
    bounds: BoundsConfig,
    filter: FilterConfig,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct BoundsConfig {
    count: u64,
    age: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct FilterConfig {
    transform: TransformConfig,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct TransformConfig {
    uses: String,
    #[serde(default)]
    with: BTreeMap<String, String>,
}

/// A byte size: a number, or text with a unit (`2.0 KB`, `10 MiB`).
#[derive(Debug, Deserialize)]
#[serde(untagged)]
enum Size {
    Bytes(u64),
    Text(String),
}

impl Size {
    fn bytes(&self, what: &str) -> anyhow::Result<u64> {
        match self {
            Size::Bytes(n) => Ok(*n),
            Size::Text(t) => parse_bytes(t).map_err(|e| anyhow::anyhow!("{what}: {e}")),
        }
    }
}

fn duration(what: &str, text: &str) -> anyhow::Result<std::time::Duration> {
    humantime::parse_duration(text).with_context(|| format!("{what}: invalid duration `{text}`"))
}

/// The topic name and spec of the configuration file at `path`.
pub(crate) fn read(path: &Path) -> anyhow::Result<(String, TopicSpec)> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("cannot read topic configuration {}", path.display()))?;
    parse(&text).with_context(|| format!("invalid topic configuration {}", path.display()))
}

fn parse(text: &str) -> anyhow::Result<(String, TopicSpec)> {
    let config: TopicConfig = serde_yaml::from_str(text)?;
    let p = &config.partition;
    let replicas = match &p.maps {
        Some(maps) => ReplicaSpec::Assigned(maps.clone()),
        None => ReplicaSpec::Computed(TopicReplicaParam {
            partitions: p.count.unwrap_or(1),
            replication_factor: p.replication.unwrap_or(1),
            ignore_rack_assignment: p.ignore_rack_assignment.unwrap_or(false),
        }),
    };
    let cleanup_policy = config
        .retention
        .time
        .as_deref()
        .map(|t| -> anyhow::Result<CleanupPolicy> {
            let secs = duration("retention.time", t)?.as_secs();
            Ok(CleanupPolicy::Segment(SegmentBasedPolicy {
                time_in_seconds: u32::try_from(secs).context("retention.time is too long")?,
            }))
        })
        .transpose()?;
    let segment_size = config
        .retention
        .segment_size
        .as_ref()
        .map(|s| -> anyhow::Result<u32> {
            u32::try_from(s.bytes("retention.segment-size")?)
                .context("retention.segment-size must be below 4 GiB")
        })
        .transpose()?;
    let max_partition_size = p
        .max_size
        .as_ref()
        .map(|s| s.bytes("partition.max-size"))
        .transpose()?;
    let storage =
        (segment_size.is_some() || max_partition_size.is_some()).then_some(TopicStorageConfig {
            segment_size,
            max_partition_size,
        });
    let deduplication = config
        .deduplication
        .map(|d| -> anyhow::Result<Deduplication> {
            Ok(Deduplication {
                bounds: Bounds {
                    count: d.bounds.count,
                    age: d
                        .bounds
                        .age
                        .as_deref()
                        .map(|a| duration("deduplication.bounds.age", a))
                        .transpose()?,
                },
                filter: Filter {
                    transform: Transform {
                        uses: d.filter.transform.uses,
                        with: d.filter.transform.with,
                    },
                },
            })
        })
        .transpose()?;
    let spec = TopicSpec {
        replicas,
        cleanup_policy,
        storage,
        compression_type: config.compression.type_,
        deduplication,
        system: false,
    };
    Ok((config.meta.name, spec))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn the_official_example_parses() {
        let (name, spec) = parse(
            "version: 0.1.1\nmeta:\n  name: test_topic\npartition:\n  count: 3\n  max-size: 1.0 KB\n  replication: 2\n  ignore-rack-assignment: true\n  maps:\n  - id: 1\n    replicas:\n    - 1\n    - 2\nretention:\n  time: 2m\n  segment-size: 2.0 KB\ncompression:\n  type: Lz4\ndeduplication:\n  bounds:\n    count: 100\n    age: 1m\n  filter:\n    transform:\n      uses: fluvio/dedup-bloom-filter@0.1.0\n",
        )
        .unwrap();
        assert_eq!(name, "test_topic");
        assert!(matches!(&spec.replicas, ReplicaSpec::Assigned(m) if m[0].replicas == [1, 2]));
        assert_eq!(
            spec.cleanup_policy,
            Some(CleanupPolicy::Segment(SegmentBasedPolicy {
                time_in_seconds: 120
            }))
        );
        assert_eq!(
            spec.storage,
            Some(TopicStorageConfig {
                segment_size: Some(2000),
                max_partition_size: Some(1000)
            })
        );
        assert_eq!(spec.compression_type, CompressionAlgorithm::Lz4);
        let dedup = spec.deduplication.unwrap();
        assert_eq!(dedup.bounds.age, Some(Duration::from_secs(60)));
        assert_eq!(dedup.bounds.count, 100);
    }

    #[test]
    fn minimal_config_has_the_official_defaults() {
        let (name, spec) = parse("meta:\n  name: t\n").unwrap();
        assert_eq!(name, "t");
        assert_eq!(
            spec.replicas,
            ReplicaSpec::Computed(TopicReplicaParam {
                partitions: 1,
                replication_factor: 1,
                ignore_rack_assignment: false
            })
        );
        assert!(parse("meta:\n  name: t\nbogus: 1\n").is_err());
        assert!(parse("partition:\n  count: 1\n").is_err());
    }
}
