//! Inputs and outputs as people give them: `--kind` singular or plural, one map for files of
//! both kinds, `-o leads.xlsx` for `leads.csv`, an `-o` folder that does not exist.

use crate::support::{Case, parse_results};

#[test]
fn kind_takes_the_singular_as_the_results_say_it() {
    for (word, kind) in [
        ("source", "source"),
        ("sources", "source"),
        ("stage", "stage"),
        ("stages", "stage"),
    ] {
        let o = Case::new()
            .csv("name\nWebsite\nReferral\n")
            .args(["--kind", word])
            .run();
        assert_eq!(o.lines.len(), 2, "--kind {word}: {}", o.stderr);
        assert!(o.lines.iter().all(|l| l["kind"] == kind), "--kind {word}");
    }
    let case = Case::new()
        .cmd("export")
        .emulator("")
        .args(["stage", "-o", "s.csv"]);
    case.run().expect_code(0);
    assert!(case.path("s.csv").is_file());
}

const SOURCES: &str = "Title,Spend\nWebsite,100\nRadio,250\n";
const STAGES: &str = "Stage,Used For\nNew,lead\nWon,opportunity\n";

#[test]
fn one_map_with_kind_tables_serves_a_two_file_run() {
    let case = Case::new()
        .input("sources.csv", SOURCES)
        .input("stages.csv", STAGES)
        .file(
            "map.toml",
            "[sources]\nname = \"Title\"\ncost = \"Spend\"\n\n[stages]\nname = \"Stage\"\napplyTo = \"Used For\"\n",
        )
        .args(["--map", "map.toml"]);
    case.run().expect_code(0);
    let (_, sources) = case.results("sources.results.csv");
    let (_, stages) = case.results("stages.results.csv");
    assert_eq!(sources.len(), 2);
    assert!(
        sources
            .iter()
            .all(|l| l["kind"] == "source" && l["status"] == "valid")
    );
    assert_eq!(stages.len(), 2);
    assert!(
        stages
            .iter()
            .all(|l| l["kind"] == "stage" && l["status"] == "valid")
    );
}

#[test]
fn a_plain_map_applies_to_each_input_whose_headers_it_fits() {
    // `cost` names no column of the stages file: no error for that file.
    let case = Case::new()
        .input("sources.csv", "Title,Spend\nWebsite,100\n")
        .input("stages.csv", "Title,applyTo\nNew,lead\n")
        .file("map.toml", "name = \"Title\"\ncost = \"Spend\"\n")
        .args(["--map", "map.toml"]);
    case.run().expect_code(0);
    let (_, stages) = case.results("stages.results.csv");
    assert_eq!(stages[0]["kind"], "stage");
    assert_eq!(stages[0]["status"], "valid");
}

#[test]
fn a_map_line_that_fits_no_input_still_stops_the_run() {
    Case::new()
        .input("sources.csv", SOURCES)
        .input("stages.csv", STAGES)
        .file(
            "map.toml",
            "[sources]\nname = \"Title\"\ncost = \"Spend\"\ndescription = \"Nope\"\n[stages]\nname = \"Stage\"\n",
        )
        .args(["--map", "map.toml"])
        .run()
        .expect_code(2)
        .expect_stderr("[sources] description = \"Nope\" names no column of any input");
}

#[test]
fn validate_of_a_csv_into_a_workbook_of_the_same_name_keeps_the_input() {
    let input = "name,cost\nWebsite,100\nRadio,lots\n";
    let case =
        Case::new()
            .input("leads.csv", input)
            .args(["--kind", "sources", "-o", "leads.xlsx"]);
    let o = case.run().expect_code(1);
    assert_eq!(
        std::fs::read_to_string(case.path("leads.csv")).unwrap(),
        input,
        "the input is untouched"
    );
    assert!(case.path("leads.xlsx").is_file());
    let (_, lines) =
        parse_results(&std::fs::read_to_string(case.path("leads.results.csv")).unwrap());
    assert_eq!(lines.len(), 2);
    assert_eq!(lines[1]["status"], "invalid");
    assert!(o.stderr.contains("leads.results.csv"), "{}", o.stderr);
}

#[test]
fn an_output_folder_that_does_not_exist_is_refused_before_reading() {
    // The input is not a readable workbook: the folder is named first, the input never read.
    for out in ["nosuch/", "nosuch/out.csv"] {
        let o = Case::new()
            .input("broken.xlsx", b"not a workbook at all")
            .args(["--kind", "sources", "-o", out])
            .run()
            .expect_code(2)
            .expect_stderr("nosuch");
        assert!(!o.stderr.contains("broken.xlsx"), "{out}: {}", o.stderr);
        assert!(!o.stderr.contains("Is a directory"), "{}", o.stderr);
    }
}

#[test]
fn exports_write_each_kinds_columns_in_csv_and_in_a_sheet_named_for_it() {
    use calamine::{Reader, Xlsx, open_workbook};
    for (kind, sheet, header) in [
        (
            "sources",
            "Lead Sources",
            "id,name,description,cost,isReferral,kind",
        ),
        ("stage", "Lead Stages", "id,name,kind"),
    ] {
        let case = Case::new()
            .cmd("export")
            .emulator("preload-sources=2,preload-stages=2")
            .arg(kind);
        case.run_with(["-o", "out.csv"]).expect_code(0);
        let text = std::fs::read_to_string(case.path("out.csv")).unwrap();
        let first_line = text
            .lines()
            .next()
            .map(|l| l.trim_start_matches('\u{feff}'));
        assert_eq!(first_line, Some(header), "{kind}");
        assert!(text.lines().count() >= 3, "{kind}: {text}");
        case.run_with(["-o", "out.xlsx"]).expect_code(0);
        let mut book: Xlsx<_> = open_workbook(case.path("out.xlsx")).unwrap();
        let range = book.worksheet_range(sheet).unwrap();
        let first: Vec<String> = range
            .rows()
            .next()
            .unwrap()
            .iter()
            .map(ToString::to_string)
            .collect();
        assert_eq!(first.join(","), header, "{kind}");
        assert_eq!(
            range.height(),
            text.lines().count(),
            "{kind}: as many rows as the CSV"
        );
    }
}
