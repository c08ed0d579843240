//! Compression over real HTTP: the snippet's files and the dashboard's come precompressed
//! (brotli, else gzip, else as they are, by `Accept-Encoding`), each encoding with its own
//! ETag and `304` for it; the API's JSON is compressed on the fly; beacons' and webhooks'
//! short answers are not compressed. Every encoded answer is decoded and compared with the
//! answer without `Accept-Encoding`. Nothing here touches storage: SQLite only.

use std::collections::BTreeSet;
use std::io::Read;

use chatrail_collector::providers::signature::hub_signature;
use chatrail_tests::app::{spawn_app, whatsapp_text, Backend, TestApp, APP_SECRET};
use chatrail_tests::inbound::Browsing;
use serde_json::json;

/// A browser's `Accept-Encoding`, and what the collector should answer it with.
const ACCEPTED: [(&str, &str); 7] = [
    ("gzip, deflate, br, zstd", "br"),
    ("br", "br"),
    ("gzip", "gzip"),
    ("br;q=0.5, gzip", "gzip"),
    ("deflate", ""),
    ("identity", ""),
    ("br;q=0, gzip;q=0", ""),
];

/// An answer read whole.
struct Answer {
    status: u16,
    coding: String,
    etag: String,
    vary: String,
    body: Vec<u8>,
}

async fn get(app: &TestApp, path: &str, headers: &[(&str, &str)]) -> Answer {
    let mut req = app.http.get(format!("{}{path}", app.base));
    for &(name, value) in headers {
        req = req.header(name, value);
    }
    if path.starts_with("/api/") {
        req = req.bearer_auth(&app.token);
    }
    let res = req.send().await.unwrap();
    let header = |name: &str| {
        res.headers()
            .get(name)
            .map_or("", |v| v.to_str().unwrap())
            .to_owned()
    };
    Answer {
        status: res.status().as_u16(),
        coding: header("content-encoding"),
        etag: header("etag"),
        vary: header("vary").to_ascii_lowercase(),
        body: res.bytes().await.unwrap().to_vec(),
    }
}

fn decode(coding: &str, bytes: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    match coding {
        "gzip" => flate2::read::GzDecoder::new(bytes)
            .read_to_end(&mut out)
            .unwrap(),
        "deflate" => flate2::read::ZlibDecoder::new(bytes)
            .read_to_end(&mut out)
            .unwrap(),
        "br" => brotli::Decompressor::new(bytes, 4096)
            .read_to_end(&mut out)
            .unwrap(),
        "" => return bytes.to_vec(),
        other => panic!("unexpected content-encoding {other}"),
    };
    out
}

/// Bytes of `path` as it is, gzip'd and brotli'd.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Sizes {
    identity: usize,
    gzip: usize,
    br: usize,
}

/// Checks a precompressed file: each `Accept-Encoding` gets its encoding, which decodes to
/// the answer without one, with `Vary` and an ETag of its own; that ETag gets a 304 (and
/// no body) for the same encoding and not for another. Returns the sizes.
async fn precompressed(app: &TestApp, path: &str) -> Sizes {
    let plain = get(app, path, &[]).await;
    assert_eq!(plain.status, 200, "{path}");
    assert_eq!(plain.coding, "", "{path}: as it is without Accept-Encoding");
    assert_eq!(plain.vary, "accept-encoding", "{path}");
    let mut sizes = Sizes {
        identity: plain.body.len(),
        gzip: 0,
        br: 0,
    };
    let mut etags = BTreeSet::from([plain.etag.clone()]);
    for (accepted, coding) in ACCEPTED {
        let answer = get(app, path, &[("accept-encoding", accepted)]).await;
        assert_eq!(answer.status, 200, "{path} {accepted}");
        assert_eq!(answer.coding, coding, "{path} {accepted}");
        assert_eq!(answer.vary, "accept-encoding", "{path} {accepted}");
        assert_eq!(
            decode(coding, &answer.body),
            plain.body,
            "{path} {accepted}"
        );
        match coding {
            "gzip" => sizes.gzip = answer.body.len(),
            "br" => sizes.br = answer.body.len(),
            _ => assert_eq!(answer.etag, plain.etag, "{path} {accepted}"),
        }
        etags.insert(answer.etag.clone());
        let again = [
            ("accept-encoding", accepted),
            ("if-none-match", &answer.etag),
        ];
        let again = get(app, path, &again).await;
        assert_eq!(again.status, 304, "{path} {accepted}");
        assert_eq!(again.etag, answer.etag, "{path} {accepted}");
        assert_eq!(again.vary, "accept-encoding", "{path} {accepted}");
        assert!(again.body.is_empty(), "{path} {accepted}");
    }
    assert_eq!(etags.len(), 3, "an ETag per encoding: {etags:?}");
    // Another encoding's ETag is not this one's.
    let other = [("accept-encoding", "br"), ("if-none-match", &plain.etag)];
    assert_eq!(get(app, path, &other).await.status, 200, "{path}");
    assert!(
        sizes.br < sizes.gzip && sizes.gzip < sizes.identity,
        "{path}: {sizes:?}"
    );
    sizes
}

