//! Blobs read, written and matched: real clients' blobs, both hemispheres, zones without
//! daylight saving time, every IANA zone round trip, and malformed values.

use base64::Engine as _;
use chrono::{Offset as _, TimeZone as _, Utc};
use chrono_tz::{Tz, TZ_VARIANTS};

use super::*;

fn blob(bias: i32, std: SystemTime, dst: SystemTime, dst_bias: i32) -> TimeZoneBlob {
    TimeZoneBlob {
        bias,
        standard_date: std,
        daylight_date: dst,
        daylight_bias: dst_bias,
        ..TimeZoneBlob::default()
    }
}

/// Berlin as Windows writes it: last Sunday of October 03:00, last Sunday of March 02:00.
fn berlin() -> TimeZoneBlob {
    TimeZoneBlob {
        standard_name: "W. Europe Standard Time".into(),
        daylight_name: "W. Europe Daylight Time".into(),
        ..blob(
            -60,
            SystemTime::annual(10, 5, 0, 3, 0),
            SystemTime::annual(3, 5, 0, 2, 0),
            -60,
        )
    }
}

/// Berlin as Android writes it (tine20 #2840): no names, October's week as 4.
fn android_berlin() -> TimeZoneBlob {
    blob(
        -60,
        SystemTime::annual(10, 4, 0, 3, 0),
        SystemTime::annual(3, 5, 0, 2, 0),
        -60,
    )
}

#[test]
fn the_pacific_example_of_the_specification_reads_as_los_angeles() {
    // The Timezone value of the MS-ASCAL examples (Pacific Standard Time, with names).
    let text = "4AEAAFAAYQBjAGkAZgBpAGMAIABTAHQAYQBuAGQAYQByAGQAIABUAGkAbQBlAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAsAAAABAAIAAAAAAAAAAAAAAFAAYQBjAGkAZgBpAGMAIABEAGEAeQBsAGkAZwBoAHQAIABUAGkAbQBlAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAMAAAACAAIAAAAAAAAAxP///w==";
    let b = TimeZoneBlob::from_base64(text).expect("reads");
    assert_eq!(b.bias, 480);
    assert_eq!(b.standard_name, "Pacific Standard Time");
    assert_eq!(b.daylight_name, "Pacific Daylight Time");
    assert_eq!(b.standard_date, SystemTime::annual(11, 1, 0, 2, 0));
    assert_eq!(b.daylight_date, SystemTime::annual(3, 2, 0, 2, 0));
    assert_eq!(b.daylight_bias, -60);
    assert_eq!(b.to_base64(), text, "written back byte for byte");
    assert_eq!(
        match_zone(&b, 2026, None),
        Some(chrono_tz::America::Los_Angeles)
    );
}

#[test]
fn berlin_matches_berlin_or_the_users_zone_of_the_same_rule() {
    let b = berlin();
    assert_eq!(match_zone(&b, 2026, None), Some(chrono_tz::Europe::Berlin));
    assert_eq!(
        match_zone(&b, 2026, Some(chrono_tz::Europe::Paris)),
        Some(chrono_tz::Europe::Paris),
        "the user's zone when it has the same offsets"
    );
    assert_eq!(
        match_zone(&b, 2026, Some(chrono_tz::America::New_York)),
        Some(chrono_tz::Europe::Berlin),
        "not the user's zone when it has other offsets"
    );
    let all = matching_zones(&b, 2026);
    assert!(all.contains(&chrono_tz::Europe::Amsterdam));
    assert!(!all.contains(&chrono_tz::Europe::London));
}

#[test]
fn the_android_berlin_blob_matches_berlin_in_every_year() {
    let b = android_berlin();
    // 2026: the 4th Sunday of October is the last; 2027: it is the 24th, the last the 31st.
    for year in 2024..=2032 {
        assert_eq!(
            match_zone(&b, year, None),
            Some(chrono_tz::Europe::Berlin),
            "{year}"
        );
    }
    let b = TimeZoneBlob::from_base64(&b.to_base64()).expect("reads");
    assert_eq!(b.standard_name, "");
}

