//! The journal beside a results file: what existed before the run, which creates were sent,
//! and which rows were done before their results line was written. It lets `--resume`
//! reconcile a create whose outcome was lost (a crash, `kill -9`) instead of sending it twice.

use std::collections::{HashMap, HashSet};
use std::fs::File;
use std::hash::Hasher;
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use serde::{Deserialize, Serialize};

use crate::fnv::Fnv1a;
use crate::kind::Kind;
use crate::outcome::Status;

mod run_line;
pub(crate) use run_line::{RunJob, RunLine, now_ms};

/// The key a row is known by across runs: its sheet (empty for CSV) and row number.
pub(crate) type RowKey = (String, u32);

pub(crate) use crate::results::read::{Done, read_done};

#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
enum Entry {
    /// Ids of each kind that existed before the first run.
    Pre { sources: Vec<u64>, stages: Vec<u64> },
    /// A create of this row is about to be sent.
    Sent { sheet: String, row: u32 },
    /// A batch of these jobs is about to be sent (`at`: milliseconds since the Unix epoch).
    Run { at: u64, jobs: Vec<RunJob> },
    /// A batch holding these rows was started on the server under this id.
    Batch {
        async_id: String,
        rows: Vec<(String, u32)>,
    },
    Done {
        sheet: String,
        row: u32,
        kind: String,
        created: bool,
        id: u64,
        fp: u64,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        name: Option<String>,
    },
}

/// What an earlier run's journal says.
#[derive(Debug, Default)]
pub(crate) struct Recovered {
    /// False when there was no journal.
    pub found: bool,
    pub pre: Option<(HashSet<u64>, HashSet<u64>)>,
    pub sent: HashSet<RowKey>,
    pub done: HashMap<RowKey, Done>,
    /// Batches started on the server, with their rows.
    pub batches: Vec<(String, Vec<RowKey>)>,
    /// Batches about to be sent, with when and their jobs (the latest line of each set of rows).
    pub runs: Vec<RunLine>,
    /// Why the journal cannot be trusted, when it cannot (a damaged line other than a torn
    /// last one).
    pub damaged: Option<String>,
}

/// The checksum of a line: CRC-32 over the previous line's checksum and the entry, so the
/// lines form a chain: a deleted, reordered or inserted line breaks it.
fn chained(prev: u32, entry: &[u8]) -> u32 {
    let mut h = crc32fast::Hasher::new();
    h.update(&prev.to_le_bytes());
    h.update(entry);
    h.finalize()
}

/// A journal line: its chained checksum in hex, a tab, the JSON entry; and the checksum.
fn seal(prev: u32, entry: &[u8]) -> (Vec<u8>, u32) {
    let crc = chained(prev, entry);
    let mut line = format!("{crc:08x}\t").into_bytes();
    line.extend_from_slice(entry);
    line.push(b'\n');
    (line, crc)
}

/// A line's stated checksum, and its entry when the chain from `prev` holds.
fn unseal(prev: u32, line: &str) -> (Option<u32>, Option<Entry>) {
    let Some((crc, json)) = line.split_once('\t') else {
        return (None, None);
    };
    let Ok(crc) = u32::from_str_radix(crc, 16) else {
        return (None, None);
    };
    let entry = (chained(prev, json.as_bytes()) == crc)
        .then(|| serde_json::from_str(json).ok())
        .flatten();
    (Some(crc), entry)
}

pub(crate) struct Journal {
    path: PathBuf,
    /// The file, and the checksum of its last line (the chain goes on from it).
    file: Mutex<(File, u32)>,
}

impl Recovered {
    fn apply(&mut self, entry: Entry) {
        match entry {
            Entry::Pre { sources, stages } => {
                self.pre = Some((sources.into_iter().collect(), stages.into_iter().collect()));
            }
            Entry::Sent { sheet, row } => {
                self.sent.insert((sheet, row));
            }
            Entry::Batch { async_id, rows } => self.batches.push((async_id, rows)),
            Entry::Run { at, jobs } => {
                let keys: Vec<RowKey> = jobs.iter().map(RunJob::key).collect();
                self.runs.retain(|r| r.keys() != keys);
                self.runs.push(RunLine { at, jobs });
            }
            Entry::Done {
                sheet,
                row,
                kind,
                created,
                id,
                fp,
                name,
            } => {
                let Some(kind) = Kind::parse(&kind) else {
                    return;
                };
                let status = if created {
                    Status::Created
                } else {
                    Status::Updated
                };
                let done = Done {
                    kind,
                    status,
                    id,
                    fingerprint: fp,
                    name,
                };
                self.done.insert((sheet, row), done);
            }
        }
    }

