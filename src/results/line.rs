//! One finished row as every sink of the collector sees it: the columns of its results line,
//! typed, and its problems with their labels.

use std::borrow::Cow;

use crate::kind::Kind;
use crate::outcome::{RowProblem, Verdict};

/// One finished row, in input order.
#[derive(Debug)]
pub(crate) struct Line<'a> {
    /// The row as a spreadsheet application shows it (a fed-back results file: the row of the
    /// spreadsheet being fixed).
    pub row: u32,
    pub sheet: &'a str,
    pub kind: Option<Kind>,
    pub verdict: &'a Verdict,
    /// What the `id` column holds: the id the API gave, else the row's own id cell.
    pub id: Cow<'a, str>,
    pub problems: &'a [RowProblem],
    /// The echoed cells, one per echoed column of the file.
    pub echo: Vec<&'a str>,
    /// The echoed column holding the row's cost and its amount, when the row is valid.
    pub cost: Option<(usize, f64)>,
    /// The `sent` column: the values the row sends (or would send), as the results file has them.
    pub sent: &'a str,
}
