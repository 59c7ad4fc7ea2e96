//! Property tests: the reader and the validators never panic, whatever they are fed.

use std::ops::ControlFlow;

use ivvy_import::input::{CellRef, Input, ReadOptions};
use ivvy_import::record::{Kind, parse_apply_to, parse_bool, parse_colour, parse_cost, parse_id};
use proptest::prelude::*;

fn read_all(bytes: &[u8], ext: &str) -> Result<usize, String> {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(format!("in.{ext}"));
    std::fs::write(&path, bytes).unwrap();
    let mut input = Input::open(&path, &ReadOptions::default()).map_err(|e| e.to_string())?;
    let mut n = 0;
    for t in 0..input.tables.len() {
        input
            .read_table(t, &mut |row| {
                n += 1;
                let _ = row.is_blank();
                ControlFlow::Continue(())
            })
            .map_err(|e| e.to_string())?;
    }
    Ok(n)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    #[test]
    fn reader_survives_arbitrary_bytes(bytes in proptest::collection::vec(any::<u8>(), 0..2000)) {
        let _ = read_all(&bytes, "csv");
    }

    #[test]
    fn reader_survives_arbitrary_bytes_named_as_a_workbook(bytes in proptest::collection::vec(any::<u8>(), 0..600)) {
        let _ = read_all(&bytes, "xlsx");
    }

    #[test]
    fn reader_survives_csv_like_text(text in "[a-z,;\t|\"\r\n ]{0,400}") {
        let _ = read_all(text.as_bytes(), "csv");
    }

    #[test]
    fn validators_never_panic(s in "\\PC{0,40}", f in any::<f64>(), i in any::<i64>(), b in any::<bool>()) {
        for cell in [CellRef::Text(&s), CellRef::Float(f), CellRef::Int(i), CellRef::Bool(b), CellRef::Error(&s), CellRef::Empty] {
            let _ = parse_id(cell);
            let _ = parse_cost(cell);
            let _ = parse_colour(cell);
            let _ = parse_bool(cell);
            let _ = parse_apply_to(cell);
            let _ = Kind::parse(&cell.display());
            let _ = ivvy_import::record::fold_name(&cell.display());
            let _ = ivvy_import::record::name_key(Kind::Source, &cell.display());
        }
    }

    #[test]
    fn grouped_amounts_parse_to_their_value(whole in 0u64..10_000_000_000, cents in 0u32..100) {
        let mut digits = whole.to_string();
        let mut grouped = String::new();
        while digits.len() > 3 {
            let tail = digits.split_off(digits.len() - 3);
            grouped = format!(",{tail}{grouped}");
        }
        let text = format!("${digits}{grouped}.{cents:02}");
        let money = parse_cost(CellRef::Text(&text)).unwrap();
        let expected = whole as f64 + f64::from(cents) / 100.0;
        prop_assert!((money.to_f64() - expected).abs() < 1e-6 * expected.max(1.0), "{text} -> {}", money.as_str());
    }

    #[test]
    fn colours_normalise_to_lowercase_hash_form(hex in "[0-9a-fA-F]{6}", hash in any::<bool>()) {
        let text = if hash { format!("#{hex}") } else { hex.clone() };
        prop_assert_eq!(parse_colour(CellRef::Text(&text)).unwrap(), format!("#{}", hex.to_ascii_lowercase()));
    }
}
