//! Generates input files for the benchmarks and the bundled workbook sample.
//!
//! ```text
//! cargo run --release --example gen_data -- sources-csv 1000000 /tmp/sources.csv
//! cargo run --release --example gen_data -- sources-csv-quoted 1000000 /tmp/quoted.csv
//! cargo run --release --example gen_data -- sources-xlsx 1000000 /tmp/sources.xlsx
//! cargo run --release --example gen_data -- sources-xlsx-shared 1000000 /tmp/shared.xlsx
//! cargo run --release --example gen_data -- sample-workbook samples/crm.xlsx
//! ```
//! Rows are deterministic: the same count gives the same file.

use std::io::{BufWriter, Write};

use rust_xlsxwriter::{Workbook, XlsxError};

const CHANNELS: [&str; 8] = [
    "Google Ads",
    "Wedding Expo",
    "Referral – Past Client",
    "Instagram",
    "Trade Show",
    "Venue Finder",
    "Corporate Directory",
    "Open Day",
];

fn source_row(i: u64) -> (String, String, String, String, &'static str) {
    let name = format!("{} {i:07}", CHANNELS[(i % 8) as usize]);
    let description = format!("Campaign {} for region {}", i % 97, i % 13);
    let cost = format!("{}.{:02}", (i * 37) % 5000, i % 100);
    let colour = format!("#{:06x}", (i * 2_654_435_761) & 0xff_ffff);
    let referral = if i.is_multiple_of(5) { "yes" } else { "no" };
    (name, description, cost, colour, referral)
}

fn sources_csv(n: u64, path: &str) -> std::io::Result<()> {
    let mut w = BufWriter::with_capacity(1 << 20, std::fs::File::create(path)?);
    writeln!(w, "name,description,cost,colour,isReferral")?;
    for i in 0..n {
        let (name, d, c, col, r) = source_row(i);
        writeln!(w, "{name},{d},{c},{col},{r}")?;
    }
    w.flush()
}

/// Sources as people's files hold them: every description quoted (commas, doubled quotes), some
/// names too, and 2% of the rows invalid (a bad cost, colour or isReferral in turn).
fn sources_csv_quoted(n: u64, path: &str) -> std::io::Result<()> {
    let mut w = BufWriter::with_capacity(1 << 20, std::fs::File::create(path)?);
    writeln!(w, "name,description,cost,colour,isReferral")?;
    for i in 0..n {
        let (name, _, cost, colour, referral) = source_row(i);
        let name = if i % 10 == 3 {
            format!("\"{name}, Ltd\"")
        } else {
            name
        };
        let d = format!(
            "\"Campaign {}, region {} \"\"{}\"\"\"",
            i % 97,
            i % 13,
            CHANNELS[(i % 7) as usize]
        );
        let (cost, colour, referral) = match (i % 50, i % 150) {
            (49, 49) => ("\"12,5\"".to_string(), colour, referral),
            (49, 99) => (cost, "#12345".to_string(), referral),
            (49, _) => (cost, colour, "maybe"),
            _ => (cost, colour, referral),
        };
        writeln!(w, "{name},{d},{cost},{colour},{referral}")?;
    }
    w.flush()
}

/// `shared`: text in the workbook's shared-string table, as Excel writes it; otherwise inline
/// strings (the constant-memory writer's form).
fn sources_xlsx(n: u64, path: &str, shared: bool) -> Result<(), XlsxError> {
    let mut wb = Workbook::new();
    let ws = if shared {
        wb.add_worksheet()
    } else {
        wb.add_worksheet_with_constant_memory()?
    };
    ws.set_name("Lead Sources")?;
    for (c, h) in ["name", "description", "cost", "colour", "isReferral"]
        .iter()
        .enumerate()
    {
        ws.write_string(0, u16::try_from(c).unwrap_or(u16::MAX), *h)?;
    }
    for i in 0..n {
        let r = u32::try_from(i + 1).unwrap_or(u32::MAX);
        let (name, d, _, col, _) = source_row(i);
        ws.write_string(r, 0, &name)?;
        ws.write_string(r, 1, &d)?;
        ws.write_number(r, 2, ((i * 37) % 5000) as f64 + (i % 100) as f64 / 100.0)?;
        ws.write_string(r, 3, &col)?;
        ws.write_boolean(r, 4, i.is_multiple_of(5))?;
    }
    wb.save(path)
}

/// The bundled sample: a "Lead Sources" and a "Lead Stages" sheet, read from the CSV samples.
fn sample_workbook(path: &str) -> Result<(), Box<dyn std::error::Error>> {
    let mut wb = Workbook::new();
    for (sheet, csv_path) in [
        ("Lead Sources", "samples/lead_sources.csv"),
        ("Lead Stages", "samples/lead_stages.csv"),
    ] {
        let ws = wb.add_worksheet();
        ws.set_name(sheet)?;
        let mut rdr = csv::Reader::from_path(csv_path)?;
        for (c, h) in rdr.headers()?.iter().enumerate() {
            ws.write_string(0, u16::try_from(c)?, h)?;
        }
        for (r, rec) in rdr.records().enumerate() {
            let rec = rec?;
            for (c, v) in rec.iter().enumerate() {
                let (r, c) = (u32::try_from(r + 1)?, u16::try_from(c)?);
                match (v.parse::<f64>(), v) {
                    (Ok(n), _) => ws.write_number(r, c, n)?,
                    (_, "yes") => ws.write_boolean(r, c, true)?,
                    (_, "no") => ws.write_boolean(r, c, false)?,
                    _ => ws.write_string(r, c, v)?,
                };
            }
        }
    }
    wb.save(path)?;
    Ok(())
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args
        .iter()
        .map(String::as_str)
        .collect::<Vec<_>>()
        .as_slice()
    {
        ["sources-csv", n, path] => sources_csv(n.parse()?, path)?,
        ["sources-csv-quoted", n, path] => sources_csv_quoted(n.parse()?, path)?,
        ["sources-xlsx", n, path] => sources_xlsx(n.parse()?, path, false)?,
        ["sources-xlsx-shared", n, path] => sources_xlsx(n.parse()?, path, true)?,
        ["sample-workbook", path] => sample_workbook(path)?,
        _ => {
            eprintln!(
                "usage: gen_data sources-csv N PATH | sources-csv-quoted N PATH | sources-xlsx N PATH | sources-xlsx-shared N PATH | sample-workbook PATH"
            );
            std::process::exit(2);
        }
    }
    Ok(())
}
