use super::*;

fn hs(v: &[&str]) -> Vec<String> {
    v.iter().map(ToString::to_string).collect()
}

#[test]
fn headers_match_ignoring_case_spaces_and_punctuation() {
    assert_eq!(alias("Is Referral?"), Some(Field::IsReferral));
    assert_eq!(alias("apply_to"), Some(Field::ApplyTo));
    assert_eq!(alias("COLOR"), Some(Field::Colour));
    assert_eq!(alias("Notes"), None);
}

#[test]
fn mapping_file_wins_over_aliases() {
    let map = HeaderMap::parse("name = \"Source Title\"\ndescription = \"Name\"").unwrap();
    let p = plan(&hs(&["Source Title", "Name", "Notes"]), &map);
    assert_eq!(p.fields.get(Field::Name).unwrap().0, 0);
    assert_eq!(p.fields.get(Field::Description).unwrap().0, 1);
    assert_eq!(p.unknown, vec![2]);
    assert!(p.clashes.is_empty());
}

#[test]
fn mapping_file_with_unknown_field_is_refused() {
    assert!(matches!(
        HeaderMap::parse("title = \"X\""),
        Err(MapError::UnknownField { .. })
    ));
}

#[test]
fn id_column_is_not_echoed_and_results_columns_are_recognised() {
    let p = plan(&hs(&["id", "name", "cost"]), &HeaderMap::default());
    assert_eq!(p.echo, vec![1, 2]);
    let mut h = hs(&RESULT_COLUMNS);
    h.extend(hs(&["name", "cost"]));
    let p = plan(&h, &HeaderMap::default());
    assert!(p.is_results_file);
    assert_eq!(p.echo, vec![8, 9]);
    assert_eq!(p.fields.get(Field::Id).unwrap().0, 4);
    assert_eq!(p.fields.get(Field::Kind).unwrap().0, 2);
}

#[test]
fn two_columns_naming_one_field_clash_and_two_unknown_columns_are_both_echoed() {
    let p = plan(
        &hs(&["name", "Notes", "Name", "Notes"]),
        &HeaderMap::default(),
    );
    assert_eq!(
        p.clashes,
        vec![Clash {
            field: Field::Name,
            first: 0,
            second: 2
        }]
    );
    assert_eq!(p.unknown, vec![1, 3]);
    assert_eq!(p.echo, vec![0, 1, 3]);
}

#[test]
fn a_results_file_with_its_input_kind_column_does_not_clash() {
    let mut h = hs(&RESULT_COLUMNS);
    h.extend(hs(&["kind", "name"]));
    let p = plan(&h, &HeaderMap::default());
    assert!(p.clashes.is_empty());
    assert_eq!(p.echo, vec![8, 9]);
}

#[test]
fn misspelt_headers_look_like_their_field() {
    assert_eq!(looks_like("Nmae"), Some(Field::Name));
    assert_eq!(looks_like("Csot"), Some(Field::Cost));
    assert_eq!(looks_like("Aply To"), Some(Field::ApplyTo));
    assert_eq!(looks_like("Colours"), Some(Field::Colour));
    assert_eq!(looks_like("Descripton"), Some(Field::Description));
    assert_eq!(looks_like("Date"), None);
    assert_eq!(looks_like("Notes"), None);
    assert_eq!(looks_like("Code"), None);
    assert_eq!(looks_like("ID#"), None);
    assert_eq!(looks_like("name"), None);
    assert_eq!(
        closest("Spend Total", ["Source Title", "Spend", "Notes"]),
        Some("Spend")
    );
}

fn rows(v: &[&[&str]]) -> Vec<Vec<String>> {
    v.iter().map(|r| hs(r)).collect()
}

#[test]
fn header_is_found_below_title_rows() {
    let map = HeaderMap::default();
    let r = rows(&[
        &["Lead sources – exported 15/03/2025", ""],
        &["", ""],
        &["Name", "Cost"],
        &["Expo", "5"],
    ]);
    assert_eq!(
        find_header(&r, &map),
        Ok(HeaderAt {
            index: 2,
            below_title: true
        })
    );
    let r = rows(&[&["", ""], &["name", "cost"], &["Expo", "5"]]);
    assert_eq!(
        find_header(&r, &map),
        Ok(HeaderAt {
            index: 1,
            below_title: false
        })
    );
}

#[test]
fn a_single_column_header_is_still_a_header() {
    let r = rows(&[&["name"], &["Expo"]]);
    assert_eq!(find_header(&r, &HeaderMap::default()).unwrap().index, 0);
}

#[test]
fn map_headers_count_as_recognised_names() {
    let map = HeaderMap::parse("name = \"Source Title\"\ncost = \"Spend\"").unwrap();
    let r = rows(&[&["Export"], &["Source Title", "Spend"], &["A", "1"]]);
    assert_eq!(find_header(&r, &map).unwrap().index, 1);
}

#[test]
fn no_header_names_the_first_rows_cells() {
    let r = rows(&[&["Read me first", "then fill in"], &["Step 1", "x"]]);
    assert_eq!(
        find_header(&r, &HeaderMap::default()),
        Err(NoHeader::NotFound {
            first: hs(&["Read me first", "then fill in"])
        })
    );
    assert_eq!(
        find_header(&rows(&[&[""]]), &HeaderMap::default()),
        Err(NoHeader::Blank)
    );
}
