//! Ids: of the client's objects (connections, producers, sends, flushes, consumers,
//! operations), and the tags that name who waits for a request's answer.

use std::fmt;

macro_rules! id_type {
    ($(#[$m:meta])* $name:ident, $what:literal) => {
        $(#[$m])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub struct $name(pub u64);

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, concat!($what, "#{}"), self.0)
            }
        }
    };
}

id_type!(
    /// A connection, chosen by the client when it asks the driver to connect.
    ConnId, "conn"
);
id_type!(
    /// A producer.
    ProducerId, "producer"
);
id_type!(
    /// One record handed to [`Client::send`](super::Client::send).
    SendId, "send"
);
id_type!(
    /// A flush (or close) of a producer.
    FlushId, "flush"
);
id_type!(
    /// A consumer.
    ConsumerId, "consumer"
);
id_type!(
    /// An operation: admin request, watch, one-shot fetch, offset flush.
    OpId, "op"
);

pub use crate::protocol::message::Peer;

/// Who is waiting for a request's answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Tag {
    /// A liveness probe (ApiVersions) of a connection carrying streams.
    Probe,
    /// A metadata watch of the client.
    MetaWatch,
    /// A request of the admin component.
    Admin(AdminReq),
    /// A request of the producer component.
    Producer(ProducerReq),
    /// A request of the consumer component.
    Consumer(ConsumerTag),
}

/// The requests of the admin component.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum AdminReq {
    /// A watch of the application.
    Watch(OpId),
    /// An admin request to the SC.
    Sc(OpId),
    /// A consumer-offset admin request to an SPU.
    Spu(OpId),
    /// A one-shot fetch.
    Fetch(OpId),
}

/// The requests of the producer component.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ProducerReq {
    /// A produce request of a producer's partition.
    Produce(PartRequest),
    /// A read-back of a producer's partition after an unknown outcome.
    ReadBack(PartRequest),
}

/// Request number `request` of partition `partition` of producer `producer`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct PartRequest {
    pub(crate) producer: ProducerId,
    pub(crate) partition: u32,
    pub(crate) request: u64,
}

/// A request of a consumer's partition, for stream generation `generation`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct ConsumerTag {
    pub(crate) consumer: ConsumerId,
    pub(crate) partition: u32,
    pub(crate) generation: u64,
    pub(crate) kind: ConsumerReq,
}

/// The requests of a consumer partition.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ConsumerReq {
    ConsumerOffset,
    FetchOffsets,
    Stream,
    Ack,
    OffsetFlush(OpId),
}
