use super::*;

mod changes;
mod fixtures;
mod page_xml;

use std::collections::HashMap;
use std::fs;

use crate::outcome::Status;
use fixtures::{Row, count_statuses, feed, input, sample, sample_rows};
use page_xml::parse;

#[test]
fn status_counts_equal_those_in_the_results_file() {
    let doc = parse(&render(&input(), &sample()));
    let expected = count_statuses(&sample_rows());
    let table = doc.by_id("status-table").expect("status table");
    let rows = table.rows();
    assert_eq!(rows.len(), expected.len());
    for r in &rows {
        let n: u64 = r[1].replace(',', "").parse().unwrap();
        assert_eq!(Some(&n), expected.get(r[0].as_str()), "{r:?}");
    }
    let statuses: Vec<&str> = rows.iter().map(|r| r[0].as_str()).collect();
    assert_eq!(statuses, ["created", "invalid", "failed"]);
    assert!(doc.by_id("summary").unwrap().text().starts_with("30 rows"));
}

#[test]
fn chart_has_one_bar_per_status_sized_by_its_count() {
    let doc = parse(&render(&input(), &sample()));
    let expected = count_statuses(&sample_rows());
    let svg = doc.by_id("status-chart").expect("chart");
    assert_eq!(svg.name, "svg");
    let bars = svg.all("g");
    assert_eq!(bars.len(), expected.len());
    let mut widths = HashMap::new();
    for g in bars {
        let status = g.attr("data-status").unwrap().to_string();
        let count: u64 = g
            .all("text")
            .iter()
            .find(|t| t.attr("class") == Some("count"))
            .unwrap()
            .text()
            .parse()
            .unwrap();
        assert_eq!(Some(&count), expected.get(&status));
        let w: u64 = g.all("rect")[0].attr("width").unwrap().parse().unwrap();
        widths.insert(status, w);
    }
    // invalid (26) is the longest bar; created (3) and failed (1) are shorter, in order.
    assert!(widths["invalid"] > widths["created"]);
    assert!(widths["created"] > widths["failed"]);
    assert!(widths["failed"] >= 1);
}

#[test]
fn problem_counts_group_rows_by_column_and_kind() {
    let doc = parse(&render(&input(), &sample()));
    let rows = doc.by_id("problem-table").unwrap().rows();
    let counts: Vec<(String, String)> = rows.iter().map(|r| (r[0].clone(), r[1].clone())).collect();
    assert_eq!(
        counts,
        [
            (
                "lead source does not exist (400/24325)".to_string(),
                "1".to_string()
            ),
            ("Cost (AUD): decimal comma".into(), "25".into()),
            ("Cost (AUD): not an amount".into(), "1".into()),
            ("Name: is required".into(), "1".into()),
        ],
        "the failed row's problem first, then by rows"
    );
    assert_eq!(
        rows[0][2],
        "lead source does not exist (400/24325): The name is in use"
    );
}

#[test]
fn each_problem_shows_its_first_twenty_rows_with_their_cells() {
    let doc = parse(&render(&input(), &sample()));
    let section = doc
        .by_id("problem-2")
        .expect("the ambiguous costs' examples");
    assert_eq!(section.all("h3")[0].text(), "Cost (AUD): decimal comma");
    let heads: Vec<String> = section.all("th").iter().map(|t| t.text()).collect();
    assert_eq!(
        heads,
        ["Row", "Sheet", "Status", "Problem", "Name", "Cost (AUD)"]
    );
    let table = section.all("table")[0];
    let rows = table.rows();
    assert_eq!(rows.len(), EXAMPLES_PER_PROBLEM);
    for (i, r) in rows.iter().enumerate() {
        assert_eq!(r[0], (i + 2).to_string());
        assert_eq!(r[2], "invalid");
        assert!(r[3].starts_with(&format!("Cost (AUD): \"{i},5\" is ambiguous")));
        assert_eq!(r[4], format!("Source {i}"));
        assert_eq!(r[5], format!("{i},5"));
    }
    // The cost cell is the one marked.
    let first = &table.all("tbody")[0].all("tr")[0];
    let marked: Vec<String> = first
        .all("td")
        .iter()
        .filter(|td| td.attr("class") == Some("bad"))
        .map(|td| td.text())
        .collect();
    assert_eq!(marked, ["0,5"]);
    assert!(section.text().contains("the first 20"));

    // Row 27 is an example of both of its problems; the failed row of its API error.
    for label in [
        "Name: is required",
        "Cost (AUD): not an amount",
        "lead source does not exist (400/24325)",
    ] {
        let s = doc
            .all("section")
            .into_iter()
            .find(|s| s.attr("class") == Some("problem") && s.all("h3")[0].text() == label)
            .unwrap_or_else(|| panic!("no examples for {label}"));
        let rows = s.all("table")[0].rows();
        assert_eq!(rows.len(), 1);
        let expected_row = if label.starts_with("lead") {
            "31"
        } else {
            "27"
        };
        assert_eq!(rows[0][0], expected_row);
    }
}

