use super::*;

fn borrowed(cells: &[String]) -> Vec<Cow<'_, str>> {
    cells.iter().map(|c| Cow::Borrowed(c.as_str())).collect()
}

/// Where each cell ends when the cells are put back to back.
fn ends_of<S: AsRef<str>>(cells: &[S]) -> Vec<usize> {
    let mut end = 0;
    cells
        .iter()
        .map(|c| {
            end += c.as_ref().len();
            end
        })
        .collect()
}

#[test]
fn a_whole_record_is_kept_as_its_cells_would_be() {
    let cells = ["Café", "", "12.50", "#aabbcc"];
    let text = cells.concat();
    let ends = ends_of(&cells);
    let whole = Kept::whole(&text, &ends, NONE);
    let each = Kept::new(&cells.map(Cow::Borrowed), At::ECHO);
    for i in 0..=cells.len() {
        assert_eq!(whole.get(i), each.get(i), "cell {i}");
    }
    let many: Vec<String> = (0..20).map(|i| format!("cell {i} é")).collect();
    let text = many.concat();
    let ends = ends_of(&many);
    let whole = Kept::whole(&text, &ends, NONE);
    assert!(matches!(whole.ends, Ends::Long(_)));
    for (i, c) in many.iter().enumerate() {
        assert_eq!(whole.get(i), c);
    }
}

#[test]
fn kept_cells_come_back_as_they_went_in() {
    let cells = ["Café", "", "12.50", "#aabbcc"];
    let kept = Kept::new(&cells.map(Cow::Borrowed), At::ECHO);
    for (i, c) in cells.iter().enumerate() {
        assert_eq!(kept.get(i), *c);
    }
    assert_eq!(kept.get(4), "");
    let none = Kept::new(&[], At::ECHO);
    assert_eq!(none.get(0), "");
    // Many cells, or much text, are kept the other way, and come back the same.
    let many: Vec<String> = (0..20).map(|i| format!("cell {i} é")).collect();
    let kept = Kept::new(&borrowed(&many), At::ECHO);
    assert!(matches!(kept.ends, Ends::Long(_)));
    for (i, c) in many.iter().enumerate() {
        assert_eq!(kept.get(i), c);
    }
    let long = ["x".repeat(70_000), "y".into()];
    let kept = Kept::new(&borrowed(&long), At::ECHO);
    assert!(matches!(kept.ends, Ends::Long(_)));
    assert_eq!(kept.get(0), long[0]);
    assert_eq!(kept.get(1), "y");
    assert_eq!(kept.get(2), "");
}

#[test]
fn each_cell_with_a_job_is_found_where_it_was_kept() {
    // Two echoed cells, then the name, an invalid row's id, a results file's row and sheet.
    let cells = ["x", "y", "Expo", "75a", " 12 ", "Sources"].map(Cow::Borrowed);
    let kept = Kept::new(
        &cells,
        At {
            name: 2,
            invalid_id: 3,
            origin: 4,
        },
    );
    assert_eq!(kept.name(), "Expo");
    assert_eq!(kept.invalid_id(), "75a");
    assert_eq!(kept.origin(), (Some(12), "Sources"));
    let echo = Kept::new(
        &cells[..2],
        At {
            name: 1,
            ..At::ECHO
        },
    );
    assert_eq!((echo.name(), echo.invalid_id()), ("y", ""));
    assert_eq!(echo.origin(), (None, ""));
}
