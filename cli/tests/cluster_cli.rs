//! `flv topic|partition|spu|spg|smartmodule` end to end against a mock cluster on loopback,
//! and the one-sentence errors of commands that talk to a cluster.

mod common;

use std::net::TcpListener;

use common::Env;

#[test]
fn help_of_the_cluster_commands() {
    let env = Env::new(1);
    let help = |args: &[&str]| {
        let out = env.bare().args(args).assert().success();
        String::from_utf8(out.get_output().stdout.clone()).unwrap()
    };
    insta::assert_snapshot!("help_topic", help(&["topic", "--help"]));
    insta::assert_snapshot!("help_topic_create", help(&["topic", "create", "--help"]));
    insta::assert_snapshot!("help_produce", help(&["produce", "--help"]));
    insta::assert_snapshot!("help_consume", help(&["consume", "--help"]));
    insta::assert_snapshot!("help_local", help(&["local", "start", "--help"]));
    insta::assert_snapshot!("help_demo", help(&["demo", "--help"]));
}

#[test]
fn topic_create_list_describe_add_partition_delete() {
    let env = Env::new(3);
    assert_eq!(env.ok(&["topic", "list"]), "No topics found\n");
    assert_eq!(
        env.ok(&["topic", "create", "greetings"]),
        "topic \"greetings\" created\n"
    );
    assert_eq!(
        env.ok(&[
            "topic",
            "create",
            "events",
            "-p",
            "2",
            "-r",
            "2",
            "--retention-time",
            "1h",
            "--segment-size",
            "1 MiB",
            "--max-partition-size",
            "10 GB",
            "--compression-type",
            "lz4",
        ]),
        "topic \"events\" created\n"
    );
    insta::assert_snapshot!("topic_list_table", env.ok(&["topic", "list"]));
    insta::assert_snapshot!("topic_list_json", env.ok(&["topic", "list", "-O", "json"]));
    insta::assert_snapshot!("topic_list_yaml", env.ok(&["topic", "list", "-O", "yaml"]));
    let toml_text = env.ok(&["topic", "list", "-O", "toml"]);
    let parsed: toml::Table = toml_text.parse().expect("valid TOML");
    assert_eq!(parsed["topic"][0]["name"].as_str(), Some("events"));
    insta::assert_snapshot!("topic_describe", env.ok(&["topic", "describe", "events"]));
    let json: serde_json::Value =
        serde_json::from_str(&env.ok(&["topic", "describe", "events", "-O", "json"])).unwrap();
    assert_eq!(json["spec"]["storage"]["segmentSize"], 1 << 20);
    assert_eq!(
        json["spec"]["cleanupPolicy"]["segment"]["timeInSeconds"],
        3600
    );
    assert_eq!(json["spec"]["compressionType"], "Lz4");

    assert_eq!(
        env.ok(&["topic", "add-partition", "events", "-c", "2"]),
        "added new partitions to topic: \"events\"\n"
    );
    let partitions = env.ok(&["partition", "list", "-t", "events"]);
    let rows: Vec<&str> = partitions.lines().skip(1).collect();
    assert_eq!(rows.len(), 4, "{partitions}");
    assert!(rows.iter().all(|r| r.contains("Online")), "{partitions}");

    assert_eq!(
        env.ok(&["topic", "delete", "greetings", "events"]),
        "topic \"greetings\" deleted\ntopic \"events\" deleted\n"
    );
    assert_eq!(env.ok(&["topic", "list"]), "No topics found\n");
    assert_eq!(
        env.ok(&["topic", "list", "-O", "json"]),
        "[]\n",
        "an empty list is valid JSON"
    );
}

#[test]
fn topic_create_dry_run_and_replica_assignment() {
    let env = Env::new(3);
    assert_eq!(
        env.ok(&["topic", "create", "dry", "-p", "3", "--dry-run"]),
        "topic \"dry\" is valid (dry run, not created)\n"
    );
    assert_eq!(env.ok(&["topic", "list"]), "No topics found\n");

    let file = env.dir.path().join("assign.json");
    std::fs::write(
        &file,
        r#"[{"id": 0, "replicas": [5002, 5003]}, {"id": 1, "replicas": [5003, 5001]}]"#,
    )
    .unwrap();
    env.ok(&["topic", "create", "manual", "-f", file.to_str().unwrap()]);
    let partitions = env.ok(&["partition", "list"]);
    insta::assert_snapshot!("partition_list_assigned", partitions);

    std::fs::write(&file, "not json").unwrap();
    let err = env.fails(&["topic", "create", "bad", "-f", file.to_str().unwrap()]);
    assert!(err.starts_with("error: "), "{err}");
    assert!(err.contains("is not a replica assignment"), "{err}");
    assert_eq!(err.lines().count(), 1, "{err}");
}

#[test]
fn topic_errors_are_one_sentence() {
    let env = Env::new(1);
    env.ok(&["topic", "create", "t"]);
    let err = env.fails(&["topic", "create", "t"]);
    assert!(
        err.starts_with("error: cannot create topic \"t\": ") && err.contains("already exists"),
        "{err}"
    );
    assert_eq!(err.lines().count(), 1, "{err}");
    let err = env.fails(&["topic", "delete", "nope"]);
    assert!(
        err.starts_with("error: cannot delete topic \"nope\": "),
        "{err}"
    );
    let err = env.fails(&["topic", "describe", "nope"]);
    assert_eq!(err, "error: topic \"nope\" not found\n");
    // --continue-on-error deletes the rest and still fails.
    let out = env
        .flv(&["topic", "delete", "nope", "t", "--continue-on-error"])
        .assert()
        .code(1);
    let stdout = String::from_utf8(out.get_output().stdout.clone()).unwrap();
    assert_eq!(stdout, "topic \"t\" deleted\n");
    // Flags are checked before connecting.
    let out = env
        .bare()
        .args([
            "-c",
            "127.0.0.1:1",
            "topic",
            "create",
            "x",
            "--segment-size",
            "3 parsecs",
        ])
        .assert()
        .code(2);
    let stderr = String::from_utf8(out.get_output().stderr.clone()).unwrap();
    assert!(stderr.contains("unknown size unit"), "{stderr}");
}

