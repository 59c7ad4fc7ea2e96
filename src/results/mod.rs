//! The results file: the writer of its lines, and the one task that puts finished rows in
//! input order, writes and flushes them, journals what was done, and feeds the progress bar.

pub(crate) mod collector;
mod replace;
pub(crate) mod writer;
