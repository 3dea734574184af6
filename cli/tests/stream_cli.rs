//! `flv produce`, `flv consume`, `flv consumer`, `flv local` and `flv demo` end to end.

mod common;

use common::{Env, Running};

/// An env with topic `t` of `partitions` partitions.
fn with_topic(partitions: &str) -> Env {
    let env = Env::new(2);
    env.ok(&["topic", "create", "t", "-p", partitions]);
    env
}

#[test]
fn produce_lines_and_consume_them_back() {
    let env = with_topic("1");
    let out = env
        .flv(&["produce", "t"])
        .write_stdin("one\ntwo\r\n\nthree")
        .assert()
        .success();
    assert_eq!(out.get_output().stdout, b"");
    let stderr = String::from_utf8(out.get_output().stderr.clone()).unwrap();
    assert!(
        stderr.starts_with("produced 4 records (11 B) in "),
        "{stderr}"
    );
    assert_eq!(env.ok(&["consume", "t", "-B", "-d"]), "one\ntwo\n\nthree\n");
    assert_eq!(
        env.ok(&["consume", "t", "-B", "-d", "-O", "raw"]),
        "onetwothree"
    );
    assert_eq!(env.ok(&["consume", "t", "-H", "2", "-d"]), "\nthree\n");
    assert_eq!(env.ok(&["consume", "t", "-T", "1", "-d"]), "three\n");
    assert_eq!(
        env.ok(&["consume", "t", "--start", "1", "--end", "2", "-d"]),
        "two\n\n"
    );
    // --end stops a continuous consumer too.
    assert_eq!(env.ok(&["consume", "t", "-B", "--end", "1"]), "one\ntwo\n");
    // From the end (the default) with -d: nothing.
    assert_eq!(env.ok(&["consume", "t", "-d"]), "");
}

#[test]
fn keys_formats_and_outputs() {
    let env = with_topic("1");
    env.ok_with(
        &["produce", "t", "--key-separator", "="],
        "a=1\nb={\"x\":2}\nnokey\n",
    );
    env.ok_with(&["produce", "t", "--key", "k"], "v\n");
    assert_eq!(
        env.ok(&["consume", "t", "-B", "-d", "-k"]),
        "[a] 1\n[b] {\"x\":2}\n[null] nokey\n[k] v\n"
    );
    assert_eq!(
        env.ok(&[
            "consume",
            "t",
            "-B",
            "-d",
            "-F",
            "{{partition}}:{{offset}} {{key}}={{value}} @{{topic}}"
        ]),
        "0:0 a=1 @t\n0:1 b={\"x\":2} @t\n0:2 null=nokey @t\n0:3 k=v @t\n"
    );
    // {{time}} is RFC 3339 (redacted: it is now).
    let timed = env.ok(&["consume", "t", "-H", "3", "-d", "-F", "{{time}}"]);
    assert!(
        timed.len() == "2024-01-01T00:00:00.000Z\n".len() && timed.ends_with("Z\n"),
        "{timed}"
    );
    let out = env
        .flv(&["consume", "t", "-B", "-d", "-O", "json"])
        .assert()
        .success();
    let stdout = String::from_utf8(out.get_output().stdout.clone()).unwrap();
    // As the official CLI: a record that is not JSON shows as an error object...
    let values: Vec<serde_json::Value> = serde_json::Deserializer::from_str(&stdout)
        .into_iter()
        .collect::<Result<_, _>>()
        .unwrap();
    assert_eq!(values.len(), 4, "{stdout}");
    assert_eq!(values[0], 1);
    assert_eq!(values[1], serde_json::json!({"x": 2}));
    assert!(
        values[2]["error"].as_str().unwrap().contains("expected"),
        "{stdout}"
    );
    assert!(values[3]["error"].is_string(), "{stdout}");
    // ... and is left out with --suppress-unknown.
    assert_eq!(
        env.ok(&[
            "consume",
            "t",
            "-B",
            "-d",
            "-O",
            "json",
            "--suppress-unknown"
        ]),
        "1\n{\n  \"x\": 2\n}\n"
    );
}

