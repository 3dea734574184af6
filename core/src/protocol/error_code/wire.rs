//! Wire form of [`ErrorCode`]: `i16` tag then the variant's fields.

use bytes::BytesMut;

use super::ErrorCode;
use crate::protocol::codec::{Decode, DecodeError, Encode, EncodeError, Reader, Version};

/// Declares the variants without payload once, for both directions.
macro_rules! unit_codes {
    ($($name:ident = $tag:literal),* $(,)?) => {
        fn unit_tag(code: &ErrorCode) -> Option<i16> {
            match code {
                $( ErrorCode::$name => Some($tag), )*
                _ => None,
            }
        }

        fn unit_from_tag(tag: i16) -> Option<ErrorCode> {
            match tag {
                $( $tag => Some(ErrorCode::$name), )*
                _ => None,
            }
        }
    };
}

unit_codes! {
    UnknownServerError = -1,
    None = 0,
    OffsetOutOfRange = 1,
    NotLeaderForPartition = 6,
    MessageTooLarge = 10,
    PermissionDenied = 13,
    StorageError = 56,
    InvalidCreateRequest = 60,
    InvalidDeleteRequest = 61,
    PartitionShortCircuited = 73,
    SpuError = 1000,
    SpuRegisterationFailed = 1001,
    SpuOffline = 1002,
    SpuNotFound = 1003,
    SpuAlreadyExists = 1004,
    TopicError = 2000,
    TopicNotFound = 2001,
    TopicAlreadyExists = 2002,
    TopicPendingInitialization = 2003,
    TopicInvalidConfiguration = 2004,
    TopicNotProvisioned = 2005,
    TopicInvalidName = 2006,
    TopicDeleted = 2007,
    TopicInvalidReplicaType = 2008,
    PartitionPendingInitialization = 3000,
    PartitionNotLeader = 3001,
    FetchSessionNotFoud = 3002,
    OffsetManagementDisabled = 3004,
    MaxRetryReached = 3005,
    ManagedConnectorError = 5000,
    ManagedConnectorNotFound = 5001,
    ManagedConnectorAlreadyExists = 5002,
    SmartModuleError = 6000,
    TableFormatError = 7000,
    TableFormatNotFound = 7001,
    TableFormatAlreadyExists = 7002,
    DerivedStreamObjectError = 8000,
    DerivedStreamJoinFetchError = 8002,
    CompressionError = 9000,
    DeduplicationSmartModuleNotLoaded = 10000,
    MirrorNotFound = 11001,
    MirrorAlreadyExists = 11002,
    MirrorProduceFromHome = 11003,
    MirrorDeleteFromRemote = 11004,
    MirrorInvalidType = 11005,
    MirrorProduceFromRemoteNotAllowed = 11006,
}

impl ErrorCode {
    /// The `i16` wire tag of this variant.
    pub fn tag(&self) -> i16 {
        if let Some(tag) = unit_tag(self) {
            return tag;
        }
        match self {
            Self::Other(_) => 2,
            Self::RequestTimedOut { .. } => 7,
            Self::OffsetEvicted { .. } => 71,
            Self::PartitionFull { .. } => 72,
            Self::OffsetFlushRequestError(_) => 3003,
            Self::SmartModuleNotFound { .. } => 6001,
            Self::SmartModuleInvalid { .. } => 6002,
            Self::SmartModuleInvalidExports { .. } => 6003,
            Self::SmartModuleRuntimeError(_) => 6004,
            Self::SmartModuleChainInitError(_) => 6005,
            Self::SmartModuleInitError(_) => 6006,
            Self::SmartModuleLookBackError(_) => 6007,
            Self::SmartModuleMemoryLimitExceeded { .. } => 6008,
            Self::DerivedStreamNotFound(_) => 8001,
            Self::DerivedStreamInvalid(_) => 8003,
            Self::DeduplicationSmartModuleNameInvalid(_) => 10001,
            Self::SystemSpecDeletionAttempt { .. } => 12001,
            Self::SystemSpecUpdatingAttempt { .. } => 12002,
            // Every unit variant is answered by `unit_tag` above; the unit-variant test
            // checks that this arm is unreachable for them.
            _ => 0,
        }
    }
}

