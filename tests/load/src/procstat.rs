//! A process's CPU time and memory from /proc (proc(5)): utime+stime, VmRSS and VmHWM.

use std::sync::OnceLock;
use std::time::Duration;

use crate::Error;

/// One reading of a process's counters.
#[derive(Clone, Copy, Debug)]
pub struct ProcStat {
    /// User plus system CPU time of every thread so far.
    pub cpu: Duration,
    /// Resident set size now, in KiB.
    pub rss_kib: u64,
    /// Peak resident set size ("high water mark"), in KiB.
    pub hwm_kib: u64,
}

/// Clock ticks per second of /proc/PID/stat's times (`getconf CLK_TCK`).
fn clock_ticks() -> Result<u64, Error> {
    static TICKS: OnceLock<Option<u64>> = OnceLock::new();
    TICKS
        .get_or_init(|| {
            let out = std::process::Command::new("getconf")
                .arg("CLK_TCK")
                .output()
                .ok()?;
            String::from_utf8_lossy(&out.stdout).trim().parse().ok()
        })
        .ok_or_else(|| Error::Server("getconf CLK_TCK failed".into()))
}

impl ProcStat {
    pub fn read(pid: u32) -> Result<ProcStat, Error> {
        let stat = std::fs::read_to_string(format!("/proc/{pid}/stat"))
            .map_err(|e| Error::io(format!("/proc/{pid}/stat"), e))?;
        // The command name (field 2) is in parentheses and may hold spaces: count after it.
        let after = stat
            .rsplit_once(')')
            .map(|(_, rest)| rest)
            .ok_or_else(|| Error::Server(format!("bad /proc/{pid}/stat")))?;
        let fields: Vec<&str> = after.split_whitespace().collect();
        // Fields 14 and 15 (utime, stime) are at 11 and 12 counting from field 3.
        let tick = |i: usize| -> Result<u64, Error> {
            fields
                .get(i)
                .and_then(|f| f.parse().ok())
                .ok_or_else(|| Error::Server(format!("bad /proc/{pid}/stat field {}", i + 3)))
        };
        let ticks = tick(11)? + tick(12)?;
        let hz = clock_ticks()?;
        let cpu = Duration::from_nanos(ticks * 1_000_000_000 / hz);
        let status = std::fs::read_to_string(format!("/proc/{pid}/status"))
            .map_err(|e| Error::io(format!("/proc/{pid}/status"), e))?;
        let kib = |name: &str| -> Result<u64, Error> {
            status
                .lines()
                .find_map(|l| l.strip_prefix(name))
                .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
                .ok_or_else(|| Error::Server(format!("no {name} in /proc/{pid}/status")))
        };
        Ok(ProcStat {
            cpu,
            rss_kib: kib("VmRSS:")?,
            hwm_kib: kib("VmHWM:")?,
        })
    }

    /// Resets the peak (VmHWM) to the current RSS, so a later reading shows the peak of what
    /// happened in between (writing 5 to /proc/PID/clear_refs, Linux 4.0+).
    pub fn reset_peak(pid: u32) -> Result<(), Error> {
        std::fs::write(format!("/proc/{pid}/clear_refs"), b"5")
            .map_err(|e| Error::io(format!("/proc/{pid}/clear_refs"), e))
    }
}

/// KiB as MiB for reports.
pub fn mib(kib: u64) -> f64 {
    kib as f64 / 1024.0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn this_process_has_cpu_time_and_a_peak_at_least_its_rss() {
        let s = ProcStat::read(std::process::id()).unwrap();
        assert!(s.rss_kib > 0);
        assert!(s.hwm_kib >= s.rss_kib);
    }
}
