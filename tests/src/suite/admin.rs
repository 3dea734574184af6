//! Admin cases: typed create / list / update / delete, errors, watches, connect failures.

use flv_driver::config::ClusterConfig;
use flv_driver::core::client::{ClientError, Misuse};
use flv_driver::core::error_code::ErrorCode;
use flv_driver::core::sc::MsgType;
use flv_driver::core::sc::partition::PartitionSpec;
use flv_driver::core::sc::smartmodule::SmartModuleSpec;
use flv_driver::core::sc::spg::SpuGroupSpec;
use flv_driver::core::sc::spu::{CustomSpuKey, CustomSpuSpec, Endpoint, IngressPort, SpuSpec};
use flv_driver::core::sc::topic::{AddPartition, UpdateTopicAction};
use flv_driver::{ConnectError, Error, Fluvio, ProducerConfig, Runtime, TopicSpec};
use futures_util::StreamExt;

use super::{STEP, client_config, cluster, connect, create_topic, with_timeout};

/// Topics, partitions, SPUs, custom SPUs, SPU groups and SmartModules: create, list,
/// update and delete round trips, each checked by listing.
pub async fn admin_round_trip<R: Runtime>(rt: R) {
    let server = cluster(3);
    let fluvio = connect(&rt, &server).await;
    let admin = fluvio.admin();

    // Topics.
    create_topic(&rt, &fluvio, "admin-a", 2, 2).await;
    create_topic(&rt, &fluvio, "admin-b", 1, 1).await;
    let topics = with_timeout(
        &rt,
        STEP,
        "list",
        admin.list::<TopicSpec, _>(vec!["admin-"]),
    )
    .await
    .expect("list");
    let mut names: Vec<_> = topics.iter().map(|t| t.name.as_str()).collect();
    names.sort_unstable();
    assert_eq!(names, ["admin-a", "admin-b"]);
    let dry = with_timeout(
        &rt,
        STEP,
        "dry run",
        admin.create("admin-dry", true, TopicSpec::computed(1, 1)),
    )
    .await;
    assert!(dry.is_ok(), "{dry:?}");
    let all = with_timeout(&rt, STEP, "all", admin.all::<TopicSpec>())
        .await
        .expect("all");
    assert!(
        all.iter().all(|t| t.name != "admin-dry"),
        "dry run creates nothing"
    );

    // Partitions: listed with their leaders; adding partitions shows up.
    let parts = with_timeout(
        &rt,
        STEP,
        "partitions",
        admin.list::<PartitionSpec, _>(vec!["admin-a"]),
    )
    .await
    .expect("partitions");
    assert_eq!(parts.len(), 2);
    assert!(parts.iter().all(|p| p.spec.replicas.len() == 2));
    with_timeout(
        &rt,
        STEP,
        "add partitions",
        admin.update::<TopicSpec>(
            "admin-b",
            UpdateTopicAction::AddPartition(AddPartition { count: 2 }),
        ),
    )
    .await
    .expect("update");
    let parts = with_timeout(
        &rt,
        STEP,
        "partitions",
        admin.list::<PartitionSpec, _>(vec!["admin-b"]),
    )
    .await
    .expect("partitions");
    assert_eq!(parts.len(), 3);
    assert_eq!(fluvio.with_metadata(|m| m.partition_count("admin-b")), 3);

    // SPUs.
    let spus = with_timeout(&rt, STEP, "spus", admin.all::<SpuSpec>())
        .await
        .expect("spus");
    let mut ids: Vec<i32> = spus.iter().map(|s| s.spec.id).collect();
    ids.sort_unstable();
    assert_eq!(ids, [5001, 5002, 5003]);

    // Custom SPUs.
    let custom = CustomSpuSpec {
        id: 6001,
        public_endpoint: IngressPort {
            port: 9999,
            ..Default::default()
        },
        private_endpoint: Endpoint {
            port: 9998,
            host: "localhost".into(),
            ..Default::default()
        },
        ..Default::default()
    };
    with_timeout(
        &rt,
        STEP,
        "custom spu",
        admin.create("custom-6001", false, custom),
    )
    .await
    .expect("custom spu");
    let customs = with_timeout(&rt, STEP, "customs", admin.all::<CustomSpuSpec>())
        .await
        .expect("customs");
    assert!(customs.iter().any(|c| c.spec.id == 6001), "{customs:?}");
    with_timeout(
        &rt,
        STEP,
        "delete custom spu",
        admin.delete::<CustomSpuSpec>(CustomSpuKey::Name("custom-6001".into())),
    )
    .await
    .expect("delete custom");
    let customs = with_timeout(&rt, STEP, "customs", admin.all::<CustomSpuSpec>())
        .await
        .expect("customs");
    assert!(customs.iter().all(|c| c.spec.id != 6001));

    // SPU groups.
    let group = SpuGroupSpec {
        replicas: 2,
        min_id: 7000,
        ..Default::default()
    };
    with_timeout(&rt, STEP, "spg", admin.create("group-a", false, group))
        .await
        .expect("spg");
    let groups = with_timeout(&rt, STEP, "spgs", admin.all::<SpuGroupSpec>())
        .await
        .expect("spgs");
    assert_eq!(groups.len(), 1);
    assert_eq!(groups[0].spec.min_id, 7000);
    with_timeout(
        &rt,
        STEP,
        "delete spg",
        admin.delete::<SpuGroupSpec>("group-a"),
    )
    .await
    .expect("delete spg");
    assert!(
        with_timeout(&rt, STEP, "spgs", admin.all::<SpuGroupSpec>())
            .await
            .expect("spgs")
            .is_empty()
    );

    // SmartModules.
    with_timeout(
        &rt,
        STEP,
        "smartmodule",
        admin.create("sm-a", false, SmartModuleSpec::default()),
    )
    .await
    .expect("smartmodule");
    let sms = with_timeout(
        &rt,
        STEP,
        "smartmodules",
        admin.list_with_params::<SmartModuleSpec, &str>(vec![], true),
    )
    .await
    .expect("smartmodules");
    assert_eq!(sms.len(), 1);
    with_timeout(
        &rt,
        STEP,
        "delete sm",
        admin.delete::<SmartModuleSpec>("sm-a"),
    )
    .await
    .expect("delete sm");

    // Topic deletion.
    for t in ["admin-a", "admin-b"] {
        with_timeout(&rt, STEP, "delete topic", admin.delete::<TopicSpec>(t))
            .await
            .expect("delete");
    }
    let left = with_timeout(
        &rt,
        STEP,
        "list",
        admin.list::<TopicSpec, _>(vec!["admin-"]),
    )
    .await
    .expect("list");
    assert!(left.is_empty(), "{left:?}");
    assert!(fluvio.with_metadata(|m| m.topic("admin-a").is_none()));
    with_timeout(&rt, STEP, "close", fluvio.close())
        .await
        .expect("close");
}

