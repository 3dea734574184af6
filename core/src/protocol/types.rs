//! Protocol types shared by the SPU and SC messages and by error codes.

crate::wire_struct! {
    /// A partition: topic name and partition index.
    #[derive(
        Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Default, serde::Serialize,
        serde::Deserialize,
    )]
    #[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
    pub struct ReplicaKey {
        /// Topic name.
        pub topic: String,
        /// Partition index.
        pub partition: u32,
    }
}

impl ReplicaKey {
    /// A key for `topic` / `partition`.
    pub fn new(topic: impl Into<String>, partition: u32) -> Self {
        Self {
            topic: topic.into(),
            partition,
        }
    }
}
