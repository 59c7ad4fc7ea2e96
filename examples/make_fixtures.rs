//! Writes the workbook fixtures of `tests/workbooks.rs` into `tests/fixtures/` (the files
//! named `wb_*`), so each can be made again: `cargo run --example make_fixtures`.
//!
//! XLSX files come from rust_xlsxwriter; what it cannot write (the 1904 date system, formulas
//! saved without a result as openpyxl writes them) is patched into its output. XLS and ODS
//! files, which it cannot write at all, are written here by hand: a BIFF8 workbook stream in
//! a compound file, and an ODS zip with its `content.xml`.

use std::error::Error;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};

use rust_xlsxwriter::{
    Chart, ChartType, DocProperties, ExcelDateTime, Format, Formula, Workbook, Worksheet,
};

type Res<T = ()> = Result<T, Box<dyn Error>>;

/// A formula result the patch below turns into "no saved value".
const NO_VALUE: &str = "@@NO_VALUE@@";

fn dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures")
}

/// A workbook with a fixed creation time, so the same code writes the same bytes.
fn workbook() -> Res<Workbook> {
    let mut wb = Workbook::new();
    let created = ExcelDateTime::from_ymd(2025, 3, 15)?;
    wb.set_properties(&DocProperties::new().set_creation_datetime(&created));
    Ok(wb)
}

fn strings(ws: &mut Worksheet, row: u32, cells: &[&str]) -> Res {
    for (c, v) in cells.iter().enumerate() {
        if !v.is_empty() {
            ws.write_string(row, u16::try_from(c)?, *v)?;
        }
    }
    Ok(())
}

/// Rewrites the parts of a zip file that `patch` changes.
fn patch_zip(path: &Path, patch: impl Fn(&str, String) -> String) -> Res {
    let bytes = std::fs::read(path)?;
    let mut archive = zip::ZipArchive::new(std::io::Cursor::new(bytes))?;
    let mut out = zip::ZipWriter::new(std::fs::File::create(path)?);
    for i in 0..archive.len() {
        let mut f = archive.by_index(i)?;
        let name = f.name()?.to_string();
        let mut data = Vec::new();
        f.read_to_end(&mut data)?;
        let data = match String::from_utf8(data) {
            Ok(text) if name.ends_with(".xml") => patch(&name, text).into_bytes(),
            Ok(text) => text.into_bytes(),
            Err(e) => e.into_bytes(),
        };
        out.start_file(name, zip::write::SimpleFileOptions::default())?;
        out.write_all(&data)?;
    }
    out.finish()?;
    Ok(())
}

