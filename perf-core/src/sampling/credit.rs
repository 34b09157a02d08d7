//! Crediting CPU samples to instrumented functions, so that `run.json` says
//! what share of the CPU each one used and the sampled and instrumented
//! views of a run agree.
//!
//! A frame is an instrumented function's when its name is the function's
//! code path (a symbol, or an inlined frame with full debug info) and, if
//! several functions share that path once generics and traits are left out,
//! its source line falls inside one of them. A frame that line tables name
//! only by the function's own name, or a closure or async body (`{closure#0}`),
//! is the function's when its file is the function's and its line falls
//! between the function's first and last line.

use std::collections::HashMap;
use std::path::Path;

use super::symbols::code_key;
use super::{CpuProfile, Frame};
use crate::model::{CpuSamples, FunctionStats};

/// An instrumented function as frames can name it.
struct Code<'a> {
    /// Index into the run's functions.
    function: usize,
    /// `app::Parser::parse`.
    key: String,
    /// `parse`.
    ident: String,
    file: &'a str,
    line: u32,
    end_line: Option<u32>,
}

impl Code<'_> {
    /// Whether `frame` is in this function's file, at a line inside it.
    fn holds(&self, frame: &Frame) -> bool {
        let (Some(file), Some(end)) = (frame.file.as_deref(), self.end_line) else {
            return false;
        };
        frame.line > 0 && (self.line..=end).contains(&frame.line) && same_file(file, self.file)
    }
}

/// Where to look a frame up.
struct Index<'a> {
    codes: Vec<Code<'a>>,
    /// Per code key, the codes that have it.
    by_key: HashMap<String, Vec<usize>>,
}

impl<'a> Index<'a> {
    fn new(sites: &'a [CodeSite], functions: &[FunctionStats]) -> Self {
        let position: HashMap<&str, usize> = functions
            .iter()
            .enumerate()
            .map(|(i, f)| (f.name.as_str(), i))
            .collect();
        let mut index = Index {
            codes: Vec::new(),
            by_key: HashMap::new(),
        };
        for site in sites {
            let Some(&function) = position.get(site.name) else {
                continue;
            };
            let key = code_key(site.code_path);
            let ident = key.rsplit("::").next().unwrap_or_default().to_owned();
            index
                .by_key
                .entry(key.clone())
                .or_default()
                .push(index.codes.len());
            index.codes.push(Code {
                function,
                key,
                ident,
                file: site.file,
                line: site.line,
                end_line: site.end_line,
            });
        }
        index
    }

    /// The one function among `candidates` that `frame` belongs to.
    fn choose(&self, candidates: impl Iterator<Item = usize>, frame: &Frame) -> Option<&Code<'a>> {
        let candidates: Vec<&Code<'a>> = candidates.map(|i| &self.codes[i]).collect();
        let first = candidates.first()?;
        if candidates.iter().all(|c| c.function == first.function) {
            return Some(first);
        }
        // Several functions: the innermost whose lines hold the frame's, if any.
        let holding = candidates.into_iter().filter(|c| c.holds(frame));
        holding.max_by_key(|c| c.line)
    }

    /// The function `frame` belongs to, and the full name to show for a
    /// frame that debug info named only by its own name.
    fn find(&self, frame: &Frame) -> Option<(usize, Option<&str>)> {
        let key = code_key(&frame.name);
        if let Some(candidates) = self.by_key.get(&key) {
            return self
                .choose(candidates.iter().copied(), frame)
                .map(|c| (c.function, None));
        }
        if key.contains("::") {
            return None;
        }
        let file = frame.file.as_deref()?;
        if frame.line == 0 {
            // No line to place it by: only a name that one function in the file has.
            let named = (0..self.codes.len())
                .filter(|&i| self.codes[i].ident == key && same_file(file, self.codes[i].file));
            let code = self.choose(named, frame)?;
            return Some((code.function, Some(code.key.as_str())));
        }
        // The function's own name, or a closure or async body inside it
        // (its key is empty: closures are left out of keys).
        let inside = (0..self.codes.len()).filter(|&i| {
            let code = &self.codes[i];
            (key.is_empty() || code.ident == key) && code.holds(frame)
        });
        let code = inside.map(|i| &self.codes[i]).max_by_key(|c| c.line)?;
        let full_name = (!key.is_empty()).then_some(code.key.as_str());
        Some((code.function, full_name))
    }
}

