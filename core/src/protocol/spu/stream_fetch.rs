//! StreamFetch (api key 1003): a continuous fetch with many responses per request.
//!
//! Upstream: `fluvio-spu-schema` `server/stream_fetch.rs`. The SPU advertises versions
//! 0..=25; the official client sends 25.

use bytes::Bytes;

use super::Isolation;
use super::fetch::FetchablePartitionResponse;
use super::smartmodule::{SmartModuleExtraParams, SmartModuleInvocation};
use crate::protocol::codec::Version;
use crate::protocol::header::Request;

/// First version with the legacy inline `wasm_module`.
pub const WASM_MODULE_VERSION: Version = 11;
/// First version with the legacy single `smartmodule` and `derivedstream`.
pub const SMART_MODULE_VERSION: Version = 16;
/// Version from which `smartmodules` (a chain) replaces the legacy fields, which
/// are still written at this version and dropped after it.
pub const CHAIN_VERSION: Version = 18;
/// First version with `consumer_id` (offset management).
pub const OFFSET_MANAGEMENT_VERSION: Version = 23;

crate::wire_struct! {
    /// Open a stream of records from one partition.
    #[derive(Debug, Clone, PartialEq, Default)]
    #[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
    pub struct StreamFetchRequest {
        /// Topic name.
        pub topic: String,
        /// Partition index.
        pub partition: u32,
        /// First offset to stream.
        pub fetch_offset: i64,
        /// Maximum bytes per response.
        pub max_bytes: i32,
        /// Isolation as a `u8`.
        pub isolation: Isolation,
        /// Legacy inline WASM module (versions 11–18).
        #[cfg_attr(feature = "arbitrary", arbitrary(with = crate::protocol::codec::arb::bytes))]
        @since(WASM_MODULE_VERSION)
        @until(CHAIN_VERSION)
        pub wasm_module: Bytes,
        /// Legacy single SmartModule (versions 16–18).
        @since(SMART_MODULE_VERSION)
        @until(CHAIN_VERSION)
        pub smartmodule: Option<SmartModuleInvocation>,
        /// Legacy derived stream (versions 16–18).
        @since(SMART_MODULE_VERSION)
        @until(CHAIN_VERSION)
        pub derivedstream: Option<DerivedStreamInvocation>,
        /// SmartModule chain (version ≥ 18).
        @since(CHAIN_VERSION)
        pub smartmodules: Vec<SmartModuleInvocation>,
        /// Consumer id for offset management (version ≥ 23).
        @since(OFFSET_MANAGEMENT_VERSION)
        pub consumer_id: Option<String>,
    }
}

impl Request for StreamFetchRequest {
    const API_KEY: u16 = super::api_key::STREAM_FETCH;
    const MIN_VERSION: Version = 0;
    const MAX_VERSION: Version = 25;
    type Response = StreamFetchResponse;
}

crate::wire_struct! {
    /// Legacy derived stream invocation (stream fetch versions 16–18).
    #[derive(Debug, Clone, PartialEq, Default)]
    #[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
    pub struct DerivedStreamInvocation {
        /// Derived stream name.
        pub stream: String,
        /// Its parameters.
        pub params: SmartModuleExtraParams,
    }
}

crate::wire_struct! {
    /// One response of a stream (all share the request's correlation id).
    #[derive(Debug, Clone, PartialEq, Default)]
    #[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
    pub struct StreamFetchResponse {
        /// Topic name.
        pub topic: String,
        /// Stream (session) id, used by [`UpdateOffsetsRequest`](super::UpdateOffsetsRequest).
        pub stream_id: u32,
        /// Records and offsets.
        pub partition: FetchablePartitionResponse,
    }
}