/// Formulas whose result is [`NO_VALUE`] lose it, as openpyxl writes them: `<f>..</f><v/>`.
fn drop_formula_results(xml: &str) -> String {
    let mut out = String::with_capacity(xml.len());
    let mut rest = xml;
    let marker = format!("<v>{NO_VALUE}</v>");
    while let Some(at) = rest.find(&marker) {
        let (before, after) = rest.split_at(at);
        // The cell's start tag says t="str" for the text result: take it off.
        let start = before.rfind("<c ").unwrap_or(0);
        out.push_str(&before[..start]);
        out.push_str(&before[start..].replacen(r#" t="str""#, "", 1));
        out.push_str("<v/>");
        rest = &after[marker.len()..];
    }
    out.push_str(rest);
    out
}

fn hidden_sheets() -> Res {
    let mut wb = workbook()?;
    let ws = wb.add_worksheet().set_name("Sources")?;
    strings(ws, 0, &["name", "cost"])?;
    strings(ws, 1, &["Expo", "100"])?;
    strings(ws, 2, &["Radio", "50"])?;
    let ws = wb.add_worksheet().set_name("Old Sources")?;
    ws.set_hidden(true);
    strings(ws, 0, &["name", "cost"])?;
    strings(ws, 1, &["Fax", "5"])?;
    let ws = wb.add_worksheet().set_name("Secret")?;
    ws.set_very_hidden(true);
    strings(ws, 0, &["name", "applyTo"])?;
    strings(ws, 1, &["Enquiry", "lead"])?;
    wb.save(dir().join("wb_hidden_sheets.xlsx"))?;
    Ok(())
}

fn chart_sheet() -> Res {
    let mut wb = workbook()?;
    let ws = wb.add_worksheet().set_name("Sources")?;
    strings(ws, 0, &["name", "cost"])?;
    ws.write_string(1, 0, "Expo")?;
    ws.write_number(1, 1, 100)?;
    ws.write_string(2, 0, "Radio")?;
    ws.write_number(2, 1, 50)?;
    let mut chart = Chart::new(ChartType::Column);
    chart.add_series().set_values("Sources!$B$2:$B$3");
    let cs = wb.add_chartsheet().set_name("Chart1")?;
    cs.insert_chart(0, 0, &chart)?;
    wb.save(dir().join("wb_chartsheet.xlsx"))?;
    Ok(())
}

fn instructions() -> Res {
    let mut wb = workbook()?;
    let ws = wb.add_worksheet().set_name("Instructions")?;
    strings(ws, 0, &["How to fill in this workbook"])?;
    strings(ws, 1, &["One row per lead source; costs in dollars."])?;
    let ws = wb.add_worksheet().set_name("Lead Sources")?;
    strings(ws, 0, &["name", "cost", "isReferral"])?;
    strings(ws, 1, &["Expo", "100", "yes"])?;
    strings(ws, 2, &["Partner", "0", "WAHR"])?;
    let ws = wb.add_worksheet().set_name("Lists")?;
    strings(ws, 0, &["Colours", "Apply To"])?;
    strings(ws, 1, &["#ff0000", "lead"])?;
    strings(ws, 2, &["#00ff00", "opportunity"])?;
    let ws = wb.add_worksheet().set_name("Stages")?;
    strings(ws, 0, &["name", "applyTo"])?;
    strings(ws, 1, &["Enquiry", "lead"])?;
    wb.save(dir().join("wb_instructions.xlsx"))?;

    let mut wb = workbook()?;
    let ws = wb.add_worksheet().set_name("Instructions")?;
    strings(ws, 0, &["Fill in the Data sheet"])?;
    let ws = wb.add_worksheet().set_name("Data")?;
    strings(ws, 0, &["name", "colour"])?;
    strings(ws, 1, &["Expo", "#fff"])?;
    wb.save(dir().join("wb_unrecognisable.xlsx"))?;

    let mut wb = workbook()?;
    let ws = wb.add_worksheet().set_name("Notes")?;
    strings(ws, 0, &["Read me first", "then the rest"])?;
    strings(ws, 1, &["Step 1", "open the file"])?;
    wb.save(dir().join("wb_no_header.xlsx"))?;
    Ok(())
}

/// Dates as serial numbers with a date format, in the 1900 system or (patched) the 1904 one.
fn dates(is_1904: bool) -> Res {
    // 2024-03-15 and 2025-01-31 as serial days in each system.
    let offset = if is_1904 { 1462.0 } else { 0.0 };
    let (d1, d2) = (45366.0 - offset, 45688.0 - offset);
    let date = Format::new().set_num_format("yyyy-mm-dd");
    let datetime = Format::new().set_num_format("yyyy-mm-dd hh:mm");
    let time = Format::new().set_num_format("hh:mm:ss");
    let mut wb = workbook()?;
    let ws = wb.add_worksheet().set_name("Sources")?;
    strings(
        ws,
        0,
        &[
            "name",
            "description",
            "cost",
            "Event date",
            "Starts",
            "Time",
        ],
    )?;
    ws.write_string(1, 0, "Expo")?;
    ws.write_number_with_format(1, 1, d1, &date)?;
    ws.write_number(1, 2, 100)?;
    ws.write_number_with_format(1, 3, d1, &date)?;
    ws.write_number_with_format(1, 4, d1 + 0.75, &datetime)?;
    ws.write_number_with_format(1, 5, (18.0 * 3600.0 + 30.0 * 60.0 + 15.0) / 86_400.0, &time)?;
    ws.write_number_with_format(2, 0, d2, &date)?;
    ws.write_number(2, 2, 5)?;
    let name = if is_1904 {
        "wb_dates_1904.xlsx"
    } else {
        "wb_dates.xlsx"
    };
    let path = dir().join(name);
    wb.save(&path)?;
    if is_1904 {
        patch_zip(&path, |name, xml| {
            if name == "xl/workbook.xml" {
                xml.replacen("<workbookPr", r#"<workbookPr date1904="1""#, 1)
            } else {
                xml
            }
        })?;
    }
    Ok(())
}

fn numbers_and_formulas() -> Res {
    let mut wb = workbook()?;
    let ws = wb.add_worksheet().set_name("Sources")?;
    strings(ws, 0, &["name", "cost", "Ratio"])?;
    ws.write_string(1, 0, "Expo")?;
    ws.write_number(1, 1, 1200.5)?;
    ws.write_formula(
        1,
        2,
        Formula::new("=0.1+0.2").set_result("0.30000000000000004"),
    )?;
    ws.write_string(2, 0, "Radio")?;
    ws.write_formula(
        2,
        1,
        Formula::new("=0.1+0.2").set_result("0.30000000000000004"),
    )?;
    ws.write_number(2, 2, 1.0 / 3.0)?;
    wb.save(dir().join("wb_numbers.xlsx"))?;

    let mut wb = workbook()?;
    let ws = wb.add_worksheet().set_name("Sources")?;
    strings(ws, 0, &["name", "description", "cost", "Calc"])?;
    ws.write_string(1, 0, "Expo")?;
    ws.write_string(1, 1, "saved by a script")?;
    ws.write_formula(1, 2, Formula::new("=100*2").set_result(NO_VALUE))?;
    ws.write_formula(1, 3, Formula::new("=LEN(A2)").set_result(NO_VALUE))?;
    ws.write_string(2, 0, "Radio")?;
    ws.write_number(2, 2, 5)?;
    ws.write_formula(2, 3, Formula::new("=1+1").set_result("2"))?;
    let path = dir().join("wb_formulas.xlsx");
    wb.save(&path)?;
    patch_zip(&path, |name, xml| {
        if name.starts_with("xl/worksheets/") {
            drop_formula_results(&xml)
        } else {
            xml
        }
    })?;
    Ok(())
}

fn layouts() -> Res {
    let mut wb = workbook()?;
    let ws = wb.add_worksheet().set_name("Sources")?;
    strings(ws, 0, &["Lead sources – exported 15/03/2025"])?;
    strings(ws, 2, &["name", "cost"])?;
    strings(ws, 3, &["Expo", "100"])?;
    strings(ws, 4, &["Radio", "50"])?;
    wb.save(dir().join("wb_title_rows.xlsx"))?;

    let mut wb = workbook()?;
    let ws = wb.add_worksheet().set_name("Sources")?;
    strings(ws, 0, &["name", "Notes", "cost", "Name"])?;
    strings(ws, 1, &["Expo", "a", "1", "Expo 2"])?;
    wb.save(dir().join("wb_two_names.xlsx"))?;

    let mut wb = workbook()?;
    let ws = wb.add_worksheet().set_name("Sources")?;
    strings(ws, 0, &["name", "Notes", "cost", "Notes"])?;
    strings(ws, 1, &["Expo", "first note", "1", "second note"])?;
    wb.save(dir().join("wb_two_notes.xlsx"))?;
    Ok(())
}

/// BIFF8 records for one XLS cell or control record.
#[expect(
    clippy::cast_possible_truncation,
    reason = "BIFF8 records hold at most 8,224 bytes, and these a few dozen"
)]
fn record(out: &mut Vec<u8>, typ: u16, data: &[u8]) {
    out.extend(typ.to_le_bytes());
    out.extend((data.len() as u16).to_le_bytes());
    out.extend(data);
}

fn bof(out: &mut Vec<u8>, dt: u16) {
    let mut d = Vec::new();
    d.extend(0x0600u16.to_le_bytes());
    d.extend(dt.to_le_bytes());
    d.extend(0x0DBBu16.to_le_bytes());
    d.extend(0x07CCu16.to_le_bytes());
    d.extend([0u8; 8]);
    record(out, 0x0809, &d);
}

/// An XLS cell: text or a number.
enum XlsCell<'a> {
    Text(&'a str),
    Number(f64),
}

struct XlsSheet<'a> {
    name: &'a str,
    hidden: bool,
    cells: Vec<(u16, u16, XlsCell<'a>)>,
}

#[expect(
    clippy::cast_possible_truncation,
    reason = "the fixtures' cell texts are a few words: their UTF-16 length fits u16"
)]
fn sheet_stream(sheet: &XlsSheet<'_>) -> Vec<u8> {
    let mut out = Vec::new();
    bof(&mut out, 0x0010);
    let rows = sheet.cells.iter().map(|c| c.0).max().unwrap_or(0);
    let cols = sheet.cells.iter().map(|c| c.1).max().unwrap_or(0);
    let mut dim = Vec::new();
    dim.extend(0u32.to_le_bytes());
    dim.extend((u32::from(rows) + 1).to_le_bytes());
    dim.extend(0u16.to_le_bytes());
    dim.extend((cols + 1).to_le_bytes());
    dim.extend(0u16.to_le_bytes());
    record(&mut out, 0x0200, &dim);
    for (r, c, v) in &sheet.cells {
        let mut d = Vec::new();
        d.extend(r.to_le_bytes());
        d.extend(c.to_le_bytes());
        d.extend(0u16.to_le_bytes());
        match v {
            XlsCell::Text(t) => {
                let units: Vec<u16> = t.encode_utf16().collect();
                d.extend((units.len() as u16).to_le_bytes());
                d.push(1);
                units.iter().for_each(|u| d.extend(u.to_le_bytes()));
                record(&mut out, 0x0204, &d);
            }
            XlsCell::Number(n) => {
                d.extend(n.to_le_bytes());
                record(&mut out, 0x0203, &d);
            }
        }
    }
    record(&mut out, 0x000A, &[]);
    out
}

