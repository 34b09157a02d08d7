//! `trace.json`: the run's timeline in Chrome trace format (ui.perfetto.dev,
//! chrome://tracing). Plain calls are complete (`X`) events on their thread;
//! async fns are async (`b`/`e`) events from first poll to completion; the
//! heap timeline, when allocations are tracked, is a counter (`C`) track of
//! the process, `live heap` with the series `bytes`.

use std::io::{self, Write};
use std::path::Path;

use serde::Serialize;

use perf_format::files;

use super::TraceInput;
use crate::model::{RUN_SCHEMA, RunData};
use crate::recorder::EventKind;

#[derive(Serialize)]
struct TraceEvent<'a> {
    name: &'a str,
    cat: &'static str,
    ph: &'static str,
    /// Microseconds since the session started.
    ts: f64,
    #[serde(skip_serializing_if = "Option::is_none")]
    dur: Option<f64>,
    pid: u32,
    tid: u32,
    #[serde(skip_serializing_if = "Option::is_none")]
    id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    args: Option<Args<'a>>,
}

#[derive(Serialize)]
struct Args<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    name: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    file: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    line: Option<u32>,
}

/// A point of a counter track.
#[derive(Serialize)]
struct CounterEvent<'a> {
    name: &'a str,
    cat: &'static str,
    ph: &'static str,
    /// Microseconds since the session started.
    ts: f64,
    pid: u32,
    args: CounterArgs,
}

/// The series of the heap's counter track.
#[derive(Serialize)]
struct CounterArgs {
    bytes: u64,
}

/// A metadata event naming the process or a thread.
fn metadata<'a>(name: &'a str, pid: u32, tid: u32, value: &'a str) -> TraceEvent<'a> {
    TraceEvent {
        name,
        cat: "__metadata",
        ph: "M",
        ts: 0.0,
        dur: None,
        pid,
        tid,
        id: None,
        args: Some(Args {
            name: Some(value),
            file: None,
            line: None,
        }),
    }
}

/// Writes the trace of the run's threads to `path`.
pub(crate) fn write(
    path: &Path,
    data: &RunData,
    input: &TraceInput<'_>,
) -> Result<(), perf_format::Error> {
    files::write_atomic(path, |w| write_to(w, data, input))
}

fn write_to(w: &mut dyn Write, data: &RunData, input: &TraceInput<'_>) -> io::Result<()> {
    let pid = data.env.pid;
    let ticks_to_ns = input.ticks_to_ns;
    let micros = |ticks: u64| ticks_to_ns(ticks.saturating_sub(input.start_ticks)) as f64 / 1e3;
    w.write_all(b"{\"traceEvents\":[\n")?;
    let mut first = true;
    let mut emit = |w: &mut dyn Write, event: &TraceEvent<'_>| -> io::Result<()> {
        if !first {
            w.write_all(b",\n")?;
        }
        first = false;
        serde_json::to_writer(&mut *w, event).map_err(io::Error::from)
    };
    emit(w, &metadata("process_name", pid, 0, &data.name))?;
    for thread in input.threads {
        let label = thread
            .name
            .clone()
            .unwrap_or_else(|| format!("thread {}", thread.index));
        emit(w, &metadata("thread_name", pid, thread.index, &label))?;
        let mut events = thread.events.clone();
        events.sort_by_key(|e| e.start);
        for (i, event) in events.iter().enumerate() {
            let cs = event.callsite;
            let args = || {
                Some(Args {
                    name: None,
                    file: Some(cs.file()),
                    line: Some(cs.line()),
                })
            };
            match event.kind {
                EventKind::Sync => emit(
                    w,
                    &TraceEvent {
                        name: cs.name(),
                        cat: "function",
                        ph: "X",
                        ts: micros(event.start),
                        dur: Some(ticks_to_ns(event.end.saturating_sub(event.start)) as f64 / 1e3),
                        pid,
                        tid: thread.index,
                        id: None,
                        args: args(),
                    },
                )?,
                EventKind::Async => {
                    let id = format!("{:#x}", (u64::from(thread.index) << 32) | i as u64);
                    for (ph, ticks) in [("b", event.start), ("e", event.end)] {
                        emit(
                            w,
                            &TraceEvent {
                                name: cs.name(),
                                cat: "async",
                                ph,
                                ts: micros(ticks),
                                dur: None,
                                pid,
                                tid: thread.index,
                                id: Some(id.clone()),
                                args: args(),
                            },
                        )?;
                    }
                }
            }
        }
    }
    if let Some(heap) = &data.heap {
        for point in &heap.timeline {
            if !first {
                w.write_all(b",\n")?;
            }
            first = false;
            let event = CounterEvent {
                name: "live heap",
                cat: "heap",
                ph: "C",
                ts: point.t_ns as f64 / 1e3,
                pid,
                args: CounterArgs {
                    bytes: point.live_bytes,
                },
            };
            serde_json::to_writer(&mut *w, &event).map_err(io::Error::from)?;
        }
    }
    w.write_all(b"\n],\n\"displayTimeUnit\":\"ns\",\n\"otherData\":")?;
    let note = if data.trace.dropped_events > 0 {
        format!(
            "this trace shows the first spans of each thread; {} later spans were left out (run.json counts every call)",
            data.trace.dropped_events
        )
    } else {
        "every span of the run is shown".to_owned()
    };
    serde_json::to_writer(
        &mut *w,
        &serde_json::json!({
            "run": data.id,
            "schema": RUN_SCHEMA,
            "events": data.trace.events,
            "dropped_events": data.trace.dropped_events,
            "note": note,
        }),
    )?;
    w.write_all(b"}\n")
}
