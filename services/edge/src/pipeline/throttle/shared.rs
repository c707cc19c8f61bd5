//! Login limits shared by every edge replica: one Lua script in Redis (run with EVALSHA) checks
//! and counts all limits of one attempt atomically, on Redis's clock, so that attempts spread
//! over several edges are counted once.

use std::time::Duration;

use redis::aio::ConnectionManager;

use super::{Decision, Keys, Op};

/// KEYS[1]: the good-history key of the account and source ('' key when the attempt names no
/// account); KEYS[2..]: the limit keys.
/// ARGV[1]: op (`charge`, `check`, `refund`, `success`); ARGV[2]: '1' when there is an account;
/// ARGV[3]: history lifetime in ms; ARGV[4]: the good flag the charge saw (refund, success);
/// then per limit key: period in ms, attempts per period, '1' when good history exempts it.
///
/// Each limit is a GCRA: the stored value is the theoretical arrival time of the next attempt;
/// an attempt is allowed when it keeps that time within one period of now, so at most `max`
/// attempts pass in a burst and then one per `period / max`.
const SCRIPT: &str = r#"
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local op = ARGV[1]
local good = false
if op == 'charge' or op == 'check' then
  good = ARGV[2] == '1' and redis.call('EXISTS', KEYS[1]) == 1
else
  good = ARGV[4] == '1'
end
local applying = {}
for i = 2, #KEYS do
  local b = 5 + 3 * (i - 2)
  if not (good and ARGV[b + 2] == '1') then
    local period = tonumber(ARGV[b])
    local step = math.max(1, math.floor(period / tonumber(ARGV[b + 1])))
    table.insert(applying, {KEYS[i], period, step})
  end
end
local flag = 0
if good then flag = 1 end
if op == 'charge' or op == 'check' then
  local wait = 0
  local tats = {}
  for j, l in ipairs(applying) do
    local tat = tonumber(redis.call('GET', l[1]) or '0') or 0
    if tat < now then tat = now end
    local new_tat = tat + l[3]
    if new_tat - now > l[2] then
      wait = math.max(wait, new_tat - l[2] - now)
    end
    tats[j] = new_tat
  end
  if wait > 0 then return {0, wait, flag} end
  if op == 'charge' then
    for j, l in ipairs(applying) do
      redis.call('SET', l[1], string.format('%d', tats[j]), 'PX', string.format('%d', tats[j] - now))
    end
  end
  return {1, 0, flag}
end
for _, l in ipairs(applying) do
  local tat = tonumber(redis.call('GET', l[1]) or '0') or 0
  local back = tat - l[3]
  if back <= now then
    redis.call('DEL', l[1])
  else
    redis.call('SET', l[1], string.format('%d', back), 'PX', string.format('%d', back - now))
  end
end
if op == 'success' and ARGV[2] == '1' then
  redis.call('SET', KEYS[1], '1', 'PX', ARGV[3])
end
return {1, 0, flag}
"#;

/// The Redis connection and key prefix of the shared limits.
pub struct SharedLimits {
    pub(super) conn: ConnectionManager,
    pub(super) prefix: String,
    timeout: Duration,
    script: redis::Script,
}

impl SharedLimits {
    /// Uses `conn` (see `eas_device_state::connect_redis`); every key starts with `prefix`.
    pub fn new(conn: ConnectionManager, prefix: &str, timeout: Duration) -> Self {
        SharedLimits {
            conn,
            prefix: prefix.to_owned(),
            timeout,
            script: redis::Script::new(SCRIPT),
        }
    }

    /// Applies `op` to the keys of one attempt; an error when Redis does not answer in time.
    pub(super) async fn apply(&self, keys: &Keys, op: Op) -> Result<Decision, String> {
        let mut inv = self.script.prepare_invoke();
        let history = keys.history.as_deref().unwrap_or("none");
        inv.key(format!("{}{history}", self.prefix));
        for limit in &keys.limits {
            inv.key(format!("{}{}", self.prefix, limit.key));
        }
        let (name, good) = match op {
            Op::Charge => ("charge", false),
            Op::Check => ("check", false),
            Op::Refund { good } => ("refund", good),
            Op::Success { good } => ("success", good),
        };
        inv.arg(name)
            .arg(if keys.history.is_some() { "1" } else { "0" })
            .arg(keys.history_ttl_ms)
            .arg(if good { "1" } else { "0" });
        for limit in &keys.limits {
            inv.arg(limit.period_ms)
                .arg(limit.max)
                .arg(if limit.exempt_when_good { "1" } else { "0" });
        }
        let mut conn = self.conn.clone();
        let answer: (i64, i64, i64) =
            match tokio::time::timeout(self.timeout, inv.invoke_async(&mut conn)).await {
                Ok(r) => r.map_err(|e| e.to_string())?,
                Err(_) => return Err("request timed out".into()),
            };
        Ok(match answer {
            (1, _, flag) => Decision::Allowed { good: flag == 1 },
            (_, wait, _) => Decision::Refused {
                retry_ms: u64::try_from(wait).unwrap_or(1000).max(1),
            },
        })
    }
}
