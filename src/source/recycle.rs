//! Written rows handed back to the reader's thread to be dropped there: the reader allocated
//! them, and memory is freed faster on the thread that allocated it (a dry run of the
//! README's 1M-row quoted CSV takes 9% longer when the collector drops them itself:
//! `benches/tricks.sh`).

use std::sync::mpsc;

/// The collector's end: hands written rows back.
#[derive(Clone)]
pub(crate) struct Recycler(mpsc::Sender<Box<dyn Send>>);

/// The reader's end: drops the rows handed back.
pub(crate) struct Returned(mpsc::Receiver<Box<dyn Send>>);

/// A recycler and the reader's end of it.
pub(crate) fn recycler() -> (Recycler, Returned) {
    let (tx, rx) = mpsc::channel();
    (Recycler(tx), Returned(rx))
}

impl Recycler {
    /// Hands rows back (dropped here if the reader has gone).
    pub(crate) fn give(&self, rows: impl Send + 'static) {
        let _ = self.0.send(Box::new(rows));
    }
}

impl Returned {
    /// Drops every row handed back so far.
    pub(crate) fn drop_returned(&self) {
        while let Ok(rows) = self.0.try_recv() {
            drop(rows);
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;

    #[test]
    fn rows_given_back_are_dropped_by_the_reader() {
        let (recycler, returned) = recycler();
        let rows = Arc::new(());
        recycler.give(Arc::clone(&rows));
        assert_eq!(
            Arc::strong_count(&rows),
            2,
            "held until the reader drops them"
        );
        returned.drop_returned();
        assert_eq!(Arc::strong_count(&rows), 1);
    }
}
