//! A results line's problems read from its `error` cell, each with the short label that the
//! same problem carries on every row, whatever the row's own values.

/// Longest label kept; a longer one is cut with an ellipsis.
const MAX_LABEL_CHARS: usize = 100;

/// One problem of one results line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct LineProblem<'a> {
    /// The column the problem names, as the file names it; empty for an API error or a
    /// message that names no column.
    pub column: &'a str,
    /// The index, in the results header, of the column the problem names, if the file has it.
    pub header: Option<usize>,
    /// What the same problem on other rows is counted under (see [`problem_label`]).
    pub label: String,
    /// The problem as the file words it.
    pub text: &'a str,
}

/// The problems in a line's `error` cell.
///
/// A failed row (or any row with an `error_code`) holds one API error: its whole message is
/// one problem, labelled by its codes. Any other row holds the row's problems joined by `; `,
/// each `<column>: <message>` with values quoted as `"..."` (backslash escapes inside).
/// `headers` are the results file's columns: a problem's column is the longest header it
/// starts with (`<header>: `), so a header holding `: ` is still found; failing that, the text
/// before the first `: ` outside quotes.
pub(crate) fn line_problems<'a>(
    headers: &[String],
    status: &str,
    error: &'a str,
    error_code: &str,
    specific_code: &str,
) -> Vec<LineProblem<'a>> {
    let error = error.trim();
    if error.is_empty() {
        return Vec::new();
    }
    if status == "failed" || !error_code.trim().is_empty() {
        return vec![LineProblem {
            column: "",
            header: None,
            label: api_label(error_code.trim(), specific_code.trim(), error),
            text: error,
        }];
    }
    split_problems(error)
        .into_iter()
        .map(|text| {
            let named = headers
                .iter()
                .enumerate()
                .filter(|(_, h)| {
                    !h.is_empty()
                        && text.len() > h.len() + 2
                        && text.starts_with(h.as_str())
                        && text[h.len()..].starts_with(": ")
                })
                .max_by_key(|(i, h)| (h.len(), std::cmp::Reverse(*i)));
            let (column, header, message) = match named {
                Some((i, h)) => (&text[..h.len()], Some(i), &text[h.len() + 2..]),
                None => match find_outside_quotes(text, ": ") {
                    Some(at) => (&text[..at], None, &text[at + 2..]),
                    None => ("", None, text),
                },
            };
            LineProblem {
                column,
                header,
                label: problem_label(column, message),
                text,
            }
        })
        .collect()
}

/// Splits an `error` cell into its problems at each `; ` outside a quoted value. A piece with
/// no `: ` in it cannot start a problem (every problem names its column), so it is the rest of
/// the previous one, as in `...is ambiguous (...); write it with a decimal point`.
pub(crate) fn split_problems(error: &str) -> Vec<&str> {
    let mut items: Vec<&str> = Vec::new();
    let mut start = 0;
    let mut rest = error;
    let mut offset = 0;
    loop {
        let cut = find_outside_quotes(rest, "; ");
        let piece_end = cut.map_or(error.len(), |c| offset + c);
        let piece = &error[offset..piece_end];
        let continues = !items.is_empty() && find_outside_quotes(piece, ": ").is_none();
        if continues {
            items.pop();
        } else {
            start = offset;
        }
        let item = error[start..piece_end].trim();
        items.push(item);
        match cut {
            Some(c) => {
                offset += c + 2;
                rest = &error[offset..];
            }
            None => break,
        }
    }
    items.retain(|i| !i.is_empty());
    items
}

