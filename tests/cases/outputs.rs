//! Every output of one run names a problem with the same words: the summary on stderr, the
//! results CSV's `error`, the results workbook and the HTML report; and the report says when,
//! with what and against what the run ran.

use calamine::{Data, Reader, Xlsx, open_workbook};

use crate::support::{Case, Outcome};

#[path = "../../src/report/tests/page_xml.rs"]
mod page_xml;

/// The labels every output must give, one per problem of the run below.
const LABELS: [&str; 4] = [
    "invalid lead source data (400/24328)",
    "lead source is not editable (400/24326)",
    "cost: not an amount",
    "name: is a duplicate",
];

/// A run with cell problems and API refusals, writing a workbook and a report.
fn run() -> (Case, Outcome) {
    let long = "L".repeat(300);
    let case = Case::new()
        .input(
            "s.csv",
            format!("name,cost\nFine,10\nBad,abc\nFine,20\n{long},5\nGoogle,1\n"),
        )
        .sandbox("")
        .args([
            "--match-by-name",
            "--concurrency",
            "1",
            "-o",
            "out.xlsx",
            "--report",
            "report.html",
        ]);
    let o = case.run().expect_code(1);
    (case, o)
}

/// The summary's top problems: (label, rows).
fn summary_labels(o: &Outcome) -> Vec<String> {
    o.stderr
        .lines()
        .skip_while(|l| l.trim() != "top problems:")
        .skip(1)
        .take_while(|l| l.starts_with("    "))
        .filter_map(|l| {
            l.trim()
                .split_once(" × ")
                .map(|(_, label)| label.to_string())
        })
        .collect()
}

/// The workbook's sheets as text, one line per row, cells joined by ` | `.
fn workbook_text(case: &Case, sheet: &str) -> Vec<Vec<Data>> {
    let mut book: Xlsx<_> = open_workbook(case.path("out.xlsx")).expect("the workbook");
    let range = book.worksheet_range(sheet).expect("the sheet");
    range.rows().map(<[Data]>::to_vec).collect()
}

fn sorted(mut v: Vec<String>) -> Vec<String> {
    v.sort();
    v
}

#[test]
fn one_run_names_each_problem_with_the_same_words_everywhere() {
    let (case, o) = run();
    let expected = sorted(LABELS.map(String::from).to_vec());

    // The summary.
    assert_eq!(sorted(summary_labels(&o)), expected, "{}", o.stderr);

    // The results CSV: each problem of a line's `error` is worded with its label's words.
    let (_, lines) = case.results("out.csv");
    let mut named = Vec::new();
    for line in &lines {
        let error = &line["error"];
        for label in LABELS {
            let (column, words) = label.split_once(": ").unwrap_or(("", label));
            let says = if column.is_empty() {
                error.starts_with(&format!("{label}: "))
            } else {
                error
                    .split("; ")
                    .any(|p| p.starts_with(&format!("{column}: ")) && p.contains(words))
            };
            if says {
                named.push(label.to_string());
            }
        }
        if line["status"] != "created" {
            assert!(!error.is_empty(), "{line:?}");
        }
    }
    named.dedup();
    assert_eq!(sorted(named), expected, "{lines:#?}");

    // The workbook's Summary sheet: the rows under "Problem".
    let summary = workbook_text(&case, "Summary");
    let at = summary
        .iter()
        .position(|r| r.first() == Some(&Data::String("Problem".into())))
        .expect("a Problem table");
    let labels: Vec<String> = summary[at + 1..]
        .iter()
        .take_while(|r| r.first().is_some_and(|c| *c != Data::Empty))
        .map(|r| r[0].to_string())
        .collect();
    assert_eq!(sorted(labels), expected, "{summary:?}");

    // The page.
    let html = std::fs::read_to_string(case.path("report.html")).expect("the report");
    let doc = page_xml::parse(&html);
    let labels: Vec<String> = doc
        .by_id("problem-table")
        .expect("the problem table")
        .rows()
        .into_iter()
        .map(|r| r[0].clone())
        .collect();
    assert_eq!(sorted(labels), expected);
}

/// Snapshots `value` under `name` (`tests/snapshots/`), the case's folder and timings redacted.
fn snapshot(case: &Case, name: &str, what: &str, value: &str) {
    let dir = case.dir().display().to_string().replace('.', r"\.");
    let mut settings = insta::Settings::clone_current();
    settings.set_snapshot_path("../snapshots");
    settings.set_prepend_module_to_snapshot(false);
    settings.set_omit_expression(true);
    settings.set_description(what);
    settings.add_filter(&dir, "[dir]");
    settings.add_filter(r"/tmp/\.tmp[A-Za-z0-9]+", "[dir]");
    settings.add_filter(
        r"in \d+\.\d+s \(\d+\.\d+ rows/s\)",
        "in [time] ([rate] rows/s)",
    );
    settings.bind(|| insta::assert_snapshot!(name, value));
}

