//! A workbook's cell values as [`Cell`]s: dates and times as ISO text in the workbook's date
//! system (1900 or 1904), durations as clock values.

use calamine::{Data, DataRef};

use crate::input::{Cell, number_text};

/// `HH:MM`, with `:SS` when the seconds are not zero.
fn clock(h: i64, m: i64, s: i64) -> String {
    if s == 0 {
        format!("{h:02}:{m:02}")
    } else {
        format!("{h:02}:{m:02}:{s:02}")
    }
}

/// An Excel serial date (days since the epoch, the time as a fraction of a day) as ISO text:
/// `2024-03-15`, `2024-03-15 18:00`, `18:00` for a time alone, `36:00` for a duration.
pub(crate) fn serial_date_text(value: f64, duration: bool, is_1904: bool) -> String {
    if !value.is_finite() || !(0.0..2_958_466.0).contains(&value) {
        return number_text(value);
    }
    // Excel keeps milliseconds; it shows whole seconds.
    #[expect(
        clippy::cast_possible_truncation,
        reason = "value is checked to lie in 0..2,958,466 days, so its seconds fit i64"
    )]
    let total = (value * 86_400.0).round() as i64;
    let (days, secs) = (total / 86_400, total % 86_400);
    if duration {
        return clock(total / 3600, total / 60 % 60, total % 60);
    }
    let time = (secs != 0).then(|| clock(secs / 3600, secs / 60 % 60, secs % 60));
    if days == 0 {
        return time.unwrap_or_else(|| "00:00".to_string());
    }
    let date = if is_1904 {
        time::macros::date!(1904 - 01 - 01).checked_add(time::Duration::days(days))
    } else if days == 60 {
        // Excel's 1900-02-29, a day that never was (kept from Lotus 1-2-3).
        None
    } else if days < 60 {
        time::macros::date!(1899 - 12 - 31).checked_add(time::Duration::days(days))
    } else {
        time::macros::date!(1899 - 12 - 30).checked_add(time::Duration::days(days))
    };
    let date = match date {
        Some(d) => format!("{:04}-{:02}-{:02}", d.year(), u8::from(d.month()), d.day()),
        None if !is_1904 && days == 60 => "1900-02-29".to_string(),
        None => return number_text(value),
    };
    match time {
        Some(t) => format!("{date} {t}"),
        None => date,
    }
}

/// An ISO datetime as ODS and XLSX `t="d"` cells hold it (`2024-03-15T18:00:00.000Z`) in the
/// same form as serial dates.
pub(crate) fn iso_date_text(s: &str) -> String {
    let (date, time) = match s.split_once(['T', ' ']) {
        Some((d, t)) => (d, Some(t)),
        None if s.contains(':') => ("", Some(s)),
        None => (s, None),
    };
    let Some(time) = time else {
        return date.to_string();
    };
    let time = time.trim_end_matches('Z');
    let time = time.split(['.', '+']).next().unwrap_or(time);
    let parts: Vec<i64> = time.split(':').filter_map(|p| p.parse().ok()).collect();
    let (h, m, sec) = match parts[..] {
        [h, m] => (h, m, 0),
        [h, m, s] => (h, m, s),
        _ => return s.to_string(),
    };
    match (date.is_empty(), h == 0 && m == 0 && sec == 0) {
        (true, _) => clock(h, m, sec),
        (false, true) => date.to_string(),
        (false, false) => format!("{date} {}", clock(h, m, sec)),
    }
}

/// An ISO duration as ODS time cells hold it (`PT18H30M00S`) as `18:30`.
pub(crate) fn iso_duration_text(s: &str) -> String {
    let parse = || -> Option<i64> {
        let rest = s.strip_prefix('P')?;
        let (days, time) = match rest.split_once('T') {
            Some((d, t)) => (d, t),
            None => (rest, ""),
        };
        let mut total: f64 = 0.0;
        if !days.is_empty() {
            total += days.strip_suffix('D')?.parse::<f64>().ok()? * 86_400.0;
        }
        let mut num = String::new();
        for c in time.chars() {
            match c {
                'H' | 'M' | 'S' => {
                    let v: f64 = num.parse().ok()?;
                    total += v * match c {
                        'H' => 3600.0,
                        'M' => 60.0,
                        _ => 1.0,
                    };
                    num.clear();
                }
                c => num.push(c),
            }
        }
        #[expect(
            clippy::cast_possible_truncation,
            reason = "a float-to-int cast saturates and maps NaN to 0: a nonsensical duration \
                      in a file still shows as a clock value instead of failing"
        )]
        let secs = total.round() as i64;
        num.is_empty().then_some(secs)
    };
    match parse() {
        Some(t) => clock(t / 3600, t / 60 % 60, t % 60),
        None => s.to_string(),
    }
}

