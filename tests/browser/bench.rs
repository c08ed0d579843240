//! The snippet's main-thread cost in headless Chromium, measured in the page with
//! `performance.now()`: tagging a page of 1,000 tracked links, and handling 100 links added
//! later. A benchmark, not a check: it prints the figures (budget: 5 ms together).
//!
//! A page is tagged once, at load, by code the browser has not run yet in that page (its
//! JavaScript not yet optimised, its wasm on the baseline tier), so the first start of
//! fresh page loads is measured too (`cold`); the repeated starts of `MEASURE` are warm.
//!
//! ```sh
//! cargo test -p chatrail-tests --test browser bench -- --ignored --nocapture
//! ```
//!
//! With `CHATRAIL_PROFILE=1` it also samples the warm runs with Chromium's CPU profiler and
//! prints the functions that took the most samples of their own (run it on an unminified
//! build, `target/wasm/bindgen/t.js` copied over `tracker-wasm/dist/t.js`, for the loader's
//! names).
//!
//! On this project's 2-core virtual machines the same build's runs come in quick and slow
//! streaks (a slow one can take 1.5× as long, whatever the page does), so the figures are a
//! median over many runs, with the 10th percentile and the quickest run beside it.

use chatrail_tests::app::{spawn_app, Backend};
use chatrail_tests::browser::Browser;
use chatrail_tests::pages;
use serde_json::{json, Value};

/// Runs in the page before the snippet: `cold` is its start on this page load, from the
/// moment its wasm is instantiated (the loader's own `then` runs next) to its ready event,
/// and `coldTagged` the links tagged by then.
const COLD: &str = r#"<script>
const instantiate = WebAssembly.instantiateStreaming;
WebAssembly.instantiateStreaming = function () {
  return instantiate.apply(this, arguments).then(r => { window.t0 = performance.now(); return r; });
};
document.addEventListener("chatrail:ready", () => {
  window.cold = performance.now() - t0;
  window.coldTagged = document.querySelectorAll("a[href*='ref%20']").length;
});
</script>"#;

/// Fresh page loads measured for `cold`, after one that caches the site's config (as any
/// page view after a visitor's first does; the first one tags links once the config is in).
/// Each alternates with a load of the same page without its links (`/bench-none`), whose
/// start is the snippet's fixed cost (page view, storage, hooks): the difference is what the
/// 1,000 links cost.
const COLD_LOADS: usize = 31;

