//! Reading callgrind's profile (`callgrind.out`), for instruction records
//! (`cargo perf record --instructions`).
//!
//! `cargo perf record --instructions` runs an instruction build, in which each
//! call-tree node's calls run through a slot function `perf_slot_K` of their
//! own (perf-core's `recorder::slot`). A node's inclusive cost is callgrind's
//! inclusive cost of its slot, which this module reads. A span that cannot
//! run through its slot (a `scope!` guard, a tracing span) marks its edges
//! with callgrind dumps instead: each ends a *part* of its thread's profile,
//! triggered `perf o K` (open) or `perf c K` (close), and the span's
//! inclusive cost is the sum of its thread's parts while it was open.
//!
//! The format (callgrind's "Callgrind Format Specification"): after
//! `fn=NAME`, each cost line is the function's own (self) cost at a position;
//! `cfn=CALLEE` then `calls=COUNT TARGET` say that the next cost line is the
//! inclusive cost of those calls. So a function's inclusive cost is its self
//! cost plus the cost lines of its outgoing calls. That is exact for a
//! function that is not on a call cycle, which a slot never is: a recursion
//! goes through a new node, hence a new slot, at each depth.

use std::collections::HashMap;

use perf_format::schema::run::{CallNode, RunData};

/// The events perf asks callgrind for (`--cache-sim=yes`), in its order.
pub(crate) const EVENTS: [&str; 9] = [
    "Ir", "Dr", "Dw", "I1mr", "D1mr", "D1mw", "ILmr", "DLmr", "DLmw",
];

/// Costs of some code, one per event of [`EVENTS`]; an event the profile
/// lacks (a run without cache simulation) is 0.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct Costs(pub(crate) [u64; 9]);

impl Costs {
    /// Instructions executed.
    pub(crate) fn instructions(&self) -> u64 {
        self.0[0]
    }

    /// Estimated CPU cycles from the cache simulation, by the formula of
    /// iai-callgrind (now gungraun) and of pythonspeed.com's "consistent
    /// benchmarking in CI": an L1 hit costs 1 cycle, an LL hit 5 and a
    /// memory access 35, that is
    /// `Ir + Dr + Dw + 4·(I1mr + D1mr + D1mw) + 30·(ILmr + DLmr + DLmw)`
    /// (every access counted once, plus 4 for each L1 miss, plus 30 more for
    /// each LL miss).
    pub(crate) fn estimated_cycles(&self) -> u64 {
        let [ir, dr, dw, i1mr, d1mr, d1mw, ilmr, dlmr, dlmw] = self.0;
        ir + dr + dw + 4 * (i1mr + d1mr + d1mw) + 30 * (ilmr + dlmr + dlmw)
    }

    fn add(&mut self, other: &Costs) {
        for (a, b) in self.0.iter_mut().zip(other.0) {
            *a += b;
        }
    }

    /// Subtracts, stopping at 0 (cache misses are not additive to the last
    /// one: a callee can miss where its caller alone would not have).
    fn sub(&mut self, other: &Costs) {
        for (a, b) in self.0.iter_mut().zip(other.0) {
            *a = a.saturating_sub(b);
        }
    }
}

/// What a function cost, over the whole run.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct FunctionCosts {
    /// Calls of the function seen by callgrind (from its callers' arcs).
    pub(crate) calls: u64,
    /// Its own code.
    pub(crate) self_cost: Costs,
    /// Its own code and everything it called.
    pub(crate) inclusive: Costs,
}

/// A parsed `callgrind.out`: costs per function name (all parts, objects and
/// threads of the file summed), and the costs of the spans that marked their
/// edges by dumps.
#[derive(Debug, Default)]
pub(crate) struct Profile {
    pub(crate) functions: HashMap<String, FunctionCosts>,
    /// Inclusive costs of the slots of spans that do not run through them
    /// (`scope!` guards, tracing spans): the parts each was open over.
    pub(crate) marked: HashMap<u32, Costs>,
    /// How many span edges were marked by dumps.
    pub(crate) marked_edges: usize,
}

