//! One cell → one typed value: id, cost, colour, boolean, applyTo.

use super::problem::ProblemKind;
use std::borrow::Cow;

use super::{ApplyTo, Money, Text};
use crate::input::headers::ValueRules;
use crate::input::{CellRef, number_text, trim};

/// A positive whole number, from a number cell or text (`755`, `755.0`).
pub(crate) fn parse_id(cell: CellRef<'_>) -> Result<u64, ProblemKind> {
    let bad = || ProblemKind::BadId(cell.display().into_owned());
    match cell {
        CellRef::Int(i) if i > 0 => Ok(i.cast_unsigned()),
        CellRef::Float(f) => float_to_id(f).ok_or_else(bad),
        CellRef::Text(t) => {
            let t = trim(t);
            if let Ok(n) = t.parse::<u64>() {
                return if n > 0 { Ok(n) } else { Err(bad()) };
            }
            // `755.0` as text, as legacy exports of number columns write it.
            match t.split_once('.') {
                Some((whole, frac))
                    if !whole.is_empty()
                        && whole.bytes().all(|b| b.is_ascii_digit())
                        && frac.bytes().all(|b| b == b'0') =>
                {
                    whole.parse::<u64>().ok().filter(|n| *n > 0).ok_or_else(bad)
                }
                _ => Err(bad()),
            }
        }
        _ => Err(bad()),
    }
}

#[expect(
    clippy::cast_possible_truncation,
    clippy::cast_sign_loss,
    reason = "f is checked finite, whole and in 1..9e15 before the cast"
)]
fn float_to_id(f: f64) -> Option<u64> {
    (f.is_finite() && f >= 1.0 && f.fract() == 0.0 && f < 9.0e15).then_some(f as u64)
}

/// Why a text amount is refused.
enum AmountError {
    Bad,
    /// `7,5` or `2.500`: a decimal mark or a thousands separator; not guessed.
    Ambiguous,
    /// `2.500,00`, `1.200.000`: thousands dots, as `--decimal-comma` reads them.
    DecimalComma,
}

/// `d.ddd`, `dd.ddd` or `ddd.ddd` (no leading zero): 2.5 with a decimal point, 2500 where the
/// dot groups thousands (`2.500`, `€ 2.500`).
fn dot_thousands(int: &str, frac: &str) -> bool {
    let b = int.as_bytes();
    frac.len() == 3
        && (1..=3).contains(&b.len())
        && b[0] != b'0'
        && b.iter().all(u8::is_ascii_digit)
        && frac.bytes().all(|c| c.is_ascii_digit())
}

/// Thousands grouped with dots, with or without a decimal comma (`1.200.000`, `2.500,00`):
/// an amount as `--decimal-comma` reads it.
fn dotted_european(s: &str) -> bool {
    let (int, frac) = match s.split_once(',') {
        Some((i, f)) => (i, Some(f)),
        None => (s, None),
    };
    let digits = |x: &str| !x.is_empty() && x.bytes().all(|b| b.is_ascii_digit());
    let parts: Vec<&str> = int.split('.').collect();
    parts.len() >= 2
        && parts[0].len() <= 3
        && digits(parts[0])
        && parts[1..].iter().all(|g| g.len() == 3 && digits(g))
        && frac.is_none_or(digits)
        && (parts.len() > 2 || frac.is_some())
}

/// Spaces that group thousands with `--decimal-comma` (`1 200,50`): space, no-break space,
/// narrow no-break space.
const SPACE_GROUPS: [char; 3] = [' ', '\u{a0}', '\u{202f}'];

