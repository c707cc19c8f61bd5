//! Tests of the login throttling policy, in memory and against Redis on 127.0.0.1:6379.

use super::*;

fn config() -> AuthConfig {
    AuthConfig {
        max_failures_per_account: 5,
        account_window_seconds: 3600,
        max_failures_per_ip: 8,
        max_failures_per_account_and_ip: 3,
        failure_window_seconds: 300,
        ..AuthConfig::default()
    }
}

fn ip(s: &str) -> IpAddr {
    s.parse().unwrap()
}

const OWNER: &str = "jdoe@example.loc";

/// Logs the owner in once from `home`, giving that source good history.
async fn owner_logs_in(t: &LoginThrottle, home: IpAddr) {
    let a = t.begin(OWNER, home).await.unwrap();
    t.succeeded(a).await;
}

/// Bad guesses at `account` from `from` until refused; returns how many were counted.
async fn guess_until_refused(t: &LoginThrottle, account: &str, from: IpAddr) -> u32 {
    for n in 0..100 {
        match t.begin(account, from).await {
            Ok(a) => t.failed(a),
            Err(r) => {
                assert!(r.retry_after >= 1);
                return n;
            }
        }
    }
    panic!("never refused");
}

async fn owner_with_good_history_is_not_locked_out_by_guesses_from_elsewhere(t: LoginThrottle) {
    let home = ip("198.51.100.10");
    owner_logs_in(&t, home).await;
    // Guesses from many addresses exhaust the account's slow limit.
    let mut counted = 0;
    for i in 0..4 {
        counted += guess_until_refused(&t, OWNER, ip(&format!("203.0.113.{i}"))).await;
    }
    assert_eq!(
        counted, 5,
        "the per-account limit counts guesses from every address"
    );
    // A fresh address without history is refused: the account is under attack.
    assert!(t.begin(OWNER, ip("203.0.113.77")).await.is_err());
    // The owner's known address still gets its password checked, again and again.
    for _ in 0..10 {
        let a = t.begin(OWNER, home).await.expect("owner refused");
        assert!(a.had_good_history());
        t.succeeded(a).await;
        t.admit_known(OWNER, home)
            .await
            .expect("cached login refused");
    }
}

#[tokio::test]
async fn in_memory_the_owner_with_good_history_is_not_locked_out_while_the_attacker_is_refused() {
    owner_with_good_history_is_not_locked_out_by_guesses_from_elsewhere(LoginThrottle::new(
        &config(),
    ))
    .await;
}

#[tokio::test]
async fn one_address_is_limited_per_account_and_across_accounts() {
    let t = LoginThrottle::new(&config());
    let attacker = ip("203.0.113.5");
    assert_eq!(guess_until_refused(&t, "a@example.loc", attacker).await, 3);
    assert_eq!(guess_until_refused(&t, "b@example.loc", attacker).await, 3);
    // 6 of the address's 8 are used: two more accounts, then the address itself is refused.
    assert_eq!(guess_until_refused(&t, "c@example.loc", attacker).await, 2);
    assert!(t.begin("d@example.loc", attacker).await.is_err());
    assert!(t.count_malformed(attacker).await.is_err());
    // Another address is unaffected.
    assert!(t.begin("d@example.loc", ip("203.0.113.6")).await.is_ok());
}

#[tokio::test]
async fn a_known_address_is_exempt_from_the_address_limit_for_its_own_account_only() {
    let t = LoginThrottle::new(&config());
    let office = ip("192.0.2.1");
    owner_logs_in(&t, office).await;
    // A colleague behind the same address sprays other accounts until the address is refused.
    for n in 0..3 {
        guess_until_refused(&t, &format!("u{n}@example.loc"), office).await;
    }
    assert!(t.begin("other@example.loc", office).await.is_err());
    let a = t
        .begin(OWNER, office)
        .await
        .expect("owner refused at a known address");
    t.succeeded(a).await;
}

#[tokio::test]
async fn guesses_at_an_account_from_a_known_address_stay_limited() {
    let t = LoginThrottle::new(&config());
    let home = ip("198.51.100.10");
    owner_logs_in(&t, home).await;
    assert_eq!(guess_until_refused(&t, OWNER, home).await, 3);
}

#[tokio::test]
async fn a_successful_login_takes_its_charge_back_and_a_failed_one_keeps_it() {
    let t = LoginThrottle::new(&config());
    let from = ip("198.51.100.20");
    for _ in 0..10 {
        let a = t.begin("x@example.loc", from).await.unwrap();
        t.refund(a).await;
    }
    assert_eq!(guess_until_refused(&t, "x@example.loc", from).await, 3);
}

#[tokio::test]
async fn concurrent_attempts_are_counted_before_any_is_settled() {
    let t = LoginThrottle::new(&config());
    let from = ip("203.0.113.9");
    let mut pending = Vec::new();
    let mut refused = 0;
    for _ in 0..100 {
        match t.begin(OWNER, from).await {
            Ok(a) => pending.push(a),
            Err(_) => refused += 1,
        }
    }
    assert_eq!((pending.len(), refused), (3, 97));
    for a in pending {
        t.failed(a);
    }
}