#[test]
fn every_value_is_escaped() {
    let evil = "<script>alert('x')</script> & \"co\"";
    let error = format!("Name: {evil:?} is a duplicate of row 2");
    let mut row =
        Row::new(2, Status::Invalid, &[evil]).cell_problem("Name", "is a duplicate", &error);
    row.sheet = "<b>".into();
    let mut seen = Collected::default();
    feed(&mut seen, "evil.csv", &["Name"], &[row]);
    let mut inp = input();
    inp.title = "Import <b>&</b>".into();
    inp.params.push(("map & <file>".into(), evil.into()));
    inp.command = format!("ivvy-import validate {evil}");
    let html = render(&inp, &seen);
    assert!(!html.contains("<script"));
    assert!(!html.contains("<b>"));
    let doc = parse(&html);
    assert_eq!(doc.all("title")[0].text(), "Import <b>&</b>");
    assert_eq!(doc.all("h1")[0].text(), "Import <b>&</b>");
    let rows = doc.by_id("problem-1").unwrap().all("table")[0].rows();
    assert_eq!(rows[0], ["2", "<b>", "invalid", error.as_str(), evil]);
    let params = doc.by_id("parameters").unwrap().rows();
    assert_eq!(params[1], ["map & <file>", evil]);
}

#[test]
fn page_needs_nothing_from_outside() {
    let html = render(&input(), &sample());
    let doc = parse(&html);
    assert!(doc.all("script").is_empty());
    assert!(doc.all("link").is_empty());
    assert!(doc.all("img").is_empty());
    assert_eq!(doc.all("style").len(), 1);
    for name in ["a", "svg", "g", "rect", "text", "td", "span"] {
        for n in doc.all(name) {
            for (k, v) in &n.attrs {
                assert!(k != "src", "{name} has src");
                if k == "href" {
                    assert!(v.starts_with('#'), "{name} links out: {v}");
                }
            }
        }
    }
    assert!(!html.contains("@import") && !html.contains("url("));
}

#[test]
fn parameters_and_timings_are_listed_in_order() {
    let mut inp = input();
    inp.params = vec![
        ("input".into(), "sources.csv".into()),
        ("rate".into(), "5/s".into()),
    ];
    inp.timings = vec![
        ("read".into(), "0.1 s".into()),
        ("submit".into(), "4.0 s".into()),
    ];
    let doc = parse(&render(&inp, &sample()));
    assert_eq!(
        doc.by_id("parameters").unwrap().rows(),
        [["input", "sources.csv"], ["rate", "5/s"]]
    );
    assert_eq!(
        doc.by_id("timings").unwrap().rows(),
        [["read", "0.1 s"], ["submit", "4.0 s"]]
    );
}