impl Profile {
    /// The costs of slot `slot`: of one call-tree node of one thread.
    pub(crate) fn slot(&self, slot: u32) -> Option<&FunctionCosts> {
        self.functions.get(&format!("perf_slot_{slot}"))
    }

    /// The inclusive cost of slot `slot`'s calls, however it was counted:
    /// through its slot function, or between the dumps marking its edges.
    pub(crate) fn slot_inclusive(&self, slot: u32) -> Option<Costs> {
        match (self.slot(slot), self.marked.get(&slot)) {
            (Some(function), _) => Some(function.inclusive),
            (None, Some(marked)) => Some(*marked),
            (None, None) => None,
        }
    }
}

/// One part of the profile: what one thread ran between two dumps.
#[derive(Debug, Default)]
struct Part {
    /// Callgrind's thread number (`thread:`; 0 without one).
    thread: u64,
    /// The span edge whose dump ended the part, if perf's.
    edge: Option<(Edge, u32)>,
    /// The part's `totals:` (or `summary:`).
    total: Costs,
}

/// The end of a span that a dump marks (perf-core's `slot::dump_at`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Edge {
    Open,
    Close,
}

/// `Trigger: Client Request: perf o 12` → (open, 12).
fn edge(description: &str) -> Option<(Edge, u32)> {
    let rest = description.strip_prefix("Trigger: Client Request: perf ")?;
    let (edge, slot) = rest.split_once(' ')?;
    let edge = match edge {
        "o" => Edge::Open,
        "c" => Edge::Close,
        _ => return None,
    };
    Some((edge, slot.trim().parse().ok()?))
}

/// The inclusive costs of marked spans: each thread's parts, in order, go to
/// every span open on that thread while the part ran. An edge without its
/// match (a close with no open) changes nothing.
fn marked_costs(parts: &[Part]) -> HashMap<u32, Costs> {
    let mut open: HashMap<u64, Vec<u32>> = HashMap::new();
    let mut costs: HashMap<u32, Costs> = HashMap::new();
    for part in parts {
        let stack = open.entry(part.thread).or_default();
        for slot in stack.iter() {
            costs.entry(*slot).or_default().add(&part.total);
        }
        match part.edge {
            Some((Edge::Open, slot)) => {
                costs.entry(slot).or_default();
                stack.push(slot);
            }
            Some((Edge::Close, slot)) => {
                if let Some(at) = stack.iter().rposition(|&open| open == slot) {
                    stack.remove(at);
                }
            }
            None => {}
        }
    }
    costs
}

/// What the calls of one node of run.json's call tree cost, from its slots.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct NodeCosts {
    /// The calls, callees included: the sum of the node's slots.
    pub(crate) inclusive: Costs,
    /// Less the inclusive costs of its nearest descendants with slots.
    pub(crate) self_cost: Costs,
}

/// The costs of each node of `tree` (in its order), from its slots: run
/// through (a `#[profile]` fn) or marked by dumps (a `scope!` guard, a
/// tracing span). `None` for a node none of whose slots has a cost (made
/// after every slot was taken, or in a build without the cfg): its cost
/// stays in its nearest ancestor's self cost.
pub(crate) fn node_costs(tree: &[CallNode], profile: &Profile) -> Vec<Option<NodeCosts>> {
    let mut costs: Vec<Option<NodeCosts>> = tree
        .iter()
        .map(|node| {
            // A slot that neither ran nor was marked has no cost: the node
            // has no counts of its own (not zero).
            let ran: Vec<Costs> = node
                .slots
                .iter()
                .filter_map(|&slot| profile.slot_inclusive(slot))
                .collect();
            if ran.is_empty() {
                return None;
            }
            let mut inclusive = Costs::default();
            for costs in ran {
                inclusive.add(&costs);
            }
            Some(NodeCosts {
                inclusive,
                self_cost: inclusive,
            })
        })
        .collect();
    let index: HashMap<u32, usize> = tree.iter().enumerate().map(|(i, n)| (n.id, i)).collect();
    for (i, node) in tree.iter().enumerate() {
        let Some(child) = costs[i] else { continue };
        // The nearest ancestor with slots pays for this node no more.
        let mut parent = node.parent;
        while let Some(&p) = parent.and_then(|id| index.get(&id)) {
            if let Some(ancestor) = &mut costs[p] {
                ancestor.self_cost.sub(&child.inclusive);
                break;
            }
            parent = tree[p].parent;
        }
    }
    costs
}

