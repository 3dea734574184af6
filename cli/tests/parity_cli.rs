//! Official CLI spellings and flags of issue 20 against a mock cluster on loopback:
//! `cluster spu|spg`, `spu register -i/-l`, topic and partition flags, produce and consume
//! flags, `profile sync`, and the `-v`/`RUST_LOG` log.

mod common;

use common::Env;

/// An env with topic `t` of one partition.
fn with_topic() -> Env {
    let env = Env::new(2);
    env.ok(&["topic", "create", "t"]);
    env
}

fn stderr_of(out: &assert_cmd::assert::Assert) -> String {
    String::from_utf8(out.get_output().stderr.clone()).unwrap()
}

#[test]
fn cluster_spu_and_spg_paths_are_the_top_level_commands() {
    let env = Env::new(2);
    let top = env.ok(&["spu", "list"]);
    assert_eq!(env.ok(&["cluster", "spu", "list"]), top);
    assert_eq!(top.lines().count(), 3, "{top}");
    env.ok(&[
        "cluster",
        "spu",
        "register",
        "-i",
        "7000",
        "-p",
        "spu7.example:9010",
        "-l",
        "spu7.local:9010",
        "-v",
        "spu7.example:9011",
    ]);
    let custom: serde_json::Value =
        serde_json::from_str(&env.ok(&["cluster", "spu", "list", "--custom", "-O", "json"]))
            .unwrap();
    let spu7 = custom
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["spec"]["spuId"] == 7000)
        .expect("SPU 7000 listed");
    assert_eq!(spu7["name"], "custom-spu-7000");
    let local = &spu7["spec"]["publicEndpointLocal"];
    assert_eq!(local["host"], "spu7.local");
    assert_eq!(local["port"], 9010);
    env.ok(&["cluster", "spu", "unregister", "--id", "7000"]);
    assert_eq!(env.ok(&["cluster", "spu", "list"]), top);
    // A bad local address is refused before anything is sent.
    let err = env.fails(&[
        "cluster", "spu", "register", "-i", "7001", "-p", "a:1", "-l", "nope", "-v", "a:2",
    ]);
    assert!(err.contains("--public-server-local `nope`"), "{err}");

    env.ok(&["cluster", "spg", "create", "g1", "-r", "2"]);
    let groups = env.ok(&["cluster", "spg", "list"]);
    assert_eq!(env.ok(&["spg", "list"]), groups);
    assert!(groups.contains("g1"), "{groups}");
    env.ok(&["cluster", "spg", "delete", "g1"]);
}

