//! The page's "Changes" section: what update rows change, by status, then by field.

use std::fmt::Write as _;

use super::Page;
use crate::figures::grouped;
use crate::report::collect::Collected;

impl Page {
    /// Shown only when some update row has changes.
    pub(super) fn changes(&mut self, seen: &Collected) {
        if seen.changes.is_empty() {
            return;
        }
        let per_file = seen.files.len() > 1;
        self.raw("<section id=\"changes\">\n<h2>Changes</h2>\n");
        let mut number = 0;
        for ((_, status), fields) in &seen.changes.by_status {
            self.raw("<section class=\"change-status\" data-status=\"")
                .text(status.as_str())
                .raw("\">\n<h3>")
                .text(status.as_str())
                .raw("</h3>\n<table class=\"change-fields\">\n<thead><tr><th>Field</th>")
                .raw("<th class=\"n\">Rows</th></tr></thead>\n<tbody>\n");
            for (field, group) in fields {
                self.raw("<tr data-field=\"")
                    .text(field)
                    .raw("\">")
                    .cell("td", None, field)
                    .cell("td", Some("n"), &grouped(group.rows))
                    .raw("</tr>\n");
            }
            self.raw("</tbody>\n</table>\n");
            for (field, group) in fields {
                number += 1;
                let _ = write!(
                    self.0,
                    "<section class=\"change-field\" id=\"change-{number}\" data-field=\""
                );
                self.text(field).raw("\">\n<h4>").text(field).raw("</h4>\n");
                let shown = group.first.len() as u64;
                let _ = writeln!(
                    self.0,
                    "<p class=\"muted\">{} row{}{}.</p>",
                    grouped(group.rows),
                    if group.rows == 1 { "" } else { "s" },
                    if group.rows > shown {
                        format!("; the first {shown}")
                    } else {
                        String::new()
                    }
                );
                self.raw("<table class=\"change-rows\">\n<thead><tr>");
                if per_file {
                    self.raw("<th>File</th>");
                }
                self.raw("<th class=\"n\">Row</th><th>Sheet</th><th>Change</th></tr></thead>\n")
                    .raw("<tbody>\n");
                for r in &group.first {
                    let row = r.row.to_string();
                    self.raw("<tr data-row=\"").text(&row).raw("\">");
                    if per_file {
                        let path = &seen.files[r.file].path;
                        let name = path.file_name().map_or_else(
                            || path.display().to_string(),
                            |n| n.to_string_lossy().into_owned(),
                        );
                        self.cell("td", None, &name);
                    }
                    self.cell("td", Some("n"), &row)
                        .cell("td", None, &r.sheet)
                        .cell("td", None, &r.entry)
                        .raw("</tr>\n");
                }
                self.raw("</tbody>\n</table>\n</section>\n");
            }
            self.raw("</section>\n");
        }
        self.raw("</section>\n");
    }
}
