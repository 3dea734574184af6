//! Profile and cluster operations and their typed errors.

use super::*;

/// Profiles `a` (cluster `a`), `b` (cluster `shared`), `c` (cluster `shared`), `dangling`
/// (cluster `gone`); active profile `a`.
fn sample() -> Config {
    let mut config = Config::new();
    config.add_or_replace_profile("a", ClusterConfig::new("a:9003"));
    config.insert_cluster("shared", ClusterConfig::new("shared:9003"));
    config.insert_profile("b", Profile::new("shared"));
    config.insert_profile("c", Profile::new("shared"));
    config.insert_profile("dangling", Profile::new("gone"));
    config
}

#[test]
fn lookups_on_empty_config() {
    let mut config = Config::new();
    assert!(matches!(
        config.current_profile(),
        Err(ConfigError::NoActiveProfile)
    ));
    assert!(matches!(
        config.current_cluster(),
        Err(ConfigError::NoActiveProfile)
    ));
    assert!(matches!(
        config.current_cluster_mut(),
        Err(ConfigError::NoActiveProfile)
    ));
    assert_eq!(
        config.current_cluster().unwrap_err().to_string(),
        "config has no active profile"
    );
    assert!(matches!(
        config.profile("x"),
        Err(ConfigError::ProfileNotFound { profile }) if profile == "x"
    ));
    assert!(matches!(
        config.cluster("x"),
        Err(ConfigError::ClusterNotFound { cluster, profile: None }) if cluster == "x"
    ));
    assert!(config.cluster_mut("x").is_err());
}

#[test]
fn the_current_profile_and_cluster_are_looked_up() {
    let mut config = sample();
    assert_eq!(config.current_profile_name(), Some("a"));
    assert_eq!(config.current_profile().unwrap(), &Profile::new("a"));
    assert_eq!(config.current_cluster().unwrap().endpoint, "a:9003");
    config.current_cluster_mut().unwrap().use_spu_local_address = true;
    assert!(config.cluster("a").unwrap().use_spu_local_address);

    // Active profile pointing at a missing cluster.
    config.switch_profile("dangling").unwrap();
    let err = config.current_cluster().unwrap_err();
    assert!(matches!(
        &err,
        ConfigError::ClusterNotFound { cluster, profile: Some(profile) }
            if cluster == "gone" && profile == "dangling"
    ));
    assert_eq!(
        err.to_string(),
        "cluster `gone` not found (referenced by profile `dangling`)"
    );
    assert!(matches!(
        config.current_cluster_mut(),
        Err(ConfigError::ClusterNotFound { .. })
    ));

    // current_profile naming a missing profile (hand-edited file).
    config.current_profile = Some("ghost".into());
    assert!(matches!(
        config.current_profile(),
        Err(ConfigError::ProfileNotFound { profile }) if profile == "ghost"
    ));
    assert!(matches!(
        config.current_cluster(),
        Err(ConfigError::ProfileNotFound { .. })
    ));
    assert!(matches!(
        config.current_cluster_mut(),
        Err(ConfigError::ProfileNotFound { .. })
    ));
}

#[test]
fn with_local_cluster() {
    let config = Config::with_local_cluster("localhost:9003");
    assert_eq!(config.current_profile_name(), Some(LOCAL_PROFILE));
    assert_eq!(config.current_profile().unwrap().cluster, LOCAL_PROFILE);
    assert_eq!(config.current_cluster().unwrap().endpoint, "localhost:9003");
}

