//! The benchmark's calendar read by the server's own calendar model (`eas-calendar-model`, the
//! import the admin API runs): every event is taken without a warning, as the kind of series it
//! was written as, and the model's end of the last occurrence (the FilterType date, MS-ASCMD
//! 2.2.3.68.2) is the one the generator computed on its own.

use chrono::{NaiveDate, TimeZone, Utc};
use eas_calendar_model::ical::{import, ImportOptions};
use eas_load::calgen::{subject_index, Calendar, Kind, Spec};

#[test]
fn the_model_reads_every_generated_event_with_the_last_end_the_generator_expects() {
    let today = NaiveDate::from_ymd_opt(2026, 12, 7).unwrap();
    let stamp = Utc.with_ymd_and_hms(2026, 12, 7, 9, 0, 0).unwrap();
    let cal = Calendar::generate(
        Spec {
            count: 1500,
            recurring_percent: 20,
            seed: 11,
        },
        today,
        stamp,
        &[],
    )
    .unwrap();
    let opts = ImportOptions {
        user_email: Some("jdoe@example.loc".into()),
        ..ImportOptions::default()
    };
    let imported = import(&cal.to_ical(), &opts).unwrap();
    assert!(imported.warnings.is_empty(), "{:?}", imported.warnings);
    assert_eq!(imported.events.len(), cal.events.len());
    let mut seen = vec![false; cal.events.len()];
    for ev in &imported.events {
        let i = subject_index(ev.subject.as_deref().unwrap()).unwrap();
        let g = &cal.events[i];
        assert!(!seen[i], "{} twice", g.description);
        seen[i] = true;
        assert_eq!(ev.last_end(), g.last_end, "{}", g.description);
        assert_eq!(
            ev.recurrence.is_some(),
            g.kind.recurring(),
            "{}",
            g.description
        );
        let all_day = matches!(g.kind, Kind::AllDay | Kind::YearlyAllDay);
        assert_eq!(ev.when.is_all_day(), all_day, "{}", g.description);
        if !all_day {
            assert_eq!(
                ev.time_zone.unwrap_or(chrono_tz::Tz::UTC),
                g.zone.unwrap(),
                "{}",
                g.description
            );
        }
        assert_eq!(
            ev.exceptions.len(),
            g.moved + g.deleted,
            "{}",
            g.description
        );
    }
}
