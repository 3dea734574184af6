//! Request and response headers, and the trait tying a request to its response.

use std::fmt::Debug;

use crate::protocol::codec::{Decode, Encode, Version};

crate::wire_struct! {
    /// The header that starts every request frame.
    #[derive(Debug, Clone, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
    pub struct RequestHeader {
        /// The API being called.
        pub api_key: u16,
        /// The version the body is encoded at.
        pub api_version: i16,
        /// Chosen by the client; echoed by the response.
        pub correlation_id: i32,
        /// Free-form client name (`fluvio` for the official client).
        pub client_id: String,
    }
}

crate::wire_struct! {
    /// The header that starts every response frame: only the correlation id.
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
    pub struct ResponseHeader {
        /// The correlation id of the request answered.
        pub correlation_id: i32,
    }
}

/// A request message: its API key, the versions this codec supports, and its response.
pub trait Request: Encode + Decode + Debug + Clone + PartialEq {
    /// The API key in the request header.
    const API_KEY: u16;
    /// Lowest version this codec encodes and decodes.
    const MIN_VERSION: Version;
    /// Highest version this codec encodes and decodes.
    const MAX_VERSION: Version;
    /// The response message.
    type Response: Encode + Decode + Debug + Clone + PartialEq;
}

impl RequestHeader {
    /// Decodes just the header at the start of a request payload (the body is left unread).
    pub fn peek(payload: &bytes::Bytes) -> Result<Self, crate::protocol::codec::DecodeError> {
        Self::decode(&mut crate::protocol::codec::Reader::new(payload.clone()), 0)
    }
}
