//! SmartModule invocations built with flv's `SmartModuleInvocation` builders (what `flv
//! produce|consume --smartmodule/--smartmodule-path/-e/--aggregate-initial/-t` send) encode
//! byte for byte as the invocations the official CLI builds (its `create_smartmodule`,
//! `create_smartmodule_from_path` and `create_smartmodule_list`), inside StreamFetch and
//! Produce requests at every version that carries them, and decode back with
//! `fluvio-spu-schema` 0.50.

use std::collections::BTreeMap;
use std::io::{Cursor, Read};
use std::time::Duration;

use bytes::Bytes;
use fluvio_protocol::Decoder as _;
use fluvio_smartmodule::dataplane::smartmodule::{Lookback, SmartModuleExtraParams};
use fluvio_spu_schema::server::smartmodule as up;
use fluvio_spu_schema::server::stream_fetch::StreamFetchRequest;
use flv_core::codec::{Version, decode_exact, encode_to_bytes};
use flv_core::spu::{self as ours, SmartModuleInvocation};

type URecords = fluvio_protocol::record::RecordSet<fluvio_protocol::record::RawRecords>;

fn up_bytes<T: fluvio_protocol::Encoder>(value: &T, version: Version) -> Vec<u8> {
    let mut out = Vec::new();
    value.encode(&mut out, version).expect("upstream encode");
    out
}

/// Upstream's `create_smartmodule(name, ctx, params)`.
fn up_by_name(
    name: &str,
    ctx: up::SmartModuleContextData,
    params: SmartModuleExtraParams,
) -> up::SmartModuleInvocation {
    up::SmartModuleInvocation {
        wasm: up::SmartModuleInvocationWasm::Predefined(name.to_owned()),
        kind: up::SmartModuleKind::Generic(ctx),
        params,
        name: Some(name.to_owned()),
    }
}

fn params(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
    pairs
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect()
}

/// Pairs of (ours, upstream) invocations built the same way.
fn cases() -> Vec<(SmartModuleInvocation, up::SmartModuleInvocation)> {
    let kv = [("key", "value"), ("n", "1")];
    let mut cases = vec![
        (
            SmartModuleInvocation::predefined("my-filter"),
            up_by_name(
                "my-filter",
                up::SmartModuleContextData::None,
                BTreeMap::new().into(),
            ),
        ),
        (
            SmartModuleInvocation::predefined("my-filter").params(kv),
            up_by_name(
                "my-filter",
                up::SmartModuleContextData::None,
                params(&kv).into(),
            ),
        ),
        (
            SmartModuleInvocation::predefined("agg")
                .param("k", "v")
                .aggregate_initial(&b"0"[..]),
            up_by_name(
                "agg",
                up::SmartModuleContextData::Aggregate {
                    accumulator: b"0".to_vec(),
                },
                params(&[("k", "v")]).into(),
            ),
        ),
        // A transforms step with look-back (upstream's `create_smartmodule_list`).
        (
            SmartModuleInvocation::predefined("infinyon/jolt@0.1.0")
                .params([("spec", "[]")])
                .lookback(10, Some(Duration::from_secs(3600))),
            up_by_name(
                "infinyon/jolt@0.1.0",
                up::SmartModuleContextData::None,
                SmartModuleExtraParams::new(
                    params(&[("spec", "[]")]),
                    Some(Lookback::age(Duration::from_secs(3600), Some(10))),
                ),
            ),
        ),
        (
            SmartModuleInvocation::predefined("last").lookback(5, None),
            up_by_name(
                "last",
                up::SmartModuleContextData::None,
                SmartModuleExtraParams::new(BTreeMap::new(), Some(Lookback::last(5))),
            ),
        ),
    ];
    // Inline WASM: gzip by flv; upstream gzips too (with flate2 at the default level),
    // so both payloads are compared after decompression, and the upstream value is built
    // with flv's payload for the byte comparison.
    let raw = b"\0asm\x01\0\0\0 a module body".to_vec();
    let ours = SmartModuleInvocation::adhoc("filter.wasm", &raw)
        .unwrap()
        .param("a", "b");
    let ours::SmartModuleInvocationWasm::AdHoc(gz) = &ours.wasm else {
        panic!("inline WASM")
    };
    let mut unzipped = Vec::new();
    flate2::read::GzDecoder::new(&gz[..])
        .read_to_end(&mut unzipped)
        .unwrap();
    assert_eq!(unzipped, raw, "the inline payload is the gzip of the file");
    let up_inline = up::SmartModuleInvocation {
        wasm: up::SmartModuleInvocationWasm::AdHoc(gz.to_vec()),
        kind: up::SmartModuleKind::Generic(up::SmartModuleContextData::None),
        params: params(&[("a", "b")]).into(),
        name: Some("filter.wasm".into()),
    };
    cases.push((ours, up_inline));
    cases
}

#[test]
fn builder_invocations_encode_as_upstream_builds_them() {
    for (ours, theirs) in cases() {
        // Versions 20–25: look-back on the wire from 20, its age from 21, the name from 25.
        for version in 18..=25 {
            let our_bytes = encode_to_bytes(&ours, version).unwrap();
            assert_eq!(
                our_bytes.to_vec(),
                up_bytes(&theirs, version),
                "v{version}: {ours:?}"
            );
            // And upstream decodes ours to what it built (upstream's invocation has no
            // `PartialEq`: compared as its debug form; below the fields' versions those
            // fields are not on the wire and decode as defaults).
            let mut cursor = Cursor::new(our_bytes.to_vec());
            let decoded =
                up::SmartModuleInvocation::decode_from(&mut cursor, version).expect("decodes");
            assert_eq!(cursor.position() as usize, our_bytes.len(), "v{version}");
            if version >= 25 {
                assert_eq!(format!("{decoded:?}"), format!("{theirs:?}"), "v{version}");
            }
            let back: SmartModuleInvocation =
                decode_exact(Bytes::from(up_bytes(&theirs, version)), version, "inv").unwrap();
            assert_eq!(encode_to_bytes(&back, version).unwrap(), our_bytes);
        }
    }
}

#[test]
fn stream_fetch_and_produce_carry_the_chain_as_upstream() {
    let chain: Vec<_> = cases().into_iter().collect();
    let (ours_chain, up_chain): (Vec<_>, Vec<_>) = chain.into_iter().unzip();
    for version in 18..=25 {
        let ours_req = ours::StreamFetchRequest {
            topic: "t".into(),
            partition: 0,
            fetch_offset: 7,
            max_bytes: 1 << 20,
            smartmodules: ours_chain.clone(),
            ..Default::default()
        };
        let mut up_req = StreamFetchRequest::<URecords>::default();
        up_req.topic = "t".into();
        up_req.partition = 0;
        up_req.fetch_offset = 7;
        up_req.max_bytes = 1 << 20;
        up_req.isolation = fluvio_spu_schema::Isolation::ReadUncommitted;
        up_req.smartmodules = up_chain.clone();
        assert_eq!(
            encode_to_bytes(&ours_req, version).unwrap().to_vec(),
            up_bytes(&up_req, version),
            "StreamFetch v{version}"
        );
        let ours_produce = ours::produce::ProduceRequest {
            smartmodules: ours_chain.clone(),
            ..Default::default()
        };
        let up_produce = fluvio_spu_schema::produce::ProduceRequest::<URecords> {
            smartmodules: up_chain.clone(),
            ..Default::default()
        };
        assert_eq!(
            encode_to_bytes(&ours_produce, version).unwrap().to_vec(),
            up_bytes(&up_produce, version),
            "Produce v{version}"
        );
    }
}