/// The decimals a number format shows a percentage with (`0%` → 0, `0.00%` → 2), or None
/// when its first section shows no percentage. Quoted text, escaped characters and bracketed
/// parts (`[Red]`, `[$€-2]`) are not the format's own.
pub(super) fn percent_decimals(code: &str) -> Option<usize> {
    let (mut quoted, mut escaped, mut bracket) = (false, false, false);
    let (mut percent, mut after_point, mut decimals) = (false, false, 0);
    for c in code.chars() {
        match c {
            _ if escaped => escaped = false,
            '"' => quoted = !quoted,
            _ if quoted => {}
            '\\' | '_' | '*' => escaped = true,
            '[' => bracket = true,
            ']' => bracket = false,
            _ if bracket => {}
            ';' => break,
            '%' => percent = true,
            '.' => after_point = true,
            '0' | '#' | '?' if after_point => decimals += 1,
            _ => {}
        }
    }
    percent.then_some(decimals)
}

/// A number in a percentage format as it shows: `0.12` with two decimals is `12.00%`.
pub(super) fn percent_text(value: f64, decimals: usize) -> String {
    // Halves round away from zero, as spreadsheets show them (12.5% with no decimals: 13%).
    let scale = 10f64.powi(i32::try_from(decimals.min(15)).unwrap_or(15));
    let shown = (value * 100.0 * scale).round() / scale;
    format!("{shown:.decimals$}%")
}

pub(super) fn from_data_ref(d: &DataRef<'_>, is_1904: bool) -> Cell {
    match d {
        DataRef::Empty => Cell::Empty,
        DataRef::String(s) => Cell::Text(s.clone()),
        DataRef::SharedString(s) => Cell::Text((*s).to_string()),
        DataRef::Int(i) => Cell::Int(*i),
        DataRef::Float(f) => Cell::Float(*f),
        DataRef::Bool(b) => Cell::Bool(*b),
        DataRef::DateTime(d) => Cell::Date(serial_date_text(d.as_f64(), d.is_duration(), is_1904)),
        DataRef::DateTimeIso(s) => Cell::Date(iso_date_text(s)),
        DataRef::DurationIso(s) => Cell::Date(iso_duration_text(s)),
        DataRef::Error(e) => Cell::Error(e.to_string()),
    }
}

pub(super) fn from_data(d: &Data, is_1904: bool) -> Cell {
    match d {
        Data::Empty => Cell::Empty,
        Data::String(s) => Cell::Text(s.clone()),
        Data::Int(i) => Cell::Int(*i),
        Data::Float(f) => Cell::Float(*f),
        Data::Bool(b) => Cell::Bool(*b),
        Data::DateTime(d) => Cell::Date(serial_date_text(d.as_f64(), d.is_duration(), is_1904)),
        Data::DateTimeIso(s) => Cell::Date(iso_date_text(s)),
        Data::DurationIso(s) => Cell::Date(iso_duration_text(s)),
        Data::Error(e) => Cell::Error(e.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn serial_dates_read_in_both_date_systems() {
        // 2024-03-15 is serial 45366 in the 1900 system, 43904 in the 1904 system.
        assert_eq!(serial_date_text(45366.0, false, false), "2024-03-15");
        assert_eq!(serial_date_text(43904.0, false, true), "2024-03-15");
        assert_eq!(serial_date_text(45366.75, false, false), "2024-03-15 18:00");
        assert_eq!(
            serial_date_text(45366.0 + 18.0 / 24.0 + 30.0 / 86_400.0, false, false),
            "2024-03-15 18:00:30"
        );
        assert_eq!(serial_date_text(1.0, false, false), "1900-01-01");
        assert_eq!(serial_date_text(59.0, false, false), "1900-02-28");
        assert_eq!(serial_date_text(60.0, false, false), "1900-02-29");
        assert_eq!(serial_date_text(61.0, false, false), "1900-03-01");
        assert_eq!(serial_date_text(0.75, false, false), "18:00");
        assert_eq!(serial_date_text(1.5, true, false), "36:00");
    }

    #[test]
    fn percentage_formats_show_their_decimals() {
        assert_eq!(percent_decimals("0%"), Some(0));
        assert_eq!(percent_decimals("0.00%"), Some(2));
        assert_eq!(percent_decimals("#,##0.0%;[Red]-#,##0.0%"), Some(1));
        assert_eq!(percent_decimals("General"), None);
        assert_eq!(percent_decimals("0.00\"%\""), None);
        assert_eq!(percent_decimals("0\\%"), None);
        assert_eq!(percent_decimals("[$€-2] #,##0.00"), None);
        assert_eq!(percent_text(0.12, 0), "12%");
        assert_eq!(percent_text(0.125, 2), "12.50%");
        assert_eq!(percent_text(0.125, 0), "13%");
    }

    #[test]
    fn iso_dates_and_durations_read_like_serial_ones() {
        assert_eq!(iso_date_text("2024-03-15"), "2024-03-15");
        assert_eq!(iso_date_text("2024-03-15T00:00:00"), "2024-03-15");
        assert_eq!(
            iso_date_text("2024-03-15T18:00:00.000Z"),
            "2024-03-15 18:00"
        );
        assert_eq!(iso_date_text("2024-03-15T18:00:05"), "2024-03-15 18:00:05");
        assert_eq!(iso_duration_text("PT18H30M00S"), "18:30");
        assert_eq!(iso_duration_text("P1DT12H00M00S"), "36:00");
        assert_eq!(iso_duration_text("weird"), "weird");
    }
}
