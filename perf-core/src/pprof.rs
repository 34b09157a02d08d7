//! pprof's `Profile` protobuf (`profile.proto` of github.com/google/pprof),
//! written by hand: the fields `go tool pprof`, Pyroscope and Parca read,
//! with no protobuf crate. Used for `profile.pb` (feature `cpu`) and the live
//! server's `/debug/pprof/` endpoints (feature `serve`).

use std::collections::HashMap;
use std::time::{Duration, SystemTime};

/// One frame of a sample: a function, its source file (`""` if unknown) and
/// the line being run (0 if unknown).
#[derive(Clone, Copy, Debug)]
pub(crate) struct FrameRef<'a> {
    /// The function's name.
    pub(crate) name: &'a str,
    /// Its source file, `""` if unknown.
    pub(crate) file: &'a str,
    /// The line in that file, 0 if unknown.
    pub(crate) line: u32,
}

/// Builds one `Profile`: strings, functions and locations are stored once
/// each, samples are encoded as they are added.
pub(crate) struct ProfileBuilder {
    strings: Vec<String>,
    string_ids: HashMap<String, i64>,
    /// (name, file) string ids of each function; its id is its index + 1.
    functions: Vec<(i64, i64)>,
    function_ids: HashMap<(i64, i64), u64>,
    /// (function id, line) of each location; its id is its index + 1.
    locations: Vec<(u64, i64)>,
    location_ids: HashMap<(u64, i64), u64>,
    /// (type, unit) string ids of each value of a sample.
    sample_types: Vec<(i64, i64)>,
    /// The `sample` fields (2), already encoded.
    samples: Vec<u8>,
    time_nanos: i64,
    duration_nanos: i64,
    period_type: Option<(i64, i64)>,
    period: i64,
    default_sample_type: i64,
}

impl ProfileBuilder {
    /// A profile whose samples carry one value per `(type, unit)`, in order.
    pub(crate) fn new(sample_types: &[(&str, &str)]) -> ProfileBuilder {
        let mut builder = ProfileBuilder {
            strings: Vec::new(),
            string_ids: HashMap::new(),
            functions: Vec::new(),
            function_ids: HashMap::new(),
            locations: Vec::new(),
            location_ids: HashMap::new(),
            sample_types: Vec::new(),
            samples: Vec::new(),
            time_nanos: 0,
            duration_nanos: 0,
            period_type: None,
            period: 0,
            default_sample_type: 0,
        };
        // The string table starts with the empty string.
        builder.string("");
        builder.sample_types = sample_types
            .iter()
            .map(|(ty, unit)| (builder.string(ty), builder.string(unit)))
            .collect();
        builder
    }

    /// What one sampling event stands for: `value` of `(type, unit)`.
    pub(crate) fn period(mut self, ty: &str, unit: &str, value: i64) -> ProfileBuilder {
        self.period_type = Some((self.string(ty), self.string(unit)));
        self.period = value;
        self
    }

    /// When the profile's collection started.
    pub(crate) fn time(mut self, started: SystemTime) -> ProfileBuilder {
        let since_epoch = started.duration_since(SystemTime::UNIX_EPOCH);
        self.time_nanos = nanos(since_epoch.unwrap_or_default());
        self
    }

    /// How long the collection ran.
    pub(crate) fn duration(mut self, duration: Duration) -> ProfileBuilder {
        self.duration_nanos = nanos(duration);
        self
    }

    /// The sample type viewers show unless told otherwise.
    pub(crate) fn default_sample_type(mut self, ty: &str) -> ProfileBuilder {
        self.default_sample_type = self.string(ty);
        self
    }