/// Writes each call-tree node's instructions and estimated cycles (see
/// [`node_costs`]) into it; nodes without slots keep `None`.
pub(crate) fn annotate(tree: &mut [CallNode], profile: &Profile) {
    let costs = node_costs(tree, profile);
    for (node, costs) in tree.iter_mut().zip(costs) {
        let Some(costs) = costs else { continue };
        node.total_instructions = Some(costs.inclusive.instructions());
        node.self_instructions = Some(costs.self_cost.instructions());
        node.total_est_cycles = Some(costs.inclusive.estimated_cycles());
        node.self_est_cycles = Some(costs.self_cost.estimated_cycles());
    }
}

/// Writes the instructions and estimated cycles of `profile` into `run`:
/// each call-tree node's ([`annotate`]) and each function's
/// ([`annotate_functions`]).
pub(crate) fn annotate_run(run: &mut RunData, profile: &Profile) {
    annotate(&mut run.call_tree, profile);
    annotate_functions(run);
}

/// Writes each function's instructions and estimated cycles, from its
/// call-tree nodes (already annotated), into its stats: self costs summed
/// over every node of the function, inclusive costs over its outermost
/// nodes only (those with no ancestor node of the same function), so that a
/// recursion counts once, as the function's `total_ns` does. A function
/// some of whose nodes have no counts (calls outside a slot) gets none: a
/// figure over part of its calls would not be per call.
pub(crate) fn annotate_functions(run: &mut RunData) {
    #[derive(Default)]
    struct Sums {
        counted: bool,
        missing: bool,
        total: [u64; 2],
        self_: [u64; 2],
    }
    let tree = &run.call_tree;
    let index: HashMap<u32, usize> = tree.iter().enumerate().map(|(i, n)| (n.id, i)).collect();
    let mut sums: HashMap<&str, Sums> = HashMap::new();
    for node in tree {
        let sum = sums.entry(node.function.as_str()).or_default();
        let (
            Some(total_instructions),
            Some(self_instructions),
            Some(total_cycles),
            Some(self_cycles),
        ) = (
            node.total_instructions,
            node.self_instructions,
            node.total_est_cycles,
            node.self_est_cycles,
        )
        else {
            sum.missing = true;
            continue;
        };
        sum.counted = true;
        sum.self_[0] += self_instructions;
        sum.self_[1] += self_cycles;
        // Under an ancestor of the same function, its cost is in that one's.
        let mut parent = node.parent;
        let mut recursive = false;
        while let Some(&p) = parent.and_then(|id| index.get(&id)) {
            if tree[p].function == node.function {
                recursive = true;
                break;
            }
            parent = tree[p].parent;
        }
        if !recursive {
            sum.total[0] += total_instructions;
            sum.total[1] += total_cycles;
        }
    }
    let sums: HashMap<String, Sums> = sums.into_iter().map(|(k, v)| (k.to_owned(), v)).collect();
    for stats in &mut run.functions {
        match sums.get(&stats.name) {
            Some(sum) if sum.counted && !sum.missing => {
                stats.total_instructions = Some(sum.total[0]);
                stats.self_instructions = Some(sum.self_[0]);
                stats.total_est_cycles = Some(sum.total[1]);
                stats.self_est_cycles = Some(sum.self_[1]);
            }
            _ => {
                stats.total_instructions = None;
                stats.self_instructions = None;
                stats.total_est_cycles = None;
                stats.self_est_cycles = None;
            }
        }
    }
}