impl Encode for ErrorCode {
    fn encode(&self, dst: &mut BytesMut, version: Version) -> Result<(), EncodeError> {
        self.tag().encode(dst, version)?;
        match self {
            Self::Other(s)
            | Self::OffsetFlushRequestError(s)
            | Self::SmartModuleChainInitError(s)
            | Self::SmartModuleLookBackError(s)
            | Self::DerivedStreamNotFound(s)
            | Self::DerivedStreamInvalid(s)
            | Self::DeduplicationSmartModuleNameInvalid(s)
            | Self::SmartModuleNotFound { name: s } => s.encode(dst, version),
            Self::RequestTimedOut { timeout_ms, kind } => {
                timeout_ms.encode(dst, version)?;
                kind.encode(dst, version)
            }
            Self::OffsetEvicted {
                offset,
                next_available,
            } => {
                offset.encode(dst, version)?;
                next_available.encode(dst, version)
            }
            Self::PartitionFull { replica_key } => replica_key.encode(dst, version),
            Self::SmartModuleInvalid { error, name } => {
                error.encode(dst, version)?;
                name.encode(dst, version)
            }
            Self::SmartModuleInvalidExports { error, kind } => {
                error.encode(dst, version)?;
                kind.encode(dst, version)
            }
            Self::SmartModuleRuntimeError(e) => e.encode(dst, version),
            Self::SmartModuleInitError(e) => e.encode(dst, version),
            Self::SmartModuleMemoryLimitExceeded { requested, max } => {
                requested.encode(dst, version)?;
                max.encode(dst, version)
            }
            Self::SystemSpecDeletionAttempt { kind, name }
            | Self::SystemSpecUpdatingAttempt { kind, name } => {
                kind.encode(dst, version)?;
                name.encode(dst, version)
            }
            _ => Ok(()),
        }
    }
}