/// Runs in the page once the snippet is ready. Each figure is the median of `RUNS` runs (the
/// 10th percentile and the quickest run are printed too: on a loaded machine they are the
/// closer to the snippet's own cost):
/// - `page`: the snippet's start after `chatrail.consent(true)` (the page view, then every
///   link tagged from its original href, as on load; 1,000 links), after `consent(false)`
///   restored them;
/// - `added`: 100 links appended at once, until the snippet's MutationObserver has tagged
///   them, less the same append of 100 links the snippet skips (its own cost only);
/// - `later`: what the start leaves to the next tasks (the visit beacon's and the config's
///   fetches), from its end to a timer set then, less the same wait with nothing queued.
///   Not part of the budget (no link waits for it), printed so that no cost goes unseen.
const MEASURE: &str = r#"
const RUNS = 31;
const quantile = (a, q) => a.slice().sort((x, y) => x - y)[Math.floor((a.length - 1) * q)];
const median = a => quantile(a, 0.5);
const box = document.getElementById("box");
const links = (n, href) => {
  const f = document.createDocumentFragment();
  for (let i = 0; i < n; i++) {
    const a = document.createElement("a");
    a.href = href + i;
    a.textContent = "chat";
    f.appendChild(a);
  }
  return f;
};
// Observers are called in the order they were made, so this one runs right after the
// snippet's has handled the appended links.
let done = null;
new MutationObserver(() => done && done(performance.now())).observe(box, { childList: true });
const append = async (href) => {
  const f = links(100, href);
  const handled = new Promise(r => done = r);
  const t0 = performance.now();
  box.appendChild(f);
  const t = (await handled) - t0;
  done = null;
  tags.push(box.querySelectorAll("a[href*='ref%20']").length);
  box.textContent = "";
  await new Promise(r => setTimeout(r));
  return t;
};
const page = [], added = [], control = [], tags = [], atStart = [], later = [], idle = [];
const tick = async () => {
  const t = performance.now();
  await new Promise(r => setTimeout(r));
  return performance.now() - t;
};
// Withdrawn consent forgets the cached config too; a page view after the first starts
// with it, so it is put back.
const config = localStorage.getItem("chatrail:c");
for (let i = 0; i < RUNS; i++) {
  chatrail.consent(false);
  localStorage.setItem("chatrail:c", config);
  const t0 = performance.now();
  chatrail.consent(true);
  page.push(performance.now() - t0);
  atStart.push(document.querySelectorAll("a[href*='ref%20']").length);
  later.push(await tick());
  idle.push(await tick());
  added.push(await append("https://wa.me/79001234567?text=Hi%20"));
  control.push(await append("https://example.com/?x="));
}
const tagged = document.querySelectorAll("a[href*='ref%20']").length;
// The 100 links appended each time are tagged; the control links are not.
const addedTagged = Math.min(...tags.filter((_, i) => i % 2 == 0));
// Every link is tagged by the time consent(true) returns.
const startTagged = Math.min(...atStart);
return {
  page: median(page), added: median(added) - median(control), tagged, addedTagged, startTagged,
  later: median(later) - median(idle), pageP10: quantile(page, 0.1), addedP10: quantile(added, 0.1) - quantile(control, 0.1),
  pageMin: Math.min(...page), addedMin: Math.min(...added) - Math.min(...control),
};
"#;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "a benchmark: run with --ignored --nocapture to print the figures"]
async fn bench_a_thousand_links() {
    let app = spawn_app(Backend::Sqlite).await;
    let mut body = String::new();
    for i in 0..1000 {
        body.push_str(&format!(
            "<a href=\"https://wa.me/79001234567?text=Item%20{i}\">Chat about item {i}</a>\n"
        ));
    }
    let html = |body: &str| {
        format!(
            "<!doctype html><html><body>{COLD}<div id=\"box\"></div>{body}\
             <script async src=\"{}/t.js\" data-site=\"shop\"></script></body></html>",
            app.base
        )
    };
    let port = pages::serve(vec![
        ("/bench".into(), html(&body)),
        ("/bench-none".into(), html("")),
    ])
    .await
    .unwrap();
    let browser = Browser::start().await.expect("chromium starts");
    let client = &browser.client;
    client
        .goto(&format!("http://localhost:{port}/bench"))
        .await
        .unwrap();
    // Ready, and the collector's config applied (the first link tagged).
    client
        .execute(
            "return new Promise(r => chatrail.ready(() => { const t = () => \
             document.querySelector(\"a[href*='ref%20']\") ? r(1) : setTimeout(t, 20); t(); }))",
            vec![],
        )
        .await
        .unwrap();
    let (mut cold, mut fixed) = (Vec::new(), Vec::new());
    for _ in 0..COLD_LOADS {
        for (page, links, times) in [("bench", 1000, &mut cold), ("bench-none", 0, &mut fixed)] {
            client
                .goto(&format!("http://localhost:{port}/{page}"))
                .await
                .unwrap();
            let load: Value = client
                .execute(
                    "return new Promise(r => { const t = () => window.cold == null ? \
                     setTimeout(t, 20) : r([cold, coldTagged]); t(); })",
                    vec![],
                )
                .await
                .unwrap();
            assert_eq!(load[1], links, "every link tagged at the start: {load}");
            times.push(load[0].as_f64().unwrap());
        }
    }
    cold.sort_by(f64::total_cmp);
    fixed.sort_by(f64::total_cmp);
    // The warm runs are on the page with the links.
    client
        .goto(&format!("http://localhost:{port}/bench"))
        .await
        .unwrap();
    client
        .execute("return new Promise(r => chatrail.ready(r))", vec![])
        .await
        .unwrap();
    let profile = std::env::var_os("CHATRAIL_PROFILE").is_some();
    if profile {
        browser.cdp("Profiler.enable", json!({})).await.unwrap();
        browser
            .cdp("Profiler.setSamplingInterval", json!({ "interval": 20 }))
            .await
            .unwrap();
        browser.cdp("Profiler.start", json!({})).await.unwrap();
    }
    let figures: Value = client.execute(MEASURE, vec![]).await.unwrap();
    if profile {
        let stopped = browser.cdp("Profiler.stop", json!({})).await.unwrap();
        print_profile(&stopped["profile"]);
    }
    browser.close().await.unwrap();
    let figure = |name: &str| figures[name].as_f64().unwrap();
    let (page, added) = (figure("page"), figure("added"));
    println!(
        "snippet start on a page load (cold): 1,000 links {:.2} ms (median of {COLD_LOADS} \
         loads; 10th percentile {:.2} ms; quickest {:.2} ms), of which the links {:.2} ms \
         (the same page without links {:.2} ms)",
        cold[COLD_LOADS / 2],
        cold[COLD_LOADS / 10],
        cold[0],
        cold[COLD_LOADS / 2] - fixed[COLD_LOADS / 2],
        fixed[COLD_LOADS / 2]
    );
    println!(
        "snippet main-thread time: 1,000 links {page:.2} ms, 100 added links {added:.2} ms, \
         total {:.2} ms (budget 5 ms; medians of 31 runs; 10th percentiles {:.2} and {:.2} ms; \
         quickest runs {:.2} and {:.2} ms); {} links tagged; then {:.2} ms in the next tasks \
         (beacon and config fetches)",
        page + added,
        figure("pageP10"),
        figure("addedP10"),
        figure("pageMin"),
        figure("addedMin"),
        figures["tagged"],
        figure("later")
    );
    assert_eq!(figures["tagged"], 1000);
    assert_eq!(figures["startTagged"], 1000, "{figures}");
    assert_eq!(figures["addedTagged"], 100, "{figures}");
}

/// Prints the functions of a Chromium CPU profile with the most samples of their own. The
/// warm runs include the benchmark page's own appends and waits, and the restores between
/// runs.
fn print_profile(profile: &Value) {
    let mut own = std::collections::HashMap::<String, u64>::new();
    let mut total = 0;
    for node in profile["nodes"].as_array().into_iter().flatten() {
        let frame = &node["callFrame"];
        let name = format!(
            "{} {}:{}",
            frame["functionName"]
                .as_str()
                .filter(|n| !n.is_empty())
                .unwrap_or("(anonymous)"),
            frame["url"]
                .as_str()
                .unwrap_or_default()
                .rsplit('/')
                .next()
                .unwrap_or_default(),
            frame["lineNumber"].as_i64().unwrap_or(-1) + 1
        );
        let hits = node["hitCount"].as_u64().unwrap_or(0);
        total += hits;
        *own.entry(name).or_default() += hits;
    }
    let mut own: Vec<_> = own.into_iter().collect();
    own.sort_by_key(|(_, hits)| std::cmp::Reverse(*hits));
    println!("CPU profile, samples of their own (of {total}):");
    for (name, hits) in own.iter().take(30) {
        println!(
            "{hits:>7} {:>5.1}%  {name}",
            *hits as f64 * 100.0 / total.max(1) as f64
        );
    }
}
