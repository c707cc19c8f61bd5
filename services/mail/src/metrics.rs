//! The mail service's Prometheus metrics (docs/observability.md): LMTP deliveries and refusals,
//! and the outbound queue to the SMTP relay. They live in the process's registry
//! (`eas_service_kit::metrics`): `/metrics` on the health listener of `eas-mail`, on the admin
//! listener of the one-process server.

use std::sync::LazyLock;

use eas_service_kit::metrics::register;
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RefusalLabels {
    code: u16,
    reason: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct ResultLabels {
    result: &'static str,
}

struct MailMetrics {
    deliveries: Counter,
    refusals: Family<RefusalLabels, Counter>,
    queue_depth: Gauge,
    outbound: Family<ResultLabels, Counter>,
}

static METRICS: LazyLock<MailMetrics> = LazyLock::new(|| {
    let m = MailMetrics {
        deliveries: Counter::default(),
        refusals: Family::default(),
        queue_depth: Gauge::default(),
        outbound: Family::default(),
    };
    register(
        "eas_lmtp_deliveries",
        "LMTP recipients whose copy was stored (one 250 reply after DATA each)",
        m.deliveries.clone(),
    );
    register(
        "eas_lmtp_refusals",
        "LMTP refusals by reply code and reason: a recipient, a message or a connection turned away",
        m.refusals.clone(),
    );
    register(
        "eas_outbound_queue_depth",
        "Messages waiting in the outbound queue for the SMTP relay, as the relay worker last counted them (the queue is shared by every mail replica)",
        m.queue_depth.clone(),
    );
    register(
        "eas_outbound_attempts",
        "Attempts to hand a queued message to the SMTP relay, by result (sent, retry, bounced)",
        m.outbound.clone(),
    );
    m
});

/// Registers the mail service's metrics, so that they are exposed (at zero) before their first
/// use.
pub fn register_all() {
    LazyLock::force(&METRICS);
}

/// Why LMTP turned something away; the label `reason`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Refusal {
    /// 550: no mailbox by that address.
    UnknownRecipient,
    /// 451: the directory did not answer the recipient lookup.
    LookupFailed,
    /// 452: more recipients than one transaction takes.
    TooManyRecipients,
    /// 552: over the size limit (declared in MAIL FROM or found while receiving).
    TooLarge,
    /// 451: the message could not be spooled (disk).
    NotSpooled,
    /// 554: the message cannot be parsed.
    Unparseable,
    /// 451: storing the copy failed (a full disk, the database down).
    DeliveryFailed,
    /// 421: more sessions than `max_connections`.
    TooManySessions,
}

impl Refusal {
    fn labels(self) -> RefusalLabels {
        let (code, reason) = match self {
            Refusal::UnknownRecipient => (550, "unknown_recipient"),
            Refusal::LookupFailed => (451, "lookup_failed"),
            Refusal::TooManyRecipients => (452, "too_many_recipients"),
            Refusal::TooLarge => (552, "too_large"),
            Refusal::NotSpooled => (451, "not_spooled"),
            Refusal::Unparseable => (554, "unparseable"),
            Refusal::DeliveryFailed => (451, "delivery_failed"),
            Refusal::TooManySessions => (421, "too_many_sessions"),
        };
        RefusalLabels { code, reason }
    }
}

/// Counts `n` refusals of one kind (after DATA, one per recipient).
pub(crate) fn refused(why: Refusal, n: usize) {
    METRICS
        .refusals
        .get_or_create(&why.labels())
        .inc_by(n as u64);
}

/// Counts a recipient's stored copy.
pub(crate) fn delivered() {
    METRICS.deliveries.inc();
}

/// The outbound queue's depth as just counted.
pub(crate) fn queue_depth(n: u64) {
    METRICS
        .queue_depth
        .set(i64::try_from(n).unwrap_or(i64::MAX));
}

/// Counts one relay attempt's result: `sent`, `retry` or `bounced`.
pub(crate) fn relay_attempt(result: &'static str) {
    METRICS
        .outbound
        .get_or_create(&ResultLabels { result })
        .inc();
}

#[cfg(test)]
mod tests {
    use super::*;

    fn value(series: &str) -> f64 {
        eas_service_kit::metrics::render()
            .unwrap()
            .lines()
            .find_map(|l| l.strip_prefix(series)?.strip_prefix(' ')?.parse().ok())
            .unwrap_or(0.0)
    }

    #[test]
    fn refusals_are_counted_by_code_and_reason() {
        register_all();
        let series = "eas_lmtp_refusals_total{code=\"554\",reason=\"unparseable\"}";
        let before = value(series);
        refused(Refusal::Unparseable, 3);
        assert_eq!(value(series), before + 3.0);
        queue_depth(4);
        assert!(eas_service_kit::metrics::render()
            .unwrap()
            .contains("# TYPE eas_outbound_queue_depth gauge"));
    }
}
