//! The tracker files served at `/t.js` and `/t/<hash>.wasm`, embedded at build time.

use actix_web::web::Bytes;
use chatrail_core::beacon::{CONFIG_PLACEHOLDER, WASM_PATH_PLACEHOLDER};
use sha2::{Digest, Sha256};

static EMBEDDED_JS: &[u8] = include_bytes!(concat!(env!("OUT_DIR"), "/t.js"));
static EMBEDDED_WASM: &[u8] = include_bytes!(concat!(env!("OUT_DIR"), "/t.wasm"));

/// The snippet, ready to serve.
#[derive(Debug, Clone)]
pub struct Snippet {
    /// `t.js` with the wasm path filled in and nothing of a site's (`[]`).
    pub js: Bytes,
    /// Strong ETag of `t.js`.
    pub js_etag: String,
    /// `t.js` before and after its config literal, for [`Snippet::with_config`]; `None` for a
    /// build without one.
    around_config: Option<(String, String)>,
    /// The wasm module.
    pub wasm: Bytes,
    /// Short content hash naming the wasm URL, so it can be cached forever.
    pub wasm_hash: String,
}

impl Snippet {
    /// The snippet embedded in this binary, or `None` if it was built without one.
    pub fn embedded() -> Option<Snippet> {
        Snippet::from_parts(EMBEDDED_JS, EMBEDDED_WASM)
    }

    /// Prepares a snippet from the loader script and the wasm module.
    pub fn from_parts(js: &[u8], wasm: &[u8]) -> Option<Snippet> {
        if js.is_empty() || wasm.is_empty() {
            return None;
        }
        let wasm_hash = hex::encode(&Sha256::digest(wasm)[..8]);
        let js = String::from_utf8_lossy(js)
            .replace(WASM_PATH_PLACEHOLDER, &format!("/t/{wasm_hash}.wasm"));
        let literal = format!("\"{CONFIG_PLACEHOLDER}\"");
        let around_config = js
            .split_once(&literal)
            .map(|(before, after)| (before.to_owned(), after.to_owned()));
        let js = js.replace(&literal, "\"[]\"");
        let js_etag = etag(js.as_bytes());
        Some(Snippet {
            js: Bytes::from(js),
            js_etag,
            around_config,
            wasm: Bytes::copy_from_slice(wasm),
            wasm_hash,
        })
    }

    /// `t.js` carrying `preset` (JSON text: the site's key and config) for the loader to
    /// start with, and its ETag; the plain `t.js` when the build has no place for it.
    pub fn with_config(&self, preset: &str) -> (Bytes, String) {
        let Some((before, after)) = &self.around_config else {
            return (self.js.clone(), self.js_etag.clone());
        };
        // A JSON string is a JS string literal (ES2019 allows U+2028 and U+2029 in them).
        let literal = serde_json::Value::from(preset).to_string();
        let tag = etag(format!("{}{literal}", self.js_etag).as_bytes());
        (
            Bytes::from([before.as_str(), &literal, after].concat()),
            tag,
        )
    }
}

/// A strong ETag of `bytes`.
fn etag(bytes: &[u8]) -> String {
    format!("\"{}\"", hex::encode(&Sha256::digest(bytes)[..8]))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wasm_path_is_content_hashed() {
        let s = Snippet::from_parts(b"load('__CHATRAIL_WASM_PATH__')", b"\0asm").unwrap();
        assert_eq!(s.wasm_hash.len(), 16);
        assert_eq!(s.js, format!("load('/t/{}.wasm')", s.wasm_hash));
        assert!(Snippet::from_parts(b"", b"\0asm").is_none());
        assert_eq!(s.with_config("[]"), (s.js.clone(), s.js_etag.clone()));
    }

    #[test]
    fn a_config_goes_into_its_literal() {
        let s = Snippet::from_parts(b"c=JSON.parse(\"__CHATRAIL_CONFIG__\")", b"\0asm").unwrap();
        assert_eq!(s.js, "c=JSON.parse(\"[]\")");
        let (js, tag) = s.with_config(r#"["a\"b","{\"template\":\"</script>\"}"]"#);
        assert_eq!(
            js,
            r#"c=JSON.parse("[\"a\\\"b\",\"{\\\"template\\\":\\\"</script>\\\"}\"]")"#
        );
        assert_ne!(tag, s.js_etag);
        assert_eq!(s.with_config("[\"x\"]").1, s.with_config("[\"x\"]").1);
        assert_ne!(s.with_config("[\"x\"]").1, tag);
    }
}