#[test]
fn new_york_sydney_auckland_kolkata_and_utc() {
    let ny = blob(
        300,
        SystemTime::annual(11, 1, 0, 2, 0),
        SystemTime::annual(3, 2, 0, 2, 0),
        -60,
    );
    assert_eq!(
        match_zone(&ny, 2026, None),
        Some(chrono_tz::America::New_York)
    );
    assert_eq!(
        match_zone(&ny, 2026, Some(chrono_tz::America::Toronto)),
        Some(chrono_tz::America::Toronto)
    );

    // Southern hemisphere: daylight time starts in October and ends in April.
    let sydney = blob(
        -600,
        SystemTime::annual(4, 1, 0, 3, 0),
        SystemTime::annual(10, 1, 0, 2, 0),
        -60,
    );
    assert_eq!(
        match_zone(&sydney, 2026, None),
        Some(chrono_tz::Australia::Sydney)
    );
    let p = blob_profile(&sydney, 2026);
    assert_eq!(p.initial, 11 * 3600, "summer at New Year");

    let auckland = blob(
        -720,
        SystemTime::annual(4, 1, 0, 3, 0),
        SystemTime::annual(9, 5, 0, 2, 0),
        -60,
    );
    assert_eq!(
        match_zone(&auckland, 2027, None),
        Some(chrono_tz::Pacific::Auckland)
    );

    let kolkata = blob(-330, SystemTime::default(), SystemTime::default(), 0);
    assert_eq!(
        match_zone(&kolkata, 2026, None),
        Some(chrono_tz::Asia::Kolkata)
    );

    let utc = TimeZoneBlob::default();
    assert_eq!(match_zone(&utc, 2026, None), Some(Tz::UTC));
    assert_eq!(
        match_zone(&utc, 2026, Some(chrono_tz::Africa::Abidjan)),
        Some(chrono_tz::Africa::Abidjan)
    );
}

#[test]
fn a_blob_no_zone_has_matches_nothing_and_falls_back_to_its_offset() {
    // UTC+1 with daylight time from the 1st Sunday of June to the 1st Sunday of July.
    let odd = blob(
        -60,
        SystemTime::annual(7, 1, 0, 3, 0),
        SystemTime::annual(6, 1, 0, 2, 0),
        -60,
    );
    assert_eq!(match_zone(&odd, 2026, None), None);
    assert_eq!(fixed_zone_for(&odd), "Etc/GMT-1".parse().ok());
    assert_eq!(
        fixed_zone_for(&blob(300, Default::default(), Default::default(), 0)),
        "Etc/GMT+5".parse().ok()
    );
    assert_eq!(
        fixed_zone_for(&blob(-330, Default::default(), Default::default(), 0)),
        None
    );
}

#[test]
fn zones_are_written_with_empty_names_and_nth_or_last_weekdays() {
    let b = encode_zone_year(chrono_tz::Europe::Berlin, 2026).expect("a rule");
    assert_eq!(b.standard_name, "");
    assert_eq!(b.daylight_name, "");
    assert_eq!(b.bias, -60);
    assert_eq!(b.daylight_bias, -60);
    assert_eq!(b.standard_bias, 0);
    assert_eq!(b.standard_date, SystemTime::annual(10, 5, 0, 3, 0));
    assert_eq!(b.daylight_date, SystemTime::annual(3, 5, 0, 2, 0));
    let bytes = b.to_bytes();
    assert!(bytes[4..68].iter().all(|x| *x == 0) && bytes[88..152].iter().all(|x| *x == 0));

    let ny = encode_zone_year(chrono_tz::America::New_York, 2026).expect("a rule");
    assert_eq!(ny.bias, 300);
    assert_eq!(ny.standard_date, SystemTime::annual(11, 1, 0, 2, 0));
    assert_eq!(ny.daylight_date, SystemTime::annual(3, 2, 0, 2, 0));

    let syd = encode_zone_year(chrono_tz::Australia::Sydney, 2026).expect("a rule");
    assert_eq!(syd.bias, -600);
    assert_eq!(syd.standard_date, SystemTime::annual(4, 1, 0, 3, 0));
    assert_eq!(syd.daylight_date, SystemTime::annual(10, 1, 0, 2, 0));

    let kolkata = encode_zone_year(chrono_tz::Asia::Kolkata, 2026).expect("a rule");
    assert_eq!(
        kolkata,
        blob(-330, SystemTime::default(), SystemTime::default(), 0)
    );

    // Auckland's September change is on the last Sunday even when that is the 4th.
    for year in 2026..=2030 {
        let akl = encode_zone_year(chrono_tz::Pacific::Auckland, year).expect("a rule");
        assert_eq!(akl.daylight_date.day, 5, "{year}");
    }
}

