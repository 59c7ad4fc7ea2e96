//! `apply PLAN.csv`: a reviewed plan done exactly as it reads. The plan file is read first
//! (every line's checksum over the tool's columns checked, so a line edited by hand is refused
//! before any request); then it is imported as the input it also is, and each row is checked
//! against the plan and the account again before it is sent.

use std::collections::HashMap;
use std::path::Path;

use super::clear::clear;
use super::decide::Step;
use super::file::FileRun;
use crate::error::FatalError;
use crate::outcome::{
    RESULT_COLUMNS, RowProblem, Status, TOOL_COLUMNS, Verdict, line_checksum, own_columns,
    values_checksum,
};
use crate::pipeline::Submitter;
use crate::pipeline::account::{Action, Matching};
use crate::pipeline::changes::Changes;
use crate::record::{Record, show};
use crate::results::journal::RowKey;
use crate::source::Item;

/// What the plan says of one row.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Planned {
    pub status: Status,
    pub id: Option<u64>,
    pub changes: String,
    /// The checksum of every value the row sent when the plan was made.
    pub values: String,
}

/// A plan's rows, by sheet and row.
pub(crate) type Plan = HashMap<RowKey, Planned>;

fn refuse(path: &Path, why: impl std::fmt::Display) -> FatalError {
    FatalError::Start(format!("{}: {why}", path.display()))
}

/// Reads a plan results file; refuses one that is not a plan, or a line whose tool columns
/// (status, changes, sent, …) do not match its checksum.
pub(crate) fn read_plan(path: &Path) -> Result<Plan, FatalError> {
    let mut rdr = csv::ReaderBuilder::new()
        .flexible(true)
        .from_path(path)
        .map_err(|e| refuse(path, e))?;
    let headers: Vec<String> = rdr
        .headers()
        .map_err(|e| refuse(path, e))?
        .iter()
        .map(|h| h.trim_start_matches('\u{feff}').to_string())
        .collect();
    if own_columns(&headers) != RESULT_COLUMNS.len() + TOOL_COLUMNS.len() {
        return Err(refuse(
            path,
            "not a plan: make one with `ivvy-import plan` (its header starts row,sheet,kind,status,id,error_code,specific_code,error,changes,sent,checksum)",
        ));
    }
    let mut plan = Plan::new();
    for (i, rec) in rdr.records().enumerate() {
        let line = i + 2;
        let rec = rec.map_err(|e| refuse(path, e))?;
        // As written before a leading `'` was added (`--excel-safe-csv`).
        let get = |c: usize| crate::excel_safe::strip(rec.get(c).unwrap_or(""));
        let (row, sheet, kind, status, id) = (get(0), get(1), get(2), get(3), get(4));
        let (changes, sent, sum) = (get(8), get(9), get(10));
        let planned_status = Status::parse(status).filter(|s| {
            matches!(
                s,
                Status::Create
                    | Status::Update
                    | Status::Unchanged
                    | Status::Conflict
                    | Status::Invalid
            )
        });
        let Some(planned_status) = planned_status else {
            return Err(refuse(
                path,
                format!(
                    "line {line} (row {row}) has status {status:?}, which a plan never writes: not a plan"
                ),
            ));
        };
        let Some((tools, values)) = sum.split_at_checked(16).filter(|(_, v)| v.len() == 16) else {
            return Err(refuse(
                path,
                format!(
                    "line {line} (row {row}) has no checksum of this version's form: make the plan again with this version"
                ),
            ));
        };
        if tools != line_checksum(&[row, sheet, kind, status, id, changes, sent]) {
            return Err(refuse(
                path,
                format!(
                    "row {row}{} was edited by hand in the columns this tool wrote (status, id, changes, sent): make the plan again rather than editing it",
                    if sheet.is_empty() {
                        String::new()
                    } else {
                        format!(" of sheet {sheet:?}")
                    }
                ),
            ));
        }
        let Ok(row_number) = row.parse::<u32>() else {
            return Err(refuse(
                path,
                format!("line {line}: row {row:?} is not a row number"),
            ));
        };
        plan.insert(
            (sheet.to_string(), row_number),
            Planned {
                status: planned_status,
                id: id.parse().ok(),
                changes: changes.to_string(),
                values: values.to_string(),
            },
        );
    }
    Ok(plan)
}

/// Reads one value of a `changes` entry at the start of `s`: a JSON string, or a bare word
/// (a number, `true`, `(none)`). Returns it as written and the rest.
fn value(s: &str) -> Option<(&str, &str)> {
    if s.starts_with('"') {
        let mut it = serde_json::Deserializer::from_str(s).into_iter::<String>();
        it.next()?.ok()?;
        let end = it.byte_offset();
        return Some((&s[..end], &s[end..]));
    }
    let end = [" → ", "; "]
        .iter()
        .filter_map(|sep| s.find(sep))
        .min()
        .unwrap_or(s.len());
    Some((&s[..end], &s[end..]))
}

/// The old values of the readable fields a plan's `changes` column names (`cost: 150 → 999`
/// gives `cost` → `150`). Entries without old and new values (sent, as written, kept) are
/// skipped.
pub(crate) fn planned_old_values(text: &str) -> HashMap<String, String> {
    let mut out = HashMap::new();
    let mut rest = text;
    while let Some((field, after)) = rest.split_once(": ") {
        let field = field.trim_start_matches("; ").to_string();
        let Some((old, after_old)) = value(after) else {
            break;
        };
        if let Some(after_arrow) = after_old.strip_prefix(" → ") {
            let Some((_, after_new)) = value(after_arrow) else {
                break;
            };
            out.insert(field, old.to_string());
            rest = after_new;
        } else {
            // An entry without an arrow: up to the next entry.
            rest = after.find("; ").map_or("", |i| &after[i..]);
        }
        if rest.is_empty() {
            break;
        }
    }
    out
}

