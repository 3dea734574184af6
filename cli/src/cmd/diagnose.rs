//! Diagnostics a person can act on: topics with a close name when one is not found.

use flv_driver::core::client::MetadataStore;

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
