//! Helpers shared by the unit tests of several modules.

use std::io::Read as _;
use std::path::Path;

/// The text of one member of a zip file (a workbook's XML part).
pub(crate) fn zipped(path: &Path, name: &str) -> String {
    let mut zip = zip::ZipArchive::new(std::fs::File::open(path).unwrap()).unwrap();
    let mut text = String::new();
    zip.by_name(name)
        .unwrap()
        .read_to_string(&mut text)
        .unwrap();
    text
}
