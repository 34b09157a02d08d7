//! The terminal summary of a run: the top functions by self time as a table.

use std::fmt::{self, Display};

use perf_format::schema::record::Metric;
use perf_format::schema::run::FunctionStats;
use perf_format::table::{Align, Table};
use perf_format::units::{self, count, plural};

use crate::session::Run;

/// A readable table of a run's top functions; see [`Run::summary`].
#[derive(Debug, Clone, Copy)]
pub struct Summary<'a> {
    run: &'a Run,
    top: usize,
}

impl<'a> Summary<'a> {
    pub(crate) fn new(run: &'a Run) -> Self {
        Summary { run, top: 15 }
    }

    /// Shows at most `n` functions (15 by default).
    pub fn top(mut self, n: usize) -> Self {
        self.top = n;
        self
    }
}

fn duration(ns: u64) -> String {
    units::duration(ns as f64)
}

impl Display for Summary<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let data = self.run.data();
        let calls: u64 = data.functions.iter().map(|f| f.calls).sum();
        writeln!(
            f,
            "perf run {} ({}): {} wall, {}, {}, {}",
            data.name,
            data.id,
            duration(data.duration_ns),
            plural(data.threads.len() as u64, "thread"),
            plural(data.functions.len() as u64, "function"),
            plural(calls, "call"),
        )?;
        if data.functions.is_empty() {
            if cfg!(feature = "enabled") {
                writeln!(f, "no instrumented calls were recorded")?;
            } else {
                writeln!(
                    f,
                    "no calls were recorded: perf-core was built without its `enabled` feature"
                )?;
            }
        } else {
            self.table(f)?;
        }
        if let Some(cpu) = &data.cpu_profile {
            writeln!(
                f,
                "CPU sampling: {} at {} Hz, {} (total cpu% = share of the samples taken anywhere inside the function)",
                plural(cpu.samples, "sample"),
                cpu.frequency_hz,
                plural(cpu.stacks, "distinct stack"),
            )?;
        }
        if self.run.files().heap_profile.is_some() {
            writeln!(
                f,
                "heap profile: dhat recorded every allocation (dhat-heap.json); its cost is in the times above"
            )?;
        }
        if data.trace.dropped_events > 0 {
            writeln!(
                f,
                "trace.json holds the first {} spans of each thread: {} later ones were left out \
                 (run.json counts every call)",
                count(data.trace.events as f64 / data.threads.len().max(1) as f64),
                count(data.trace.dropped_events as f64),
            )?;
        }
        if let Some(heap) = &data.heap {
            writeln!(
                f,
                "heap: {} live at finish ({} at start), peak {} at {}; {}, {}",
                units::bytes(heap.live_bytes as f64),
                units::bytes(heap.start_live_bytes as f64),
                units::bytes(heap.peak_bytes as f64),
                duration(heap.peak_at_ns),
                plural(heap.frees, "free"),
                plural(heap.reallocs, "realloc"),
            )?;
        }
        if !data.alloc_tracking {
            writeln!(
                f,
                "allocations not tracked: install `perf_core::PerfAlloc` as the #[global_allocator]"
            )?;
        }
        let files = self.run.files();
        write!(f, "files: {}", files.dir.display())?;
        for path in files.iter() {
            if let Some(name) = path.file_name() {
                write!(f, "  {}", name.to_string_lossy())?;
            }
        }
        writeln!(f)?;
        if files.flamegraph.is_none() {
            writeln!(
                f,
                "no SVGs: perf-core's `svg` feature draws them with each run; \
                 `cargo perf flamegraph {}` draws one from this run",
                files.run_json.display()
            )?;
        }
        Ok(())
    }
}