/// A line of the file that cannot be read.
#[derive(Debug, PartialEq, Eq, thiserror::Error)]
#[error("line {line}: {problem}")]
pub(crate) struct ParseError {
    pub(crate) line: usize,
    pub(crate) problem: String,
}

/// Reads a callgrind profile written with `--compress-strings=no` (compressed
/// names, `(id) name` then `(id)`, are understood too).
pub(crate) fn parse(text: &str) -> Result<Profile, ParseError> {
    let mut parser = Parser::default();
    for (i, line) in text.lines().enumerate() {
        parser.line(line).map_err(|problem| ParseError {
            line: i + 1,
            problem,
        })?;
    }
    Ok(parser.finish())
}

#[derive(Default)]
struct Parser {
    /// For each column of the file's cost lines, its index in [`EVENTS`].
    columns: Vec<Option<usize>>,
    /// Position columns before the costs (`positions: line` → 1).
    positions: usize,
    names: HashMap<String, String>,
    function: Option<String>,
    callee: Option<String>,
    /// Set by `calls=`: the next cost line is that call's inclusive cost.
    call: Option<u64>,
    /// Set by `jump=`/`jcnd=`: the next line is the jump's, not a cost.
    skip_next: bool,
    functions: HashMap<String, FunctionCosts>,
    /// The parts read so far, and the one being read.
    parts: Vec<Part>,
    part: Part,
}

impl Parser {
    fn line(&mut self, line: &str) -> Result<(), String> {
        if std::mem::take(&mut self.skip_next) {
            return Ok(());
        }
        let line = line.trim_end();
        if line.is_empty() || line.starts_with('#') {
            return Ok(());
        }
        if line.starts_with(|c: char| c.is_ascii_digit() || matches!(c, '+' | '-' | '*')) {
            return self.cost_line(line);
        }
        let (key, value) = match line.split_once(['=', ':']) {
            Some(split) => split,
            None => return Err(format!("not a callgrind line: {line:?}")),
        };
        let value = value.trim();
        match key {
            "events" => {
                self.columns = value
                    .split_whitespace()
                    .map(|event| EVENTS.iter().position(|e| *e == event))
                    .collect();
            }
            "positions" => self.positions = value.split_whitespace().count(),
            "fn" => {
                self.function = Some(self.name(value)?);
                self.call = None;
            }
            "cfn" => self.callee = Some(self.name(value)?),
            "calls" => {
                let count = value.split_whitespace().next().unwrap_or_default();
                let count = count
                    .parse()
                    .map_err(|_| format!("bad call count {count:?}"))?;
                self.call = Some(count);
            }
            "jump" | "jcnd" => self.skip_next = true,
            // A part's `totals:` come after its `summary:`; they are equal.
            "summary" | "totals" => self.part.total = self.costs(value.split_whitespace())?,
            "part" => self.parts.push(std::mem::take(&mut self.part)),
            "thread" => {
                self.part.thread = value
                    .parse()
                    .map_err(|_| format!("bad thread number {value:?}"))?;
            }
            "desc" => {
                if let Some(edge) = edge(value) {
                    self.part.edge = Some(edge);
                }
            }
            // Objects, files, and the header's descriptions: not needed.
            _ => {}
        }
        Ok(())
    }

    /// A name, with callgrind's compression (`(3) name`, later `(3)`) undone
    /// and its recursion suffix (`'2`, from `--separate-recs`) taken off.
    fn name(&mut self, value: &str) -> Result<String, String> {
        // `(3) name` is compressed; `(below main)` is a name.
        let compressed = value
            .strip_prefix('(')
            .and_then(|rest| rest.split_once(')'))
            .filter(|(id, _)| !id.is_empty() && id.bytes().all(|b| b.is_ascii_digit()));
        let name = match compressed {
            Some((id, name)) => {
                let name = name.trim();
                if name.is_empty() {
                    self.names
                        .get(id)
                        .cloned()
                        .ok_or_else(|| format!("name ({id}) used before it is defined"))?
                } else {
                    self.names.insert(id.to_owned(), name.to_owned());
                    name.to_owned()
                }
            }
            None => value.to_owned(),
        };
        Ok(strip_recursion(&name).to_owned())
    }