/// `int[<decimal>frac]` with optional thousands groups in `int` → `digits[.digits]`.
fn amount(s: &str, decimal: char, groups: &[char]) -> Result<String, AmountError> {
    let digits = |x: &str| !x.is_empty() && x.bytes().all(|b| b.is_ascii_digit());
    if decimal == '.' && dotted_european(s) {
        return Err(AmountError::DecimalComma);
    }
    let (int, frac) = match s.split_once(decimal) {
        Some((i, f)) => (i, Some(f)),
        None => (s, None),
    };
    if let Some(f) = frac
        && !digits(f)
    {
        return Err(AmountError::Bad);
    }
    if decimal == '.'
        && let Some(f) = frac
        && dot_thousands(int, f)
    {
        return Err(AmountError::Ambiguous);
    }
    let int_digits = if int.contains(groups) {
        let parts: Vec<&str> = int.split(groups).collect();
        let grouped = parts[0].len() <= 3
            && digits(parts[0])
            && parts[1..].iter().all(|g| g.len() == 3 && digits(g));
        if !grouped {
            let comma_decimal = decimal == '.'
                && frac.is_none()
                && parts.len() == 2
                && digits(parts[0])
                && digits(parts[1]);
            return Err(if comma_decimal {
                AmountError::Ambiguous
            } else {
                AmountError::Bad
            });
        }
        parts.concat()
    } else if int.is_empty() && frac.is_some() {
        "0".to_string()
    } else if digits(int) {
        int.to_string()
    } else {
        return Err(AmountError::Bad);
    };
    Ok(match frac {
        Some(f) => format!("{int_digits}.{f}"),
        None => int_digits,
    })
}

/// A non-negative amount. Currency signs `$ € £` (before or after) and real thousands groups
/// are accepted; a decimal comma (`7,5`) and a dot before exactly three digits (`2.500`) are
/// refused as ambiguous unless `rules.decimal_comma`, which reads `,` as the decimal mark and
/// `.`, space or no-break space as thousands groups. A percentage (`12%`) is not a cost.
#[inline]
pub(crate) fn parse_cost(cell: CellRef<'_>, rules: &ValueRules) -> Result<Money, ProblemKind> {
    let raw = cell.display();
    match cell {
        CellRef::Int(i) if i >= 0 => return Ok(Money(compact_str::format_compact!("{i}"))),
        CellRef::Int(_) => return Err(ProblemKind::NegativeCost(raw.into_owned())),
        CellRef::Float(f) if f.is_finite() && f >= 0.0 => return Ok(Money(number_text(f).into())),
        CellRef::Float(f) if f.is_finite() => {
            return Err(ProblemKind::NegativeCost(raw.into_owned()));
        }
        CellRef::Text(_) => {}
        _ => return Err(ProblemKind::BadCost(raw.into_owned())),
    }
    let mut s = trim(&raw);
    // The common case first: plain digits with an optional decimal point, no allocation but
    // the result's.
    if !rules.decimal_comma
        && let Some(dot) = plain_decimal(s)
    {
        return match dot {
            Some(d) if dot_thousands(&s[..d], &s[d + 1..]) => Err(ProblemKind::AmbiguousCost {
                value: raw.into_owned(),
            }),
            _ => Ok(Money(s.into())),
        };
    }
    if s.ends_with('%') {
        return Err(ProblemKind::PercentCost(raw.into_owned()));
    }
    let negative = s.starts_with('-');
    if negative {
        s = s[1..].trim_start();
    }
    for sign in ['$', '€', '£'] {
        if let Some(rest) = s.strip_prefix(sign) {
            s = rest.trim_start();
            break;
        }
        if let Some(rest) = s.strip_suffix(sign) {
            s = rest.trim_end();
            break;
        }
    }
    let parsed = if rules.decimal_comma {
        let mut groups = vec!['.'];
        groups.extend(SPACE_GROUPS);
        amount(s, ',', &groups)
    } else {
        amount(s, '.', &[','])
    };
    match parsed {
        Ok(_) if negative => Err(ProblemKind::NegativeCost(raw.into_owned())),
        Ok(m) => Ok(Money(m.into())),
        Err(AmountError::Ambiguous) => Err(ProblemKind::AmbiguousCost {
            value: raw.into_owned(),
        }),
        Err(AmountError::DecimalComma) => Err(ProblemKind::DecimalCommaCost(raw.into_owned())),
        Err(AmountError::Bad) => Err(ProblemKind::BadCost(raw.into_owned())),
    }
}