/// The label a problem is counted under: its column, then the kind of its message with the
/// row's own values taken out, so `Cost: "7,5" is ambiguous (...)` and `Cost: "8,1" is
/// ambiguous (...)` are one problem, `Cost: "…" is ambiguous`.
///
/// The message is normalised by replacing each quoted value with `"…"` and each number or
/// cell reference (`5`, `C6`) with `…`, then cut before the first explanation (` (`, `; `,
/// `, `), so that a problem's label stays short and the same for every row that has it.
pub(crate) fn problem_label(column: &str, message: &str) -> String {
    let kind = message_kind(message);
    let label = match (column.is_empty(), kind.is_empty()) {
        (true, _) => kind,
        (false, true) => column.to_string(),
        (false, false) => format!("{column}: {kind}"),
    };
    shorten(label)
}

/// The label of an API error: its codes when the API gave them, else the failure's message.
fn api_label(error_code: &str, specific_code: &str, message: &str) -> String {
    match (error_code.is_empty(), specific_code.is_empty()) {
        (false, false) => format!("API error {error_code}/{specific_code}"),
        (false, true) => format!("API error {error_code}"),
        _ => {
            let kind = message_kind(message);
            shorten(if kind.is_empty() {
                "failed".to_string()
            } else {
                format!("failed: {kind}")
            })
        }
    }
}

fn message_kind(message: &str) -> String {
    let unquoted = replace_quoted(message);
    let mut words: Vec<String> = Vec::new();
    for word in unquoted.split_whitespace() {
        words.push(mask_number(word));
    }
    let mut kind = words.join(" ");
    for stop in [" (", "; ", ", "] {
        if let Some(at) = kind.find(stop) {
            kind.truncate(at);
        }
    }
    kind.trim_end_matches(['.', ',', ';', ':', ' ']).to_string()
}

/// `"..."` (with backslash escapes inside) → `"…"`. An unclosed quote runs to the end.
fn replace_quoted(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut chars = s.chars();
    while let Some(c) = chars.next() {
        if c != '"' {
            out.push(c);
            continue;
        }
        out.push_str("\"…\"");
        while let Some(q) = chars.next() {
            match q {
                '\\' => {
                    chars.next();
                }
                '"' => break,
                _ => {}
            }
        }
    }
    out
}

/// A word that is a number (`5`, `12,000`, `7.5`) or a cell reference (`C6`, `$C$6`) becomes
/// `…`, keeping punctuation around it.
fn mask_number(word: &str) -> String {
    let is_punct = |c: char| matches!(c, '(' | ')' | ',' | '.' | ';' | ':');
    let core = word.trim_matches(is_punct);
    if core.is_empty() {
        return word.to_string();
    }
    let at = word.len() - word.trim_start_matches(is_punct).len();
    let is_number = core
        .chars()
        .all(|c| c.is_ascii_digit() || c == ',' || c == '.')
        && core.chars().any(|c| c.is_ascii_digit());
    let cell: String = core.chars().filter(|c| *c != '$').collect();
    let digits = cell.trim_start_matches(|c: char| c.is_ascii_uppercase());
    let letters = cell.len() - digits.len();
    let is_cell = (1..=3).contains(&letters)
        && !digits.is_empty()
        && digits.chars().all(|c| c.is_ascii_digit());
    if is_number || is_cell {
        format!("{}…{}", &word[..at], &word[at + core.len()..])
    } else {
        word.to_string()
    }
}

fn shorten(mut s: String) -> String {
    if let Some((at, _)) = s.char_indices().nth(MAX_LABEL_CHARS) {
        s.truncate(at);
        s.push('…');
    }
    s
}