    /// Creates sent with no outcome recorded.
    pub(crate) fn unfinished(&self) -> usize {
        self.sent
            .iter()
            .filter(|k| !self.done.contains_key(*k))
            .count()
    }
}

impl Journal {
    /// Reads what a journal holds. A torn last line (a crash mid-write) is ignored; any
    /// other unreadable line, or a missing snapshot, marks the journal damaged.
    pub(crate) fn recover(path: &Path) -> io::Result<Recovered> {
        let mut r = Recovered::default();
        let text = match std::fs::read(path) {
            Ok(t) => t,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(r),
            Err(e) => return Err(e),
        };
        r.found = true;
        let text = String::from_utf8_lossy(&text);
        let complete = text.ends_with('\n');
        let lines: Vec<&str> = text.lines().collect();
        let mut prev = 0;
        for (i, line) in lines.iter().enumerate() {
            let (crc, entry) = unseal(prev, line);
            let Some(entry) = entry else {
                let last = i + 1 == lines.len();
                if (!last || complete) && r.damaged.is_none() {
                    r.damaged = Some(format!(
                        "line {} is unreadable, or a line before it was removed or moved",
                        i + 1
                    ));
                }
                // The chain goes on from what the line states: one damage, one message.
                prev = crc.unwrap_or(prev);
                continue;
            };
            prev = crc.unwrap_or(prev);
            r.apply(entry);
        }
        if r.pre.is_none() && r.damaged.is_none() {
            r.damaged =
                Some("it has no snapshot of the records that existed before the run".into());
        }
        Ok(r)
    }

    /// Opens for appending (`fresh`: truncated first). An earlier journal's chain goes on
    /// from its last whole line; a torn last line (a crash mid-write) is cut off first.
    pub(crate) fn open(path: &Path, fresh: bool) -> io::Result<Journal> {
        let how = if fresh {
            crate::guard::How::Truncate
        } else {
            crate::guard::How::Append
        };
        let file = crate::guard::open_output(path, how)?;
        let mut last = 0;
        if !fresh {
            let text = std::fs::read(path)?;
            let whole = text.iter().rposition(|b| *b == b'\n').map_or(0, |i| i + 1);
            if whole < text.len() {
                file.set_len(whole as u64)?;
            }
            let body = &text[..whole];
            let start = body[..body.len().saturating_sub(1)]
                .iter()
                .rposition(|b| *b == b'\n')
                .map_or(0, |i| i + 1);
            last = std::str::from_utf8(&body[start..])
                .ok()
                .and_then(|l| l.split_once('\t'))
                .and_then(|(crc, _)| u32::from_str_radix(crc, 16).ok())
                .unwrap_or(0);
        }
        Ok(Journal {
            path: path.to_path_buf(),
            file: Mutex::new((file, last)),
        })
    }

    pub(crate) fn path(&self) -> &Path {
        &self.path
    }

    fn append(&self, e: &Entry) -> io::Result<()> {
        let entry = serde_json::to_vec(e).map_err(io::Error::other)?;
        let mut file = self
            .file
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let (line, crc) = seal(file.1, &entry);
        // One write per entry: a crash leaves whole lines and at most one torn last line.
        file.0.write_all(&line)?;
        file.1 = crc;
        Ok(())
    }

    pub(crate) fn pre(&self, sources: &HashSet<u64>, stages: &HashSet<u64>) -> io::Result<()> {
        let mut s: Vec<u64> = sources.iter().copied().collect();
        let mut t: Vec<u64> = stages.iter().copied().collect();
        s.sort_unstable();
        t.sort_unstable();
        self.append(&Entry::Pre {
            sources: s,
            stages: t,
        })
    }

    pub(crate) fn batch<'a>(
        &self,
        async_id: &str,
        rows: impl Iterator<Item = &'a RowKey>,
    ) -> io::Result<()> {
        self.append(&Entry::Batch {
            async_id: async_id.to_string(),
            rows: rows.cloned().collect(),
        })
    }

    /// Before a batch's `run`: its jobs, and now.
    pub(crate) fn run(&self, jobs: Vec<RunJob>) -> io::Result<()> {
        self.append(&Entry::Run { at: now_ms(), jobs })
    }

    pub(crate) fn sent(&self, key: &RowKey) -> io::Result<()> {
        self.append(&Entry::Sent {
            sheet: key.0.clone(),
            row: key.1,
        })
    }

    pub(crate) fn done(
        &self,
        key: &RowKey,
        kind: Kind,
        created: bool,
        id: u64,
        fp: u64,
        name: Option<&str>,
    ) -> io::Result<()> {
        self.append(&Entry::Done {
            sheet: key.0.clone(),
            row: key.1,
            kind: kind.as_str().to_string(),
            created,
            id,
            fp,
            name: name.map(str::to_string),
        })
    }
}