/// Typed errors: duplicate and invalid topics, unknown topics for producers and
/// consumers, deleting what does not exist.
pub async fn admin_errors<R: Runtime>(rt: R) {
    let server = cluster(1);
    let fluvio = connect(&rt, &server).await;
    let admin = fluvio.admin();
    create_topic(&rt, &fluvio, "dup", 1, 1).await;
    let err = with_timeout(
        &rt,
        STEP,
        "duplicate",
        admin.create("dup", false, TopicSpec::computed(1, 1)),
    )
    .await
    .expect_err("duplicate topic");
    assert!(
        matches!(
            &err,
            Error::Client(ClientError::Admin {
                code: ErrorCode::TopicAlreadyExists,
                ..
            })
        ),
        "{err:?}"
    );
    assert!(err.to_string().contains("already exists"), "{err}");
    let err = with_timeout(
        &rt,
        STEP,
        "invalid",
        admin.create("Not_Valid", false, TopicSpec::computed(1, 1)),
    )
    .await
    .expect_err("invalid name");
    assert!(
        matches!(err, Error::Client(ClientError::Admin { .. })),
        "{err:?}"
    );
    let err = with_timeout(&rt, STEP, "delete", admin.delete::<TopicSpec>("missing"))
        .await
        .expect_err("missing topic");
    assert!(
        matches!(err, Error::Client(ClientError::Admin { .. })),
        "{err:?}"
    );

    let err = with_timeout(&rt, STEP, "producer", fluvio.topic_producer("missing"))
        .await
        .expect_err("unknown topic");
    assert!(
        matches!(&err, Error::TopicNotFound(t) if t == "missing"),
        "{err:?}"
    );
    assert_eq!(err.to_string(), "topic \"missing\" not found");
    let err = with_timeout(
        &rt,
        STEP,
        "consumer",
        fluvio.consumer_with_config(flv_driver::ConsumerConfig::new(
            "missing",
            flv_driver::Offset::beginning(),
        )),
    )
    .await
    .expect_err("unknown topic");
    assert!(
        matches!(&err, Error::TopicNotFound(t) if t == "missing"),
        "{err:?}"
    );
    // An invalid configuration.
    let config = ProducerConfig {
        max_in_flight: 0,
        ..ProducerConfig::default()
    };
    let err = with_timeout(
        &rt,
        STEP,
        "bad config",
        fluvio.topic_producer_with_config("dup", config),
    )
    .await
    .expect_err("invalid config");
    assert!(
        matches!(
            err,
            Error::Client(ClientError::Misuse(Misuse::InvalidConfig(_)))
        ),
        "{err:?}"
    );
}

