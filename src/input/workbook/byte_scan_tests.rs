//! calamine reads XLSX shared strings and cells by scanning bytes while they are laid out
//! as writers lay them out, and hands anything else to its XML reader: both readings of a
//! workbook must give the same cells, on every XLSX fixture and on parts written to try the
//! hand-over (entities, rich text, formulas, comments, prefixes, closed elements).

use std::io::{Cursor, Write};
use std::path::Path;

use calamine::{Reader, Xlsx, set_xlsx_byte_scan};

/// Every cell of every sheet as calamine reads it (position, value, formula, style), or
/// the error that stopped the reading.
fn cells_of(bytes: &[u8]) -> Vec<String> {
    let mut out = Vec::new();
    let mut book = match Xlsx::new(Cursor::new(bytes.to_vec())) {
        Ok(book) => book,
        Err(e) => return vec![format!("open: {e}")],
    };
    for name in book.sheet_names() {
        let mut reader = match book.worksheet_cells_reader(&name) {
            Ok(r) => r,
            Err(e) => {
                out.push(format!("{name}: {e}"));
                continue;
            }
        };
        out.push(format!("{name}: {:?}", reader.dimensions()));
        loop {
            match reader.next_cell_with_formula() {
                Ok(Some(c)) => out.push(format!(
                    "{:?} {:?} {:?} {}",
                    c.pos, c.value, c.formula, c.style_id
                )),
                Ok(None) => break,
                Err(e) => {
                    out.push(format!("error: {e}"));
                    break;
                }
            }
        }
    }
    out
}

/// The switch is the process's: the tests that turn it take turns.
static SWITCH: std::sync::Mutex<()> = std::sync::Mutex::new(());

fn both_ways(what: &str, bytes: &[u8]) {
    let _turn = SWITCH
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    set_xlsx_byte_scan(false);
    let by_events = cells_of(bytes);
    set_xlsx_byte_scan(true);
    let scanned = cells_of(bytes);
    assert_eq!(scanned, by_events, "{what}");
}

const WORKBOOK: &str = r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets><sheet name="S" sheetId="1" r:id="rId1"/></sheets></workbook>"#;

const RELS: &str = r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/><Relationship Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/sharedStrings" Target="sharedStrings.xml"/></Relationships>"#;

const TOP_RELS: &str = r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>"#;

/// A one-sheet workbook from its shared strings' and its sheet's XML.
fn xlsx(sst: &str, sheet: &str) -> Vec<u8> {
    let mut zip = zip::ZipWriter::new(Cursor::new(Vec::new()));
    let options = zip::write::SimpleFileOptions::default();
    for (path, text) in [
        ("_rels/.rels", TOP_RELS),
        ("xl/workbook.xml", WORKBOOK),
        ("xl/_rels/workbook.xml.rels", RELS),
        ("xl/sharedStrings.xml", sst),
        ("xl/worksheets/sheet1.xml", sheet),
    ] {
        zip.start_file(path, options).expect("a zip entry");
        zip.write_all(text.as_bytes()).expect("written");
    }
    zip.finish().expect("a zip").into_inner()
}

fn sst(items: &str) -> String {
    format!(
        r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" count="9" uniqueCount="9">{items}</sst>"#
    )
}

fn sheet(data: &str) -> String {
    format!(
        r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><dimension ref="A1:F9"/><sheetData>{data}</sheetData><pageMargins left="0.7"/></worksheet>"#
    )
}

const STRINGS: &str = "<si><t>plain</t></si>\n<si><t xml:space=\"preserve\">  kept  </t></si>\
<si><t>  trimmed\t</t></si><si><t>a &amp; b</t></si><si><t>line\r\nend</t></si>\
<si><r><rPr><b/></rPr><t>rich</t></r><r><t xml:space=\"preserve\"> text</t></r></si>\
<si><t>漢字</t><rPh sb=\"0\" eb=\"2\"><t>カンジ</t></rPh></si><si><t>cr_x000D_here</t></si>\
<si><t/></si><si></si><si><t></t></si><si><t>Café ☕</t></si>";

const CELLS: &str = r#"<row r="1" spans="1:3" x14ac:dyDescent="0.25"><c r="A1" t="s"><v>0</v></c><c r="B1" s="1" t="s"><v>1</v></c><c r="C1" t="s"><v>2</v></c></row>
<row r="2"><c r="A2" t="s"><v>3</v></c><c r="B2" t="s"><v>4</v></c><c r="C2" t="s"><v>5</v></c><c r="D2" t="s"><v>6</v></c><c r="E2" t="s"><v>7</v></c></row>
<row r="3"><c t="s"><v>8</v></c><c t="s"><v>9</v></c><c><v>1.5</v></c><c s="2"/><c r="F3"><v></v></c></row>
<row><c t="b"><v>1</v></c><c t="b"><v>false</v></c><c t="e"><v>#N/A</v></c><c t="str"><v>text</v></c><c t="d"><v>2024-01-02</v></c><c t="inlineStr"><is><t>inline</t></is></c></row>
<row r="7"/>
<row r="8"> <c r="A8" t="s">
 <v>10</v>
 </c> <c r="B8"><v/></c><c r="C8" t='s'><v>11</v></c><c r="D8"><v>not a number</v></c></row>"#;

