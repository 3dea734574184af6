//! Creates a topic, produces 1000 records, consumes them back, deletes the topic.
//!
//! ```text
//! cargo run -p flv-smol --example roundtrip -- HOST:PORT
//! ```
//! The last line printed is `roundtrip: produced 1000 consumed 1000` (the real counts).

use flv_smol::config::ClusterConfig;
use flv_smol::{ConsumerConfig, Fluvio, Offset, RecordKey, TopicSpec};
use futures_util::StreamExt;

const RECORDS: usize = 1000;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    smol::block_on(run())
}

async fn run() -> Result<(), Box<dyn std::error::Error>> {
    let addr = std::env::args()
        .nth(1)
        .ok_or("usage: roundtrip HOST:PORT")?;
    let fluvio = Fluvio::connect_with_config(&ClusterConfig::new(addr)).await?;
    let topic = format!("roundtrip-smol-{}", std::process::id());
    let admin = fluvio.admin();
    admin
        .create(topic.as_str(), false, TopicSpec::computed(1, 1))
        .await?;

    let producer = fluvio.topic_producer(topic.as_str()).await?;
    let mut produced = 0;
    for i in 0..RECORDS {
        let _pending = producer
            .send(RecordKey::NULL, format!("record-{i}"))
            .await?;
        produced += 1;
    }
    producer.flush().await?;

    let config = ConsumerConfig {
        disable_continuous: true,
        ..ConsumerConfig::new(topic.as_str(), Offset::beginning())
    };
    let mut stream = fluvio.consumer_with_config(config).await?;
    let mut consumed = 0;
    while let Some(record) = stream.next().await {
        let record = record?;
        if record.value == format!("record-{consumed}").as_bytes() {
            consumed += 1;
        }
    }
    drop(stream);
    admin.delete::<TopicSpec>(topic.as_str()).await?;
    fluvio.close().await?;
    println!("roundtrip: produced {produced} consumed {consumed}");
    Ok(())
}
