//! Publish-to-receive latency of the Kafka bus through a real broker, for two values of
//! `fetch.wait.max.ms`. Prints p50/p90/p99/max per setting, and the p50/p99 of the
//! acknowledgement alone (the part of the latency `publish` waits for).
//!
//!   scripts/services.sh kafka
//!   cargo bench -p eas-event-bus --bench kafka_latency            # 5,000 events per setting
//!   EAS_BENCH_EVENTS=1000 EAS_BENCH_FETCH_WAITS=10,100,500 cargo bench ...
//!
//! Events are published one at a time (each waits for its acknowledgement) with a short pause
//! between them, so the numbers are the latency of a quiet topic, not of a queue.

use std::time::{Duration, Instant};

use eas_event_bus::kafka::{KafkaBus, KafkaConfig};
use eas_event_bus::{ChangeEvent, DataClass, EventBus, EventFilter};

const PAUSE: Duration = Duration::from_millis(2);

fn env_or<T: std::str::FromStr>(name: &str, default: T) -> T {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i.min(sorted.len() - 1)]
}

/// End-to-end latencies and acknowledgement times, each sorted.
async fn run(
    brokers: &str,
    fetch_wait_max_ms: u32,
    events: u64,
) -> anyhow::Result<(Vec<Duration>, Vec<Duration>)> {
    let config = KafkaConfig {
        brokers: brokers.to_owned(),
        topic: format!("eas-bench-{}", uuid::Uuid::new_v4().simple()),
        group_id: format!("eas-bench-{}", uuid::Uuid::new_v4().simple()),
        fetch_wait_max_ms,
        ..KafkaConfig::default()
    };
    let bus = KafkaBus::connect(config).await?;
    let mut sub = bus.subscribe(EventFilter::all()).await?;
    let mut sent_at = vec![None; events as usize];
    let mut acks = Vec::with_capacity(events as usize);
    let receiver = tokio::spawn(async move {
        let mut received = Vec::with_capacity(events as usize);
        while (received.len() as u64) < events {
            match sub.recv().await {
                Ok(e) => received.push((e.counter, Instant::now())),
                Err(eas_event_bus::BusError::Lagged(n)) => eprintln!("lagged ({n})"),
                Err(e) => return Err(e),
            }
        }
        Ok(received)
    });
    for n in 0..events {
        let user = format!("user{}@example.loc", n % 50);
        let start = Instant::now();
        sent_at[n as usize] = Some(start);
        bus.publish(ChangeEvent::items(user, DataClass::Mail, "1", n))
            .await?;
        acks.push(start.elapsed());
        tokio::time::sleep(PAUSE).await;
    }
    let received = tokio::time::timeout(Duration::from_secs(120), receiver).await???;
    let mut latencies: Vec<Duration> = received
        .into_iter()
        .filter_map(|(n, at)| sent_at.get(n as usize).copied().flatten().map(|s| at - s))
        .collect();
    latencies.sort();
    acks.sort();
    Ok((latencies, acks))
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let brokers = std::env::var("EAS_TEST_KAFKA").unwrap_or_else(|_| "127.0.0.1:9092".into());
    let events: u64 = env_or("EAS_BENCH_EVENTS", 5000u64).max(1);
    let waits: Vec<u32> = std::env::var("EAS_BENCH_FETCH_WAITS")
        .unwrap_or_else(|_| "10,500".into())
        .split(',')
        .filter_map(|s| s.trim().parse().ok())
        .collect();
    println!("broker {brokers}, {events} events per setting, {PAUSE:?} between publishes");
    println!("fetch.wait.max.ms      p50      p90      p99      max  ack p50  ack p99");
    for wait in waits {
        let (l, acks) = run(&brokers, wait, events).await?;
        let ms = |d: Duration| d.as_secs_f64() * 1000.0;
        println!(
            "{wait:>17} {:>7.1}ms {:>7.1}ms {:>7.1}ms {:>7.1}ms {:>7.1}ms {:>7.1}ms",
            ms(percentile(&l, 0.50)),
            ms(percentile(&l, 0.90)),
            ms(percentile(&l, 0.99)),
            ms(l[l.len() - 1]),
            ms(percentile(&acks, 0.50)),
            ms(percentile(&acks, 0.99)),
        );
    }
    Ok(())
}