#[test]
fn every_xlsx_fixture_reads_the_same_scanned_and_parsed() {
    let fixtures = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures");
    let mut seen = 0;
    for entry in std::fs::read_dir(&fixtures).expect("the fixtures folder") {
        let path = entry.expect("an entry").path();
        if path.extension().is_some_and(|e| e == "xlsx" || e == "xlsm") {
            both_ways(
                &path.display().to_string(),
                &std::fs::read(&path).expect("read"),
            );
            seen += 1;
        }
    }
    assert!(seen > 10, "{seen} fixtures");
}

#[test]
fn scanned_and_parsed_strings_and_cells_read_the_same() {
    // What the scanner reads itself: the cells of a sheet written plainly.
    let plain = cells_of(&xlsx(&sst(STRINGS), &sheet(CELLS)));
    assert!(plain.len() > 20, "{plain:?}");
    both_ways("plain", &xlsx(&sst(STRINGS), &sheet(CELLS)));

    // Each of these hands the rest of its part to the XML reader, at its start or midway.
    let strings_handed_over = [
        "<si><t><![CDATA[a</si>b]]></t></si>",
        "<!-- a comment --><si><t>x</t></si>",
        "<si><t>x</t></si><x:si><x:t>prefixed</x:t></x:si>",
        "<si ><t>x</t></si>",
        "<si/><si><t>x</t></si>",
    ];
    for items in strings_handed_over {
        both_ways(
            items,
            &xlsx(&sst(&format!("{STRINGS}{items}")), &sheet(CELLS)),
        );
    }
}

#[test]
fn cells_the_scanner_hands_over_read_the_same() {
    let cells_handed_over = [
        r#"<row r="9"><c r="A9"><f>B9*2</f><v>4</v></c><c r="B9"><v>2</v></c></row>"#,
        r#"<row r="9"><c r="A9"><f t="shared" ref="A9:A10" si="0">B9*2</f><v>4</v></c></row><row r="10"><c r="A10"><f t="shared" si="0"/><v>6</v></c></row>"#,
        r#"<row r="9"><c r="A9" t="str"><v>a &lt; b</v></c><c r="B9" t="str"><v>two
lines</v></c></row>"#,
        r#"<row r="9"><c r="A9" t="inlineStr"><is><r><t>rich</t></r></is></c></row>"#,
        r#"<row r="9"><!-- note --><c r="A9"><v>1</v></c></row>"#,
        r#"<x:row r="9"><x:c r="A9"><x:v>1</x:v></x:c></x:row>"#,
        r#"<row r="9"><c r="A9" t="s"><v>99999</v></c></row>"#,
        r#"<row r="9"><c r="9A"><v>1</v></c></row>"#,
        r#"<row r="9"><c r="A9" t="b"><v>maybe</v></c></row>"#,
        r#"<row r="9"><c r="A9" t="n"><v>x</v></c></row>"#,
        r#"<row r="9"><c r="A9" t="q"><v>1</v></c></row>"#,
        r#"<row r="9"><c r="A9" r="B9"><v>1</v></c></row>"#,
        r#"<row r="9"><c r="A9"><v>1</v><extLst/></c></row>"#,
        r#"<row r="9"><c r="A9"><v>1</v></c>"#,
        r#"<row r="9"><c r="A9" foo><v>1</v></c></row>"#,
        r#"<row r = '9' ><c r = 'A9'  s="1" t ="n" ><v>1</v></c><c r="B9"/ ></row>"#,
        r#"<row r="9"><c r="A9" s="a>b"><v>1</v></c></row>"#,
    ];
    for data in cells_handed_over {
        both_ways(
            data,
            &xlsx(&sst(STRINGS), &sheet(&format!("{CELLS}{data}"))),
        );
    }
}

#[test]
fn empty_large_and_other_encoding_parts_read_the_same() {
    let no_strings = r#"<?xml version="1.0" encoding="UTF-8"?><sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" count="0" uniqueCount="0"/>"#;
    both_ways(
        "no strings",
        &xlsx(
            no_strings,
            &sheet("<row r=\"1\"><c r=\"A1\"><v>1</v></c></row>"),
        ),
    );

    // Parts larger than the scanner's window, one string larger too, handed over near the end.
    let mut strings = String::new();
    let mut rows = String::new();
    for i in 0..4000 {
        strings.push_str(&format!("<si><t>source {i}</t></si>"));
        rows.push_str(&format!(
            "<row r=\"{n}\"><c r=\"A{n}\" t=\"s\"><v>{i}</v></c><c r=\"B{n}\"><v>{i}.25</v></c></row>",
            n = i + 1
        ));
    }
    strings.push_str(&format!(
        "<si><t>{}</t></si><si><t>a &amp; b</t></si>",
        "long ".repeat(40_000)
    ));
    rows.push_str(r#"<row r="4001"><c r="A4001" t="s"><v>4000</v></c><c r="B4001"><f>1+1</f><v>2</v></c></row><row r="4002"><c r="A4002" t="s"><v>4001</v></c></row>"#);
    let large = xlsx(&sst(&strings), &sheet(&rows));
    assert!(cells_of(&large).len() > 8000);
    both_ways("large", &large);

    let empty = r#"<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData/><pageMargins left="0.7"/></worksheet>"#;
    both_ways("empty sheet", &xlsx(&sst(STRINGS), empty));
    let latin1 = "<?xml version=\"1.0\" encoding=\"ISO-8859-1\"?><worksheet><sheetData><row r=\"1\"><c r=\"A1\" t=\"str\"><v>caf\u{e9}</v></c></row></sheetData></worksheet>";
    both_ways("latin-1 sheet", &xlsx(&sst(STRINGS), latin1));
}
