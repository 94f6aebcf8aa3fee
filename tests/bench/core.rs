//! Native benchmark of the core, for profiling (`cargo bench --bench core`, or `make bench`).
//! A plain `Instant` loop: per-event cost over every real fixture against the floor of one
//! serde_json round trip, and the cost per rule as an event grows from 1 to 1,000 sources.
//! Under `cargo test` (no `--bench` argument) it runs each case once, as a smoke test.
//! Profile with e.g. `perf record cargo bench --bench core -- --bench fixtures`.

use serde_json::{json, Value};
use std::hint::black_box;
use std::time::{Duration, Instant};

/// Median nanoseconds per call of `f`, over `rounds` rounds of at least `min` each.
fn median_ns(rounds: usize, min: Duration, mut f: impl FnMut()) -> f64 {
    let mut per: Vec<f64> = (0..rounds)
        .map(|_| {
            let start = Instant::now();
            let mut n = 0u64;
            while n == 0 || start.elapsed() < min {
                f();
                n += 1;
            }
            start.elapsed().as_nanos() as f64 / n as f64
        })
        .collect();
    per.sort_by(f64::total_cmp);
    per[per.len() / 2]
}

fn fixtures() -> Vec<(String, String)> {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/events");
    let mut v: Vec<(String, String)> = std::fs::read_dir(dir)
        .expect("fixtures")
        .filter_map(|e| e.ok())
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .map(|p| (p.file_name().unwrap().to_string_lossy().into_owned(), std::fs::read_to_string(&p).unwrap()))
        .collect();
    v.sort();
    v
}

/// A synthetic AuthorizeSecurityGroupIngress with `n` IPv4 sources (the scaling input).
pub fn synthetic(n: usize) -> Value {
    let ranges: Vec<Value> =
        (0..n).map(|i| json!({ "cidrIp": format!("10.{}.{}.0/24", i / 256 % 256, i % 256), "description": format!("office {i}") })).collect();
    json!({
        "version": "0", "detail-type": "AWS API Call via CloudTrail", "source": "aws.ec2",
        "account": "111122223333", "region": "eu-west-1",
        "detail": {
            "eventVersion": "1.08", "eventSource": "ec2.amazonaws.com",
            "eventName": "AuthorizeSecurityGroupIngress", "eventTime": "2024-03-10T06:30:00Z",
            "eventID": "00000000-0000-4000-8000-000000000000", "awsRegion": "eu-west-1",
            "sourceIPAddress": "203.0.113.7", "userAgent": "bench",
            "recipientAccountId": "111122223333",
            "userIdentity": { "type": "IAMUser", "userName": "bench", "accountId": "111122223333" },
            "requestParameters": { "groupId": "sg-0123456789abcdef0", "ipPermissions": { "items": [
                { "ipProtocol": "tcp", "fromPort": 443, "toPort": 443, "ipRanges": { "items": ranges } }
            ] } }
        }
    })
}

fn main() {
    let bench = std::env::args().any(|a| a == "--bench");
    let filter: Option<String> = std::env::args().skip(1).find(|a| !a.starts_with('-'));
    let run = |name: &str| filter.as_deref().is_none_or(|f| name.contains(f));
    let (rounds, min) = if bench { (15, Duration::from_millis(40)) } else { (1, Duration::ZERO) };
    let opts = json!({ "timezone": "Asia/Seoul", "accounts": { "111122223333": "prod" } });

    if run("fixtures") {
        let fx = fixtures();
        let values: Vec<Value> = fx.iter().map(|(_, t)| serde_json::from_str(t).unwrap()).collect();
        let floor = median_ns(rounds, min, || {
            for (_, t) in &fx {
                let v: Value = serde_json::from_str(black_box(t)).unwrap();
                black_box(serde_json::to_string(&v).unwrap());
            }
        }) / fx.len() as f64;
        let text = median_ns(rounds, min, || {
            for (_, t) in &fx {
                let out = sgnotify::format_json(black_box(t), &opts).unwrap();
                black_box(out.to_json(false));
            }
        }) / fx.len() as f64;
        let value = median_ns(rounds, min, || {
            for v in &values {
                black_box(sgnotify::format_event(black_box(v), &opts).unwrap());
            }
        }) / fx.len() as f64;
        println!("native, {} fixtures, per event (median of {rounds}):", fx.len());
        println!("  floor: serde_json parse + serialise the event  {:>9.1} µs", floor / 1e3);
        println!("  format_json(text) + the result as JSON text   {:>9.1} µs  ({:.2}x floor)", text / 1e3, text / floor);
        println!("  format_event(parsed value), the core alone     {:>9.1} µs  ({:.2}x floor)", value / 1e3, value / floor);
    }

    if run("scaling") {
        println!("native scaling, format_json + the result as JSON text (median of {rounds}):");
        println!("  {:>7} {:>12} {:>14}", "sources", "per event", "per source");
        for n in [1usize, 10, 100, 1000] {
            let text = synthetic(n).to_string();
            for max in [10usize, 1000] {
                let o = json!({ "maxMessagesPerEvent": max });
                let ns = median_ns(rounds, min, || {
                    black_box(sgnotify::format_json(black_box(&text), &o).unwrap().to_json(false));
                });
                let mode = if n <= max { "one message per rule" } else { "grouped" };
                println!("  {n:>7} {:>9.1} µs {:>11.2} µs  max {max:>4}: {mode}", ns / 1e3, ns / 1e3 / n as f64);
            }
        }
    }
}
