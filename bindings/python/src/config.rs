//! `FluvioConfig`: how to reach a cluster (the official class, with its TLS setters).

use std::sync::Mutex;

use flv_tokio::config::{ClusterConfig, ConfigFile, TlsCerts, TlsConfig, TlsPaths, TlsPolicy};
use pyo3::prelude::*;

use crate::error::py_error;

/// A cluster's endpoint, TLS settings and client id (the official `FluvioConfig`).
#[pyclass(module = "flv", frozen)]
pub struct FluvioConfig {
    cluster: Mutex<ClusterConfig>,
}

impl FluvioConfig {
    /// The cluster configuration as set so far.
    pub fn cluster(&self) -> ClusterConfig {
        self.lock().clone()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, ClusterConfig> {
        // A panic while holding this lock cannot leave the config half-written.
        self.cluster.lock().unwrap_or_else(|e| e.into_inner())
    }
}

#[pymethods]
impl FluvioConfig {
    /// The cluster of the current profile (`~/.fluvio/config`, or `FLV_PROFILE_PATH`).
    #[staticmethod]
    fn load() -> PyResult<Self> {
        let file = ConfigFile::load_default().map_err(|e| py_error("CONFIG_ERROR", e))?;
        let cluster = file
            .config()
            .current_cluster()
            .map_err(|e| py_error("CONFIG_ERROR", e))?
            .clone();
        Ok(Self {
            cluster: Mutex::new(cluster),
        })
    }

    /// A configuration for the SC at `addr` (`host:port`), without TLS.
    #[staticmethod]
    fn new(addr: String) -> Self {
        Self {
            cluster: Mutex::new(ClusterConfig::new(addr)),
        }
    }

    /// Sets the SC endpoint (`host:port`).
    fn set_endpoint(&self, endpoint: String) {
        self.lock().endpoint = endpoint;
    }

    /// Connects to SPUs at their private (local) addresses instead of the public ones.
    fn set_use_spu_local_address(&self, val: bool) {
        self.lock().use_spu_local_address = val;
    }

    /// Plain TCP.
    fn disable_tls(&self) {
        self.lock().tls = TlsPolicy::Disabled;
    }

    /// TLS without verifying the server's certificate.
    fn set_anonymous_tls(&self) {
        self.lock().tls = TlsPolicy::Anonymous;
    }

    /// Verified TLS with PEM text: client key and certificate, and the CA certificate.
    fn set_inline_tls(&self, domain: String, key: String, cert: String, ca_cert: String) {
        self.lock().tls = TlsPolicy::Verified(TlsConfig::Inline(TlsCerts {
            domain,
            key,
            cert,
            ca_cert,
        }));
    }

    /// Verified TLS with PEM files: client key and certificate, and the CA certificate.
    fn set_tls_file_paths(
        &self,
        domain: String,
        key_path: String,
        cert_path: String,
        ca_cert_path: String,
    ) {
        self.lock().tls = TlsPolicy::Verified(TlsConfig::Files(TlsPaths {
            domain,
            key: key_path.into(),
            cert: cert_path.into(),
            ca_cert: ca_cert_path.into(),
        }));
    }

    /// The client id sent to the cluster.
    fn set_client_id(&self, id: String) {
        self.lock().client_id = Some(id);
    }

    /// Sends the default client id.
    fn unset_client_id(&self) {
        self.lock().client_id = None;
    }

    /// The SC endpoint.
    #[getter]
    fn endpoint(&self) -> String {
        self.lock().endpoint.clone()
    }

    fn __repr__(&self) -> String {
        let c = self.lock();
        let tls = match &c.tls {
            TlsPolicy::Disabled => "disabled",
            TlsPolicy::Anonymous => "anonymous",
            TlsPolicy::Verified(_) => "verified",
        };
        format!("FluvioConfig(endpoint={:?}, tls={tls})", c.endpoint)
    }
}

/// Registers the class.
pub(crate) fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<FluvioConfig>()
}