/// A watch stream: a full sync first, then each change.
pub async fn watch_topics<R: Runtime>(rt: R) {
    let server = cluster(1);
    let fluvio = connect(&rt, &server).await;
    create_topic(&rt, &fluvio, "watch-a", 1, 1).await;
    let admin = fluvio.admin();
    let mut watch = admin.watch::<TopicSpec>().await.expect("watch");
    let first = with_timeout(&rt, STEP, "sync", watch.next())
        .await
        .expect("an update")
        .expect("no error");
    assert!(first.all.iter().any(|t| t.name == "watch-a"), "{first:?}");
    create_topic(&rt, &fluvio, "watch-b", 1, 1).await;
    // Changes arrive in order; wait for the one naming watch-b.
    loop {
        let u = with_timeout(&rt, STEP, "change", watch.next())
            .await
            .expect("an update")
            .expect("no error");
        if u.changes.iter().any(|c| c.content.name == "watch-b")
            || u.all.iter().any(|t| t.name == "watch-b")
        {
            break;
        }
    }
    with_timeout(&rt, STEP, "delete", admin.delete::<TopicSpec>("watch-b"))
        .await
        .expect("delete");
    loop {
        let u = with_timeout(&rt, STEP, "delete change", watch.next())
            .await
            .expect("an update")
            .expect("no error");
        if u.changes
            .iter()
            .any(|c| c.content.name == "watch-b" && c.header == MsgType::Delete)
        {
            break;
        }
    }
}

/// Connecting where nothing listens fails at once with a typed refusal; a client keeps
/// working after the SC restarts.
pub async fn connect_refused<R: Runtime>(rt: R) {
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        l.local_addr().expect("addr").port()
    };
    let cluster = ClusterConfig::new(format!("127.0.0.1:{port}"));
    let result = with_timeout(
        &rt,
        STEP,
        "connect",
        Fluvio::connect_with_client_config(rt.clone(), &cluster, client_config()),
    )
    .await;
    let err = result.expect_err("nothing listens");
    match &err {
        Error::Connect { source, .. } => {
            assert!(
                matches!(**source, ConnectError::Refused { .. }),
                "{source:?}"
            )
        }
        other => panic!("expected a refused connection, got {other:?}"),
    }
    assert!(err.to_string().contains("refused"), "{err}");

    // The SC goes away and comes back: admin works again after the reconnect.
    drop(cluster_with_sc_restart(&rt).await);
}

async fn cluster_with_sc_restart<R: Runtime>(rt: &R) -> flv_mock_cluster::MockClusterServer {
    let server = cluster(1);
    let fluvio = connect(rt, &server).await;
    create_topic(rt, &fluvio, "before", 1, 1).await;
    server.stop_sc();
    server.start_sc();
    // A create sent before the client saw the SC go fails (creates are not retried, as
    // they are not idempotent); once reconnected it succeeds.
    let admin = fluvio.admin();
    with_timeout(rt, STEP, "create after restart", async {
        loop {
            match admin
                .create("after", false, TopicSpec::computed(1, 1))
                .await
            {
                Ok(()) => break,
                Err(e) if e.is_retriable() => continue,
                Err(e) => panic!("create after restart: {e:?}"),
            }
        }
    })
    .await;
    let topics = with_timeout(rt, STEP, "list", fluvio.admin().all::<TopicSpec>())
        .await
        .expect("list after reconnect");
    assert!(topics.iter().any(|t| t.name == "after"));
    assert!(fluvio.metrics().reconnects >= 1, "{:?}", fluvio.metrics());
    server
}
