//! Slots: how an instruction build (`RUSTFLAGS="--cfg perf_instructions"`,
//! made by `cargo perf record --instructions`) gives each span its
//! instruction count under callgrind.
//!
//! Callgrind has no client request that reads the running instruction count,
//! but it keeps each function's inclusive cost. So the body of an instrumented
//! function runs through a *slot*: one of [`SLOTS`] functions
//! `perf_slot_K`, each out of line, exported under its own symbol and with a
//! body of its own (`black_box(K)` after the call, which also keeps the call
//! out of tail position), so that neither LLVM nor the linker can merge two
//! of them. Each call-tree node of each thread gets a slot of its own when it
//! is created ([`assign`]); the node's inclusive instructions are then
//! callgrind's inclusive cost of its slot, and its self instructions that
//! less its child nodes' slots. A recursion never makes a callgrind cycle
//! (each depth is a node of its own), the body's code is counted where the
//! compiler inlined it, and threads need no mapping.
//!
//! A span that cannot run through its slot (a `scope!` guard, a tracing
//! span) marks its edges instead, by ending callgrind's part of the thread's
//! profile as it opens and closes ([`dump_at`]).
//!
//! Nodes created after every slot is taken get none ([`NO_SLOT`]): their
//! calls are counted in their parent's slot, and `cargo perf record
//! --instructions` warns of them (their run.json nodes list no slot).
//!
//! Everything here exists only in the instruction build: the normal build's
//! hot path is unchanged.

use std::sync::atomic::{AtomicU32, Ordering};

/// A slot: runs the body it is given, out of line.
type SlotFn = fn(&mut dyn FnMut());

/// A node without a slot (every slot was taken when it was created).
pub(crate) const NO_SLOT: u32 = u32::MAX;

/// Slots handed out so far in this process.
static NEXT: AtomicU32 = AtomicU32::new(0);

/// A slot for a new node; [`NO_SLOT`] once all are taken. Slots are not
/// reused: callgrind counts the whole process, so a slot stands for one
/// (thread, node) of one session only if it is never given out again.
pub(crate) fn assign() -> u32 {
    let slot = NEXT.fetch_add(1, Ordering::Relaxed);
    if (slot as usize) < SLOTS.len() {
        slot
    } else {
        NEXT.store(SLOTS.len() as u32, Ordering::Relaxed);
        NO_SLOT
    }
}

/// Runs `body` through slot `slot` (directly when it is [`NO_SLOT`]).
#[inline(always)]
pub fn in_slot<R>(slot: u32, body: impl FnOnce() -> R) -> R {
    let Some(run) = SLOTS.get(slot as usize) else {
        return body();
    };
    let mut body = Some(body);
    let mut out = None;
    run(&mut || {
        if let Some(body) = body.take() {
            out = Some(body());
        }
    });
    match out {
        Some(out) => out,
        // The slot calls the closure exactly once, and an unwinding body
        // does not come back here.
        None => unreachable!("a slot did not run its body"),
    }
}

/// Callgrind's `CALLGRIND_TOGGLE_COLLECT` client request
/// (`VG_USERREQ_TOOL_BASE('C', 'T') + 2`, valgrind's `callgrind.h`).
const TOGGLE_COLLECT: u64 = (b'C' as u64) << 24 | (b'T' as u64) << 16 | 2;

/// Switches callgrind's counting off or back on, so that perf's own
/// bookkeeping (opening and closing spans, whose cost depends on the clock's
/// values) is not counted in the slots around it. Outside valgrind it does
/// nothing (see [`client_request`]).
///
/// The request block is a `static`: one address load where a block built on
/// the stack took six stores, and the part of those that runs while
/// callgrind counts lands in the caller's count on every instrumented call.
#[inline(always)]
pub(crate) fn toggle_collect() {
    /// The request: its code and five unused arguments.
    static REQUEST: [u64; 6] = [TOGGLE_COLLECT, 0, 0, 0, 0, 0];
    client_request(&REQUEST);
}

/// Callgrind's `CALLGRIND_DUMP_STATS_AT` client request
/// (`VG_USERREQ_TOOL_BASE('C', 'T') + 3`, valgrind's `callgrind.h`).
const DUMP_STATS_AT: u64 = (b'C' as u64) << 24 | (b'T' as u64) << 16 | 3;

/// Which end of a span a dump marks (see [`dump_at`]).
#[derive(Clone, Copy)]
pub(crate) enum Edge {
    /// The span opens: what follows on this thread is inside it.
    Open,
    /// The span closes.
    Close,
}

