//! UpdateOffsets (api key 1005, version 0): stream fetch acknowledgements.
//!
//! After each stream fetch response with records, the client tells the SPU the next
//! offset of the stream session; the SPU sends nothing more until it does.
//! Upstream: `fluvio-spu-schema` `server/update_offset.rs`.

use crate::protocol::codec::Version;
use crate::protocol::error_code::ErrorCode;
use crate::protocol::header::Request;

crate::wire_struct! {
    /// The next offset of one stream session.
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
    #[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
    pub struct OffsetUpdate {
        /// Next offset to send.
        pub offset: i64,
        /// Stream id from the stream fetch response.
        pub session_id: u32,
    }
}

crate::wire_struct! {
    /// Acknowledge stream fetch progress.
    #[derive(Debug, Clone, PartialEq, Eq, Default)]
    #[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
    pub struct UpdateOffsetsRequest {
        /// One entry per session.
        pub offsets: Vec<OffsetUpdate>,
    }
}

impl Request for UpdateOffsetsRequest {
    const API_KEY: u16 = super::api_key::UPDATE_OFFSETS;
    const MIN_VERSION: Version = 0;
    const MAX_VERSION: Version = 0;
    type Response = UpdateOffsetsResponse;
}

crate::wire_struct! {
    /// Result for one session.
    #[derive(Debug, Clone, PartialEq, Default)]
    #[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
    pub struct OffsetUpdateStatus {
        /// Stream id.
        pub session_id: u32,
        /// `None` on success.
        pub error: ErrorCode,
    }
}

crate::wire_struct! {
    /// Answer to an [`UpdateOffsetsRequest`].
    #[derive(Debug, Clone, PartialEq, Default)]
    #[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
    pub struct UpdateOffsetsResponse {
        /// One entry per session.
        pub status: Vec<OffsetUpdateStatus>,
    }
}
