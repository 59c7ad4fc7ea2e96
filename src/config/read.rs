//! Read options: the flags that say how inputs are read (encoding, delimiter, sheets, header
//! map) and where results go, as the [`Config`] every run starts from.

use super::jobs::Outputs;
use super::{Config, ConfigError, RunMode, invalid, kind_of};
use crate::cli::{EncodingArg, ReadArgs};
use crate::input::{EncodingChoice, ReadOptions};
use crate::profile;
use std::path::{Path, PathBuf};

pub(super) fn read_config(args: ReadArgs) -> Result<Config, ConfigError> {
    let delimiter = match args.delimiter.as_str() {
        "auto" => None,
        "," | "comma" => Some(b','),
        ";" | "semicolon" => Some(b';'),
        "tab" | "\\t" | "\t" => Some(b'\t'),
        "|" | "pipe" => Some(b'|'),
        other => {
            return Err(invalid(format!(
                "--delimiter {other:?}: use auto, ',', ';', tab or '|'"
            )));
        }
    };
    let encoding = match args.encoding {
        EncodingArg::Auto => EncodingChoice::Auto,
        EncodingArg::Utf8 => EncodingChoice::Utf8,
        EncodingArg::Windows1252 => EncodingChoice::Windows1252,
        EncodingArg::Macintosh => EncodingChoice::MacRoman,
    };
    let bom = match (args.bom, args.no_bom) {
        (true, _) => Some(true),
        (_, true) => Some(false),
        _ => None,
    };
    let report = args
        .report
        .as_deref()
        .map(|r| report_path(r, &args.files))
        .transpose()?;
    Ok(Config {
        mode: RunMode::Validate,
        outputs: Outputs::new(
            args.files,
            args.output,
            bom,
            args.excel_safe_csv,
            args.results_format,
        ),
        kind: args.kind.map(kind_of),
        read: ReadOptions {
            encoding,
            delimiter,
            sheets: args.sheet,
            decimal_comma: args.decimal_comma,
            excel_safe: args.excel_safe_csv,
        },
        map_file: args.map,
        keep_columns: args.keep_column,
        json: args.json,
        quiet: args.quiet,
        report,
        notes: Vec::new(),
        match_by_name: false,
        allow_duplicates: false,
        clear_empty: false,
        overwrite: false,
        submit: None,
    })
}

/// `--report`, its `{stem}` (of the one input), `{date}` and `{time}` expanded as in `-o`.
fn report_path(report: &Path, files: &[PathBuf]) -> Result<PathBuf, ConfigError> {
    if !profile::is_pattern(report) {
        return Ok(report.to_path_buf());
    }
    let stem = match files {
        [one] => one.file_stem().map(|s| s.to_string_lossy().into_owned()),
        _ => None,
    };
    profile::expand(&report.to_string_lossy(), stem.as_deref(), profile::now())
        .map(PathBuf::from)
        .map_err(|e| invalid(format!("--report {e}")))
}
