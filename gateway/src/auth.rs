//! Bearer tokens and their per-topic grants.
//!
//! The tokens file (`--tokens FILE`) is TOML, one `[[token]]` table per token:
//!
//! ```toml
//! [[token]]
//! token = "reader-secret"
//! read = ["*"]              # topics it may read (list, NDJSON, SSE, WebSocket)
//!
//! [[token]]
//! token = "chat-secret"
//! read = ["chat-*"]
//! write = ["chat-*"]        # topics it may produce to, create and delete
//! ```
//!
//! A pattern is a topic name in which `*` matches any run of characters (`*` alone matches
//! every topic). With a tokens file every `/v1` route needs a token, as
//! `Authorization: Bearer TOKEN` or, for browsers' WebSocket and EventSource which cannot set
//! headers, the query parameter `access_token=TOKEN`: none or an unknown one gives 401, a
//! topic outside its grants 403. `/`, `/healthz`, `/metrics` and `/openapi.json` are open.

use std::collections::HashMap;
use std::path::Path;

use serde::Deserialize;

use crate::error::{ApiError, GatewayError};

/// What a token may do.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Grants {
    /// Topic patterns it may read.
    #[serde(default)]
    pub read: Vec<String>,
    /// Topic patterns it may write (produce, create, delete).
    #[serde(default)]
    pub write: Vec<String>,
}

/// Read or write.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// Read records, list topics.
    Read,
    /// Produce records, create and delete topics.
    Write,
}

