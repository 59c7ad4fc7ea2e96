//! Reading a finished results CSV back: its lines, each line's problems, and the short label
//! that lets the same problem on many rows be counted once. The HTML report and the results
//! workbook both read results files through this, so they count and name problems alike.

use std::collections::HashMap;
use std::fs::File;
use std::io::{self, BufReader};
use std::path::Path;

/// The results file's own columns, in the order it writes them; the user's echoed columns follow.
pub(crate) const FIXED_COLUMNS: [&str; 8] = [
    "row",
    "sheet",
    "kind",
    "status",
    "id",
    "error_code",
    "specific_code",
    "error",
];

/// Every status a results file or a plan writes, in the order summaries list them.
pub(crate) const STATUS_ORDER: [&str; 10] = [
    "valid",
    "create",
    "created",
    "update",
    "updated",
    "unchanged",
    "skipped",
    "conflict",
    "invalid",
    "failed",
];

/// Longest label kept; a longer one is cut with an ellipsis.
const MAX_LABEL_CHARS: usize = 100;

/// One of the results file's own columns.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Fixed {
    Row,
    Sheet,
    Kind,
    Status,
    Id,
    ErrorCode,
    SpecificCode,
    Error,
}

impl Fixed {
    const ALL: [Fixed; 8] = [
        Fixed::Row,
        Fixed::Sheet,
        Fixed::Kind,
        Fixed::Status,
        Fixed::Id,
        Fixed::ErrorCode,
        Fixed::SpecificCode,
        Fixed::Error,
    ];

    fn name(self) -> &'static str {
        FIXED_COLUMNS[self as usize]
    }
}

/// A results CSV opened for reading, line by line (memory stays flat however long it is).
///
/// The header is checked on opening: `row`, `status` and `error` must be there (found by
/// name, ignoring case and surrounding spaces); every column that is not one of
/// [`FIXED_COLUMNS`] is an echoed column of the user's. A UTF-8 BOM is skipped; bytes that are
/// not UTF-8 are replaced, not refused, since the file is only being reported on.
pub(crate) struct ResultsFile {
    reader: csv::Reader<BufReader<File>>,
    headers: Vec<String>,
    fixed: [Option<usize>; 8],
    record: csv::ByteRecord,
}

impl ResultsFile {
    pub(crate) fn open(path: &Path) -> io::Result<ResultsFile> {
        let file = File::open(path)?;
        let mut reader = csv::ReaderBuilder::new()
            .flexible(true)
            .from_reader(BufReader::new(file));
        let headers: Vec<String> = reader
            .byte_headers()
            .map_err(csv_error)?
            .iter()
            .map(|h| String::from_utf8_lossy(h).into_owned())
            .collect();
        let mut fixed = [None; 8];
        for f in Fixed::ALL {
            fixed[f as usize] = headers
                .iter()
                .position(|h| h.trim().eq_ignore_ascii_case(f.name()));
        }
        let missing: Vec<&str> = [Fixed::Row, Fixed::Status, Fixed::Error]
            .into_iter()
            .filter(|f| fixed[*f as usize].is_none())
            .map(Fixed::name)
            .collect();
        if !missing.is_empty() {
            return Err(io::Error::new(
                io::ErrorKind::InvalidData,
                format!(
                    "not a results file: its header has no {} column",
                    missing.join(", ")
                ),
            ));
        }
        Ok(ResultsFile {
            reader,
            headers,
            fixed,
            record: csv::ByteRecord::new(),
        })
    }

    /// The header line, every column, as the file names them.
    pub(crate) fn headers(&self) -> &[String] {
        &self.headers
    }

    /// Where one of the results file's own columns is, if the file has it.
    pub(crate) fn column(&self, f: Fixed) -> Option<usize> {
        self.fixed[f as usize]
    }

    /// Whether the column at `index` is the user's own (echoed) rather than a results column.
    pub(crate) fn is_echoed(&self, index: usize) -> bool {
        !self.fixed.contains(&Some(index))
    }

    /// Reads the next line into `line` (one string per header column, missing cells empty,
    /// extra cells dropped). False at the end of the file.
    pub(crate) fn next_line(&mut self, line: &mut Vec<String>) -> io::Result<bool> {
        if !self
            .reader
            .read_byte_record(&mut self.record)
            .map_err(csv_error)?
        {
            return Ok(false);
        }
        line.resize(self.headers.len(), String::new());
        for (i, cell) in line.iter_mut().enumerate() {
            cell.clear();
            if let Some(bytes) = self.record.get(i) {
                cell.push_str(&String::from_utf8_lossy(bytes));
            }
        }
        Ok(true)
    }

