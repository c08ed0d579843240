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

/// Runs in the page before the snippet, for [`bench_a_first_visit`]: `t0` when the snippet
/// starts (it asks for its wasm at once), `taggedAt` once all `LINKS` links carry a code.
const FIRST: &str = r#"<script>
const instantiate = WebAssembly.instantiateStreaming;
WebAssembly.instantiateStreaming = function () {
  window.t0 = performance.now();
  return instantiate.apply(this, arguments);
};
new MutationObserver(() => {
  if (window.taggedAt == null && document.querySelectorAll("a[href*='ref%20']").length == LINKS)
    window.taggedAt = performance.now();
}).observe(document, { subtree: true, attributes: true, attributeFilter: ["href"] });
</script>"#;

/// Links on the first-visit page.
const FIRST_LINKS: usize = 20;
/// First visits measured per script tag and network latency.
const FIRST_LOADS: usize = 21;

/// A visitor's first page view (an empty profile: no HTTP cache, no stored config), for each
/// script tag (`t.js` with `data-site`, which fetches the site's config; `t.js?site=`, which
/// comes with it) and each network latency (Chromium's emulation, added to every request):
/// - the time from the snippet's start to every link tagged, and from the navigation's start
///   (medians and 90th percentiles of `FIRST_LOADS` loads);
/// - the share of real clicks on a chat link, made 100 ms after the page's first paint (or at
///   its load, when that is later: the delay is printed), that open a chat with a code.
///
/// Both pages carry `data-site`, so a build from before `t.js?site=` measures the same pages.
///
/// ```sh
/// cargo test -p chatrail-tests --test browser bench_a_first_visit -- --ignored --nocapture
/// ```
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "a benchmark: run with --ignored --nocapture to print the figures"]
async fn bench_a_first_visit() {
    let app = spawn_app(Backend::Sqlite).await;
    let mut links = String::new();
    for i in 0..FIRST_LINKS {
        let id = if i == 0 { " id=\"l\"" } else { "" };
        links.push_str(&format!(
            "<a{id} href=\"https://wa.me/79001234567?text=Item%20{i}\">Chat about item {i}</a>\n"
        ));
    }
    let html = |src: &str| {
        format!(
            "<!doctype html><html><head>{}</head><body><h1>Oak tables</h1>{links}\
             <script async src=\"{}/{src}\" data-site=\"shop\"></script></body></html>",
            FIRST.replace("LINKS", &FIRST_LINKS.to_string()),
            app.base
        )
    };
    let port = pages::serve(vec![
        ("/tag".into(), html("t.js")),
        ("/site".into(), html("t.js?site=shop")),
    ])
    .await
    .unwrap();
    let origin = format!("http://localhost:{port}");
    let browser = Browser::start().await.expect("chromium starts");
    browser.cdp("Network.enable", json!({})).await.unwrap();
    let forget = || async {
        browser
            .cdp("Network.clearBrowserCache", json!({}))
            .await
            .unwrap();
        browser
            .cdp(
                "Storage.clearDataForOrigin",
                json!({"origin": origin, "storageTypes": "local_storage"}),
            )
            .await
            .unwrap();
    };
    let client = &browser.client;
    for latency in [0, 40, 80] {
        browser
            .cdp(
                "Network.emulateNetworkConditions",
                json!({"offline": false, "latency": latency, "downloadThroughput": -1,
                       "uploadThroughput": -1}),
            )
            .await
            .unwrap();
        for page in ["tag", "site"] {
            let (mut from_start, mut from_navigation, mut untagged) = (vec![], vec![], 0);
            for _ in 0..FIRST_LOADS {
                forget().await;
                client.goto(&format!("{origin}/{page}")).await.unwrap();
                let times: Value = client
                    .execute(
                        "return new Promise(r => { const end = performance.now() + 5000; \
                         const t = () => window.taggedAt != null ? r([taggedAt - t0, taggedAt]) \
                         : performance.now() > end ? r(null) : setTimeout(t, 5); t(); })",
                        vec![],
                    )
                    .await
                    .unwrap();
                match times.as_array() {
                    Some(t) => {
                        from_start.push(t[0].as_f64().unwrap());
                        from_navigation.push(t[1].as_f64().unwrap());
                    }
                    None => untagged += 1,
                }
            }
            let (mut tagged, mut delays) = (0, vec![]);
            for _ in 0..FIRST_LOADS {
                forget().await;
                client.goto(&format!("{origin}/{page}")).await.unwrap();
                let shown: Value = client
                    .execute(
                        "return new Promise(r => { const t = () => { const p = \
                         performance.getEntriesByName('first-paint')[0] || \
                         performance.getEntriesByName('first-contentful-paint')[0]; \
                         p ? r(performance.now() - p.startTime) : setTimeout(t, 2); }; t(); })",
                        vec![],
                    )
                    .await
                    .unwrap();
                let shown = shown.as_f64().unwrap();
                if shown < 100.0 {
                    tokio::time::sleep(std::time::Duration::from_secs_f64(
                        (100.0 - shown) / 1000.0,
                    ))
                    .await;
                }
                delays.push(shown.max(100.0));
                let sent = browser.click_and_capture_navigation("#l").await.unwrap();
                if sent.contains("ref%20") {
                    tagged += 1;
                }
            }
            let q = |v: &mut Vec<f64>, q: f64| {
                v.sort_by(f64::total_cmp);
                v.get(((v.len().max(1) - 1) as f64 * q) as usize)
                    .copied()
                    .unwrap_or(f64::NAN)
            };
            println!(
                "first visit, {page:>3}, latency {latency:>2} ms: all {FIRST_LINKS} links tagged \
                 {:.1} ms after the snippet's start (median; 90th percentile {:.1} ms), {:.1} ms \
                 after the navigation's ({:.1} ms){}; clicks 100 ms after first paint (median \
                 {:.0} ms): {tagged}/{FIRST_LOADS} tagged",
                q(&mut from_start, 0.5),
                q(&mut from_start, 0.9),
                q(&mut from_navigation, 0.5),
                q(&mut from_navigation, 0.9),
                if untagged > 0 {
                    format!(", {untagged} loads not tagged within 5 s")
                } else {
                    String::new()
                },
                q(&mut delays, 0.5),
            );
        }
    }
    browser.close().await.unwrap();
}
