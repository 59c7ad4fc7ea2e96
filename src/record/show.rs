//! A record's values as they are sent, in words a person can check: the results' `sent`
//! column (`cost=2500; isReferral=true`: each value whose sent form is not its cell's text)
//! and the values of a `changes` entry. Texts are quoted and escaped as JSON strings, so a `;`
//! or a quote inside a value never reads as a separator; numbers and booleans are written
//! bare, as the API gets them.

use std::fmt::Write as _;

use super::{LeadSource, LeadStage, Record};
use crate::input::headers::Field;
use crate::input::number_text;

/// One value a record sends.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum Value<'a> {
    Text(&'a str),
    Number(f64),
    /// A cost as read: a plain decimal (`2500.00`, `37.01`), sent as the number it reads as.
    Amount(&'a str),
    Bool(bool),
    Code(u8),
}

impl Value<'_> {
    /// Appends the value in the form the results show.
    pub(crate) fn write_to(&self, out: &mut String) {
        match self {
            Value::Text(s) => quote(s, out),
            // The shortest text that reads back as the number: a cost's canonical decimal
            // (at most 15 significant digits) without trailing zeros.
            Value::Number(n) if n.is_finite() => {
                let _ = write!(out, "{n}");
            }
            Value::Number(n) => out.push_str(&number_text(*n)),
            // A plain decimal is written as its shortest text without a float.
            Value::Amount(a) => {
                if !write_shortest_decimal(a, out) {
                    Value::Number(amount(a)).write_to(out);
                }
            }
            Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
            Value::Code(c) => {
                let _ = write!(out, "{c}");
            }
        }
    }

    /// An amount as the number it reads as; other values as they are.
    fn number(self) -> Self {
        match self {
            Value::Amount(a) => Value::Number(amount(a)),
            v => v,
        }
    }

    pub(crate) fn shown(&self) -> String {
        let mut s = String::new();
        self.write_to(&mut s);
        s
    }
}

/// Appends `s` as a JSON string.
pub(crate) fn quote(s: &str, out: &mut String) {
    out.reserve(s.len() + 2);
    out.push('"');
    // Runs of characters that need no escape are copied whole; only `"`, `\\`, C0 controls,
    // DEL and C1 controls (U+0080–U+009F, `0xC2 0x80..=0x9F` in UTF-8) are escaped.
    let bytes = s.as_bytes();
    let mut run = 0;
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        let width = match b {
            b'"' | b'\\' | 0x00..=0x1f | 0x7f => 1,
            0xc2 if matches!(bytes.get(i + 1), Some(0x80..=0x9f)) => 2,
            _ => {
                i += 1;
                continue;
            }
        };
        out.push_str(&s[run..i]);
        match b {
            b'"' => out.push_str("\\\""),
            b'\\' => out.push_str("\\\\"),
            b'\n' => out.push_str("\\n"),
            b'\r' => out.push_str("\\r"),
            b'\t' => out.push_str("\\t"),
            _ => {
                let c = s[i..i + width].chars().next().map_or(0, u32::from);
                let _ = write!(out, "\\u{c:04x}");
            }
        }
        i += width;
        run = i;
    }
    out.push_str(&s[run..]);
    out.push('"');
}

/// The fields a record sends (its id aside: the results' `id` column shows it), in the
/// order of the API's documentation, with their API names.
pub(crate) fn fields(record: &Record) -> Vec<(&'static str, Value<'_>)> {
    let mut v = Vec::with_capacity(6);
    each_field(record, |field, value| {
        v.push((field.name(), value.number()))
    });
    v
}

/// The number a plain decimal reads as.
fn amount(a: &str) -> f64 {
    a.parse().unwrap_or(0.0)
}

/// Calls `f` with each field a record sends, as [`fields`] lists them, without collecting.
fn each_field<'a>(record: &'a Record, mut f: impl FnMut(Field, Value<'a>)) {
    let mut push = |name, value| f(name, value);
    match record {
        Record::Source(LeadSource {
            id: _,
            name,
            description,
            cost,
            colour,
            is_referral,
        }) => {
            if let Some(n) = name {
                push(Field::Name, Value::Text(n));
            }
            if let Some(d) = description {
                push(Field::Description, Value::Text(d));
            }
            if let Some(c) = cost {
                push(Field::Cost, Value::Amount(c.as_str()));
            }
            if let Some(c) = colour {
                push(Field::Colour, Value::Text(c));
            }
            if let Some(b) = is_referral {
                push(Field::IsReferral, Value::Bool(*b));
            }
        }
        Record::Stage(LeadStage {
            id: _,
            name,
            colour,
            apply_to,
        }) => {
            if let Some(n) = name {
                push(Field::Name, Value::Text(n));
            }
            if let Some(c) = colour {
                push(Field::Colour, Value::Text(c));
            }
            if let Some(a) = apply_to {
                push(Field::ApplyTo, Value::Code(a.code()));
            }
        }
    }
}

/// A set of fields, one bit each (by [`Field`] order).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct FieldSet(u8);

impl FieldSet {
    fn has(self, f: Field) -> bool {
        self.0 & (1 << f as u8) != 0
    }

    pub(crate) fn insert(&mut self, f: Field) {
        self.0 |= 1 << f as u8;
    }

    /// The fields of both sets.
    #[must_use]
    pub(crate) fn and(self, other: FieldSet) -> FieldSet {
        FieldSet(self.0 & other.0)
    }

    /// The fields `has` says are in.
    pub(crate) fn of(has: impl Fn(Field) -> bool) -> FieldSet {
        let mut set = FieldSet::default();
        for f in Field::ALL {
            if has(f) {
                set.insert(f);
            }
        }
        set
    }
}

