use std::time::Duration;

use bytes::{Bytes, BytesMut};

use super::*;
use crate::protocol::error_code::ErrorCode;
use crate::protocol::message::ResponseFrame;
use crate::protocol::sc::objects::ObjectKind;
use crate::protocol::spu::fetch_offsets::FetchOffsetsRequest;
use crate::protocol::spu::update_offsets::UpdateOffsetsResponse;
use crate::testkit::at;

// Real answers from the traces (consume-beginning.trace, admin-list.trace).
const SPU_VERSIONS: &str = "0000002f0000000100000000000500000000001900010000001903ea0019001903eb0000001903ed000000000005302e302e30";
const SC_VERSIONS: &str = "0000003c0000000100000000000603e90009001303ea0001001303eb000f001303ec000f001303ed000e001303ee00010013000c302e31382e322d6465762d31";

fn settings() -> ConnSettings {
    ConnSettings {
        client_id: "fluvio".into(),
        metadata_client_id: "dummy".into(),
        client_version: "0.50.1".into(),
        connect_timeout: Duration::from_secs(10),
        max_frame_size: 1 << 20,
    }
}

fn ready_conn(peer: Peer) -> Conn<u32> {
    let s = settings();
    let mut c = Conn::new(peer, &s, at(0));
    assert!(c.handle_connected(&s).is_empty());
    let hello = c.poll_transmit().unwrap();
    // The official client's first frame, byte for byte (on linux/x86_64).
    if cfg!(all(target_os = "linux", target_arch = "x86_64")) {
        assert_eq!(
            hex::encode(&hello),
            "0000002700120002000000010006666c7576696f0006302e35302e3100056c696e757800067838365f3634"
        );
    }
    let answer = if peer == Peer::Sc {
        SC_VERSIONS
    } else {
        SPU_VERSIONS
    };
    let out = c.handle_bytes(&hex::decode(answer).unwrap(), &s, at(1));
    assert!(matches!(out.as_slice(), [ConnOutput::Ready]), "{out:?}");
    c
}

fn response(corr: i32, body: AnyResponse, version: Version) -> Vec<u8> {
    let mut b = BytesMut::new();
    ResponseFrame {
        header: crate::protocol::header::ResponseHeader {
            correlation_id: corr,
        },
        body,
    }
    .encode(&mut b, version)
    .unwrap();
    b.to_vec()
}

fn request(tag: u32, body: AnyRequest, stream: bool) -> Outgoing<u32> {
    Outgoing {
        tag,
        body,
        stream,
        metadata_id: false,
        timeout: Some(Duration::from_secs(5)),
    }
}

fn sent_header(bytes: &Bytes) -> RequestHeader {
    RequestHeader::decode(&mut Reader::new(bytes.slice(4..)), 0).unwrap()
}

#[test]
fn queued_requests_use_negotiated_versions_and_fresh_correlation_ids() {
    let s = settings();
    let mut c: Conn<u32> = Conn::new(Peer::Spu(5001), &s, at(0));
    // Submitted while connecting: queued, not written.
    let fo = AnyRequest::FetchOffsets(FetchOffsetsRequest::new("t1", 0));
    assert!(c.send(request(7, fo, false), &s, at(0)).is_empty());
    assert!(c.poll_transmit().is_none());
    c.handle_connected(&s);
    c.poll_transmit().unwrap();
    let out = c.handle_bytes(&hex::decode(SPU_VERSIONS).unwrap(), &s, at(1));
    assert!(matches!(out.as_slice(), [ConnOutput::Ready]));
    let sent = c.poll_transmit().unwrap();
    let h = sent_header(&sent);
    assert_eq!((h.api_key, h.api_version, h.correlation_id), (1002, 25, 1));
    assert_eq!(h.client_id, "fluvio");
    // Not advertised by the SPU: sent at the codec's (upstream's default) version.
    let uco = AnyRequest::UpdateConsumerOffset(Default::default());
    c.send(request(8, uco, false), &s, at(2));
    let h = sent_header(&c.poll_transmit().unwrap());
    assert_eq!((h.api_key, h.api_version, h.correlation_id), (1006, 25, 2));
    // Advertised 0..=0.
    let uo = AnyRequest::UpdateOffsets(Default::default());
    c.send(request(9, uo, false), &s, at(2));
    let h = sent_header(&c.poll_transmit().unwrap());
    assert_eq!((h.api_version, h.correlation_id), (0, 3));
    // An answer out of order routes to its owner by correlation id.
    let out = c.handle_bytes(
        &response(
            3,
            AnyResponse::UpdateOffsets(UpdateOffsetsResponse::default()),
            0,
        ),
        &s,
        at(3),
    );
    assert!(matches!(
        out.as_slice(),
        [ConnOutput::Response {
            tag: 9,
            done: true,
            ..
        }]
    ));
}

