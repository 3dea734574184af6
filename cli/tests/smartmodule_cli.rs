//! `flv smartmodule`, `flv table-format` and SmartModule invocations from `flv produce` /
//! `flv consume` against a mock cluster on loopback. The mock stores SmartModules but does
//! not run them: a missing module gets the real SPU's `SmartModuleNotFound`, a stored one
//! the mock's chain-init error (the real-cluster proof is recorded in README).

mod common;

use common::{Env, Running};

/// A filter SmartModule built from WebAssembly text (keeps every record; the mock only
/// stores it).
const FILTER_WAT: &str = r#"(module
  (memory (export "memory") 1)
  (func (export "filter") (param i32 i32 i32) (result i32) i32.const 1))"#;

/// A map SmartModule built from WebAssembly text.
const MAP_WAT: &str = r#"(module
  (memory (export "memory") 1)
  (func (export "map") (param i32 i32 i32) (result i32) i32.const 0))"#;

fn wasm_file(env: &Env, name: &str, wat: &str) -> String {
    let path = env.dir.path().join(name);
    std::fs::write(&path, wat::parse_str(wat).expect("valid WAT")).unwrap();
    path.to_str().unwrap().to_owned()
}

#[test]
fn smartmodule_create_list_filter_watch_delete() {
    let env = Env::new(1);
    let filter = wasm_file(&env, "filter.wasm", FILTER_WAT);
    let map = wasm_file(&env, "map.wasm", MAP_WAT);
    assert_eq!(env.ok(&["smartmodule", "list"]), "No SmartModules found\n");
    let mut watch_cmd = std::process::Command::new(assert_cmd::cargo::cargo_bin("flv"));
    watch_cmd
        .env("FLV_PROFILE_PATH", env.profile_path())
        .env("HOME", env.dir.path())
        .args(["-c", env.server.sc_addr(), "sm", "watch"]);
    let watch = Running::spawn(watch_cmd);
    // The first item of a watch is the full list.
    assert_eq!(watch.line(), "");
    assert_eq!(watch.line(), "No SmartModules found");
    assert_eq!(
        env.ok(&["smartmodule", "create", "my-filter", "--wasm-file", &filter]),
        "smartmodule \"my-filter\" has been created.\n"
    );
    // The watch prints the list again.
    assert_eq!(watch.line(), "");
    assert_eq!(watch.line(), " SMARTMODULE  SIZE");
    assert!(watch.line().starts_with(" my-filter"));
    env.ok(&["sm", "create", "my-map", "--wasm-file", &map]);
    let list = env.ok(&["smartmodule", "list"]);
    assert_eq!(list.lines().count(), 3, "{list}");
    let filtered = env.ok(&["smartmodule", "list", "--filter", "map"]);
    assert_eq!(filtered.lines().count(), 2, "{filtered}");
    assert!(filtered.contains("my-map"), "{filtered}");
    let json: serde_json::Value =
        serde_json::from_str(&env.ok(&["sm", "list", "--filter", "filter", "-O", "json"])).unwrap();
    assert_eq!(json[0]["name"], "my-filter");

    // Not WASM, or a name the SC would refuse: nothing is sent.
    let text = env.dir.path().join("not.wasm");
    std::fs::write(&text, FILTER_WAT).unwrap();
    let err = env.fails(&["sm", "create", "bad", "--wasm-file", text.to_str().unwrap()]);
    assert!(err.contains("is not a WebAssembly binary"), "{err}");
    let err = env.fails(&["sm", "create", "Bad_Name", "--wasm-file", &filter]);
    assert!(err.contains("invalid name for SmartModule"), "{err}");

    assert_eq!(
        env.ok(&["smartmodule", "delete", "my-filter", "my-map"]),
        "smartmodule \"my-filter\" deleted\nsmartmodule \"my-map\" deleted\n"
    );
    assert_eq!(env.ok(&["smartmodule", "list"]), "No SmartModules found\n");
}

