//! What this tool wrote to fields the API cannot read back (a source's colour; a stage's
//! colour and applyTo), per account and record id, so a later plan or import can compare a
//! row with them instead of sending them every time.
//!
//! One small append-only file per account in the user's state folder
//! (`$XDG_STATE_HOME/ivvy-import/ledger/`, by default `~/.local/state/ivvy-import/ledger/`),
//! named by a hash of the base URL and of the API key (never the key itself). Each line is
//! `CRC32 JSON`: a line whose checksum does not match (a torn write, an edit) is ignored. The
//! last line of a record wins. It cannot know what was changed in iVvy's own screens since.

use std::collections::HashMap;
use std::fs::{File, OpenOptions};
use std::io::{self, BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use serde::{Deserialize, Serialize};
use sha1::{Digest, Sha1};

use crate::kind::Kind;
use crate::record::{LeadSource, LeadStage, Record};

/// What this tool last wrote to a record's unreadable fields, and when.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub(crate) struct Written {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub colour: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none", rename = "applyTo")]
    pub apply_to: Option<u8>,
    /// The day of the write, `YYYY-MM-DD` (UTC).
    pub on: String,
}

#[derive(Debug, Serialize, Deserialize)]
struct Line {
    kind: String,
    id: u64,
    #[serde(flatten)]
    written: Written,
}

/// One account's ledger: what it holds, and the file new writes are appended to.
#[derive(Debug)]
pub(crate) struct Ledger {
    path: PathBuf,
    /// As read when the run began.
    entries: HashMap<(Kind, u64), Written>,
    /// The file, once opened to append, and what this run wrote.
    file: Mutex<Appending>,
}

/// The ledger file once opened to append, and what this run wrote to it.
type Appending = (Option<File>, HashMap<(Kind, u64), Written>);

/// The folder ledgers live in: `$XDG_STATE_HOME/ivvy-import/ledger`, else
/// `$HOME/.local/state/ivvy-import/ledger`.
pub(crate) fn folder() -> Option<PathBuf> {
    let state = std::env::var_os("XDG_STATE_HOME")
        .map(PathBuf::from)
        .filter(|p| p.is_absolute())
        .or_else(|| {
            std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".local").join("state"))
        })?;
    Some(state.join("ivvy-import").join("ledger"))
}

/// The file name of an account's ledger: a hash of its base URL and of its key.
pub(crate) fn file_name(base_url: &str, key: &str) -> String {
    let key_hash = Sha1::digest(key.as_bytes());
    let mut h = Sha1::new();
    h.update(base_url.trim_end_matches('/').as_bytes());
    h.update(b"\n");
    h.update(key_hash);
    format!("{}.log", &hex::encode(h.finalize())[..24])
}

fn today() -> String {
    let now = time::OffsetDateTime::now_utc();
    format!(
        "{:04}-{:02}-{:02}",
        now.year(),
        u8::from(now.month()),
        now.day()
    )
}

impl Ledger {
    /// The ledger of the account at `base_url` reached with `key`, read from `folder`.
    pub(crate) fn open_in(folder: &Path, base_url: &str, key: &str) -> io::Result<Ledger> {
        Ledger::load(folder.join(file_name(base_url, key)))
    }

    /// Reads a ledger file (none yet: an empty ledger).
    pub(crate) fn load(path: PathBuf) -> io::Result<Ledger> {
        let mut entries = HashMap::new();
        match File::open(&path) {
            Ok(f) => {
                for line in BufReader::new(f).lines() {
                    if let Some((kind, id, w)) = parse_line(&line?) {
                        entries.insert((kind, id), w);
                    }
                }
            }
            Err(e) if e.kind() == io::ErrorKind::NotFound => {}
            Err(e) => return Err(e),
        }
        Ok(Ledger {
            path,
            entries,
            file: Mutex::new((None, HashMap::new())),
        })
    }

    pub(crate) fn path(&self) -> &Path {
        &self.path
    }

    /// What this tool last wrote to the record, if anything.
    pub(crate) fn get(&self, kind: Kind, id: u64) -> Option<&Written> {
        self.entries.get(&(kind, id))
    }

