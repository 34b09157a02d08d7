//! Colour on a terminal: `--color auto|always|never`, decided once from
//! the flag and the environment as cargo and ripgrep do, and the one
//! palette every table paints with (regressed red, improved green,
//! inconclusive and not gated yellow). JSON, Markdown and HTML are never painted.

use std::io::IsTerminal as _;

use anstyle::{AnsiColor, Style};

/// When to colour the output (`--color`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) enum ColorChoice {
    /// On a terminal, unless `NO_COLOR` is set or `CI` is (or
    /// `CLICOLOR_FORCE` asks for colour anyway).
    #[default]
    Auto,
    /// Always, also into a pipe or a file.
    Always,
    /// Never.
    Never,
}

/// What in the environment decides `auto`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct Surroundings {
    /// `NO_COLOR` is set to something (no-color.org): no colour.
    pub(crate) no_color: bool,
    /// `CLICOLOR_FORCE` is set to something other than `0`: colour even
    /// when not on a terminal.
    pub(crate) clicolor_force: bool,
    /// `CI` is set: a CI job's log, no colour.
    pub(crate) ci: bool,
    /// Standard output is a terminal (and `TERM` is not `dumb`).
    pub(crate) terminal: bool,
}

impl Surroundings {
    /// This process's environment and standard output.
    pub(crate) fn of_process() -> Surroundings {
        let set = |name: &str| std::env::var_os(name).is_some_and(|v| !v.is_empty());
        let dumb = std::env::var_os("TERM").is_some_and(|t| t == "dumb");
        Surroundings {
            no_color: set("NO_COLOR"),
            clicolor_force: std::env::var_os("CLICOLOR_FORCE")
                .is_some_and(|v| !v.is_empty() && v != "0"),
            ci: std::env::var_os("CI").is_some(),
            terminal: std::io::stdout().is_terminal() && !dumb,
        }
    }
}

impl ColorChoice {
    /// Whether to colour, in `surroundings`: `NO_COLOR` wins over
    /// everything in `auto`, then `CLICOLOR_FORCE`, then `CI` and a
    /// terminal.
    pub(crate) fn palette(self, surroundings: Surroundings) -> Palette {
        let enabled = match self {
            ColorChoice::Always => true,
            ColorChoice::Never => false,
            ColorChoice::Auto if surroundings.no_color => false,
            ColorChoice::Auto if surroundings.clicolor_force => true,
            ColorChoice::Auto => surroundings.terminal && !surroundings.ci,
        };
        Palette { enabled }
    }
}

/// What a painted line says.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Tone {
    /// Regressed, exceeded, growing: red.
    Worse,
    /// Improved, stable: green.
    Better,
    /// Inconclusive, not gated, slowly creeping: yellow.
    Unsure,
}

impl Tone {
    fn style(self) -> Style {
        let color = match self {
            Tone::Worse => AnsiColor::Red,
            Tone::Better => AnsiColor::Green,
            Tone::Unsure => AnsiColor::Yellow,
        };
        Style::new().fg_color(Some(color.into()))
    }
}

/// Paints text in a [`Tone`], or leaves it plain when colour is off.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct Palette {
    enabled: bool,
}

impl Palette {
    /// A palette that paints (`true`) or leaves text plain.
    pub(crate) fn new(enabled: bool) -> Palette {
        Palette { enabled }
    }

    /// Whether it paints.
    pub(crate) fn enabled(self) -> bool {
        self.enabled
    }

    /// `text` in `tone`: the escape codes around it, without its line end.
    pub(crate) fn paint(self, tone: Option<Tone>, text: &str) -> String {
        match tone {
            Some(tone) if self.enabled && !text.is_empty() => {
                let style = tone.style();
                format!("{style}{text}{style:#}")
            }
            _ => text.to_owned(),
        }
    }

    /// The lines of `text` painted one by one in `tones` (the rest plain):
    /// a table's rows, aligned before they are painted.
    pub(crate) fn paint_lines(
        self,
        text: &str,
        tones: impl IntoIterator<Item = Option<Tone>>,
    ) -> String {
        if !self.enabled {
            return text.to_owned();
        }
        let mut tones = tones.into_iter();
        let mut out = String::with_capacity(text.len() + 64);
        for line in text.split_inclusive('\n') {
            let (body, end) = match line.strip_suffix('\n') {
                Some(body) => (body, "\n"),
                None => (line, ""),
            };
            out.push_str(&self.paint(tones.next().flatten(), body));
            out.push_str(end);
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const TERMINAL: Surroundings = Surroundings {
        no_color: false,
        clicolor_force: false,
        ci: false,
        terminal: true,
    };

    #[test]
    fn auto_colours_a_terminal_only_outside_ci_and_without_no_color() {
        let on = |s: Surroundings| ColorChoice::Auto.palette(s).enabled;
        assert!(on(TERMINAL));
        assert!(!on(Surroundings {
            terminal: false,
            ..TERMINAL
        }));
        assert!(!on(Surroundings {
            ci: true,
            ..TERMINAL
        }));
        assert!(!on(Surroundings {
            no_color: true,
            ..TERMINAL
        }));
        // CLICOLOR_FORCE colours a pipe, but NO_COLOR still wins.
        let forced = Surroundings {
            terminal: false,
            ci: true,
            clicolor_force: true,
            ..TERMINAL
        };
        assert!(on(forced));
        assert!(!on(Surroundings {
            no_color: true,
            ..forced
        }));
        assert!(ColorChoice::Always.palette(Surroundings::default()).enabled);
        assert!(!ColorChoice::Never.palette(TERMINAL).enabled);
    }

    #[test]
    fn lines_are_painted_whole_and_only_when_on() {
        let text = "heading\nbad row\ngood row\nplain\n";
        let tones = [None, Some(Tone::Worse), Some(Tone::Better), None];
        assert_eq!(Palette::new(false).paint_lines(text, tones), text);
        assert_eq!(
            Palette::new(true).paint_lines(text, tones),
            "heading\n\x1b[31mbad row\x1b[0m\n\x1b[32mgood row\x1b[0m\nplain\n"
        );
    }
}
