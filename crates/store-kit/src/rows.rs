//! Plain helpers for the SQL every store writes the same way, whichever backend runs it:
//! placeholder lists, counters kept as BIGINT, unique-constraint violations, folder subtrees.

/// `$first, $first+1, ...` for `count` values (both backends number their placeholders).
pub fn placeholders(first: usize, count: usize) -> String {
    (first..first + count)
        .map(|n| format!("${n}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// A counter or modseq read back: stored as BIGINT and never negative.
pub fn to_u64(value: i64) -> u64 {
    u64::try_from(value).unwrap_or_default()
}

/// A counter or modseq to store as BIGINT (saturating; none reaches `i64::MAX`).
pub fn to_i64(value: u64) -> i64 {
    i64::try_from(value).unwrap_or(i64::MAX)
}

/// Whether `e` is a unique-constraint violation (a duplicate name, say), on either backend.
pub fn is_unique_violation(e: &sqlx::Error) -> bool {
    matches!(e, sqlx::Error::Database(db) if db.is_unique_violation())
}

/// `root` and all its descendants, given every folder of a tree as `(id, parent id)`; `root`
/// first, then breadth first.
pub fn subtree(tree: impl IntoIterator<Item = (i64, Option<i64>)>, root: i64) -> Vec<i64> {
    let tree: Vec<(i64, Option<i64>)> = tree.into_iter().collect();
    let mut found = vec![root];
    let mut next = 0;
    while next < found.len() {
        let parent = found[next];
        found.extend(
            tree.iter()
                .filter(|(_, p)| *p == Some(parent))
                .map(|(id, _)| *id),
        );
        next += 1;
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders_are_numbered_from_first() {
        assert_eq!(placeholders(2, 3), "$2, $3, $4");
        assert_eq!(placeholders(1, 0), "");
    }

    #[test]
    fn counters_convert_without_wrapping() {
        assert_eq!(to_u64(-1), 0);
        assert_eq!(to_u64(7), 7);
        assert_eq!(to_i64(u64::MAX), i64::MAX);
        assert_eq!(to_i64(7), 7);
    }

    #[test]
    fn a_subtree_holds_the_root_and_every_descendant_only() {
        // 1 ─ 2 ─ 4, 1 ─ 3; 5 elsewhere.
        let tree = [
            (1, None),
            (2, Some(1)),
            (3, Some(1)),
            (4, Some(2)),
            (5, None),
        ];
        assert_eq!(subtree(tree, 1), vec![1, 2, 3, 4]);
        assert_eq!(subtree(tree, 2), vec![2, 4]);
        assert_eq!(subtree(tree, 5), vec![5]);
    }

    #[test]
    fn only_a_database_error_can_be_a_unique_violation() {
        assert!(!is_unique_violation(&sqlx::Error::PoolTimedOut));
    }
}