/// The fields whose sent form is, character for character, the text of the cell they came
/// from (`cell` gives a field's cell, or `None` when no cell holds it). An empty text never
/// is (an empty cell sends nothing unless cleared, so a cleared field is shown).
///
/// The rule itself: rows work it out while they are checked (`record::check`), where the
/// cells are at hand; the tests hold the two to the same answer.
#[cfg(test)]
pub(crate) fn as_read<'c>(record: &Record, cell: impl Fn(Field) -> Option<&'c str>) -> FieldSet {
    let mut set = 0u8;
    each_field(record, |field, value| {
        if cell(field).is_some_and(|c| value.is(c)) {
            set |= 1 << field as u8;
        }
    });
    FieldSet(set)
}

/// Appends the `sent` text of a record: each value it sends but those of `as_read` (see
/// [`as_read`]). Nothing listed: every value goes as its cell reads. Returns whether a text
/// was written (only a text is quoted: without one the line holds no `"`, nor a comma).
pub(crate) fn write_sent(record: &Record, as_read: FieldSet, out: &mut String) -> bool {
    let start = out.len();
    let mut text = false;
    each_field(record, |field, value| {
        if as_read.has(field) {
            return;
        }
        if out.len() > start {
            out.push_str("; ");
        }
        out.push_str(field.name());
        out.push('=');
        text |= matches!(value, Value::Text(_));
        value.write_to(out);
    });
    text
}

/// Appends every value a record sends: `name="Google Ads"; cost=2500; isReferral=true`.
pub(crate) fn write_all(record: &Record, out: &mut String) {
    write_sent(record, FieldSet::default(), out);
}

/// Every value a record sends, as [`write_all`] writes them.
pub(crate) fn sent(record: &Record) -> String {
    let mut s = String::new();
    write_all(record, &mut s);
    s
}

impl Value<'_> {
    /// Whether the value as shown is `cell`'s text exactly (never for an empty text).
    pub(crate) fn is(&self, cell: &str) -> bool {
        match self {
            Value::Text(s) => !s.is_empty() && *s == cell,
            // Shown numbers are canonical decimals: any other cell text differs. A canonical
            // cell is the number shown when it reads back as the same number.
            Value::Number(n) => canonical_decimal(cell) && cell.parse::<f64>().ok() == Some(*n),
            Value::Amount(a) => *a == cell && amount_as_read(cell),
            Value::Bool(b) => cell == if *b { "true" } else { "false" },
            Value::Code(c) => cell == itoa::Buffer::new().format(*c),
        }
    }
}

/// Whether an amount's cell text is the text it is shown as: a canonical decimal is shown as
/// it is; any other text of at most 15 digits is not (its shortest form differs); a longer
/// one is when the number it reads as is written so.
pub(crate) fn amount_as_read(cell: &str) -> bool {
    crate::record::parse::plain_decimal(cell).is_some_and(|dot| plain_as_read(cell, dot))
}

/// [`amount_as_read`] of a text known to be a plain decimal (digits, at most one `.` with
/// digits on both sides), as a cost read from text always is.
pub(crate) fn plain_amount_as_read(cell: &str) -> bool {
    debug_assert!(
        crate::record::parse::plain_decimal(cell).is_some(),
        "{cell:?}"
    );
    plain_as_read(cell, cell.bytes().position(|c| c == b'.'))
}

/// [`amount_as_read`] of a plain decimal whose `.` is at `dot`.
fn plain_as_read(cell: &str, dot: Option<usize>) -> bool {
    if digits(cell, dot) > 15 {
        return Value::Amount(cell).shown() == cell;
    }
    canonical_plain(cell, dot)
}

/// How many digits a plain decimal whose `.` is at `dot` has.
fn digits(plain: &str, dot: Option<usize>) -> usize {
    plain.len() - usize::from(dot.is_some())
}

/// A plain decimal (its `.` at `dot`) with no leading zero and no fraction ending in zero.
fn canonical_plain(plain: &str, dot: Option<usize>) -> bool {
    let b = plain.as_bytes();
    let whole = dot.unwrap_or(b.len());
    (whole == 1 || b[0] != b'0') && (dot.is_none() || b.last() != Some(&b'0'))
}

/// Appends a plain decimal's shortest text (`0.50` → `0.5`, `2500.00` → `2500`, `007` → `7`)
/// when it has at most 15 significant digits: the text of the number it reads as, found
/// without going through a float (15 digits always come back from a float as they went in).
/// False, writing nothing, for any other text.
fn write_shortest_decimal(a: &str, out: &mut String) -> bool {
    let Some(dot) = crate::record::parse::plain_decimal(a) else {
        return false;
    };
    let (int, frac) = match dot {
        Some(d) => (&a[..d], &a[d + 1..]),
        None => (a, ""),
    };
    let int = int.trim_start_matches('0');
    let frac = frac.trim_end_matches('0');
    let significant = if int.is_empty() {
        frac.trim_start_matches('0').len()
    } else {
        int.len() + frac.len()
    };
    if significant > 15 {
        return false;
    }
    out.push_str(if int.is_empty() { "0" } else { int });
    if !frac.is_empty() {
        out.push('.');
        out.push_str(frac);
    }
    true
}

/// `0`, `12`, `12.5`: digits with no leading zero, an optional fraction not ending in zero,
/// at most 15 digits in all (so the number's shortest text is this one).
fn canonical_decimal(s: &str) -> bool {
    crate::record::parse::plain_decimal(s)
        .is_some_and(|dot| canonical_plain(s, dot) && digits(s, dot) <= 15)
}

#[cfg(test)]
mod tests;