#[test]
fn add_or_replace_profile() {
    let mut config = sample();
    config.profiles.get_mut("b").unwrap().topic = Some("t".into());
    let replaced = config.add_or_replace_profile(
        "b",
        ClusterConfig::new("b:9003").with_tls(TlsPolicy::Anonymous),
    );
    assert_eq!(replaced, None);
    assert_eq!(config.current_profile_name(), Some("b"));
    // Profile now points to the same-named cluster and keeps its topic.
    assert_eq!(config.profile("b").unwrap().cluster, "b");
    assert_eq!(config.profile("b").unwrap().topic.as_deref(), Some("t"));
    assert_eq!(config.current_cluster().unwrap().tls, TlsPolicy::Anonymous);
    // The previously shared cluster is untouched.
    assert_eq!(config.cluster("shared").unwrap().endpoint, "shared:9003");

    // Replacing returns the previous entry and drops its metadata.
    config
        .cluster_mut("b")
        .unwrap()
        .update_metadata_by_name("installation", "local")
        .unwrap();
    let replaced = config.add_or_replace_profile("b", ClusterConfig::new("b2:9003"));
    assert_eq!(replaced.unwrap().endpoint, "b:9003");
    assert!(config.cluster("b").unwrap().metadata.is_empty());
}

#[test]
fn add_or_update_endpoint_keeps_metadata() {
    let mut config = sample();
    {
        let cluster = config.cluster_mut("a").unwrap();
        cluster.use_spu_local_address = true;
        cluster
            .update_metadata_by_name("installation", "k8")
            .unwrap();
    }
    config.switch_profile("b").unwrap();
    config.add_or_update_endpoint("a", "new:9003", TlsPolicy::Anonymous);
    let cluster = config.current_cluster().unwrap();
    assert_eq!(config.current_profile_name(), Some("a"));
    assert_eq!(cluster.endpoint, "new:9003");
    assert_eq!(cluster.tls, TlsPolicy::Anonymous);
    assert!(cluster.use_spu_local_address);
    assert!(cluster.has_metadata("installation"));

    config.add_or_update_endpoint("fresh", "fresh:9003", TlsPolicy::Disabled);
    assert_eq!(
        config.cluster_for_profile("fresh").unwrap(),
        &ClusterConfig::new("fresh:9003")
    );
}

#[test]
fn insert_returns_previous() {
    let mut config = sample();
    let old = config.insert_profile("b", Profile::new("a"));
    assert_eq!(old, Some(Profile::new("shared")));
    assert_eq!(config.insert_profile("new", Profile::new("a")), None);
    let old = config.insert_cluster("a", ClusterConfig::new("z:1"));
    assert_eq!(old.unwrap().endpoint, "a:9003");
    // Inserting does not switch.
    assert_eq!(config.current_profile_name(), Some("a"));
}

#[test]
fn switching_profile_changes_the_current_one() {
    let mut config = sample();
    config.switch_profile("c").unwrap();
    assert_eq!(config.current_profile_name(), Some("c"));
    assert_eq!(config.current_cluster().unwrap().endpoint, "shared:9003");
    let err = config.switch_profile("nope").unwrap_err();
    assert!(matches!(err, ConfigError::ProfileNotFound { ref profile } if profile == "nope"));
    assert_eq!(err.to_string(), "profile `nope` not found");
    assert_eq!(config.current_profile_name(), Some("c"));
}

#[test]
fn deleting_a_profile_removes_it() {
    let mut config = sample();
    let deleted = config.delete_profile("b").unwrap();
    assert_eq!(deleted.cluster, "shared");
    assert_eq!(config.current_profile_name(), Some("a"));
    // The cluster stays.
    assert!(config.cluster("shared").is_ok());

    // Deleting the active profile clears current_profile.
    config.delete_profile("a").unwrap();
    assert_eq!(config.current_profile_name(), None);
    assert!(matches!(
        config.current_cluster(),
        Err(ConfigError::NoActiveProfile)
    ));

    assert!(matches!(
        config.delete_profile("a"),
        Err(ConfigError::ProfileNotFound { profile }) if profile == "a"
    ));
}