    fn costs<'a>(&self, values: impl Iterator<Item = &'a str>) -> Result<Costs, String> {
        let mut costs = Costs::default();
        for (column, value) in values.enumerate() {
            let value: u64 = value.parse().map_err(|_| format!("bad cost {value:?}"))?;
            if let Some(Some(event)) = self.columns.get(column) {
                costs.0[*event] += value;
            }
        }
        Ok(costs)
    }

    fn cost_line(&mut self, line: &str) -> Result<(), String> {
        let costs = self.costs(line.split_whitespace().skip(self.positions.max(1)))?;
        let function = self
            .function
            .clone()
            .ok_or_else(|| "a cost line before any fn=".to_owned())?;
        match self.call.take() {
            Some(count) => {
                let callee = self
                    .callee
                    .clone()
                    .ok_or_else(|| "calls= without cfn=".to_owned())?;
                self.functions.entry(callee.clone()).or_default().calls += count;
                // A function calling itself (a recursion callgrind did not
                // separate) would count its own cost twice.
                if callee != function {
                    self.functions
                        .entry(function)
                        .or_default()
                        .inclusive
                        .add(&costs);
                }
            }
            None => {
                let entry = self.functions.entry(function).or_default();
                entry.self_cost.add(&costs);
                entry.inclusive.add(&costs);
            }
        }
        Ok(())
    }

    fn finish(mut self) -> Profile {
        self.parts.push(self.part);
        Profile {
            functions: self.functions,
            marked: marked_costs(&self.parts),
            marked_edges: self.parts.iter().filter(|p| p.edge.is_some()).count(),
        }
    }
}

/// `name'2` → `name`: callgrind marks recursion levels with `'N`.
fn strip_recursion(name: &str) -> &str {
    match name.rsplit_once('\'') {
        Some((base, level)) if !level.is_empty() && level.bytes().all(|b| b.is_ascii_digit()) => {
            base
        }
        _ => name,
    }
}

#[cfg(test)]
mod tests {
    use perf_format::schema::run::FunctionStats;

    use super::*;

    /// Cut from a real run of a slot demo program under valgrind 3.19
    /// (the options of DESIGN §6.3), then trimmed: slots 0 (`mid`, 10 calls)
    /// and 1 (`leaf`, 10 000 calls of 100 iterations), the closure between
    /// them, and one of `fib`'s recursion levels.
    const FIXTURE: &str = include_str!("../../tests/fixtures/callgrind/slots.out");

    fn profile() -> Profile {
        parse(FIXTURE).unwrap()
    }

    #[test]
    fn a_slot_is_its_self_cost_plus_its_calls() {
        let profile = profile();
        let leaf = profile.slot(1).unwrap();
        assert_eq!(leaf.calls, 10_000);
        assert_eq!(leaf.inclusive.instructions(), 9_210_000);
        assert_eq!(leaf.inclusive.instructions() / leaf.calls, 921);
        // 6 instructions a call of the slot's own: its frame, the call, `black_box`.
        assert_eq!(leaf.self_cost.instructions(), 60_000);
        let mid = profile.slot(0).unwrap();
        assert_eq!(mid.calls, 10);
        assert_eq!(mid.inclusive.instructions(), 11_253_446);
    }

    #[test]
    fn recursion_levels_are_one_function() {
        let profile = profile();
        assert!(profile.functions.contains_key("slotdemo::fib"));
        assert!(!profile.functions.keys().any(|name| name.contains('\'')));
    }

