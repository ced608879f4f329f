//! Where the upstream conformance data lives: `shared/testdata`, read in place.

use std::path::{Path, PathBuf};

/// The file `relative` under `shared/testdata`, or `None` (after a loud notice) when the
/// folder is absent. Under `CI=true` an absent folder fails the test instead.
///
/// The repository sits beside `shared/` (`/work/main` and `/work/shared`, or a CI checkout);
/// a git worktree one level deeper (`/work/wt/NAME`) finds the same folder one `..` higher.
#[allow(clippy::print_stderr)]
pub(crate) fn testdata(relative: &str) -> Option<PathBuf> {
    let crate_dir = Path::new(env!("CARGO_MANIFEST_DIR"));
    let found = ["../../../shared/testdata", "../../../../shared/testdata"]
        .iter()
        .map(|up| crate_dir.join(up))
        .find(|dir| dir.is_dir());
    match found {
        Some(dir) => Some(dir.join(relative)),
        None if std::env::var("CI").is_ok_and(|v| v == "true") => {
            panic!(
                "shared/testdata is missing beside the repository (CI=true): cannot run {relative}"
            )
        }
        None => {
            eprintln!(
                "SKIPPED: shared/testdata not found beside the repository; {relative} not run"
            );
            None
        }
    }
}

/// The JSON document at `relative` under `shared/testdata`.
pub(crate) fn testdata_json(relative: &str) -> Option<serde_json::Value> {
    let path = testdata(relative)?;
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    Some(serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display())))
}
