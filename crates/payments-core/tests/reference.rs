//! Merchant reference validation and generators.

use payments_core::Error;
use payments_core::reference::{
    Charset, MerchantReference, ReferenceGenerator, ReferenceRules, SeededUuidReferences,
    SequentialReferences, UuidFormat, UuidReferences,
};

const REF_ID: ReferenceRules = ReferenceRules {
    field: "refId",
    max_len: 36,
    charset: Charset::AlphanumericDashUnderscore,
};

fn reason(result: Result<MerchantReference, Error>) -> (String, String) {
    match result {
        Err(Error::InvalidInput { field, reason }) => (field.into_owned(), reason),
        other => panic!("expected InvalidInput, got {other:?}"),
    }
}

#[test]
fn valid_references_are_kept_verbatim() {
    let r = MerchantReference::new("order_42-A", &REF_ID).unwrap();
    assert_eq!(r.as_str(), "order_42-A");
    assert_eq!(r.to_string(), "order_42-A");
    assert!(MerchantReference::new("x".repeat(36), &REF_ID).is_ok());
}

#[test]
fn empty_reference_is_refused_naming_the_field() {
    let (field, why) = reason(MerchantReference::new("", &REF_ID));
    assert_eq!(field, "refId");
    assert_eq!(why, "must not be empty");
}

#[test]
fn too_long_reference_is_refused_with_the_limit() {
    let (field, why) = reason(MerchantReference::new("x".repeat(37), &REF_ID));
    assert_eq!(field, "refId");
    assert_eq!(why, "is 37 characters long; at most 36 are accepted");
}

#[test]
fn characters_outside_the_charset_are_refused() {
    for bad in ["a b", "a/b", "ä", "a.b", "a\nb"] {
        let (_, why) = reason(MerchantReference::new(bad, &REF_ID));
        assert!(why.starts_with("contains "), "{bad:?}: {why}");
    }
    let digits = ReferenceRules {
        field: "custom_transaction_id",
        max_len: 190,
        charset: Charset::Digits,
    };
    assert!(MerchantReference::new("123465477897", &digits).is_ok());
    assert!(MerchantReference::new("12a", &digits).is_err());
    let braced = ReferenceRules {
        field: "GUID",
        max_len: 38,
        charset: Charset::BracedUuid,
    };
    assert!(MerchantReference::new("{67e55044-10b1-426f-9247-bb680e5fe0c8}", &braced).is_ok());
    let printable = ReferenceRules {
        field: "label",
        max_len: 190,
        charset: Charset::PrintableAscii,
    };
    assert!(MerchantReference::new("user#55@shop", &printable).is_ok());
    assert!(MerchantReference::new("user 55", &printable).is_err());
}

#[test]
fn length_counts_characters_not_bytes() {
    let any = ReferenceRules {
        field: "label",
        max_len: 3,
        charset: Charset::PrintableAscii,
    };
    let (_, why) = reason(MerchantReference::new("ကကကက", &any));
    assert!(why.starts_with("is 4 characters long"), "{why}");
}

#[test]
fn uuid_references_are_unique_and_fit_the_rules() {
    let generator = UuidReferences::default();
    let a = MerchantReference::generate(&generator, &REF_ID).unwrap();
    let b = MerchantReference::generate(&generator, &REF_ID).unwrap();
    assert_ne!(a, b);
    assert_eq!(a.as_str().len(), 36);
    let braced = UuidReferences {
        format: UuidFormat::Braced,
    }
    .generate();
    assert!(
        braced.starts_with('{') && braced.ends_with('}') && braced.len() == 38,
        "{braced}"
    );
    assert_eq!(
        UuidReferences {
            format: UuidFormat::Simple
        }
        .generate()
        .len(),
        32
    );
}

#[test]
fn seeded_uuid_references_repeat_for_the_same_seed() {
    let first: Vec<String> = {
        let g = SeededUuidReferences::new(7, UuidFormat::Hyphenated);
        (0..5).map(|_| g.generate()).collect()
    };
    let again: Vec<String> = {
        let g = SeededUuidReferences::new(7, UuidFormat::Hyphenated);
        (0..5).map(|_| g.generate()).collect()
    };
    let other = SeededUuidReferences::new(8, UuidFormat::Hyphenated).generate();
    assert_eq!(first, again);
    assert_ne!(first[0], other);
    let unique: std::collections::HashSet<_> = first.iter().collect();
    assert_eq!(unique.len(), 5);
    let parsed = uuid::Uuid::parse_str(&first[0]).unwrap();
    assert_eq!(parsed.get_version_num(), 4);
}

#[test]
fn sequential_references_count_up() {
    let g = SequentialReferences::new("test");
    assert_eq!(g.generate(), "test-000001");
    assert_eq!(g.generate(), "test-000002");
}

#[test]
fn a_generator_whose_output_breaks_the_rules_is_an_error_not_a_bad_request() {
    let g = SequentialReferences::new("has space");
    assert!(MerchantReference::generate(&g, &REF_ID).is_err());
}