    #[test]
    fn estimated_cycles() {
        let costs = Costs([10, 5, 3, 1, 1, 0, 1, 0, 0]);
        assert_eq!(costs.estimated_cycles(), 18 + 4 * 2 + 30);
    }

    #[test]
    fn compressed_names_and_missing_events() {
        let text = "events: Ir\nfn=(1) main\n1 5\ncfn=(2) perf_slot_3\ncalls=2 9\n1 40\nfn=(2)\n9 40\nfn=(below main)\n1 1\n";
        let profile = parse(text).unwrap();
        assert_eq!(profile.slot(3).unwrap().calls, 2);
        assert_eq!(profile.slot(3).unwrap().inclusive.instructions(), 40);
        assert_eq!(profile.functions["main"].inclusive.instructions(), 45);
        assert_eq!(profile.functions["main"].inclusive.estimated_cycles(), 45);
        assert_eq!(
            profile.functions["(below main)"].self_cost.instructions(),
            1
        );
    }

    #[test]
    fn spans_marked_by_dumps_sum_their_threads_parts_while_open() {
        // Thread 1: 5 before a scope (slot 4) opens, 30 in it before a
        // nested scope (slot 5) opens, 7 in both, 2 more in slot 4 only, 1
        // after. Thread 2, whose parts come between, opens slot 6 (4 in it)
        // and never closes it: what the run's last part holds counts too.
        let text = "events: Ir\n\
            part: 1\nthread: 1\ndesc: Trigger: Client Request: perf o 4\nfn=main\n1 5\ntotals: 5\n\
            part: 2\nthread: 1\ndesc: Trigger: Client Request: perf o 5\nfn=main\n1 30\ntotals: 30\n\
            part: 3\nthread: 2\ndesc: Trigger: Client Request: perf o 6\nfn=worker\n1 50\ntotals: 50\n\
            part: 4\nthread: 1\ndesc: Trigger: Client Request: perf c 5\nfn=main\n1 7\ntotals: 7\n\
            part: 5\nthread: 1\ndesc: Trigger: Client Request: perf c 4\nfn=main\n1 2\ntotals: 2\n\
            part: 6\nthread: 1\ndesc: Trigger: Program termination\nfn=main\n1 1\ntotals: 1\n\
            part: 6\nthread: 2\ndesc: Trigger: Program termination\nfn=worker\n1 4\ntotals: 4\n";
        let profile = parse(text).unwrap();
        let ir = |slot| profile.slot_inclusive(slot).map(|c| c.instructions());
        assert_eq!(ir(4), Some(30 + 7 + 2));
        assert_eq!(ir(5), Some(7));
        assert_eq!(ir(6), Some(4));
        assert_eq!(ir(7), None);
        assert_eq!(profile.marked_edges, 5);
        // Function costs still sum over every part.
        assert_eq!(profile.functions["main"].self_cost.instructions(), 45);

        // A scope (node 1, slot 4) under slotted node 0 and over slotted
        // node 2 (slot 5 here stands for a run slot): self costs nest.
        let node = |id, parent, slots: Vec<u32>| {
            let mut node = CallNode::new(id, parent, format!("f{id}"));
            node.slots = slots;
            node
        };
        let tree = [node(1, None, vec![4]), node(2, Some(1), vec![5])];
        let costs = node_costs(&tree, &profile);
        assert_eq!(costs[0].unwrap().self_cost.instructions(), 32);
    }

    #[test]
    fn only_perfs_own_triggers_mark_edges() {
        assert_eq!(
            edge("Trigger: Client Request: perf o 12"),
            Some((Edge::Open, 12))
        );
        assert_eq!(
            edge("Trigger: Client Request: perf c 0"),
            Some((Edge::Close, 0))
        );
        assert_eq!(edge("Trigger: Client Request: mid f"), None);
        assert_eq!(edge("Trigger: Client Request: perf x 1"), None);
        assert_eq!(edge("Trigger: Program termination"), None);
    }

