//! Formula-like cells in the CSV files this tool writes (`--excel-safe-csv`).
//!
//! A spreadsheet application that opens a CSV file directly takes a cell starting with `=`,
//! `+`, `-`, `@`, a tab or a carriage return for a formula. With `--excel-safe-csv` such a cell
//! is written with a leading `'` (OWASP's advice on CSV injection), so it shows as text and is
//! never run. Reading removes that `'` again: [`strip`] undoes [`marked`] for every value.
//!
//! So that a value which already starts with `'` and one of those characters reads back as it
//! was, it gets one more `'` whether or not the option is on (the same idea as a quote written
//! twice inside a quoted CSV field). Every other value is written as it is.

/// The characters a spreadsheet application may take for the start of a formula.
#[inline]
fn is_trigger(b: u8) -> bool {
    matches!(b, b'=' | b'+' | b'-' | b'@' | b'\t' | b'\r')
}

/// Whether `f` is written with a leading `'`: it starts with one of the formula characters
/// (when `excel_safe` is on), or with one or more `'` followed by one (always).
#[inline]
pub(crate) fn marked(f: &[u8], excel_safe: bool) -> bool {
    match f.first() {
        Some(b'\'') => starts_marked(f),
        Some(&b) => excel_safe && is_trigger(b),
        None => false,
    }
}

/// One or more `'`, then a formula character.
#[inline]
fn starts_marked(f: &[u8]) -> bool {
    let quotes = f.iter().take_while(|&&b| b == b'\'').count();
    quotes > 0 && f.get(quotes).is_some_and(|&b| is_trigger(b))
}

/// A value as it was before it was written: one leading `'` removed from a value that starts
/// with one or more `'` followed by a formula character; any other value as it is.
#[inline]
pub(crate) fn strip(s: &str) -> &str {
    if is_stripped(s.as_bytes()) {
        &s[1..]
    } else {
        s
    }
}

/// [`strip`] in place.
pub(crate) fn strip_in_place(s: &mut String) {
    if is_stripped(s.as_bytes()) {
        s.remove(0);
    }
}

/// Whether a cell of this text would lose a `'` to [`strip`].
#[inline]
pub(crate) fn is_stripped(s: &[u8]) -> bool {
    s.first() == Some(&b'\'') && starts_marked(s)
}

/// Whether a table's header says this tool wrote the file, so its marked cells are read back
/// without their `'` whatever the options: a results file (its fixed columns first), or an
/// export (a kind's export columns first).
pub(crate) fn written_by_this_tool<S: AsRef<str>>(headers: &[S]) -> bool {
    crate::outcome::own_columns(headers) > 0
        || crate::kind::Kind::ALL.iter().any(|k| {
            let columns = k.info().export_columns;
            headers.len() >= columns.len()
                && headers.iter().zip(columns).all(|(h, c)| h.as_ref() == *c)
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `f` as the writer writes it.
    fn written(f: &str, excel_safe: bool) -> String {
        if marked(f.as_bytes(), excel_safe) {
            format!("'{f}")
        } else {
            f.to_string()
        }
    }

    #[test]
    fn formula_like_cells_get_a_quote_mark_only_when_asked() {
        for f in ["=HYPERLINK(\"x\")", "+cmd", "-5", "@SUM(A1)", "\tx", "\rx"] {
            assert_eq!(written(f, true), format!("'{f}"));
            assert_eq!(written(f, false), f);
        }
        for f in ["", "Expo", "5", "'quoted", "a=b", " =x", "'", "''"] {
            assert_eq!(written(f, true), f);
            assert_eq!(written(f, false), f);
        }
    }

    #[test]
    fn a_value_that_already_starts_with_the_mark_gets_one_more() {
        for on in [false, true] {
            assert_eq!(written("'=x", on), "''=x");
            assert_eq!(written("''-5", on), "'''-5");
        }
        assert_eq!(strip("''=x"), "'=x");
        assert_eq!(strip("'=x"), "=x");
        assert_eq!(strip("'x"), "'x");
        assert_eq!(strip("=x"), "=x");
    }

    #[test]
    fn results_and_export_headers_are_recognised() {
        let mut results = crate::outcome::RESULT_COLUMNS.to_vec();
        results.push("name");
        assert!(written_by_this_tool(&results));
        assert!(written_by_this_tool(&["id", "name", "kind"]));
        assert!(written_by_this_tool(&[
            "id",
            "name",
            "description",
            "cost",
            "isReferral",
            "kind",
            "notes"
        ]));
        assert!(!written_by_this_tool(&["name", "cost"]));
        assert!(!written_by_this_tool(&["id", "name"]));
    }

    proptest::proptest! {
        /// Reading a written value gives it back, with the option or without, whatever it holds.
        #[test]
        fn strip_undoes_the_mark(
            f in "['=+\\-@\t\r]{0,4}(\\PC|[\t\r\n]){0,8}",
            on in proptest::bool::ANY,
        ) {
            let w = written(&f, on);
            proptest::prop_assert_eq!(strip(&w), f.as_str());
            proptest::prop_assert_eq!(is_stripped(w.as_bytes()), w.len() != f.len());
            // With the option on, nothing written starts as a formula.
            if on {
                proptest::prop_assert!(!w.as_bytes().first().is_some_and(|&b| is_trigger(b)));
            }
        }
    }
}
