use super::*;
use crate::record::{ApplyTo, Money};

#[test]
fn sent_text_names_each_field_in_the_api_form() {
    let r = Record::Source(LeadSource {
        id: Some(7),
        name: Some("Expo; \"big\"".into()),
        description: Some(String::new().into()),
        cost: Some(Money::parse_canonical("2500.00")),
        colour: Some("#7ee546".into()),
        is_referral: Some(true),
    });
    assert_eq!(
        sent(&r),
        r##"name="Expo; \"big\""; description=""; cost=2500; colour="#7ee546"; isReferral=true"##
    );
    let s = Record::Stage(LeadStage {
        id: None,
        name: Some("Won".into()),
        colour: None,
        apply_to: Some(ApplyTo::Lead),
    });
    assert_eq!(sent(&s), r#"name="Won"; applyTo=2"#);
}

#[test]
fn sent_lists_only_values_not_shown_as_their_cells_read() {
    let r = Record::Source(LeadSource {
        id: None,
        name: Some("Expo".into()),
        description: Some(String::new().into()),
        cost: Some(Money::parse_canonical("2500")),
        colour: Some("#7ee546".into()),
        is_referral: Some(true),
    });
    let cells = |cost: &'static str, referral: &'static str| {
        move |f: Field| match f {
            Field::Name => Some("Expo"),
            Field::Description => Some(""),
            Field::Cost => Some(cost),
            Field::Colour => Some("#7EE546"),
            Field::IsReferral => Some(referral),
            _ => None,
        }
    };
    let mut s = String::new();
    write_sent(&r, as_read(&r, cells("2500", "true")), &mut s);
    assert_eq!(s, r##"description=""; colour="#7ee546""##);
    for (cost, shown) in [
        ("2.500", true),
        ("2500.00", true),
        ("02500", true),
        ("2500", false),
    ] {
        let mut s = String::new();
        write_sent(&r, as_read(&r, cells(cost, "yes")), &mut s);
        assert_eq!(s.contains("cost=2500"), shown, "{cost}: {s}");
        assert!(s.ends_with("isReferral=true"), "{s}");
    }
}

proptest::proptest! {
    #[test]
    fn a_number_is_left_out_exactly_when_its_shown_text_is_the_cell(
        n in 0u64..10_000_000, scale in 0u32..6, cell in "0{0,3}[0-9]{1,12}(\\.[0-9]{0,8}0{0,3})?",
    ) {
        #[expect(clippy::cast_precision_loss, reason = "small test numbers")]
        let v = n as f64 / 10f64.powi(i32::try_from(scale).unwrap_or(0));
        for c in [cell.as_str(), &v.to_string()] {
            proptest::prop_assert_eq!(Value::Number(v).is(c), Value::Number(v).shown() == c, "{} {}", v, c);
            // An amount as read shows as the number it reads as, and is left out as that.
            let a = Value::Amount(c);
            proptest::prop_assert_eq!(a.shown(), Value::Number(amount(c)).shown());
            proptest::prop_assert_eq!(a.is(&cell), a.shown() == cell, "{} {}", c, cell);
        }
    }
}

proptest::proptest! {
    /// The quick test for a plain decimal answers as the general one.
    #[test]
    fn a_plain_amount_is_as_read_as_any_amount(cell in "0{0,3}[0-9]{1,14}(\\.[0-9]{1,6}0{0,2})?") {
        proptest::prop_assert_eq!(plain_amount_as_read(&cell), amount_as_read(&cell), "{}", cell);
    }
}

/// The rule [`quote`] follows, one character at a time.
fn quote_by_chars(s: &str) -> String {
    let mut out = String::from('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if c.is_control() => {
                let _ = write!(out, "\\u{:04x}", u32::from(c));
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

proptest::proptest! {
    #[test]
    fn quoting_copies_runs_as_the_character_rule_would(s in "(\\PC|[\\x00-\\x1f\\x7f\\u{80}-\\u{9f}\"\\\\é–])*") {
        let mut got = String::new();
        quote(&s, &mut got);
        proptest::prop_assert_eq!(got, quote_by_chars(&s));
    }
}

#[test]
fn control_characters_are_escaped() {
    let mut s = String::new();
    quote("a\tb\u{1}", &mut s);
    assert_eq!(s, r#""a\tb\u0001""#);
}