    /// One of the results columns of a line read by [`ResultsFile::next_line`]; empty when the
    /// file has no such column.
    pub(crate) fn get<'a>(&self, line: &'a [String], f: Fixed) -> &'a str {
        self.column(f)
            .and_then(|i| line.get(i))
            .map_or("", String::as_str)
    }

    /// The problems a line's `error` cell holds (see [`line_problems`]).
    pub(crate) fn problems<'a>(&self, line: &'a [String]) -> Vec<LineProblem<'a>> {
        line_problems(
            &self.headers,
            self.get(line, Fixed::Status),
            self.get(line, Fixed::Error),
            self.get(line, Fixed::ErrorCode),
            self.get(line, Fixed::SpecificCode),
        )
    }
}

fn csv_error(e: csv::Error) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, e)
}

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

/// Rows counted by status and by problem. A row with the same problem twice counts once.
#[derive(Debug, Default)]
pub(crate) struct Tally {
    rows: u64,
    statuses: HashMap<String, u64>,
    problems: HashMap<String, ProblemCount>,
}

/// How many rows have one problem, and the first of them as the file words it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ProblemCount {
    pub label: String,
    pub rows: u64,
    pub first: String,
}

impl Tally {
    pub(crate) fn add(&mut self, status: &str, problems: &[LineProblem<'_>]) {
        self.rows += 1;
        *self.statuses.entry(status.to_string()).or_default() += 1;
        for (i, p) in problems.iter().enumerate() {
            if problems[..i].iter().any(|q| q.label == p.label) {
                continue;
            }
            match self.problems.get_mut(&p.label) {
                Some(count) => count.rows += 1,
                None => {
                    self.problems.insert(
                        p.label.clone(),
                        ProblemCount {
                            label: p.label.clone(),
                            rows: 1,
                            first: p.text.to_string(),
                        },
                    );
                }
            }
        }
    }

    pub(crate) fn rows(&self) -> u64 {
        self.rows
    }

    /// Rows by status: the known statuses in [`STATUS_ORDER`], then any others by name.
    pub(crate) fn by_status(&self) -> Vec<(String, u64)> {
        let mut v: Vec<(String, u64)> =
            self.statuses.iter().map(|(s, n)| (s.clone(), *n)).collect();
        v.sort_by(|(a, _), (b, _)| {
            let rank = |s: &str| STATUS_ORDER.iter().position(|k| *k == s);
            match (rank(a), rank(b)) {
                (Some(x), Some(y)) => x.cmp(&y),
                (Some(_), None) => std::cmp::Ordering::Less,
                (None, Some(_)) => std::cmp::Ordering::Greater,
                (None, None) => a.cmp(b),
            }
        });
        v
    }

    /// Rows by problem, most rows first, then by label.
    pub(crate) fn by_problem(&self) -> Vec<ProblemCount> {
        let mut v: Vec<ProblemCount> = self.problems.values().cloned().collect();
        v.sort_by(|a, b| b.rows.cmp(&a.rows).then_with(|| a.label.cmp(&b.label)));
        v
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(names: &[&str]) -> Vec<String> {
        FIXED_COLUMNS
            .iter()
            .chain(names)
            .map(ToString::to_string)
            .collect()
    }

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
    fn tally_counts_rows_once_per_problem_and_orders_statuses() {
        let h = headers(&["name"]);
        let mut t = Tally::default();
        let e1 = r#"name: "a" is a duplicate of row 2; name: "a" is a duplicate of row 3"#;
        t.add("invalid", &line_problems(&h, "invalid", e1, "", ""));
        t.add("created", &[]);
        t.add("weird", &[]);
        let e2 = r#"name: "b" is a duplicate of row 2"#;
        t.add("invalid", &line_problems(&h, "invalid", e2, "", ""));
        assert_eq!(t.rows(), 4);
        assert_eq!(
            t.by_status(),
            vec![
                ("created".to_string(), 1),
                ("invalid".to_string(), 2),
                ("weird".to_string(), 1)
            ]
        );
        let p = t.by_problem();
        assert_eq!(p.len(), 1);
        assert_eq!(p[0].rows, 2);
        assert_eq!(p[0].first, r#"name: "a" is a duplicate of row 2"#);
    }

    #[test]
    fn long_labels_are_cut() {
        let label = problem_label("c", &"x".repeat(500));
        assert_eq!(label.chars().count(), MAX_LABEL_CHARS + 1);
        assert!(label.ends_with('…'));
    }
}
