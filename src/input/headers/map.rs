//! The user's mapping file (`--map`): `field = "Header In File"` lines, for every input, and
//! optionally `[sources]` and `[stages]` tables that apply only to tables of that kind.

use std::collections::HashMap;
use std::path::Path;

use super::{Field, field_by_name};
use crate::kind::{Kind, normalise};

/// One `field = "Header"` line of a mapping file, as written.
#[derive(Debug, Clone)]
pub(crate) struct MapEntry {
    pub field: String,
    pub header: String,
    /// The `[sources]` or `[stages]` table it is in; None for a plain line.
    pub kind: Option<Kind>,
}

impl MapEntry {
    /// `cost = "Spend"`, or `[sources] cost = "Spend"`.
    pub(crate) fn describe(&self) -> String {
        match self.kind {
            Some(k) => format!("[{}] {} = {:?}", k.info().cli, self.field, self.header),
            None => format!("{} = {:?}", self.field, self.header),
        }
    }
}

/// A user's mapping file.
#[derive(Debug, Clone, Default)]
pub(crate) struct HeaderMap {
    /// normalised header → field, every line of the file (to tell a table's kind); None for
    /// a header kept as an echoed column although it looks like a field's (`--keep-column`).
    by_header: HashMap<String, Option<Field>>,
    entries: Vec<MapEntry>,
    /// The map for each kind (plain lines and that kind's table), when the file has kind
    /// tables; empty otherwise.
    kinds: Vec<(Kind, HeaderMap)>,
}

#[derive(Debug, thiserror::Error)]
pub(crate) enum MapError {
    #[error("{path}: {message}")]
    Parse { path: String, message: String },
    #[error(
        "{path}: unknown field {field:?}; the fields are id, name, description, cost, colour, isReferral, applyTo, kind (and the tables [sources] and [stages])"
    )]
    UnknownField { path: String, field: String },
}

impl HeaderMap {
    pub(crate) fn load(path: &Path) -> Result<HeaderMap, MapError> {
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

    pub(crate) fn parse(text: &str) -> Result<HeaderMap, MapError> {
        let table: toml::Table = text.parse().map_err(|e: toml::de::Error| MapError::Parse {
            path: String::new(),
            message: e.message().to_string(),
        })?;
        let mut entries = Vec::new();
        let mut has_kinds = false;
        for (key, value) in table {
            let kind = Kind::ALL
                .into_iter()
                .find(|k| key == k.info().cli || key == k.info().word);
            match (kind, value) {
                (Some(k), toml::Value::Table(t)) => {
                    has_kinds = true;
                    for (field, header) in t {
                        entries.push(entry(field, &header, Some(k))?);
                    }
                }
                (_, header) => entries.push(entry(key, &header, None)?),
            }
        }
        let mut map = HeaderMap::of(entries);
        if has_kinds {
            let only = |k: Kind| {
                HeaderMap::of(
                    map.entries
                        .iter()
                        .filter(|e| e.kind.is_none_or(|ek| ek == k))
                        .cloned()
                        .collect(),
                )
            };
            map.kinds = Kind::ALL.into_iter().map(|k| (k, only(k))).collect();
        }
        Ok(map)
    }

    /// A map of these lines (no kind tables).
    fn of(entries: Vec<MapEntry>) -> HeaderMap {
        let mut by_header = HashMap::new();
        for e in &entries {
            if let Some(f) = field_by_name(&e.field) {
                // A kind's own line wins over a plain one for the same header.
                if e.kind.is_some() || !by_header.contains_key(&normalise(&e.header)) {
                    by_header.insert(normalise(&e.header), Some(f));
                }
            }
        }
        HeaderMap {
            by_header,
            entries,
            kinds: Vec::new(),
        }
    }

    /// Whether the file has `[sources]` or `[stages]` tables.
    pub(crate) fn has_kinds(&self) -> bool {
        !self.kinds.is_empty()
    }

    /// The map for a table of this kind: the plain lines and that kind's table.
    pub(crate) fn for_kind(&self, kind: Kind) -> &HeaderMap {
        self.kinds
            .iter()
            .find(|(k, _)| *k == kind)
            .map_or(self, |(_, m)| m)
    }

    /// Keeps a column whose header looks like a field's as an echoed column, for every kind.
    pub(crate) fn keep(&mut self, header: &str) {
        self.by_header.entry(normalise(header)).or_insert(None);
        for (_, m) in &mut self.kinds {
            m.keep(header);
        }
    }

    /// Whether `--keep-column` names this header.
    pub(crate) fn keeps(&self, header: &str) -> bool {
        !self.by_header.is_empty() && self.by_header.get(&normalise(header)) == Some(&None)
    }

    /// The field the map gives a header, if it names it.
    pub(crate) fn field(&self, header: &str) -> Option<Field> {
        if self.by_header.is_empty() {
            return None;
        }
        self.by_header.get(&normalise(header)).copied().flatten()
    }

    /// The map's lines, as written.
    pub(crate) fn entries(&self) -> &[MapEntry] {
        &self.entries
    }

    /// Whether an entry names this header (compared as headers are).
    pub(crate) fn names(entry: &MapEntry, header: &str) -> bool {
        normalise(&entry.header) == normalise(header)
    }
}

/// One line, checked: a known field and a string.
fn entry(field: String, header: &toml::Value, kind: Option<Kind>) -> Result<MapEntry, MapError> {
    if field_by_name(&field).is_none() {
        return Err(MapError::UnknownField {
            path: String::new(),
            field,
        });
    }
    let header = header.as_str().ok_or_else(|| MapError::Parse {
        path: String::new(),
        message: format!("{field}: the header must be a string"),
    })?;
    Ok(MapEntry {
        field,
        header: header.to_string(),
        kind,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kind_tables_apply_to_their_kind_and_plain_lines_to_both() {
        let map = HeaderMap::parse(
            "description = \"Notes\"\n[sources]\nname = \"Source Title\"\ncost = \"Spend\"\n[stages]\nname = \"Stage\"\n",
        )
        .unwrap();
        assert!(map.has_kinds());
        let sources = map.for_kind(Kind::Source);
        assert_eq!(sources.field("Source Title"), Some(Field::Name));
        assert_eq!(sources.field("Spend"), Some(Field::Cost));
        assert_eq!(sources.field("Notes"), Some(Field::Description));
        assert_eq!(sources.field("Stage"), None);
        let stages = map.for_kind(Kind::Stage);
        assert_eq!(stages.field("Stage"), Some(Field::Name));
        assert_eq!(stages.field("Spend"), None);
        assert_eq!(stages.field("Notes"), Some(Field::Description));
        // The whole map tells kinds apart: it knows every header.
        assert_eq!(map.field("Spend"), Some(Field::Cost));
        assert_eq!(map.entries().len(), 4);
    }

    #[test]
    fn a_plain_map_is_its_own_map_for_every_kind() {
        let map = HeaderMap::parse("name = \"Title\"").unwrap();
        assert!(!map.has_kinds());
        assert_eq!(map.for_kind(Kind::Stage).field("Title"), Some(Field::Name));
    }

    #[test]
    fn an_unknown_field_in_a_kind_table_is_refused() {
        assert!(matches!(
            HeaderMap::parse("[stages]\ntitle = \"X\""),
            Err(MapError::UnknownField { .. })
        ));
    }
}
