//! A file's one reading: its reader thread, the batches of rows it sends, and the batches
//! read ahead of the dispatcher (by `--resume`'s check, which reads the rows an earlier run
//! finished before any request, and leaves them here for the run).

use std::collections::VecDeque;
use std::sync::Arc;
use std::thread::JoinHandle;

use tokio::sync::mpsc;

use crate::error::FatalError;
use crate::input::plan::TablePlan;
use crate::input::{Input, InputError};
use crate::source::{Batch, Channels, Item, Recycler, read_file, recycler};

/// What the reader thread returned: its warnings, or why the file could not be read; Err
/// when the thread panicked.
type Read = Result<Result<Vec<String>, InputError>, FatalError>;

/// A file being read, once.
pub(super) struct Reading {
    thread: Option<JoinHandle<Result<Vec<String>, InputError>>>,
    /// What the thread returned, when it ended while rows were read ahead.
    ended: Option<Read>,
    items: mpsc::Receiver<Batch>,
    /// The file's tables, to check a workbook's rows by.
    plans: Arc<Vec<TablePlan>>,
    /// Where written rows go back to be freed on the thread that allocated them.
    recycler: Recycler,
    /// Batches read ahead and not taken yet, in input order.
    ahead: VecDeque<Vec<Item>>,
}

impl Reading {
    /// Starts the reader thread.
    pub(super) fn start(input: Input, plans: Arc<Vec<TablePlan>>) -> Reading {
        let (items_tx, items) = mpsc::channel::<Batch>(4);
        let (recycler, returned) = recycler();
        let reader_plans = Arc::clone(&plans);
        let thread = std::thread::spawn(move || {
            let plans = reader_plans;
            let channels = Channels {
                items: &items_tx,
                returned: Some(returned),
            };
            read_file(input, &plans, &channels)
        });
        Reading {
            thread: Some(thread),
            ended: None,
            items,
            plans,
            recycler,
            ahead: VecDeque::new(),
        }
    }

    /// The next batch of rows in input order (read ahead or not), checked; None at the end.
    pub(super) async fn next(&mut self) -> Option<Vec<Item>> {
        match self.ahead.pop_front() {
            Some(b) => Some(b),
            None => Some(self.items.recv().await?.check(&self.plans)),
        }
    }

    /// Reads one more batch ahead and lends it (it stays to be taken by [`Reading::next`]);
    /// None at the end of the file, whose reading is then finished (its error, if any, is
    /// kept for [`Reading::finish`]).
    pub(super) async fn read_ahead(&mut self) -> Option<&mut Vec<Item>> {
        match self.items.recv().await {
            Some(b) => {
                self.ahead.push_back(b.check(&self.plans));
                self.ahead.back_mut()
            }
            None => {
                if let Some(t) = self.thread.take() {
                    self.ended = Some(join(t));
                }
                None
            }
        }
    }

    /// Drops the batches read ahead: the run will read the file again.
    pub(super) fn let_go(&mut self) {
        self.ahead.clear();
    }

    /// Whether the reader failed, once the whole file was read ahead: a file that cannot be
    /// read stops the run before any request.
    pub(super) fn failed(&mut self) -> Result<(), FatalError> {
        match self.ended.take() {
            Some(Err(e)) => Err(e),
            Some(Ok(Err(e))) => Err(e.into()),
            other => {
                self.ended = other;
                Ok(())
            }
        }
    }

    /// Where the collector hands written rows back.
    pub(super) fn recycler(&self) -> Recycler {
        self.recycler.clone()
    }

    /// Waits for the reader thread: its warnings, or the error that ended the reading.
    pub(super) fn finish(mut self) -> Result<Vec<String>, FatalError> {
        // The rest of the rows are not wanted (the run stopped early): the reader stops at
        // its next batch.
        self.items.close();
        let read = match (self.ended.take(), self.thread.take()) {
            (Some(r), _) => r,
            (None, Some(t)) => join(t),
            (None, None) => Ok(Ok(Vec::new())),
        };
        Ok(read??)
    }
}

fn join(thread: JoinHandle<Result<Vec<String>, InputError>>) -> Read {
    thread
        .join()
        .map_err(|_| FatalError::Internal("the reader thread panicked".into()))
}
