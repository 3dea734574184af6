//! SmartModules on a real SPU, through the `flv` CLI: the test filter and map modules
//! (`tests/smartmodules/*.wat`, built with the `wat` crate) stored with `flv smartmodule
//! create` and run by `flv consume --sm NAME`, `flv consume --smartmodule-path FILE` and
//! `flv produce --smartmodule-path FILE`, with the filtered and mapped records checked; and
//! a missing module refused with the same message as the mock's.
//!
//! Needs a `fluvio-run` built with SmartModules (`FLUVIO_RUN=PATH`; README: "A real
//! cluster"), so CI, which has none, skips it with a message. The wire format of the
//! invocations is checked in CI by `xcheck_smartmodule.rs`, and the modules themselves by
//! `smartmodule_wat.rs`.

use std::path::Path;
use std::time::{Duration, Instant};

use assert_cmd::Command;
use flv_mock_cluster::{MockClusterServer, ServerOptions};
use flv_tests::flv_binary;
use flv_tests::real_cluster::{RealCluster, fluvio_run_path};
use flv_tests::smartmodules::{filter_wasm, map_wasm};

/// The records, produced in two batches (two `flv produce` runs) and then one record per
/// batch: a SmartModule stream merges the records that pass from several stored batches.
const BATCHES: [&str; 4] = [
    "apple\nfruit\nbanana\n",
    "cherry\nkiwi\npear\n",
    "avocado\n",
    "plum\n",
];

fn flv(home: &Path, sc: &str) -> Command {
    let mut cmd = Command::new(flv_binary());
    cmd.env("FLV_PROFILE_PATH", home.join("config"))
        .env("HOME", home)
        .env_remove("RUST_LOG")
        .timeout(Duration::from_secs(120))
        .args(["-c", sc]);
    cmd
}

fn ok(home: &Path, sc: &str, args: &[&str], stdin: &str) -> String {
    let out = flv(home, sc)
        .args(args)
        .write_stdin(stdin)
        .assert()
        .success();
    String::from_utf8(out.get_output().stdout.clone()).unwrap()
}

/// The error a `flv consume --sm` of a module the cluster does not have prints.
fn missing_module_error(home: &Path, sc: &str, topic: &str) -> String {
    let out = flv(home, sc)
        .args(["consume", topic, "-B", "-d", "--sm", "no-such-module"])
        .assert()
        .failure();
    String::from_utf8(out.get_output().stderr.clone()).unwrap()
}

#[test]
fn filter_and_map_run_on_a_real_spu() {
    let Some(bin) = fluvio_run_path(None) else {
        eprintln!("skipped: set FLUVIO_RUN to a fluvio-run built with SmartModules");
        return;
    };
    let cluster = RealCluster::start(&bin, 1).expect("real cluster starts");
    let sc = cluster.sc_addr();
    let home = tempfile::tempdir().unwrap();
    let home = home.path();
    let wasm = |name: &str, bytes: Vec<u8>| {
        let path = home.join(name);
        std::fs::write(&path, bytes).unwrap();
        path.to_str().unwrap().to_owned()
    };
    let filter = wasm("filter.wasm", filter_wasm());
    let map = wasm("map.wasm", map_wasm());

    ok(home, &sc, &["topic", "create", "fruits"], "");
    cluster
        .wait_topic_online("fruits", Duration::from_secs(60))
        .expect("topic online");
    for batch in BATCHES {
        ok(home, &sc, &["produce", "fruits"], batch);
    }
    let all = BATCHES.concat();
    ok(
        home,
        &sc,
        &["smartmodule", "create", "only-a", "--wasm-file", &filter],
        "",
    );

    // By name: the SPU runs the stored filter. The SC hands a new module to the SPUs
    // after `smartmodule create` returns, so the first reads may not find it yet.
    let by_name = ["consume", "fruits", "-B", "-d", "--sm", "only-a"];
    let deadline = Instant::now() + Duration::from_secs(30);
    while Instant::now() < deadline {
        let out = flv(home, &sc).args(by_name).output().unwrap();
        if out.status.success() {
            break;
        }
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains("SmartModule only-a was not found"), "{err}");
        std::thread::sleep(Duration::from_millis(200));
    }
    let filtered = ok(home, &sc, &by_name, "");
    // Upstream's SPU numbers the records it merges from later batches wrongly (below
    // their offsets: `Batch::records_at_or_after`); flv delivers them all. Before flv
    // allowed for it, such reads printed only some of the matching records.
    assert_eq!(filtered, "apple\nbanana\npear\navocado\n");
    // Inline: the map travels in the request.
    let mapped = ok(
        home,
        &sc,
        &["consume", "fruits", "-B", "-d", "--smartmodule-path", &map],
        "",
    );
    assert_eq!(mapped, all.to_uppercase());
    // From an offset: the filter sees only what follows it.
    let tail = ok(
        home,
        &sc,
        &["consume", "fruits", "--start", "3", "-d", "--sm", "only-a"],
        "",
    );
    assert_eq!(tail, "pear\navocado\n");

    // On produce: the SPU maps the records before it stores them.
    ok(home, &sc, &["topic", "create", "shout"], "");
    cluster
        .wait_topic_online("shout", Duration::from_secs(60))
        .expect("topic online");
    ok(
        home,
        &sc,
        &["produce", "shout", "--smartmodule-path", &map],
        "hello\nworld\n",
    );
    assert_eq!(
        ok(home, &sc, &["consume", "shout", "-B", "-d"], ""),
        "HELLO\nWORLD\n"
    );

    // A module the cluster does not have: the real SPU's error, as the mock gives it.
    let real = missing_module_error(home, &sc, "fruits");
    let mock = MockClusterServer::start(ServerOptions::default()).expect("mock starts");
    let mock_sc = mock.sc_addr().to_owned();
    ok(home, &mock_sc, &["topic", "create", "fruits"], "");
    ok(home, &mock_sc, &["produce", "fruits"], &all);
    let from_mock = missing_module_error(home, &mock_sc, "fruits");
    assert!(real.contains("no-such-module"), "{real}");
    assert_eq!(real, from_mock);
}
