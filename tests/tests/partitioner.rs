//! Our partitioner against the official client's: the partitions a real cluster
//! reported for keyed records, and upstream's hasher (siphasher) on 10,000 keys.

use std::hash::{Hash, Hasher};

use flv_core::producer::partitioner::{key_hash, partition_for_key};

#[test]
fn matches_the_official_client_on_a_real_cluster() {
    let path = flv_tests::traces_dir().join("produce-keys.partitions.txt");
    let text = std::fs::read_to_string(path).expect("partitions file");
    let mut checked = 0;
    for line in text.lines() {
        // "k0 -> partition 0 offset 0"
        let w: Vec<&str> = line.split_whitespace().collect();
        let partition: u32 = w[3].parse().expect("partition");
        assert_eq!(
            partition_for_key(w[0].as_bytes(), 3),
            partition,
            "key {}",
            w[0]
        );
        checked += 1;
    }
    assert_eq!(checked, 30);
}

#[test]
fn same_hash_as_upstream_for_10000_keys() {
    for i in 0..10_000u32 {
        let key: Vec<u8> = format!("key-{i}")
            .bytes()
            .cycle()
            .take((i % 53) as usize)
            .collect();
        // Upstream: `SipHasher::new()` then `key.hash(&mut hasher)` on the `&[u8]` key.
        let mut upstream = siphasher::sip::SipHasher::new();
        key.as_slice().hash(&mut upstream);
        assert_eq!(key_hash(&key), upstream.finish(), "key {key:?}");
        for count in [1u32, 2, 3, 7, 100] {
            assert_eq!(
                u64::from(partition_for_key(&key, count)),
                upstream.finish() % u64::from(count)
            );
        }
    }
}