/// Rows as text lines, cells joined by ` | `.
fn lines_of<T: ToString>(rows: &[Vec<T>]) -> String {
    rows.iter()
        .map(|r| {
            let cells: Vec<String> = r.iter().map(ToString::to_string).collect();
            format!("{}\n", cells.join(" | ").trim_end())
        })
        .collect()
}

#[test]
fn the_summary_the_report_and_the_workbook_show_one_label_per_problem() {
    let (case, o) = run();
    let summary: String = o
        .stderr
        .lines()
        .filter(|l| !l.starts_with('…') && !l.contains("sandbox"))
        .map(|l| format!("{l}\n"))
        .collect();
    snapshot(
        &case,
        "outputs_summary",
        "import --sandbox with problems: stderr",
        &summary,
    );
    let html = std::fs::read_to_string(case.path("report.html")).expect("the report");
    let doc = page_xml::parse(&html);
    let mut text = String::from("rows by status:\n");
    text += &lines_of(&doc.by_id("status-table").unwrap().rows());
    text += "rows by problem:\n";
    text += &lines_of(&doc.by_id("problem-table").unwrap().rows());
    for section in doc.all("section") {
        if section.attr("class") == Some("problem") {
            text += &format!("examples of {}:\n", section.all("h3")[0].text());
            text += &lines_of(&section.all("table")[0].rows());
        }
    }
    snapshot(
        &case,
        "outputs_report",
        "import --sandbox with problems: the report's text",
        &text,
    );
    let mut cells = String::from("Summary:\n");
    cells += &lines_of(&workbook_text(&case, "Summary")[2..]);
    cells += "Results:\n";
    let typed: Vec<Vec<String>> = workbook_text(&case, "Results")
        .iter()
        .map(|r| {
            r.iter()
                .map(|c| match c {
                    Data::Float(f) => format!("{f}#"),
                    Data::Empty => String::new(),
                    other => other.to_string(),
                })
                .collect()
        })
        .collect();
    cells += &lines_of(&typed);
    snapshot(
        &case,
        "outputs_workbook",
        "import --sandbox with problems: the workbook's cells (numbers end in #)",
        &cells,
    );
}

#[test]
fn the_report_says_when_with_what_and_against_what() {
    let (case, _) = run();
    let html = std::fs::read_to_string(case.path("report.html")).expect("the report");
    let doc = page_xml::parse(&html);
    let cell = |id: &str| doc.by_id(id).unwrap_or_else(|| panic!("no {id}")).all("td")[0].text();
    let when = cell("when");
    assert!(
        when.len() == "2026-12-06 01:54:48 UTC".len() && when.ends_with(" UTC"),
        "{when}"
    );
    assert_eq!(cell("version"), env!("CARGO_PKG_VERSION"));
    let command = cell("command");
    assert!(
        command.starts_with("ivvy-import import ") && command.contains("--match-by-name"),
        "{command}"
    );
    assert!(cell("account").contains("--sandbox"), "{}", cell("account"));
    assert_eq!(cell("map"), "none");
    let inputs = doc.by_id("inputs").expect("the inputs").rows();
    let bytes = std::fs::read(case.path("s.csv")).unwrap();
    assert_eq!(inputs.len(), 1);
    assert!(inputs[0][0].ends_with("s.csv"), "{inputs:?}");
    assert_eq!(inputs[0][1], bytes.len().to_string());
    assert_eq!(inputs[0][2].len(), 40, "a SHA-1 in hex");
    assert!(!html.contains("IVVY_API_SECRET") && !html.contains("secret"));
}

#[test]
fn the_report_names_the_mapping_file_and_the_workbook_its_input() {
    let case = Case::new()
        .input("leads.csv", "Source Name,cost,referral\nA,1,yes\nB,2,no\n")
        .file("map.toml", "name = \"Source Name\"\n")
        .args(["--map", "map.toml", "-o", "out.xlsx", "--report", "r.html"]);
    case.run().expect_code(0);
    let html = std::fs::read_to_string(case.path("r.html")).expect("the report");
    let doc = page_xml::parse(&html);
    let map = doc.by_id("map").unwrap().all("td")[0].text();
    assert!(
        map.starts_with(&case.path("map.toml").display().to_string())
            || map.starts_with("map.toml"),
        "{map}"
    );
    assert!(map.contains("SHA-1"), "{map}");
    let account = doc.by_id("account").unwrap().all("td")[0].text();
    assert!(
        account.starts_with("none"),
        "a dry run reads no account: {account}"
    );
    let summary = workbook_text(&case, "Summary");
    assert_eq!(summary[0][0], Data::String("Results of leads.csv".into()));
    let results = workbook_text(&case, "Results");
    assert_eq!(
        results[1][11],
        Data::Float(1.0),
        "a cost is a number: {:?}",
        results[1]
    );
    assert_eq!(
        results[1][10],
        Data::String("A".into()),
        "a name stays text"
    );
    assert_eq!(
        results[1][9],
        Data::String("isReferral=true".into()),
        "the values the row would send not as their cells read, as the CSV has them"
    );
    assert_eq!(results[0][8], Data::String("changes".into()));
}