#[test]
fn topic_create_dedup_config_file_and_system_topics() {
    let env = Env::new(2);
    // --dedup is a bare flag: the official filter, 5 records, 5 s.
    let out = env
        .flv(&["topic", "create", "--dedup", "d1"])
        .assert()
        .success();
    assert_eq!(out.get_output().stdout, b"topic \"d1\" created\n");
    assert!(
        stderr_of(&out).contains("\"fluvio/dedup-bloom-filter@0.1.0\" is not in the cluster"),
        "{}",
        stderr_of(&out)
    );
    let d1: serde_json::Value =
        serde_json::from_str(&env.ok(&["topic", "describe", "d1", "-O", "json"])).unwrap();
    let dedup = &d1["spec"]["deduplication"];
    assert_eq!(
        dedup["filter"]["transform"]["uses"],
        "fluvio/dedup-bloom-filter@0.1.0"
    );
    assert_eq!(dedup["bounds"]["count"], 5);
    assert_eq!(dedup["bounds"]["age"]["secs"], 5);
    env.ok(&[
        "topic",
        "create",
        "d2",
        "--dedup=my-filter",
        "--dedup-count",
        "9",
        "--dedup-age",
        "1m",
    ]);
    let d2: serde_json::Value =
        serde_json::from_str(&env.ok(&["topic", "describe", "d2", "-O", "json"])).unwrap();
    assert_eq!(
        d2["spec"]["deduplication"]["filter"]["transform"]["uses"],
        "my-filter"
    );
    assert_eq!(d2["spec"]["deduplication"]["bounds"]["count"], 9);
    assert_eq!(d2["spec"]["deduplication"]["bounds"]["age"]["secs"], 60);
    // The companions need --dedup.
    env.flv(&["topic", "create", "d3", "--dedup-count", "2"])
        .assert()
        .code(2);

    // -c FILE: the official YAML topic configuration.
    let file = env.dir.path().join("topic.yaml");
    std::fs::write(
        &file,
        "version: 0.1.0\nmeta:\n  name: from-file\npartition:\n  count: 2\n  replication: 1\nretention:\n  time: 2m\n  segment-size: 2 KiB\ncompression:\n  type: Lz4\n",
    )
    .unwrap();
    let path = file.to_str().unwrap();
    assert_eq!(
        env.ok(&["topic", "create", "-c", path]),
        "topic \"from-file\" created\n"
    );
    let t: serde_json::Value =
        serde_json::from_str(&env.ok(&["topic", "describe", "from-file", "-O", "json"])).unwrap();
    assert_eq!(t["spec"]["replicas"]["computed"]["partitions"], 2);
    assert_eq!(t["spec"]["compressionType"], "Lz4");
    assert_eq!(t["spec"]["storage"]["segmentSize"], 2048);
    assert_eq!(t["spec"]["cleanupPolicy"]["segment"]["timeInSeconds"], 120);
    // --config excludes the other settings, as upstream.
    env.flv(&["topic", "create", "-c", path, "-p", "3"])
        .assert()
        .code(2);
    std::fs::write(&file, "meta:\n  name: x\nparttion: {}\n").unwrap();
    let err = env.fails(&["topic", "create", "--config", path]);
    assert!(err.contains("invalid topic configuration"), "{err}");

    // System topics: listed with -s, deleted with --system (asked, or --force).
    let plain = env.ok(&["topic", "list"]);
    assert!(!plain.contains("consumer-offset"), "{plain}");
    assert!(env.ok(&["topic", "list", "-s"]).contains("consumer-offset"));
    assert!(!env.ok(&["partition", "list"]).contains("consumer-offset"));
    assert!(
        env.ok(&["partition", "list", "--system"])
            .contains("consumer-offset")
    );
    let err = env.fails(&["topic", "delete", "consumer-offset"]);
    assert!(err.contains("use --system"), "{err}");
    let asked = env
        .flv(&["topic", "delete", "consumer-offset", "--system"])
        .write_stdin("n\n")
        .assert()
        .success();
    let stdout = String::from_utf8(asked.get_output().stdout.clone()).unwrap();
    assert!(stdout.ends_with("(y/n)\nAborted\n"), "{stdout}");
    assert!(env.ok(&["topic", "list", "-s"]).contains("consumer-offset"));
    assert_eq!(
        env.ok(&["topic", "delete", "-s", "-f", "consumer-offset"]),
        "system topic \"consumer-offset\" deleted\n"
    );
    assert!(!env.ok(&["topic", "list", "-s"]).contains("consumer-offset"));
}

#[test]
fn produce_spellings_and_raw_with_key() {
    let env = with_topic();
    for semantic in ["at_most_once", "at-most-once", "AtMostOnce", "atmostonce"] {
        env.ok_with(
            &["produce", "t", "--delivery-semantic", semantic],
            &format!("{semantic}\n"),
        );
    }
    env.ok_with(
        &[
            "produce",
            "t",
            "--delivery-semantic",
            "at_least_once",
            "--isolation",
            "readCommitted",
        ],
        "committed\n",
    );
    env.flv(&["produce", "t", "--delivery-semantic", "twice"])
        .assert()
        .code(2);
    // --raw --key: the whole input is one record with that key.
    env.ok_with(&["produce", "t", "--raw", "--key", "k1"], "a\nb");
    assert_eq!(
        env.ok(&["consume", "t", "-B", "-d", "-k"]),
        "[null] at_most_once\n[null] at-most-once\n[null] AtMostOnce\n[null] atmostonce\n[null] committed\n[k1] a\nb\n"
    );
}

#[test]
fn consume_truncate_text_suppress_and_progressbar() {
    let env = with_topic();
    env.ok_with(&["produce", "t"], "0123456789\nshort\n");
    let file = env.dir.path().join("bin");
    std::fs::write(&file, [b'a', 0, b'b']).unwrap();
    env.ok(&["produce", "t", "--raw", "-f", file.to_str().unwrap()]);
    let out = env
        .flv(&["consume", "t", "-B", "-d", "--truncate"])
        .env("COLUMNS", "4")
        .assert()
        .success();
    assert_eq!(out.get_output().stdout, b"0123\nshor\na\0b\n");
    // --truncate excludes -O and -F, as upstream.
    env.flv(&["consume", "t", "-B", "-d", "--truncate", "-O", "raw"])
        .assert()
        .code(2);
    assert_eq!(
        env.ok(&["consume", "t", "-B", "-d", "-O", "text"]),
        "0123456789\nshort\nbinary: (3 bytes)\n"
    );
    assert_eq!(
        env.ok(&[
            "consume",
            "t",
            "-B",
            "-d",
            "-O",
            "text",
            "--suppress-unknown"
        ]),
        "0123456789\nshort\na\0b\n"
    );
    // Without a terminal there is no spinner either way; the flag is accepted.
    assert_eq!(
        env.ok(&[
            "consume",
            "t",
            "--start",
            "1",
            "--end",
            "1",
            "--disable-progressbar"
        ]),
        "short\n"
    );
}

