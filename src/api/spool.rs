//! An import's body, received whole before the import takes its turn to write: a slow or stalled
//! upload holds a temporary file, never the writers' lock. The file is on disk, so a large body costs
//! disk, not memory; a JSON array is rewritten there as one item a line.

use std::io::{BufReader, BufWriter, Seek, Write};
use std::time::Duration;

use actix_web::web;
use futures_util::StreamExt;
use serde::de::{SeqAccess, Visitor};
use sha2::{Digest, Sha256};
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncSeekExt, AsyncWriteExt};

use crate::error::ApiError;

/// A received body, one JSON value a line.
pub struct Spooled {
    file: tokio::io::BufReader<tokio::fs::File>,
    /// SHA-256 of the body as sent, hex.
    pub hash: String,
}

/// One line of a spooled body.
pub enum Line {
    Text(Vec<u8>),
    /// A line longer than the limit; it was skipped, not read into memory.
    TooLong,
}

/// Receives `payload` into a temporary file. Each part must arrive within `read_timeout` (else 408);
/// a body over `limit` bytes is a 413. `hasher` already holds what precedes the body in the request
/// hash (method and path).
pub async fn spool(
    payload: &mut web::Payload,
    mut hasher: Sha256,
    limit: u64,
    read_timeout: Duration,
) -> Result<Spooled, ApiError> {
    let file = tempfile::tempfile().map_err(internal)?;
    let mut writer = tokio::io::BufWriter::new(tokio::fs::File::from_std(file));
    let mut total = 0u64;
    loop {
        let chunk = match tokio::time::timeout(read_timeout, payload.next()).await {
            Err(_) => {
                return Err(ApiError::RequestTimeout(format!(
                    "no part of the body arrived for {} s; nothing was written",
                    read_timeout.as_secs()
                )))
            }
            Ok(None) => break,
            Ok(Some(chunk)) => chunk.map_err(|error| {
                ApiError::bad_request("", format!("the body could not be read: {error}"))
            })?,
        };
        total += chunk.len() as u64;
        if total > limit {
            return Err(ApiError::PayloadTooLarge(limit as usize));
        }
        hasher.update(&chunk);
        writer.write_all(&chunk).await.map_err(internal)?;
    }
    writer.flush().await.map_err(internal)?;
    let mut file = writer.into_inner();
    file.rewind().await.map_err(internal)?;
    let hash = hex::encode(hasher.finalize());

    let mut peek = tokio::io::BufReader::new(file);
    let is_array = loop {
        let buffer = peek.fill_buf().await.map_err(internal)?;
        match buffer.iter().position(|b| !b.is_ascii_whitespace()) {
            Some(at) => break buffer[at] == b'[',
            None if buffer.is_empty() => break false,
            None => {
                let length = buffer.len();
                peek.consume(length);
            }
        }
    };
    let mut file = peek.into_inner();
    file.rewind().await.map_err(internal)?;
    if is_array {
        let array = file.into_std().await;
        file = tokio::task::spawn_blocking(move || array_to_lines(array))
            .await
            .map_err(internal)??
            .into();
    }
    Ok(Spooled {
        file: tokio::io::BufReader::new(file),
        hash,
    })
}

impl Spooled {
    /// The next line, without its line end; None at the end of the body.
    pub async fn next_line(&mut self, max_length: usize) -> Result<Option<Line>, ApiError> {
        let mut line = Vec::new();
        let read = (&mut self.file)
            .take(max_length as u64 + 1)
            .read_until(b'\n', &mut line)
            .await
            .map_err(internal)?;
        if read == 0 {
            return Ok(None);
        }
        if line.last() == Some(&b'\n') {
            line.pop();
            return Ok(Some(Line::Text(line)));
        }
        if line.len() <= max_length {
            return Ok(Some(Line::Text(line)));
        }
        // Too long: skip to the end of the line a buffer at a time.
        loop {
            let buffer = self.file.fill_buf().await.map_err(internal)?;
            if buffer.is_empty() {
                break;
            }
            match buffer.iter().position(|b| *b == b'\n') {
                Some(end) => {
                    self.file.consume(end + 1);
                    break;
                }
                None => {
                    let length = buffer.len();
                    self.file.consume(length);
                }
            }
        }
        Ok(Some(Line::TooLong))
    }
}

/// Rewrites a JSON array as one item a line, reading one item at a time.
fn array_to_lines(file: std::fs::File) -> Result<std::fs::File, ApiError> {
    struct Items<W>(W);
    impl<'de, W: Write> Visitor<'de> for Items<W> {
        type Value = ();
        fn expecting(&self, formatter: &mut std::fmt::Formatter) -> std::fmt::Result {
            formatter.write_str("a JSON array")
        }
        fn visit_seq<A: SeqAccess<'de>>(mut self, mut items: A) -> Result<(), A::Error> {
            while let Some(item) = items.next_element::<serde_json::Value>()? {
                serde_json::to_writer(&mut self.0, &item).map_err(serde::de::Error::custom)?;
                self.0.write_all(b"\n").map_err(serde::de::Error::custom)?;
            }
            Ok(())
        }
    }
    let lines = tempfile::tempfile().map_err(internal)?;
    let mut writer = BufWriter::new(lines);
    let mut reader = serde_json::Deserializer::from_reader(BufReader::new(file));
    serde::Deserializer::deserialize_seq(&mut reader, Items(&mut writer))
        .and_then(|()| reader.end())
        .map_err(|error| {
            ApiError::bad_request("", format!("the body is not a JSON array: {error}"))
        })?;
    let mut lines = writer
        .into_inner()
        .map_err(|error| internal(error.into_error()))?;
    lines.rewind().map_err(internal)?;
    Ok(lines)
}

fn internal(error: impl Into<anyhow::Error>) -> ApiError {
    ApiError::Internal(error.into())
}
