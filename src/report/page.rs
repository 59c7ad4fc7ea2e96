//! The report's page: the HTML document and its inline style and SVG chart, written from
//! what was collected, with everything from a file or a parameter escaped.

use std::fmt::Write as _;

use super::ReportInput;
use super::collect::{Collected, Example};
use crate::figures::grouped;
use crate::outcome::Status;
use crate::results::tally::ProblemCount;

const STYLE: &str = "
body { font: 14px/1.45 system-ui, -apple-system, 'Segoe UI', sans-serif; color: #1d2329;
  margin: 2em auto; max-width: 72em; padding: 0 1em; }
h1 { font-size: 1.6em; margin-bottom: 0.2em; }
h2 { font-size: 1.25em; margin-top: 2em; border-bottom: 1px solid #d0d7de; }
h3 { font-size: 1.05em; margin-top: 1.5em; }
h4 { font-size: 1em; margin: 1em 0 0.2em; }
table { border-collapse: collapse; margin: 0.5em 0; }
th, td { border: 1px solid #d0d7de; padding: 0.25em 0.6em; text-align: left;
  vertical-align: top; }
th { background: #f3f5f7; }
td.n, th.n { text-align: right; font-variant-numeric: tabular-nums; }
td.bad { background: #ffd7d5; }
tfoot td { font-weight: bold; }
code { font-size: 0.95em; }
.scroll { overflow-x: auto; }
.muted { color: #57606a; }
.swatch { display: inline-block; width: 0.8em; height: 0.8em; margin-right: 0.4em; }
svg text { font: 13px system-ui, sans-serif; fill: #1d2329; }
";

/// The document being written. Text goes through [`Page::text`], which escapes it.
#[derive(Default)]
pub(super) struct Page(String);

impl Page {
    fn raw(&mut self, s: &str) -> &mut Page {
        self.0.push_str(s);
        self
    }

    /// Escaped for both text and attribute values. Control characters, which neither HTML nor
    /// XML allows, become U+FFFD.
    fn text(&mut self, s: &str) -> &mut Page {
        for c in s.chars() {
            match c {
                '&' => self.0.push_str("&amp;"),
                '<' => self.0.push_str("&lt;"),
                '>' => self.0.push_str("&gt;"),
                '"' => self.0.push_str("&quot;"),
                '\'' => self.0.push_str("&#39;"),
                '\t' | '\n' | '\r' => self.0.push(c),
                c if c.is_control() => self.0.push('\u{fffd}'),
                c => self.0.push(c),
            }
        }
        self
    }

    fn cell(&mut self, tag: &str, class: Option<&str>, s: &str) -> &mut Page {
        let _ = write!(self.0, "<{tag}");
        if let Some(class) = class {
            let _ = write!(self.0, " class=\"{class}\"");
        }
        self.raw(">").text(s);
        let _ = write!(self.0, "</{tag}>");
        self
    }

    pub(super) fn document(mut self, report: &ReportInput, seen: &Collected) -> String {
        self.raw("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\"/>\n")
            .raw("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"/>\n")
            .raw("<title>")
            .text(&report.title)
            .raw("</title>\n<style>")
            .raw(STYLE)
            .raw("</style>\n</head>\n<body>\n<h1>")
            .text(&report.title)
            .raw("</h1>\n");
        self.run(report);
        let _ = writeln!(
            self.0,
            "<p class=\"muted\" id=\"summary\">{} rows in {} results file{}.</p>",
            grouped(seen.total.rows()),
            seen.files.len(),
            if seen.files.len() == 1 { "" } else { "s" }
        );
        self.files(seen);
        self.statuses(seen);
        self.problems(seen);
        self.changes(seen);
        self.pairs("parameters", "Parameters", "Parameter", &report.params);
        self.pairs("timings", "Timings", "Step", &report.timings);
        self.raw("</body>\n</html>\n");
        self.0
    }

    /// When, with what and against what the run ran: what a client files the report by.
    fn run(&mut self, report: &ReportInput) {
        self.raw("<section id=\"run\">\n<h2>Run</h2>\n<table>\n<tbody>\n");
        let account = report
            .account
            .as_deref()
            .unwrap_or("none (a dry run: nothing read from or sent to an account)");
        let map = report.map.as_ref().map_or("none".to_string(), |m| {
            format!("{} ({} bytes, SHA-1 {})", m.path, grouped(m.bytes), m.sha1)
        });
        for (id, key, value) in [
            ("when", "Date and time", report.when.as_str()),
            ("version", "Tool version", report.version.as_str()),
            ("command", "Command", report.command.as_str()),
            ("account", "Account", account),
            ("map", "Mapping file", map.as_str()),
        ] {
            let _ = write!(self.0, "<tr id=\"{id}\">");
            self.cell("th", None, key)
                .cell("td", None, value)
                .raw("</tr>\n");
        }
        self.raw("</tbody>\n</table>\n<table id=\"inputs\">\n<thead><tr><th>Input file</th>")
            .raw("<th class=\"n\">Bytes</th><th>SHA-1</th></tr></thead>\n<tbody>\n");
        for f in &report.inputs {
            self.raw("<tr><td><code>")
                .text(&f.path)
                .raw("</code></td>")
                .cell("td", Some("n"), &grouped(f.bytes))
                .raw("<td><code>")
                .text(&f.sha1)
                .raw("</code></td></tr>\n");
        }
        self.raw("</tbody>\n</table>\n</section>\n");
    }

    fn files(&mut self, seen: &Collected) {
        self.raw("<section id=\"files\">\n<h2>Results files</h2>\n<table>\n")
            .raw("<thead><tr><th>File</th><th class=\"n\">Rows</th></tr></thead>\n<tbody>\n");
        for f in &seen.files {
            self.raw("<tr><td><code>")
                .text(&f.path.display().to_string())
                .raw("</code></td>")
                .cell("td", Some("n"), &grouped(f.tally.rows()))
                .raw("</tr>\n");
        }
        self.raw("</tbody>\n</table>\n</section>\n");
    }

    fn statuses(&mut self, seen: &Collected) {
        let statuses = seen.total.by_status();
        self.raw("<section id=\"statuses\">\n<h2>Rows by status</h2>\n");
        if statuses.is_empty() {
            self.raw("<p>No rows.</p>\n</section>\n");
            return;
        }
        let per_file = seen.files.len() > 1;
        self.raw("<table id=\"status-table\">\n<thead><tr><th>Status</th>");
        if per_file {
            for f in &seen.files {
                let name = f.path.file_name().map_or_else(
                    || f.path.display().to_string(),
                    |n| n.to_string_lossy().into_owned(),
                );
                self.cell("th", Some("n"), &name);
            }
        }
        self.raw("<th class=\"n\">Rows</th><th class=\"n\">Share</th></tr></thead>\n<tbody>\n");
        let total = seen.total.rows();
        for (status, rows) in &statuses {
            let name = status.as_str();
            self.raw("<tr data-status=\"").text(name).raw("\"><td>");
            let _ = write!(
                self.0,
                "<span class=\"swatch\" style=\"background: {}\"></span>",
                status.colour()
            );
            self.text(name).raw("</td>");
            if per_file {
                for f in &seen.files {
                    self.cell("td", Some("n"), &grouped(f.tally.count(*status)));
                }
            }
            self.cell("td", Some("n"), &grouped(*rows))
                .cell("td", Some("n"), &percent(*rows, total))
                .raw("</tr>\n");
        }
        self.raw("</tbody>\n<tfoot><tr><td>total</td>");
        if per_file {
            for f in &seen.files {
                self.cell("td", Some("n"), &grouped(f.tally.rows()));
            }
        }
        self.cell("td", Some("n"), &grouped(total))
            .raw("<td class=\"n\">100%</td></tr></tfoot>\n</table>\n");
        self.chart(&statuses);
        self.raw("</section>\n");
    }

    /// Horizontal bars, one per status, as inline SVG.
    fn chart(&mut self, statuses: &[(Status, u64)]) {
        const LABEL_W: u64 = 110;
        const BARS_W: u64 = 420;
        const BAR_H: u64 = 22;
        const GAP: u64 = 8;
        let width = LABEL_W + BARS_W + 90;
        let height = GAP + statuses.len() as u64 * (BAR_H + GAP);
        let max = statuses.iter().map(|(_, n)| *n).max().unwrap_or(0).max(1);
        let _ = writeln!(
            self.0,
            "<svg id=\"status-chart\" xmlns=\"http://www.w3.org/2000/svg\" width=\"{width}\" \
             height=\"{height}\" viewBox=\"0 0 {width} {height}\" role=\"img\" \
             aria-label=\"Rows by status\">"
        );
        for (i, (status, rows)) in statuses.iter().enumerate() {
            let y = GAP + i as u64 * (BAR_H + GAP);
            let mid = y + BAR_H / 2;
            // A status with rows always shows at least a sliver.
            let w = (rows * BARS_W).div_ceil(max).max(u64::from(*rows > 0));
            let _ = write!(
                self.0,
                "<g class=\"bar\" data-status=\"{status}\"><text x=\"{}\" y=\"{mid}\" \
                 text-anchor=\"end\" dominant-baseline=\"middle\">",
                LABEL_W - 8,
                status = status.as_str(),
            );
            self.text(status.as_str());
            let _ = write!(
                self.0,
                "</text><rect x=\"{LABEL_W}\" y=\"{y}\" width=\"{w}\" height=\"{BAR_H}\" \
                 fill=\"{}\"><title>",
                status.colour()
            );
            self.text(status.as_str()).raw(": ").text(&grouped(*rows));
            let _ = writeln!(
                self.0,
                "</title></rect><text x=\"{}\" y=\"{mid}\" dominant-baseline=\"middle\" \
                 class=\"count\">{}</text></g>",
                LABEL_W + w + 6,
                rows
            );
        }
        self.raw("</svg>\n");
    }

    fn problems(&mut self, seen: &Collected) {
        let problems = seen.total.by_problem();
        self.raw("<section id=\"problems\">\n<h2>Rows by problem</h2>\n");
        if problems.is_empty() {
            self.raw("<p>No problems.</p>\n</section>\n");
            return;
        }
        self.raw("<table id=\"problem-table\">\n<thead><tr><th>Problem</th>")
            .raw("<th class=\"n\">Rows</th><th>First seen as</th><th>What to do next</th>")
            .raw("<th>Flag</th></tr></thead>\n<tbody>\n");
        for (i, p) in problems.iter().enumerate() {
            self.raw("<tr><td>");
            if seen.examples.contains_key(&p.label) {
                let _ = write!(self.0, "<a href=\"#problem-{}\">", i + 1);
                self.text(p.label.as_str()).raw("</a>");
            } else {
                self.text(p.label.as_str());
            }
            self.raw("</td>")
                .cell("td", Some("n"), &grouped(p.rows))
                .cell("td", None, &p.first)
                .cell("td", Some("next"), p.remedy.plain())
                .raw("<td class=\"flag\"><code>")
                .text(p.remedy.flag().unwrap_or(""))
                .raw("</code></td></tr>\n");
        }
        self.raw("</tbody>\n</table>\n");
        for (i, p) in problems.iter().enumerate() {
            if let Some(examples) = seen.examples.get(&p.label) {
                self.examples(i + 1, p, examples, seen);
            }
        }
        self.raw("</section>\n");
    }

    fn examples(
        &mut self,
        number: usize,
        p: &ProblemCount,
        examples: &[Example],
        seen: &Collected,
    ) {
        let _ = write!(
            self.0,
            "<section class=\"problem\" id=\"problem-{number}\">\n<h3>"
        );
        self.text(p.label.as_str()).raw("</h3>\n");
        let _ = writeln!(
            self.0,
            "<p class=\"muted\">{} row{}{}.</p>",
            grouped(p.rows),
            if p.rows == 1 { "" } else { "s" },
            if p.rows > examples.len() as u64 {
                format!("; the first {}", examples.len())
            } else {
                String::new()
            }
        );
        let per_file = seen.files.len() > 1;
        self.raw("<div class=\"scroll\">\n<table class=\"examples\">\n<thead><tr>");
        if per_file {
            self.raw("<th>File</th>");
        }
        self.raw("<th class=\"n\">Row</th><th>Sheet</th><th>Status</th><th>Problem</th>");
        for c in &seen.columns {
            self.cell("th", None, c);
        }
        self.raw("</tr></thead>\n<tbody>\n");
        for e in examples {
            let row = e.row.to_string();
            self.raw("<tr data-row=\"").text(&row).raw("\">");
            if per_file {
                let name = seen.files[e.file].path.file_name().map_or_else(
                    || seen.files[e.file].path.display().to_string(),
                    |n| n.to_string_lossy().into_owned(),
                );
                self.cell("td", None, &name);
            }
            self.cell("td", Some("n"), &row)
                .cell("td", None, &e.sheet)
                .cell("td", None, e.status.as_str())
                .cell("td", None, &e.text);
            let mut cells = e.cells.iter().peekable();
            for u in 0..seen.columns.len() {
                let value = match cells.peek() {
                    Some((c, v)) if *c == u => {
                        cells.next();
                        v.as_str()
                    }
                    _ => "",
                };
                let class = (e.named == Some(u)).then_some("bad");
                self.cell("td", class, value);
            }
            self.raw("</tr>\n");
        }
        self.raw("</tbody>\n</table>\n</div>\n</section>\n");
    }

    fn pairs(&mut self, id: &str, heading: &str, what: &str, pairs: &[(String, String)]) {
        let _ = write!(self.0, "<section id=\"{id}\">\n<h2>{heading}</h2>\n");
        if pairs.is_empty() {
            self.raw("<p class=\"muted\">None given.</p>\n</section>\n");
            return;
        }
        let _ = write!(
            self.0,
            "<table>\n<thead><tr><th>{what}</th><th>Value</th></tr></thead>\n<tbody>\n"
        );
        for (k, v) in pairs {
            self.raw("<tr>")
                .cell("th", None, k)
                .cell("td", None, v)
                .raw("</tr>\n");
        }
        self.raw("</tbody>\n</table>\n</section>\n");
    }
}

mod changes;

fn percent(n: u64, total: u64) -> String {
    if total == 0 {
        return "0%".to_string();
    }
    let share = n as f64 * 100.0 / total as f64;
    format!("{share:.1}%")
}