impl Decode for ErrorCode {
    fn decode(src: &mut Reader, version: Version) -> Result<Self, DecodeError> {
        let tag = i16::decode(src, version)?;
        if let Some(code) = unit_from_tag(tag) {
            return Ok(code);
        }
        let s = |src: &mut Reader| String::decode(src, version);
        Ok(match tag {
            2 => Self::Other(s(src)?),
            7 => Self::RequestTimedOut {
                timeout_ms: Decode::decode(src, version)?,
                kind: Decode::decode(src, version)?,
            },
            71 => Self::OffsetEvicted {
                offset: Decode::decode(src, version)?,
                next_available: Decode::decode(src, version)?,
            },
            72 => Self::PartitionFull {
                replica_key: Decode::decode(src, version)?,
            },
            3003 => Self::OffsetFlushRequestError(s(src)?),
            6001 => Self::SmartModuleNotFound { name: s(src)? },
            6002 => Self::SmartModuleInvalid {
                error: s(src)?,
                name: Decode::decode(src, version)?,
            },
            6003 => Self::SmartModuleInvalidExports {
                error: s(src)?,
                kind: s(src)?,
            },
            6004 => Self::SmartModuleRuntimeError(Decode::decode(src, version)?),
            6005 => Self::SmartModuleChainInitError(s(src)?),
            6006 => Self::SmartModuleInitError(Decode::decode(src, version)?),
            6007 => Self::SmartModuleLookBackError(s(src)?),
            6008 => Self::SmartModuleMemoryLimitExceeded {
                requested: Decode::decode(src, version)?,
                max: Decode::decode(src, version)?,
            },
            8001 => Self::DerivedStreamNotFound(s(src)?),
            8003 => Self::DerivedStreamInvalid(s(src)?),
            10001 => Self::DeduplicationSmartModuleNameInvalid(s(src)?),
            12001 => Self::SystemSpecDeletionAttempt {
                kind: s(src)?,
                name: s(src)?,
            },
            12002 => Self::SystemSpecUpdatingAttempt {
                kind: s(src)?,
                name: s(src)?,
            },
            _ => {
                return Err(DecodeError::UnknownTag {
                    what: "ErrorCode",
                    tag: i64::from(tag),
                });
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use bytes::Bytes;

    use super::*;
    use crate::protocol::codec::{decode_exact, encode_to_bytes};
    use crate::protocol::error_code::{
        RequestKind, SmartModuleErrorKind, SmartModuleInitRuntimeError,
        SmartModuleTransformRuntimeError, VarintBytes,
    };
    use crate::protocol::types::ReplicaKey;

    /// One value of every variant. The exhaustive match in `expected_tag` makes this
    /// test stop compiling when a variant is added without a tag.
    fn every_variant() -> Vec<ErrorCode> {
        use ErrorCode::*;
        let s = || String::from("msg");
        vec![
            UnknownServerError,
            None,
            OffsetOutOfRange,
            Other(s()),
            NotLeaderForPartition,
            RequestTimedOut {
                timeout_ms: 1500,
                kind: RequestKind::Produce,
            },
            MessageTooLarge,
            PermissionDenied,
            StorageError,
            InvalidCreateRequest,
            InvalidDeleteRequest,
            OffsetEvicted {
                offset: 3,
                next_available: 10,
            },
            PartitionFull {
                replica_key: ReplicaKey {
                    topic: "t1".into(),
                    partition: 4,
                },
            },
            PartitionShortCircuited,
            SpuError,
            SpuRegisterationFailed,
            SpuOffline,
            SpuNotFound,
            SpuAlreadyExists,
            TopicError,
            TopicNotFound,
            TopicAlreadyExists,
            TopicPendingInitialization,
            TopicInvalidConfiguration,
            TopicNotProvisioned,
            TopicInvalidName,
            TopicDeleted,
            TopicInvalidReplicaType,
            PartitionPendingInitialization,
            PartitionNotLeader,
            FetchSessionNotFoud,
            OffsetFlushRequestError(s()),
            OffsetManagementDisabled,
            MaxRetryReached,
            ManagedConnectorError,
            ManagedConnectorNotFound,
            ManagedConnectorAlreadyExists,
            SmartModuleError,
            SmartModuleNotFound { name: s() },
            SmartModuleInvalid {
                error: s(),
                name: Some("sm".into()),
            },
            SmartModuleInvalidExports {
                error: s(),
                kind: "filter".into(),
            },
            SmartModuleRuntimeError(Box::new(SmartModuleTransformRuntimeError {
                hint: "boom".into(),
                offset: 42,
                kind: SmartModuleErrorKind::Generic,
                record_key: Some(VarintBytes(Bytes::from_static(b"k"))),
                record_value: VarintBytes(Bytes::from_static(b"value")),
            })),
            SmartModuleChainInitError(s()),
            SmartModuleInitError(SmartModuleInitRuntimeError { hint: s() }),
            SmartModuleLookBackError(s()),
            SmartModuleMemoryLimitExceeded {
                requested: 1 << 40,
                max: 1 << 20,
            },
            TableFormatError,
            TableFormatNotFound,
            TableFormatAlreadyExists,
            DerivedStreamObjectError,
            DerivedStreamNotFound(s()),
            DerivedStreamJoinFetchError,
            DerivedStreamInvalid(s()),
            CompressionError,
            DeduplicationSmartModuleNotLoaded,
            DeduplicationSmartModuleNameInvalid(s()),
            MirrorNotFound,
            MirrorAlreadyExists,
            MirrorProduceFromHome,
            MirrorDeleteFromRemote,
            MirrorInvalidType,
            MirrorProduceFromRemoteNotAllowed,
            SystemSpecDeletionAttempt {
                kind: "topic".into(),
                name: "consumer-offset".into(),
            },
            SystemSpecUpdatingAttempt {
                kind: "topic".into(),
                name: "consumer-offset".into(),
            },
        ]
    }

    /// Upstream's tags, written independently of `tag()`.
    fn expected_tag(code: &ErrorCode) -> i16 {
        use ErrorCode::*;
        match code {
            UnknownServerError => -1,
            None => 0,
            OffsetOutOfRange => 1,
            Other(_) => 2,
            NotLeaderForPartition => 6,
            RequestTimedOut { .. } => 7,
            MessageTooLarge => 10,
            PermissionDenied => 13,
            StorageError => 56,
            InvalidCreateRequest => 60,
            InvalidDeleteRequest => 61,
            OffsetEvicted { .. } => 71,
            PartitionFull { .. } => 72,
            PartitionShortCircuited => 73,
            SpuError => 1000,
            SpuRegisterationFailed => 1001,
            SpuOffline => 1002,
            SpuNotFound => 1003,
            SpuAlreadyExists => 1004,
            TopicError => 2000,
            TopicNotFound => 2001,
            TopicAlreadyExists => 2002,
            TopicPendingInitialization => 2003,
            TopicInvalidConfiguration => 2004,
            TopicNotProvisioned => 2005,
            TopicInvalidName => 2006,
            TopicDeleted => 2007,
            TopicInvalidReplicaType => 2008,
            PartitionPendingInitialization => 3000,
            PartitionNotLeader => 3001,
            FetchSessionNotFoud => 3002,
            OffsetFlushRequestError(_) => 3003,
            OffsetManagementDisabled => 3004,
            MaxRetryReached => 3005,
            ManagedConnectorError => 5000,
            ManagedConnectorNotFound => 5001,
            ManagedConnectorAlreadyExists => 5002,
            SmartModuleError => 6000,
            SmartModuleNotFound { .. } => 6001,
            SmartModuleInvalid { .. } => 6002,
            SmartModuleInvalidExports { .. } => 6003,
            SmartModuleRuntimeError(_) => 6004,
            SmartModuleChainInitError(_) => 6005,
            SmartModuleInitError(_) => 6006,
            SmartModuleLookBackError(_) => 6007,
            SmartModuleMemoryLimitExceeded { .. } => 6008,
            TableFormatError => 7000,
            TableFormatNotFound => 7001,
            TableFormatAlreadyExists => 7002,
            DerivedStreamObjectError => 8000,
            DerivedStreamNotFound(_) => 8001,
            DerivedStreamJoinFetchError => 8002,
            DerivedStreamInvalid(_) => 8003,
            CompressionError => 9000,
            DeduplicationSmartModuleNotLoaded => 10000,
            DeduplicationSmartModuleNameInvalid(_) => 10001,
            MirrorNotFound => 11001,
            MirrorAlreadyExists => 11002,
            MirrorProduceFromHome => 11003,
            MirrorDeleteFromRemote => 11004,
            MirrorInvalidType => 11005,
            MirrorProduceFromRemoteNotAllowed => 11006,
            SystemSpecDeletionAttempt { .. } => 12001,
            SystemSpecUpdatingAttempt { .. } => 12002,
        }
    }

    #[test]
    fn every_variant_round_trips_with_its_tag() {
        let all = every_variant();
        let mut tags: Vec<i16> = all.iter().map(expected_tag).collect();
        tags.sort_unstable();
        tags.dedup();
        assert_eq!(
            tags.len(),
            all.len(),
            "duplicate variant in the sample list"
        );
        assert_eq!(all.len(), 64);
        for code in all {
            assert_eq!(code.tag(), expected_tag(&code), "{code:?}");
            let bytes = encode_to_bytes(&code, 25).unwrap();
            assert_eq!(&bytes[..2], &expected_tag(&code).to_be_bytes(), "{code:?}");
            let back: ErrorCode = decode_exact(bytes.clone(), 25, "error code").unwrap();
            assert_eq!(back, code);
            // Truncated payloads fail cleanly.
            for cut in 0..bytes.len() {
                assert!(decode_exact::<ErrorCode>(bytes.slice(..cut), 25, "ec").is_err());
            }
            assert!(!code.to_string().is_empty());
        }
    }

    #[test]
    fn real_request_timed_out_from_failover_trace() {
        // From failover-leader-kill.trace: produce response partition error
        // `RequestTimedOut { timeout_ms: 1500, kind: Produce }`.
        let raw = hex::decode("000700000000000005dc00").unwrap();
        let code: ErrorCode = decode_exact(Bytes::from(raw.clone()), 25, "ec").unwrap();
        assert_eq!(
            code,
            ErrorCode::RequestTimedOut {
                timeout_ms: 1500,
                kind: RequestKind::Produce
            }
        );
        assert!(code.is_retriable() && code.is_error());
        assert_eq!(&encode_to_bytes(&code, 25).unwrap()[..], &raw[..]);
    }

    #[test]
    fn hostile_error_code_bytes_are_typed_errors() {
        let dec = |b: &[u8]| decode_exact::<ErrorCode>(Bytes::copy_from_slice(b), 25, "ec");
        assert!(matches!(
            dec(&[0x00, 0x03]),
            Err(DecodeError::UnknownTag { tag: 3, .. })
        ));
        assert!(matches!(
            dec(&[0x7f, 0xff]),
            Err(DecodeError::UnknownTag { .. })
        ));
        // Unknown RequestKind.
        assert!(matches!(
            dec(&[0, 7, 0, 0, 0, 0, 0, 0, 0, 1, 9]),
            Err(DecodeError::UnknownTag { .. })
        ));
        // Runtime error whose record value claims a negative varint length (-1 = 0x01).
        let mut b = vec![0x17, 0x74, 0, 0];
        b.extend_from_slice(&[0; 8]);
        b.extend_from_slice(&[0, 0, 0x01]);
        assert!(matches!(dec(&b), Err(DecodeError::InvalidLength { .. })));
        assert!(dec(&[]).is_err());
    }

    #[test]
    fn error_codes_classify_ok_error_and_retriable() {
        assert!(ErrorCode::None.is_ok());
        assert!(!ErrorCode::None.is_error());
        assert!(!ErrorCode::None.is_retriable());
        assert!(ErrorCode::NotLeaderForPartition.is_retriable());
        assert!(ErrorCode::PartitionNotLeader.is_retriable());
        assert!(ErrorCode::StorageError.is_retriable());
        assert!(!ErrorCode::TopicNotFound.is_retriable());
        assert!(!ErrorCode::MaxRetryReached.is_retriable());
        assert_eq!(ErrorCode::default(), ErrorCode::None);
        assert_eq!(
            ErrorCode::OffsetEvicted {
                offset: 3,
                next_available: 10
            }
            .to_string(),
            "offset 3 was evicted; the next available offset is 10"
        );
    }
}