#[test]
fn deleting_a_cluster_removes_it() {
    let mut config = sample();
    assert_eq!(config.profiles_using_cluster("shared"), vec!["b", "c"]);
    assert!(config.profiles_using_cluster("none").is_empty());

    let err = config.delete_cluster("shared", false).unwrap_err();
    match &err {
        ConfigError::ClusterInUse { cluster, profiles } => {
            assert_eq!(cluster, "shared");
            assert_eq!(profiles, &["b", "c"]);
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(
        err.to_string(),
        "cluster `shared` is used by profile(s) b, c"
    );
    assert!(config.cluster("shared").is_ok());

    // Forced: removed, profiles left dangling.
    let removed = config.delete_cluster("shared", true).unwrap();
    assert_eq!(removed.endpoint, "shared:9003");
    assert!(matches!(
        config.cluster_for_profile("b"),
        Err(ConfigError::ClusterNotFound { cluster, profile: Some(p) }) if cluster == "shared" && p == "b"
    ));

    // Unused cluster goes without force.
    config.insert_cluster("unused", ClusterConfig::new("u:1"));
    config.delete_cluster("unused", false).unwrap();

    for force in [false, true] {
        assert!(matches!(
            config.delete_cluster("unused", force),
            Err(ConfigError::ClusterNotFound { cluster, profile: None }) if cluster == "unused"
        ));
    }
}

#[test]
fn renaming_a_profile_keeps_its_cluster() {
    let mut config = sample();
    config.rename_profile("a", "renamed").unwrap();
    assert_eq!(config.current_profile_name(), Some("renamed"));
    assert!(config.profile("a").is_err());
    // The cluster entry keeps its name.
    assert_eq!(config.profile("renamed").unwrap().cluster, "a");
    assert_eq!(config.current_cluster().unwrap().endpoint, "a:9003");

    // Renaming an inactive profile leaves current alone.
    config.rename_profile("b", "bee").unwrap();
    assert_eq!(config.current_profile_name(), Some("renamed"));
    assert_eq!(config.profile("bee").unwrap().cluster, "shared");

    // To itself: no-op.
    config.rename_profile("bee", "bee").unwrap();
    assert!(config.profile("bee").is_ok());

    let err = config.rename_profile("bee", "c").unwrap_err();
    assert!(matches!(err, ConfigError::ProfileExists { ref profile } if profile == "c"));
    assert_eq!(err.to_string(), "profile `c` already exists");
    assert!(config.profile("bee").is_ok());

    assert!(matches!(
        config.rename_profile("nope", "x"),
        Err(ConfigError::ProfileNotFound { profile }) if profile == "nope"
    ));
    assert!(matches!(
        config.rename_profile("nope", "nope"),
        Err(ConfigError::ProfileNotFound { .. })
    ));
}

#[test]
fn exporting_a_profile_gives_its_cluster() {
    let mut config = sample();
    config.client_id = Some("top".into());
    config.version = "1.0".into();
    config
        .cluster_mut("shared")
        .unwrap()
        .update_metadata_by_name("installation", "cloud")
        .unwrap();

    let exported = config.export_profile("b").unwrap();
    assert_eq!(exported.version(), CONFIG_VERSION);
    assert_eq!(exported.current_profile_name(), Some("b"));
    assert_eq!(exported.client_id, None);
    assert_eq!(exported.profiles.keys().collect::<Vec<_>>(), ["b"]);
    assert_eq!(exported.clusters.keys().collect::<Vec<_>>(), ["shared"]);
    assert_eq!(
        exported.current_cluster().unwrap(),
        config.cluster("shared").unwrap()
    );

    // It is a complete file on its own.
    let text = exported.to_toml_string().unwrap();
    assert_eq!(Config::from_toml_str(&text).unwrap(), exported);

    assert!(matches!(
        config.export_profile("nope"),
        Err(ConfigError::ProfileNotFound { .. })
    ));
    assert!(matches!(
        config.export_profile("dangling"),
        Err(ConfigError::ClusterNotFound { cluster, profile: Some(p) }) if cluster == "gone" && p == "dangling"
    ));
}

#[test]
fn default_is_new() {
    assert_eq!(Config::default(), Config::new());
    assert_eq!(Config::default().version(), "2.0");
}
