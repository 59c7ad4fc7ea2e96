//! The collector: the one task that receives finished rows (in any order) from the run,
//! journals created/updated rows, writes results lines in input order, flushes them, and
//! counts them for the progress display. Dry runs, plans and imports all go through it.

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;

use tokio::sync::{Semaphore, mpsc};

use super::writer::{ResultsWriter, fingerprint};
use crate::error::FatalError;
use crate::input::plan::TablePlan;
use crate::outcome::{Status, Verdict};
use crate::progress::Progress;
use crate::resume::{Journal, RowKey};
use crate::source::{Item, Spent};

/// How many finished rows may wait behind a slow one before the run stops taking rows.
pub(crate) const WINDOW: usize = 4096;

/// A row whose outcome is known, on its way to the results file.
pub(crate) struct Finished {
    /// The row's place in the file's order of rows.
    pub seq: u64,
    pub item: Item,
    pub verdict: Verdict,
    /// The labels its problems or error are counted under in the summary.
    pub labels: Vec<String>,
}

/// Everything the collector of one results file needs.
pub(crate) struct Collector<'a> {
    pub plans: Arc<Vec<TablePlan>>,
    pub writer: ResultsWriter,
    pub path: PathBuf,
    /// Live runs journal each created/updated row before its results line.
    pub journal: Option<Arc<Journal>>,
    pub progress: &'a mut Progress,
    /// Permits of the reorder window: one is returned per line written.
    pub window: Arc<Semaphore>,
    /// Written rows go back to the reader's thread, to be dropped there.
    pub spent: std::sync::mpsc::Sender<Spent>,
    /// Progress bar label of the file (`file` or `file › sheet` is made of it).
    pub label: String,
    /// Live counts of the pipeline (requests, retries, 429s), shown with the bar.
    pub stats: Option<Arc<crate::pipeline::Stats>>,
}

impl Collector<'_> {
    /// Runs until the sender side closes; returns the number of lines written.
    pub(crate) async fn run(
        mut self,
        mut rx: mpsc::Receiver<Vec<Finished>>,
    ) -> Result<u64, FatalError> {
        let result = self.collect(&mut rx).await;
        // Wake a run waiting for room in the window, whatever happened here.
        self.window.close();
        rx.close();
        result
    }

    async fn collect(&mut self, rx: &mut mpsc::Receiver<Vec<Finished>>) -> Result<u64, FatalError> {
        let mut waiting: BTreeMap<u64, Finished> = BTreeMap::new();
        let mut next: u64 = 0;
        let mut table = None;
        while let Some(batch) = rx.recv().await {
            for f in &batch {
                self.journal_done(f)?;
            }
            let mut wrote = 0;
            if waiting.is_empty() && in_order(&batch, next) {
                // Every row of a dry run, most of a live one: written where they lie, and the
                // batch goes back whole to be dropped by the reader.
                for f in &batch {
                    self.write_next(f, &mut table)?;
                }
                wrote = batch.len();
                next += wrote as u64;
                let _ = self.spent.send(Box::new(batch));
            } else {
                for f in batch {
                    if f.seq != next {
                        waiting.insert(f.seq, f);
                        continue;
                    }
                    self.write_next(&f, &mut table)?;
                    next += 1;
                    wrote += 1;
                }
            }
            while let Some(f) = waiting.remove(&next) {
                self.write_next(&f, &mut table)?;
                next += 1;
                wrote += 1;
            }
            if wrote > 0 {
                self.writer
                    .flush()
                    .map_err(FatalError::output(&self.path))?;
                self.window.add_permits(wrote);
                if let Some(s) = &self.stats {
                    self.progress.note_stats(s.snapshot());
                }
            }
        }
        self.writer
            .flush()
            .map_err(FatalError::output(&self.path))?;
        Ok(next)
    }

    /// A created or updated row is journalled before its results line, so a crash between
    /// the two is covered.
    fn journal_done(&self, f: &Finished) -> Result<(), FatalError> {
        let Some(journal) = &self.journal else {
            return Ok(());
        };
        let (Some(kind), Some(id)) = (f.item.kind, f.verdict.id) else {
            return Ok(());
        };
        if !matches!(f.verdict.status, Status::Created | Status::Updated) {
            return Ok(());
        }
        let plan = &self.plans[f.item.table];
        let key: RowKey = (plan.sheet.to_string(), f.item.number);
        let fp = fingerprint(echo_cells(plan, &f.item));
        journal
            .done(
                &key,
                kind,
                f.verdict.status == Status::Created,
                id,
                fp,
                f.item.checked.as_ref().ok().and_then(|r| r.name()),
            )
            .map_err(FatalError::output(journal.path()))
    }

    /// Writes the next row in order; a row of another table than the last starts its bar.
    fn write_next(&mut self, f: &Finished, table: &mut Option<usize>) -> Result<(), FatalError> {
        if *table != Some(f.item.table) {
            *table = Some(f.item.table);
            self.start_table(f.item.table);
        }
        self.write(f)
    }

    fn start_table(&mut self, table: usize) {
        let sheet = &self.plans[table].sheet;
        let hint = self.plans[table].rows_hint;
        if sheet.is_empty() {
            self.progress.start_table(&self.label, hint);
        } else {
            self.progress
                .start_table(&format!("{} › {sheet}", self.label), hint);
        }
    }

    fn write(&mut self, f: &Finished) -> Result<(), FatalError> {
        let plan = &self.plans[f.item.table];
        let echo = echo_cells(plan, &f.item);
        // A results file fed back in keeps the row and sheet of the spreadsheet being fixed.
        let (row, sheet) = if plan.columns.is_results_file {
            let (row, sheet) = f.item.cells.origin();
            (row.unwrap_or(f.item.number), Cow::Borrowed(sheet))
        } else {
            (f.item.number, Cow::Borrowed(&*plan.sheet))
        };
        self.writer
            .write(
                row,
                &sheet,
                f.item.kind,
                &f.verdict,
                &input_id(plan, &f.item),
                echo,
            )
            .map_err(FatalError::output(&self.path))?;
        self.progress
            .record(f.item.kind, f.verdict.status, &f.labels);
        Ok(())
    }
}

/// Whether a batch holds the rows from `next` on, in order.
fn in_order(batch: &[Finished], next: u64) -> bool {
    batch.iter().zip(next..).all(|(f, n)| f.seq == n)
}

/// The cells of a row that fill the results file's echoed columns.
pub(crate) fn echo_cells<'a>(
    plan: &TablePlan,
    item: &'a Item,
) -> impl Iterator<Item = &'a str> + Clone {
    (0..plan.slots.len()).map(|i| item.cells.get(i))
}

/// The row's id for its results line: the record's (normalised) id, else the cell as written.
fn input_id<'a>(plan: &TablePlan, item: &'a Item) -> Cow<'a, str> {
    if let Ok(r) = &item.checked
        && let Some(id) = r.id()
    {
        return Cow::Owned(id.to_string());
    }
    if item.checked.is_ok() {
        // A valid row without an id: its id cell was empty.
        return Cow::Borrowed("");
    }
    Cow::Borrowed(item.cells.invalid_id(plan))
}
