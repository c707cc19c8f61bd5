//! FilterType (MS-ASCMD 2.2.3.68.2): the time window of items a device keeps, as a cutoff relative to `now`.

use serde::{Deserialize, Serialize};

use crate::item::ItemVersion;

const DAY: i64 = 86_400;

/// The FilterType values of MS-ASCMD 2.2.3.68.1 and 2.2.3.68.2.
///
/// Months are counted generously (31, 92 and 183 days) so that an item is never dropped early in a long
/// month. Which values a data class accepts (email: 0 to 5, calendar: 0 and 4 to 7, tasks: 0 and 8) is the
/// caller's check; the engine applies any of them.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum FilterType {
    /// 0: no filter, every item.
    #[default]
    All,
    /// 1: one day back.
    OneDay,
    /// 2: three days back.
    ThreeDays,
    /// 3: one week back.
    OneWeek,
    /// 4: two weeks back.
    TwoWeeks,
    /// 5: one month back.
    OneMonth,
    /// 6: three months back.
    ThreeMonths,
    /// 7: six months back.
    SixMonths,
    /// 8: incomplete tasks only.
    IncompleteTasks,
}

impl FilterType {
    /// The value from the wire; `None` for 9 and above (MS-ASCMD 2.2.3.68.1: status 103 in GetItemEstimate,
    /// a protocol error in Sync).
    pub fn from_code(code: u8) -> Option<Self> {
        Some(match code {
            0 => Self::All,
            1 => Self::OneDay,
            2 => Self::ThreeDays,
            3 => Self::OneWeek,
            4 => Self::TwoWeeks,
            5 => Self::OneMonth,
            6 => Self::ThreeMonths,
            7 => Self::SixMonths,
            8 => Self::IncompleteTasks,
            _ => return None,
        })
    }

    /// The value on the wire.
    pub fn code(self) -> u8 {
        match self {
            Self::All => 0,
            Self::OneDay => 1,
            Self::ThreeDays => 2,
            Self::OneWeek => 3,
            Self::TwoWeeks => 4,
            Self::OneMonth => 5,
            Self::ThreeMonths => 6,
            Self::SixMonths => 7,
            Self::IncompleteTasks => 8,
        }
    }

    /// How far back the window reaches, in seconds; `None` when the filter is not a time window.
    pub fn period_seconds(self) -> Option<i64> {
        Some(match self {
            Self::All | Self::IncompleteTasks => return None,
            Self::OneDay => DAY,
            Self::ThreeDays => 3 * DAY,
            Self::OneWeek => 7 * DAY,
            Self::TwoWeeks => 14 * DAY,
            Self::OneMonth => 31 * DAY,
            Self::ThreeMonths => 92 * DAY,
            Self::SixMonths => 183 * DAY,
        })
    }

    /// The window in effect at `now` (unix seconds). MS-ASCMD 2.2.3.68.2: the start of the window is `now`
    /// minus the period; items dated from there on are within it (later dates too, so that a clock a little
    /// ahead does not hide new mail).
    pub fn window(self, now: i64) -> Window {
        Window {
            since: self.period_seconds().map(|p| now.saturating_sub(p)),
            incomplete_only: self == Self::IncompleteTasks,
        }
    }

    /// Whether switching from `self` to `to` can only remove items (a shorter time window), so that held
    /// dates are enough to apply it; any other change needs a rescan of the folder.
    pub fn narrows_to(self, to: FilterType) -> bool {
        if self == Self::IncompleteTasks || to == Self::IncompleteTasks {
            return self == to;
        }
        match (self.period_seconds(), to.period_seconds()) {
            (_, None) => self == Self::All,
            (None, Some(_)) => true,
            (Some(from), Some(to)) => to <= from,
        }
    }
}

/// Which items a device should hold at one instant.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Window {
    /// Items dated before this (unix seconds) are outside; `None` means no time limit.
    pub since: Option<i64>,
    /// Only items that are not complete (FilterType 8).
    pub incomplete_only: bool,
}

impl Window {
    /// No filter at all.
    pub const ALL: Window = Window {
        since: None,
        incomplete_only: false,
    };

    /// Whether a live item belongs on the device.
    pub fn admits(&self, item: &ItemVersion) -> bool {
        !(self.incomplete_only && item.complete) && self.admits_date(item.date)
    }

    /// Whether an item with this date is within the time part of the window.
    pub fn admits_date(&self, date: Option<i64>) -> bool {
        match (self.since, date) {
            (Some(since), Some(date)) => date >= since,
            _ => true,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_code_from_zero_to_eight_round_trips_and_nine_is_refused() {
        for code in 0..=8 {
            let filter = FilterType::from_code(code);
            assert_eq!(filter.map(FilterType::code), Some(code));
        }
        assert_eq!(FilterType::from_code(9), None);
    }

    #[test]
    fn a_three_day_window_starts_three_days_before_now() {
        let w = FilterType::ThreeDays.window(10 * DAY);
        assert_eq!(w.since, Some(7 * DAY));
        assert!(w.admits_date(Some(7 * DAY)));
        assert!(!w.admits_date(Some(7 * DAY - 1)));
        assert!(w.admits_date(None));
    }

    #[test]
    fn shortening_the_window_narrows_and_lengthening_it_does_not() {
        assert!(FilterType::OneMonth.narrows_to(FilterType::OneWeek));
        assert!(FilterType::All.narrows_to(FilterType::OneDay));
        assert!(!FilterType::OneWeek.narrows_to(FilterType::OneMonth));
        assert!(!FilterType::OneDay.narrows_to(FilterType::All));
        assert!(!FilterType::All.narrows_to(FilterType::IncompleteTasks));
        assert!(FilterType::All.narrows_to(FilterType::All));
    }

    #[test]
    fn incomplete_tasks_admit_only_open_tasks() {
        let w = FilterType::IncompleteTasks.window(0);
        let mut task = ItemVersion::live("t", 1, Some(0));
        assert!(w.admits(&task));
        task.complete = true;
        assert!(!w.admits(&task));
    }
}