#[test]
fn a_report_pattern_expands_and_report_is_a_profile_key() {
    let case = Case::new()
        .input("leads.csv", "name,cost\nA,1\n")
        .file(
            "ivvy-import.toml",
            "[profile.weekly]\nreport = \"rep-{stem}-{date}.html\"\n",
        )
        .args(["--profile", "weekly"]);
    case.run().expect_code(0);
    let names: Vec<String> = std::fs::read_dir(case.dir())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with("rep-"))
        .collect();
    assert_eq!(names.len(), 1, "{names:?}");
    let name = &names[0];
    // rep-leads-YYYY-MM-DD.html
    assert!(
        name.starts_with("rep-leads-20") && name.ends_with(".html") && name.len() == 25,
        "{name}"
    );
    let html = std::fs::read_to_string(case.path(name)).unwrap();
    assert!(html.contains("<section id=\"run\">"), "a report");
}

#[test]
fn a_report_into_a_missing_folder_stops_before_any_request() {
    let case = Case::new()
        .input("s.csv", "name,cost\nA,1\nB,2\n")
        .emulator("")
        .args(["--report", "nosuch/r.html"]);
    let o = case.run().expect_code(2);
    assert!(o.stderr.contains("nosuch"), "{}", o.stderr);
    assert!(case.log().arrivals.is_empty(), "no request was made");
    assert_eq!(case.store().creates, 0);
}

#[test]
fn the_summary_lists_a_failed_rows_problem_before_bigger_groups_of_invalid_rows() {
    let long = "L".repeat(300);
    let mut csv = String::from("name,cost,colour,isReferral\n");
    // Six kinds of cell problem, two rows each: more rows than the one refusal.
    for i in 0..2 {
        csv.push_str(&format!(
            "A{i},abc,,\n,{i},,\nC{i},-1,,\nD{i},1,blue,\nE{i},1,,maybe\nF{i},7.5.5,,\n"
        ));
    }
    csv.push_str(&format!("{long},5,,\n"));
    let case = Case::new()
        .input("s.csv", csv)
        .sandbox("")
        .args(["--concurrency", "1"]);
    let o = case.run().expect_code(1);
    let labels = summary_labels(&o);
    assert_eq!(labels.len(), 5, "five shown, of six groups: {}", o.stderr);
    let shown: Vec<&str> = o
        .stderr
        .lines()
        .skip_while(|l| l.trim() != "top problems:")
        .skip(1)
        .take_while(|l| l.starts_with("    "))
        .collect();
    assert_eq!(
        shown.first().map(|l| l.trim()),
        Some("1 × invalid lead source data (400/24328)"),
        "{}",
        o.stderr
    );
}

#[test]
fn a_plan_report_lists_what_updates_change_by_field() {
    let case = Case::new()
        .emulator("")
        .input("week.csv", "name,cost\nA,150\nB <x>,150\nC,150\n");
    case.run_with(["--rate", "1000"]).expect_code(0);
    case.write("week.csv", "name,cost\nA,150\nB <x>,999\nC,998\n");
    case.run_with([
        "--rate",
        "1000",
        "--match-by-name",
        "--no-ledger",
        "--plan",
        "-o",
        "plan.csv",
        "--report",
        "plan.html",
    ])
    .expect_code(0)
    .expect_status(2, "unchanged")
    .expect_status(3, "update");
    let html = std::fs::read_to_string(case.path("plan.html")).expect("the report");
    let doc = page_xml::parse(&html);
    let changes = doc.by_id("changes").expect("a Changes section");
    let status = &changes.all("section")[0];
    assert_eq!(status.attr("data-status"), Some("update"));
    assert_eq!(status.all("table")[0].rows(), [["cost", "2"]]);
    let rows = status.all("table")[1].rows();
    assert_eq!(
        rows,
        [["3", "", "cost: 150 → 999"], ["4", "", "cost: 150 → 998"]]
    );
}
