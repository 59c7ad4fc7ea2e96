//! What can be wrong with one cell: a problem names its column and says why, quoting the value.

use std::fmt;

/// The most a mapped cell may hold, in bytes (64 KiB).
pub(super) const MAX_CELL_BYTES: usize = 64 * 1024;

/// How many characters of a value a message quotes before `…`.
const QUOTE_CHARS: usize = 80;

/// Why one cell is not acceptable. Displayed after the column name.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum ProblemKind {
    Required,
    ErrorCell {
        cell: String,
        error: String,
    },
    /// A formula saved without its result (openpyxl, pandas).
    FormulaNoValue {
        cell: String,
        formula: String,
    },
    /// A control character in a text field, with its 1-based position.
    ControlChar {
        ch: char,
        position: usize,
    },
    /// A cell over [`MAX_CELL_BYTES`].
    TooLong {
        bytes: usize,
    },
    /// The table's sheet name or headers say the other kind than `--kind`.
    WrongKind(String),
    BadId(String),
    BadCost(String),
    /// `7,5`, `2.500`: 7.5 or 7500, 2.5 or 2500.
    AmbiguousCost {
        value: String,
    },
    /// `2.500,00`: written with a decimal comma, read only with `--decimal-comma`.
    DecimalCommaCost(String),
    /// `12%`: a share, not an amount.
    PercentCost(String),
    NegativeCost(String),
    BadColour(String),
    BadBool(String),
    BadApplyTo(String),
    BadKind(String),
    ExtraCells {
        count: usize,
        first: String,
    },
    Duplicate {
        name: String,
        of: String,
    },
    /// The example row of an earlier template, left in the file.
    TemplateExample,
}

impl ProblemKind {
    /// A short stable label used to count problems in the summary.
    pub(crate) fn label(&self) -> &'static str {
        match self {
            ProblemKind::Required => "required",
            ProblemKind::ErrorCell { .. } => "error cell",
            ProblemKind::FormulaNoValue { .. } => "formula with no saved value",
            ProblemKind::ControlChar { .. } => "control character",
            ProblemKind::TooLong { .. } => "over 64 KiB",
            ProblemKind::WrongKind(_) => "other kind than --kind",
            ProblemKind::BadId(_) => "not a whole number",
            ProblemKind::BadCost(_) => "not an amount",
            ProblemKind::AmbiguousCost { .. } => "ambiguous amount",
            ProblemKind::DecimalCommaCost(_) => "decimal comma",
            ProblemKind::PercentCost(_) => "a percentage",
            ProblemKind::NegativeCost(_) => "negative",
            ProblemKind::BadColour(_) => "not a colour",
            ProblemKind::BadBool(_) => "not yes/no",
            ProblemKind::BadApplyTo(_) => "not opportunity/lead",
            ProblemKind::BadKind(_) => "not source/stage",
            ProblemKind::ExtraCells { .. } => "cells beyond the header",
            ProblemKind::Duplicate { .. } => "duplicate",
            ProblemKind::TemplateExample => "the template's example row",
        }
    }
}

/// The first [`QUOTE_CHARS`] characters of `v`, then `…` if there is more.
fn clip(v: &str) -> std::borrow::Cow<'_, str> {
    match v.char_indices().nth(QUOTE_CHARS) {
        None => std::borrow::Cow::Borrowed(v),
        Some((cut, _)) => std::borrow::Cow::Owned(format!("{}…", &v[..cut])),
    }
}

/// A value quoted for a message: escaped, and cut at [`QUOTE_CHARS`] characters.
pub(super) fn quote(v: &str) -> String {
    format!("{:?}", clip(v))
}

/// One problem in one cell of one row: the column (as the file names it) and what is wrong.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Problem {
    pub column: String,
    pub kind: ProblemKind,
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let c = &self.column;
        match &self.kind {
            ProblemKind::Required => write!(f, "{c}: is required when there is no id"),
            ProblemKind::ErrorCell { cell, error } => write!(f, "{c}: cell {cell} is {error}"),
            ProblemKind::FormulaNoValue { cell, formula } => write!(
                f,
                "{c}: cell {cell} holds a formula with no saved value (={}); open and save the file in Excel or LibreOffice",
                clip(formula)
            ),
            ProblemKind::ControlChar { ch, position } => write!(
                f,
                "{c}: contains a control character (U+{:04X}) at position {position}",
                u32::from(*ch)
            ),
            ProblemKind::TooLong { bytes } => write!(
                f,
                "{c}: the cell holds {bytes} bytes, over the 64 KiB ({MAX_CELL_BYTES} bytes) a field may hold"
            ),
            ProblemKind::WrongKind(why) => write!(f, "{c}: {why}"),
            ProblemKind::BadId(v) => {
                write!(f, "{c}: {} is not a positive whole number", quote(v))
            }
            ProblemKind::BadCost(v) => write!(f, "{c}: {} is not an amount", quote(v)),
            ProblemKind::AmbiguousCost { value } => write!(
                f,
                "{c}: {} is ambiguous (a decimal mark or a thousands separator?); write it with a decimal point and no thousands separator (7.5 or 7500), or pass --decimal-comma if the file's amounts use a decimal comma",
                quote(value)
            ),
            ProblemKind::DecimalCommaCost(v) => write!(
                f,
                "{c}: {} is written with a decimal comma; pass --decimal-comma to read the file's amounts that way",
                quote(v)
            ),
            ProblemKind::PercentCost(v) => write!(
                f,
                "{c}: {} is a percentage; a cost is an amount, not a share",
                quote(v)
            ),
            ProblemKind::NegativeCost(v) => write!(f, "{c}: {} is negative", quote(v)),
            ProblemKind::BadColour(v) => {
                write!(
                    f,
                    "{c}: {} is not a colour (#rrggbb, rrggbb or #rgb)",
                    quote(v)
                )
            }
            ProblemKind::BadBool(v) => {
                write!(f, "{c}: {} is not true/false/yes/no/1/0", quote(v))
            }
            ProblemKind::BadApplyTo(v) => {
                write!(f, "{c}: {} is not 1/opportunity or 2/lead", quote(v))
            }
            ProblemKind::BadKind(v) => write!(f, "{c}: {} is not source or stage", quote(v)),
            ProblemKind::ExtraCells { count, first } => write!(
                f,
                "{c}: {count} non-empty cell(s) beyond the header, starting {} (an unquoted delimiter?)",
                quote(first)
            ),
            ProblemKind::Duplicate { name, of } => {
                write!(f, "{c}: {} is a duplicate of {of}", quote(name))
            }
            ProblemKind::TemplateExample => write!(
                f,
                "{c}: this is the template's example row (Website, #1f77b4), not a record: delete it"
            ),
        }
    }
}
