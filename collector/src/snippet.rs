//! The tracker files served at `/t.js` and `/t/<hash>.wasm`, embedded at build time and
//! compressed once ([`Precompressed`]); a site's script (`t.js?site=`) is compressed the first
//! time it is asked for and kept.

pub mod precompressed;

use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};

use actix_web::web::{self, Bytes};
use chatrail_core::beacon::{CONFIG_PLACEHOLDER, WASM_PATH_PLACEHOLDER};

use precompressed::tag_of;
pub use precompressed::Precompressed;

static EMBEDDED_JS: &[u8] = include_bytes!(concat!(env!("OUT_DIR"), "/t.js"));
static EMBEDDED_WASM: &[u8] = include_bytes!(concat!(env!("OUT_DIR"), "/t.wasm"));

/// Site scripts kept compressed, at most: a site's script changes with its config, and one
/// of each known site is what is asked for. Past this many the cache starts again (some
/// 15 KB each with their encodings, so at most about 4 MB).
const SITE_SCRIPTS_KEPT: usize = 256;

/// The snippet, ready to serve; cheap to clone (its clones share what they serve).
#[derive(Debug, Clone)]
pub struct Snippet {
    /// `t.js` with the wasm path filled in and nothing of a site's (`[]`).
    pub js: Arc<Precompressed>,
    /// `t.js` before and after its config literal, for [`Snippet::for_site`]; `None` for a
    /// build without one.
    around_config: Option<(String, String)>,
    /// The wasm module.
    pub wasm: Arc<Precompressed>,
    /// Short content hash naming the wasm URL, so it can be cached forever.
    pub wasm_hash: String,
    /// Sites' scripts with their encodings, by their ETag's tag.
    sites: Arc<Mutex<HashMap<String, Arc<Precompressed>>>>,
}

impl Snippet {
    /// The snippet embedded in this binary, or `None` if it was built without one. Made
    /// (and compressed) once per process.
    pub fn embedded() -> Option<Snippet> {
        static EMBEDDED: OnceLock<Option<Snippet>> = OnceLock::new();
        EMBEDDED
            .get_or_init(|| Snippet::from_parts(EMBEDDED_JS, EMBEDDED_WASM))
            .clone()
    }

    /// Prepares a snippet from the loader script and the wasm module.
    pub fn from_parts(js: &[u8], wasm: &[u8]) -> Option<Snippet> {
        if js.is_empty() || wasm.is_empty() {
            return None;
        }
        let wasm_hash = tag_of(wasm);
        let js = String::from_utf8_lossy(js)
            .replace(WASM_PATH_PLACEHOLDER, &format!("/t/{wasm_hash}.wasm"));
        let literal = format!("\"{CONFIG_PLACEHOLDER}\"");
        let around_config = js
            .split_once(&literal)
            .map(|(before, after)| (before.to_owned(), after.to_owned()));
        let js = js.replace(&literal, "\"[]\"");
        Some(Snippet {
            js: Arc::new(Precompressed::new(js)),
            around_config,
            wasm: Arc::new(Precompressed::new(Bytes::copy_from_slice(wasm))),
            wasm_hash,
            sites: Arc::default(),
        })
    }

    /// `t.js` carrying `preset` (JSON text: the site's key and config) for the loader to
    /// start with; the plain `t.js` when the build has no place for it. With `compress`, its
    /// encodings are made (off the async workers) the first time and kept; without, it is
    /// served as it is (an unknown site's, whose keys anyone may make up: no work to make
    /// them do, nothing to keep).
    pub async fn for_site(&self, preset: &str, compress: bool) -> Arc<Precompressed> {
        let Some((before, after)) = &self.around_config else {
            return self.js.clone();
        };
        // A JSON string is a JS string literal (ES2019 allows U+2028 and U+2029 in them).
        let literal = serde_json::Value::from(preset).to_string();
        // The script's own tag and the literal name the bytes; cheaper than hashing them.
        let tag = tag_of(format!("{}{literal}", self.js.etag().tag()).as_bytes());
        let body = Bytes::from([before.as_str(), &literal, after].concat());
        if !compress {
            return Arc::new(Precompressed::plain(body, tag));
        }
        if let Some(kept) = self.kept(|sites| sites.get(&tag).cloned()) {
            return kept;
        }
        let made = {
            let (body, tag) = (body.clone(), tag.clone());
            web::block(move || Precompressed::tagged(body, tag)).await
        };
        let Ok(made) = made.map(Arc::new) else {
            // The blocking pool is shutting down.
            return Arc::new(Precompressed::plain(body, tag));
        };
        self.kept(|sites| {
            if sites.len() >= SITE_SCRIPTS_KEPT {
                sites.clear();
            }
            sites.insert(tag, made.clone())
        });
        made
    }

    /// `f` of the kept site scripts (none if a panic poisoned their lock).
    fn kept<T>(
        &self,
        f: impl FnOnce(&mut HashMap<String, Arc<Precompressed>>) -> Option<T>,
    ) -> Option<T> {
        self.sites.lock().ok().and_then(|mut sites| f(&mut sites))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wasm_path_is_content_hashed() {
        let s = Snippet::from_parts(b"load('__CHATRAIL_WASM_PATH__')", b"\0asm").unwrap();
        assert_eq!(s.wasm_hash.len(), 16);
        assert_eq!(
            s.js.bytes(),
            format!("load('/t/{}.wasm')", s.wasm_hash).as_bytes()
        );
        assert!(Snippet::from_parts(b"", b"\0asm").is_none());
    }

    #[actix_web::test]
    async fn a_config_goes_into_its_literal() {
        let s = Snippet::from_parts(b"c=JSON.parse(\"__CHATRAIL_CONFIG__\")", b"\0asm").unwrap();
        assert_eq!(s.js.bytes(), "c=JSON.parse(\"[]\")");
        let site = s
            .for_site(r#"["a\"b","{\"template\":\"</script>\"}"]"#, true)
            .await;
        assert_eq!(
            site.bytes(),
            r#"c=JSON.parse("[\"a\\\"b\",\"{\\\"template\\\":\\\"</script>\\\"}\"]")"#
        );
        assert_ne!(site.etag(), s.js.etag());
        let x = s.for_site("[\"x\"]", true).await;
        assert!(Arc::ptr_eq(&x, &s.for_site("[\"x\"]", true).await), "kept");
        assert_eq!(s.for_site("[\"x\"]", false).await.etag(), x.etag());
        assert_ne!(x.etag(), site.etag());
    }

    #[actix_web::test]
    async fn a_build_without_a_config_literal_serves_its_script() {
        let s = Snippet::from_parts(b"plain", b"\0asm").unwrap();
        assert!(Arc::ptr_eq(&s.for_site("[\"x\"]", true).await, &s.js));
    }
}