    /// Records what a successful write of `record` to `id` set in the unreadable fields
    /// (nothing when it sent none). A field it did not send keeps its earlier entry.
    pub(crate) fn wrote(&self, id: u64, record: &Record) -> io::Result<()> {
        let (colour, apply_to) = match record {
            Record::Source(LeadSource { colour, .. }) => (colour.as_deref(), None),
            Record::Stage(LeadStage {
                colour, apply_to, ..
            }) => (
                colour.as_deref(),
                apply_to.map(crate::record::ApplyTo::code),
            ),
        };
        if colour.is_none() && apply_to.is_none() {
            return Ok(());
        }
        let kind = record.kind();
        let mut state = self
            .file
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let (file, ours) = &mut *state;
        let before = ours.get(&(kind, id)).or_else(|| self.get(kind, id));
        let written = Written {
            colour: colour
                .map(str::to_string)
                .or_else(|| before.and_then(|b| b.colour.clone())),
            apply_to: apply_to.or_else(|| before.and_then(|b| b.apply_to)),
            on: today(),
        };
        ours.insert((kind, id), written.clone());
        let line = Line {
            kind: kind.as_str().to_string(),
            id,
            written,
        };
        let json = serde_json::to_string(&line).map_err(io::Error::other)?;
        let text = format!("{:08x} {json}\n", crc32fast::hash(json.as_bytes()));
        if file.is_none() {
            if let Some(dir) = self.path.parent() {
                std::fs::create_dir_all(dir)?;
            }
            *file = Some(
                OpenOptions::new()
                    .create(true)
                    .append(true)
                    .open(&self.path)?,
            );
        }
        match file.as_mut() {
            // One write per line: appends of whole lines never interleave.
            Some(f) => f.write_all(text.as_bytes()),
            None => Ok(()),
        }
    }
}

fn parse_line(line: &str) -> Option<(Kind, u64, Written)> {
    let (sum, json) = line.split_once(' ')?;
    if u32::from_str_radix(sum, 16).ok()? != crc32fast::hash(json.as_bytes()) {
        return None;
    }
    let l: Line = serde_json::from_str(json).ok()?;
    Some((Kind::parse(&l.kind)?, l.id, l.written))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::record::ApplyTo;

    fn stage(colour: Option<&str>, apply_to: Option<ApplyTo>) -> Record {
        Record::Stage(LeadStage {
            id: None,
            name: Some("Won".into()),
            colour: colour.map(Into::into),
            apply_to,
        })
    }

    #[test]
    fn writes_are_read_back_and_a_damaged_line_is_ignored() {
        let dir = tempfile::tempdir().unwrap();
        let l = Ledger::open_in(dir.path(), "https://api.example", "KEY").unwrap();
        l.wrote(5, &stage(Some("#aabbcc"), Some(ApplyTo::Lead)))
            .unwrap();
        l.wrote(5, &stage(Some("#112233"), None)).unwrap();
        l.wrote(6, &stage(None, None)).unwrap();
        let text = std::fs::read_to_string(l.path()).unwrap();
        assert_eq!(text.lines().count(), 2, "{text}");
        assert!(!text.contains("KEY"));
        let again = Ledger::open_in(dir.path(), "https://api.example", "KEY").unwrap();
        let w = again.get(Kind::Stage, 5).unwrap();
        assert_eq!(w.colour.as_deref(), Some("#112233"));
        assert_eq!(w.apply_to, Some(2), "an earlier applyTo is kept");
        assert!(again.get(Kind::Stage, 6).is_none());
        // Another key is another account.
        let other = Ledger::open_in(dir.path(), "https://api.example", "KEY2").unwrap();
        assert!(other.get(Kind::Stage, 5).is_none());
        // A line edited by hand no longer counts.
        std::fs::write(l.path(), text.replace("#112233", "#000000")).unwrap();
        let edited = Ledger::open_in(dir.path(), "https://api.example", "KEY").unwrap();
        assert_eq!(
            edited.get(Kind::Stage, 5).unwrap().colour.as_deref(),
            Some("#aabbcc")
        );
    }
}
