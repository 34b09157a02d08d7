//! Which metrics the gate judges, and how they relate to each other.

use perf_format::schema::record::{Kind, Metric};

/// The metrics `compare` judges, in the order its table shows them. The
/// own-code metrics (self time, self allocations, self instructions) are
/// not judged on their own: they tell whose doing a change of these is.
/// Instructions and estimated cycles exist in instruction records only;
/// net bytes per call in records of runs that counted frees.
pub(super) const COMPARED: [Metric; 9] = [
    Metric::InstructionsPerCall,
    Metric::EstCyclesPerCall,
    Metric::TimePerCall,
    Metric::P95,
    Metric::CpuPerCall,
    Metric::Calls,
    Metric::AllocsPerCall,
    Metric::BytesPerCall,
    Metric::NetBytesPerCall,
];

/// For a metric that includes callees, the metrics that split it: the
/// function's own part and the whole it is part of. A change of the whole
/// is the function's own doing when its own part changed by at least half
/// as much.
pub(super) fn own_part(metric: Metric) -> Option<(Metric, Metric)> {
    match metric {
        Metric::TimePerCall | Metric::P95 | Metric::CpuPerCall => {
            Some((Metric::SelfTimePerCall, Metric::TimePerCall))
        }
        Metric::AllocsPerCall => Some((Metric::SelfAllocsPerCall, Metric::AllocsPerCall)),
        Metric::BytesPerCall => Some((Metric::SelfBytesPerCall, Metric::BytesPerCall)),
        Metric::InstructionsPerCall => {
            Some((Metric::SelfInstructionsPerCall, Metric::InstructionsPerCall))
        }
        Metric::EstCyclesPerCall => Some((Metric::SelfEstCyclesPerCall, Metric::EstCyclesPerCall)),
        _ => None,
    }
}

/// Whether a regression of the metric fails the gate, in a comparison of
/// instruction records (`instructions`) or of normal ones. A p95 moves with
/// how often the machine interrupts calls, more than with the code, so its
/// changes are shown but not gated: budgets limit it absolutely. CPU time
/// per call is shown but not gated either: the machine's drift, taken out
/// of wall times, is not known for CPU time. In instruction records every
/// time is measured under Valgrind, which slows each kind of code by its
/// own factor: times are shown there, and instructions and estimated
/// cycles gate instead.
pub(super) fn gates(metric: Metric, instructions: bool) -> bool {
    if instructions && metric.kind() == Kind::Time {
        return false;
    }
    !matches!(metric, Metric::P95 | Metric::CpuPerCall)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn inclusive_metrics_point_at_their_own_part() {
        let time = Some((Metric::SelfTimePerCall, Metric::TimePerCall));
        assert_eq!(own_part(Metric::TimePerCall), time);
        assert_eq!(own_part(Metric::P95), time);
        assert_eq!(
            own_part(Metric::BytesPerCall),
            Some((Metric::SelfBytesPerCall, Metric::BytesPerCall))
        );
        assert_eq!(own_part(Metric::SelfTimePerCall), None);
        assert_eq!(own_part(Metric::Calls), None);
        assert!(
            !gates(Metric::P95, false)
                && !gates(Metric::CpuPerCall, false)
                && gates(Metric::TimePerCall, false)
        );
        assert_eq!(
            own_part(Metric::InstructionsPerCall),
            Some((Metric::SelfInstructionsPerCall, Metric::InstructionsPerCall))
        );
    }

    #[test]
    fn instruction_records_gate_counts_not_times() {
        assert!(!gates(Metric::TimePerCall, true));
        assert!(!gates(Metric::TimePerRun, true));
        assert!(gates(Metric::InstructionsPerCall, true));
        assert!(gates(Metric::EstCyclesPerCall, true));
        assert!(gates(Metric::AllocsPerCall, true));
        assert!(gates(Metric::Calls, true));
    }
}
