//! Properties of reading and validating, over generated files, through the library's `run`
//! (in-process, so each case costs milliseconds).

use ivvy_import::{FatalError, Summary};
use proptest::prelude::*;

use super::library::config_of;
use crate::support::{Line, parse_results};

/// A validation run's end: the summary (or the fatal error), the results file as written and
/// its lines.
struct Validated {
    result: Result<Summary, FatalError>,
    text: String,
    lines: Vec<Line>,
}

/// Validates `bytes` as the file `in.EXT`, with `args` after it.
fn validate_with(bytes: &[u8], ext: &str, args: &[&str]) -> Validated {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join(format!("in.{ext}"));
    let out = dir.path().join("out.csv");
    std::fs::write(&input, bytes).unwrap();
    let mut line = vec![
        "validate",
        input.to_str().unwrap(),
        "-q",
        "-o",
        out.to_str().unwrap(),
    ];
    line.extend_from_slice(args);
    let result = ivvy_import::run(config_of(&line));
    let text = std::fs::read_to_string(&out).unwrap_or_default();
    let lines = parse_results(&text).1;
    Validated {
        result,
        text,
        lines,
    }
}

/// Validates `bytes` as sources.
fn validate(bytes: &[u8], ext: &str) -> Validated {
    validate_with(bytes, ext, &["--kind", "sources"])
}

/// Whatever a file holds, a run ends: with a summary whose rows are the results lines (in
/// increasing row order), or with a fatal error that is not an internal failure.
fn assert_well_formed(v: &Validated) {
    let lines = &v.lines;
    match &v.result {
        Ok(summary) => {
            assert_eq!(usize::try_from(summary.rows).unwrap(), lines.len());
            let rows: Vec<u32> = lines.iter().map(|l| l["row"].parse().unwrap()).collect();
            assert!(rows.iter().all(|r| *r >= 2), "{rows:?}");
            assert!(rows.windows(2).all(|w| w[0] < w[1]), "{rows:?}");
        }
        Err(e) => {
            assert!(!matches!(e, FatalError::Internal(_)), "{e}");
            assert_eq!(e.exit_code(), ivvy_import::EXIT_FATAL);
        }
    }
}

/// One CSV field as a writer would put it: quoted when it must be, sometimes when not.
fn field(value: &str, force_quotes: bool) -> String {
    if force_quotes || value.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", value.replace('"', "\"\""))
    } else {
        value.to_string()
    }
}

/// A generated row: blank in one of the ways files hold blank rows, or three values.
#[derive(Debug, Clone)]
enum GenRow {
    Blank(&'static str),
    Data {
        name: String,
        description: String,
        cost: String,
        quote: bool,
    },
}

fn gen_row() -> impl Strategy<Value = GenRow> {
    let text = "[a-zA-Zé0-9 ,;\"'\n]{0,12}";
    prop_oneof![
        1 => prop::sample::select(vec!["", ",,", "  ", " , ,\t", "\"\"", "\"\",,\"  \""])
            .prop_map(GenRow::Blank),
        4 => (
            text,
            "[a-z]{1,3}[a-z ,\"\n]{0,10}",
            prop::sample::select(vec!["", "1", "$1,200.50", "7,5", "-3", "abc"]),
            any::<bool>()
        )
            .prop_map(|(name, description, cost, quote)| GenRow::Data {
                name,
                description,
                cost: cost.to_string(),
                quote,
            }),
    ]
}

/// The file's text and, for each non-blank row, its row number and name cell.
fn render(rows: &[GenRow], crlf: &[bool], trailing_break: bool) -> (String, Vec<(u32, String)>) {
    let mut text = String::from("name,description,cost");
    let mut expected = Vec::new();
    for (i, row) in rows.iter().enumerate() {
        text.push_str(if crlf[i % crlf.len()] { "\r\n" } else { "\n" });
        match row {
            GenRow::Blank(b) => text.push_str(b),
            GenRow::Data {
                name,
                description,
                cost,
                quote,
            } => {
                text.push_str(&format!(
                    "{},{},{}",
                    field(name, *quote),
                    field(description, false),
                    field(cost, false)
                ));
                expected.push((u32::try_from(i).unwrap() + 2, name.clone()));
            }
        }
    }
    if trailing_break {
        text.push('\n');
    }
    (text, expected)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    /// Every non-blank row gets exactly one results line, in order, numbered as a spreadsheet
    /// application numbers it, its cells echoed as they were: whatever the quoting, blank
    /// lines and line ends.
    #[test]
    fn every_non_blank_row_gets_one_line_in_order(
        rows in prop::collection::vec(gen_row(), 0..30),
        crlf in prop::collection::vec(any::<bool>(), 1..4),
        trailing_break in any::<bool>(),
    ) {
        let (text, expected) = render(&rows, &crlf, trailing_break);
        let v = validate(text.as_bytes(), "csv");
        let summary = v.result.unwrap_or_else(|e| panic!("{e}\n{text:?}"));
        let got: Vec<(u32, String)> = v.lines
            .iter()
            .map(|l| (l["row"].parse().unwrap(), l["name"].clone()))
            .collect();
        prop_assert_eq!(&got, &expected, "{:?}", text);
        prop_assert_eq!(usize::try_from(summary.rows).unwrap(), expected.len());
    }

    /// A results file fed back in validates the same: each row keeps its status and its
    /// problems, and its echoed cells come back unchanged.
    #[test]
    fn results_fed_back_validate_the_same(
        rows in prop::collection::vec(
            (
                prop::sample::select(vec!["", "", "", "755", "7.0", "abc", "0"]),
                "[A-Za-zé ]{0,8}",
                prop::sample::select(vec!["", "12", "$1,200.50", "12,000", "7,5", "-3", "ten", "€ 15"]),
                prop::sample::select(vec!["", "#7EE546", "abc", "#12345", "red", "7ee546"]),
                prop::sample::select(vec!["", "yes", "N", "1", "maybe", "TRUE"]),
            ),
            1..25,
        ),
    ) {
        let mut text = String::from("id,name,description,cost,colour,isReferral\n");
        for (i, (id, name, cost, colour, referral)) in rows.iter().enumerate() {
            // A description on every row: none is blank, so row numbers stay the same.
            text.push_str(&format!(
                "{id},{},row {i},{},{colour},{referral}\n",
                field(name, false),
                field(cost, false)
            ));
        }
        let first = validate(text.as_bytes(), "csv");
        first.result.unwrap_or_else(|e| panic!("{e}\n{text}"));
        prop_assert_eq!(first.lines.len(), rows.len());
        // Fed back as it is, without --kind: the file's own kind column says what the rows are.
        let second = validate_with(first.text.as_bytes(), "csv", &[]);
        second.result.unwrap_or_else(|e| panic!("{e}\n{}", first.text));
        prop_assert_eq!(second.lines, first.lines);
    }

    #[test]
    fn arbitrary_bytes_as_csv_end_well_formed(bytes in prop::collection::vec(any::<u8>(), 0..2000)) {
        assert_well_formed(&validate(&bytes, "csv"));
    }

    #[test]
    fn csv_like_text_ends_well_formed(text in "[a-z,;\t|\"\r\n ]{0,400}") {
        assert_well_formed(&validate(text.as_bytes(), "csv"));
    }

    #[test]
    fn arbitrary_bytes_named_as_a_workbook_end_well_formed(bytes in prop::collection::vec(any::<u8>(), 0..600)) {
        assert_well_formed(&validate(&bytes, "xlsx"));
    }
}
