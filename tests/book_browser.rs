//! The book in a real browser: `mdbook build` writes it to a scratch folder, and
//! Debian's `chromium`, driven through `chromedriver` with fantoccini, opens its pages
//! from `file://`. The test checks what a reader sees, not what the Markdown says:
//!
//! - the introduction's findings table has one row for each row of
//!   `book/src/generated/findings.md`, each with a verdict;
//! - each chapter's exercises keep their answers folded until the summary is clicked;
//! - folded traces render as code blocks inside `<details>`, not as raw Markdown;
//! - the pages name a font with Chinese glyphs (`book/synack.css`);
//! - every SVG timeline the chapters include (`generated/timeline-*.svg`) loads and
//!   is drawn at least 500 px wide, and there are at least the seven key traces;
//!
//! It saves screenshots of the findings table, a timeline and the exercises under
//! `target/tmp/book-screenshots/`, with the height of every chapter in `heights.txt`
//! (not committed). Without `chromium`, `chromedriver` or `mdbook` it fails, never
//! skips, naming the install command.

#[path = "common/browser.rs"]
mod browser;

use browser::{chromium_and_driver, session, Children};
use fantoccini::Client;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};
const INSTALL_MDBOOK: &str = "cargo install --locked mdbook@0.5.4 mdbook-linkcheck2@0.13.0 && \
                              cargo install mdbook-mermaid@0.17.1";

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The chapters in SUMMARY.md order, as HTML file names.
fn pages() -> Vec<String> {
    let summary = std::fs::read_to_string(root().join("book/src/SUMMARY.md")).unwrap();
    summary
        .lines()
        .filter_map(|l| l.split_once("](").and_then(|(_, r)| r.split_once(')')))
        .map(|(md, _)| md.replace(".md", ".html"))
        .collect()
}

/// The number of rows the generated table has.
fn findings_rows() -> usize {
    std::fs::read_to_string(root().join("book/src/generated/findings.md"))
        .expect("book/src/generated/findings.md (tests/catalogue.rs writes it)")
        .lines()
        .filter(|l| l.starts_with("| `"))
        .count()
}

/// Runs `js` and returns its value as a string or number.
async fn eval(c: &Client, js: &str) -> Result<serde_json::Value, String> {
    c.execute(js, vec![]).await.map_err(|e| e.to_string())
}