/// Whether a debug-info path and a `file!()` path name the same file.
fn same_file(debug_info: &Path, file_macro: &str) -> bool {
    let file_macro = Path::new(file_macro);
    !file_macro.as_os_str().is_empty()
        && (debug_info.ends_with(file_macro) || file_macro.ends_with(debug_info))
}

/// An instrumented place with the path of its code.
pub(crate) struct CodeSite {
    /// The name it is recorded under.
    pub(crate) name: &'static str,
    /// Its code's path, as `type_name` spells it.
    pub(crate) code_path: &'static str,
    /// `file!()` of the place.
    pub(crate) file: &'static str,
    /// `line!()` of the place: the function's first line.
    pub(crate) line: u32,
    /// The function's last line, when known.
    pub(crate) end_line: Option<u32>,
}

/// Sets `cpu_samples` of each function in `functions` that has code to
/// find, and gives inlined frames named by their own name only their full
/// path in `profile`.
pub(crate) fn credit(profile: &mut CpuProfile, code: &[CodeSite], functions: &mut [FunctionStats]) {
    let index = Index::new(code, functions);
    let mut totals = vec![0u64; functions.len()];
    let mut selfs = vec![0u64; functions.len()];
    let mut on_stack: Vec<usize> = Vec::new();
    for stack in &mut profile.stacks {
        on_stack.clear();
        // The first frame is the thread's name; the innermost function ends up last.
        for frame in stack.frames.iter_mut().skip(1) {
            if let Some((function, full_name)) = index.find(frame) {
                on_stack.retain(|&j| j != function);
                on_stack.push(function);
                if let Some(full_name) = full_name {
                    frame.name = full_name.to_owned();
                }
            }
        }
        for &i in &on_stack {
            totals[i] += stack.samples;
        }
        if let Some(&innermost) = on_stack.last() {
            selfs[innermost] += stack.samples;
        }
    }
    let all = profile.samples();
    let mut credited = vec![false; functions.len()];
    for code in &index.codes {
        credited[code.function] = true;
    }
    for (i, function) in functions.iter_mut().enumerate() {
        // A scope has no code of its own to find in a sample.
        if !credited[i] {
            continue;
        }
        function.cpu_samples = Some(CpuSamples::new(totals[i], selfs[i], all));
    }
}

#[cfg(test)]
mod tests {
    use std::time::{Duration, SystemTime};

    use super::*;
    use crate::sampling::SampledStack;

    fn function(name: &str) -> FunctionStats {
        let mut function = FunctionStats::new(name, "src/app.rs", 1);
        function.calls = 1;
        function
    }

    fn site(name: &'static str, code_path: &'static str, lines: (u32, u32)) -> CodeSite {
        CodeSite {
            name,
            code_path,
            file: "src/app.rs",
            line: lines.0,
            end_line: Some(lines.1),
        }
    }

    /// A frame: `name @ line` in `/work/app/src/app.rs`, or without debug info.
    fn frame(name: &str, line: Option<u32>) -> Frame {
        Frame {
            name: name.to_owned(),
            file: line.map(|_| "/work/app/src/app.rs".into()),
            line: line.unwrap_or(0),
        }
    }

