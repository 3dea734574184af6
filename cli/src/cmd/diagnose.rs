//! Diagnostics a person can act on: topics with a close name when one is not found, and
//! the offline replicas that a read-committed produce would wait for.

use flv_driver::core::client::MetadataStore;
use flv_driver::core::sc::spu::SpuStatusResolution;

/// The Levenshtein distance between `a` and `b` (by characters).
fn distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut diag = row[0];
        row[0] = i + 1;
        for (j, &cb) in b.iter().enumerate() {
            let up = row[j + 1];
            row[j + 1] = (diag + usize::from(ca != cb)).min(up + 1).min(row[j] + 1);
            diag = up;
        }
    }
    row[b.len()]
}

/// Up to three of `names` close to `wanted`: a small edit distance (a third of its
/// length, at least 2), or one containing the other; closest first.
pub(crate) fn close_names<'a>(wanted: &str, names: impl Iterator<Item = &'a str>) -> Vec<String> {
    let limit = (wanted.chars().count() / 3).max(2);
    let mut close: Vec<(usize, &str)> = names
        .filter(|n| *n != wanted)
        .filter_map(|n| {
            let d = distance(wanted, n);
            let contains = n.contains(wanted) || (wanted.contains(n) && n.len() >= 3);
            (d <= limit || contains).then_some((d, n))
        })
        .collect();
    close.sort();
    close
        .into_iter()
        .take(3)
        .map(|(_, n)| n.to_owned())
        .collect()
}

/// ` (did you mean "a" or "b"?)` for the topics of `meta` close to `topic`, or empty.
pub(crate) fn topic_hint(meta: &MetadataStore, topic: &str) -> String {
    let names = close_names(topic, meta.topics().iter().map(|t| t.name.as_str()));
    match names.as_slice() {
        [] => String::new(),
        [one] => format!(" (did you mean \"{one}\"?)"),
        many => {
            let quoted: Vec<String> = many.iter().map(|n| format!("\"{n}\"")).collect();
            format!(" (did you mean {}?)", quoted.join(" or "))
        }
    }
}

/// The replicas of `topic`'s partitions (`partitions`, or all) that a read-committed write
/// waits for but that are not live or not caught up: `(partition, replica SPU, why)`.
pub(crate) fn offline_replicas(
    meta: &MetadataStore,
    topic: &str,
    partitions: Option<&[u32]>,
) -> Vec<(u32, i32, String)> {
    let mut out = Vec::new();
    for p in meta.topic_partitions(topic) {
        if partitions.is_some_and(|only| !only.contains(&p)) {
            continue;
        }
        let Some(m) = meta.partition(topic, p) else {
            continue;
        };
        for &replica in &m.spec.replicas {
            let why = match meta.spu(replica).map(|s| s.status.resolution) {
                None => "not registered".to_owned(),
                Some(SpuStatusResolution::Online) => {
                    let end = m.status.leader.leo;
                    match m.status.replicas.iter().find(|r| r.spu == replica) {
                        Some(f) if replica != m.spec.leader && f.leo < end => {
                            format!("behind the leader (at offset {} of {end})", f.leo)
                        }
                        _ => continue,
                    }
                }
                Some(other) => format!("{other:?}").to_lowercase(),
            };
            out.push((p, replica, why));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn edit_distances() {
        assert_eq!(distance("kitten", "sitting"), 3);
        assert_eq!(distance("", "abc"), 3);
        assert_eq!(distance("same", "same"), 0);
    }

    #[test]
    fn close_names_are_few_and_closest_first() {
        let names = ["events", "event", "evnets", "orders", "events-archive", "x"];
        assert_eq!(
            close_names("evnts", names.iter().copied()),
            vec!["events", "evnets", "event"]
        );
        assert_eq!(
            close_names("orders-eu", names.iter().copied()),
            vec!["orders"]
        );
        assert!(close_names("zzzzzz", names.iter().copied()).is_empty());
    }
}
