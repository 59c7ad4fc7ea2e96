//! The collector: the one task that receives finished rows (in any order) from the run and
//! hands each, in input order, to the sinks: the journal (created/updated rows, before their
//! line), the results CSV (written and flushed), the progress display and its counts (which
//! yield the summary), and, when asked, the report and the results workbook. Dry runs, plans
//! and imports all go through it; every sink names a row's problems by the same labels.

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;

use tokio::sync::{Semaphore, mpsc};

use super::line::Line;
use super::writer::{ResultsWriter, Sent};
use crate::error::FatalError;
use crate::input::headers::Field;
use crate::input::plan::TablePlan;
use crate::outcome::{RowProblem, Status, Verdict};
use crate::progress::Progress;
use crate::record::{Problem, Record};
use crate::report::Collected;
use crate::results::journal::{Journal, RowKey, fingerprint};
use crate::results_xlsx::Book;
use crate::source::{Item, Recycler};

/// How many finished rows may wait behind a slow one before the run stops taking rows.
pub(crate) const WINDOW: usize = 4096;

/// A row whose outcome is known, on its way to the results file.
pub(crate) struct Finished {
    /// The row's place in the file's order of rows.
    pub seq: u64,
    pub item: Item,
    pub verdict: Verdict,
    /// Its problems, each with the label every output names it by.
    pub problems: Vec<RowProblem>,
}

/// What reaches the collector.
pub(crate) enum Done {
    /// Rows finished one by one, in any order.
    Rows(Vec<Finished>),
    /// A batch of rows decided where they lie (a dry run): each row's outcome is its check's
    /// ([`Outcome::of_check`]), worked out as it is written; the rows follow each other from
    /// `first` on. No row is moved.
    InPlace { first: u64, items: Vec<Item> },
}

/// A row's outcome: its verdict and its problems.
pub(crate) struct Outcome {
    pub verdict: Verdict,
    pub problems: Vec<RowProblem>,
}

impl Outcome {
    /// What a dry run says of a checked row: valid, or invalid with every problem.
    pub(crate) fn of_check(checked: &Result<Record, Vec<Problem>>) -> Outcome {
        match checked {
            Ok(_) => Outcome {
                verdict: Verdict::new(Status::Valid),
                problems: Vec::new(),
            },
            Err(problems) => Outcome::of_problems(problems),
        }
    }

    /// An invalid row: its problems in one `error`, and each with its label.
    fn of_problems(problems: &[Problem]) -> Outcome {
        let error = problems
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join("; ");
        Outcome {
            verdict: Verdict::with_error(Status::Invalid, error),
            problems: problems.iter().map(Problem::to_row_problem).collect(),
        }
    }
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
    pub recycler: Recycler,
    /// Progress bar label of the file (`file` or `file › sheet` is made of it).
    pub label: String,
    /// Live counts of the pipeline (requests, retries, 429s), shown with the bar.
    pub stats: Option<Arc<crate::pipeline::Stats>>,
    /// The report being gathered (`--report`), its file started.
    pub report: Option<&'a mut Collected>,
    /// The results workbook being written (`-o x.xlsx`).
    pub book: Option<Book>,
}