/// How each field the row sends differed between the plan and now: `cost was 150, now 180`.
/// `sent`: the row's fields and values as the results show them.
pub(crate) fn drift(planned: &str, now: &Changes, sent: &[(&'static str, String)]) -> Vec<String> {
    let then = planned_old_values(planned);
    let now: HashMap<&str, &str> = now.old_values().collect();
    let mut out = Vec::new();
    for (field, value) in sent {
        let was = then.get(*field).map_or(value.as_str(), String::as_str);
        let is = now.get(field).copied().unwrap_or(value.as_str());
        if was != is {
            out.push(format!("{field} was {was}, now {is}"));
        }
    }
    out
}

fn changed(why: impl std::fmt::Display) -> Step {
    not_sent(
        format!("changed since the plan ({why}): not sent"),
        "changed since the plan",
    )
}

/// A row of the plan that is not sent: a conflict, labelled by `words`.
fn not_sent(why: String, words: &str) -> Step {
    let v = Verdict::with_error(Status::Conflict, why);
    let problem = RowProblem::whole(words.into(), &v);
    Step::Done(v, vec![problem])
}

impl FileRun<'_> {
    /// Checks a row of a plan being applied against the plan and the account: sent only when
    /// the plan says create or update and nothing it shows has changed since.
    pub(super) fn apply_step(
        &self,
        plan: &Plan,
        item: &Item,
        record: &mut Record,
        kept: &[&'static str],
    ) -> Step {
        let (row, sheet) = item.cells.origin();
        let Some(p) = plan.get(&(sheet.to_string(), row.unwrap_or(item.number))) else {
            return not_sent(
                "not a line of the plan: not sent".into(),
                "not a line of the plan",
            );
        };
        match p.status {
            Status::Unchanged => {
                let mut v = Verdict::new(Status::Unchanged);
                v.id = p.id;
                v.changes.clone_from(&p.changes);
                return Step::Done(v, vec![]);
            }
            Status::Create | Status::Update => {}
            other => {
                return not_sent(
                    format!("the plan says {}: not sent", other.as_str()),
                    "the plan says",
                );
            }
        }
        let now = show::sent(record);
        if values_checksum(&now) != p.values {
            // A plan made with --clear-empty is applied as it was made.
            let mut cleared = record.clone();
            clear(&mut cleared, kept);
            if kept.is_empty() || values_checksum(&show::sent(&cleared)) != p.values {
                return changed(format_args!("the row now sends {now}"));
            }
            *record = cleared;
        }
        let Some(live) = self.live.as_deref() else {
            return Step::Send(None, String::new());
        };
        if p.status == Status::Create {
            if self.matching.allow_duplicates {
                return Step::Send(None, String::new());
            }
            let by_name = Matching {
                by_name: true,
                allow_duplicates: false,
            };
            return match live.account.classify(record, by_name, None, kept) {
                Action::Create => Step::Send(None, String::new()),
                Action::Update(id, _) | Action::Unchanged(id, _) => {
                    changed(format_args!("the name now exists as id {id}"))
                }
                Action::Conflict(why, _) => changed(why),
            };
        }
        self.apply_update(live, p, record, kept)
    }

    /// A planned update: sent unless a field it sends changed on the record since the plan.
    fn apply_update(
        &self,
        live: &Submitter,
        p: &Planned,
        record: &mut Record,
        kept: &[&'static str],
    ) -> Step {
        if let Some(id) = p.id {
            record.set_id(id);
        }
        let sent: Vec<(&'static str, String)> = show::fields(record)
            .into_iter()
            .map(|(f, v)| (f, v.shown()))
            .collect();
        match live
            .account
            .classify(record, Matching::default(), None, kept)
        {
            Action::Conflict(why, _) => changed(why),
            Action::Create => changed("the record is gone"),
            Action::Update(id, now) | Action::Unchanged(id, now)
                if !drift(&p.changes, &now, &sent).is_empty() =>
            {
                let _ = id;
                changed(drift(&p.changes, &now, &sent).join(", "))
            }
            Action::Update(id, now) => Step::Send(Some(id), now.text()),
            Action::Unchanged(id, now) => {
                let mut v = Verdict::with_id(Status::Unchanged, id);
                v.changes = now.text();
                Step::Done(v, vec![])
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pipeline::changes::Change;

    #[test]
    fn old_values_are_read_back_from_a_changes_column() {
        let got = planned_old_values(
            r#"description: "a; b → c" → "New"; colour: sent (cannot be read back); cost: 150 → 999; isReferral: (none) → true"#,
        );
        assert_eq!(got["description"], r#""a; b → c""#);
        assert_eq!(got["cost"], "150");
        assert_eq!(got["isReferral"], "(none)");
        assert!(!got.contains_key("colour"));
    }

    #[test]
    fn a_field_changed_since_the_plan_is_named_with_both_values() {
        let now = Changes(vec![Change::Set {
            field: "cost",
            old: "180".into(),
            new: "999".into(),
        }]);
        let sent = [
            ("name", "\"Expo\"".to_string()),
            ("cost", "999".to_string()),
        ];
        assert_eq!(
            drift("cost: 150 → 999", &now, &sent),
            ["cost was 150, now 180"]
        );
        assert!(drift("cost: 180 → 999", &now, &sent).is_empty());
        // A field the plan did not change, changed since by someone else.
        assert_eq!(drift("", &now, &sent), ["cost was 999, now 180"]);
    }
}
