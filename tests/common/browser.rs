//! What the two browser tests (`book_browser.rs`, `explorer_browser.rs`) share: finding
//! Debian's `chromium` and `chromedriver`, starting the driver in a process group of its
//! own, and opening a headless session with fantoccini. Each test includes this file
//! with `#[path]`, so it is compiled into those two test binaries only.
#![allow(dead_code)]

use fantoccini::{Client, ClientBuilder};
use std::net::{TcpListener, TcpStream};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// The one command that installs what the browser tests need.
pub const INSTALL_BROWSER: &str = "apt-get update && apt-get install -y chromium chromium-driver";

/// A port nothing listens on now.
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// The first of `names` found in PATH or /usr/bin.
pub fn find(names: &[&str]) -> Option<PathBuf> {
    let path = std::env::var_os("PATH").unwrap_or_default();
    let dirs = std::env::split_paths(&path).chain([PathBuf::from("/usr/bin")]);
    for d in dirs {
        for n in names {
            let p = d.join(n);
            if p.is_file() {
                return Some(p);
            }
        }
    }
    None
}

/// Chromium and chromedriver, or a failure (never a skip) that names the install
/// command.
pub fn chromium_and_driver() -> (PathBuf, PathBuf) {
    let (Some(chromium), Some(driver)) = (
        find(&["chromium", "chromium-browser"]),
        find(&["chromedriver"]),
    ) else {
        if std::env::var_os("CI").is_some() {
            panic!("chromium or chromedriver is missing: CI must install them ({INSTALL_BROWSER})");
        }
        panic!("chromium or chromedriver is missing; install them with: {INSTALL_BROWSER}");
    };
    (chromium, driver)
}

/// Child processes, each the leader of its own process group; dropping the guard
/// kills every group (chromedriver's Chromium with it), even when the test fails.
#[derive(Default)]
pub struct Children(pub Vec<Child>);

impl Children {
    pub fn spawn(&mut self, cmd: &mut Command) -> &mut Child {
        let c = cmd
            .process_group(0)
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {cmd:?}: {e}"));
        self.0.push(c);
        self.0.last_mut().unwrap()
    }

    /// Starts chromedriver on a free port and waits until it listens; returns the port.
    pub fn driver(&mut self, driver: &Path) -> u16 {
        let port = free_port();
        self.spawn(
            Command::new(driver)
                .arg(format!("--port={port}"))
                .stdout(Stdio::null())
                .stderr(Stdio::null()),
        );
        wait_listening(port, "chromedriver");
        port
    }
}

impl Drop for Children {
    fn drop(&mut self) {
        for c in &mut self.0 {
            // The group of a child we started (its id is its group id).
            let _ = Command::new("kill")
                .args(["-KILL", "--", &format!("-{}", c.id())])
                .stderr(Stdio::null())
                .status();
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

/// Waits up to 30 s for something to listen on `port`.
pub fn wait_listening(port: u16, what: &str) {
    let deadline = Instant::now() + Duration::from_secs(30);
    while TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(Instant::now() < deadline, "{what} did not listen on {port}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// A headless Chromium session through the chromedriver on `port`, with its profile
/// in `profile`, a window of `width` × `height`, and `extra` switches.
pub async fn session(
    chromium: &Path,
    port: u16,
    profile: &Path,
    (width, height): (u32, u32),
    extra: &[&str],
) -> Client {
    let mut args: Vec<String> = [
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
    ]
    .iter()
    .chain(extra)
    .map(|s| s.to_string())
    .collect();
    args.push(format!("--user-data-dir={}", profile.display()));
    args.push(format!("--window-size={width},{height}"));
    let mut caps = serde_json::Map::new();
    caps.insert(
        "goog:chromeOptions".into(),
        serde_json::json!({ "binary": chromium, "args": args }),
    );
    ClientBuilder::native()
        .capabilities(caps)
        .connect(&format!("http://127.0.0.1:{port}"))
        .await
        .expect("a chromedriver session")
}

/// `assert!` inside the browser session: an error, so that the session is closed
/// (and its Chromium with it) before the test fails.
#[macro_export]
macro_rules! ensure {
    ($cond:expr, $($msg:tt)+) => {
        if !$cond {
            return Err(format!($($msg)+));
        }
    };
    ($cond:expr) => {
        if !$cond {
            return Err(stringify!($cond).to_string());
        }
    };
}