#[test]
fn sc_watch_stream_and_metadata_client_id() {
    let s = settings();
    let mut c = ready_conn(Peer::Sc);
    let mut req = request(
        1,
        AnyRequest::Watch(ObjectWatchRequest::new(ObjectKind::Spu)),
        true,
    );
    req.metadata_id = true;
    c.send(req, &s, at(2));
    let sent = c.poll_transmit().unwrap();
    assert_eq!(
        hex::encode(&sent),
        // The official client's watch request (produce-basic.trace).
        "0000002103ec001300000001000564756d6d79000353505500000009000000000000000000"
    );
    let update = crate::protocol::sc::ObjectWatchResponse::Spu(Default::default());
    for _ in 0..3 {
        let out = c.handle_bytes(
            &response(1, AnyResponse::Watch(update.clone()), 19),
            &s,
            at(3),
        );
        assert!(matches!(
            out.as_slice(),
            [ConnOutput::Response {
                tag: 1,
                done: false,
                ..
            }]
        ));
    }
    // A stream has no deadline once it answered.
    assert_eq!(c.next_deadline(), None);
}

use crate::protocol::sc::ObjectWatchRequest;

#[test]
fn corrupt_frame_poisons_every_waiter() {
    let s = settings();
    let mut c = ready_conn(Peer::Spu(1));
    c.send(
        request(
            1,
            AnyRequest::FetchOffsets(FetchOffsetsRequest::new("t", 0)),
            false,
        ),
        &s,
        at(2),
    );
    c.poll_transmit().unwrap();
    c.send(
        request(
            2,
            AnyRequest::FetchOffsets(FetchOffsetsRequest::new("t", 1)),
            false,
        ),
        &s,
        at(2),
    );
    // Request 2 is not handed to the driver yet.
    let out = c.handle_bytes(&[0, 0, 0, 5, 0, 0, 0, 1, 0xff], &s, at(3));
    match out.as_slice() {
        [
            ConnOutput::Closed(ClientError::Protocol { .. }),
            ConnOutput::Failed {
                tag: 1,
                written: true,
                ..
            },
            ConnOutput::Failed {
                tag: 2,
                written: false,
                ..
            },
        ] => {}
        other => panic!("{other:?}"),
    }
    assert!(!c.is_ready());
    assert!(c.poll_transmit().is_none());
    // Closed: later requests fail at once.
    let out = c.send(
        request(3, AnyRequest::UpdateOffsets(Default::default()), false),
        &s,
        at(4),
    );
    assert!(matches!(
        out.as_slice(),
        [ConnOutput::Failed {
            tag: 3,
            written: false,
            ..
        }]
    ));
}