    /// Adds a sample of the stack `frames_root_first`, with one value per
    /// sample type and string `labels` (key, value).
    pub(crate) fn add_sample(
        &mut self,
        frames_root_first: &[FrameRef<'_>],
        values: &[i64],
        labels: &[(&str, &str)],
    ) {
        // pprof lists a sample's locations leaf first.
        let locations: Vec<u64> = frames_root_first
            .iter()
            .rev()
            .map(|frame| self.location(frame))
            .collect();
        let labels: Vec<(i64, i64)> = labels
            .iter()
            .map(|(key, value)| (self.string(key), self.string(value)))
            .collect();
        message(&mut self.samples, 2, |sample| {
            packed(sample, 1, locations.iter().copied());
            packed(sample, 2, values.iter().map(|&v| v as u64));
            for &(key, value) in &labels {
                message(sample, 3, |label| {
                    int(label, 1, key);
                    int(label, 2, value);
                });
            }
        });
    }

    /// The profile, uncompressed.
    pub(crate) fn encode(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(self.samples.len() * 2);
        for &(ty, unit) in &self.sample_types {
            message(&mut out, 1, |value_type| {
                int(value_type, 1, ty);
                int(value_type, 2, unit);
            });
        }
        out.extend_from_slice(&self.samples);
        for (id, &(function, line)) in (1..).zip(&self.locations) {
            message(&mut out, 4, |location| {
                uint(location, 1, id);
                message(location, 4, |l| {
                    uint(l, 1, function);
                    int(l, 2, line);
                });
            });
        }
        for (id, &(name, file)) in (1..).zip(&self.functions) {
            message(&mut out, 5, |function| {
                uint(function, 1, id);
                int(function, 2, name);
                int(function, 3, name);
                int(function, 4, file);
            });
        }
        for s in &self.strings {
            bytes(&mut out, 6, s.as_bytes());
        }
        int(&mut out, 9, self.time_nanos);
        int(&mut out, 10, self.duration_nanos);
        if let Some((ty, unit)) = self.period_type {
            message(&mut out, 11, |value_type| {
                int(value_type, 1, ty);
                int(value_type, 2, unit);
            });
        }
        int(&mut out, 12, self.period);
        int(&mut out, 14, self.default_sample_type);
        out
    }

    /// The id of `s` in the string table.
    fn string(&mut self, s: &str) -> i64 {
        if let Some(&id) = self.string_ids.get(s) {
            return id;
        }
        let id = self.strings.len() as i64;
        self.strings.push(s.to_owned());
        self.string_ids.insert(s.to_owned(), id);
        id
    }

    /// The id of the location of `frame`, and of its function.
    fn location(&mut self, frame: &FrameRef<'_>) -> u64 {
        let key = (self.string(frame.name), self.string(frame.file));
        let next = self.functions.len() as u64 + 1;
        let function = *self.function_ids.entry(key).or_insert(next);
        if function == next {
            self.functions.push(key);
        }
        let key = (function, i64::from(frame.line));
        let next = self.locations.len() as u64 + 1;
        let location = *self.location_ids.entry(key).or_insert(next);
        if location == next {
            self.locations.push(key);
        }
        location
    }
}

/// `duration` in nanoseconds, saturated.
fn nanos(duration: Duration) -> i64 {
    i64::try_from(duration.as_nanos()).unwrap_or(i64::MAX)
}

/// Appends `value` as a base-128 varint.
fn varint(out: &mut Vec<u8>, mut value: u64) {
    while value >= 0x80 {
        out.push(value as u8 | 0x80);
        value >>= 7;
    }
    out.push(value as u8);
}

/// Appends a varint field; zero, the default, is left out as proto3 does.
fn uint(out: &mut Vec<u8>, field: u32, value: u64) {
    if value != 0 {
        varint(out, u64::from(field) << 3);
        varint(out, value);
    }
}

/// Appends an `int64` field (negative values as ten-byte varints).
fn int(out: &mut Vec<u8>, field: u32, value: i64) {
    uint(out, field, value as u64);
}

/// Appends a length-delimited field.
fn bytes(out: &mut Vec<u8>, field: u32, value: &[u8]) {
    varint(out, u64::from(field) << 3 | 2);
    varint(out, value.len() as u64);
    out.extend_from_slice(value);
}

/// Appends a packed repeated varint field, left out when empty.
fn packed(out: &mut Vec<u8>, field: u32, values: impl Iterator<Item = u64>) {
    let mut packed = Vec::new();
    values.for_each(|v| varint(&mut packed, v));
    if !packed.is_empty() {
        bytes(out, field, &packed);
    }
}

/// Appends an embedded message that `write` fills.
fn message(out: &mut Vec<u8>, field: u32, write: impl FnOnce(&mut Vec<u8>)) {
    let mut inner = Vec::new();
    write(&mut inner);
    bytes(out, field, &inner);
}

/// `profile` gzip'd, as `net/http/pprof` serves it.
#[cfg(feature = "serve")]
pub(crate) fn gzip(profile: &[u8]) -> Vec<u8> {
    use std::io::Write as _;
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    encoder
        .write_all(profile)
        .and_then(|()| encoder.finish())
        .expect("gzip into memory cannot fail")
}

/// The allocations of each call path as Go's `/debug/pprof/allocs` profile
/// (without its `inuse_*` values): `alloc_objects/count` and
/// `alloc_space/bytes`, `alloc_space` shown by default. Each path lists the
/// `#[profile]` functions from the root in, each at its definition; its
/// values are (allocations, bytes). Uncompressed.
#[cfg(feature = "serve")]
pub(crate) fn allocs_profile<'a>(
    paths: impl Iterator<Item = (Vec<FrameRef<'a>>, u64, u64)>,
    time: SystemTime,
    duration: Duration,
) -> Vec<u8> {
    let mut builder = ProfileBuilder::new(&[("alloc_objects", "count"), ("alloc_space", "bytes")])
        .period("space", "bytes", 1)
        .default_sample_type("alloc_space")
        .time(time)
        .duration(duration);
    for (frames, allocs, bytes) in paths {
        let saturate = |n: u64| i64::try_from(n).unwrap_or(i64::MAX);
        builder.add_sample(&frames, &[saturate(allocs), saturate(bytes)], &[]);
    }
    builder.encode()
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use std::path::PathBuf;
    use std::process::Command;

    /// A field of a protobuf message: a varint, or the bytes of a
    /// length-delimited field.
    #[derive(Debug, PartialEq)]
    enum Field<'a> {
        Number(u64),
        Bytes(&'a [u8]),
    }

    /// Reads a varint at `at`, moving past it.
    fn read_varint(bytes: &[u8], at: &mut usize) -> u64 {
        let mut value = 0;
        for shift in (0..64).step_by(7) {
            let byte = bytes[*at];
            *at += 1;
            value |= u64::from(byte & 0x7f) << shift;
            if byte & 0x80 == 0 {
                break;
            }
        }
        value
    }

    /// The fields of a message, in order; only the wire types we write.
    fn fields(bytes: &[u8]) -> Vec<(u64, Field<'_>)> {
        let mut fields = Vec::new();
        let mut at = 0;
        while at < bytes.len() {
            let key = read_varint(bytes, &mut at);
            let value = match key & 7 {
                0 => Field::Number(read_varint(bytes, &mut at)),
                2 => {
                    let len = read_varint(bytes, &mut at) as usize;
                    at += len;
                    Field::Bytes(&bytes[at - len..at])
                }
                wire => panic!("wire type {wire} at byte {at}"),
            };
            fields.push((key >> 3, value));
        }
        assert_eq!(at, bytes.len(), "the message ends inside a field");
        fields
    }

    /// The values of varint field `number`, packed or not.
    fn numbers(fields: &[(u64, Field<'_>)], number: u64) -> Vec<u64> {
        let mut out = Vec::new();
        for (_, value) in fields.iter().filter(|(n, _)| *n == number) {
            match value {
                Field::Number(v) => out.push(*v),
                Field::Bytes(packed) => {
                    let mut at = 0;
                    while at < packed.len() {
                        out.push(read_varint(packed, &mut at));
                    }
                }
            }
        }
        out
    }

    /// The embedded messages of field `number`.
    fn messages<'a>(fields: &[(u64, Field<'a>)], number: u64) -> Vec<Vec<(u64, Field<'a>)>> {
        fields
            .iter()
            .filter_map(|(n, v)| match v {
                Field::Bytes(b) if *n == number => Some(self::fields(b)),
                _ => None,
            })
            .collect()
    }

