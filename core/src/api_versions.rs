//! ApiVersions (api key 18): the first request on every connection.
//!
//! PLACEHOLDER: being written.
