//! The log: one line per event, whatever the event carries.
//!
//! Log fields hold text from strangers (a query parameter's name in an error, a webhook's
//! field). A newline in one would start a forged log line, an escape sequence would drive
//! the operator's terminal. The formatter writes each event with a single `write` ending in
//! its newline; [`OneLine`] escapes every other control character in it on the way out.

use std::io::{self, Write};

use tracing_subscriber::fmt::MakeWriter;

/// Installs the global subscriber: `RUST_LOG` (default `info,sqlx=warn`), to standard error,
/// in the format `CHATRAIL_LOG_FORMAT` names (see [`LogFormat`]).
pub fn init() {
    let format = std::env::var("CHATRAIL_LOG_FORMAT").unwrap_or_default();
    let format = LogFormat::parse(&format).unwrap_or_else(|| {
        eprintln!("CHATRAIL_LOG_FORMAT={format:?} is neither text nor json: logging as text");
        LogFormat::Text
    });
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| "info,sqlx=warn".into());
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(false);
    match format {
        LogFormat::Text => builder.with_writer(OneLine(io::stderr)).init(),
        // JSON escapes control characters itself, so a stranger's text cannot end a line.
        LogFormat::Json => builder
            .json()
            .with_current_span(true)
            .with_span_list(false)
            .with_span_events(tracing_subscriber::fmt::format::FmtSpan::CLOSE)
            .with_writer(io::stderr)
            .init(),
    }
}

/// How log lines are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogFormat {
    /// The default: one escaped line of text per event.
    Text,
    /// One JSON object per line, for log shippers. Events inside a request carry its span
    /// (`"span": {"request_id": …, "http.route": …}`), and every request ends with a line of
    /// its own (`"message": "close"`, with its status and time), an access log without the
    /// client's address.
    Json,
}

impl LogFormat {
    /// `text` (or empty) or `json`, any case.
    pub fn parse(raw: &str) -> Option<LogFormat> {
        match raw.trim().to_ascii_lowercase().as_str() {
            "" | "text" => Some(LogFormat::Text),
            "json" => Some(LogFormat::Json),
            _ => None,
        }
    }
}

/// Makes writers that escape control characters but for each write's final newline.
#[derive(Debug, Clone, Copy)]
pub struct OneLine<M>(pub M);

impl<'a, M: MakeWriter<'a>> MakeWriter<'a> for OneLine<M> {
    type Writer = Escaping<M::Writer>;

    fn make_writer(&'a self) -> Self::Writer {
        Escaping(self.0.make_writer())
    }
}

/// A writer passing on each write with its control characters escaped.
#[derive(Debug)]
pub struct Escaping<W>(W);

impl<W: Write> Write for Escaping<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let (body, end) = match buf.strip_suffix(b"\n") {
            Some(body) => (body, &b"\n"[..]),
            None => (buf, &b""[..]),
        };
        if !body.iter().any(|b| b.is_ascii_control() && *b != b'\t') {
            self.0.write_all(buf)?;
            return Ok(buf.len());
        }
        let mut out = Vec::with_capacity(buf.len() + 16);
        for &b in body {
            match b {
                b'\n' => out.extend_from_slice(b"\\n"),
                b'\r' => out.extend_from_slice(b"\\r"),
                b'\t' => out.push(b),
                b if b.is_ascii_control() => {
                    out.extend_from_slice(format!("\\x{b:02x}").as_bytes())
                }
                b => out.push(b),
            }
        }
        out.extend_from_slice(end);
        self.0.write_all(&out)?;
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        self.0.flush()
    }
}

#[cfg(test)]
mod tests {
    use std::sync::{Arc, Mutex};

    use super::*;

    #[derive(Clone, Default)]
    struct Captured(Arc<Mutex<Vec<u8>>>);

    impl Write for Captured {
        fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(buf);
            Ok(buf.len())
        }
        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn log_formats_parse() {
        assert_eq!(LogFormat::parse(""), Some(LogFormat::Text));
        assert_eq!(LogFormat::parse("text"), Some(LogFormat::Text));
        assert_eq!(LogFormat::parse(" JSON "), Some(LogFormat::Json));
        assert_eq!(LogFormat::parse("yaml"), None);
    }

    #[test]
    fn a_stranger_cannot_add_a_line_or_drive_the_terminal() {
        let captured = Captured::default();
        let sink = captured.clone();
        let subscriber = tracing_subscriber::fmt()
            .with_ansi(false)
            .with_writer(OneLine(move || sink.clone()))
            .finish();
        tracing::subscriber::with_default(subscriber, || {
            tracing::warn!(
                field = %"utm\n2026-12-03T00:00:00Z  INFO forged",
                "unknown field \x1b[31mred\r"
            );
            tracing::info!("plain");
        });
        let log = String::from_utf8(captured.0.lock().unwrap().clone()).unwrap();
        let lines: Vec<&str> = log.lines().collect();
        assert_eq!(lines.len(), 2, "{log}");
        assert!(
            lines[0].contains(r"utm\n2026-12-03T00:00:00Z  INFO forged"),
            "{log}"
        );
        assert!(lines[0].contains(r"unknown field \x1b[31mred\r"), "{log}");
        assert!(lines[1].ends_with("plain"), "{log}");
    }
}
