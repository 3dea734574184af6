//! Dispatch of frames to typed messages by api key and version.
