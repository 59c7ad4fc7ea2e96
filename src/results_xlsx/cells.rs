//! One cell's value and size: numbers, widths, notes, text cut to what a cell holds.

use std::borrow::Cow;

use rust_xlsxwriter::Note;

use super::MAX_CELL_TEXT;

/// A note sized to its text.
pub(super) fn note(text: &str) -> Note {
    const CHARS_PER_LINE: usize = 48;
    let lines: usize = text
        .lines()
        .map(|l| l.chars().count().div_ceil(CHARS_PER_LINE).max(1))
        .sum();
    let height = (16 * lines + 14).min(400);
    Note::new(fit_note(text))
        .add_author_prefix(false)
        .set_author("ivvy-import")
        .set_width(320)
        .set_height(u32::try_from(height).unwrap_or(400))
}

/// A whole number in a numeric column, when it is exactly representable.
pub(super) fn whole_number(s: &str) -> Option<f64> {
    let t = s.trim();
    if t.is_empty() || t.len() > 15 || !t.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    // At most 15 digits: exact in an f64.
    t.parse::<u64>().ok().map(|n| n as f64)
}

/// A column index as the worksheet's type; callers have checked it against MAX_COLUMNS.
pub(super) fn col(c: usize) -> u16 {
    u16::try_from(c).unwrap_or(u16::MAX)
}

pub(super) fn number_width(n: f64) -> usize {
    format!("{n}").len()
}

pub(super) fn text_width(s: &str) -> usize {
    s.lines().map(|l| l.chars().count()).max().unwrap_or(0)
}

pub(super) fn column_width(chars: usize, cap: usize) -> f64 {
    (chars.clamp(8, cap) + 1) as f64
}

/// Text cut to what a cell holds.
pub(super) fn fit(s: &str) -> Cow<'_, str> {
    cut(s, MAX_CELL_TEXT)
}

/// A note's text also carries a prefix of up to 54 units.
fn fit_note(s: &str) -> Cow<'_, str> {
    cut(s, MAX_CELL_TEXT - 54)
}

fn cut(s: &str, max_utf16: usize) -> Cow<'_, str> {
    if s.len() <= max_utf16 || s.encode_utf16().count() <= max_utf16 {
        return Cow::Borrowed(s);
    }
    let mut units = 0;
    for (i, c) in s.char_indices() {
        units += c.len_utf16();
        if units > max_utf16 - 1 {
            return Cow::Owned(format!("{}…", &s[..i]));
        }
    }
    Cow::Borrowed(s)
}