/// Digits, with an optional `.` and digits after it (`12`, `12.5`): where the `.` is.
pub(crate) fn plain_decimal(s: &str) -> Option<Option<usize>> {
    let b = s.as_bytes();
    let mut dot = None;
    for (i, &c) in b.iter().enumerate() {
        if !c.is_ascii_digit() {
            if c != b'.' || dot.is_some() {
                return None;
            }
            dot = Some(i);
        }
    }
    let whole = dot.unwrap_or(b.len());
    (whole > 0 && dot.is_none_or(|d| d + 1 < b.len())).then_some(dot)
}

/// `#rrggbb`, `rrggbb`, `#rgb` or `rgb`, any case, normalised to `#rrggbb`.
#[inline]
pub(crate) fn parse_colour(cell: CellRef<'_>) -> Result<Text, ProblemKind> {
    let raw = cell.display();
    let t = trim(&raw);
    // Already `#rrggbb` in lowercase (as this tool writes it): the text as it is.
    if t.len() == 7
        && t.as_bytes()[0] == b'#'
        && t.as_bytes()[1..]
            .iter()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(b))
    {
        return Ok(Text::new(t));
    }
    let hex = t.strip_prefix('#').unwrap_or(t).as_bytes();
    let mut out = [b'#'; 7];
    let digits_ok = match *hex {
        [_, _, _, _, _, _] => {
            out[1..].copy_from_slice(hex);
            true
        }
        [r, g, b] => {
            out[1..].copy_from_slice(&[r, r, g, g, b, b]);
            true
        }
        _ => false,
    };
    if !digits_ok || !out[1..].iter().all(u8::is_ascii_hexdigit) {
        return Err(ProblemKind::BadColour(raw.into_owned()));
    }
    out.make_ascii_lowercase();
    // Hex digits and `#` only: always UTF-8.
    std::str::from_utf8(&out)
        .map(Text::new)
        .map_err(|_| ProblemKind::BadColour(raw.into_owned()))
}

/// true/false/yes/no/y/n/1/0 in any case, the words spreadsheet applications write for
/// TRUE/FALSE in other languages (WAHR/FALSCH, VRAI/FAUX, WAAR/ONWAAR, VERDADERO/FALSO) and
/// SI/SÍ for yes, a boolean cell, or a number cell 1/0.
#[inline]
pub(crate) fn parse_bool(cell: CellRef<'_>) -> Result<bool, ProblemKind> {
    match cell {
        CellRef::Bool(b) => Ok(b),
        CellRef::Int(1) | CellRef::Float(1.0) => Ok(true),
        CellRef::Int(0) | CellRef::Float(0.0) => Ok(false),
        CellRef::Text(t) => match lower(trim(t)).as_ref() {
            "true" | "yes" | "y" | "1" | "wahr" | "vrai" | "waar" | "verdadero" | "si" | "sí" => {
                Ok(true)
            }
            "false" | "no" | "n" | "0" | "falsch" | "faux" | "onwaar" | "falso" => Ok(false),
            _ => Err(ProblemKind::BadBool(t.to_string())),
        },
        c => Err(ProblemKind::BadBool(c.display().into_owned())),
    }
}

/// A word in lower case, borrowed when it is already.
fn lower(s: &str) -> Cow<'_, str> {
    if s.bytes().any(|b| b.is_ascii_uppercase() || !b.is_ascii()) {
        Cow::Owned(s.to_lowercase())
    } else {
        Cow::Borrowed(s)
    }
}

/// 1, 2, `opportunity`, `lead`, any case, from text or a number cell.
pub(crate) fn parse_apply_to(cell: CellRef<'_>) -> Result<ApplyTo, ProblemKind> {
    match cell {
        CellRef::Int(1) | CellRef::Float(1.0) => Ok(ApplyTo::Opportunity),
        CellRef::Int(2) | CellRef::Float(2.0) => Ok(ApplyTo::Lead),
        CellRef::Text(t) => match t.trim().to_ascii_lowercase().as_str() {
            "1" | "1.0" | "opportunity" | "opportunities" => Ok(ApplyTo::Opportunity),
            "2" | "2.0" | "lead" | "leads" => Ok(ApplyTo::Lead),
            _ => Err(ProblemKind::BadApplyTo(t.to_string())),
        },
        c => Err(ProblemKind::BadApplyTo(c.display().into_owned())),
    }
}

#[cfg(test)]
mod tests;