/// Marks an edge of a span that cannot run through its slot (a `scope!`
/// guard, a tracing span), by ending this thread's part of callgrind's
/// profile there: callgrind then writes, per thread, what the thread ran
/// since its previous part, under the trigger `perf o K` or `perf c K` (K:
/// the node's slot). The CLI adds up the parts a span was open over.
///
/// Run with `--separate-threads=yes`, a dump from a client request writes
/// the calling thread's part only, so each part is one thread's. A dump costs
/// callgrind about 0.1 ms and a few kilobytes of profile: a span opened a
/// million times is better made a `#[profile]` function. Call it only while
/// counting is off (an [`Uncounted`] stretch): nothing of it is counted.
pub(crate) fn dump_at(edge: Edge, slot: u32) {
    if slot == NO_SLOT {
        return;
    }
    // "perf o 4294967295" and its NUL fit in 18 bytes.
    let mut text = [0u8; 24];
    let prefix: &[u8] = match edge {
        Edge::Open => b"perf o ",
        Edge::Close => b"perf c ",
    };
    text[..prefix.len()].copy_from_slice(prefix);
    let mut digits = [0u8; 10];
    let mut count = 0;
    let mut rest = slot;
    loop {
        digits[count] = b'0' + (rest % 10) as u8;
        count += 1;
        rest /= 10;
        if rest == 0 {
            break;
        }
    }
    for (i, digit) in digits[..count].iter().rev().enumerate() {
        text[prefix.len() + i] = *digit;
    }
    client_request(&[DUMP_STATS_AT, text.as_ptr() as u64, 0, 0, 0, 0]);
}

/// Issues the valgrind client request `request` (its code and five
/// arguments): valgrind's documented "special instruction" sequence, from
/// `valgrind.h` — rotations of a register by 128 bits in all, then a
/// marker instruction that valgrind recognises. Natively the sequence
/// changes nothing but the flags; on other architectures (and on those
/// valgrind does not run, so never under it) it is not issued.
///
/// Not `readonly`: the asm stays a compiler barrier, so no load or store of
/// the bookkeeping around a toggle moves out of its uncounted stretch.
#[inline(always)]
fn client_request(request: &[u64; 6]) {
    #[cfg(target_arch = "x86_64")]
    // SAFETY: valgrind's amd64 preamble (`rol rdi` by 3, 13, 61, 51) and
    // marker (`xchg rbx, rbx`); it reads the 6 words at `rax` and whatever
    // they point to (live for the call), and writes only `rdx`.
    unsafe {
        ::std::arch::asm!(
            "rol rdi, 3",
            "rol rdi, 13",
            "rol rdi, 61",
            "rol rdi, 51",
            "xchg rbx, rbx",
            in("rax") request.as_ptr(),
            inout("rdx") 0u64 => _,
            inout("rdi") 0u64 => _,
            options(nostack),
        );
    }
    #[cfg(target_arch = "aarch64")]
    // SAFETY: valgrind's arm64 preamble (`ror x12` by 3, 13, 51, 61) and
    // marker (`orr x10, x10, x10`); it reads the 6 words at `x4` and whatever
    // they point to (live for the call), and writes only `x3`.
    unsafe {
        ::std::arch::asm!(
            "ror x12, x12, #3",
            "ror x12, x12, #13",
            "ror x12, x12, #51",
            "ror x12, x12, #61",
            "orr x10, x10, x10",
            in("x4") request.as_ptr(),
            inout("x3") 0u64 => _,
            inout("x12") 0u64 => _,
            options(nostack),
        );
    }
    #[cfg(not(any(target_arch = "x86_64", target_arch = "aarch64")))]
    let _ = request;
}

/// Callgrind does not count while this lives: perf's bookkeeping on paths
/// with several returns (see [`toggle_collect`]). Must not nest.
pub(crate) struct Uncounted(());

impl Uncounted {
    #[inline(always)]
    pub(crate) fn new() -> Uncounted {
        toggle_collect();
        Uncounted(())
    }
}

impl Drop for Uncounted {
    #[inline(always)]
    fn drop(&mut self) {
        toggle_collect();
    }
}

macro_rules! slots {
    ($($k:literal)*) => {
        /// The slots, `SLOTS[K]` being `perf_slot_K`.
        static SLOTS: [SlotFn; [$($k),*].len()] = [$({
            #[inline(never)]
            #[unsafe(export_name = concat!("perf_slot_", stringify!($k)))]
            fn slot(body: &mut dyn FnMut()) {
                body();
                // A distinct body per slot, and the call above not a tail call.
                ::std::hint::black_box($k);
            }
            slot as SlotFn
        }),*];
    };
}