#[test]
fn spu_list_register_unregister() {
    let env = Env::new(2);
    // Columns joined by one space: the widths depend on the port numbers.
    let table: Vec<String> = env
        .redact(&env.ok(&["spu", "list"]))
        .lines()
        .map(|l| l.split_whitespace().collect::<Vec<_>>().join(" "))
        .collect();
    insta::assert_snapshot!("spu_list_table", table.join("\n"));
    let json: serde_json::Value =
        serde_json::from_str(&env.ok(&["spu", "list", "-O", "json"])).unwrap();
    assert_eq!(json.as_array().unwrap().len(), 2);
    assert_eq!(json[0]["spec"]["spuId"], 5001);

    assert_eq!(
        env.ok(&[
            "spu",
            "register",
            "--id",
            "7001",
            "--public-server",
            "10.0.0.9:9010",
            "--private-server",
            "10.0.0.9:9011",
            "--rack",
            "r1",
        ]),
        "custom SPU \"custom-spu-7001\" (7001) registered\n"
    );
    let list = env.ok(&["spu", "list"]);
    let row = list
        .lines()
        .find(|l| l.contains("7001"))
        .expect("the new SPU is listed");
    assert!(row.contains("10.0.0.9:9010") && row.contains("r1"), "{row}");
    assert_eq!(
        env.ok(&["spu", "unregister", "--id", "7001"]),
        "custom SPU 7001 unregistered\n"
    );
    assert!(!env.ok(&["spu", "list"]).contains("7001"));
    let err = env.fails(&["spu", "register", "--id", "1", "-p", "nohost", "-v", "h:1"]);
    assert_eq!(err, "error: --public-server `nohost` is not HOST:PORT\n");
}

#[test]
fn spg_create_list_delete() {
    let env = Env::new(1);
    assert_eq!(
        env.ok(&[
            "spg",
            "create",
            "main",
            "--replicas",
            "3",
            "--min-id",
            "100",
            "--rack",
            "r"
        ]),
        "SPU group \"main\" created\n"
    );
    insta::assert_snapshot!("spg_list_table", env.ok(&["spg", "list"]));
    let yaml = env.ok(&["spg", "list", "-O", "yaml"]);
    assert!(yaml.contains("minId: 100"), "{yaml}");
    assert_eq!(
        env.ok(&["spg", "delete", "main"]),
        "SPU group \"main\" deleted\n"
    );
    assert_eq!(
        env.ok(&["spg", "list"]),
        " NAME  REPLICAS  MIN ID  RACK  SIZE  STATUS\n"
    );
    let err = env.fails(&["spg", "delete", "main"]);
    assert!(
        err.starts_with("error: cannot delete SPU group \"main\": "),
        "{err}"
    );
}

#[test]
fn smartmodule_list_and_delete() {
    let env = Env::new(1);
    assert_eq!(env.ok(&["smartmodule", "list"]), "No SmartModules found\n");
    assert_eq!(env.ok(&["sm", "list", "-O", "json"]), "[]\n");
    let err = env.fails(&["smartmodule", "delete", "nope"]);
    assert!(
        err.starts_with("error: cannot delete SmartModule \"nope\": "),
        "{err}"
    );
    assert_eq!(err.lines().count(), 1, "{err}");
}

#[test]
fn connection_errors_are_one_sentence() {
    let env = Env::new(1);
    // A port nobody listens on: bound, then released.
    let port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let addr = format!("127.0.0.1:{port}");
    let out = env
        .bare()
        .args(["-c", &addr, "topic", "list"])
        .assert()
        .code(1)
        .stdout("");
    let err = String::from_utf8(out.get_output().stderr.clone()).unwrap();
    assert_eq!(
        err,
        format!(
            "error: cannot connect to the cluster at {addr}: connection refused (is the cluster running?)\n"
        )
    );

    // No profile and no --cluster.
    let out = env
        .bare()
        .args(["topic", "list"])
        .assert()
        .code(1)
        .stdout("");
    let err = String::from_utf8(out.get_output().stderr.clone()).unwrap();
    assert!(err.starts_with("error: no active profile"), "{err}");
    assert_eq!(err.lines().count(), 1);

    // TLS against a plain-TCP cluster.
    let err = env.fails(&["--tls", "topic", "list"]);
    assert!(err.starts_with("error: "), "{err}");
    assert!(err.contains("TLS"), "{err}");
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(!err.contains("panicked"), "{err}");
}

#[test]
fn commands_use_the_current_profile() {
    let env = Env::new(1);
    env.bare()
        .args(["profile", "add", "mock", env.server.sc_addr()])
        .assert()
        .success();
    let out = env.bare().args(["topic", "create", "p"]).assert().success();
    assert_eq!(out.get_output().stdout, b"topic \"p\" created\n");
    let out = env
        .bare()
        .args(["-P", "mock", "topic", "list"])
        .assert()
        .success();
    let text = String::from_utf8(out.get_output().stdout.clone()).unwrap();
    assert!(text.lines().nth(1).unwrap().starts_with(" p "), "{text}");
}
