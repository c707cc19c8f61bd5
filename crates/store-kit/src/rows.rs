//! Plain helpers for the SQL every store writes the same way, whichever backend runs it:
//! placeholder lists, counters kept as BIGINT, unique-constraint violations, folder subtrees,
//! and the change log's two reads.

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

/// The change log's read of a folder after a cursor (`$1` folder id, `$2` modseq, `$3` id as
/// text, `$4` limit): the versions of `$table` (its columns `$columns`) strictly after
/// (modseq, id), in the order of the sync engine's cursor: by modseq, then by the id as text in
/// byte order (`$byte_order`, as [`sql_store!`](crate::sql_store) passes it), so that `"10"`
/// sorts before `"9"` on both backends.
#[macro_export]
macro_rules! changes_sql {
    ($table:literal, $columns:literal, $byte_order:literal) => {
        concat!(
            "SELECT ",
            $columns,
            " FROM ",
            $table,
            " WHERE folder_id = $1 AND (modseq > $2 OR (modseq = $2 AND CAST(id AS TEXT)",
            $byte_order,
            " > $3)) ORDER BY modseq, CAST(id AS TEXT)",
            $byte_order,
            " LIMIT $4"
        )
    };
}

/// The change log's read of given items (`$1` folder id, `$2`... the `count` ids): the rows of
/// `table` (its columns `columns`) in the folder, tombstones included, by id.
pub fn versions_sql(table: &str, columns: &str, count: usize) -> String {
    format!(
        "SELECT {columns} FROM {table} WHERE folder_id = $1 AND id IN ({}) ORDER BY id",
        placeholders(2, count)
    )
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
    fn the_change_log_reads_follow_the_cursor_order() {
        assert_eq!(
            crate::changes_sql!("items", "id, modseq", " COLLATE \"C\""),
            "SELECT id, modseq FROM items WHERE folder_id = $1 AND (modseq > $2 OR \
             (modseq = $2 AND CAST(id AS TEXT) COLLATE \"C\" > $3)) \
             ORDER BY modseq, CAST(id AS TEXT) COLLATE \"C\" LIMIT $4"
        );
        assert_eq!(
            versions_sql("items", "id", 2),
            "SELECT id FROM items WHERE folder_id = $1 AND id IN ($2, $3) ORDER BY id"
        );
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
