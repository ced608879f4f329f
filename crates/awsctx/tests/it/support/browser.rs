//! The fake `$BROWSER` of login tests.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread::JoinHandle;
use std::time::Duration;

/// A fake `$BROWSER`: a script that appends each URL to a log; a thread of the test reads
/// the log and fetches each new URL with the mock's browse client (following the mock's
/// redirect to awsctx's loopback callback, or approving a device code), as a user would.
pub(crate) struct FakeBrowser {
    pub(crate) script: PathBuf,
    pub(crate) log: PathBuf,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<Vec<String>>>,
}

impl FakeBrowser {
    /// A browser that acts on every URL it is given.
    pub(crate) fn start(dir: &Path) -> Self {
        Self::new(dir, true)
    }

    /// A browser that only records the URLs: the test decides when to visit them.
    pub(crate) fn recording(dir: &Path) -> Self {
        Self::new(dir, false)
    }

    fn new(dir: &Path, act: bool) -> Self {
        let log = dir.join("browser.log");
        let script = super::executable(
            &dir.join("browser.sh"),
            &format!("#!/bin/sh\nprintf '%s\\n' \"$1\" >> '{}'\n", log.display()),
        );
        let stop = Arc::new(AtomicBool::new(false));
        let thread = act.then(|| {
            let (stop, log) = (Arc::clone(&stop), log.clone());
            std::thread::spawn(move || {
                let mut seen = 0;
                let mut visited = Vec::new();
                while !stop.load(Ordering::Relaxed) {
                    for url in read_urls(&log).into_iter().skip(seen) {
                        seen += 1;
                        let page = awsctx_tests::browse(&url);
                        visited.push(format!("{url} -> {:?}", page.map(|p| p.status)));
                    }
                    std::thread::sleep(Duration::from_millis(20));
                }
                visited
            })
        });
        Self { script, log, stop, thread }
    }

    /// The URLs the browser was given so far.
    pub(crate) fn urls(&self) -> Vec<String> {
        read_urls(&self.log)
    }

    /// Wait until at least `n` URLs were given.
    pub(crate) fn wait_for(&self, n: usize, timeout: Duration) -> Vec<String> {
        let started = std::time::Instant::now();
        loop {
            let urls = self.urls();
            if urls.len() >= n || started.elapsed() > timeout {
                return urls;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for FakeBrowser {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

fn read_urls(log: &Path) -> Vec<String> {
    std::fs::read_to_string(log)
        .unwrap_or_default()
        .lines()
        .filter(|l| !l.is_empty())
        .map(str::to_owned)
        .collect()
}
