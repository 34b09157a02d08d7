//! Static metadata of one instrumented place, emitted once per place by the
//! macros and referred to by address on the hot path.

use std::sync::OnceLock;

pub(crate) mod names;

/// One instrumented function or scope. Used by generated code; not public API.
#[derive(Debug)]
pub struct Callsite {
    name: &'static str,
    file: &'static str,
    line: u32,
    cpu: bool,
    code: Code,
    naming: Naming,
    /// The name it is recorded under, fixed when it is registered (once,
    /// off the hot path; see [`names`]). Unused for [`Naming::Given`].
    resolved: OnceLock<&'static str>,
}

/// How a callsite's recorded name comes from the name it was made with. Used
/// by generated code; not public API.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Naming {
    /// Given by the user (`name = ".."`, `scope!`, a tracing span): kept as
    /// is; two places given one name are one row, as asked.
    Given,
    /// Made by `#[profile]` (`module::fn`, `module::Type::method`): kept
    /// unless another place took it first, then suffixed with ` (file:line)`.
    Derived,
    /// `module::method` of a method put alone under `#[profile]`: becomes
    /// `module::Type::method` (or `<module::Type as Trait>::method`) from
    /// the function's own path, then as [`Naming::Derived`].
    Method,
}

/// Where the machine code of an instrumented place is, as a path that CPU
/// samples can be matched against.
#[derive(Debug)]
enum Code {
    /// A scope: no function of its own.
    Unknown,
    /// The path of the function, known when the callsite is made.
    Path(&'static str),
    /// A function nested in the instrumented one: its type name is the
    /// instrumented function's path plus its own name (`type_name` is not
    /// usable in a `static`'s initialiser, so it is asked for later); the
    /// instrumented function ends at `end_line`.
    Marker {
        marker: fn() -> &'static str,
        end_line: u32,
    },
}

impl Callsite {
    /// Metadata for one place: its name, where it is, and whether it also
    /// measures thread CPU time.
    pub const fn new(name: &'static str, file: &'static str, line: u32, cpu: bool) -> Self {
        Callsite {
            name,
            file,
            line,
            cpu,
            code: Code::Unknown,
            naming: Naming::Given,
            resolved: OnceLock::new(),
        }
    }

    /// Metadata for an instrumented function spanning lines `line` to
    /// `end_line`; `marker` is a function nested in it that returns its own
    /// `type_name`, which names the function's code.
    pub const fn function(
        name: &'static str,
        file: &'static str,
        line: u32,
        end_line: u32,
        cpu: bool,
        marker: fn() -> &'static str,
    ) -> Self {
        Self::function_named(name, Naming::Given, file, line, end_line, cpu, marker)
    }

    /// As [`Callsite::function`], with the name formed by `naming`.
    pub const fn function_named(
        name: &'static str,
        naming: Naming,
        file: &'static str,
        line: u32,
        end_line: u32,
        cpu: bool,
        marker: fn() -> &'static str,
    ) -> Self {
        Callsite {
            name,
            file,
            line,
            cpu,
            code: Code::Marker { marker, end_line },
            naming,
            resolved: OnceLock::new(),
        }
    }

    /// Metadata for a place whose function path is known at run time, such as
    /// the span of a `#[tracing::instrument]` function.
    #[cfg_attr(not(feature = "tracing"), allow(dead_code))]
    pub(crate) const fn with_code_path(
        name: &'static str,
        file: &'static str,
        line: u32,
        code_path: &'static str,
    ) -> Self {
        Callsite {
            name,
            file,
            line,
            cpu: false,
            code: Code::Path(code_path),
            naming: Naming::Given,
            resolved: OnceLock::new(),
        }
    }

    /// The name the place is recorded under: the name it was made with, or
    /// for a name `#[profile]` derived, that name completed and made unique
    /// when the place first ran (see [`names`]).
    pub fn name(&self) -> &'static str {
        match self.naming {
            Naming::Given => self.name,
            Naming::Derived | Naming::Method => self
                .resolved
                .get_or_init(|| names::claim(self, self.base_name())),
        }
    }

    /// Fixes the recorded name; called when the place first gets a node in
    /// a thread's call tree, so that the first place to run keeps a shared
    /// name. Cold: once per node, never per call.
    pub(crate) fn register(&self) {
        if self.naming != Naming::Given {
            let _ = self.name();
        }
    }

    /// The name before it is made unique.
    fn base_name(&self) -> String {
        match (self.naming, &self.code) {
            (Naming::Method, Code::Marker { marker, .. }) => {
                names::method_name(self.name, marker()).unwrap_or_else(|| self.name.to_owned())
            }
            _ => self.name.to_owned(),
        }
    }

    /// The source file.
    pub fn file(&self) -> &'static str {
        self.file
    }

    /// The source line.
    pub fn line(&self) -> u32 {
        self.line
    }

    /// Whether each call also reads the thread's CPU time.
    #[inline(always)]
    pub(crate) fn cpu(&self) -> bool {
        self.cpu
    }

    /// Whether the span's calls run through its node's slot (a `#[profile]`
    /// fn's do; a `scope!` guard's and a tracing span's cannot), in an
    /// instruction build (see `recorder::slot`).
    #[cfg(perf_instructions)]
    #[inline(always)]
    pub(crate) fn runs_in_slot(&self) -> bool {
        matches!(self.code, Code::Marker { .. })
    }

    /// The path of the function whose code this place is, as
    /// `std::any::type_name` spells it (`app::Parser<_>::parse`), if it is a
    /// function.
    #[cfg_attr(not(all(feature = "cpu", unix)), allow(dead_code))]
    pub(crate) fn code_path(&self) -> Option<&'static str> {
        match self.code {
            Code::Unknown => None,
            Code::Path(path) => Some(path),
            Code::Marker { marker, .. } => marker().rsplit_once("::").map(|(path, _)| path),
        }
    }

    /// The last line of the instrumented function, when known.
    #[cfg_attr(not(all(feature = "cpu", unix)), allow(dead_code))]
    pub(crate) fn end_line(&self) -> Option<u32> {
        match self.code {
            Code::Marker { end_line, .. } => Some(end_line),
            Code::Unknown | Code::Path(_) => None,
        }
    }
}
