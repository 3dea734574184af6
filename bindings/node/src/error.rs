//! flv errors as JavaScript errors with a stable `code`.
//!
//! N-API rejections carry a status, not a free code, so the code travels in front of the
//! message as `[CODE] message`; `index.js` moves it to the error's `code` property.

use flv_tokio::Error;

/// A JavaScript error with `code` (see the module docs for the encoding).
pub fn js_error(code: &str, message: impl std::fmt::Display) -> napi::Error {
    napi::Error::new(napi::Status::GenericFailure, format!("[{code}] {message}"))
}

/// The JavaScript error of an flv error.
pub fn to_js(error: Error) -> napi::Error {
    js_error(&code_of(&error), &error)
}

/// The error of an operation on a closed client, producer or consumer.
pub fn closed() -> napi::Error {
    js_error("CLOSED", "the client is closed")
}

/// The error of an argument JavaScript passed wrong.
pub fn invalid_argument(message: impl std::fmt::Display) -> napi::Error {
    js_error("INVALID_ARGUMENT", message)
}

/// The stable code of an flv error (see `flv_tokio::Error::code`).
pub fn code_of(error: &Error) -> String {
    error.code()
}