impl Summary<'_> {
    fn table(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let data = self.run.data();
        let shown = &data.functions[..data.functions.len().min(self.top)];
        let with_cpu = shown.iter().any(|s| s.cpu_ns.is_some());
        let with_samples = shown.iter().any(|s| s.cpu_samples.is_some());
        let all_self: u64 = data.functions.iter().map(|s| s.self_ns).sum();
        let self_share = |s: &FunctionStats| s.self_ns as f64 / all_self.max(1) as f64;
        let mut table = Table::new().column("function", Align::Left).fitted(56);
        for heading in ["calls", "total time", "self time"] {
            table = table.column(heading, Align::Right);
        }
        if with_cpu {
            table = table.column("cpu time", Align::Right);
        }
        table = table.column("self%", Align::Right);
        if with_samples {
            table = table.column(Metric::CpuShare.label(), Align::Right);
        }
        for heading in ["p50", "p95", "p99"] {
            table = table.column(heading, Align::Right);
        }
        if data.alloc_tracking {
            for metric in ALLOC_COLUMNS {
                table = table.column(metric.label(), Align::Right);
            }
        }
        let own_cost = data.own_cost_shares();
        let mostly_perf = |s: &FunctionStats| {
            own_cost
                .get(s.name.as_str())
                .is_some_and(|&share| share >= MOSTLY_PERF)
        };
        let mut near_step = false;
        for s in shown {
            let name = match mostly_perf(s) {
                true => format!("{} {MARK}", s.name),
                false => s.name.clone(),
            };
            let mut cells = vec![
                name,
                count(s.calls as f64),
                duration(s.total_ns),
                duration(s.self_ns),
            ];
            if with_cpu {
                cells.push(s.cpu_ns.map_or_else(|| "-".to_owned(), duration));
            }
            cells.push(units::share(self_share(s)));
            if with_samples {
                let share = s.cpu_samples.as_ref().map(|c| c.share);
                cells.push(share.map_or_else(|| "-".to_owned(), units::share));
            }
            cells.extend([s.p50_ns, s.p95_ns, s.p99_ns].map(|ns| {
                // Under a few steps of the clock, a percentile is a bound.
                match data.env.near_clock_step(ns as f64) {
                    true => {
                        near_step = true;
                        format!("~{}", duration(ns))
                    }
                    false => duration(ns),
                }
            }));
            if data.alloc_tracking {
                let calls = s.calls.max(1) as f64;
                cells.extend(ALLOC_COLUMNS.map(|metric| {
                    let value = match metric {
                        Metric::AllocsPerCall => s.total_allocs,
                        Metric::SelfAllocsPerCall => s.self_allocs,
                        Metric::BytesPerCall => s.total_alloc_bytes,
                        _ => s.self_alloc_bytes,
                    };
                    metric.format(value as f64 / calls)
                }));
            }
            table.push(cells);
        }
        write!(f, "{table}")?;
        let hidden = data.functions.len() - shown.len();
        if hidden > 0 {
            writeln!(
                f,
                "… and {} more in run.json",
                plural(hidden as u64, "function")
            )?;
        }
        let cpu = if with_cpu {
            "; cpu time = the thread's CPU time in the calls, callees included"
        } else {
            ""
        };
        writeln!(
            f,
            "(by self time; total = with instrumented callees, self = without them; \
             self% = share of all self time; p50/p95/p99 = total time per call{cpu})"
        )?;
        if let Some(legend) = data.env.clock_step_legend().filter(|_| near_step) {
            writeln!(f, "{legend}")?;
        }
        if let Some(hint) = cpu_hint(shown, self_share) {
            writeln!(f, "{hint}")?;
        }
        if let Some(overhead) = data.overhead
            && shown.iter().any(mostly_perf)
        {
            writeln!(
                f,
                "{MARK} half or more of this self time is perf's own cost (its own calls' recording and its callees'): recording a call costs {} on this machine ({} of it inside the call's own time, the rest in its caller's self time), measured as the session started; these time figures are more perf's than the code's",
                units::duration(overhead.call_ns),
                units::duration(overhead.inside_ns),
            )?;
        }
        Ok(())
    }
}

/// The share of a function's self time that is perf's own cost from
/// which the summary marks it.
const MOSTLY_PERF: f64 = 0.5;
/// The mark of such a function.
const MARK: char = '†';

/// The allocation columns, per call, as `cargo perf baseline show` heads
/// them.
const ALLOC_COLUMNS: [Metric; 4] = [
    Metric::AllocsPerCall,
    Metric::SelfAllocsPerCall,
    Metric::BytesPerCall,
    Metric::SelfBytesPerCall,
];

/// A cpu% at least this many times the self%, and this many points above
/// it, is worth a word.
const CPU_HINT_RATIO: f64 = 2.0;
const CPU_HINT_POINTS: f64 = 0.10;

/// One line explaining why a function's cpu% is far above its self%, for
/// the function where the gap is widest; `None` when no function has one.
fn cpu_hint(shown: &[FunctionStats], self_share: impl Fn(&FunctionStats) -> f64) -> Option<String> {
    let gaps: Vec<(&FunctionStats, f64, f64)> = shown
        .iter()
        .filter_map(|s| {
            let cpu = s.cpu_samples.as_ref()?.share;
            let own = self_share(s);
            (cpu >= CPU_HINT_RATIO * own && cpu - own >= CPU_HINT_POINTS).then_some((s, cpu, own))
        })
        .collect();
    let (widest, cpu, own) = gaps
        .iter()
        .copied()
        .max_by(|a, b| (a.1 - a.2).total_cmp(&(b.1 - b.2)))?;
    let others = match gaps.len() - 1 {
        0 => String::new(),
        n => format!(" (and {})", plural(n as u64, "other function")),
    };
    Some(format!(
        "note: {} has total cpu% {} but self% {}{others}: cpu% counts CPU samples anywhere \
         inside the function, including code inlined into it and callees without #[profile]; \
         self% is its wall time outside its annotated callees",
        widest.name,
        units::share(cpu),
        units::share(own),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use perf_format::schema::run::CpuSamples;

    fn function(name: &str, self_ns: u64, cpu_share: f64) -> FunctionStats {
        let mut stats = FunctionStats::default();
        stats.name = name.to_owned();
        stats.self_ns = self_ns;
        let mut samples = CpuSamples::default();
        samples.share = cpu_share;
        stats.cpu_samples = Some(samples);
        stats
    }

    fn share(all: u64) -> impl Fn(&FunctionStats) -> f64 {
        move |s| s.self_ns as f64 / all as f64
    }

    #[test]
    fn a_cpu_share_far_above_the_self_share_is_explained_once() {
        // 68% of the samples in `outer`, 0.6% of the self time: inlining.
        let functions = [
            function("app::outer", 6, 0.68),
            function("app::inner", 994, 0.30),
            function("app::other", 0, 0.15),
        ];
        let hint = cpu_hint(&functions, share(1000)).unwrap();
        assert!(
            hint.starts_with("note: app::outer has total cpu% 68.0% but self% 0.6% (and 1 other function): cpu% counts"),
            "{hint}"
        );
        assert!(hint.contains("inlined"), "{hint}");
        assert_eq!(hint.lines().count(), 1);
    }

    #[test]
    fn close_shares_need_no_hint() {
        let functions = [
            function("app::a", 500, 0.55),
            function("app::b", 480, 0.45),
            // Twice its self share, but only 2 points apart.
            function("app::c", 20, 0.04),
        ];
        assert_eq!(cpu_hint(&functions, share(1000)), None);
    }
}
