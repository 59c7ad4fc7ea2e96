//! What can be wrong with one cell: a problem names its column and says why, quoting the value.

use std::borrow::Cow;
use std::fmt;

use crate::outcome::{ProblemLabel, Remedy, RowProblem};

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
    /// Cells right of a row's last column: a CSV record with more fields than its header
    /// line, or a sheet row past the sheet's declared width. The message quotes each (the
    /// first ten), so none is lost without a word.
    ExtraCells {
        values: Vec<String>,
        /// A sheet's row, not a CSV record (no delimiter can be at fault).
        sheet: bool,
    },
    Duplicate {
        name: String,
        of: String,
    },
    /// The example row of an earlier template, left in the file.
    TemplateExample,
}

impl ProblemKind {
    /// The words the same problem carries on every row, whatever the row's own values: a
    /// phrase of the message itself, so the results' `error` holds them too.
    pub(crate) fn label(&self) -> Cow<'static, str> {
        Cow::Borrowed(match self {
            ProblemKind::Required => "is required",
            ProblemKind::ErrorCell { error, .. } => return Cow::Owned(format!("is {error}")),
            ProblemKind::FormulaNoValue { .. } => "formula with no saved value",
            ProblemKind::ControlChar { .. } => "contains a control character",
            ProblemKind::TooLong { .. } => "over the 64 KiB",
            ProblemKind::WrongKind(_) => "nothing of this table is sent",
            ProblemKind::BadId(_) => "not a positive whole number",
            ProblemKind::BadCost(_) => "not an amount",
            ProblemKind::AmbiguousCost { .. } => "is ambiguous",
            ProblemKind::DecimalCommaCost(_) => "is written with a decimal comma",
            ProblemKind::PercentCost(_) => "is a percentage",
            ProblemKind::NegativeCost(_) => "is negative",
            ProblemKind::BadColour(_) => "not a colour",
            ProblemKind::BadBool(_) => "not true/false/yes/no/1/0",
            ProblemKind::BadApplyTo(_) => "not 1/opportunity or 2/lead",
            ProblemKind::BadKind(_) => "not source or stage",
            ProblemKind::ExtraCells { .. } => "cell(s) beyond the header",
            ProblemKind::Duplicate { .. } => "is a duplicate",
            ProblemKind::TemplateExample => "the template's example row",
        })
    }
}

/// The first [`QUOTE_CHARS`] characters of `v`, then `…` if there is more.
fn clip(v: &str) -> std::borrow::Cow<'_, str> {
    match v.char_indices().nth(QUOTE_CHARS) {
        None => std::borrow::Cow::Borrowed(v),
        Some((cut, _)) => std::borrow::Cow::Owned(format!("{}…", &v[..cut])),
    }
}

/// How many cells beyond the header a message quotes before "and N more".
const EXTRA_CELLS_QUOTED: usize = 10;