impl Collector<'_> {
    /// Runs until the sender side closes; returns the number of lines written.
    pub(crate) async fn run(mut self, mut rx: mpsc::Receiver<Done>) -> Result<u64, FatalError> {
        let result = self.collect(&mut rx).await;
        // Wake a run waiting for room in the window, whatever happened here.
        self.window.close();
        rx.close();
        result
    }

    async fn collect(&mut self, rx: &mut mpsc::Receiver<Done>) -> Result<u64, FatalError> {
        let mut waiting: BTreeMap<u64, Finished> = BTreeMap::new();
        let mut next: u64 = 0;
        let mut table = None;
        while let Some(done) = rx.recv().await {
            let batch = match done {
                Done::InPlace { first, items } if first == next && waiting.is_empty() => {
                    for item in &items {
                        let o = Outcome::of_check(&item.checked);
                        self.journal_done(item, &o.verdict)?;
                        self.write_next(item, (&o).into(), &mut table)?;
                    }
                    next += items.len() as u64;
                    // These rows never took a place in the window.
                    self.flush()?;
                    self.recycler.give(items);
                    continue;
                }
                Done::InPlace { first, items } => (first..)
                    .zip(items)
                    .map(|(seq, item)| {
                        let o = Outcome::of_check(&item.checked);
                        Finished {
                            seq,
                            item,
                            verdict: o.verdict,
                            problems: o.problems,
                        }
                    })
                    .collect(),
                Done::Rows(batch) => batch,
            };
            for f in &batch {
                self.journal_done(&f.item, &f.verdict)?;
            }
            let mut wrote = 0;
            if waiting.is_empty() && in_order(&batch, next) {
                // Most rows of a live run: written where they lie, and the batch goes back
                // whole to be dropped by the reader.
                for f in &batch {
                    self.write_next(&f.item, f.outcome(), &mut table)?;
                }
                wrote = batch.len();
                next += wrote as u64;
                self.recycler.give(batch);
            } else {
                for f in batch {
                    if f.seq != next {
                        waiting.insert(f.seq, f);
                        continue;
                    }
                    self.write_next(&f.item, f.outcome(), &mut table)?;
                    next += 1;
                    wrote += 1;
                }
            }
            while let Some(f) = waiting.remove(&next) {
                self.write_next(&f.item, f.outcome(), &mut table)?;
                next += 1;
                wrote += 1;
            }
            if wrote > 0 {
                self.flush()?;
                self.window.add_permits(wrote);
            }
        }
        self.writer
            .flush()
            .map_err(FatalError::output(&self.path))?;
        if let Some(book) = self.book.take() {
            let path = book.path().to_path_buf();
            book.finish().map_err(|e| FatalError::Output {
                path,
                source: std::io::Error::other(e),
            })?;
        }
        Ok(next)
    }

    /// Pushes the lines written to the file, and shows the pipeline's counts.
    fn flush(&mut self) -> Result<(), FatalError> {
        self.writer
            .flush()
            .map_err(FatalError::output(&self.path))?;
        if let Some(s) = &self.stats {
            self.progress.note_stats(s.snapshot());
        }
        Ok(())
    }

    /// A created or updated row is journalled before its results line, so a crash between
    /// the two is covered.
    fn journal_done(&self, item: &Item, verdict: &Verdict) -> Result<(), FatalError> {
        let Some(journal) = &self.journal else {
            return Ok(());
        };
        let (Some(kind), Some(id)) = (item.kind, verdict.id) else {
            return Ok(());
        };
        if !matches!(verdict.status, Status::Created | Status::Updated) {
            return Ok(());
        }
        let plan = &self.plans[item.table];
        let key: RowKey = (plan.sheet.to_string(), item.number);
        let fp = fingerprint(echo_cells(plan, item));
        journal
            .done(
                &key,
                kind,
                verdict.status == Status::Created,
                id,
                fp,
                item.checked.as_ref().ok().and_then(|r| r.name()),
            )
            .map_err(FatalError::output(journal.path()))
    }

    /// Writes the next row in order; a row of another table than the last starts its bar.
    fn write_next(
        &mut self,
        item: &Item,
        o: OutcomeRef<'_>,
        table: &mut Option<usize>,
    ) -> Result<(), FatalError> {
        if *table != Some(item.table) {
            *table = Some(item.table);
            self.start_table(item.table);
        }
        self.write(item, o)
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

    fn write(&mut self, item: &Item, o: OutcomeRef<'_>) -> Result<(), FatalError> {
        let plan = &self.plans[item.table];
        let echo = echo_cells(plan, item);
        // A results file fed back in keeps the row and sheet of the spreadsheet being fixed.
        let (row, sheet) = if plan.columns.is_results_file {
            let (row, sheet) = item.cells.origin();
            (row.unwrap_or(item.number), sheet)
        } else {
            (item.number, &*plan.sheet)
        };
        let id = input_id(item);
        let sent = item.checked.as_ref().ok().map(|record| Sent {
            record,
            as_read: item.as_read,
        });
        self.writer
            .write(row, sheet, item.kind, o.verdict, &id, sent, echo.clone())
            .map_err(FatalError::output(&self.path))?;
        let at = crate::progress::RowAt {
            file: &self.label,
            sheet,
            row: u64::from(row),
        };
        self.progress.record(item.kind, o.verdict, at, o.problems);
        if self.report.is_none() && self.book.is_none() {
            return Ok(());
        }
        let line = Line {
            row,
            sheet,
            kind: item.kind,
            verdict: o.verdict,
            id,
            problems: o.problems,
            echo: echo.collect(),
            cost: cost_of(plan, item),
            sent: self.writer.last_sent(),
        };
        if let Some(report) = self.report.as_deref_mut() {
            report.row(&line);
        }
        if let Some(book) = &mut self.book {
            book.row(&line).map_err(|e| FatalError::Output {
                path: book.path().to_path_buf(),
                source: std::io::Error::other(e),
            })?;
        }
        Ok(())
    }
}

/// A row's outcome, borrowed from where it lies.
#[derive(Clone, Copy)]
pub(crate) struct OutcomeRef<'a> {
    verdict: &'a Verdict,
    problems: &'a [RowProblem],
}

impl<'a> From<&'a Outcome> for OutcomeRef<'a> {
    fn from(o: &'a Outcome) -> Self {
        OutcomeRef {
            verdict: &o.verdict,
            problems: &o.problems,
        }
    }
}

impl Finished {
    fn outcome(&self) -> OutcomeRef<'_> {
        OutcomeRef {
            verdict: &self.verdict,
            problems: &self.problems,
        }
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
fn input_id(item: &Item) -> Cow<'_, str> {
    if let Ok(r) = &item.checked
        && let Some(id) = r.id()
    {
        return Cow::Owned(id.to_string());
    }
    if item.checked.is_ok() {
        // A valid row without an id: its id cell was empty.
        return Cow::Borrowed("");
    }
    Cow::Borrowed(item.cells.invalid_id())
}

/// Where a valid source row's cost sits among the echoed cells, and its amount.
fn cost_of(plan: &TablePlan, item: &Item) -> Option<(usize, f64)> {
    let Ok(Record::Source(source)) = &item.checked else {
        return None;
    };
    let amount = source.cost.as_ref()?.to_f64();
    let (column, _) = plan.columns.fields.get(Field::Cost)?;
    let slot = plan.slots.iter().position(|s| *s == Some(column))?;
    Some((slot, amount))
}
