//! The smallest HTTP/1.1 client connection the load generator needs: one keep-alive TCP
//! connection, one request at a time, written with a single `write` and read into one reused
//! buffer, the answer's head parsed with `httparse`, its body framed by `Content-Length` or
//! chunked encoding.
//!
//! Why not hyper's client: there every request crosses from the sending task to the
//! connection's task and back through channels, and builds header maps both ways. Against the
//! bare server on the project's 2-core machine, in alternating 4-second runs at 64
//! connections, hyper's client connection reached 70–99k requests/s, this one 111–124k/s and
//! `wrk -t2` 106–147k/s: the load generator is no longer what limits the bare server.

use std::io;
use std::net::SocketAddr;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::traffic::Request;

/// Most header lines read from an answer.
const MAX_HEADERS: usize = 32;

/// An answer: its status and body.
#[derive(Debug)]
pub struct Answer {
    /// The status code.
    pub status: u16,
    /// The body (de-chunked).
    pub body: Vec<u8>,
}

/// One open connection.
#[derive(Debug)]
pub struct Connection {
    stream: TcpStream,
    host: String,
    /// The request being written.
    out: Vec<u8>,
    /// Bytes read and not yet consumed.
    buf: Vec<u8>,
    filled: usize,
    /// The server said `Connection: close`.
    closing: bool,
}

fn invalid(what: impl Into<String>) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, what.into())
}

impl Connection {
    /// Opens a connection to `addr`.
    pub async fn open(addr: SocketAddr) -> io::Result<Connection> {
        let stream = TcpStream::connect(addr).await?;
        stream.set_nodelay(true)?;
        Ok(Connection {
            stream,
            host: addr.to_string(),
            out: Vec::with_capacity(4096),
            buf: vec![0; 8192],
            filled: 0,
            closing: false,
        })
    }

    /// Whether the server asked to close the connection after its last answer.
    pub fn closing(&self) -> bool {
        self.closing
    }

    /// Sends `r` as a `POST` and reads the whole answer.
    pub async fn post(&mut self, r: &Request) -> io::Result<Answer> {
        use std::io::Write;
        self.out.clear();
        write!(
            self.out,
            "POST {} HTTP/1.1\r\nHost: {}\r\nContent-Type: {}\r\nUser-Agent: {}\r\nContent-Length: {}\r\n",
            r.path,
            self.host,
            r.content_type,
            r.user_agent,
            r.body.len()
        )?;
        if let Some(signature) = &r.signature {
            write!(self.out, "X-Hub-Signature-256: {signature}\r\n")?;
        }
        self.out.extend_from_slice(b"\r\n");
        self.out.extend_from_slice(r.body.as_bytes());
        self.stream.write_all(&self.out).await?;
        self.read_answer().await
    }

    /// Reads until `self.buf[..self.filled]` holds at least `n` bytes.
    async fn fill(&mut self, n: usize) -> io::Result<()> {
        while self.filled < n {
            if self.buf.len() < n.max(self.filled + 1024) {
                self.buf
                    .resize(n.max(self.filled + 1024).next_power_of_two(), 0);
            }
            let read = self.stream.read(&mut self.buf[self.filled..]).await?;
            if read == 0 {
                return Err(io::ErrorKind::UnexpectedEof.into());
            }
            self.filled += read;
        }
        Ok(())
    }

    /// Drops the first `n` bytes read.
    fn consume(&mut self, n: usize) {
        self.buf.copy_within(n..self.filled, 0);
        self.filled -= n;
    }

    async fn read_answer(&mut self) -> io::Result<Answer> {
        let (head, status, length, chunked) = loop {
            let mut headers = [httparse::EMPTY_HEADER; MAX_HEADERS];
            let mut resp = httparse::Response::new(&mut headers);
            match resp
                .parse(&self.buf[..self.filled])
                .map_err(|e| invalid(e.to_string()))?
            {
                httparse::Status::Complete(head) => {
                    let status = resp.code.unwrap_or(0);
                    let (mut length, mut chunked) = (None, false);
                    for h in resp.headers.iter() {
                        let value = std::str::from_utf8(h.value).unwrap_or("").trim();
                        if h.name.eq_ignore_ascii_case("content-length") {
                            length = Some(value.parse::<usize>().map_err(|_| invalid("length"))?);
                        } else if h.name.eq_ignore_ascii_case("transfer-encoding") {
                            chunked = value.eq_ignore_ascii_case("chunked");
                        } else if h.name.eq_ignore_ascii_case("connection") {
                            self.closing = value.eq_ignore_ascii_case("close");
                        }
                    }
                    break (head, status, length, chunked);
                }
                httparse::Status::Partial => {
                    let want = self.filled + 1;
                    self.fill(want).await?;
                }
            }
        };
        self.consume(head);
        let body = if chunked {
            self.read_chunks().await?
        } else if let Some(length) = length {
            self.fill(length).await?;
            let body = self.buf[..length].to_vec();
            self.consume(length);
            body
        } else if status == 204 || status == 304 || (100..200).contains(&status) {
            Vec::new()
        } else {
            // Neither length nor chunks: the body runs to the end of the connection.
            return Err(invalid(
                "an answer without Content-Length on a kept-alive connection",
            ));
        };
        Ok(Answer { status, body })
    }

    async fn read_chunks(&mut self) -> io::Result<Vec<u8>> {
        let mut body = Vec::new();
        loop {
            let (line, size) = loop {
                match httparse::parse_chunk_size(&self.buf[..self.filled]) {
                    Ok(httparse::Status::Complete((line, size))) => break (line, size as usize),
                    Ok(httparse::Status::Partial) => {
                        let want = self.filled + 1;
                        self.fill(want).await?;
                    }
                    Err(_) => return Err(invalid("a bad chunk size")),
                }
            };
            // The chunk and its CRLF; the last (empty) chunk is followed by an empty trailer.
            self.fill(line + size + 2).await?;
            body.extend_from_slice(&self.buf[line..line + size]);
            self.consume(line + size + 2);
            if size == 0 {
                return Ok(body);
            }
        }
    }
}