#[test]
fn table_and_binary_outputs() {
    let env = with_topic("1");
    env.ok_with(
        &["produce", "t"],
        "{\"name\":\"ann\",\"age\":31}\n{\"name\":\"bob\",\"age\":7}\n",
    );
    insta::assert_snapshot!(
        "consume_table",
        env.ok(&["consume", "t", "-B", "-d", "-O", "table"])
    );
    let file = env.dir.path().join("blob.bin");
    std::fs::write(&file, [0u8, 1, 2, 0xff, b'\n', b'A']).unwrap();
    env.ok(&["produce", "t", "--raw", "-f", file.to_str().unwrap()]);
    let dump = env.ok(&["consume", "t", "-T", "1", "-d"]);
    // Not UTF-8: a hex dump.
    assert_eq!(
        dump,
        format!("00000000  {:<47}  |.....A|\n", "00 01 02 ff 0a 41")
    );
    let raw = env
        .flv(&["consume", "t", "-T", "1", "-d", "-O", "raw"])
        .assert()
        .success();
    assert_eq!(raw.get_output().stdout, [0u8, 1, 2, 0xff, b'\n', b'A']);
}

#[test]
fn partitions_and_producer_settings() {
    let env = with_topic("3");
    let lines: String = (0..30).map(|i| format!("r{i}\n")).collect();
    env.ok_with(
        &[
            "produce",
            "t",
            "--compression",
            "gzip",
            "--linger",
            "5ms",
            "--batch-size",
            "1 KB",
            "--max-request-size",
            "1 MB",
            "--isolation",
            "read_committed",
            "--delivery-semantic",
            "at-most-once",
        ],
        &lines,
    );
    env.ok_with(&["produce", "t", "-p", "2"], "only-two\n");
    let all = env.ok(&["consume", "t", "-B", "-d", "-A"]);
    assert_eq!(all.lines().count(), 31);
    let two = env.ok(&[
        "consume",
        "t",
        "-B",
        "-d",
        "-p",
        "2",
        "-F",
        "{{partition}} {{value}}",
    ]);
    assert!(two.lines().all(|l| l.starts_with("2 ")), "{two}");
    assert!(two.ends_with("2 only-two\n"), "{two}");
    let zero_one = env.ok(&["consume", "t", "-B", "-d", "-p", "0", "-p", "1"]);
    assert_eq!(zero_one.lines().count() + two.lines().count(), 31);
    let committed = env.ok(&[
        "consume",
        "t",
        "-B",
        "-d",
        "--isolation",
        "read_committed",
        "-b",
        "2000",
    ]);
    assert_eq!(committed.lines().count(), 31);
}

#[test]
fn consume_follows_new_records() {
    let env = with_topic("1");
    env.ok_with(&["produce", "t"], "before\n");
    let mut cmd = std::process::Command::new(assert_cmd::cargo::cargo_bin("flv"));
    cmd.env("FLV_PROFILE_PATH", env.profile_path())
        .env("HOME", env.dir.path())
        .args(["-c", env.server.sc_addr(), "consume", "t", "-T", "1"]);
    let consumer = Running::spawn(cmd);
    // The record already there shows the consumer is streaming...
    assert_eq!(consumer.line(), "before");
    // ...and it prints records produced afterwards.
    env.ok_with(&["produce", "t"], "after\n");
    assert_eq!(consumer.line(), "after");
}

#[test]
fn produce_and_consume_errors() {
    let env = with_topic("1");
    let err = env
        .flv(&["produce", "nope"])
        .write_stdin("x\n")
        .assert()
        .code(1)
        .stdout("");
    let stderr = String::from_utf8(err.get_output().stderr.clone()).unwrap();
    assert_eq!(stderr, "error: topic \"nope\" not found\n");
    assert_eq!(
        env.fails(&["consume", "nope", "-B", "-d"]),
        "error: topic \"nope\" not found\n"
    );
    assert_eq!(
        env.fails(&["consume", "t", "--start", "5", "--end", "2"]),
        "error: --end 2 is before --start 5\n"
    );
    let missing = env.dir.path().join("missing.txt");
    let err = env.fails(&["produce", "t", "-f", missing.to_str().unwrap()]);
    assert!(err.starts_with("error: cannot open "), "{err}");
    env.flv(&["consume", "t", "-B", "-H", "1"]).assert().code(2);
}

