//! The gateway's settings: [`GatewayArgs`] (the `flv gateway` flags) and [`GatewayOptions`].

use std::path::PathBuf;
use std::time::Duration;

use axum::http::{HeaderValue, Method, header};
use clap::Args;
use tower_http::cors::{AllowOrigin, CorsLayer};

use crate::auth::Tokens;
use crate::error::GatewayError;
use crate::tls::TlsFiles;

/// The flags of `flv gateway`.
#[derive(Debug, Clone, Args)]
pub struct GatewayArgs {
    /// Address to listen on, HOST:PORT (port 0 picks a free port)
    #[arg(long, value_name = "HOST:PORT", default_value = "127.0.0.1:8080")]
    pub bind: String,

    /// Serve HTTPS with this certificate chain (PEM); needs --tls-key
    #[arg(long, value_name = "PATH", requires = "tls_key")]
    pub tls_cert: Option<PathBuf>,

    /// The private key of --tls-cert (PEM)
    #[arg(long, value_name = "PATH", requires = "tls_cert")]
    pub tls_key: Option<PathBuf>,

    /// Bearer tokens and their topic grants (TOML, see the README); without it the gateway
    /// is open to anyone who reaches it
    #[arg(long, value_name = "PATH")]
    pub tokens: Option<PathBuf>,

    /// Origin allowed to call the gateway from a browser (CORS); repeat for several, `*` for
    /// any
    #[arg(long = "cors-origin", value_name = "ORIGIN")]
    pub cors_origins: Vec<String>,

    /// Largest request body, in bytes (larger ones get 413)
    #[arg(long, value_name = "BYTES", default_value_t = 8 << 20)]
    pub max_body_bytes: usize,

    /// Bytes of records each stream may hold before its reader takes them
    #[arg(long, value_name = "BYTES", default_value_t = 1 << 20)]
    pub stream_buffer_bytes: usize,

    /// Longest wait for the cluster in one request (connect, admin, produce acknowledgement)
    #[arg(long, value_name = "DURATION", default_value = "30s", value_parser = parse_duration)]
    pub request_timeout: Duration,
}

fn parse_duration(text: &str) -> Result<Duration, String> {
    let (number, unit) = text
        .find(|c: char| !c.is_ascii_digit())
        .map_or((text, "s"), |at| text.split_at(at));
    let n: u64 = number
        .parse()
        .map_err(|_| format!("{text:?} is not a duration like 30s or 500ms"))?;
    match unit {
        "ms" => Ok(Duration::from_millis(n)),
        "s" => Ok(Duration::from_secs(n)),
        "m" => Ok(Duration::from_secs(n.saturating_mul(60))),
        _ => Err(format!("{text:?} is not a duration like 30s or 500ms")),
    }
}

/// The settings of a gateway.
#[derive(Debug, Clone)]
pub struct GatewayOptions {
    /// Address to listen on.
    pub bind: String,
    /// TLS certificate and key, for HTTPS.
    pub tls: Option<TlsFiles>,
    /// Tokens and grants; `None` serves everyone.
    pub tokens: Option<Tokens>,
    /// CORS origins (`*` for any); empty sends no CORS headers.
    pub cors_origins: Vec<String>,
    /// Largest request body.
    pub max_body_bytes: usize,
    /// Bytes of records each stream may hold before its reader takes them.
    pub stream_buffer_bytes: usize,
    /// Longest wait for the cluster in one request.
    pub request_timeout: Duration,
}

impl Default for GatewayOptions {
    fn default() -> Self {
        Self {
            bind: "127.0.0.1:0".into(),
            tls: None,
            tokens: None,
            cors_origins: Vec::new(),
            max_body_bytes: 8 << 20,
            stream_buffer_bytes: 1 << 20,
            request_timeout: Duration::from_secs(30),
        }
    }
}

impl GatewayArgs {
    /// The options these flags give (reads the tokens file).
    pub fn options(&self) -> Result<GatewayOptions, GatewayError> {
        let tls = match (&self.tls_cert, &self.tls_key) {
            (Some(cert), Some(key)) => Some(TlsFiles {
                cert: cert.clone(),
                key: key.clone(),
            }),
            _ => None,
        };
        let tokens = self.tokens.as_deref().map(Tokens::load).transpose()?;
        let options = GatewayOptions {
            bind: self.bind.clone(),
            tls,
            tokens,
            cors_origins: self.cors_origins.clone(),
            max_body_bytes: self.max_body_bytes,
            stream_buffer_bytes: self.stream_buffer_bytes.max(1024),
            request_timeout: self.request_timeout,
        };
        options.check_cors()?;
        Ok(options)
    }
}

impl GatewayOptions {
    fn check_cors(&self) -> Result<(), GatewayError> {
        for origin in &self.cors_origins {
            if origin != "*" && HeaderValue::from_str(origin).is_err() {
                return Err(GatewayError::Cors(origin.clone()));
            }
        }
        Ok(())
    }

    /// The CORS layer of the configured origins (none when there are none).
    pub(crate) fn cors_layer(&self) -> Option<CorsLayer> {
        if self.cors_origins.is_empty() {
            return None;
        }
        let origin = if self.cors_origins.iter().any(|o| o == "*") {
            AllowOrigin::any()
        } else {
            AllowOrigin::list(
                self.cors_origins
                    .iter()
                    .filter_map(|o| HeaderValue::from_str(o).ok()),
            )
        };
        Some(
            CorsLayer::new()
                .allow_origin(origin)
                .allow_methods([Method::GET, Method::POST, Method::DELETE])
                .allow_headers([header::AUTHORIZATION, header::CONTENT_TYPE, header::ACCEPT]),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations() {
        assert_eq!(parse_duration("30s"), Ok(Duration::from_secs(30)));
        assert_eq!(parse_duration("250ms"), Ok(Duration::from_millis(250)));
        assert_eq!(parse_duration("2m"), Ok(Duration::from_secs(120)));
        assert_eq!(parse_duration("7"), Ok(Duration::from_secs(7)));
        assert!(parse_duration("1h").is_err());
        assert!(parse_duration("x").is_err());
    }
}
