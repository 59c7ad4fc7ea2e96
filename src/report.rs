//! A one-page HTML report of a run, read from its finished results files: rows by status (a
//! table and an inline SVG bar chart), rows by problem, the first rows of each problem, and the
//! run's parameters and timings.
//!
//! The page stands alone: no script, no external stylesheet, image or font, only an inline
//! `<style>`; it is also well-formed XML, so it can be checked strictly. Everything from a file
//! or a parameter is escaped.

pub(crate) mod problems;

use std::collections::HashMap;
use std::fmt::Write as _;
use std::fs;
use std::io;
use std::path::{Path, PathBuf};

pub(crate) use problems::{Fixed, ProblemCount, ResultsFile, Tally};

/// What the report shows besides the results files' contents.
#[derive(Debug, Clone, Default)]
pub(crate) struct ReportInput {
    /// The page's title and heading, e.g. `ivvy-import import`.
    pub title: String,
    /// The run's parameters, in the order given (name, value).
    pub params: Vec<(String, String)>,
    /// How long the run's steps took, in the order given (step, duration as text).
    pub timings: Vec<(String, String)>,
    /// The results CSVs to report on, read in this order.
    pub results_files: Vec<PathBuf>,
}

/// Example rows shown for each problem.
const EXAMPLES_PER_PROBLEM: usize = 20;
/// Problems whose example rows are kept; a run with more distinct problems than this still
/// counts them all, it shows examples for the first this many seen.
const MAX_PROBLEMS_WITH_EXAMPLES: usize = 1000;

/// Renders the report and writes it to `out` (replacing it), after checking that `out` is not
/// one of the results files.
pub(crate) fn write_html(report: &ReportInput, out: &Path) -> io::Result<()> {
    if let Ok(target) = out.canonicalize() {
        for input in &report.results_files {
            if input.canonicalize().is_ok_and(|p| p == target) {
                return Err(io::Error::new(
                    io::ErrorKind::InvalidInput,
                    format!(
                        "the report would overwrite its own input {}",
                        input.display()
                    ),
                ));
            }
        }
    }
    let html = render(report)?;
    fs::write(out, html)
}

/// The report as one HTML document. Reads every results file once, line by line; fails on a
/// file that cannot be read or is not a results file (the error names the file).
pub(crate) fn render(report: &ReportInput) -> io::Result<String> {
    let mut seen = Collected::default();
    for (index, path) in report.results_files.iter().enumerate() {
        seen.read(index, path)
            .map_err(|e| io::Error::new(e.kind(), format!("{}: {e}", path.display())))?;
    }
    Ok(Page::default().document(report, &seen))
}

/// One results file as the report lists it.
#[derive(Debug)]
struct FileSeen {
    path: PathBuf,
    tally: Tally,
}

/// A row shown under a problem.
#[derive(Debug)]
struct Example {
    file: usize,
    row: String,
    sheet: String,
    status: String,
    text: String,
    /// Non-empty echoed cells: (index in the union of echoed columns, value).
    cells: Vec<(usize, String)>,
    /// The echoed column the problem names, as an index in the union.
    named: Option<usize>,
}

#[derive(Debug, Default)]
struct Collected {
    files: Vec<FileSeen>,
    total: Tally,
    /// The echoed columns of every file, in first-seen order.
    columns: Vec<String>,
    examples: HashMap<String, Vec<Example>>,
}