#[test]
fn invocations_reach_the_spu_and_a_missing_module_is_refused_as_upstream() {
    let env = Env::new(2);
    env.ok(&["topic", "create", "t"]);
    env.ok_with(&["produce", "t"], "apple\nbanana\n");
    let filter = wasm_file(&env, "filter.wasm", FILTER_WAT);
    env.ok(&["sm", "create", "my-filter", "--wasm-file", &filter]);

    // The real SPU's answer to a module it does not have: SmartModuleNotFound, by name.
    for sm in ["--sm", "--smartmodule"] {
        let err = env.fails(&["consume", "t", "-B", "-d", sm, "missing"]);
        assert!(err.contains("SmartModule missing was not found"), "{err}");
    }
    let out = env
        .flv(&["produce", "t", "--smartmodule", "missing"])
        .write_stdin("x\n")
        .assert()
        .code(1);
    let err = String::from_utf8(out.get_output().stderr.clone()).unwrap();
    assert!(err.contains("SmartModule missing was not found"), "{err}");
    // A stored module, by name, with parameters and an aggregate accumulator; an inline
    // module; a transforms chain: each reaches the SPU (which, being the mock, cannot run
    // it and says so).
    let runs: [&[&str]; 4] = [
        &["--sm", "my-filter", "-e", "k=v", "-e", "n=1"],
        &["--smartmodule", "my-filter", "--aggregate-initial", "0"],
        &["--smartmodule-path", &filter, "--params", "k=v"],
        &[
            "--transforms-line",
            r#"{"uses":"my-filter","with":{"spec":[{"a":1}]}}"#,
        ],
    ];
    for flags in runs {
        let mut args = vec!["consume", "t", "-B", "-d"];
        args.extend_from_slice(flags);
        let err = env.fails(&args);
        assert!(
            err.contains("does not run SmartModules"),
            "{flags:?}: {err}"
        );
    }
    // A transforms file names the first missing module.
    let transforms = env.dir.path().join("transforms.yaml");
    std::fs::write(
        &transforms,
        "transforms:\n  - uses: my-filter\n  - uses: infinyon/jolt@0.1.0\n    with:\n      spec:\n        - operation: default\n",
    )
    .unwrap();
    let path = transforms.to_str().unwrap();
    let err = env.fails(&["consume", "t", "-B", "-d", "-t", path]);
    assert!(
        err.contains("SmartModule infinyon/jolt@0.1.0 was not found"),
        "{err}"
    );
    let out = env
        .flv(&["produce", "t", "--transforms", path])
        .write_stdin("x\n")
        .assert()
        .code(1);
    let err = String::from_utf8(out.get_output().stderr.clone()).unwrap();
    assert!(err.contains("infinyon/jolt@0.1.0"), "{err}");
    // Nothing was stored by the refused produces.
    assert_eq!(env.ok(&["consume", "t", "-B", "-d"]), "apple\nbanana\n");

    // The official rules between the flags.
    for bad in [
        &["-e", "k=v"][..],
        &["--aggregate-initial", "0"],
        &["--sm", "a", "-t", path],
        &["--sm", "a", "--smartmodule-path", &filter],
        &["--sm", "a", "-e", "novalue"],
    ] {
        let mut args = vec!["consume", "t", "-d"];
        args.extend_from_slice(bad);
        env.flv(&args).assert().code(2);
    }
    let err = env.fails(&["consume", "t", "-d", "--transforms-line", "{nope"]);
    assert!(
        err.contains("unable to parse `transform` argument"),
        "{err}"
    );
}

#[test]
fn table_formats_and_full_table_output() {
    let env = Env::new(1);
    env.ok(&["topic", "create", "t"]);
    env.ok_with(
        &["produce", "t"],
        "{\"id\":1,\"name\":\"ann\",\"secret\":\"x\"}\n{\"id\":2,\"name\":\"bob\"}\n[{\"id\":1,\"name\":\"ann2\"}]\n",
    );
    assert_eq!(env.ok(&["table-format", "list"]), "no tableformats\n");
    let config = env.dir.path().join("tf.yaml");
    std::fs::write(
        &config,
        "name: people\ninput_format: JSON\ncolumns:\n  - keyPath: id\n    headerLabel: ID\n    primaryKey: true\n  - keyPath: name\n    headerLabel: Name\n  - keyPath: secret\n    display: false\n",
    )
    .unwrap();
    assert_eq!(
        env.ok(&["tf", "create", "--config", config.to_str().unwrap()]),
        "tableformat \"people\" created\n"
    );
    assert_eq!(env.ok(&["tf", "list"]), " NAME    STATUS\n people  Init\n");
    let json: serde_json::Value =
        serde_json::from_str(&env.ok(&["table-format", "list", "-O", "json"])).unwrap();
    assert_eq!(json[0]["spec"]["columns"][0]["keyPath"], "id");
    assert_eq!(json[0]["spec"]["columns"][0]["primaryKey"], true);
    // Rows are updated in place by the primary key; hidden columns are not shown.
    assert_eq!(
        env.ok(&[
            "consume",
            "t",
            "-B",
            "-d",
            "-O",
            "full_table",
            "--table-format",
            "people"
        ]),
        " ID  Name\n 1   ann2\n 2   bob\n"
    );
    // Without a table format: every key, rows appended.
    assert_eq!(
        env.ok(&["consume", "t", "-B", "-d", "-O", "full_table"]),
        " id  name  secret\n 1   ann   x\n 2   bob\n 1   ann2\n"
    );
    let err = env.fails(&["consume", "t", "-d", "--table-format", "nope"]);
    assert!(err.contains("TableFormat not found: nope"), "{err}");
    let bad = env.dir.path().join("bad.yaml");
    std::fs::write(&bad, "name: x\ncolums: []\n").unwrap();
    let err = env.fails(&["tf", "create", "-c", bad.to_str().unwrap()]);
    assert!(err.contains("is not a table format config"), "{err}");
    assert_eq!(
        env.ok(&["tf", "delete", "people"]),
        "tableformat \"people\" deleted\n"
    );
    assert_eq!(env.ok(&["tf", "list"]), "no tableformats\n");
}