/// A BIFF8 workbook in a compound file, as Excel 97–2003 saves it (the records calamine
/// and Excel need, no more).
#[expect(
    clippy::cast_possible_truncation,
    reason = "sheet names are at most 31 characters, and the fixtures' streams a few \
              kilobytes: the lengths fit u8 and u32"
)]
fn write_xls(path: &Path, sheets: &[XlsSheet<'_>]) -> Res {
    let bound = |s: &XlsSheet<'_>, at: u32| {
        let mut d = Vec::new();
        d.extend(at.to_le_bytes());
        d.push(u8::from(s.hidden));
        d.push(0);
        let units: Vec<u16> = s.name.encode_utf16().collect();
        d.push(units.len() as u8);
        d.push(1);
        units.iter().for_each(|u| d.extend(u.to_le_bytes()));
        d
    };
    // The globals' size does not depend on the offsets written in it.
    let mut globals_len = 0;
    {
        let mut g = Vec::new();
        bof(&mut g, 0x0005);
        record(&mut g, 0x0042, &1200u16.to_le_bytes());
        for s in sheets {
            record(&mut g, 0x0085, &bound(s, 0));
        }
        record(&mut g, 0x000A, &[]);
        globals_len += g.len();
    }
    let streams: Vec<Vec<u8>> = sheets.iter().map(sheet_stream).collect();
    let mut out = Vec::new();
    bof(&mut out, 0x0005);
    record(&mut out, 0x0042, &1200u16.to_le_bytes());
    let mut at = globals_len as u32;
    for (s, st) in sheets.iter().zip(&streams) {
        record(&mut out, 0x0085, &bound(s, at));
        at += st.len() as u32;
    }
    record(&mut out, 0x000A, &[]);
    streams.iter().for_each(|s| out.extend(s));
    // Excel's streams are never shorter than the 4,096 bytes of the mini-stream cut-off.
    out.resize(out.len().max(4096), 0);
    // Version 3 (512-byte sectors), as Excel writes them.
    let file = std::fs::File::create(path)?;
    let mut cf = cfb::CompoundFile::create_with_version(cfb::Version::V3, file)?;
    let mut stream = cf.create_stream("/Workbook")?;
    stream.write_all(&out)?;
    drop(stream);
    cf.flush()?;
    Ok(())
}