#[test]
fn profile_sync_local_points_the_local_profile_at_the_cluster() {
    let env = Env::new(1);
    let sc = env.server.sc_addr().to_owned();
    let out = env
        .bare()
        .args(["profile", "sync", "local", &sc])
        .assert()
        .success();
    assert_eq!(
        String::from_utf8(out.get_output().stdout.clone()).unwrap(),
        format!("local context is set to: {sc}\n")
    );
    let current = env.bare().args(["profile", "current"]).assert().success();
    assert_eq!(current.get_output().stdout, b"local\n");
    // The profile works without -c.
    let list = env.bare().args(["topic", "list"]).assert().success();
    assert_eq!(list.get_output().stdout, b"No topics found\n");
    let k8 = env.bare().args(["profile", "sync", "k8"]).assert().code(1);
    assert!(
        stderr_of(&k8).contains("no Kubernetes client"),
        "{}",
        stderr_of(&k8)
    );
}

#[test]
fn logs_only_when_asked() {
    let env = with_topic();
    let quiet = env
        .flv(&["topic", "list"])
        .env_remove("RUST_LOG")
        .assert()
        .success();
    assert_eq!(stderr_of(&quiet), "");
    let debug = env
        .flv(&["topic", "list"])
        .env("RUST_LOG", "debug")
        .assert()
        .success();
    let log = stderr_of(&debug);
    assert!(log.contains("DEBUG"), "{log}");
    assert!(log.contains("ApiVersions"), "{log}");
    assert_eq!(debug.get_output().stdout, quiet.get_output().stdout);
    let verbose = env
        .bare()
        .args(["-v", "-c", env.server.sc_addr(), "topic", "list"])
        .env_remove("RUST_LOG")
        .assert()
        .success();
    let log = stderr_of(&verbose);
    assert!(log.contains("INFO") && !log.contains("DEBUG"), "{log}");
    // Each request is logged inside its span, named by its API: the SC's watch or list,
    // the SPU's Produce.
    let traced = env
        .flv(&["produce", "t"])
        .env("RUST_LOG", "flv_core=trace")
        .write_stdin("one\n")
        .assert()
        .success();
    let log = stderr_of(&traced);
    let produce = log
        .lines()
        .find(|l| l.contains("request{") && l.contains("api=\"Produce\""))
        .unwrap_or_else(|| panic!("no Produce request span in:\n{log}"));
    assert!(produce.contains("correlation_id="), "{produce}");
    assert!(
        log.lines()
            .any(|l| l.contains("api=\"Produce\"") && l.ends_with(": response")),
        "{log}"
    );
}

#[test]
fn unknown_topics_suggest_close_names() {
    let env = Env::new(1);
    env.ok(&["topic", "create", "events"]);
    env.ok(&["topic", "create", "orders"]);
    let err = env.fails(&["consume", "evnts", "-d"]);
    assert_eq!(
        err,
        "error: topic \"evnts\" not found (did you mean \"events\"?)\n"
    );
    let out = env
        .flv(&["produce", "order"])
        .write_stdin("x\n")
        .assert()
        .code(1);
    assert_eq!(
        stderr_of(&out),
        "error: topic \"order\" not found (did you mean \"orders\"?)\n"
    );
    let err = env.fails(&["topic", "describe", "ordres"]);
    assert!(err.contains("(did you mean \"orders\"?)"), "{err}");
    let err = env.fails(&["topic", "delete", "event"]);
    assert!(err.contains("(did you mean \"events\"?)"), "{err}");
    // Nothing close: no suggestion.
    assert_eq!(
        env.fails(&["consume", "zzz", "-d"]),
        "error: topic \"zzz\" not found\n"
    );
}