    #[test]
    fn nodes_sum_their_slots_and_pay_for_their_nearest_slotted_callees() {
        let text = "events: Ir\n\
            fn=perf_slot_0\n1 10\ncfn=perf_slot_1\ncalls=1 1\n1 100\n\
            fn=perf_slot_1\n1 100\n\
            fn=perf_slot_2\n1 5\n\
            fn=perf_slot_3\n1 7\n";
        let profile = parse(text).unwrap();
        let node = |id, parent, slots: Vec<u32>| {
            let mut node = CallNode::new(id, parent, format!("f{id}"));
            node.slots = slots;
            node
        };
        // 0 (slots 0, 3) → 1 (slot 9, neither run nor marked) → 2 (slot 1);
        // 0 → 3 (slot 2); 0 → 4 (made after every slot was taken).
        let tree = [
            node(0, None, vec![0, 3]),
            node(1, Some(0), vec![9]),
            node(2, Some(1), vec![1]),
            node(3, Some(0), vec![2]),
            node(4, Some(0), vec![]),
        ];
        let costs = node_costs(&tree, &profile);
        let ir =
            |i: usize| costs[i].map(|c| (c.inclusive.instructions(), c.self_cost.instructions()));
        assert_eq!(ir(0), Some((110 + 7, 110 + 7 - 100 - 5)));
        assert_eq!(ir(1), None);
        assert_eq!(ir(2), Some((100, 100)));
        assert_eq!(ir(3), Some((5, 5)));
        assert_eq!(ir(4), None);

        let mut tree = tree;
        annotate(&mut tree, &profile);
        assert_eq!(tree[0].total_instructions, Some(117));
        assert_eq!(tree[0].self_instructions, Some(12));
        assert_eq!(tree[0].self_est_cycles, Some(12));
        assert_eq!(tree[1].total_instructions, None);
        assert_eq!(tree[2].total_est_cycles, Some(100));
    }

    #[test]
    fn functions_sum_their_nodes_and_count_a_recursion_once() {
        let node = |id, parent, function: &str, total: u64, self_: u64| {
            let mut node = CallNode::new(id, parent, function);
            node.total_instructions = Some(total);
            node.self_instructions = Some(self_);
            node.total_est_cycles = Some(2 * total);
            node.self_est_cycles = Some(2 * self_);
            node
        };
        let mut run = RunData::new("r", "app", Default::default());
        // main → rec → rec → leaf; main → leaf; main → scoped (no counts).
        run.call_tree = vec![
            node(0, None, "main", 1_000, 100),
            node(1, Some(0), "rec", 600, 200),
            node(2, Some(1), "rec", 400, 300),
            node(3, Some(2), "leaf", 100, 100),
            node(4, Some(0), "leaf", 300, 300),
            CallNode::new(5, Some(0), "scoped"),
        ];
        run.functions = ["main", "rec", "leaf", "scoped"]
            .map(|name| FunctionStats::new(name, "a.rs", 1))
            .to_vec();
        annotate_functions(&mut run);
        let figures = |name: &str| {
            let f = run.function(name).unwrap();
            (
                f.total_instructions,
                f.self_instructions,
                f.total_est_cycles,
                f.self_est_cycles,
            )
        };
        assert_eq!(
            figures("main"),
            (Some(1_000), Some(100), Some(2_000), Some(200))
        );
        // The inner call is inside the outer one's total.
        assert_eq!(
            figures("rec"),
            (Some(600), Some(500), Some(1_200), Some(1_000))
        );
        assert_eq!(
            figures("leaf"),
            (Some(400), Some(400), Some(800), Some(800))
        );
        assert_eq!(figures("scoped"), (None, None, None, None));
    }

    #[test]
    fn bad_lines_are_named() {
        let err = parse("events: Ir\nfn=main\n1 x\n").unwrap_err();
        assert_eq!(err.line, 3);
        assert!(parse("nonsense\n").is_err());
        assert!(parse("events: Ir\n1 5\n").is_err());
    }
}
