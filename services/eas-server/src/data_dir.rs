//! The data directory of the one-process server: created private (0700) with private files
//! (0600) in it, and an existing one made private at start. It holds the SQLite databases (with
//! their `-wal` and `-shm` files) of the directory (password hashes), the mail and the device
//! state, and the admin token: none of it may be readable by other users of the machine.

use std::path::Path;

use anyhow::Context;

/// Creates `dir` (and its parents) when missing, then takes group and other permissions away
/// from it and from every file directly in it. Symbolic links are left alone.
pub fn prepare(dir: &Path) -> anyhow::Result<()> {
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt;
        builder.mode(0o700);
    }
    builder
        .create(dir)
        .with_context(|| format!("creating data directory {}", dir.display()))?;
    #[cfg(unix)]
    {
        restrict(dir, 0o700)?;
        let entries = std::fs::read_dir(dir)
            .with_context(|| format!("reading data directory {}", dir.display()))?;
        for entry in entries {
            let entry =
                entry.with_context(|| format!("reading data directory {}", dir.display()))?;
            let meta = std::fs::symlink_metadata(entry.path())
                .with_context(|| format!("inspecting {}", entry.path().display()))?;
            if meta.is_file() {
                restrict(&entry.path(), 0o600)?;
            } else if meta.is_dir() {
                restrict(&entry.path(), 0o700)?;
            }
        }
    }
    Ok(())
}

/// Sets `path`'s mode to `mode` when it grants anything to group or others.
#[cfg(unix)]
fn restrict(path: &Path, mode: u32) -> anyhow::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    let meta = std::fs::metadata(path).with_context(|| format!("inspecting {}", path.display()))?;
    let current = meta.permissions().mode() & 0o777;
    if current & 0o077 != 0 {
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode))
            .with_context(|| format!("making {} private (mode {mode:o})", path.display()))?;
        tracing::info!(path = %path.display(), from = format!("{current:o}"), to = format!("{mode:o}"), "made a data file private");
    }
    Ok(())
}

/// Creates an empty file readable and writable by its owner only, when it does not exist, so
/// that SQLite opens it instead of creating it with the process's umask (SQLite then gives its
/// `-wal` and `-shm` files the same permissions).
pub fn create_private_file(path: &Path) -> anyhow::Result<()> {
    eas_store_kit::create_private_file(path).with_context(|| format!("creating {}", path.display()))
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    fn mode(p: &Path) -> u32 {
        std::fs::metadata(p).unwrap().permissions().mode() & 0o777
    }

    #[test]
    fn a_new_data_directory_is_created_private() {
        let root = tempfile::tempdir().unwrap();
        let dir = root.path().join("a/b/data");
        prepare(&dir).unwrap();
        assert_eq!(mode(&dir), 0o700);
        let f = dir.join("mail.db");
        create_private_file(&f).unwrap();
        assert_eq!(mode(&f), 0o600);
    }

    #[test]
    fn an_existing_open_data_directory_and_its_files_are_made_private() {
        let root = tempfile::tempdir().unwrap();
        let dir = root.path().join("data");
        std::fs::create_dir(&dir).unwrap();
        std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o755)).unwrap();
        for name in ["directory.db", "directory.db-wal", "admin-token"] {
            std::fs::write(dir.join(name), b"x").unwrap();
            std::fs::set_permissions(dir.join(name), std::fs::Permissions::from_mode(0o644))
                .unwrap();
        }
        // A link to a file elsewhere is not followed: that file is not ours to change.
        let outside = root.path().join("outside.txt");
        std::fs::write(&outside, b"x").unwrap();
        std::fs::set_permissions(&outside, std::fs::Permissions::from_mode(0o644)).unwrap();
        std::os::unix::fs::symlink(&outside, dir.join("link")).unwrap();

        prepare(&dir).unwrap();
        assert_eq!(mode(&dir), 0o700);
        for name in ["directory.db", "directory.db-wal", "admin-token"] {
            assert_eq!(mode(&dir.join(name)), 0o600, "{name}");
        }
        assert_eq!(mode(&outside), 0o644);
        // An existing file keeps its content when it is "created" again.
        create_private_file(&dir.join("directory.db")).unwrap();
        assert_eq!(std::fs::read(dir.join("directory.db")).unwrap(), b"x");
    }
}
