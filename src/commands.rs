//! The two small commands beside a run: `ping` (credentials, base URL, clock skew) and
//! `sandbox` (serve the emulator until Ctrl-C).

use std::path::Path;

use crate::api::Failure;
use crate::api::client::{Ping, fatal_advice};
use crate::api::wire::Listed;
use crate::backend::Backend;
use crate::config::{ExportConfig, PingConfig, SandboxConfig};
use crate::error::FatalError;
use crate::kind::Kind;
use crate::pipeline::Transport;
use crate::pipeline::stop::Stop;
use crate::sandbox::{Sandbox, SandboxOptions};

fn runtime() -> Result<tokio::runtime::Runtime, FatalError> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| FatalError::Start(format!("cannot start the runtime: {e}")))
}

/// Calls `test?action=ping` once: credentials, base URL and the clock skew.
pub fn ping(config: &PingConfig) -> Result<Ping, FatalError> {
    runtime()?.block_on(async {
        let backend = Backend::connect(&config.target, config.timeout).await?;
        let client = &backend.client;
        let local = time::OffsetDateTime::now_utc();
        client.ping().await.map_err(|f| {
            let mut why = match &f {
                Failure::Fatal(e) => fatal_advice(e),
                other => other.describe(),
            };
            // A refusal still says the server's time: show the skew, the usual culprit.
            if let Some(t) = f.api_error().and_then(|e| e.server_time) {
                why.push_str(&format!(
                    "; clock skew {:+} s (the server's clock minus this machine's)",
                    (t - local).whole_seconds()
                ));
            }
            FatalError::Api(format!("ping {} failed: {why}", client.endpoint().base()))
        })
    })
}

/// Serves the emulator on 127.0.0.1 until Ctrl-C; `ready` is told its address and credentials.
pub fn serve(config: SandboxConfig, ready: impl FnOnce(&Sandbox)) -> Result<(), FatalError> {
    runtime()?.block_on(async move {
        let sb = Sandbox::start(SandboxOptions {
            port: config.port,
            key: config.key,
            secret: config.secret,
            faults: config.faults,
            verbose: true,
        })
        .await
        .map_err(|e| FatalError::Start(format!("cannot start the sandbox: {e}")))?;
        ready(&sb);
        let _ = tokio::signal::ctrl_c().await;
        Ok(())
    })
}

impl Ping {
    /// Prints the answer for people; the exit code.
    pub fn print(&self) -> u8 {
        {
            let skew = self
                .clock_skew_secs
                .map_or("unknown (the server gave no time)".to_string(), |s| {
                    format!("{s:+} s")
                });
            println!(
                "ok: {} answered in {} ms; clock skew {skew}",
                self.base_url, self.round_trip_ms
            );
        }
        crate::error::EXIT_OK
    }
}

impl Sandbox {
    /// The lines a client needs to talk to this emulator; the secret only when it was
    /// generated (one the user gave is never echoed).
    pub fn print_banner(&self, show_secret: bool) {
        let creds = self.credentials();
        println!("listening on {}", self.base_url());
        println!("IVVY_API_KEY={}", creds.key);
        if show_secret {
            // A throwaway secret for this emulator, shown once so a client can use it.
            println!("IVVY_API_SECRET={}", creds.secret.expose());
        }
        println!("state: {}/_sandbox/state", self.base_url());
    }
}

/// Writes every record of a kind on the account to a CSV file in this tool's input format;
/// the number of records written.
pub fn export(config: &ExportConfig) -> Result<u64, FatalError> {
    runtime()?.block_on(async {
        let backend = Backend::connect(&config.target, config.pacing.timeout()).await?;
        let stop = std::sync::Arc::new(Stop::new());
        let transport = Transport::new(backend.client.clone(), config.pacing.policy(), stop);
        let listed = transport.list_all(config.kind, None, None).await;
        let mut listed = listed.map_err(|f| {
            FatalError::Api(format!(
                "cannot read the {}: {}",
                config.kind.plural(),
                f.describe()
            ))
        })?;
        listed.sort_by_key(|l| l.id);
        let out = &config.output;
        if out
            .extension()
            .is_some_and(|e| e.eq_ignore_ascii_case("xlsx"))
        {
            export_xlsx(config.kind, &listed, out)?;
        } else {
            export_csv(config.kind, &listed, out, config.excel_safe)?;
        }
        if !config.quiet {
            eprintln!(
                "exported {} {} to {}",
                listed.len(),
                config.kind.plural(),
                out.display()
            );
        }
        Ok(listed.len() as u64)
    })
}