impl Grants {
    /// Whether these grants allow `access` to `topic`.
    pub fn allows(&self, access: Access, topic: &str) -> bool {
        let patterns = match access {
            Access::Read => &self.read,
            Access::Write => &self.write,
        };
        patterns.iter().any(|p| pattern_matches(p, topic))
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct TokenEntry {
    token: String,
    #[serde(flatten)]
    grants: Grants,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct TokenFile {
    #[serde(default)]
    token: Vec<TokenEntry>,
}

/// The tokens of a tokens file.
#[derive(Debug, Clone, Default)]
pub struct Tokens {
    by_token: HashMap<String, Grants>,
}

impl Tokens {
    /// Parses the TOML text of a tokens file.
    pub fn parse(text: &str) -> Result<Self, String> {
        let file: TokenFile = toml::from_str(text).map_err(|e| e.to_string())?;
        let mut by_token = HashMap::new();
        for entry in file.token {
            if entry.token.is_empty() {
                return Err("a token must not be empty".into());
            }
            if by_token.insert(entry.token, entry.grants).is_some() {
                return Err("a token is listed twice".into());
            }
        }
        Ok(Self { by_token })
    }

    /// Reads and parses the tokens file at `path`.
    pub fn load(path: &Path) -> Result<Self, GatewayError> {
        let fail = |message: String| GatewayError::Tokens {
            path: path.display().to_string(),
            message,
        };
        let text = std::fs::read_to_string(path).map_err(|e| fail(e.to_string()))?;
        Self::parse(&text).map_err(fail)
    }

    /// The grants of `token`.
    pub fn grants(&self, token: &str) -> Option<&Grants> {
        self.by_token.get(token)
    }

    /// Number of tokens.
    pub fn len(&self) -> usize {
        self.by_token.len()
    }

    /// Whether there is no token (then every `/v1` request is refused).
    pub fn is_empty(&self) -> bool {
        self.by_token.is_empty()
    }
}

/// Whether `topic` matches `pattern`, where `*` matches any run of characters.
pub fn pattern_matches(pattern: &str, topic: &str) -> bool {
    let mut parts = pattern.split('*');
    let first = parts.next().unwrap_or_default();
    let Some(mut rest) = topic.strip_prefix(first) else {
        return false;
    };
    let parts: Vec<&str> = parts.collect();
    let Some((last, middle)) = parts.split_last() else {
        // No `*`: the whole name must match.
        return rest.is_empty();
    };
    for part in middle {
        match rest.find(part) {
            Some(at) => rest = &rest[at + part.len()..],
            None => return false,
        }
    }
    rest.len() >= last.len() && rest.ends_with(last)
}

/// Who is asking: everyone (no tokens file) or a token's grants.
#[derive(Debug, Clone)]
pub(crate) enum Caller {
    /// No tokens file: everything is allowed.
    Open,
    /// A known token.
    Token(Grants),
}

impl Caller {
    /// Ok when the caller may do `access` on `topic`, else 403.
    pub(crate) fn check(&self, access: Access, topic: &str) -> Result<(), ApiError> {
        match self {
            Self::Open => Ok(()),
            Self::Token(g) if g.allows(access, topic) => Ok(()),
            Self::Token(_) => Err(ApiError::Forbidden(format!(
                "this token may not {} topic {topic:?}",
                match access {
                    Access::Read => "read",
                    Access::Write => "write",
                }
            ))),
        }
    }

    /// Whether the caller may see `topic` in a list (read or write grant).
    pub(crate) fn sees(&self, topic: &str) -> bool {
        match self {
            Self::Open => true,
            Self::Token(g) => g.allows(Access::Read, topic) || g.allows(Access::Write, topic),
        }
    }
}

/// The caller of a request with `authorization` header and `access_token` query value.
pub(crate) fn caller(
    tokens: Option<&Tokens>,
    authorization: Option<&str>,
    query_token: Option<&str>,
) -> Result<Caller, ApiError> {
    let Some(tokens) = tokens else {
        return Ok(Caller::Open);
    };
    let token = match authorization {
        Some(value) => {
            let (scheme, token) = value.trim().split_once(' ').ok_or_else(|| {
                ApiError::Unauthorized("the Authorization header must be `Bearer TOKEN`".into())
            })?;
            if !scheme.eq_ignore_ascii_case("bearer") {
                return Err(ApiError::Unauthorized(
                    "the Authorization header must be `Bearer TOKEN`".into(),
                ));
            }
            token.trim()
        }
        None => query_token.ok_or_else(|| {
            ApiError::Unauthorized(
                "a bearer token is required (Authorization: Bearer TOKEN, or ?access_token=TOKEN)"
                    .into(),
            )
        })?,
    };
    tokens
        .grants(token)
        .cloned()
        .map(Caller::Token)
        .ok_or_else(|| ApiError::Unauthorized("unknown token".into()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn patterns() {
        assert!(pattern_matches("*", "anything"));
        assert!(pattern_matches("*", ""));
        assert!(pattern_matches("chat", "chat"));
        assert!(!pattern_matches("chat", "chatter"));
        assert!(pattern_matches("chat-*", "chat-room"));
        assert!(pattern_matches("chat-*", "chat-"));
        assert!(!pattern_matches("chat-*", "chat"));
        assert!(pattern_matches("*-log", "app-log"));
        assert!(!pattern_matches("*-log", "app-logs"));
        assert!(pattern_matches("a*b*c", "a-x-b-y-c"));
        assert!(!pattern_matches("a*b*c", "a-x-c-y-b"));
        assert!(!pattern_matches("ab*ba", "aba"));
    }

    #[test]
    fn token_file() {
        let tokens = Tokens::parse(
            "[[token]]\ntoken = \"r\"\nread = [\"*\"]\n\n[[token]]\ntoken = \"w\"\nread = [\"chat\"]\nwrite = [\"chat\"]\n",
        )
        .unwrap();
        assert_eq!(tokens.len(), 2);
        let r = tokens.grants("r").unwrap();
        assert!(r.allows(Access::Read, "x") && !r.allows(Access::Write, "x"));
        let w = tokens.grants("w").unwrap();
        assert!(w.allows(Access::Write, "chat") && !w.allows(Access::Read, "other"));
        assert!(Tokens::parse("[[token]]\ntoken = \"r\"\nreed = [\"*\"]\n").is_err());
        assert!(Tokens::parse("[[token]]\ntoken = \"\"\n").is_err());
        assert!(Tokens::parse("[[token]]\ntoken = \"a\"\n[[token]]\ntoken = \"a\"\n").is_err());
    }

    #[test]
    fn callers() {
        let tokens = Tokens::parse("[[token]]\ntoken = \"t\"\nread = [\"a\"]\n").unwrap();
        assert!(matches!(caller(None, None, None), Ok(Caller::Open)));
        assert!(matches!(
            caller(Some(&tokens), None, None),
            Err(ApiError::Unauthorized(_))
        ));
        assert!(matches!(
            caller(Some(&tokens), Some("Bearer nope"), None),
            Err(ApiError::Unauthorized(_))
        ));
        assert!(matches!(
            caller(Some(&tokens), Some("Basic t"), None),
            Err(ApiError::Unauthorized(_))
        ));
        let c = caller(Some(&tokens), Some("Bearer t"), None).unwrap();
        assert!(c.check(Access::Read, "a").is_ok());
        assert!(matches!(
            c.check(Access::Write, "a"),
            Err(ApiError::Forbidden(_))
        ));
        assert!(caller(Some(&tokens), None, Some("t")).is_ok());
    }
}