#[test]
fn several_files_are_counted_apart_and_together() {
    let mut seen = sample();
    let mut won = Row::new(2, Status::Created, &["Won", "#00ff00"]);
    won.sheet = "Lead Stages".into();
    let mut lost = Row::new(3, Status::Invalid, &["Lost", "blue"]).cell_problem(
        "colour",
        "not a colour",
        "colour: \"blue\" is not a colour (#rrggbb, rrggbb or #rgb)",
    );
    lost.sheet = "Lead Stages".into();
    feed(
        &mut seen,
        "stages.results.csv",
        &["Stage", "colour"],
        &[won, lost],
    );
    let doc = parse(&render(&input(), &seen));
    let rows = doc.by_id("status-table").unwrap().rows();
    let created = rows.iter().find(|r| r[0] == "created").unwrap();
    assert_eq!(created[1..], ["3", "1", "4", "12.5%"]);
    let files = doc.by_id("files").unwrap().rows();
    assert_eq!(files[0][1], "30");
    assert_eq!(files[1][1], "2");
    let s = doc
        .all("section")
        .into_iter()
        .find(|s| {
            s.all("h3")
                .first()
                .is_some_and(|h| h.text().starts_with("colour"))
        })
        .unwrap();
    let heads: Vec<String> = s.all("th").iter().map(|t| t.text()).collect();
    assert_eq!(
        heads,
        [
            "File",
            "Row",
            "Sheet",
            "Status",
            "Problem",
            "Name",
            "Cost (AUD)",
            "Stage",
            "colour"
        ]
    );
    let row = &s.all("table")[0].rows()[0];
    assert_eq!(
        row,
        &[
            "stages.results.csv",
            "3",
            "Lead Stages",
            "invalid",
            "colour: \"blue\" is not a colour (#rrggbb, rrggbb or #rgb)",
            "",
            "",
            "Lost",
            "blue"
        ]
    );
}

#[test]
fn write_html_writes_the_page_and_never_over_an_input() {
    let dir = tempfile::tempdir().unwrap();
    let seen = sample();
    let out = dir.path().join("report.html");
    write_html(&input(), &seen, &out).unwrap();
    let html = fs::read_to_string(&out).unwrap();
    assert_eq!(html, render(&input(), &seen));
    let csv = dir.path().join("sources.csv");
    fs::write(&csv, "name\nA\n").unwrap();
    let mut inp = input();
    inp.inputs[0].path = csv.display().to_string();
    let err = write_html(&inp, &seen, &csv).unwrap_err();
    assert_eq!(err.kind(), io::ErrorKind::InvalidInput);
    assert_eq!(fs::read_to_string(&csv).unwrap(), "name\nA\n");
}

#[test]
fn the_run_is_named_when_what_and_against_what() {
    let mut inp = input();
    inp.map = Some(FileFacts {
        path: "map.toml".into(),
        bytes: 20,
        sha1: "0".repeat(40),
    });
    let doc = parse(&render(&inp, &sample()));
    let run = doc.by_id("run").expect("the run section");
    let cell = |id: &str| doc.by_id(id).unwrap().all("td")[0].text();
    assert_eq!(cell("when"), "2026-12-06 01:54:48 UTC");
    assert_eq!(cell("version"), "9.9.9");
    assert_eq!(cell("command"), "ivvy-import import sources.csv --rate 5");
    assert_eq!(cell("account"), "https://api.example.test");
    assert!(cell("map").starts_with("map.toml (20 bytes, SHA-1 0000"));
    let inputs = doc.by_id("inputs").unwrap().rows();
    assert_eq!(
        inputs,
        [[
            "sources.csv",
            "1,234",
            "a9993e364706816aba3e25717850c26c9cd0d89d"
        ]]
    );
    assert!(run.text().contains("Tool version"));
    // Each problem group says what to do next, in words and as a flag.
    let problems = doc.by_id("problem-table").unwrap().rows();
    let refused = &problems[0];
    assert_eq!(refused[0], "lead source does not exist (400/24325)");
    assert_eq!(refused[3], crate::outcome::Remedy::Refused.plain());
    let ambiguous = problems
        .iter()
        .find(|r| r[0] == "Cost (AUD): decimal comma");
    assert!(ambiguous.is_some_and(|r| r[3].contains("Correct the marked cell") && r[4].is_empty()));
}
