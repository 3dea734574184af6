"""flv: a fast Fluvio client for Python, over flv (Rust).

A drop-in for the official ``fluvio`` package (0.21): the same classes, methods and
argument shapes, so ``import flv as fluvio`` runs programs written for it::

    from flv import Fluvio, FluvioConfig, Offset

    fluvio = Fluvio.connect_with_config(FluvioConfig.new("127.0.0.1:9003"))
    producer = fluvio.topic_producer("events")
    producer.send(b"key", b"value").wait()
    for record in fluvio.partition_consumer("events", 0).stream(Offset.beginning()):
        print(record.offset(), record.value_string())

Beyond it: every blocking call releases the GIL while it waits; ``async_*`` methods
return asyncio awaitables and streams support ``async for``; ``send_all`` and
``next_batch()`` / ``batches()`` cross into Rust once per batch; errors are
:class:`FluvioError` (or a subclass) with a ``code``.
"""

import atexit
from dataclasses import dataclass, replace
from enum import Enum
import re
import typing

from ._flv import (
    CommonCreateRequest,
    Compression,
    ConsumerConfig,
    ConsumerConfigExt,
    ConsumerConfigExtBuilder,
    ConsumerOffset,
    DeliverySemantic,
    Fluvio,
    FluvioAdmin,
    FluvioClosedError,
    FluvioConfig,
    FluvioConnectionError,
    FluvioError,
    FluviorError,
    FluvioTimeoutError,
    FluvioTlsError,
    Isolation,
    MessageMetadataSmartModuleSpec,
    MessageMetadataTopicSpec,
    MetadataPartitionSpec,
    MetadataSmartModuleSpec,
    MetadataTopicSpec,
    MetaUpdateSmartModuleSpec,
    MetaUpdateTopicSpec,
    MultiplePartitionConsumer,
    Offset,
    OffsetManagementStrategy,
    PartitionConsumer,
    PartitionConsumerStream,
    PartitionMap,
    PartitionSelectionStrategy,
    ProduceOutput,
    Record,
    RecordBatches,
    RecordMetadata,
    SmartModuleSpec,
    TopicNotFoundError,
    TopicProducer,
    TopicProducerConfig,
    TopicProducerConfigBuilder,
    WatchSmartModuleStream,
    WatchTopicStream,
)
from ._flv import TopicSpec as _TopicSpec
from ._flv import shutdown as _shutdown

# Runtime threads stop handing results to asyncio before the interpreter finalizes.
atexit.register(_shutdown)

__all__ = [
    "Fluvio",
    "FluvioConfig",
    "FluvioAdmin",
    "TopicSpec",
    "CompressionType",
    "TopicMode",
    "Record",
    "RecordMetadata",
    "Offset",
    "TopicProducer",
    "TopicProducerConfig",
    "TopicProducerConfigBuilder",
    "Compression",
    "DeliverySemantic",
    "Isolation",
    "ProduceOutput",
    "ProducerBatchRecord",
    "ConsumerConfigExt",
    "ConsumerConfigExtBuilder",
    "ConsumerConfig",
    "PartitionConsumer",
    "PartitionConsumerStream",
    "RecordBatches",
    "MultiplePartitionConsumer",
    "OffsetManagementStrategy",
    "ConsumerOffset",
    "CommonCreateRequest",
    "SmartModuleSpec",
    "PartitionMap",
    "MessageMetadataTopicSpec",
    "MessageMetadataSmartModuleSpec",
    "MetadataPartitionSpec",
    "MetadataSmartModuleSpec",
    "MetadataTopicSpec",
    "MetaUpdateTopicSpec",
    "MetaUpdateSmartModuleSpec",
    "WatchTopicStream",
    "WatchSmartModuleStream",
    "PartitionSelectionStrategy",
    "SmartModuleKind",
    "FluvioError",
    "FluviorError",
    "TopicNotFoundError",
    "FluvioTimeoutError",
    "FluvioTlsError",
    "FluvioConnectionError",
    "FluvioClosedError",
]


class ProducerBatchRecord:
    """A ``(key, value)`` record for ``TopicProducer.send_all`` (tuples work too)."""

    __slots__ = ("key", "value")

    def __init__(self, key: typing.Any, value: typing.Any) -> None:
        self.key = key
        self.value = value


class SmartModuleKind(Enum):
    """Kinds of SmartModules (accepted for compatibility; flv runs none)."""

    Filter = "filter"
    Map = "map"
    ArrayMap = "array_map"
    FilterMap = "filter_map"
    Aggregate = "aggregate"


class TopicMode(Enum):
    """How a topic's partitions are laid out."""

    MIRROR = "mirror"
    ASSIGNED = "assigned"
    COMPUTED = "computed"


class CompressionType(Enum):
    """The compression a topic requires of its producers."""

    NONE = "none"
    GZIP = "gzip"
    SNAPPY = "snappy"
    LZ4 = "lz4"
    ANY = "any"
    ZSTD = "zstd"


_UNITS = {
    "": 1,
    "b": 1,
    "k": 1000,
    "kb": 1000,
    "kib": 1024,
    "m": 1000**2,
    "mb": 1000**2,
    "mib": 1024**2,
    "g": 1000**3,
    "gb": 1000**3,
    "gib": 1024**3,
    "t": 1000**4,
    "tb": 1000**4,
    "tib": 1024**4,
}