    /// A CPU-like profile: `main → parse → lex` twice (3 samples, then the
    /// same stack again), `main → render` once.
    fn cpu_like() -> Vec<u8> {
        let frame = |name, line| FrameRef {
            name,
            file: "src/main.rs",
            line,
        };
        let mut builder = ProfileBuilder::new(&[("samples", "count"), ("cpu", "nanoseconds")])
            .period("cpu", "nanoseconds", 4_000_000)
            .default_sample_type("cpu")
            .time(SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000))
            .duration(Duration::from_secs(2));
        let lex = [
            frame("app::main", 3),
            frame("app::parse", 10),
            frame("app::lex", 20),
        ];
        builder.add_sample(&lex, &[3, 12_000_000], &[("thread", "main")]);
        builder.add_sample(&lex, &[2, 8_000_000], &[("thread", "worker")]);
        let render = [frame("app::main", 4), frame("app::render", 30)];
        builder.add_sample(&render, &[1, 4_000_000], &[("thread", "main")]);
        builder.encode()
    }

    #[test]
    fn the_profile_decodes_to_what_was_added() {
        let bytes = cpu_like();
        let profile = fields(&bytes);
        let strings: Vec<&str> = profile
            .iter()
            .filter_map(|(n, v)| match v {
                Field::Bytes(b) if *n == 6 => Some(std::str::from_utf8(b).unwrap()),
                _ => None,
            })
            .collect();
        assert_eq!(strings[0], "");
        let string = |id: u64| strings[id as usize];
        let value_type =
            |m: &[(u64, Field<'_>)]| (string(numbers(m, 1)[0]), string(numbers(m, 2)[0]));
        let sample_types: Vec<_> = messages(&profile, 1)
            .iter()
            .map(|m| value_type(m))
            .collect();
        assert_eq!(sample_types, [("samples", "count"), ("cpu", "nanoseconds")]);
        assert_eq!(
            value_type(&messages(&profile, 11)[0]),
            ("cpu", "nanoseconds")
        );
        assert_eq!(numbers(&profile, 12), [4_000_000]);
        assert_eq!(string(numbers(&profile, 14)[0]), "cpu");
        assert_eq!(numbers(&profile, 9), [1_700_000_000_000_000_000]);
        assert_eq!(numbers(&profile, 10), [2_000_000_000]);

        let locations = messages(&profile, 4);
        let functions = messages(&profile, 5);
        // Each (function, line) once: main:3, parse, lex, main:4, render.
        assert_eq!((locations.len(), functions.len()), (5, 4));
        let frame = |location_id: u64| {
            let location = locations
                .iter()
                .find(|l| numbers(l, 1) == [location_id])
                .unwrap();
            let line = &messages(location, 4)[0];
            let function_id = numbers(line, 1)[0];
            let function = functions
                .iter()
                .find(|f| numbers(f, 1) == [function_id])
                .unwrap();
            assert_eq!(
                numbers(function, 2),
                numbers(function, 3),
                "system_name = name"
            );
            assert_eq!(string(numbers(function, 4)[0]), "src/main.rs");
            format!(
                "{}:{}",
                string(numbers(function, 2)[0]),
                numbers(line, 2)[0]
            )
        };
        /// A decoded sample: its frames leaf first, values and labels.
        type Sample<'s> = (Vec<String>, Vec<u64>, Vec<(&'s str, &'s str)>);
        let samples: Vec<Sample<'_>> = messages(&profile, 2)
            .iter()
            .map(|s| {
                let labels = messages(s, 3)
                    .iter()
                    .map(|l| (string(numbers(l, 1)[0]), string(numbers(l, 2)[0])))
                    .collect();
                (
                    numbers(s, 1).into_iter().map(frame).collect(),
                    numbers(s, 2),
                    labels,
                )
            })
            .collect();
        let lex = ["app::lex:20", "app::parse:10", "app::main:3"]
            .map(String::from)
            .to_vec();
        assert_eq!(
            samples,
            [
                (lex.clone(), vec![3, 12_000_000], vec![("thread", "main")]),
                (lex, vec![2, 8_000_000], vec![("thread", "worker")]),
                (
                    ["app::render:30", "app::main:4"].map(String::from).to_vec(),
                    vec![1, 4_000_000],
                    vec![("thread", "main")]
                ),
            ]
        );
    }

    #[test]
    fn negative_and_large_values_are_ten_byte_varints() {
        let mut out = Vec::new();
        int(&mut out, 1, -1);
        assert_eq!(out.len(), 1 + 10);
        let decoded = numbers(&fields(&out), 1)[0];
        assert_eq!(decoded as i64, -1);
        out.clear();
        uint(&mut out, 1, 0);
        assert!(out.is_empty(), "zero is the default, left out");
    }

    /// `go` on PATH; `None` (the test is skipped) only when
    /// `PERF_SKIP_GO_TESTS=1`.
    fn go() -> Option<PathBuf> {
        let found = std::env::var_os("PATH").and_then(|path| {
            std::env::split_paths(&path)
                .map(|dir| dir.join("go"))
                .find(|candidate| candidate.is_file())
        });
        if found.is_none() && std::env::var_os("PERF_SKIP_GO_TESTS").is_some_and(|v| v == "1") {
            eprintln!("skipped: go is not installed and PERF_SKIP_GO_TESTS=1");
            return None;
        }
        Some(found.expect(
            "the pprof tests need `go` on PATH for `go tool pprof`: install it (Debian: \
             `apt-get install golang-go`; .ci/run does) or set PERF_SKIP_GO_TESTS=1 to skip them",
        ))
    }

    /// What `go tool pprof ARGS FILE` prints for `profile` written to FILE,
    /// with Go's caches and pprof's own files in a temporary directory.
    pub(crate) fn go_tool_pprof(profile: &[u8], args: &[&str]) -> Option<String> {
        let go = go()?;
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("profile.pb");
        std::fs::write(&file, profile).unwrap();
        let output = Command::new(go)
            .args(["tool", "pprof"])
            .args(args)
            .arg(&file)
            .env("HOME", dir.path())
            .env("GOCACHE", dir.path().join("go-cache"))
            .env("PPROF_TMPDIR", dir.path().join("pprof"))
            .output()
            .expect("go tool pprof runs");
        let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(
            output.status.success(),
            "go tool pprof {args:?}: {}\n{stdout}\n{stderr}",
            output.status
        );
        Some(stdout)
    }

    /// The `-top` row of `name`: its flat and cum columns.
    pub(crate) fn top_row<'a>(top: &'a str, name: &str) -> Vec<&'a str> {
        let row = top
            .lines()
            .find(|line| line.split_whitespace().last() == Some(name))
            .unwrap_or_else(|| panic!("no row for {name} in\n{top}"));
        let columns: Vec<&str> = row.split_whitespace().collect();
        vec![columns[0], columns[3]]
    }

    #[test]
    fn go_tool_pprof_reads_the_profile() {
        let profile = cpu_like();
        let Some(top) = go_tool_pprof(&profile, &["-top", "-symbolize=none"]) else {
            return;
        };
        // cpu by default: lex 20 ms flat, parse 20 ms cum, main 24 ms cum.
        assert_eq!(top_row(&top, "app::lex"), ["20ms", "20ms"], "{top}");
        assert_eq!(top_row(&top, "app::parse"), ["0", "20ms"], "{top}");
        assert_eq!(top_row(&top, "app::main"), ["0", "24ms"], "{top}");
        assert_eq!(top_row(&top, "app::render"), ["4ms", "4ms"], "{top}");
        let samples = go_tool_pprof(
            &profile,
            &["-top", "-symbolize=none", "-sample_index=samples"],
        )
        .unwrap();
        assert_eq!(top_row(&samples, "app::lex"), ["5", "5"], "{samples}");

        let raw = go_tool_pprof(&profile, &["-raw", "-symbolize=none"]).unwrap();
        for expected in [
            "PeriodType: cpu nanoseconds",
            "Period: 4000000",
            "Duration: 2s",
            "samples/count cpu/nanoseconds",
            "3   12000000: 1 2 3",
            "thread:[main]",
            "thread:[worker]",
            "app::lex src/main.rs:20",
            "app::main src/main.rs:4",
        ] {
            assert!(raw.contains(expected), "{expected:?} in\n{raw}");
        }
    }

    #[cfg(feature = "serve")]
    #[test]
    fn go_tool_pprof_reads_an_allocs_profile_gzipped() {
        let frame = |name, line| FrameRef {
            name,
            file: "src/lib.rs",
            line,
        };
        let paths = vec![
            (
                vec![frame("svc::handle", 5), frame("svc::decode", 40)],
                1_000,
                64_000_000,
            ),
            (vec![frame("svc::handle", 5)], 10, 1_024),
            (
                vec![frame("svc::handle", 5), frame("svc::encode", 70)],
                3_000,
                3_000_000,
            ),
        ];
        let profile = allocs_profile(
            paths.into_iter(),
            SystemTime::now(),
            Duration::from_secs(60),
        );
        let gzipped = gzip(&profile);
        assert_eq!(gzipped[..2], [0x1f, 0x8b], "a gzip header");
        let Some(space) = go_tool_pprof(
            &gzipped,
            &["-top", "-symbolize=none", "-sample_index=alloc_space"],
        ) else {
            return;
        };
        assert!(space.contains("Type: alloc_space"), "{space}");
        assert_eq!(
            top_row(&space, "svc::decode"),
            ["62500kB", "62500kB"],
            "{space}"
        );
        assert_eq!(
            top_row(&space, "svc::encode"),
            ["2929.69kB", "2929.69kB"],
            "{space}"
        );
        assert_eq!(
            top_row(&space, "svc::handle"),
            ["1kB", "65430.69kB"],
            "{space}"
        );
        // alloc_space is the default, as in Go's allocs profile.
        let default = go_tool_pprof(&gzipped, &["-top", "-symbolize=none"]).unwrap();
        assert!(default.contains("Type: alloc_space"), "{default}");
        let objects = go_tool_pprof(
            &gzipped,
            &["-top", "-symbolize=none", "-sample_index=alloc_objects"],
        )
        .unwrap();
        assert_eq!(
            top_row(&objects, "svc::encode"),
            ["3000", "3000"],
            "{objects}"
        );
        assert_eq!(
            top_row(&objects, "svc::handle"),
            ["10", "4010"],
            "{objects}"
        );
    }
}
