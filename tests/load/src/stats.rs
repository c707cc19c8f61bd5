//! Summary statistics of measured durations (nearest-rank percentiles).

use std::time::Duration;

/// Count, percentiles and maximum of a set of durations.
#[derive(Clone, Copy, Debug, Default)]
pub struct Summary {
    pub count: usize,
    pub p50: Duration,
    pub p99: Duration,
    pub max: Duration,
    pub mean: Duration,
}

impl Summary {
    pub fn of(mut samples: Vec<Duration>) -> Summary {
        if samples.is_empty() {
            return Summary::default();
        }
        samples.sort();
        let n = samples.len();
        let total: Duration = samples.iter().sum();
        Summary {
            count: n,
            p50: percentile(&samples, 50),
            p99: percentile(&samples, 99),
            max: samples[n - 1],
            mean: total / n as u32,
        }
    }
}

/// Nearest rank: the smallest sample with at least `p` % of the samples at or below it.
/// `sorted` must be sorted and not empty.
pub fn percentile<T: Copy>(sorted: &[T], p: usize) -> T {
    let n = sorted.len();
    sorted[(n * p).div_ceil(100).clamp(1, n) - 1]
}

impl std::fmt::Display for Summary {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let ms = |d: Duration| d.as_secs_f64() * 1000.0;
        write!(
            f,
            "n={} p50={:.1} ms p99={:.1} ms max={:.1} ms mean={:.1} ms",
            self.count,
            ms(self.p50),
            ms(self.p99),
            ms(self.max),
            ms(self.mean)
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_are_nearest_rank() {
        let s = Summary::of((1..=100).map(Duration::from_millis).collect());
        assert_eq!(s.p50, Duration::from_millis(50));
        assert_eq!(s.p99, Duration::from_millis(99));
        assert_eq!(s.max, Duration::from_millis(100));
        let one = Summary::of(vec![Duration::from_millis(7)]);
        assert_eq!(
            (one.p50, one.p99, one.count),
            (Duration::from_millis(7), Duration::from_millis(7), 1)
        );
        assert_eq!(Summary::of(vec![]).count, 0);
        assert_eq!(percentile(&[-5i64, 1, 2], 50), 1);
    }
}