/// Writes the listed records as CSV, as the results are written: the kind's export columns.
/// `excel_safe`: formula-like cells get a leading `'` (see [`crate::excel_safe`]).
fn export_csv(
    kind: Kind,
    listed: &[Listed],
    out: &Path,
    excel_safe: bool,
) -> Result<(), FatalError> {
    use crate::results::writer::CsvLine;
    let io = FatalError::output(out);
    let mut w = std::io::BufWriter::new(
        crate::guard::open_output(out, crate::guard::How::Truncate).map_err(&io)?,
    );
    // A byte-order mark first, so Excel opens the export with its accents intact.
    std::io::Write::write_all(&mut w, b"\xEF\xBB\xBF").map_err(&io)?;
    let columns = kind.info().export_columns;
    let mut line = CsvLine::excel_safe(excel_safe);
    line.line(&mut w, columns).map_err(&io)?;
    for l in listed {
        let cells: Vec<String> = columns
            .iter()
            .map(|c| export_cell(kind, l, c).text())
            .collect();
        line.line(&mut w, &cells).map_err(&io)?;
    }
    std::io::Write::flush(&mut w).map_err(io)
}

/// One cell of an export: what the account holds for a column.
enum ExportCell {
    Id(u64),
    Text(String),
    Number(f64),
    Bool(bool),
    Empty,
}

impl ExportCell {
    /// As a CSV cell.
    fn text(&self) -> String {
        match self {
            ExportCell::Id(n) => n.to_string(),
            ExportCell::Text(t) => t.clone(),
            ExportCell::Number(n) => n.to_string(),
            ExportCell::Bool(b) => b.to_string(),
            ExportCell::Empty => String::new(),
        }
    }
}

/// A listed record's cell for one of a kind's export columns. Every export says its kind
/// (`kind`), so it imports back without --kind.
fn export_cell(kind: Kind, l: &Listed, column: &str) -> ExportCell {
    let or_empty = |c: Option<ExportCell>| c.unwrap_or(ExportCell::Empty);
    match column {
        "id" => ExportCell::Id(l.id),
        "name" => ExportCell::Text(l.name.clone()),
        "description" => or_empty(l.description.clone().map(ExportCell::Text)),
        "cost" => or_empty(l.cost().map(ExportCell::Number)),
        "isReferral" => or_empty(l.is_referral().map(ExportCell::Bool)),
        "kind" => ExportCell::Text(kind.as_str().to_string()),
        _ => ExportCell::Empty,
    }
}

/// Writes a template to fill in; the kind comes from `kind` or the file's name.
pub fn template(file: &std::path::Path, kind: Option<Kind>) -> Result<(), FatalError> {
    use crate::template::{kind_from_file_name, write_template};
    let kind = kind.or_else(|| kind_from_file_name(file));
    write_template(file, kind).map_err(|e| FatalError::Start(e.to_string()))?;
    eprintln!("template written: {}", file.display());
    Ok(())
}

/// The export as a workbook: one sheet named for the kind, in this tool's input format.
fn export_xlsx(kind: Kind, listed: &[Listed], out: &Path) -> Result<(), FatalError> {
    use rust_xlsxwriter::{Format, Workbook};
    let err = |e: rust_xlsxwriter::XlsxError| FatalError::Output {
        path: out.to_path_buf(),
        source: std::io::Error::other(e),
    };
    let mut book = Workbook::new();
    // Rows go out in order: the sheet is streamed to a temporary file, not held in memory.
    let sheet = book.add_worksheet_with_constant_memory().map_err(err)?;
    let info = kind.info();
    sheet.set_name(info.sheet).map_err(err)?;
    let bold = Format::new().set_bold();
    for (c, h) in (0u16..).zip(info.export_columns) {
        sheet
            .write_string_with_format(0, c, *h, &bold)
            .map_err(err)?;
    }
    for (r, l) in (1u32..).zip(listed) {
        for (c, column) in (0u16..).zip(info.export_columns) {
            match export_cell(kind, l, column) {
                #[expect(clippy::cast_precision_loss, reason = "record ids are far below 2^53")]
                ExportCell::Id(n) => sheet.write_number(r, c, n as f64),
                ExportCell::Text(t) => sheet.write_string(r, c, &t),
                ExportCell::Number(n) => sheet.write_number(r, c, n),
                ExportCell::Bool(b) => sheet.write_boolean(r, c, b),
                ExportCell::Empty => continue,
            }
            .map_err(err)?;
        }
    }
    sheet.set_freeze_panes(1, 0).map_err(err)?;
    let file = crate::guard::open_output(out, crate::guard::How::Truncate)
        .map_err(FatalError::output(out))?;
    book.save_to_writer(file).map_err(err)
}