/// Byte offset of the first `pat` in `s` that is not inside a `"..."` value.
fn find_outside_quotes(s: &str, pat: &str) -> Option<usize> {
    let bytes = s.as_bytes();
    let mut quoted = false;
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'\\' if quoted => i += 1,
            b'"' => quoted = !quoted,
            _ if !quoted && s[i..].starts_with(pat) => return Some(i),
            _ => {}
        }
        i += 1;
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::problems::test_headers as headers;

    #[test]
    fn same_problem_with_other_values_has_one_label() {
        let a = problem_label(
            "Cost (AUD)",
            r#""7,5" is ambiguous (decimal comma or thousands separator?)"#,
        );
        let b = problem_label(
            "Cost (AUD)",
            r#""8,1" is ambiguous (decimal comma or thousands separator?)"#,
        );
        assert_eq!(a, b);
        assert_eq!(a, r#"Cost (AUD): "…" is ambiguous"#);
    }

    #[test]
    fn different_columns_or_kinds_have_different_labels() {
        let colour = problem_label("colour", r#""blue" is not a colour (#rrggbb)"#);
        let other = problem_label("Colour 2", r#""blue" is not a colour (#rrggbb)"#);
        let bool_ = problem_label("colour", r#""blue" is not true/false/yes/no/1/0"#);
        assert_ne!(colour, other);
        assert_ne!(colour, bool_);
        assert_eq!(bool_, r#"colour: "…" is not true/false/yes/no/1/0"#);
    }

    #[test]
    fn row_numbers_and_cell_references_are_not_part_of_a_label() {
        assert_eq!(
            problem_label(
                "name",
                r#""Web" is a duplicate of row 5, which is itself invalid"#
            ),
            problem_label("name", r#""Web; \"x\"" is a duplicate of row 12"#),
        );
        assert_eq!(
            problem_label("cost", "cell C6 is #N/A"),
            "cost: cell … is #N/A"
        );
        assert_ne!(
            problem_label("cost", "cell C6 is #N/A"),
            problem_label("cost", "cell C7 is #REF!")
        );
    }

    #[test]
    fn split_keeps_semicolons_inside_quotes_and_explanations() {
        let error = concat!(
            r#"Cost (AUD): "7,5" is ambiguous (decimal comma or thousands separator?); "#,
            r#"write it with a decimal point, e.g. 7.5 or 7500; "#,
            r#"name: "a; b: \"c\"" is a duplicate of row 4; "#,
            "colour: is required when there is no id"
        );
        let items = split_problems(error);
        assert_eq!(items.len(), 3, "{items:?}");
        assert!(items[0].ends_with("e.g. 7.5 or 7500"));
        assert_eq!(items[1], r#"name: "a; b: \"c\"" is a duplicate of row 4"#);
        assert_eq!(items[2], "colour: is required when there is no id");
    }

    #[test]
    fn problem_column_is_the_longest_header_it_starts_with() {
        let h = headers(&["Cost: AUD", "Cost"]);
        let ps = line_problems(
            &h,
            "invalid",
            r#"Cost: AUD: "7,5" is ambiguous; name: is required when there is no id"#,
            "",
            "",
        );
        assert_eq!(ps.len(), 2);
        assert_eq!(ps[0].column, "Cost: AUD");
        assert_eq!(ps[0].header, Some(8));
        assert_eq!(ps[0].label, r#"Cost: AUD: "…" is ambiguous"#);
        assert_eq!(ps[1].column, "name");
        assert_eq!(ps[1].header, None);
        assert_eq!(ps[1].label, "name: is required when there is no id");
    }

    #[test]
    fn api_error_is_one_problem_labelled_by_its_codes() {
        let h = headers(&["name"]);
        let ps = line_problems(
            &h,
            "failed",
            "name: already exists; see the account",
            "400",
            "24325",
        );
        assert_eq!(ps.len(), 1);
        assert_eq!(ps[0].label, "API error 400/24325");
        assert_eq!(ps[0].header, None);
        assert_eq!(ps[0].text, "name: already exists; see the account");
        let ps = line_problems(&h, "failed", "timed out after 5 tries", "", "");
        assert_eq!(ps[0].label, "failed: timed out after … tries");
    }

    #[test]
    fn long_labels_are_cut() {
        let label = problem_label("c", &"x".repeat(500));
        assert_eq!(label.chars().count(), MAX_LABEL_CHARS + 1);
        assert!(label.ends_with('…'));
    }
}
