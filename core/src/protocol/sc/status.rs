//! The response of Create, Delete and Update.

use crate::protocol::error_code::ErrorCode;

crate::wire_struct! {
    /// Outcome of a Create, Delete or Update request.
    #[derive(Debug, Clone, PartialEq, Default, serde::Serialize, serde::Deserialize)]
    #[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
    #[serde(rename_all = "camelCase")]
    pub struct Status {
        /// The object name the request was about.
        pub name: String,
        /// `ErrorCode::None` on success.
        #[cfg_attr(feature = "arbitrary", arbitrary(with = crate::protocol::sc::arb::error_code))]
        pub error_code: ErrorCode,
        /// A human readable explanation of the error, if any.
        pub error_message: Option<String>,
    }
}

impl Status {
    /// True when the request succeeded.
    pub fn is_ok(&self) -> bool {
        self.error_code == ErrorCode::None
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::codec::{decode_exact, encode_to_bytes};

    #[test]
    fn ok_status_layout() {
        let s = Status {
            name: "t1".into(),
            ..Default::default()
        };
        let b = encode_to_bytes(&s, 19).unwrap();
        assert_eq!(&b[..], &[0, 2, b't', b'1', 0, 0, 0]);
        assert_eq!(decode_exact::<Status>(b, 19, "status").unwrap(), s);
        assert!(s.is_ok());
    }
}