_SECONDS = {
    "": 1,
    "s": 1,
    "sec": 1,
    "secs": 1,
    "second": 1,
    "seconds": 1,
    "m": 60,
    "min": 60,
    "mins": 60,
    "minute": 60,
    "minutes": 60,
    "h": 3600,
    "hr": 3600,
    "hour": 3600,
    "hours": 3600,
    "d": 86400,
    "day": 86400,
    "days": 86400,
    "w": 604800,
    "week": 604800,
    "weeks": 604800,
}


def _parse(text: str, units: typing.Dict[str, int], what: str) -> int:
    m = re.fullmatch(r"\s*([0-9]+(?:\.[0-9]+)?)\s*([A-Za-z]*)\s*", text)
    if m is None or m.group(2).lower() not in units:
        raise ValueError(f"cannot parse {what} {text!r}")
    return int(float(m.group(1)) * units[m.group(2).lower()])


@dataclass(frozen=True)
class TopicSpec:
    """A topic's settings, built step by step (each ``with_*`` returns a new spec);
    ``build()`` gives what ``FluvioAdmin.create_topic`` takes (it also takes the builder)."""

    mode: TopicMode = TopicMode.COMPUTED
    partitions: int = 1
    replications: int = 1
    ignore_rack: bool = True
    replica_assignment: typing.Optional[typing.List[PartitionMap]] = None
    retention_time: typing.Optional[int] = None
    segment_size: typing.Optional[int] = None
    compression_type: typing.Optional[CompressionType] = None
    max_partition_size: typing.Optional[int] = None
    system: bool = False

    @classmethod
    def new(cls, partitions: int = 1, replication: int = 1, ignore: bool = True) -> "TopicSpec":
        """A computed topic spec."""
        return cls(partitions=partitions, replications=replication, ignore_rack=ignore)

    @classmethod
    def create(cls) -> "TopicSpec":
        """The default spec: 1 partition, 1 replica."""
        return cls()

    def with_assignment(self, replica_assignment: typing.List[PartitionMap]) -> "TopicSpec":
        """Explicit partition → SPU assignment."""
        return replace(self, mode=TopicMode.ASSIGNED, replica_assignment=replica_assignment)

    def as_mirror_topic(self) -> "TopicSpec":
        """A mirror topic (not supported by flv: ``build()`` raises)."""
        return replace(self, mode=TopicMode.MIRROR)

    def with_partitions(self, partitions: int) -> "TopicSpec":
        """The partition count."""
        if partitions < 0:
            raise ValueError("Partitions must be a positive integer")
        return replace(self, partitions=partitions)

    def with_replications(self, replications: int) -> "TopicSpec":
        """The replication factor."""
        if replications < 0:
            raise ValueError("Replication factor must be a positive integer")
        return replace(self, replications=replications)

    def with_ignore_rack(self, ignore: bool = True) -> "TopicSpec":
        """Ignore racks when assigning replicas."""
        return replace(self, ignore_rack=ignore)

    def with_compression(self, compression: CompressionType) -> "TopicSpec":
        """The compression producers must use."""
        return replace(self, compression_type=compression)

    def with_retention_time(self, retention_time: typing.Union[str, int]) -> "TopicSpec":
        """Retention time: seconds, or text such as ``"1h"`` / ``"7 days"``."""
        if isinstance(retention_time, int):
            return replace(self, retention_time=retention_time)
        return replace(self, retention_time=_parse(retention_time, _SECONDS, "time"))

    def with_segment_size(self, size: typing.Union[str, int]) -> "TopicSpec":
        """Segment size: bytes, or text such as ``"10M"`` / ``"1 MiB"``."""
        if isinstance(size, int):
            return replace(self, segment_size=size)
        return replace(self, segment_size=_parse(size, _UNITS, "size"))

    def with_max_partition_size(self, size: typing.Union[str, int]) -> "TopicSpec":
        """Largest partition size: bytes, or text such as ``"10G"``."""
        if isinstance(size, int):
            return replace(self, max_partition_size=size)
        return replace(self, max_partition_size=_parse(size, _UNITS, "size"))

    def as_system_topic(self, is_system: bool = True) -> "TopicSpec":
        """Mark the topic as a system topic."""
        return replace(self, system=is_system)

    def build(self) -> _TopicSpec:
        """The native spec."""
        if self.mode == TopicMode.ASSIGNED and self.replica_assignment:
            spec = _TopicSpec.new_assigned(self.replica_assignment)
        elif self.mode == TopicMode.MIRROR:
            spec = _TopicSpec.new_mirror()
        else:
            spec = _TopicSpec.new_computed(self.partitions, self.replications, self.ignore_rack)
        spec.set_system(self.system)
        if self.retention_time is not None:
            spec.set_retention_time(self.retention_time)
        if self.max_partition_size is not None or self.segment_size is not None:
            spec.set_storage(self.max_partition_size, self.segment_size)
        if self.compression_type is not None:
            spec.set_compression_type(self.compression_type.value)
        return spec