#[tokio::test]
async fn the_snippet_is_served_precompressed() {
    let app = spawn_app(Backend::Sqlite).await;
    let js = precompressed(&app, "/t.js").await;
    let site = precompressed(&app, "/t.js?site=shop").await;
    let script = String::from_utf8(get(&app, "/t.js", &[]).await.body).unwrap();
    let start = script.find("/t/").expect("t.js names the wasm path");
    let wasm_path = &script[start..start + script[start..].find(".wasm").unwrap() + 5];
    let wasm = precompressed(&app, wasm_path).await;
    println!(
        "snippet bytes as served (identity / gzip / br): t.js {} / {} / {}; \
         t.js?site=shop {} / {} / {}; wasm {} / {} / {}; t.js and wasm {} / {} / {}",
        js.identity,
        js.gzip,
        js.br,
        site.identity,
        site.gzip,
        site.br,
        wasm.identity,
        wasm.gzip,
        wasm.br,
        js.identity + wasm.identity,
        js.gzip + wasm.gzip,
        js.br + wasm.br
    );

    // An unknown site's script (anyone can make up keys) is served as it is.
    let unknown = get(&app, "/t.js?site=nope", &[("accept-encoding", "br, gzip")]).await;
    assert_eq!((unknown.status, unknown.coding.as_str()), (200, ""));
    assert!(String::from_utf8(unknown.body).unwrap().contains("nope"));
    let again = [("accept-encoding", "br"), ("if-none-match", &unknown.etag)];
    assert_eq!(get(&app, "/t.js?site=nope", &again).await.status, 304);
}

#[tokio::test]
async fn the_dashboard_and_the_api_answer_compressed() {
    let app = spawn_app(Backend::Sqlite).await;
    for path in ["/dashboard/", "/dashboard/app.js", "/dashboard/app.css"] {
        precompressed(&app, path).await;
    }
    // The API's JSON, compressed as it is sent (no ETag: it is not to be kept).
    for path in ["/api/v1/openapi.json", "/api/v1/dialogs"] {
        let plain = get(&app, path, &[]).await;
        assert_eq!((plain.status, plain.coding.as_str()), (200, ""), "{path}");
        for (accepted, coding) in ACCEPTED {
            // Compressing as it sends, actix-web offers deflate too.
            let coding = if accepted == "deflate" {
                accepted
            } else {
                coding
            };
            let answer = get(&app, path, &[("accept-encoding", accepted)]).await;
            assert_eq!(answer.status, 200, "{path} {accepted}");
            assert_eq!(answer.coding, coding, "{path} {accepted}");
            assert_eq!(
                decode(coding, &answer.body),
                plain.body,
                "{path} {accepted}"
            );
        }
    }
    let spec = get(&app, "/api/v1/openapi.json", &[("accept-encoding", "br")]).await;
    let identity = get(&app, "/api/v1/openapi.json", &[]).await.body.len();
    assert!(
        spec.body.len() * 4 < identity,
        "{} of {identity}",
        spec.body.len()
    );
    println!(
        "the API's description: {identity} B, {} B with brotli",
        spec.body.len()
    );
}

#[tokio::test]
async fn beacons_and_webhooks_are_answered_as_they_are() {
    let app = spawn_app(Backend::Sqlite).await;
    let b = Browsing::random();
    let visit = json!({"site": "shop", "visitor": b.visitor, "session": b.session,
        "code": b.code, "url": "https://shop.test/oak", "referrer": ""})
    .to_string();
    let message = whatsapp_text("wamid.z1", "5511987654321", "Ana", "Hi", 1_763_805_600);
    let signature = hub_signature(APP_SECRET.as_bytes(), message.as_bytes());
    let ua = "Mozilla/5.0 (X11; Linux x86_64) Chrome/120.0.0.0";
    for (path, content_type, (name, value), body, status) in [
        (
            "/collect/visit",
            "text/plain",
            ("user-agent", ua),
            visit,
            202,
        ),
        (
            "/webhooks/whatsapp",
            "application/json",
            ("x-hub-signature-256", signature.as_str()),
            message,
            200,
        ),
    ] {
        let answer = app
            .http
            .post(format!("{}{path}", app.base))
            .header("content-type", content_type)
            .header("accept-encoding", "gzip, deflate, br, zstd")
            .header(name, value)
            .body(body)
            .send()
            .await
            .unwrap();
        assert_eq!(answer.status(), status, "{path}");
        assert!(answer.headers().get("content-encoding").is_none(), "{path}");
    }
}