#[test]
fn consumer_offsets_list_and_delete() {
    let env = with_topic("1");
    assert_eq!(env.ok(&["consumer", "list"]), "No consumers found\n");
    env.ok_with(&["produce", "t"], "a\nb\nc\n");
    assert_eq!(
        env.ok(&["consume", "t", "-B", "-d", "-c", "reader"]),
        "a\nb\nc\n"
    );
    // The stored offset: a consumer with the same id resumes after it.
    env.ok_with(&["produce", "t"], "d\n");
    assert_eq!(env.ok(&["consume", "t", "-B", "-d", "-c", "reader"]), "d\n");
    let list = env.ok(&["consumer", "list"]);
    let rows: Vec<Vec<&str>> = list
        .lines()
        .map(|l| l.split_whitespace().collect())
        .collect();
    assert_eq!(
        rows[0],
        ["CONSUMER", "TOPIC", "PARTITION", "OFFSET", "LAST", "SEEN"]
    );
    assert_eq!(rows[1][..4], ["reader", "t", "0", "3"]);
    let json: serde_json::Value =
        serde_json::from_str(&env.ok(&["consumer", "list", "-O", "json"])).unwrap();
    assert_eq!(json[0]["consumer_id"], "reader");
    assert_eq!(json[0]["offset"], 3);
    assert_eq!(
        env.ok(&["consumer", "delete", "reader"]),
        "consumer \"reader\" on t-0 deleted\n"
    );
    assert_eq!(env.ok(&["consumer", "list"]), "No consumers found\n");
    assert_eq!(
        env.fails(&["consumer", "delete", "reader"]),
        "error: no stored offsets of consumer \"reader\" match\n"
    );
}

#[test]
fn demo_counts_no_loss_and_no_duplicates() {
    let env = Env::new(1);
    let out = env
        .bare()
        .args(["demo", "--records", "20000"])
        .assert()
        .success();
    let stdout = String::from_utf8(out.get_output().stdout.clone()).unwrap();
    assert_eq!(
        stdout.lines().last(),
        Some("demo: produced 20000 consumed 20000 lost 0 duplicated 0"),
        "{stdout}"
    );
    let stderr = String::from_utf8(out.get_output().stderr.clone()).unwrap();
    assert!(stderr.contains("demo: stopped SPU "), "{stderr}");
    assert!(stderr.contains("records/s"), "{stderr}");
    assert!(stderr.contains("MB/s"), "{stderr}");
}

#[test]
fn local_cluster_start_status_use_stop() {
    let env = Env::new(1);
    let run = |args: &[&str]| env.bare().args(args).assert();
    let out = run(&["local", "status"]).code(1);
    assert_eq!(out.get_output().stdout, b"no local cluster is running\n");

    let out = run(&["local", "start", "--port", "0", "--spus", "2", "--detach"]).success();
    let started = String::from_utf8(out.get_output().stdout.clone()).unwrap();
    assert!(
        started.starts_with("local cluster running at 127.0.0.1:"),
        "{started}"
    );
    // Whatever happens next, stop it.
    struct Stop<'a>(&'a Env);
    impl Drop for Stop<'_> {
        fn drop(&mut self) {
            let _ = self.0.bare().args(["local", "stop"]).output();
        }
    }
    let _stop = Stop(&env);

    let out = run(&["local", "status"]).success();
    let status = String::from_utf8(out.get_output().stdout.clone()).unwrap();
    assert!(
        status.starts_with("local cluster running at 127.0.0.1:"),
        "{status}"
    );
    let out = run(&["profile", "current"]).success();
    assert_eq!(out.get_output().stdout, b"local\n");
    // A second start fails while the first runs.
    let out = run(&["local", "start", "--port", "0"]).code(1);
    let err = String::from_utf8(out.get_output().stderr.clone()).unwrap();
    assert!(
        err.starts_with("error: a local cluster already runs at "),
        "{err}"
    );

    // The profile reaches it.
    run(&["topic", "create", "lt", "-p", "2"]).success();
    let out = run(&["spu", "list"]).success();
    assert_eq!(out.get_output().stdout.split(|&b| b == b'\n').count(), 4);
    env.bare()
        .args(["produce", "lt"])
        .write_stdin("x\n")
        .assert()
        .success();
    let out = run(&["consume", "lt", "-B", "-d"]).success();
    assert_eq!(out.get_output().stdout, b"x\n");

    let out = run(&["local", "stop"]).success();
    let stopped = String::from_utf8(out.get_output().stdout.clone()).unwrap();
    assert!(stopped.ends_with(" stopped\n"), "{stopped}");
    let out = run(&["local", "status"]).code(1);
    assert_eq!(out.get_output().stdout, b"no local cluster is running\n");
    let out = run(&["topic", "list"]).code(1);
    let err = String::from_utf8(out.get_output().stderr.clone()).unwrap();
    assert!(err.contains("connection refused"), "{err}");
}
