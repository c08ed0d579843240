//! The tracker files served at `/t.js` and `/t/<hash>.wasm`, embedded at build time.

use actix_web::web::Bytes;
use chatrail_core::beacon::WASM_PATH_PLACEHOLDER;
use sha2::{Digest, Sha256};

static EMBEDDED_JS: &[u8] = include_bytes!(concat!(env!("OUT_DIR"), "/t.js"));
static EMBEDDED_WASM: &[u8] = include_bytes!(concat!(env!("OUT_DIR"), "/t.wasm"));

/// The snippet, ready to serve.
#[derive(Debug, Clone)]
pub struct Snippet {
    /// `t.js` with the wasm path filled in.
    pub js: Bytes,
    /// Strong ETag of `t.js`.
    pub js_etag: String,
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
        let js_etag = format!("\"{}\"", hex::encode(&Sha256::digest(js.as_bytes())[..8]));
        Some(Snippet {
            js: Bytes::from(js),
            js_etag,
            wasm: Bytes::copy_from_slice(wasm),
            wasm_hash,
        })
    }
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
    }
}
