//! Cells → a record, or every problem of the row.

use super::parse::{parse_apply_to, parse_bool, parse_colour, parse_cost, parse_id};
use super::{Kind, LeadSource, LeadStage, Money, Problem, ProblemKind, Record, Text};
use crate::bytes::any_byte;
use crate::input::headers::{Field, FieldColumns};
use crate::input::{CellRef, Cells, trim};

use super::problem::MAX_CELL_BYTES;
use super::show::{FieldSet, Value, plain_amount_as_read};

/// Collects a row's problems while fields are parsed, and which values are sent exactly as
/// their cells read.
struct Check<'a, C: Cells> {
    cells: &'a C,
    cols: &'a FieldColumns,
    problems: Vec<Problem>,
    /// The fields whose sent form is their cell's text (see [`FieldSet`]).
    as_read: FieldSet,
}

impl<C: Cells> Check<'_, C> {
    fn problem(&mut self, header: &str, kind: ProblemKind) {
        self.problems.push(Problem {
            column: header.to_string(),
            kind,
        });
    }

    /// Whether a problem was recorded for the field's column.
    fn has_problem(&self, field: Field) -> bool {
        self.cols
            .get(field)
            .is_some_and(|(_, h)| self.problems.iter().any(|p| p.column == h))
    }

    /// The cell of a field, or None when the column is absent or the cell empty. Error cells,
    /// formulas with no saved value and cells over 64 KiB become a problem here.
    #[inline(always)]
    fn cell(&mut self, field: Field) -> Option<(CellRef<'_>, &str)> {
        let (i, header) = self.cols.get(field)?;
        match self.cells.cell(i) {
            CellRef::Empty => None,
            CellRef::Text(t) if trim(t).is_empty() || invisible(trim(t)) => None,
            CellRef::Text(t) if t.len() > MAX_CELL_BYTES => {
                self.problem(header, ProblemKind::TooLong { bytes: t.len() });
                None
            }
            CellRef::Error(e) => {
                let kind = ProblemKind::ErrorCell {
                    cell: self.cells.cell_ref(i),
                    error: e.to_string(),
                };
                self.problem(header, kind);
                None
            }
            CellRef::Formula(formula) => {
                let kind = ProblemKind::FormulaNoValue {
                    cell: self.cells.cell_ref(i),
                    formula: formula.to_string(),
                };
                self.problem(header, kind);
                None
            }
            c => Some((c, header)),
        }
    }

    fn parse<T>(
        &mut self,
        field: Field,
        parse: impl FnOnce(CellRef<'_>) -> Result<T, ProblemKind>,
    ) -> Option<T> {
        self.parse_shown(field, parse, |_, _| false)
    }

    /// Parses a field that the results may show, noting whether it is sent exactly as its
    /// cell reads (`as_read`: the value and its cell; see [`super::show::as_read`]).
    fn parse_shown<T>(
        &mut self,
        field: Field,
        parse: impl FnOnce(CellRef<'_>) -> Result<T, ProblemKind>,
        as_read: impl FnOnce(&T, CellRef<'_>) -> bool,
    ) -> Option<T> {
        let (cell, header) = self.cell(field)?;
        match parse(cell) {
            Ok(v) => {
                let as_read = as_read(&v, cell);
                if as_read {
                    self.as_read.insert(field);
                }
                Some(v)
            }
            Err(kind) => {
                let column = header.to_string();
                self.problems.push(Problem { column, kind });
                None
            }
        }
    }

    /// A text field, trimmed. Control characters are refused, but for tab and line breaks
    /// where `breaks` allows them (a description).
    fn text(&mut self, field: Field, breaks: bool) -> Option<Text> {
        let (cell, header) = self.cell(field)?;
        let text = cell.display();
        let whole = text.len();
        let text = trim(&text);
        // Control characters are below 0x20, 0x7f, or (U+0080–U+009F) start with 0xc2.
        let maybe_control = any_byte(text.as_bytes(), |b| b < 0x20 || b == 0x7f || b == 0xc2);
        let bad = maybe_control
            .then(|| text.chars())
            .into_iter()
            .flatten()
            .enumerate()
            .find(|(_, ch)| ch.is_control() && !(breaks && matches!(ch, '\t' | '\n' | '\r')));
        if let Some((i, ch)) = bad {
            let header = header.to_string();
            self.problem(
                &header,
                ProblemKind::ControlChar {
                    ch,
                    position: i + 1,
                },
            );
            return None;
        }
        // Trimming only takes away: the same length is the same text.
        let as_read = text.len() == whole;
        let text = text.into();
        if as_read {
            self.as_read.insert(field);
        }
        Some(text)
    }
}

/// Text that shows nothing: only format characters (zero-width spaces and joiners, the
/// byte-order mark, direction marks, soft hyphens) and whitespace. Such a cell is empty.
fn invisible(t: &str) -> bool {
    // Every such character is outside ASCII; visible ASCII text is answered by its first byte.
    t.as_bytes().first().is_some_and(|b| !b.is_ascii())
        && t.chars().all(|c| c.is_whitespace() || is_format_char(c))
}

/// Unicode's format characters (general category Cf) and the other characters that render as
/// nothing: the combining grapheme joiner, Hangul fillers, the Mongolian vowel separator.
fn is_format_char(c: char) -> bool {
    matches!(
        c,
        '\u{ad}'
            | '\u{34f}'
            | '\u{600}'..='\u{605}'
            | '\u{61c}'
            | '\u{6dd}'
            | '\u{70f}'
            | '\u{115f}'..='\u{1160}'
            | '\u{17b4}'..='\u{17b5}'
            | '\u{180b}'..='\u{180f}'
            | '\u{200b}'..='\u{200f}'
            | '\u{202a}'..='\u{202e}'
            | '\u{2060}'..='\u{2064}'
            | '\u{2066}'..='\u{206f}'
            | '\u{3164}'
            | '\u{fe00}'..='\u{fe0f}'
            | '\u{feff}'
            | '\u{ffa0}'
            | '\u{fff9}'..='\u{fffb}'
            | '\u{110bd}'
            | '\u{110cd}'
            | '\u{1bca0}'..='\u{1bca3}'
            | '\u{1d173}'..='\u{1d17a}'
            | '\u{e0001}'
            | '\u{e0020}'..='\u{e007f}'
            | '\u{e0100}'..='\u{e01ef}'
    )
}

/// The example row earlier templates carried under their header, still in the file.
fn is_template_example(record: &Record) -> bool {
    use crate::template::{EXAMPLE_COLOUR, EXAMPLE_DESCRIPTION, EXAMPLE_NAME};
    let example = |name: &Option<Text>, colour: &Option<Text>| {
        name.as_deref() == Some(EXAMPLE_NAME) && colour.as_deref() == Some(EXAMPLE_COLOUR)
    };
    match record {
        Record::Source(s) => {
            example(&s.name, &s.colour) && s.description.as_deref() == Some(EXAMPLE_DESCRIPTION)
        }
        Record::Stage(s) => {
            example(&s.name, &s.colour) && s.apply_to == Some(super::ApplyTo::Opportunity)
        }
    }
}

/// A colour is sent as `#rrggbb`: only a text cell can read so.
fn colour_as_read(colour: &Text, cell: CellRef<'_>) -> bool {
    matches!(cell, CellRef::Text(t) if t == colour.as_str())
}

/// A cost is sent as the shortest text of its number (see [`Value::Amount`]).
fn cost_as_read(cost: &Money, cell: CellRef<'_>) -> bool {
    match cell {
        // A cost read from text is a plain decimal (`Money`): the same text is one.
        CellRef::Text(t) => t == cost.as_str() && plain_amount_as_read(t),
        other => Value::Amount(cost.as_str()).is(&other.display()),
    }
}

/// A boolean is sent as `true` or `false`: a cell that reads so (a text, or a boolean cell).
fn bool_as_read(b: &bool, cell: CellRef<'_>) -> bool {
    match cell {
        CellRef::Text(t) => t == if *b { "true" } else { "false" },
        CellRef::Bool(_) => true,
        _ => false,
    }
}

/// Validates one row as a record of `kind`. Every problem in the row is reported.
#[cfg(test)]
pub(crate) fn validate<C: Cells>(
    kind: Kind,
    cells: &C,
    cols: &FieldColumns,
    problems: Vec<Problem>,
) -> Result<Record, Vec<Problem>> {
    check(kind, cells, cols, problems).0
}

/// Validates one row as a record of `kind` (see [`validate`]), and says which of its values
/// are sent exactly as their cells read (see [`super::show::as_read`]: the same rule,
/// worked out while the cells are at hand).
pub(crate) fn check<C: Cells>(
    kind: Kind,
    cells: &C,
    cols: &FieldColumns,
    problems: Vec<Problem>,
) -> (Result<Record, Vec<Problem>>, FieldSet) {
    let mut ck = Check {
        cells,
        cols,
        problems: Vec::new(),
        as_read: FieldSet::default(),
    };
    if let Some(why) = &cols.rules.wrong_kind {
        ck.problem("kind", ProblemKind::WrongKind(why.clone()));
    }
    let id = ck.parse(Field::Id, parse_id);
    let id_cell_empty = match cols.get(Field::Id) {
        None => true,
        Some((i, _)) => cells.cell(i).is_blank(),
    };
    let name = ck.text(Field::Name, false);
    if name.is_none() && id_cell_empty && !ck.has_problem(Field::Name) {
        ck.problems.push(Problem {
            column: cols
                .get(Field::Name)
                .map_or("name".to_string(), |(_, h)| h.to_string()),
            kind: ProblemKind::Required,
        });
    }
    let colour = ck.parse_shown(Field::Colour, parse_colour, colour_as_read);
    let record = match kind {
        Kind::Source => {
            let description = ck.text(Field::Description, true);
            let cost = ck.parse_shown(Field::Cost, |c| parse_cost(c, &cols.rules), cost_as_read);
            let is_referral = ck.parse_shown(Field::IsReferral, parse_bool, bool_as_read);
            Record::Source(LeadSource {
                id,
                name,
                description,
                cost,
                colour,
                is_referral,
            })
        }
        Kind::Stage => {
            let apply_to = ck.parse_shown(Field::ApplyTo, parse_apply_to, |a, cell| {
                Value::Code(a.code()).is(&cell.display())
            });
            if apply_to.is_none() && id_cell_empty && !ck.has_problem(Field::ApplyTo) {
                ck.problems.push(Problem {
                    column: cols
                        .get(Field::ApplyTo)
                        .map_or("applyTo".to_string(), |(_, h)| h.to_string()),
                    kind: ProblemKind::Required,
                });
            }
            Record::Stage(LeadStage {
                id,
                name,
                colour,
                apply_to,
            })
        }
    };
    if is_template_example(&record) {
        ck.problems.push(Problem {
            column: cols
                .get(Field::Name)
                .map_or("name".to_string(), |(_, h)| h.to_string()),
            kind: ProblemKind::TemplateExample,
        });
    }
    if ck.problems.is_empty() && problems.is_empty() {
        return (Ok(record), ck.as_read);
    }
    (Err(all_problems(ck, problems)), FieldSet::default())
}

/// Every problem of a row: those found before it was checked (`before`), and its cells'.
fn all_problems<C: Cells>(mut ck: Check<'_, C>, mut before: Vec<Problem>) -> Vec<Problem> {
    // A table-level problem (the other kind than --kind) comes first in the row.
    if ck.cols.rules.wrong_kind.is_some() {
        ck.problems.append(&mut before);
        return ck.problems;
    }
    before.append(&mut ck.problems);
    before
}

#[cfg(test)]
mod tests;

#[cfg(test)]
mod cell_tests;