#[tokio::test]
async fn ipv6_sources_are_grouped_per_64() {
    let t = LoginThrottle::new(&config());
    assert_eq!(
        guess_until_refused(&t, OWNER, ip("2001:db8:1:2::1")).await,
        3
    );
    assert!(t.begin(OWNER, ip("2001:db8:1:2:ffff::9")).await.is_err());
    assert!(t.begin(OWNER, ip("2001:db8:1:3::1")).await.is_ok());
}

#[tokio::test]
async fn verification_slots_are_bounded_and_an_excess_attempt_is_refused_after_waiting() {
    let t = LoginThrottle::new(&AuthConfig {
        max_concurrent_verifications: 2,
        verification_wait_ms: 50,
        ..config()
    });
    let a = t.verification_slot().await.unwrap();
    let _b = t.verification_slot().await.unwrap();
    let refused = t.verification_slot().await.unwrap_err();
    assert_eq!(refused.retry_after, 1);
    drop(a);
    assert!(t.verification_slot().await.is_ok());
    assert_eq!(t.verifications_started(), 3);
}

#[test]
fn refusals_round_up_to_whole_seconds() {
    assert_eq!(Refusal::from_ms(1).retry_after, 1);
    assert_eq!(Refusal::from_ms(1000).retry_after, 1);
    assert_eq!(Refusal::from_ms(1001).retry_after, 2);
}

// Against Redis on 127.0.0.1:6379 (must be running); every test uses its own key prefix.

async fn shared(prefix_tag: &str, url: &str) -> SharedLimits {
    let conn = eas_device_state::connect_redis(url, Duration::from_secs(2))
        .await
        .expect("redis on 127.0.0.1:6379");
    let prefix = format!("test:throttle:{prefix_tag}:{}:", rand::random::<u64>());
    SharedLimits::new(conn, &prefix, Duration::from_millis(500))
}

fn shared_throttle(limits: SharedLimits) -> LoginThrottle {
    let t = LoginThrottle::new(&config());
    t.share(limits);
    t
}

#[tokio::test]
async fn in_redis_the_owner_with_good_history_is_not_locked_out_while_the_attacker_is_refused() {
    let t = shared_throttle(shared("owner", "redis://127.0.0.1:6379").await);
    owner_with_good_history_is_not_locked_out_by_guesses_from_elsewhere(t).await;
}

#[tokio::test]
async fn two_edges_sharing_redis_count_one_account_together() {
    let limits = shared("two", "redis://127.0.0.1:6379").await;
    let prefix = limits.prefix.clone();
    let conn = limits.conn.clone();
    let a = shared_throttle(limits);
    let b = shared_throttle(SharedLimits::new(conn, &prefix, Duration::from_millis(500)));
    let from = ip("203.0.113.40");
    let mut counted = 0;
    for i in 0..6 {
        let edge = if i % 2 == 0 { &a } else { &b };
        if let Ok(attempt) = edge.begin(OWNER, from).await {
            edge.failed(attempt);
            counted += 1;
        }
    }
    assert_eq!(counted, 3);
    // Neither edge's own memory counted anything: Redis did.
    let keys = a.keys(Some(OWNER), from);
    for edge in [&a, &b] {
        assert_eq!(
            edge.memory.apply(&keys, Op::Check),
            Decision::Allowed { good: false }
        );
    }
}

/// A loopback TCP relay to Redis that can be cut, to take Redis away from a connection.
struct Relay {
    url: String,
    stop: tokio::sync::watch::Sender<bool>,
}

async fn relay_to_redis() -> Relay {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("redis://{}", listener.local_addr().unwrap());
    let (stop, watch) = tokio::sync::watch::channel(false);
    tokio::spawn(async move {
        let mut cut_all = watch.clone();
        loop {
            let mut cut = watch.clone();
            tokio::select! {
                accepted = listener.accept() => {
                    let Ok((mut inbound, _)) = accepted else { return };
                    let Ok(mut outbound) = tokio::net::TcpStream::connect("127.0.0.1:6379").await
                    else { return };
                    tokio::spawn(async move {
                        tokio::select! {
                            _ = tokio::io::copy_bidirectional(&mut inbound, &mut outbound) => {}
                            _ = cut.changed() => {}
                        }
                    });
                }
                _ = cut_all.changed() => return,
            }
        }
    });
    Relay { url, stop }
}

#[tokio::test]
async fn when_redis_is_unreachable_limits_fall_back_to_this_process() {
    let relay = relay_to_redis().await;
    let t = shared_throttle(shared("down", &relay.url).await);
    let from = ip("203.0.113.50");
    let a = t.begin(OWNER, from).await.unwrap();
    assert_eq!(a.backend, Backend::Shared);
    t.failed(a);
    relay.stop.send(true).unwrap();
    // Redis is gone: attempts are still counted, now in memory, and still refused at the limit.
    assert_eq!(guess_until_refused(&t, OWNER, from).await, 3);
    let owner = ip("198.51.100.60");
    let a = t.begin(OWNER, owner).await.unwrap();
    assert_eq!(a.backend, Backend::Memory);
    t.succeeded(a).await;
}