impl Collected {
    fn read(&mut self, index: usize, path: &Path) -> io::Result<()> {
        let mut file = ResultsFile::open(path)?;
        // For each header: its place in the union of echoed columns, if it is echoed.
        let union: Vec<Option<usize>> = (0..file.headers().len())
            .map(|i| {
                file.is_echoed(i).then(|| {
                    let name = &file.headers()[i];
                    match self.columns.iter().position(|c| c == name) {
                        Some(u) => u,
                        None => {
                            self.columns.push(name.clone());
                            self.columns.len() - 1
                        }
                    }
                })
            })
            .collect();
        let mut tally = Tally::default();
        let mut line = Vec::new();
        while file.next_line(&mut line)? {
            let problems = file.problems(&line);
            let status = file.get(&line, Fixed::Status);
            tally.add(status, &problems);
            self.total.add(status, &problems);
            for (i, p) in problems.iter().enumerate() {
                if problems[..i].iter().any(|q| q.label == p.label) {
                    continue;
                }
                let tracked = self.examples.len();
                let examples = match self.examples.get_mut(&p.label) {
                    Some(e) => e,
                    None if tracked < MAX_PROBLEMS_WITH_EXAMPLES => {
                        self.examples.entry(p.label.clone()).or_default()
                    }
                    None => continue,
                };
                if examples.len() >= EXAMPLES_PER_PROBLEM {
                    continue;
                }
                examples.push(Example {
                    file: index,
                    row: file.get(&line, Fixed::Row).to_string(),
                    sheet: file.get(&line, Fixed::Sheet).to_string(),
                    status: status.to_string(),
                    text: p.text.to_string(),
                    cells: line
                        .iter()
                        .enumerate()
                        .filter(|(_, v)| !v.is_empty())
                        .filter_map(|(i, v)| union[i].map(|u| (u, v.clone())))
                        .collect(),
                    named: p.header.and_then(|h| union[h]),
                });
            }
        }
        self.files.push(FileSeen {
            path: path.to_path_buf(),
            tally,
        });
        Ok(())
    }
}

const STYLE: &str = "
body { font: 14px/1.45 system-ui, -apple-system, 'Segoe UI', sans-serif; color: #1d2329;
  margin: 2em auto; max-width: 72em; padding: 0 1em; }
h1 { font-size: 1.6em; margin-bottom: 0.2em; }
h2 { font-size: 1.25em; margin-top: 2em; border-bottom: 1px solid #d0d7de; }
h3 { font-size: 1.05em; margin-top: 1.5em; }
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

/// The colour a status is drawn in.
fn status_colour(status: &str) -> &'static str {
    match status {
        "valid" | "created" | "create" => "#2e7d32",
        "updated" | "update" => "#1565c0",
        "unchanged" => "#78909c",
        "skipped" => "#f9a825",
        "conflict" => "#ef6c00",
        "invalid" => "#c62828",
        "failed" => "#6a1b9a",
        _ => "#455a64",
    }
}

/// The document being written. Text goes through [`Page::text`], which escapes it.
#[derive(Default)]
struct Page(String);

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

    fn document(mut self, report: &ReportInput, seen: &Collected) -> String {
        self.raw("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\"/>\n")
            .raw("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"/>\n")
            .raw("<title>")
            .text(&report.title)
            .raw("</title>\n<style>")
            .raw(STYLE)
            .raw("</style>\n</head>\n<body>\n<h1>")
            .text(&report.title)
            .raw("</h1>\n");
        let _ = writeln!(
            self.0,
            "<p class=\"muted\" id=\"summary\">{} rows in {} results file{}.</p>",
            group(seen.total.rows()),
            seen.files.len(),
            if seen.files.len() == 1 { "" } else { "s" }
        );
        self.files(seen);
        self.statuses(seen);
        self.problems(seen);
        self.pairs("parameters", "Parameters", "Parameter", &report.params);
        self.pairs("timings", "Timings", "Step", &report.timings);
        self.raw("</body>\n</html>\n");
        self.0
    }

    fn files(&mut self, seen: &Collected) {
        self.raw("<section id=\"files\">\n<h2>Results files</h2>\n<table>\n")
            .raw("<thead><tr><th>File</th><th class=\"n\">Rows</th></tr></thead>\n<tbody>\n");
        for f in &seen.files {
            self.raw("<tr><td><code>")
                .text(&f.path.display().to_string())
                .raw("</code></td>")
                .cell("td", Some("n"), &group(f.tally.rows()))
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
            self.raw("<tr data-status=\"").text(status).raw("\"><td>");
            let _ = write!(
                self.0,
                "<span class=\"swatch\" style=\"background: {}\"></span>",
                status_colour(status)
            );
            self.text(status).raw("</td>");
            if per_file {
                for f in &seen.files {
                    let n = f
                        .tally
                        .by_status()
                        .iter()
                        .find(|(s, _)| s == status)
                        .map_or(0, |(_, n)| *n);
                    self.cell("td", Some("n"), &group(n));
                }
            }
            self.cell("td", Some("n"), &group(*rows))
                .cell("td", Some("n"), &percent(*rows, total))
                .raw("</tr>\n");
        }
        self.raw("</tbody>\n<tfoot><tr><td>total</td>");
        if per_file {
            for f in &seen.files {
                self.cell("td", Some("n"), &group(f.tally.rows()));
            }
        }
        self.cell("td", Some("n"), &group(total))
            .raw("<td class=\"n\">100%</td></tr></tfoot>\n</table>\n");
        self.chart(&statuses);
        self.raw("</section>\n");
    }

    /// Horizontal bars, one per status, as inline SVG.
    fn chart(&mut self, statuses: &[(String, u64)]) {
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
                status = Escaped(status),
            );
            self.text(status);
            let _ = write!(
                self.0,
                "</text><rect x=\"{LABEL_W}\" y=\"{y}\" width=\"{w}\" height=\"{BAR_H}\" \
                 fill=\"{}\"><title>",
                status_colour(status)
            );
            self.text(status).raw(": ").text(&group(*rows));
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
            .raw("<th class=\"n\">Rows</th><th>First seen as</th></tr></thead>\n<tbody>\n");
        for (i, p) in problems.iter().enumerate() {
            self.raw("<tr><td>");
            if seen.examples.contains_key(&p.label) {
                let _ = write!(self.0, "<a href=\"#problem-{}\">", i + 1);
                self.text(&p.label).raw("</a>");
            } else {
                self.text(&p.label);
            }
            self.raw("</td>")
                .cell("td", Some("n"), &group(p.rows))
                .cell("td", None, &p.first)
                .raw("</tr>\n");
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
        self.text(&p.label).raw("</h3>\n");
        let _ = writeln!(
            self.0,
            "<p class=\"muted\">{} row{}{}.</p>",
            group(p.rows),
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
            self.raw("<tr data-row=\"").text(&e.row).raw("\">");
            if per_file {
                let name = seen.files[e.file].path.file_name().map_or_else(
                    || seen.files[e.file].path.display().to_string(),
                    |n| n.to_string_lossy().into_owned(),
                );
                self.cell("td", None, &name);
            }
            self.cell("td", Some("n"), &e.row)
                .cell("td", None, &e.sheet)
                .cell("td", None, &e.status)
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

/// Formats a value escaped, for use inside `write!`.
struct Escaped<'a>(&'a str);

impl std::fmt::Display for Escaped<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mut p = Page::default();
        p.text(self.0);
        f.write_str(&p.0)
    }
}

