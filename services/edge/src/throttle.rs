//! Throttling of failed logins per account and per client address, in a sliding window.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Counts recent failures; refuses further attempts once a limit is reached within the window.
pub struct LoginThrottle {
    window: Duration,
    per_account: u32,
    per_ip: u32,
    state: Mutex<State>,
}

#[derive(Default)]
struct State {
    accounts: HashMap<String, Vec<Instant>>,
    ips: HashMap<IpAddr, Vec<Instant>>,
}

fn recent(list: &mut Vec<Instant>, now: Instant, window: Duration) -> usize {
    list.retain(|t| now.duration_since(*t) < window);
    list.len()
}

impl LoginThrottle {
    pub fn new(window: Duration, per_account: u32, per_ip: u32) -> Self {
        LoginThrottle {
            window,
            per_account,
            per_ip,
            state: Mutex::new(State::default()),
        }
    }

    /// `Some(seconds)` to wait when this account or address has failed too often recently.
    pub fn check(&self, account: &str, ip: IpAddr) -> Option<u64> {
        let now = Instant::now();
        let mut st = self.state.lock().ok()?;
        let window = self.window;
        let acc = st
            .accounts
            .get_mut(&account.to_lowercase())
            .map_or(0, |l| recent(l, now, window));
        let by_ip = st.ips.get_mut(&ip).map_or(0, |l| recent(l, now, window));
        if acc >= self.per_account as usize || by_ip >= self.per_ip as usize {
            Some(self.window.as_secs().max(1))
        } else {
            None
        }
    }

    /// Records a failed login.
    pub fn failed(&self, account: &str, ip: IpAddr) {
        let now = Instant::now();
        if let Ok(mut st) = self.state.lock() {
            if st.accounts.len() > 100_000 || st.ips.len() > 100_000 {
                let window = self.window;
                st.accounts.retain(|_, l| recent(l, now, window) > 0);
                st.ips.retain(|_, l| recent(l, now, window) > 0);
            }
            st.accounts
                .entry(account.to_lowercase())
                .or_default()
                .push(now);
            st.ips.entry(ip).or_default().push(now);
        }
    }

    /// Forgets an account's failures after it logged in successfully.
    pub fn succeeded(&self, account: &str) {
        if let Ok(mut st) = self.state.lock() {
            st.accounts.remove(&account.to_lowercase());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_account_is_throttled_after_too_many_failures_and_others_are_not() {
        let t = LoginThrottle::new(Duration::from_secs(60), 3, 100);
        let ip: IpAddr = "127.0.0.1".parse().unwrap();
        for _ in 0..3 {
            assert!(t.check("a@x", ip).is_none());
            t.failed("a@x", ip);
        }
        assert!(t.check("A@X", ip).is_some());
        assert!(t.check("b@x", ip).is_none());
        t.succeeded("a@x");
        assert!(t.check("a@x", ip).is_none());
    }

    #[test]
    fn an_address_is_throttled_across_accounts() {
        let t = LoginThrottle::new(Duration::from_secs(60), 100, 2);
        let ip: IpAddr = "127.0.0.2".parse().unwrap();
        t.failed("a@x", ip);
        t.failed("b@x", ip);
        assert!(t.check("c@x", ip).is_some());
        assert!(t.check("c@x", "127.0.0.3".parse().unwrap()).is_none());
    }
}
