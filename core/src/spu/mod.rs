//! SPU (data plane) messages.