/// `1234567` → `1,234,567`.
fn group(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

fn percent(n: u64, total: u64) -> String {
    if total == 0 {
        return "0%".to_string();
    }
    let share = n as f64 * 100.0 / total as f64;
    format!("{share:.1}%")
}

#[cfg(test)]
mod tests {
    use super::*;
    use quick_xml::Reader;
    use quick_xml::events::Event;
    use std::io::Write as _;

    /// An element of the page, parsed back strictly (the page must be well-formed XML).
    #[derive(Debug, Default)]
    struct Node {
        name: String,
        attrs: Vec<(String, String)>,
        children: Vec<Child>,
    }

    #[derive(Debug)]
    enum Child {
        El(Node),
        Text(String),
    }

    impl Node {
        fn attr(&self, name: &str) -> Option<&str> {
            self.attrs
                .iter()
                .find(|(k, _)| k == name)
                .map(|(_, v)| v.as_str())
        }

        fn text(&self) -> String {
            let mut s = String::new();
            for c in &self.children {
                match c {
                    Child::Text(t) => s.push_str(t),
                    Child::El(n) => s.push_str(&n.text()),
                }
            }
            s
        }

        fn elements(&self) -> impl Iterator<Item = &Node> {
            self.children.iter().filter_map(|c| match c {
                Child::El(n) => Some(n),
                Child::Text(_) => None,
            })
        }

        /// Every element below this one named `name`, in document order.
        fn all(&self, name: &str) -> Vec<&Node> {
            let mut out = Vec::new();
            for n in self.elements() {
                if n.name == name {
                    out.push(n);
                }
                out.extend(n.all(name));
            }
            out
        }

        fn by_id(&self, id: &str) -> Option<&Node> {
            for n in self.elements() {
                if n.attr("id") == Some(id) {
                    return Some(n);
                }
                if let Some(found) = n.by_id(id) {
                    return Some(found);
                }
            }
            None
        }

        /// The text of each cell of each body row of a table.
        fn rows(&self) -> Vec<Vec<String>> {
            let body = self.all("tbody");
            body[0]
                .all("tr")
                .iter()
                .map(|tr| tr.elements().map(Node::text).collect())
                .collect()
        }
    }

    fn parse(html: &str) -> Node {
        let mut reader = Reader::from_str(html);
        reader.config_mut().check_end_names = true;
        let mut stack = vec![Node::default()];
        loop {
            match reader.read_event().expect("well-formed") {
                Event::Start(e) => stack.push(element(&e)),
                Event::Empty(e) => {
                    let n = element(&e);
                    stack.last_mut().unwrap().children.push(Child::El(n));
                }
                Event::End(_) => {
                    let n = stack.pop().unwrap();
                    stack.last_mut().unwrap().children.push(Child::El(n));
                }
                Event::Text(t) => {
                    let t = t.xml10_content().into_owned();
                    stack.last_mut().unwrap().children.push(Child::Text(t));
                }
                Event::GeneralRef(r) => {
                    let c = match r.resolve_char_ref().expect("char ref") {
                        Some(c) => c.to_string(),
                        None => match &*r.into_inner() {
                            "amp" => "&".into(),
                            "lt" => "<".into(),
                            "gt" => ">".into(),
                            "quot" => "\"".into(),
                            "apos" => "'".into(),
                            other => panic!("entity &{other}; is not XML"),
                        },
                    };
                    stack.last_mut().unwrap().children.push(Child::Text(c));
                }
                Event::DocType(_) | Event::Comment(_) => {}
                Event::Eof => break,
                other => panic!("unexpected {other:?}"),
            }
        }
        assert_eq!(stack.len(), 1, "unclosed elements");
        let mut doc = stack.pop().unwrap();
        let roots: Vec<Node> = doc
            .children
            .drain(..)
            .filter_map(|c| match c {
                Child::El(n) => Some(n),
                Child::Text(t) => {
                    assert!(t.trim().is_empty(), "text outside <html>: {t:?}");
                    None
                }
            })
            .collect();
        assert_eq!(roots.len(), 1);
        assert_eq!(roots[0].name, "html");
        roots.into_iter().next().unwrap()
    }

    fn element(e: &quick_xml::events::BytesStart<'_>) -> Node {
        Node {
            name: e.name().0.to_string(),
            attrs: e
                .attributes()
                .map(|a| {
                    let a = a.expect("attribute");
                    (
                        a.key.0.to_string(),
                        a.normalized_value(quick_xml::XmlVersion::Implicit1_0)
                            .expect("attribute value")
                            .into_owned(),
                    )
                })
                .collect(),
            children: Vec::new(),
        }
    }

    fn write_csv(
        dir: &Path,
        name: &str,
        bom: bool,
        header: &[&str],
        rows: &[Vec<&str>],
    ) -> PathBuf {
        let path = dir.join(name);
        let mut f = fs::File::create(&path).unwrap();
        if bom {
            f.write_all(b"\xEF\xBB\xBF").unwrap();
        }
        let mut w = csv::Writer::from_writer(f);
        w.write_record(header).unwrap();
        for r in rows {
            w.write_record(r).unwrap();
        }
        w.flush().unwrap();
        path
    }

    const HEADER: [&str; 10] = [
        "row",
        "sheet",
        "kind",
        "status",
        "id",
        "error_code",
        "specific_code",
        "error",
        "Name",
        "Cost (AUD)",
    ];

    /// 25 rows with an ambiguous cost, some other problems, some successes.
    fn sample_rows() -> Vec<Vec<String>> {
        let mut rows = Vec::new();
        for i in 0..25 {
            let cost = format!("{i},5");
            rows.push(vec![
                (i + 2).to_string(),
                String::new(),
                "source".into(),
                "invalid".into(),
                String::new(),
                String::new(),
                String::new(),
                format!(
                    "Cost (AUD): {cost:?} is ambiguous (decimal comma or thousands separator?); \
                     write it with a decimal point, e.g. 7.5 or 7500"
                ),
                format!("Source {i}"),
                cost,
            ]);
        }
        rows.push(vec![
            "27".into(),
            String::new(),
            "source".into(),
            "invalid".into(),
            String::new(),
            String::new(),
            String::new(),
            "Name: is required when there is no id; Cost (AUD): \"x\" is not an amount".into(),
            String::new(),
            "x".into(),
        ]);
        for i in 0..3 {
            rows.push(vec![
                (28 + i).to_string(),
                String::new(),
                "source".into(),
                "created".into(),
                (700 + i).to_string(),
                String::new(),
                String::new(),
                String::new(),
                format!("Fine {i}"),
                "10".into(),
            ]);
        }
        rows.push(vec![
            "31".into(),
            String::new(),
            "source".into(),
            "failed".into(),
            String::new(),
            "400".into(),
            "24325".into(),
            "The name is in use; pick another".into(),
            "Taken".into(),
            "1".into(),
        ]);
        rows
    }

    fn sample_file(dir: &Path) -> PathBuf {
        let rows = sample_rows();
        let rows: Vec<Vec<&str>> = rows
            .iter()
            .map(|r| r.iter().map(String::as_str).collect())
            .collect();
        write_csv(dir, "sources.results.csv", true, &HEADER, &rows)
    }

    fn input(files: Vec<PathBuf>) -> ReportInput {
        ReportInput {
            title: "ivvy-import import".into(),
            params: vec![("rate".into(), "5".into())],
            timings: vec![("total".into(), "1.2 s".into())],
            results_files: files,
        }
    }

    /// Counts statuses straight from the CSV, independently of the module's reader.
    fn count_statuses(path: &Path) -> HashMap<String, u64> {
        let mut counts = HashMap::new();
        let mut r = csv::Reader::from_path(path).unwrap();
        for rec in r.records() {
            *counts.entry(rec.unwrap()[3].to_string()).or_default() += 1;
        }
        counts
    }

    #[test]
    fn status_counts_equal_those_in_the_results_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = sample_file(dir.path());
        let doc = parse(&render(&input(vec![path.clone()])).unwrap());
        let expected = count_statuses(&path);
        let table = doc.by_id("status-table").expect("status table");
        let rows = table.rows();
        assert_eq!(rows.len(), expected.len());
        for r in &rows {
            let n: u64 = r[1].replace(',', "").parse().unwrap();
            assert_eq!(Some(&n), expected.get(r[0].as_str()), "{r:?}");
        }
        let statuses: Vec<&str> = rows.iter().map(|r| r[0].as_str()).collect();
        assert_eq!(statuses, ["created", "invalid", "failed"]);
        assert!(doc.by_id("summary").unwrap().text().starts_with("30 rows"));
    }

    #[test]
    fn chart_has_one_bar_per_status_sized_by_its_count() {
        let dir = tempfile::tempdir().unwrap();
        let path = sample_file(dir.path());
        let doc = parse(&render(&input(vec![path.clone()])).unwrap());
        let expected = count_statuses(&path);
        let svg = doc.by_id("status-chart").expect("chart");
        assert_eq!(svg.name, "svg");
        let bars = svg.all("g");
        assert_eq!(bars.len(), expected.len());
        let mut widths = HashMap::new();
        for g in bars {
            let status = g.attr("data-status").unwrap().to_string();
            let count: u64 = g
                .all("text")
                .iter()
                .find(|t| t.attr("class") == Some("count"))
                .unwrap()
                .text()
                .parse()
                .unwrap();
            assert_eq!(Some(&count), expected.get(&status));
            let w: u64 = g.all("rect")[0].attr("width").unwrap().parse().unwrap();
            widths.insert(status, w);
        }
        // invalid (26) is the longest bar; created (3) and failed (1) are shorter, in order.
        assert!(widths["invalid"] > widths["created"]);
        assert!(widths["created"] > widths["failed"]);
        assert!(widths["failed"] >= 1);
    }

    #[test]
    fn problem_counts_group_rows_by_column_and_kind() {
        let dir = tempfile::tempdir().unwrap();
        let path = sample_file(dir.path());
        let doc = parse(&render(&input(vec![path])).unwrap());
        let rows = doc.by_id("problem-table").unwrap().rows();
        let counts: Vec<(String, String)> =
            rows.iter().map(|r| (r[0].clone(), r[1].clone())).collect();
        assert_eq!(
            counts,
            [
                (
                    "Cost (AUD): \"…\" is ambiguous".to_string(),
                    "25".to_string()
                ),
                ("API error 400/24325".into(), "1".into()),
                ("Cost (AUD): \"…\" is not an amount".into(), "1".into()),
                ("Name: is required when there is no id".into(), "1".into()),
            ]
        );
        assert_eq!(rows[1][2], "The name is in use; pick another");
    }

    #[test]
    fn each_problem_shows_its_first_twenty_rows_with_their_cells() {
        let dir = tempfile::tempdir().unwrap();
        let path = sample_file(dir.path());
        let doc = parse(&render(&input(vec![path])).unwrap());
        let section = doc.by_id("problem-1").expect("first problem's examples");
        assert_eq!(
            section.all("h3")[0].text(),
            "Cost (AUD): \"…\" is ambiguous"
        );
        let heads: Vec<String> = section.all("th").iter().map(|t| t.text()).collect();
        assert_eq!(
            heads,
            ["Row", "Sheet", "Status", "Problem", "Name", "Cost (AUD)"]
        );
        let table = section.all("table")[0];
        let rows = table.rows();
        assert_eq!(rows.len(), EXAMPLES_PER_PROBLEM);
        for (i, r) in rows.iter().enumerate() {
            assert_eq!(r[0], (i + 2).to_string());
            assert_eq!(r[2], "invalid");
            assert!(r[3].starts_with(&format!("Cost (AUD): \"{i},5\" is ambiguous")));
            assert_eq!(r[4], format!("Source {i}"));
            assert_eq!(r[5], format!("{i},5"));
        }
        // The cost cell is the one marked.
        let first = &table.all("tbody")[0].all("tr")[0];
        let marked: Vec<String> = first
            .all("td")
            .iter()
            .filter(|td| td.attr("class") == Some("bad"))
            .map(|td| td.text())
            .collect();
        assert_eq!(marked, ["0,5"]);
        assert!(section.text().contains("the first 20"));

        // Row 27 is an example of both of its problems; the failed row of its API error.
        for label in [
            "Name: is required when there is no id",
            "Cost (AUD): \"…\" is not an amount",
            "API error 400/24325",
        ] {
            let s = doc
                .all("section")
                .into_iter()
                .find(|s| s.attr("class") == Some("problem") && s.all("h3")[0].text() == label)
                .unwrap_or_else(|| panic!("no examples for {label}"));
            let rows = s.all("table")[0].rows();
            assert_eq!(rows.len(), 1);
            let expected_row = if label.starts_with("API") { "31" } else { "27" };
            assert_eq!(rows[0][0], expected_row);
        }
    }

    #[test]
    fn every_value_is_escaped() {
        let dir = tempfile::tempdir().unwrap();
        let evil = "<script>alert('x')</script> & \"co\"";
        let error = format!("Name: {evil:?} is a duplicate of row 2");
        let path = write_csv(
            dir.path(),
            "evil.csv",
            false,
            &[
                "row",
                "sheet",
                "kind",
                "status",
                "id",
                "error_code",
                "specific_code",
                "error",
                "Name",
            ],
            &[vec![
                "2", "<b>", "source", "invalid", "", "", "", &error, evil,
            ]],
        );
        let mut inp = input(vec![path]);
        inp.title = "Import <b>&</b>".into();
        inp.params.push(("map & <file>".into(), evil.into()));
        let html = render(&inp).unwrap();
        assert!(!html.contains("<script"));
        assert!(!html.contains("<b>"));
        let doc = parse(&html);
        assert_eq!(doc.all("title")[0].text(), "Import <b>&</b>");
        assert_eq!(doc.all("h1")[0].text(), "Import <b>&</b>");
        let rows = doc.by_id("problem-1").unwrap().all("table")[0].rows();
        assert_eq!(rows[0], ["2", "<b>", "invalid", error.as_str(), evil]);
        let params = doc.by_id("parameters").unwrap().rows();
        assert_eq!(params[1], ["map & <file>", evil]);
    }

    #[test]
    fn page_needs_nothing_from_outside() {
        let dir = tempfile::tempdir().unwrap();
        let path = sample_file(dir.path());
        let html = render(&input(vec![path])).unwrap();
        let doc = parse(&html);
        assert!(doc.all("script").is_empty());
        assert!(doc.all("link").is_empty());
        assert!(doc.all("img").is_empty());
        assert_eq!(doc.all("style").len(), 1);
        for name in ["a", "svg", "g", "rect", "text", "td", "span"] {
            for n in doc.all(name) {
                for (k, v) in &n.attrs {
                    assert!(k != "src", "{name} has src");
                    if k == "href" {
                        assert!(v.starts_with('#'), "{name} links out: {v}");
                    }
                }
            }
        }
        assert!(!html.contains("@import") && !html.contains("url("));
    }

    #[test]
    fn parameters_and_timings_are_listed_in_order() {
        let dir = tempfile::tempdir().unwrap();
        let path = sample_file(dir.path());
        let mut inp = input(vec![path]);
        inp.params = vec![
            ("input".into(), "sources.csv".into()),
            ("rate".into(), "5/s".into()),
        ];
        inp.timings = vec![
            ("read".into(), "0.1 s".into()),
            ("submit".into(), "4.0 s".into()),
        ];
        let doc = parse(&render(&inp).unwrap());
        assert_eq!(
            doc.by_id("parameters").unwrap().rows(),
            [["input", "sources.csv"], ["rate", "5/s"]]
        );
        assert_eq!(
            doc.by_id("timings").unwrap().rows(),
            [["read", "0.1 s"], ["submit", "4.0 s"]]
        );
    }

    #[test]
    fn several_files_are_counted_apart_and_together() {
        let dir = tempfile::tempdir().unwrap();
        let a = sample_file(dir.path());
        let b = write_csv(
            dir.path(),
            "stages.results.csv",
            false,
            &[
                "row",
                "sheet",
                "kind",
                "status",
                "id",
                "error_code",
                "specific_code",
                "error",
                "Stage",
                "colour",
            ],
            &[
                vec![
                    "2",
                    "Lead Stages",
                    "stage",
                    "created",
                    "9",
                    "",
                    "",
                    "",
                    "Won",
                    "#00ff00",
                ],
                vec![
                    "3",
                    "Lead Stages",
                    "stage",
                    "invalid",
                    "",
                    "",
                    "",
                    "colour: \"blue\" is not a colour (#rrggbb, rrggbb or #rgb)",
                    "Lost",
                    "blue",
                ],
            ],
        );
        let doc = parse(&render(&input(vec![a, b])).unwrap());
        let rows = doc.by_id("status-table").unwrap().rows();
        let created = rows.iter().find(|r| r[0] == "created").unwrap();
        assert_eq!(created[1..], ["3", "1", "4", "12.5%"]);
        let files = doc.by_id("files").unwrap().rows();
        assert_eq!(files[0][1], "30");
        assert_eq!(files[1][1], "2");
        let s = doc
            .all("section")
            .into_iter()
            .find(|s| {
                s.all("h3")
                    .first()
                    .is_some_and(|h| h.text().starts_with("colour"))
            })
            .unwrap();
        let heads: Vec<String> = s.all("th").iter().map(|t| t.text()).collect();
        assert_eq!(
            heads,
            [
                "File",
                "Row",
                "Sheet",
                "Status",
                "Problem",
                "Name",
                "Cost (AUD)",
                "Stage",
                "colour"
            ]
        );
        let row = &s.all("table")[0].rows()[0];
        assert_eq!(
            row,
            &[
                "stages.results.csv",
                "3",
                "Lead Stages",
                "invalid",
                "colour: \"blue\" is not a colour (#rrggbb, rrggbb or #rgb)",
                "",
                "",
                "Lost",
                "blue"
            ]
        );
    }

    #[test]
    fn a_file_that_is_not_a_results_file_is_refused_by_name() {
        let dir = tempfile::tempdir().unwrap();
        let path = write_csv(
            dir.path(),
            "plain.csv",
            false,
            &["name", "cost"],
            &[vec!["a", "1"]],
        );
        let err = render(&input(vec![path])).unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::InvalidData);
        assert!(err.to_string().contains("plain.csv"), "{err}");
        assert!(err.to_string().contains("not a results file"), "{err}");
    }

    #[test]
    fn write_html_writes_the_page_and_never_over_an_input() {
        let dir = tempfile::tempdir().unwrap();
        let path = sample_file(dir.path());
        let out = dir.path().join("report.html");
        write_html(&input(vec![path.clone()]), &out).unwrap();
        let html = fs::read_to_string(&out).unwrap();
        assert_eq!(html, render(&input(vec![path.clone()])).unwrap());
        let before = fs::read(&path).unwrap();
        let err = write_html(&input(vec![path.clone()]), &path).unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::InvalidInput);
        assert_eq!(fs::read(&path).unwrap(), before);
    }

    #[test]
    fn numbers_are_grouped_in_thousands() {
        assert_eq!(group(0), "0");
        assert_eq!(group(999), "999");
        assert_eq!(group(1000), "1,000");
        assert_eq!(group(1_234_567), "1,234,567");
    }
}
