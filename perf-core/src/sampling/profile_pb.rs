//! `profile.pb`: the samples in pprof's protobuf format, for `go tool pprof`
//! and every viewer that reads it. Built from perf's stacks rather than
//! pprof-rs's report, so that it names inlined instrumented functions by
//! their full path, as the flamegraph does, and leaves out the same frames.

use std::collections::HashMap;
use std::time::{Duration, SystemTime};

use pprof::protos::{self, Message};

use super::{CpuProfile, Frame};

/// Strings, functions and locations, each stored once.
#[derive(Default)]
struct Tables {
    strings: Vec<String>,
    string_ids: HashMap<String, i64>,
    functions: Vec<protos::Function>,
    function_ids: HashMap<(i64, i64), u64>,
    locations: Vec<protos::Location>,
    location_ids: HashMap<(u64, i64), u64>,
}

impl Tables {
    fn new() -> Self {
        let mut tables = Tables::default();
        // The string table starts with the empty string.
        tables.string("");
        tables
    }

    fn string(&mut self, s: &str) -> i64 {
        if let Some(&id) = self.string_ids.get(s) {
            return id;
        }
        let id = self.strings.len() as i64;
        self.strings.push(s.to_owned());
        self.string_ids.insert(s.to_owned(), id);
        id
    }

    fn location(&mut self, frame: &Frame) -> u64 {
        let name = self.string(&frame.name);
        let file = match &frame.file {
            Some(file) => self.string(&file.to_string_lossy()),
            None => 0,
        };
        let next = self.functions.len() as u64 + 1;
        let function = *self.function_ids.entry((name, file)).or_insert(next);
        if function == next {
            self.functions.push(protos::Function {
                id: function,
                name,
                system_name: name,
                filename: file,
                ..protos::Function::default()
            });
        }
        let line = i64::from(frame.line);
        let next = self.locations.len() as u64 + 1;
        let location = *self.location_ids.entry((function, line)).or_insert(next);
        if location == next {
            self.locations.push(protos::Location {
                id: location,
                line: vec![protos::Line {
                    function_id: function,
                    line,
                }],
                ..protos::Location::default()
            });
        }
        location
    }
}

/// Encodes the profile's stacks (thread name first, then root to leaf),
/// each sample standing for `period` of CPU time.
pub(super) fn encode(profile: &CpuProfile, period: Duration) -> Vec<u8> {
    let mut tables = Tables::new();
    let period = i64::try_from(period.as_nanos()).unwrap_or(i64::MAX);
    let stacks = &profile.stacks;
    let thread_key = tables.string("thread");
    let samples = stacks
        .iter()
        .map(|stack| {
            let thread = stack.frames.first().map_or("", |f| f.name.as_str());
            let thread = tables.string(thread);
            // pprof lists a sample's locations leaf first.
            let location_id = stack.frames[1.min(stack.frames.len())..]
                .iter()
                .rev()
                .map(|frame| tables.location(frame))
                .collect();
            let count = stack.samples as i64;
            protos::Sample {
                location_id,
                value: vec![count, count * period],
                label: vec![protos::Label {
                    key: thread_key,
                    str: thread,
                    ..protos::Label::default()
                }],
            }
        })
        .collect();
    let mut value_type = |ty: &str, unit: &str| protos::ValueType {
        ty: tables.string(ty),
        unit: tables.string(unit),
    };
    let sample_type = vec![
        value_type("samples", "count"),
        value_type("cpu", "nanoseconds"),
    ];
    let period_type = Some(value_type("cpu", "nanoseconds"));
    let profile = protos::Profile {
        sample_type,
        sample: samples,
        location: tables.locations,
        function: tables.functions,
        string_table: tables.strings,
        time_nanos: profile
            .started
            .duration_since(SystemTime::UNIX_EPOCH)
            .unwrap_or_default()
            .as_nanos() as i64,
        duration_nanos: profile.duration.as_nanos() as i64,
        period_type,
        period,
        ..protos::Profile::default()
    };
    profile.encode_to_vec()
}
