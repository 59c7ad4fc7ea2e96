//! Header names → fields: built-in aliases, a mapping file, and a results file's own columns.

use std::collections::HashMap;
use std::path::Path;

use crate::kind::normalise;
use crate::outcome::RESULT_COLUMNS;

/// The fields a column can be mapped to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Field {
    Id,
    Name,
    Description,
    Cost,
    Colour,
    IsReferral,
    ApplyTo,
    /// The `kind` column of a mixed file (for example a results file fed back in).
    Kind,
}

/// Where each field lives in a table's columns.
#[derive(Debug, Clone, Default)]
pub struct FieldColumns {
    /// For each field, the column index and the header text.
    cols: [Option<(usize, String)>; 8],
}

impl FieldColumns {
    pub fn set(&mut self, field: Field, index: usize, header: &str) {
        self.cols[field as usize] = Some((index, header.to_string()));
    }
    pub fn get(&self, field: Field) -> Option<(usize, &str)> {
        self.cols[field as usize]
            .as_ref()
            .map(|(i, h)| (*i, h.as_str()))
    }
    pub fn has(&self, field: Field) -> bool {
        self.cols[field as usize].is_some()
    }
}

/// The field a header names by the built-in aliases.
pub fn alias(header: &str) -> Option<Field> {
    Some(match normalise(header).as_str() {
        "id" => Field::Id,
        "name" => Field::Name,
        "description" => Field::Description,
        "cost" => Field::Cost,
        "colour" | "color" => Field::Colour,
        "isreferral" | "referral" => Field::IsReferral,
        "applyto" => Field::ApplyTo,
        "kind" => Field::Kind,
        _ => return None,
    })
}

fn field_by_name(name: &str) -> Option<Field> {
    alias(name)
}

/// A user's mapping file: `field = "Header In File"` lines (TOML).
#[derive(Debug, Clone, Default)]
pub struct HeaderMap {
    /// normalised header → field
    by_header: HashMap<String, Field>,
}

#[derive(Debug, thiserror::Error)]
pub enum MapError {
    #[error("{path}: {message}")]
    Parse { path: String, message: String },
    #[error(
        "{path}: unknown field {field:?}; the fields are id, name, description, cost, colour, isReferral, applyTo, kind"
    )]
    UnknownField { path: String, field: String },
}

impl HeaderMap {
    pub fn load(path: &Path) -> Result<HeaderMap, MapError> {
        let p = path.display().to_string();
        let text = std::fs::read_to_string(path).map_err(|e| MapError::Parse {
            path: p.clone(),
            message: e.to_string(),
        })?;
        Self::parse(&text).map_err(|e| match e {
            MapError::Parse { message, .. } => MapError::Parse { path: p, message },
            MapError::UnknownField { field, .. } => MapError::UnknownField { path: p, field },
        })
    }

    pub fn parse(text: &str) -> Result<HeaderMap, MapError> {
        let table: toml::Table = text.parse().map_err(|e: toml::de::Error| MapError::Parse {
            path: String::new(),
            message: e.message().to_string(),
        })?;
        let mut by_header = HashMap::new();
        for (field, header) in table {
            let f = field_by_name(&field).ok_or_else(|| MapError::UnknownField {
                path: String::new(),
                field: field.clone(),
            })?;
            let header = header.as_str().ok_or_else(|| MapError::Parse {
                path: String::new(),
                message: format!("{field}: the header must be a string"),
            })?;
            by_header.insert(normalise(header), f);
        }
        Ok(HeaderMap { by_header })
    }
}

/// How a table's columns are used.
#[derive(Debug, Clone, Default)]
pub struct ColumnPlan {
    pub fields: FieldColumns,
    /// Column indexes echoed into the results, in input order.
    pub echo: Vec<usize>,
    /// Headers no field uses (echoed), for the one warning.
    pub unknown: Vec<String>,
    /// Headers that name a field already taken by an earlier column.
    pub repeated: Vec<String>,
    /// The table is a results file fed back in.
    pub is_results_file: bool,
}

/// Maps a table's headers to fields: the mapping file wins for the headers it names, then the
/// built-in aliases. A results file's own columns are recognised and not echoed.
pub fn plan(headers: &[String], map: &HeaderMap) -> ColumnPlan {
    let is_results_file = headers.len() >= RESULT_COLUMNS.len()
        && headers
            .iter()
            .zip(RESULT_COLUMNS)
            .all(|(h, r)| h.eq_ignore_ascii_case(r));
    let mut p = ColumnPlan {
        is_results_file,
        ..ColumnPlan::default()
    };
    for (i, h) in headers.iter().enumerate() {
        if is_results_file && i < RESULT_COLUMNS.len() {
            match RESULT_COLUMNS[i] {
                "id" => p.fields.set(Field::Id, i, h),
                "kind" => p.fields.set(Field::Kind, i, h),
                _ => {}
            }
            continue;
        }
        if h.is_empty() {
            continue;
        }
        let field = map
            .by_header
            .get(&normalise(h))
            .copied()
            .or_else(|| alias(h));
        match field {
            Some(f) if !p.fields.has(f) => {
                p.fields.set(f, i, h);
                if f != Field::Id {
                    p.echo.push(i);
                }
            }
            Some(_) => {
                p.repeated.push(h.clone());
                p.echo.push(i);
            }
            None => {
                p.unknown.push(h.clone());
                p.echo.push(i);
            }
        }
    }
    p
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hs(v: &[&str]) -> Vec<String> {
        v.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn headers_match_ignoring_case_spaces_and_punctuation() {
        assert_eq!(alias("Is Referral?"), Some(Field::IsReferral));
        assert_eq!(alias("apply_to"), Some(Field::ApplyTo));
        assert_eq!(alias("COLOR"), Some(Field::Colour));
        assert_eq!(alias("Notes"), None);
    }

    #[test]
    fn mapping_file_wins_over_aliases() {
        let map = HeaderMap::parse("name = \"Source Title\"\ndescription = \"Name\"").unwrap();
        let p = plan(&hs(&["Source Title", "Name", "Notes"]), &map);
        assert_eq!(p.fields.get(Field::Name).unwrap().0, 0);
        assert_eq!(p.fields.get(Field::Description).unwrap().0, 1);
        assert_eq!(p.unknown, vec!["Notes".to_string()]);
    }

    #[test]
    fn mapping_file_with_unknown_field_is_refused() {
        assert!(matches!(
            HeaderMap::parse("title = \"X\""),
            Err(MapError::UnknownField { .. })
        ));
    }

    #[test]
    fn id_column_is_not_echoed_and_results_columns_are_recognised() {
        let p = plan(&hs(&["id", "name", "cost"]), &HeaderMap::default());
        assert_eq!(p.echo, vec![1, 2]);
        let mut h = hs(&RESULT_COLUMNS);
        h.extend(hs(&["name", "cost"]));
        let p = plan(&h, &HeaderMap::default());
        assert!(p.is_results_file);
        assert_eq!(p.echo, vec![8, 9]);
        assert_eq!(p.fields.get(Field::Id).unwrap().0, 4);
        assert_eq!(p.fields.get(Field::Kind).unwrap().0, 2);
    }
}
