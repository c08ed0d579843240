//! A file as the collector serves it: as it is, and gzip- and brotli-encoded once at the best
//! compression (more than a proxy compressing each answer on the fly can afford), the
//! client's `Accept-Encoding` choosing brotli, then gzip, else the file as it is (also when
//! it sends none). Each encoding has its own ETag, the file's with `-gzip` or `-br` (as
//! Apache writes them), since a strong validator names one sequence of bytes; every answer
//! says `Vary: Accept-Encoding`, so caches keep the encodings apart.

use std::io::Write;

use actix_web::http::header::{
    self, AcceptEncoding, ContentEncoding, Encoding, EntityTag, Header, IfNoneMatch,
};
use actix_web::http::StatusCode;
use actix_web::web::Bytes;
use actix_web::{HttpRequest, HttpResponse, HttpResponseBuilder};
use sha2::{Digest, Sha256};

/// Brotli's best quality, and a window as large as these files need.
const BROTLI_QUALITY: i32 = 11;
const BROTLI_WINDOW_BITS: i32 = 22;

/// A file and its encodings.
#[derive(Debug)]
pub struct Precompressed {
    identity: Bytes,
    /// `None` when the file is served only as it is.
    encoded: Option<Encoded>,
    /// The opaque tag of the file's ETag (its own bytes' tag: without quotes or suffix).
    tag: String,
}

#[derive(Debug)]
struct Encoded {
    gzip: Bytes,
    br: Bytes,
}

impl Precompressed {
    /// `bytes` and their encodings; the ETag is a hash of the bytes.
    pub fn new(bytes: impl Into<Bytes>) -> Precompressed {
        let bytes = bytes.into();
        let tag = tag_of(&bytes);
        Precompressed::tagged(bytes, tag)
    }

    /// `bytes`, whose ETag's tag is `tag`, and their encodings. Brotli at its best takes tens
    /// of milliseconds for the snippet's files (70 ms for both in a release build): made
    /// once, not per answer.
    pub fn tagged(bytes: Bytes, tag: String) -> Precompressed {
        let encoded = Encoded {
            gzip: gzip(&bytes),
            br: brotli(&bytes),
        };
        Precompressed {
            identity: bytes,
            encoded: Some(encoded),
            tag,
        }
    }

    /// `bytes`, whose ETag's tag is `tag`, served only as they are.
    pub fn plain(bytes: Bytes, tag: String) -> Precompressed {
        Precompressed {
            identity: bytes,
            encoded: None,
            tag,
        }
    }

    /// The file as it is.
    pub fn bytes(&self) -> &Bytes {
        &self.identity
    }

    /// The strong ETag of the file as it is.
    pub fn etag(&self) -> EntityTag {
        EntityTag::new_strong(self.tag.clone())
    }

    /// The answer to `req`: the file in the encoding the client takes best, or `304 Not
    /// Modified` when its `If-None-Match` names that encoding's ETag. `answer` has the
    /// other headers (type, caching, CORS), which go with a 304 too.
    pub fn respond(&self, req: &HttpRequest, mut answer: HttpResponseBuilder) -> HttpResponse {
        let (coding, body) = self.pick(req);
        let etag = match coding {
            ContentEncoding::Identity => self.etag(),
            coding => EntityTag::new_strong(format!("{}-{}", self.tag, coding.as_str())),
        };
        answer
            .insert_header((header::VARY, "accept-encoding"))
            .insert_header(header::ETag(etag.clone()));
        let fresh = match IfNoneMatch::parse(req) {
            Ok(IfNoneMatch::Any) => true,
            Ok(IfNoneMatch::Items(tags)) => tags.iter().any(|t| t.weak_eq(&etag)),
            Err(_) => false,
        };
        if fresh {
            return answer.status(StatusCode::NOT_MODIFIED).finish();
        }
        if coding != ContentEncoding::Identity {
            answer.insert_header((header::CONTENT_ENCODING, coding.as_str()));
        }
        answer.body(body.clone())
    }

    /// The encoding `req` takes best of those this file has, and its bytes.
    fn pick(&self, req: &HttpRequest) -> (ContentEncoding, &Bytes) {
        let Some(encoded) = &self.encoded else {
            return (ContentEncoding::Identity, &self.identity);
        };
        let offered = [Encoding::brotli(), Encoding::gzip(), Encoding::identity()];
        // No header (or one that does not parse): the file as it is. A client that refuses
        // every encoding, `identity` included, gets it too (better than a 406 for a script).
        let chosen = AcceptEncoding::parse(req)
            .ok()
            .and_then(|accepted| accepted.negotiate(offered.iter()));
        match chosen {
            Some(Encoding::Known(ContentEncoding::Brotli)) => {
                (ContentEncoding::Brotli, &encoded.br)
            }
            Some(Encoding::Known(ContentEncoding::Gzip)) => (ContentEncoding::Gzip, &encoded.gzip),
            _ => (ContentEncoding::Identity, &self.identity),
        }
    }
}

/// The opaque tag of a strong ETag of `bytes`.
pub fn tag_of(bytes: &[u8]) -> String {
    hex::encode(&Sha256::digest(bytes)[..8])
}

fn gzip(bytes: &[u8]) -> Bytes {
    let mut out = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    // Writing to a Vec cannot fail.
    let _ = out.write_all(bytes);
    Bytes::from(out.finish().unwrap_or_default())
}