/// Cells beyond the header, each quoted (as every value a message quotes), and what may
/// have put them there.
fn extra_cells(values: &[String], sheet: bool) -> String {
    let mut quoted: Vec<String> = values
        .iter()
        .take(EXTRA_CELLS_QUOTED)
        .map(|v| quote(v))
        .collect();
    if values.len() > EXTRA_CELLS_QUOTED {
        quoted.push(format!("and {} more", values.len() - EXTRA_CELLS_QUOTED));
    }
    let why = if sheet {
        "the sheet declares fewer columns than it holds: give the column a header, or open and save the file in its application"
    } else {
        "more fields than the header line (an unquoted delimiter in a value shifts every value after it): quote that value, or give the extra columns a header"
    };
    format!(
        "{} cell(s) beyond the header, not read: {}; {why}",
        values.len(),
        quoted.join(", ")
    )
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

impl Problem {
    /// The label the problem is counted and shown under: the user's column, then the words
    /// of its kind (`Cost (AUD): not an amount`).
    pub(crate) fn label(&self) -> ProblemLabel {
        ProblemLabel::new(format!("{}: {}", self.column, self.kind.label()))
    }

    /// The problem as the row's outputs carry it: label, words, and the cell it is about.
    pub(crate) fn to_row_problem(&self) -> RowProblem {
        RowProblem {
            label: self.label(),
            text: Some(self.to_string()),
            column: Some(self.column.clone()),
            remedy: match &self.kind {
                ProblemKind::Duplicate { .. } => Remedy::Duplicate,
                ProblemKind::AmbiguousCost { .. } | ProblemKind::DecimalCommaCost(_) => {
                    Remedy::DecimalComma
                }
                ProblemKind::WrongKind(_) => Remedy::OtherKind,
                ProblemKind::FormulaNoValue { .. } => Remedy::SaveInSpreadsheet,
                _ => Remedy::FixCell,
            },
        }
    }
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
            ProblemKind::ExtraCells { values, sheet } => {
                write!(f, "{c}: {}", extra_cells(values, *sheet))
            }
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

#[cfg(test)]
mod tests {
    use super::*;

    /// One of each kind of problem.
    fn every_kind() -> Vec<ProblemKind> {
        vec![
            ProblemKind::Required,
            ProblemKind::ErrorCell {
                cell: "C6".into(),
                error: "#N/A".into(),
            },
            ProblemKind::FormulaNoValue {
                cell: "C6".into(),
                formula: "SUM(A1:A2)".into(),
            },
            ProblemKind::ControlChar {
                ch: '\u{7}',
                position: 3,
            },
            ProblemKind::TooLong { bytes: 70_000 },
            ProblemKind::WrongKind(
                "the sheet name \"Lead Stages\" says lead stages, but --kind sources was given: nothing of this table is sent; fix --kind or the headers".into(),
            ),
            ProblemKind::BadId("x".into()),
            ProblemKind::BadCost("abc".into()),
            ProblemKind::AmbiguousCost {
                value: "7,5".into(),
            },
            ProblemKind::DecimalCommaCost("2.500,00".into()),
            ProblemKind::PercentCost("12%".into()),
            ProblemKind::NegativeCost("-2".into()),
            ProblemKind::BadColour("blue".into()),
            ProblemKind::BadBool("maybe".into()),
            ProblemKind::BadApplyTo("3".into()),
            ProblemKind::BadKind("lead".into()),
            ProblemKind::ExtraCells {
                values: vec!["x".into(), "y".into()],
                sheet: false,
            },
            ProblemKind::ExtraCells {
                values: vec!["x".into()],
                sheet: true,
            },
            ProblemKind::Duplicate {
                name: "A".into(),
                of: "row 2".into(),
            },
            ProblemKind::TemplateExample,
        ]
    }

    #[test]
    fn extra_cells_are_quoted_ten_at_most_each_cut_at_80_characters() {
        let mut values: Vec<String> = (1..=12).map(|i| format!("v{i}")).collect();
        values[0] = "y".repeat(100);
        let m = extra_cells(&values, false);
        assert!(
            m.starts_with(&format!(
                "12 cell(s) beyond the header, not read: \"{}…\", \"v2\"",
                "y".repeat(80)
            )),
            "{m}"
        );
        assert!(
            m.contains("\"v10\", and 2 more; more fields than the header line"),
            "{m}"
        );
        assert!(!m.contains("v11"), "{m}");
        let m = extra_cells(&values[1..2], true);
        assert!(
            m.contains("the sheet declares fewer columns") && !m.contains("delimiter"),
            "{m}"
        );
    }

    #[test]
    fn a_label_is_the_column_and_words_of_the_message_itself() {
        for kind in every_kind() {
            let p = Problem {
                column: "Cost (AUD)".into(),
                kind,
            };
            let message = p.to_string();
            let label = p.label();
            let words = label
                .as_str()
                .strip_prefix("Cost (AUD): ")
                .unwrap_or_else(|| panic!("{label} does not name the column"));
            assert!(
                message.starts_with("Cost (AUD): ") && message.contains(words),
                "{message:?} does not hold the words of its label {words:?}"
            );
            let row = p.to_row_problem();
            assert_eq!(row.label, label);
            assert_eq!(row.text.as_deref(), Some(message.as_str()));
            assert_eq!(row.column.as_deref(), Some("Cost (AUD)"));
        }
    }
}
