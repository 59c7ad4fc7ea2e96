//! The "Changes" section: update rows by status, then by field changed.

use super::super::{Collected, render};
use super::fixtures::{Row, feed, input, sample};
use super::page_xml::{Node, parse};
use crate::outcome::Status;

fn update(row: u32, status: Status, changes: &str) -> Row {
    let mut r = Row::new(row, status, &[&format!("Source {row}")]);
    r.verdict.id = Some(900 + u64::from(row));
    r.verdict.changes = changes.to_string();
    r
}

/// The field sections of a status section: (field, the paragraph, body rows).
fn fields(status: &Node) -> Vec<(String, String, Vec<Vec<String>>)> {
    status
        .all("section")
        .into_iter()
        .filter(|s| s.attr("class") == Some("change-field"))
        .map(|s| {
            let field = s.attr("data-field").unwrap().to_string();
            assert_eq!(s.all("h4")[0].text(), field);
            (field, s.all("p")[0].text(), s.all("table")[0].rows())
        })
        .collect()
}

#[test]
fn update_rows_are_grouped_by_status_then_by_field_changed() {
    let evil = r#"description: "<b>a; b</b> & c" → "New""#;
    let mut rows = vec![
        update(2, Status::Update, "cost: 150 → 999"),
        update(3, Status::Update, &format!("cost: 10 → 20; {evil}")),
        update(4, Status::Updated, "colour: sent (cannot be read back)"),
        // Neither a create nor an unchanged row is listed, whatever its column holds.
        Row::new(5, Status::Create, &["New one"]),
        update(6, Status::Unchanged, "description: kept (empty cell)"),
    ];
    for i in 0..7 {
        rows.push(update(10 + i, Status::Update, "cost: 1 → 2"));
    }
    let mut seen = Collected::default();
    feed(&mut seen, "sources.results.csv", &["Name"], &rows);
    let html = render(&input(), &seen);
    assert!(!html.contains("<b>a"), "entries are escaped");
    let doc = parse(&html);
    let section = doc.by_id("changes").expect("a Changes section");
    assert_eq!(section.all("h2")[0].text(), "Changes");
    let statuses: Vec<&Node> = section
        .all("section")
        .into_iter()
        .filter(|s| s.attr("class") == Some("change-status"))
        .collect();
    let names: Vec<&str> = statuses
        .iter()
        .map(|s| s.attr("data-status").unwrap())
        .collect();
    assert_eq!(names, ["update", "updated"]);

    // update: cost on 9 rows (the first 5 shown), description on 1.
    let counts = statuses[0].all("table")[0].rows();
    assert_eq!(counts, [["cost", "9"], ["description", "1"]]);
    let update_fields = fields(statuses[0]);
    let (field, words, cost_rows) = &update_fields[0];
    assert_eq!(field, "cost");
    assert_eq!(words, "9 rows; the first 5.");
    assert_eq!(cost_rows.len(), 5);
    assert_eq!(cost_rows[0], ["2", "", "cost: 150 → 999"]);
    assert_eq!(cost_rows[1], ["3", "", "cost: 10 → 20"]);
    assert_eq!(cost_rows[2], ["10", "", "cost: 1 → 2"]);
    let (field, words, description_rows) = &update_fields[1];
    assert_eq!(field, "description");
    assert_eq!(words, "1 row.");
    assert_eq!(
        description_rows,
        &[vec!["3".to_string(), String::new(), evil.to_string()]]
    );

    let updated_fields = fields(statuses[1]);
    assert_eq!(updated_fields.len(), 1);
    assert_eq!(updated_fields[0].0, "colour");
    assert_eq!(
        updated_fields[0].2,
        [["4", "", "colour: sent (cannot be read back)"]]
    );
}

#[test]
fn no_changes_no_section() {
    let doc = parse(&render(&input(), &sample()));
    assert!(doc.by_id("changes").is_none());
    let mut seen = Collected::default();
    feed(
        &mut seen,
        "plan.results.csv",
        &["Name"],
        &[
            update(2, Status::Update, ""),
            Row::new(3, Status::Create, &["A"]),
        ],
    );
    assert!(parse(&render(&input(), &seen)).by_id("changes").is_none());
}
