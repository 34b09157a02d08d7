//! Whose doing a change is. A figure that includes callees (time per call,
//! allocations per call, instructions per call) is the function's own doing when its own part
//! moved by at least half as much; otherwise its callees are, and those
//! whose change is their own are named. A change in how often a function is
//! called is its callers' doing (a recursive function is not its own).

use std::collections::{BTreeSet, HashMap, VecDeque};

use perf_format::schema::compare::{Cause, Judged, Verdict};
use perf_format::schema::record::{Metric, Record};

use super::judge::Pending;

/// Which metrics explain each other: a callee's own change of allocations
/// explains its caller's change of allocations, not of time.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
enum Family {
    Time,
    Allocs,
    Bytes,
    Net,
    Calls,
    Instructions,
    Cycles,
}

impl Family {
    fn of(metric: Metric) -> Family {
        match metric {
            Metric::Calls => Family::Calls,
            Metric::InstructionsPerCall | Metric::SelfInstructionsPerCall => Family::Instructions,
            Metric::EstCyclesPerCall | Metric::SelfEstCyclesPerCall => Family::Cycles,
            Metric::AllocsPerCall | Metric::SelfAllocsPerCall => Family::Allocs,
            Metric::BytesPerCall | Metric::SelfBytesPerCall => Family::Bytes,
            Metric::NetBytesPerCall => Family::Net,
            _ => Family::Time,
        }
    }
}

/// Sets `cause` on every regressed or improved row.
pub(super) fn assign(rows: &mut [Judged], pending: &[Pending<'_>], base: &Record, cur: &Record) {
    let split_of: HashMap<(&str, Metric), bool> = pending
        .iter()
        .filter_map(|p| Some(((p.function, p.metric), p.split?.is_own())))
        .collect();
    let graph = callees(base, cur);
    // First the functions whose change is their own: callers point at them.
    let mut own: HashMap<(Family, Verdict), BTreeSet<String>> = HashMap::new();
    for row in rows.iter_mut() {
        let (metric, verdict @ (Verdict::Regressed | Verdict::Improved)) =
            (row.metric, row.verdict)
        else {
            continue;
        };
        let is_leaf = !graph.contains_key(row.function.as_str());
        let cause = if metric == Metric::Calls {
            called_by(base, cur, &row.function, verdict)
        } else if is_leaf || split_of.get(&(row.function.as_str(), metric)) != Some(&false) {
            Cause::Own
        } else {
            continue;
        };
        own.entry((Family::of(metric), verdict))
            .or_default()
            .insert(row.function.clone());
        row.cause = Some(cause);
    }
    for row in rows.iter_mut() {
        let (metric, verdict @ (Verdict::Regressed | Verdict::Improved)) =
            (row.metric, row.verdict)
        else {
            continue;
        };
        if row.cause.is_some() {
            continue;
        }
        let culprits = |family: Family| own.get(&(family, verdict));
        let functions: Vec<String> = descendants(&graph, &row.function)
            .into_iter()
            .filter(|f| {
                culprits(Family::of(metric)).is_some_and(|set| set.contains(*f))
                    || culprits(Family::Calls).is_some_and(|set| set.contains(*f))
            })
            .map(str::to_owned)
            .collect();
        row.cause = Some(Cause::Callees { functions });
    }
}

/// The callers whose calls to `function` moved in the verdict's direction.
fn called_by(base: &Record, cur: &Record, function: &str, verdict: Verdict) -> Cause {
    let before = calls_by_caller(base, function);
    let after = calls_by_caller(cur, function);
    let callers: BTreeSet<&str> = before
        .keys()
        .chain(after.keys())
        .copied()
        .filter(|caller| *caller != function)
        .collect();
    let functions: Vec<String> = callers
        .into_iter()
        .filter(|caller| {
            let b = before.get(caller).copied().unwrap_or(0.0);
            let a = after.get(caller).copied().unwrap_or(0.0);
            if verdict == Verdict::Regressed {
                a > b
            } else {
                a < b
            }
        })
        .map(str::to_owned)
        .collect();
    if functions.is_empty() {
        Cause::Own
    } else {
        Cause::CalledBy { functions }
    }
}

/// The call graph of both records: function → the functions it calls.
fn callees<'a>(base: &'a Record, cur: &'a Record) -> HashMap<&'a str, BTreeSet<&'a str>> {
    let mut graph: HashMap<&str, BTreeSet<&str>> = HashMap::new();
    for stack in base.stacks.iter().chain(&cur.stacks) {
        for pair in stack.frames.windows(2) {
            if pair[0] != pair[1] {
                graph.entry(&pair[0]).or_default().insert(&pair[1]);
            }
        }
    }
    graph
}

/// Calls per run from each caller to `function`, summed over stacks.
fn calls_by_caller<'a>(record: &'a Record, function: &str) -> HashMap<&'a str, f64> {
    let mut calls = HashMap::new();
    for stack in &record.stacks {
        if let [.., caller, callee] = stack.frames.as_slice() {
            if callee == function {
                *calls.entry(caller.as_str()).or_insert(0.0) += stack.weight.calls;
            }
        }
    }
    calls
}

/// Every function reachable from `root` in the call graph, sorted.
fn descendants<'a>(graph: &HashMap<&'a str, BTreeSet<&'a str>>, root: &str) -> Vec<&'a str> {
    let mut seen: BTreeSet<&str> = BTreeSet::new();
    let mut queue: VecDeque<&str> = graph.get(root).into_iter().flatten().copied().collect();
    while let Some(next) = queue.pop_front() {
        if next != root && seen.insert(next) {
            queue.extend(graph.get(next).into_iter().flatten().copied());
        }
    }
    seen.into_iter().collect()
}