    /// Credits one stack of 10 samples (`frames` from the root) and returns
    /// (total, self) per function, with the frames as renamed.
    fn credit_one(
        sites: &[CodeSite],
        names: &[&str],
        frames: Vec<Frame>,
    ) -> (Vec<(u64, u64)>, Vec<String>) {
        let mut functions: Vec<FunctionStats> = names.iter().map(|n| function(n)).collect();
        let mut stack = vec![frame("main", None)];
        stack.extend(frames);
        let mut profile = CpuProfile {
            frequency_hz: 250,
            stacks: vec![SampledStack {
                frames: stack,
                samples: 10,
            }],
            started: SystemTime::UNIX_EPOCH,
            duration: Duration::ZERO,
            cpu_time: Duration::ZERO,
        };
        credit(&mut profile, sites, &mut functions);
        let counts = functions
            .iter()
            .map(|f| {
                f.cpu_samples
                    .as_ref()
                    .map_or((0, 0), |c| (c.total, c.self_))
            })
            .collect();
        let renamed = profile.stacks[0]
            .frames
            .iter()
            .map(|f| f.name.clone())
            .collect();
        (counts, renamed)
    }

    #[test]
    fn symbols_match_by_path_and_recursion_counts_once() {
        let sites = [
            site("app::outer", "app::outer", (1, 9)),
            site("app::walk", "<app::Tree<_> as app::Walk>::walk", (10, 20)),
        ];
        let (counts, _) = credit_one(
            &sites,
            &["app::outer", "app::walk"],
            vec![
                frame("app::outer", None),
                frame("<app::Tree<u8> as app::Walk>::walk", None),
                frame("<app::Tree<u8> as app::Walk>::walk::{{closure}}", None),
                frame("core::hint::black_box", None),
            ],
        );
        assert_eq!(counts, [(10, 0), (10, 10)]);
    }

    #[test]
    fn short_names_match_inside_the_functions_lines_only() {
        let sites = [site("app::get", "app::A<_>::get", (10, 20))];
        // Inside its lines: credited, and shown by its full name.
        let (counts, renamed) = credit_one(&sites, &["app::get"], vec![frame("get", Some(15))]);
        assert_eq!(counts, [(10, 10)]);
        assert_eq!(renamed[1], "app::A::get");
        // Another `get` lower in the file is not the instrumented one.
        let (counts, renamed) = credit_one(&sites, &["app::get"], vec![frame("get", Some(40))]);
        assert_eq!(counts, [(0, 0)]);
        assert_eq!(renamed[1], "get");
    }

    #[test]
    fn closures_and_async_bodies_count_for_the_function_around_them() {
        let sites = [site("app::handle", "app::handle::{{closure}}", (5, 30))];
        let (counts, renamed) = credit_one(
            &sites,
            &["app::handle"],
            vec![frame("{closure#0}", Some(12))],
        );
        assert_eq!(counts, [(10, 10)]);
        assert_eq!(renamed[1], "{closure#0}");
    }

    #[test]
    fn an_unknown_line_matches_only_a_name_that_is_unique_in_the_file() {
        let one = [site("app::spin", "app::spin", (5, 9))];
        let (counts, _) = credit_one(&one, &["app::spin"], vec![frame("spin", Some(0))]);
        assert_eq!(counts, [(10, 10)]);
        let two = [
            site("app::A::new", "app::A::new", (5, 9)),
            site("app::B::new", "app::B::new", (15, 19)),
        ];
        let (counts, _) = credit_one(
            &two,
            &["app::A::new", "app::B::new"],
            vec![frame("new", Some(0))],
        );
        assert_eq!(counts, [(0, 0), (0, 0)]);
    }

    #[test]
    fn functions_sharing_a_path_are_told_apart_by_line_or_not_credited() {
        let sites = [
            site("app::A<u8>::get", "app::A<u8>::get", (5, 9)),
            site("app::A<u16>::get", "app::A<u16>::get", (15, 19)),
        ];
        let names = ["app::A<u8>::get", "app::A<u16>::get"];
        let (counts, _) = credit_one(&sites, &names, vec![frame("app::A<u16>::get", Some(17))]);
        assert_eq!(counts, [(0, 0), (10, 10)]);
        let (counts, _) = credit_one(&sites, &names, vec![frame("app::A<u16>::get", None)]);
        assert_eq!(counts, [(0, 0), (0, 0)]);
    }
}
