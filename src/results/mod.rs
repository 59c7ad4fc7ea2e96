//! The results file: the writer of its lines, and the one task that puts finished rows in
//! input order and hands each to the sinks: the results CSV, the journal, the progress
//! display and its counts, and, when asked, the report and the results workbook.

pub(crate) mod collector;
pub(crate) mod journal;
pub(crate) mod line;
pub(crate) mod paths;
pub(crate) mod read;
mod replace;
pub(crate) mod tally;
pub(crate) mod writer;
