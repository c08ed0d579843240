//! Requests as raw bytes on their own connection, for what an HTTP client will not send:
//! invalid UTF-8 in a path, control characters, odd headers, chunked bodies of any size. The
//! request should say `Connection: close`; the answer is read to its end (an event stream: to
//! its head).

use std::io;
use std::net::SocketAddr;
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// An answer read off the wire.
#[derive(Debug, Clone)]
pub struct RawAnswer {
    /// The status code.
    pub status: u16,
    /// Header names (lower-case) and values.
    pub headers: Vec<(String, String)>,
    /// The body, de-chunked if it was sent chunked.
    pub body: Vec<u8>,
}

impl RawAnswer {
    /// The first header `name` (lower-case).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }
}

/// Why a raw exchange gave no answer.
#[derive(Debug)]
pub enum RawError {
    /// The connection could not be made, or broke before any answer.
    Io(io::Error),
    /// The connection closed without a complete answer (a dropped connection).
    NoAnswer(Vec<u8>),
    /// No answer within the time given.
    Timeout,
}

/// Sends `request` to `addr` and reads the answer until the server closes the connection,
/// within `timeout`. A write the server cuts short (it answered early) still reads the answer.
pub async fn exchange(
    addr: SocketAddr,
    request: &[u8],
    timeout: Duration,
) -> Result<RawAnswer, RawError> {
    let work = async {
        let stream = TcpStream::connect(addr).await.map_err(RawError::Io)?;
        // Written while the answer is read: a server that answers before it has read the
        // body (or never reads it) must not leave both ends waiting on full buffers.
        let (mut reader, mut writer) = stream.into_split();
        let request = request.to_vec();
        let writing = tokio::spawn(async move {
            let written = writer.write_all(&request).await;
            (written, writer)
        });
        // Read until the answer is complete (its length, or its last chunk), or the
        // connection ends. (actix answers a request whose body it did not read, then keeps
        // the connection until the client closes it, `Connection: close` or not.)
        let mut received = Vec::new();
        let mut buf = vec![0u8; 64 * 1024];
        let read = loop {
            match reader.read(&mut buf).await {
                Ok(0) => break Ok(()),
                Ok(n) => {
                    received.extend_from_slice(&buf[..n]);
                    if complete(&received) {
                        break Ok(());
                    }
                }
                Err(e) => break Err(e),
            }
        };
        writing.abort();
        match parse(&received) {
            Some(answer) => Ok(answer),
            None => match read {
                Err(e) if received.is_empty() => Err(RawError::Io(e)),
                _ => Err(RawError::NoAnswer(received)),
            },
        }
    };
    tokio::time::timeout(timeout, work)
        .await
        .unwrap_or(Err(RawError::Timeout))
}

/// Whether `bytes` hold a whole answer with a body: all its `Content-Length`, or its last
/// chunk (an answer without either ends with the connection), or the head of an event
/// stream, whose body never ends.
fn complete(bytes: &[u8]) -> bool {
    let mut headers = [httparse::EMPTY_HEADER; 64];
    let mut response = httparse::Response::new(&mut headers);
    let Ok(httparse::Status::Complete(head_len)) = response.parse(bytes) else {
        return false;
    };
    if response
        .code
        .is_some_and(|c| (100..200).contains(&c) && c != 101)
    {
        return complete(&bytes[head_len..]);
    }
    let rest = &bytes[head_len..];
    if response.headers.iter().any(is_event_stream) {
        return true;
    }
    for h in response.headers.iter() {
        if h.name.eq_ignore_ascii_case("content-length") {
            let len = std::str::from_utf8(h.value)
                .ok()
                .and_then(|v| v.trim().parse::<usize>().ok());
            return len.is_some_and(|len| rest.len() >= len);
        }
        if h.name.eq_ignore_ascii_case("transfer-encoding") {
            return dechunk(rest).is_some();
        }
    }
    false
}

/// Parses a complete answer (head and body), or `None`.
pub fn parse(bytes: &[u8]) -> Option<RawAnswer> {
    let mut headers = [httparse::EMPTY_HEADER; 64];
    let mut response = httparse::Response::new(&mut headers);
    let httparse::Status::Complete(head_len) = response.parse(bytes).ok()? else {
        return None;
    };
    let status = response.code?;
    if (100..200).contains(&status) && status != 101 {
        // An interim answer (`100 Continue`): the real one follows.
        return parse(&bytes[head_len..]);
    }
    let headers: Vec<(String, String)> = response
        .headers
        .iter()
        .map(|h| {
            (
                h.name.to_ascii_lowercase(),
                String::from_utf8_lossy(h.value).into_owned(),
            )
        })
        .collect();
    let rest = &bytes[head_len..];
    let chunked = headers
        .iter()
        .any(|(n, v)| n == "transfer-encoding" && v.to_ascii_lowercase().contains("chunked"));
    let body = if response.headers.iter().any(is_event_stream) {
        // A stream's first events, if any came with its head: it never ends.
        rest.to_vec()
    } else if chunked {
        // Nothing after the head: the answer to a `HEAD`.
        dechunk(rest).or_else(|| rest.is_empty().then(Vec::new))?
    } else {
        match headers.iter().find(|(n, _)| n == "content-length") {
            // Shorter only after a `HEAD`, whose answer announces a body it does not send.
            Some((_, len)) => {
                let len: usize = len.trim().parse().ok()?;
                rest[..len.min(rest.len())].to_vec()
            }
            None => rest.to_vec(),
        }
    };
    Some(RawAnswer {
        status,
        headers,
        body,
    })
}

/// Whether `header` says the body is a server-sent event stream.
fn is_event_stream(header: &httparse::Header<'_>) -> bool {
    header.name.eq_ignore_ascii_case("content-type")
        && header.value.starts_with(b"text/event-stream")
}

fn dechunk(mut rest: &[u8]) -> Option<Vec<u8>> {
    let mut body = Vec::new();
    loop {
        let line_end = rest.windows(2).position(|w| w == b"\r\n")?;
        let size = std::str::from_utf8(&rest[..line_end]).ok()?;
        let size = usize::from_str_radix(size.split(';').next()?.trim(), 16).ok()?;
        rest = &rest[line_end + 2..];
        if size == 0 {
            return Some(body);
        }
        body.extend_from_slice(rest.get(..size)?);
        rest = rest.get(size + 2..)?;
    }
}

/// A chunked body: `body` in chunks of `chunk` bytes, then the last chunk.
pub fn chunked(body: &[u8], chunk: usize) -> Vec<u8> {
    let mut out = Vec::with_capacity(body.len() + body.len() / chunk.max(1) * 8 + 8);
    for part in body.chunks(chunk.max(1)) {
        out.extend_from_slice(format!("{:x}\r\n", part.len()).as_bytes());
        out.extend_from_slice(part);
        out.extend_from_slice(b"\r\n");
    }
    out.extend_from_slice(b"0\r\n\r\n");
    out
}
