//! Path patterns: `{stem}`, `{date}` and `{time}` in a results or log file's name.

use std::path::Path;

/// Expands `{stem}`, `{date}` (YYYY-MM-DD) and `{time}` (HHMMSS) in a path pattern.
pub fn expand(
    pattern: &str,
    stem: Option<&str>,
    now: time::OffsetDateTime,
) -> Result<String, String> {
    let mut out = String::with_capacity(pattern.len());
    let mut rest = pattern;
    while let Some(open) = rest.find('{') {
        out.push_str(&rest[..open]);
        let after = &rest[open + 1..];
        let Some(close) = after.find('}') else {
            return Err(format!("{pattern:?}: a `{{` without its `}}`"));
        };
        match (&after[..close], stem) {
            ("stem", Some(s)) => out.push_str(s),
            ("stem", None) => return Err(format!("{pattern:?}: {{stem}} has no input here")),
            ("date", _) => out.push_str(&format!(
                "{:04}-{:02}-{:02}",
                now.year(),
                u8::from(now.month()),
                now.day()
            )),
            ("time", _) => out.push_str(&format!(
                "{:02}{:02}{:02}",
                now.hour(),
                now.minute(),
                now.second()
            )),
            (other, _) => {
                return Err(format!(
                    "{pattern:?}: unknown placeholder {{{other}}}; use {{stem}}, {{date}} or {{time}}"
                ));
            }
        }
        rest = &after[close + 1..];
    }
    out.push_str(rest);
    Ok(out)
}

/// Whether a path holds a placeholder.
pub fn is_pattern(p: &Path) -> bool {
    let s = p.to_string_lossy();
    ["{stem}", "{date}", "{time}"].iter().any(|t| s.contains(t))
}

/// The local time when the offset is known, else UTC.
pub fn now() -> time::OffsetDateTime {
    time::OffsetDateTime::now_local().unwrap_or_else(|_| time::OffsetDateTime::now_utc())
}

#[cfg(test)]
mod tests {
    use super::expand;

    #[test]
    fn patterns_expand_stem_date_and_time() {
        let now = time::macros::datetime!(2024-03-05 07:08:09 UTC);
        assert_eq!(
            expand("results/{stem}-{date}.csv", Some("crm"), now).unwrap(),
            "results/crm-2024-03-05.csv"
        );
        assert_eq!(
            expand("{date}T{time}", None, now).unwrap(),
            "2024-03-05T070809"
        );
        assert!(expand("{stem}.csv", None, now).is_err());
        assert!(
            expand("{when}.csv", Some("x"), now)
                .unwrap_err()
                .contains("unknown placeholder")
        );
    }
}
