//! Crediting CPU samples to instrumented functions, so that `run.json` says
//! what share of the CPU each one used and the sampled and instrumented
//! views of a run agree.
//!
//! A frame is an instrumented function's when its name is the function's
//! code path (a symbol, or an inlined frame with full debug info), or, for an
//! inlined frame that line tables name only by the function's own name, when
//! that name, the source file and the line (the nearest instrumented
//! function above it in that file) agree.

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
    file: &'a str,
    line: u32,
}

/// Where to look a frame up.
struct Index<'a> {
    by_key: HashMap<String, usize>,
    /// Per function name (the last segment of the key), the candidates.
    by_ident: HashMap<String, Vec<Code<'a>>>,
}

impl<'a> Index<'a> {
    fn new(code: &'a [CodeSite], functions: &[FunctionStats]) -> Self {
        let position: HashMap<&str, usize> = functions
            .iter()
            .enumerate()
            .map(|(i, f)| (f.name.as_str(), i))
            .collect();
        let mut index = Index {
            by_key: HashMap::new(),
            by_ident: HashMap::new(),
        };
        for site in code {
            let Some(&function) = position.get(site.name) else {
                continue;
            };
            let key = code_key(site.code_path);
            let ident = key.rsplit("::").next().unwrap_or_default().to_owned();
            index.by_key.insert(key.clone(), function);
            index.by_ident.entry(ident).or_default().push(Code {
                function,
                key,
                file: site.file,
                line: site.line,
            });
        }
        index
    }

    /// The function `frame` belongs to, and the full name to show for a
    /// frame that debug info named only by its own name.
    fn find(&self, frame: &Frame) -> Option<(usize, Option<&str>)> {
        let key = code_key(&frame.name);
        if let Some(&function) = self.by_key.get(&key) {
            return Some((function, None));
        }
        if key.contains("::") {
            return None;
        }
        let file = frame.file.as_deref()?;
        self.by_ident
            .get(&key)?
            .iter()
            .filter(|c| same_file(file, c.file) && c.line <= frame.line)
            .max_by_key(|c| c.line)
            .map(|c| (c.function, Some(c.key.as_str())))
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
    /// `line!()` of the place.
    pub(crate) line: u32,
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
    for codes in index.by_ident.values() {
        for code in codes {
            credited[code.function] = true;
        }
    }
    for (i, function) in functions.iter_mut().enumerate() {
        // A scope has no code of its own to find in a sample.
        if !credited[i] {
            continue;
        }
        function.cpu_samples = Some(CpuSamples {
            total: totals[i],
            self_: selfs[i],
            share: if all == 0 {
                0.0
            } else {
                totals[i] as f64 / all as f64
            },
        });
    }
}
