//! The Explorer in a real browser: Debian's `chromium`, driven through `chromedriver`
//! with fantoccini. Nothing here downloads a browser. It opens the deep link that
//! `synack check` prints for the two-way handshake's counterexample, checks that the
//! diagram shows the stale (duplicate) SYN and the server's second ESTABLISHED, steps
//! once with a click, and saves a screenshot for the book:
//! `book/src/images/explorer-two-way-handshake.png`. Then it opens the deep link of
//! `tcp-explorer-injection`, whose data chunk is `<img src=x onerror=alert(1)>`, and
//! checks that the page shows it as text and made no element of it.
//!
//! Without `chromium` or `chromedriver` it fails (never skips), naming the install
//! command.

#[path = "common/browser.rs"]
mod browser;

use browser::{chromium_and_driver, session, Children};
use fantoccini::Locator;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const BIN: &str = env!("CARGO_BIN_EXE_synack");

fn deep_link(scenario: &str, property: &str) -> String {
    let out = Command::new(BIN)
        .args(["check", scenario, "--json"])
        .output()
        .unwrap();
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    v["properties"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["name"] == property)
        .and_then(|p| p["explorer"].as_str())
        .unwrap_or_else(|| panic!("no deep link for {property}"))
        .to_string()
}

/// The text of the diagram on the page, once it is there.
const DIAGRAM_TEXT: &str = "const s = document.querySelector('svg.synack-diagram'); \
     return s ? s.textContent : null;";

#[test]
fn the_two_way_handshake_counterexample_in_chromium() {
    let (chromium, driver) = chromium_and_driver();
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let scratch = std::env::temp_dir().join(format!("synack-browser-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&scratch);
    std::fs::create_dir_all(scratch.join("profile")).unwrap();
    let mut children = Children::default();

    let port = browser::free_port();
    let explorer = children.spawn(
        Command::new(BIN)
            .args([
                "explore",
                "tcp-two-way-handshake",
                "--addr",
                &format!("127.0.0.1:{port}"),
            ])
            .current_dir(&scratch)
            .stdout(Stdio::piped())
            .stderr(Stdio::null()),
    );
    let mut line = String::new();
    BufReader::new(explorer.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    assert!(
        line.contains(&format!("http://127.0.0.1:{port}/")),
        "{line}"
    );

    let link = deep_link("tcp-two-way-handshake", "no double connection")
        .replace("127.0.0.1:3000", &format!("127.0.0.1:{port}"));

    // The scenario whose data chunk is markup: the page must show it as text.
    let iport = browser::free_port();
    let injection = children.spawn(
        Command::new(BIN)
            .args([
                "explore",
                "tcp-explorer-injection",
                "--addr",
                &format!("127.0.0.1:{iport}"),
            ])
            .current_dir(&scratch)
            .stdout(Stdio::piped())
            .stderr(Stdio::null()),
    );
    let mut line = String::new();
    BufReader::new(injection.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let ilink = deep_link("tcp-explorer-injection", "reaches CLOSE-WAIT")
        .replace("127.0.0.1:3000", &format!("127.0.0.1:{iport}"));

    let dport = children.driver(&driver);

    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let shot = rt.block_on(async {
        let c = session(
            &chromium,
            dport,
            &scratch.join("profile"),
            (1600, 1100),
            &["--disable-quic"],
        )
        .await;
        let result: Result<Vec<u8>, String> = async {
            c.goto(&link).await.map_err(|e| e.to_string())?;
            let svg = c
                .wait()
                .at_most(Duration::from_secs(30))
                .for_element(Locator::Css("svg.synack-diagram"))
                .await.map_err(|e| e.to_string())?;
            let _ = svg;
            let text = c.execute(DIAGRAM_TEXT, vec![]).await.map_err(|e| e.to_string())?;
            let text = text.as_str().unwrap_or_default().to_string();
            ensure!(
                text.contains("SYN seq=0 [inc 1]  DUPLICATE"),
                "no stale SYN in the diagram: {text}"
            );
            ensure!(text.matches("ESTABLISHED").count() == 3,
                "the client once, the server twice: {text}"
            );
            let rows = |t: &str| t.matches("  t=").count();
            let before = rows(&text);

            // Step once: click the first of the next action choices.
            let next = c
                .find(Locator::XPath(
                    "//h2[normalize-space()='Next Action Choices']/following-sibling::ul[1]//a[@href]",
                ))
                .await.map_err(|e| e.to_string())?;
            let action = next.text().await.map_err(|e| e.to_string())?;
            next.click().await.map_err(|e| e.to_string())?;
            let deadline = Instant::now() + Duration::from_secs(30);
            let after = loop {
                let t = c.execute(DIAGRAM_TEXT, vec![]).await.map_err(|e| e.to_string())?;
                let t = t.as_str().unwrap_or_default().to_string();
                if rows(&t) == before + 1 {
                    break t;
                }
                ensure!(Instant::now() < deadline, "the click on {action:?} did not step");
                tokio::time::sleep(Duration::from_millis(100)).await;
            };
            ensure!(after.contains("DUPLICATE"));
            let url = c.current_url().await.map_err(|e| e.to_string())?;
            let hash = url.fragment().unwrap_or_default().to_string();
            let want = link.split_once('#').unwrap().1;
            ensure!(
                hash.starts_with(want) && hash.len() > want.len(),
                "after the click the page shows #{hash}, not a step after #{want}"
            );
            // Back to the counterexample itself for the picture.
            c.goto(&link).await.map_err(|e| e.to_string())?;
            let deadline = Instant::now() + Duration::from_secs(30);
            loop {
                let t = c.execute(DIAGRAM_TEXT, vec![]).await.map_err(|e| e.to_string())?;
                if t.as_str().is_some_and(|t| rows(t) == before) {
                    break;
                }
                ensure!(Instant::now() < deadline, "the deep link did not reload");
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
            let shot = c.screenshot().await.map_err(|e| e.to_string())?;

            // Markup in a payload stays text: no <img> in the page, no alert (an open
            // alert would fail the next WebDriver command), the payload shown verbatim.
            c.goto(&ilink).await.map_err(|e| e.to_string())?;
            c.wait()
                .at_most(Duration::from_secs(30))
                .for_element(Locator::Css("svg.synack-diagram"))
                .await
                .map_err(|e| e.to_string())?;
            let imgs = c
                .execute("return document.querySelectorAll('img').length;", vec![])
                .await
                .map_err(|e| e.to_string())?;
            ensure!(imgs == 0, "the payload became markup: {imgs} <img> in the page");
            let t = c.execute(DIAGRAM_TEXT, vec![]).await.map_err(|e| e.to_string())?;
            let t = t.as_str().unwrap_or_default();
            ensure!(
                t.contains("\"<img src=x onerror=alert(1)>\""),
                "the payload is not shown as text: {t}"
            );
            Ok(shot)
        }
        .await;
        let _ = c.close().await;
        result.unwrap_or_else(|e| panic!("in the browser: {e}"))
    });
    assert!(shot.starts_with(b"\x89PNG"), "a PNG screenshot");
    let out = root.join("book/src/images/explorer-two-way-handshake.png");
    std::fs::create_dir_all(out.parent().unwrap()).unwrap();
    std::fs::write(&out, &shot).unwrap();
    drop(children);
    let _ = std::fs::remove_dir_all(&scratch);
    assert!(Path::new(&out).is_file());
}
