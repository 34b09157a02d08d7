//! Static metadata of one instrumented place, emitted once per place by the
//! macros and referred to by address on the hot path.

/// One instrumented function or scope. Used by generated code; not public API.
#[derive(Debug)]
pub struct Callsite {
    name: &'static str,
    file: &'static str,
    line: u32,
    cpu: bool,
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
        }
    }

    /// The name the place is recorded under.
    pub fn name(&self) -> &'static str {
        self.name
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
}
