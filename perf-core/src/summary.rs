//! The terminal summary of a run: the top functions by self time as a table.

use std::fmt::{self, Display};

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
                "CPU sampling: {} at {} Hz, {} (cpu% = share of samples inside the function)",
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
        writeln!(f)
    }
}

impl Summary<'_> {
    fn table(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let data = self.run.data();
        let shown = &data.functions[..data.functions.len().min(self.top)];
        let with_cpu = shown.iter().any(|s| s.cpu_ns.is_some());
        let with_samples = shown.iter().any(|s| s.cpu_samples.is_some());
        let all_self: u64 = data.functions.iter().map(|s| s.self_ns).sum();
        let mut table = Table::new().column("function", Align::Left).fitted(56);
        for heading in ["calls", "total", "self"] {
            table = table.column(heading, Align::Right);
        }
        if with_cpu {
            table = table.column("cpu", Align::Right);
        }
        table = table.column("self%", Align::Right);
        if with_samples {
            table = table.column("cpu%", Align::Right);
        }
        for heading in ["p50", "p95", "p99", "allocs", "bytes"] {
            table = table.column(heading, Align::Right);
        }
        for s in shown {
            let mut cells = vec![
                s.name.clone(),
                count(s.calls as f64),
                duration(s.total_ns),
                duration(s.self_ns),
            ];
            if with_cpu {
                cells.push(s.cpu_ns.map_or_else(|| "-".to_owned(), duration));
            }
            cells.push(units::share(s.self_ns as f64 / all_self.max(1) as f64));
            if with_samples {
                let share = s.cpu_samples.as_ref().map(|c| c.share);
                cells.push(share.map_or_else(|| "-".to_owned(), units::share));
            }
            cells.extend([
                duration(s.p50_ns),
                duration(s.p95_ns),
                duration(s.p99_ns),
                count(s.self_allocs as f64),
                units::bytes(s.self_alloc_bytes as f64),
            ]);
            table.push(cells);
        }
        write!(f, "{table}")?;
        let hidden = data.functions.len() - shown.len();
        if hidden > 0 {
            writeln!(f, "… and {hidden} more functions in run.json")?;
        }
        writeln!(
            f,
            "(by self time; self = without instrumented callees, total = with them; allocs and bytes are self)"
        )
    }
}