/// A fingerprint of a row's echoed cells, so `--resume` notices a changed input row.
pub(crate) fn fingerprint<S: AsRef<str>>(echo: impl IntoIterator<Item = S>) -> u64 {
    let mut h = Fnv1a::default();
    for c in echo {
        h.write(c.as_ref().as_bytes());
        h.write(&[0x1f]);
    }
    h.finish()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn journal_round_trips_and_ignores_a_torn_line() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("r.csv.journal");
        let j = Journal::open(&p, true).unwrap();
        j.pre(&[1, 2].into_iter().collect(), &[3].into_iter().collect())
            .unwrap();
        j.sent(&("".into(), 5)).unwrap();
        j.done(&("".into(), 5), Kind::Stage, true, 1001, 77, Some("Won"))
            .unwrap();
        drop(j);
        std::fs::OpenOptions::new()
            .append(true)
            .open(&p)
            .unwrap()
            .write_all(b"{\"sent\":{\"sheet\":\"\",\"ro")
            .unwrap();
        let r = Journal::recover(&p).unwrap();
        assert!(r.pre.as_ref().unwrap().0.contains(&2));
        assert!(r.sent.contains(&("".into(), 5)));
        assert_eq!(r.done[&("".into(), 5)].id, 1001);
        assert_eq!(r.done[&("".into(), 5)].kind, Kind::Stage);
        assert_eq!(r.sent.len(), 1);
        assert!(r.damaged.is_none(), "{:?}", r.damaged);
    }

    #[test]
    fn a_damaged_line_before_the_last_is_reported() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("r.csv.journal");
        let j = Journal::open(&p, true).unwrap();
        j.pre(&HashSet::new(), &HashSet::new()).unwrap();
        j.sent(&("".into(), 5)).unwrap();
        drop(j);
        let mut text = std::fs::read_to_string(&p).unwrap();
        text = text.replacen("\"row\":5", "\"row\":6", 1);
        let line2 = text.lines().nth(1).unwrap();
        let crc2 = u32::from_str_radix(line2.split_once('\t').unwrap().0, 16).unwrap();
        let (line3, _) = seal(crc2, b"{\"sent\":{\"sheet\":\"\",\"row\":7}}");
        text.push_str(&String::from_utf8(line3).unwrap());
        std::fs::write(&p, text).unwrap();
        let r = Journal::recover(&p).unwrap();
        assert!(
            r.damaged
                .as_deref()
                .unwrap()
                .starts_with("line 2 is unreadable"),
            "{:?}",
            r.damaged
        );
        assert!(r.sent.contains(&("".into(), 7)));
    }

    #[test]
    fn a_deleted_or_moved_line_breaks_the_chain() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("r.csv.journal");
        let j = Journal::open(&p, true).unwrap();
        j.pre(&HashSet::new(), &HashSet::new()).unwrap();
        for row in 5..9 {
            j.sent(&("".into(), row)).unwrap();
        }
        drop(j);
        let text = std::fs::read_to_string(&p).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        assert!(Journal::recover(&p).unwrap().damaged.is_none());
        let without: String = lines
            .iter()
            .enumerate()
            .filter(|(i, _)| *i != 2)
            .map(|(_, l)| format!("{l}\n"))
            .collect();
        std::fs::write(&p, without).unwrap();
        let r = Journal::recover(&p).unwrap();
        assert!(r.damaged.unwrap().contains("line 3"));
        let mut moved = lines.clone();
        moved.swap(2, 3);
        std::fs::write(&p, moved.join("\n") + "\n").unwrap();
        assert!(Journal::recover(&p).unwrap().damaged.is_some());
        // A resumed run goes on with the chain, after cutting a torn last line.
        std::fs::write(&p, text.clone() + "0000").unwrap();
        let j = Journal::open(&p, false).unwrap();
        j.sent(&("".into(), 9)).unwrap();
        drop(j);
        let r = Journal::recover(&p).unwrap();
        assert!(r.damaged.is_none(), "{:?}", r.damaged);
        assert!(r.sent.contains(&("".into(), 9)));
    }

    #[test]
    fn a_journal_without_its_snapshot_is_damaged() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("r.csv.journal");
        let j = Journal::open(&p, true).unwrap();
        j.sent(&("".into(), 5)).unwrap();
        drop(j);
        let r = Journal::recover(&p).unwrap();
        assert!(r.damaged.unwrap().contains("snapshot"));
    }
}