fn xls() -> Res {
    use XlsCell::{Number, Text};
    let sources = |extra: Option<(u16, u16)>| {
        let mut cells = vec![
            (0, 0, Text("name")),
            (0, 1, Text("cost")),
            (1, 0, Text("Expo")),
            (1, 1, Number(100.0)),
            (2, 0, Text("Radio")),
            (2, 1, Number(0.1 + 0.2)),
        ];
        if let Some((r, c)) = extra {
            cells.push((r, c, Text("x")));
        }
        XlsSheet {
            name: "Sources",
            hidden: false,
            cells,
        }
    };
    let old = XlsSheet {
        name: "Old",
        hidden: true,
        cells: vec![
            (0, 0, Text("name")),
            (0, 1, Text("cost")),
            (1, 0, Text("Fax")),
            (1, 1, Number(1.0)),
        ],
    };
    write_xls(&dir().join("wb_small.xls"), &[sources(None), old])?;
    write_xls(
        &dir().join("wb_stray_cell.xls"),
        &[sources(Some((59_999, 255)))],
    )?;
    Ok(())
}

const ODS_HEAD: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<office:document-content xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" xmlns:of="urn:oasis:names:tc:opendocument:xmlns:of:1.2" office:version="1.2"><office:body><office:spreadsheet>"#;
const ODS_TAIL: &str = "</office:spreadsheet></office:body></office:document-content>";