/// Runs a read-committed produce of one record with a 2 s delivery timeout; returns its
/// exit code, stderr and duration.
fn produce_committed(env: &Env) -> (i32, String, std::time::Duration) {
    let started = std::time::Instant::now();
    let out = env
        .flv(&[
            "produce",
            "t",
            "--isolation",
            "read_committed",
            "--delivery-timeout",
            "2s",
        ])
        .write_stdin("x\n")
        .assert();
    let code = out.get_output().status.code().unwrap_or(-1);
    (code, stderr_of(&out), started.elapsed())
}

#[test]
fn read_committed_with_an_offline_replica_warns_at_once_and_fails_at_the_delivery_timeout() {
    let env = Env::new(2);
    env.ok(&["topic", "create", "t", "-r", "2"]);
    let leader = env.server.partition_leader("t", 0).expect("a leader");
    let follower = if leader == 5001 { 5002 } else { 5001 };
    let warning = |why: &str| {
        format!(
            "warning: partition t-0: replica on SPU {follower} is {why}; read-committed records wait for it and fail after the delivery timeout (2s)"
        )
    };
    // A follower behind the leader holds the high watermark back: warned at once, and the
    // record fails at the delivery timeout.
    env.server.stall_replication(follower, true);
    env.ok_with(&["produce", "t"], "uncommitted\n");
    let deadline = std::time::Instant::now() + common::STEP;
    // Until the SC shows the leader at offset 1 and the follower at 0.
    let behind = || {
        let list: serde_json::Value =
            serde_json::from_str(&env.ok(&["partition", "list", "-O", "json"])).unwrap();
        let status = &list[0]["status"];
        status["leader"]["leo"] == 1 && status["replicas"][0]["leo"] == 0
    };
    while !behind() {
        assert!(
            std::time::Instant::now() < deadline,
            "follower never behind"
        );
        std::thread::yield_now();
    }
    let (code, err, elapsed) = produce_committed(&env);
    assert_eq!(code, 1, "{err}");
    assert_eq!(
        err.lines().next(),
        Some(warning("behind the leader (at offset 0 of 1)").as_str()),
        "{err}"
    );
    assert!(
        err.contains("cannot produce to topic \"t\"") && err.contains("timeout"),
        "{err}"
    );
    assert!(
        elapsed >= std::time::Duration::from_secs(2) && elapsed < common::STEP,
        "{elapsed:?}"
    );
    // A stopped follower is named as offline, and holds the high watermark back as on a
    // real SPU: the record fails at the delivery timeout, naming the replica.
    env.server.stall_replication(follower, false);
    env.server.stop_spu(follower);
    let deadline = std::time::Instant::now() + common::STEP;
    while !env
        .ok(&["spu", "list"])
        .lines()
        .any(|l| l.contains(&follower.to_string()) && l.contains("Offline"))
    {
        assert!(std::time::Instant::now() < deadline, "SPU never offline");
        std::thread::yield_now();
    }
    let (code, err, _) = produce_committed(&env);
    assert_eq!(code, 1, "{err}");
    assert_eq!(
        err.lines().next(),
        Some(warning("offline").as_str()),
        "{err}"
    );
    // The leader stored the record (the exactly-once read-back found it), so the error
    // says where, and names the replica that keeps it from being committed.
    assert!(
        err.contains("but not committed")
            && err.contains(&format!("replica on SPU {follower} is offline")),
        "{err}"
    );
    // The library logs it too (a `tracing` warning, shown with RUST_LOG or -v).
    let out = env
        .flv(&[
            "produce",
            "t",
            "--isolation",
            "read_committed",
            "--delivery-timeout",
            "2s",
        ])
        .env("RUST_LOG", "info")
        .write_stdin("z\n")
        .assert()
        .failure();
    let log = stderr_of(&out);
    assert!(
        log.lines().any(|l| l.contains("WARN")
            && l.contains("wait for a replica that is not caught up")
            && l.contains(&format!("spu={follower}"))
            && l.contains("why=offline")),
        "{log}"
    );
    // The server's timeout makes the producer look for the record (exactly once): that
    // is logged in the partition's span.
    assert!(
        log.lines().any(
            |l| l.contains("partition{role=\"produce\" topic=\"t\" partition=0}")
                && l.contains("produce retry")
        ),
        "{log}"
    );
    // Read-uncommitted does not wait for followers: no warning.
    let out = env
        .flv(&["produce", "t"])
        .write_stdin("y\n")
        .assert()
        .success();
    assert!(!stderr_of(&out).contains("warning"), "{}", stderr_of(&out));
}