/// Opens a page and waits until mermaid has drawn every diagram on it (they change the
/// page's height).
async fn open(c: &Client, html: &Path, page: &str) -> Result<(), String> {
    let url = format!("file://{}", html.join(page).display());
    c.goto(&url).await.map_err(|e| format!("{url}: {e}"))?;
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let pending = eval(
            c,
            "return document.querySelectorAll('pre.mermaid:not([data-processed])').length;",
        )
        .await?;
        if pending == 0 {
            return Ok(());
        }
        ensure!(
            Instant::now() < deadline,
            "{page}: mermaid did not draw its diagrams"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// A screenshot of the window sized to show `top..bottom` of the page (CSS pixels).
async fn shot_of(c: &Client, top: f64, bottom: f64) -> Result<Vec<u8>, String> {
    let height = ((bottom - top).max(200.0) as u32 + 160).min(12_000);
    c.set_window_size(1280, height)
        .await
        .map_err(|e| e.to_string())?;
    eval(
        c,
        &format!("window.scrollTo(0, {}); return 0;", (top - 80.0).max(0.0)),
    )
    .await?;
    tokio::time::sleep(Duration::from_millis(300)).await;
    let png = c.screenshot().await.map_err(|e| e.to_string())?;
    c.set_window_size(1280, 1000)
        .await
        .map_err(|e| e.to_string())?;
    Ok(png)
}

const FINDINGS_TABLES: &str = "
    const h = document.getElementById('what-the-checker-found');
    if (!h) { return null; }
    const tables = [...document.querySelectorAll('main .findings table')].filter(t =>
        [...t.querySelectorAll('th')].map(th => th.textContent.trim()).join('|') ===
        'scenario|property|verdict|what it shows|what real stacks do');
    const rows = tables.flatMap(t => [...t.querySelectorAll('tbody tr')]);
    const verdicts = rows.map(r => r.cells[2].textContent.trim());
    const last = tables[tables.length - 1];
    const wrappers = tables.map(t => t.parentElement);
    return {
        overflowing: wrappers.filter(w => w.scrollWidth > w.clientWidth + 1).length,
        tables: tables.length,
        rows: rows.length,
        verdicts: verdicts,
        top: h.getBoundingClientRect().top + window.scrollY,
        bottom: last ? last.getBoundingClientRect().bottom + window.scrollY : 0,
    };";

const EXERCISES: &str = "
    const h = document.getElementById('exercises');
    if (!h) { return null; }
    const answers = [...document.querySelectorAll('main details')].filter(d =>
        d.querySelector('summary').textContent.trim() === 'Answer');
    const hidden = answers.filter(d => !d.open &&
        !d.querySelector('strong').checkVisibility()).length;
    return {
        answers: answers.length,
        hidden: hidden,
        top: h.getBoundingClientRect().top + window.scrollY,
        bottom: document.documentElement.scrollHeight,
    };";

const FOLDED_TRACES: &str = "
    const folds = [...document.querySelectorAll('main details')].filter(d =>
        d.querySelector('summary').textContent.startsWith('The trace of'));
    return {
        folds: folds.length,
        rendered: folds.filter(d => d.querySelector('pre > code') &&
            !d.textContent.includes('```')).length,
        hidden: folds.filter(d => !d.open &&
            !d.querySelector('pre').checkVisibility()).length,
    };";

/// The SVG timelines a reader sees (`generated/timeline-*.svg`; a hidden copy of an
/// image on the page is skipped): how many, how many loaded
/// (an image that failed has no natural width), how many are drawn narrower than
/// 500 px, and the first one's place on the page.
const TIMELINES: &str = "
    const imgs = [...document.querySelectorAll('main img')]
        .filter(i => /generated\\/timeline-.*\\.svg$/.test(i.getAttribute('src') || ''))
        .filter(i => i.checkVisibility());
    const r = imgs.length ? imgs[0].getBoundingClientRect() : null;
    return {
        count: imgs.length,
        loaded: imgs.filter(i => i.complete && i.naturalWidth > 0).length,
        narrow: imgs.filter(i => i.getBoundingClientRect().width < 500).length,
        widths: imgs.map(i => [i.getAttribute('src'), i.getBoundingClientRect().width]),
        top: r ? r.top + window.scrollY - 10 : 0,
        bottom: r ? r.bottom + window.scrollY + 10 : 0,
    };
";

#[test]
fn the_book_shows_its_findings_exercises_folds_and_fonts() {
    let (chromium, driver) = chromium_and_driver();
    let scratch = std::env::temp_dir().join(format!("synack-book-browser-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&scratch);
    std::fs::create_dir_all(scratch.join("profile")).unwrap();
    let built = Command::new("mdbook")
        .args(["build", "book", "-d"])
        .arg(scratch.join("book"))
        .current_dir(root())
        .output()
        .unwrap_or_else(|e| panic!("mdbook does not run ({e}); install it with: {INSTALL_MDBOOK}"));
    assert!(
        built.status.success(),
        "mdbook build failed:\n{}",
        String::from_utf8_lossy(&built.stderr)
    );
    let html = scratch.join("book/html");
    let want_rows = findings_rows();
    assert!(want_rows > 0, "the generated findings table is empty");
    let out = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("book-screenshots");
    std::fs::create_dir_all(&out).unwrap();

    let mut children = Children::default();
    let dport = children.driver(&driver);

    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let shots = rt.block_on(async {
        let c = session(
            &chromium,
            dport,
            &scratch.join("profile"),
            (1280, 1000),
            &["--allow-file-access-from-files"],
        )
        .await;
        let result: Result<Vec<(String, Vec<u8>)>, String> = async {
            let mut shots = Vec::new();

            // The findings table, on the first page.
            open(&c, &html, "introduction.html").await?;
            let t = eval(&c, FINDINGS_TABLES).await?;
            ensure!(
                !t.is_null(),
                "introduction.html has no section \"What the checker found\""
            );
            ensure!(
                t["rows"].as_u64() == Some(want_rows as u64),
                "the page shows {} rows of findings, the generated table has {want_rows}",
                t["rows"]
            );
            ensure!(
                t["overflowing"] == 0,
                "{} findings tables are wider than their place at 1280 px and scroll sideways",
                t["overflowing"]
            );
            let verdicts = t["verdicts"].as_array().cloned().unwrap_or_default();
            ensure!(
                verdicts.iter().all(|v| {
                    ["holds", "violated", "found", "not found"].contains(&v.as_str().unwrap_or(""))
                }),
                "a row without a verdict: {verdicts:?}"
            );
            let png = shot_of(
                &c,
                t["top"].as_f64().unwrap_or(0.0),
                t["bottom"].as_f64().unwrap_or(0.0),
            )
            .await?;
            shots.push(("findings-table.png".to_string(), png));
            // Its first screenful, as a reader meets it.
            let top = t["top"].as_f64().unwrap_or(0.0);
            let png = shot_of(&c, top, top + 840.0).await?;
            shots.push(("findings-table-top.png".to_string(), png));

            // Every chapter: exercises folded, long traces folded and rendered; its height.
            let mut heights = String::new();
            for page in pages() {
                open(&c, &html, &page).await?;
                let e = eval(&c, EXERCISES).await?;
                if !e.is_null() {
                    let n = e["answers"].as_u64().unwrap_or(0);
                    ensure!(n > 0, "{page}: exercises without folded answers");
                    ensure!(
                        e["hidden"].as_u64() == Some(n),
                        "{page}: {} of {n} answers are visible before a click",
                        n - e["hidden"].as_u64().unwrap_or(0)
                    );
                }
                let f = eval(&c, FOLDED_TRACES).await?;
                let folds = f["folds"].as_u64().unwrap_or(0);
                ensure!(
                    f["rendered"].as_u64() == Some(folds) && f["hidden"].as_u64() == Some(folds),
                    "{page}: of {folds} folded traces, {} render as code and {} are closed",
                    f["rendered"],
                    f["hidden"]
                );
                let h = eval(&c, "return document.documentElement.scrollHeight;").await?;
                heights.push_str(&format!("{page:<24} {h:>7} px\n"));
            }
            shots.push(("heights.txt".to_string(), heights.into_bytes()));

            // Clicking an answer's summary opens it; the picture shows the exercises.
            open(&c, &html, "opening.html").await?;
            eval(
                &c,
                "document.querySelectorAll('main details > summary').forEach(s => {
                     if (s.textContent.trim() === 'Answer') { s.click(); }
                 }); return 0;",
            )
            .await?;
            let shown = eval(
                &c,
                "return [...document.querySelectorAll('main details')].filter(d => d.open &&
                     d.querySelector('strong').checkVisibility()).length;",
            )
            .await?;
            ensure!(
                shown.as_u64().unwrap_or(0) >= 2,
                "opening.html: a click on \"Answer\" did not show the answer"
            );
            let e = eval(&c, EXERCISES).await?;
            let png = shot_of(
                &c,
                e["top"].as_f64().unwrap_or(0.0),
                e["bottom"].as_f64().unwrap_or(0.0),
            )
            .await?;
            shots.push(("exercises-opening.png".to_string(), png));

            // The SVG timelines: every one the chapters include has loaded and is drawn
            // at a legible size; the TIME-WAIT one is photographed.
            let mut timelines = 0;
            for page in pages() {
                open(&c, &html, &page).await?;
                let t = eval(&c, TIMELINES).await?;
                let n = t["count"].as_u64().unwrap_or(0);
                timelines += n;
                ensure!(
                    t["loaded"].as_u64() == Some(n),
                    "{page}: {} of {n} SVG timelines did not load",
                    n - t["loaded"].as_u64().unwrap_or(0)
                );
                ensure!(
                    t["narrow"] == 0,
                    "{page}: {} SVG timelines are drawn under 500 px wide: {}",
                    t["narrow"],
                    t["widths"]
                );
            }
            ensure!(
                timelines >= 7,
                "the book shows {timelines} SVG timelines, not the 7 key traces"
            );
            open(&c, &html, "closing.html").await?;
            let t = eval(&c, TIMELINES).await?;
            let png = shot_of(
                &c,
                t["top"].as_f64().unwrap_or(0.0),
                t["bottom"].as_f64().unwrap_or(0.0),
            )
            .await?;
            shots.push(("timeline-time-wait-re-ack.png".to_string(), png));

            // The fonts: Chinese glyphs have a font to come from, in text and in code.
            open(&c, &html, "glossary.html").await?;
            let fonts = eval(
                &c,
                "const code = document.querySelector('main code');
                 return [getComputedStyle(document.querySelector('main p')).fontFamily,
                         code ? getComputedStyle(code).fontFamily : ''];",
            )
            .await?;
            let text = fonts[0].as_str().unwrap_or_default();
            let code = fonts[1].as_str().unwrap_or_default();
            ensure!(
                text.contains("Noto Sans CJK SC") && text.contains("Microsoft YaHei"),
                "the text font has no Chinese fallback: {text}"
            );
            ensure!(
                code.contains("Noto Sans Mono CJK SC"),
                "the code font has no Chinese fallback: {code}"
            );
            let han = eval(
                &c,
                "return /[\\u4e00-\\u9fff]/.test(document.querySelector('main').textContent);",
            )
            .await?;
            ensure!(
                han == true,
                "glossary.html shows no Chinese text to check the font on"
            );
            Ok(shots)
        }
        .await;
        let _ = c.close().await;
        result.unwrap_or_else(|e| panic!("in the browser: {e}"))
    });
    drop(children);
    for (name, bytes) in &shots {
        if name.ends_with(".png") {
            assert!(bytes.starts_with(b"\x89PNG"), "{name}: not a PNG");
        }
        std::fs::write(out.join(name), bytes).unwrap();
    }
    eprintln!(
        "screenshots and page heights in {}:\n{}",
        out.display(),
        String::from_utf8_lossy(&shots.iter().find(|(n, _)| n == "heights.txt").unwrap().1)
    );
    let _ = std::fs::remove_dir_all(&scratch);
}