#[test]
fn a_year_without_a_rule_gives_the_offset_at_the_event() {
    // Morocco leaves UTC+1 for Ramadan, which begins twice in 2029: three changes.
    let casablanca = chrono_tz::Africa::Casablanca;
    let err = encode_zone_year(casablanca, 2029).expect_err("no annual rule");
    assert_eq!(err.zone, "Africa/Casablanca");
    assert_eq!(err.changes, 3);
    let at = Utc.with_ymd_and_hms(2029, 7, 1, 12, 0, 0).unwrap();
    let b = encode_zone(casablanca, at);
    assert!(!b.has_dst());
    let offset = casablanca
        .offset_from_utc_datetime(&at.naive_utc())
        .fix()
        .local_minus_utc();
    assert_eq!(b.standard_offset(), offset);
}

#[test]
fn every_zone_with_a_rule_comes_back_with_the_same_offsets() {
    for year in [2026, 2027] {
        let mut encoded = 0;
        for zone in TZ_VARIANTS {
            let Ok(b) = encode_zone_year(zone, year) else {
                continue;
            };
            encoded += 1;
            let want = zone_profile(zone, year);
            let b = TimeZoneBlob::from_base64(&b.to_base64()).expect("reads what it writes");
            assert_eq!(blob_profile(&b, year), want, "{} {year}", zone.name());
            assert_eq!(
                match_zone(&b, year, Some(zone)),
                Some(zone),
                "{} {year} with itself preferred",
                zone.name()
            );
            let found = match_zone(&b, year, None).expect("a zone");
            assert_eq!(
                zone_profile(found, year),
                want,
                "{} {year} matched {}",
                zone.name(),
                found.name()
            );
        }
        assert!(encoded > 550, "{encoded} zones encoded in {year}");
    }
}

#[test]
fn malformed_blobs_are_refused_with_a_reason() {
    let good = berlin().to_bytes();
    let b64 = |b: &[u8]| base64::engine::general_purpose::STANDARD.encode(b);

    assert_eq!(
        TimeZoneBlob::from_base64(&b64(&good[..171])),
        Err(TzBlobError::Length(171))
    );
    assert_eq!(
        TimeZoneBlob::from_base64("not base64!"),
        Err(TzBlobError::Base64)
    );

    let mut month_13 = good;
    month_13[68 + 2] = 13;
    let err = TimeZoneBlob::from_base64(&b64(&month_13)).expect_err("month 13");
    assert!(
        matches!(
            err,
            TzBlobError::BadDate {
                which: "StandardDate",
                ..
            }
        ),
        "{err}"
    );
    assert!(err.to_string().contains("month"), "{err}");

    let mut week_6 = good;
    week_6[152 + 6] = 6;
    assert!(matches!(
        TimeZoneBlob::from_bytes(&week_6),
        Err(TzBlobError::BadDate {
            which: "DaylightDate",
            ..
        })
    ));

    let mut huge_bias = good;
    huge_bias[0..4].copy_from_slice(&5000i32.to_le_bytes());
    assert_eq!(
        TimeZoneBlob::from_bytes(&huge_bias),
        Err(TzBlobError::BadBias(5000))
    );

    // Line breaks inside the base64 are allowed.
    let wrapped = {
        let t = b64(&good);
        format!("{}\r\n{}", &t[..40], &t[40..])
    };
    assert_eq!(TimeZoneBlob::from_base64(&wrapped), Ok(berlin()));
}