#[test]
fn oversized_frame_and_deadlines() {
    let s = ConnSettings {
        max_frame_size: 64,
        ..settings()
    };
    let mut c: Conn<u32> = Conn::new(Peer::Spu(1), &s, at(0));
    // Handshake deadline.
    assert_eq!(c.next_deadline(), Some(at(10_000)));
    let out = c.handle_timeout(at(10_000), &s);
    assert!(matches!(
        out.as_slice(),
        [ConnOutput::Closed(ClientError::Timeout { .. })]
    ));

    let mut c: Conn<u32> = Conn::new(Peer::Spu(1), &s, at(0));
    c.handle_connected(&s);
    let out = c.handle_bytes(&[0, 0, 1, 0], &s, at(1));
    assert!(matches!(
        out.as_slice(),
        [ConnOutput::Closed(ClientError::Protocol { .. })]
    ));

    let mut c = ready_conn(Peer::Spu(1));
    c.send(
        request(
            4,
            AnyRequest::FetchOffsets(FetchOffsetsRequest::new("t", 0)),
            false,
        ),
        &s,
        at(10),
    );
    assert_eq!(c.next_deadline(), Some(at(5_010)));
    assert!(c.handle_timeout(at(5_009), &s).is_empty());
    let out = c.handle_timeout(at(5_010), &s);
    assert!(matches!(
        out.as_slice(),
        [
            ConnOutput::Closed(ClientError::Timeout { .. }),
            ConnOutput::Failed {
                tag: 4,
                written: false,
                ..
            }
        ]
    ));
}

#[test]
fn a_handshake_refuses_missing_apis_old_platforms_and_errors() {
    let s = settings();
    // An SC without Watch, an old platform, and an error code are refused.
    let cases = [
        (
            vec![ApiVersionKey {
                api_key: 1003,
                min_version: 15,
                max_version: 19,
            }],
            "0.18.2",
            ErrorCode::None,
        ),
        (
            vec![ApiVersionKey {
                api_key: 1004,
                min_version: 15,
                max_version: 19,
            }],
            "0.8.9",
            ErrorCode::None,
        ),
        (
            vec![ApiVersionKey {
                api_key: 1004,
                min_version: 15,
                max_version: 19,
            }],
            "junk",
            ErrorCode::None,
        ),
        (vec![], "0.18.2", ErrorCode::Other("no".into())),
    ];
    for (keys, platform, code) in cases {
        let mut c: Conn<u32> = Conn::new(Peer::Sc, &s, at(0));
        c.handle_connected(&s);
        let resp = ApiVersionsResponse {
            error_code: code,
            api_keys: keys,
            platform_version: platform.into(),
        };
        let out = c.handle_bytes(&response(1, AnyResponse::ApiVersions(resp), 2), &s, at(1));
        assert!(
            matches!(out.as_slice(), [ConnOutput::Closed(_)]),
            "{platform}: {out:?}"
        );
    }
    assert_eq!(parse_semver("0.18.2-dev-1"), Some((0, 18, 2)));
    assert_eq!(parse_semver("1.2"), None);
}

#[test]
fn unsupported_version_fails_the_request_only() {
    let s = settings();
    let mut c = ready_conn(Peer::Sc);
    // The SC advertises List 15..=19; pretend it only had 1..=3.
    c.versions = vec![ApiVersionKey {
        api_key: 1003,
        min_version: 1,
        max_version: 3,
    }];
    let list = AnyRequest::List(crate::protocol::sc::ObjectListRequest::all(
        ObjectKind::Topic,
    ));
    let out = c.send(request(5, list, false), &s, at(2));
    assert!(matches!(
        out.as_slice(),
        [ConnOutput::Failed {
            tag: 5,
            error: ClientError::UnsupportedVersion { .. },
            written: false
        }]
    ));
    assert!(c.is_ready());
    // Forgotten streams drop their late answers.
    c.send(
        request(6, AnyRequest::UpdateOffsets(Default::default()), false),
        &s,
        at(2),
    );
    c.forget(|tag| *tag == 6);
    let out = c.handle_bytes(
        &response(
            1,
            AnyResponse::UpdateOffsets(UpdateOffsetsResponse::default()),
            0,
        ),
        &s,
        at(3),
    );
    assert!(out.is_empty());
}