slots! {
    0 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20 21 22 23 24 25 26 27 28 29 30 31
    32 33 34 35 36 37 38 39 40 41 42 43 44 45 46 47 48 49 50 51 52 53 54 55 56 57 58 59 60
    61 62 63 64 65 66 67 68 69 70 71 72 73 74 75 76 77 78 79 80 81 82 83 84 85 86 87 88 89
    90 91 92 93 94 95 96 97 98 99 100 101 102 103 104 105 106 107 108 109 110 111 112 113
    114 115 116 117 118 119 120 121 122 123 124 125 126 127 128 129 130 131 132 133 134 135
    136 137 138 139 140 141 142 143 144 145 146 147 148 149 150 151 152 153 154 155 156 157
    158 159 160 161 162 163 164 165 166 167 168 169 170 171 172 173 174 175 176 177 178 179
    180 181 182 183 184 185 186 187 188 189 190 191 192 193 194 195 196 197 198 199 200 201
    202 203 204 205 206 207 208 209 210 211 212 213 214 215 216 217 218 219 220 221 222 223
    224 225 226 227 228 229 230 231 232 233 234 235 236 237 238 239 240 241 242 243 244 245
    246 247 248 249 250 251 252 253 254 255 256 257 258 259 260 261 262 263 264 265 266 267
    268 269 270 271 272 273 274 275 276 277 278 279 280 281 282 283 284 285 286 287 288 289
    290 291 292 293 294 295 296 297 298 299 300 301 302 303 304 305 306 307 308 309 310 311
    312 313 314 315 316 317 318 319 320 321 322 323 324 325 326 327 328 329 330 331 332 333
    334 335 336 337 338 339 340 341 342 343 344 345 346 347 348 349 350 351 352 353 354 355
    356 357 358 359 360 361 362 363 364 365 366 367 368 369 370 371 372 373 374 375 376 377
    378 379 380 381 382 383 384 385 386 387 388 389 390 391 392 393 394 395 396 397 398 399
    400 401 402 403 404 405 406 407 408 409 410 411 412 413 414 415 416 417 418 419 420 421
    422 423 424 425 426 427 428 429 430 431 432 433 434 435 436 437 438 439 440 441 442 443
    444 445 446 447 448 449 450 451 452 453 454 455 456 457 458 459 460 461 462 463 464 465
    466 467 468 469 470 471 472 473 474 475 476 477 478 479 480 481 482 483 484 485 486 487
    488 489 490 491 492 493 494 495 496 497 498 499 500 501 502 503 504 505 506 507 508 509
    510 511 512 513 514 515 516 517 518 519 520 521 522 523 524 525 526 527 528 529 530 531
    532 533 534 535 536 537 538 539 540 541 542 543 544 545 546 547 548 549 550 551 552 553
    554 555 556 557 558 559 560 561 562 563 564 565 566 567 568 569 570 571 572 573 574 575
    576 577 578 579 580 581 582 583 584 585 586 587 588 589 590 591 592 593 594 595 596 597
    598 599 600 601 602 603 604 605 606 607 608 609 610 611 612 613 614 615 616 617 618 619
    620 621 622 623 624 625 626 627 628 629 630 631 632 633 634 635 636 637 638 639 640 641
    642 643 644 645 646 647 648 649 650 651 652 653 654 655 656 657 658 659 660 661 662 663
    664 665 666 667 668 669 670 671 672 673 674 675 676 677 678 679 680 681 682 683 684 685
    686 687 688 689 690 691 692 693 694 695 696 697 698 699 700 701 702 703 704 705 706 707
    708 709 710 711 712 713 714 715 716 717 718 719 720 721 722 723 724 725 726 727 728 729
    730 731 732 733 734 735 736 737 738 739 740 741 742 743 744 745 746 747 748 749 750 751
    752 753 754 755 756 757 758 759 760 761 762 763 764 765 766 767 768 769 770 771 772 773
    774 775 776 777 778 779 780 781 782 783 784 785 786 787 788 789 790 791 792 793 794 795
    796 797 798 799 800 801 802 803 804 805 806 807 808 809 810 811 812 813 814 815 816 817
    818 819 820 821 822 823 824 825 826 827 828 829 830 831 832 833 834 835 836 837 838 839
    840 841 842 843 844 845 846 847 848 849 850 851 852 853 854 855 856 857 858 859 860 861
    862 863 864 865 866 867 868 869 870 871 872 873 874 875 876 877 878 879 880 881 882 883
    884 885 886 887 888 889 890 891 892 893 894 895 896 897 898 899 900 901 902 903 904 905
    906 907 908 909 910 911 912 913 914 915 916 917 918 919 920 921 922 923 924 925 926 927
    928 929 930 931 932 933 934 935 936 937 938 939 940 941 942 943 944 945 946 947 948 949
    950 951 952 953 954 955 956 957 958 959 960 961 962 963 964 965 966 967 968 969 970 971
    972 973 974 975 976 977 978 979 980 981 982 983 984 985 986 987 988 989 990 991 992 993
    994 995 996 997 998 999 1000 1001 1002 1003 1004 1005 1006 1007 1008 1009 1010 1011
    1012 1013 1014 1015 1016 1017 1018 1019 1020 1021 1022 1023
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_slot_runs_its_body_once_and_returns_its_value() {
        let mut calls = 0;
        let out = in_slot(3, || {
            calls += 1;
            "done"
        });
        assert_eq!((out, calls), ("done", 1));
        assert_eq!(in_slot(NO_SLOT, || 7), 7);
    }

    #[test]
    fn slots_are_distinct_functions() {
        let addresses: std::collections::HashSet<usize> =
            SLOTS.iter().map(|&slot| slot as usize).collect();
        assert_eq!(addresses.len(), SLOTS.len());
    }
}