fn ods_text(t: &str) -> String {
    format!(
        r#"<table:table-cell office:value-type="string"><text:p>{t}</text:p></table:table-cell>"#
    )
}

fn write_ods(path: &Path, tables: &str) -> Res {
    let mut out = zip::ZipWriter::new(std::fs::File::create(path)?);
    let stored =
        zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Stored);
    out.start_file("mimetype", stored)?;
    out.write_all(b"application/vnd.oasis.opendocument.spreadsheet")?;
    out.start_file(
        "META-INF/manifest.xml",
        zip::write::SimpleFileOptions::default(),
    )?;
    out.write_all(
        br#"<?xml version="1.0" encoding="UTF-8"?>
<manifest:manifest xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0" manifest:version="1.2"><manifest:file-entry manifest:full-path="/" manifest:media-type="application/vnd.oasis.opendocument.spreadsheet"/><manifest:file-entry manifest:full-path="content.xml" manifest:media-type="text/xml"/></manifest:manifest>"#,
    )?;
    out.start_file("content.xml", zip::write::SimpleFileOptions::default())?;
    out.write_all(format!("{ODS_HEAD}{tables}{ODS_TAIL}").as_bytes())?;
    out.finish()?;
    Ok(())
}

fn ods() -> Res {
    let header = format!(
        "<table:table-row>{}{}{}{}</table:table-row>",
        ods_text("name"),
        ods_text("cost"),
        ods_text("Event date"),
        ods_text("Calc")
    );
    let rows = format!(
        r#"<table:table-row>{}<table:table-cell office:value-type="float" office:value="100"/><table:table-cell office:value-type="date" office:date-value="2024-03-15"/><table:table-cell table:formula="of:=[.B2]*2"/></table:table-row><table:table-row>{}<table:table-cell table:formula="of:=100*2"/><table:table-cell office:value-type="date" office:date-value="2024-03-15T18:00:00"/><table:table-cell office:value-type="float" office:value="0.30000000000000004"/></table:table-row>"#,
        ods_text("Expo"),
        ods_text("Radio"),
    );
    write_ods(
        &dir().join("wb_small.ods"),
        &format!(r#"<table:table table:name="Sources">{header}{rows}</table:table>"#),
    )?;
    let stray = r#"<table:table-row table:number-rows-repeated="59997"><table:table-cell table:number-columns-repeated="4"/></table:table-row><table:table-row><table:table-cell table:number-columns-repeated="999"/><table:table-cell office:value-type="string"><text:p>x</text:p></table:table-cell></table:table-row>"#;
    write_ods(
        &dir().join("wb_stray_cell.ods"),
        &format!(r#"<table:table table:name="Sources">{header}{rows}{stray}</table:table>"#),
    )?;
    Ok(())
}

fn main() -> Res {
    hidden_sheets()?;
    chart_sheet()?;
    instructions()?;
    dates(false)?;
    dates(true)?;
    numbers_and_formulas()?;
    layouts()?;
    xls()?;
    ods()?;
    println!("wrote the wb_* fixtures in {}", dir().display());
    Ok(())
}
