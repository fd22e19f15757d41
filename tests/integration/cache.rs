//! The compile cache holds native code: an entry runs only for the very bytes it was compiled
//! from, and only from a folder no other user can write.

use std::os::unix::fs::PermissionsExt;
use std::path::Path;

use crate::harness::*;

fn inspect_with_cache(plugin: &Path, cache: &Path) -> Run {
    rechost([
        "inspect",
        &path_arg(plugin),
        "--cache-dir",
        &path_arg(cache),
    ])
}

/// The one `.cwasm` entry of a cache folder.
fn only_entry(cache: &Path) -> std::path::PathBuf {
    let entries: Vec<_> = std::fs::read_dir(cache)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "cwasm"))
        .collect();
    assert_eq!(entries.len(), 1, "{entries:?}");
    entries.into_iter().next().unwrap()
}

#[test]
fn an_entry_planted_under_another_plugins_key_never_runs() {
    let dir = tempfile::tempdir().unwrap();
    let (shared, other) = (dir.path().join("shared"), dir.path().join("other"));
    inspect_with_cache(&guests().ecommerce, &shared).assert_ok();
    inspect_with_cache(&guests().media, &other).assert_ok();
    // The media plugin's compiled code, placed where the ecommerce plugin's entry is.
    std::fs::copy(only_entry(&other), only_entry(&shared)).unwrap();
    let run = inspect_with_cache(&guests().ecommerce, &shared);
    run.assert_ok();
    assert!(
        run.stdout.starts_with("snowplow-ecommerce "),
        "{}",
        run.stdout
    );
    assert!(
        !run.stdout.contains("snowplow_media_player_base"),
        "{}",
        run.stdout
    );
}

#[test]
fn a_cache_folder_others_can_write_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let cache = dir.path().join("shared-cache");
    inspect_with_cache(&guests().media, &cache).assert_ok();
    std::fs::set_permissions(&cache, std::fs::Permissions::from_mode(0o777)).unwrap();
    inspect_with_cache(&guests().media, &cache).assert_failed_with(
        1,
        &[
            "refusing the compile cache",
            "writable by other users",
            "--no-cache",
        ],
    );
    // An entry others can write is refused just the same.
    std::fs::set_permissions(&cache, std::fs::Permissions::from_mode(0o700)).unwrap();
    let entry = only_entry(&cache);
    std::fs::set_permissions(&entry, std::fs::Permissions::from_mode(0o666)).unwrap();
    inspect_with_cache(&guests().media, &cache).assert_failed_with(
        1,
        &["refusing the compile cache", "writable by other users"],
    );
    // Without the cache the plugin still loads.
    rechost(["inspect", &path_arg(&guests().media), "--no-cache"]).assert_ok();
}

#[test]
fn a_cache_folder_owned_by_another_user_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let cache = dir.path().join("their-cache");
    std::fs::create_dir(&cache).unwrap();
    std::fs::set_permissions(&cache, std::fs::Permissions::from_mode(0o755)).unwrap();
    // 65534 is `nobody`; chown needs root, which the test machines are.
    let me = effective_uid();
    let owner = if me == 0 { 65534 } else { 0 };
    let chown = std::process::Command::new("chown")
        .arg(owner.to_string())
        .arg(&cache)
        .status()
        .unwrap();
    if !chown.success() {
        assert!(std::env::var_os("CI").is_none(), "chown failed in CI");
        eprintln!("SKIPPED: cannot give a folder to another user here");
        return;
    }
    inspect_with_cache(&guests().media, &cache)
        .assert_failed_with(1, &["refusing the compile cache", "owned by user"]);
}

/// The effective user id, read from the owner of a file this process just created.
fn effective_uid() -> u32 {
    use std::os::unix::fs::MetadataExt;
    let file = tempfile::NamedTempFile::new().unwrap();
    file.as_file().metadata().unwrap().uid()
}
