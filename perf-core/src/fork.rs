//! Fork safety: a child never waits on a lock that another thread of its
//! parent held at the `fork()`.
//!
//! Only the forking thread lives on in the child; a lock that another
//! thread held at that moment stays held there for ever, and a child that
//! waits on it hangs (issue 27: `REGISTRY_LOCK` held by a thread looking
//! for a new peak, and the child spinning in `raise_peak` on its first
//! allocation). The locks the child can meet on the allocation path and on
//! `#[profile]`'s are:
//!
//! - the live heap's registry lock (`alloc::live`), a spin lock taken to
//!   look for a new peak, to read the heap, and as a thread registers and
//!   ends;
//! - the recorder's registry (`recorder::thread`), taken as a thread first
//!   joins a session and as it ends;
//! - the forking thread's own call tree, taken as it makes a node or an
//!   event chunk, and by a session reading it;
//! - the names `#[profile]` derived (`callsite::names`), taken as a place
//!   first runs, before its node is made, with no other lock held;
//! - with the `heap` feature, dhat's own lock while a heap profile runs.
//!
//! A `pthread_atfork` handler, registered once, when the first thread
//! registers with the live heap or a session starts, holds the first four
//! across the fork: `prepare` takes them, in the order every other path
//! takes them (the names, the thread's tree, the recorder's registry, the
//! heap's registry), so that it waits only for holders that are running, and
//! `parent` and `child` let them go. The child so starts with perf's state
//! as one consistent moment of its parent and every lock free: it records
//! normally. dhat's lock is not ours to take, so the child stops handing
//! allocations to dhat: its heap profile, if any, ends at the fork.
//!
//! Reinitialising the locks in the child instead would leave it the
//! half-made update of the thread that held them; a design without locks
//! would cost the hot path.
//!
//! Other threads' call trees are not held across the fork (a thread that
//! ends takes its tree before the registry, so `prepare` could not take them
//! after it without a deadlock): a child that finishes its parent's
//! session could meet one held. Only `Session::finish` reads them.

use std::sync::Once;

static INSTALL: Once = Once::new();

/// Registers the fork handlers, once per process.
pub(crate) fn install() {
    INSTALL.call_once(|| {
        // SAFETY: the handlers are `extern "C"` fns that take no argument
        // and run on the forking thread (see `prepare`).
        unsafe { libc::pthread_atfork(Some(prepare), Some(parent), Some(child)) };
    });
}

/// Takes the locks a child could wait on, before the fork.
extern "C" fn prepare() {
    crate::recorder::hold_for_fork();
    crate::alloc::hold_for_fork();
}

/// Lets them go in the parent, after the fork.
extern "C" fn parent() {
    crate::alloc::release_after_fork();
    crate::recorder::release_after_fork();
}

/// Lets them go in the child, which is the forking thread alone.
extern "C" fn child() {
    crate::alloc::release_after_fork();
    crate::recorder::release_after_fork();
    #[cfg(feature = "heap")]
    crate::heap::forked();
}