fn brotli(bytes: &[u8]) -> Bytes {
    let params = brotli::enc::BrotliEncoderParams {
        quality: BROTLI_QUALITY,
        lgwin: BROTLI_WINDOW_BITS,
        size_hint: bytes.len(),
        ..Default::default()
    };
    let mut out = Vec::new();
    // Reading a slice and writing to a Vec cannot fail.
    let _ = brotli::BrotliCompress(&mut &bytes[..], &mut out, &params);
    Bytes::from(out)
}

#[cfg(test)]
mod tests {
    use std::io::Read;

    use actix_web::body::MessageBody;
    use actix_web::test::TestRequest;

    use super::*;

    async fn answer(file: &Precompressed, headers: &[(&str, &str)]) -> HttpResponse {
        let mut req = TestRequest::get();
        for &(name, value) in headers {
            req = req.insert_header((name, value));
        }
        file.respond(&req.to_http_request(), HttpResponse::Ok())
    }

    fn header<'a>(resp: &'a HttpResponse, name: &str) -> &'a str {
        resp.headers()
            .get(name)
            .map_or("", |v| v.to_str().unwrap_or_default())
    }

    fn body(resp: HttpResponse) -> Vec<u8> {
        resp.into_body()
            .try_into_bytes()
            .unwrap_or_default()
            .to_vec()
    }

    fn gunzip(bytes: &[u8]) -> Vec<u8> {
        let mut out = Vec::new();
        flate2::read::GzDecoder::new(bytes)
            .read_to_end(&mut out)
            .unwrap();
        out
    }

    fn unbrotli(bytes: &[u8]) -> Vec<u8> {
        let mut out = Vec::new();
        brotli::Decompressor::new(bytes, 4096)
            .read_to_end(&mut out)
            .unwrap();
        out
    }

    fn file() -> Precompressed {
        Precompressed::new("let chatrail = 'chatrail'; ".repeat(40))
    }

    #[actix_web::test]
    async fn brotli_then_gzip_then_the_file_as_it_is() {
        let file = file();
        let plain = file.bytes().to_vec();
        let cases = [
            ("gzip, deflate, br, zstd", "br"),
            ("br;q=0.5, gzip", "gzip"),
            ("gzip", "gzip"),
            ("GZIP;q=0.1", "gzip"),
            ("identity", ""),
            ("deflate", ""),
            ("br;q=0, gzip;q=0", ""),
            ("*", ""),
            ("", ""),
        ];
        for (accepted, coding) in cases {
            let resp = answer(&file, &[("accept-encoding", accepted)]).await;
            assert_eq!(resp.status(), 200, "{accepted}");
            assert_eq!(header(&resp, "content-encoding"), coding, "{accepted}");
            assert_eq!(header(&resp, "vary"), "accept-encoding");
            let want_tag = match coding {
                "" => format!("\"{}\"", file.tag),
                coding => format!("\"{}-{coding}\"", file.tag),
            };
            assert_eq!(header(&resp, "etag"), want_tag, "{accepted}");
            let bytes = body(resp);
            let decoded = match coding {
                "br" => unbrotli(&bytes),
                "gzip" => gunzip(&bytes),
                _ => bytes.clone(),
            };
            assert_eq!(decoded, plain, "{accepted}");
            if !coding.is_empty() {
                assert!(bytes.len() * 4 < plain.len(), "{accepted}: {}", bytes.len());
            }
        }
        let resp = answer(&file, &[]).await;
        assert_eq!(header(&resp, "content-encoding"), "");
        assert_eq!(body(resp), plain);
    }

    #[actix_web::test]
    async fn not_modified_only_for_the_etag_of_the_encoding_chosen() {
        let file = file();
        let tag = |suffix: &str| format!("\"{}{suffix}\"", file.tag);
        let cases = [
            ("br", tag("-br"), 304),
            ("br", format!("W/{}", tag("-br")), 304),
            ("br", format!("\"x\", {}", tag("-br")), 304),
            ("br", tag("-gzip"), 200),
            ("br", tag(""), 200),
            ("gzip", tag("-gzip"), 304),
            ("gzip", tag("-br"), 200),
            ("identity", tag(""), 304),
            ("identity", tag("-gzip"), 200),
            ("gzip", "*".to_owned(), 304),
        ];
        for (accepted, tags, status) in cases {
            let resp = answer(
                &file,
                &[("accept-encoding", accepted), ("if-none-match", &tags)],
            )
            .await;
            assert_eq!(resp.status(), status, "{accepted} {tags}");
            assert_eq!(header(&resp, "vary"), "accept-encoding");
            if status == 304 {
                assert_eq!(header(&resp, "content-encoding"), "");
                assert!(body(resp).is_empty());
            }
        }
    }

    #[actix_web::test]
    async fn a_plain_file_is_served_as_it_is() {
        let file = Precompressed::plain(Bytes::from_static(b"x"), "t".into());
        let resp = answer(&file, &[("accept-encoding", "br, gzip")]).await;
        assert_eq!(header(&resp, "content-encoding"), "");
        assert_eq!(header(&resp, "etag"), "\"t\"");
        assert_eq!(body(resp), b"x");
    }
}
