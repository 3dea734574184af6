//! flv errors as Python exceptions with a stable `code`.
//!
//! Every exception raised by the module is a [`FluvioError`] (or a subclass naming the
//! common cases), with `code` (`"TOPIC_NOT_FOUND"`, `"TIMEOUT"`, `"TLS_ERROR"`, ...) as an
//! attribute and a message that says what failed.

use flv_tokio::Error;
use pyo3::exceptions::PyException;
use pyo3::prelude::*;

pyo3::create_exception!(
    flv,
    FluvioError,
    PyException,
    "An flv failure; `code` names it (e.g. `TOPIC_NOT_FOUND`, `TIMEOUT`, `TLS_ERROR`)."
);
pyo3::create_exception!(
    flv,
    TopicNotFoundError,
    FluvioError,
    "The topic does not exist (`code` `TOPIC_NOT_FOUND`)."
);
pyo3::create_exception!(
    flv,
    FluvioTimeoutError,
    FluvioError,
    "An operation did not complete in time (`code` `TIMEOUT`)."
);
pyo3::create_exception!(
    flv,
    FluvioTlsError,
    FluvioError,
    "TLS failed: handshake, certificates or TLS settings (`TLS_ERROR`, `TLS_CONFIG_ERROR`)."
);
pyo3::create_exception!(
    flv,
    FluvioConnectionError,
    FluvioError,
    "A connection could not be opened or broke (`CONNECTION_REFUSED`, `CONNECTION_ERROR`, ...)."
);
pyo3::create_exception!(
    flv,
    FluvioClosedError,
    FluvioError,
    "The client, producer or consumer is closed (`code` `CLOSED`)."
);

/// A Python exception of the class that fits `code`, with `code` set on it.
///
/// Built lazily (`args` = `(message, code)`; `code` and `str()` are read from them), so it
/// can be made on a runtime thread without touching the interpreter.
pub fn py_error(code: &str, message: impl std::fmt::Display) -> PyErr {
    let args = (message.to_string(), code.to_owned());
    match code {
        "TOPIC_NOT_FOUND" => TopicNotFoundError::new_err(args),
        "TIMEOUT" => FluvioTimeoutError::new_err(args),
        "TLS_ERROR" | "TLS_CONFIG_ERROR" => FluvioTlsError::new_err(args),
        "CONNECTION_REFUSED" | "CONNECTION_ERROR" | "DNS_ERROR" | "INVALID_ADDRESS" => {
            FluvioConnectionError::new_err(args)
        }
        "CLOSED" => FluvioClosedError::new_err(args),
        _ => FluvioError::new_err(args),
    }
}

/// The Python exception of an flv error.
pub fn to_py(error: Error) -> PyErr {
    py_error(&code_of(&error), &error)
}

/// The error of an argument passed wrong (`code` `INVALID_ARGUMENT`).
pub fn invalid_argument(message: impl std::fmt::Display) -> PyErr {
    py_error("INVALID_ARGUMENT", message)
}

/// The stable code of an flv error (see `flv_tokio::Error::code`).
pub fn code_of(error: &Error) -> String {
    error.code()
}

/// Registers the exception classes in the module.
pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    let py = m.py();
    m.add("FluvioError", py.get_type::<FluvioError>())?;
    // The official package exports its error class under this (misspelt) name.
    m.add("FluviorError", py.get_type::<FluvioError>())?;
    m.add("TopicNotFoundError", py.get_type::<TopicNotFoundError>())?;
    m.add("FluvioTimeoutError", py.get_type::<FluvioTimeoutError>())?;
    m.add("FluvioTlsError", py.get_type::<FluvioTlsError>())?;
    m.add(
        "FluvioConnectionError",
        py.get_type::<FluvioConnectionError>(),
    )?;
    m.add("FluvioClosedError", py.get_type::<FluvioClosedError>())?;
    // `code` and the message come from the arguments `(message, code)` of `py_error`.
    let globals = pyo3::types::PyDict::new(py);
    globals.set_item("FluvioError", py.get_type::<FluvioError>())?;
    py.run(
        cr#"
def _code(self):
    return self.args[1] if len(self.args) > 1 else "ERROR"

def _str(self):
    return str(self.args[0]) if self.args else ""

FluvioError.code = property(_code, doc="The error's stable code, e.g. TOPIC_NOT_FOUND.")
FluvioError.__str__ = _str
"#,
        Some(&globals),
        None,
    )?;
    Ok(())
}
