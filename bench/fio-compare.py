#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""zonekit append next to fio's zoned sequential writes, on one file system.

    bench/fio-compare.py --dir DIR [--zkbench PATH] [--json OUT] [options]

What is compared, cell by cell (size x jobs x zones), on the file system
holding DIR:

  fio    zonemode=zbd on ONE regular file of the emulated device's size
         (16 zones of 1 GiB by default).  fio 3.33 takes a regular file as
         a device with no zone model (ZBD_NONE) and emulates sequential-
         write-required zones in it: it keeps each zone's write pointer in
         memory and turns every write into a write at the wp of its zone,
         holding the zone's lock across the write (one write in flight per
         zone and job).  It is the same job as zonekit's: zone append
         emulated with positional writes at an in-memory wp.  rw=write,
         bs=SIZE, fallocate=none on a fresh sparse file (so fio, like
         zonekit, allocates as it writes), thread=1, numjobs=N:
           psync      N jobs, ioengine=psync   vs  zkbench --mode append
                      (N threads calling zk_append)
           io_uring   1 job, ioengine=io_uring, iodepth=N, shared zone only
                      vs  zkbench --mode append-queue (a zk_queue of depth N)
         zones "shared": every job writes zone 0 (size=1 zone, offset 0; fio
         shares the zone state of one file between its jobs, so they all
         append at the one wp); "per-thread": job j writes zone j
         (offset_increment = 1 zone).
  zonekit  zkbench on an emulated device (one file per zone) in DIR with the
         same zone size, the same bytes per cell and the same job count.

fio's write bandwidth and latency percentiles (lat_ns) come from its JSON
output; zonekit's from zkbench's.  Each cell is run --repeat times, fio and
zonekit interleaved, and the median (by MiB/s) kept.
"""
import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile

KiB, MiB, GiB = 1024, 1024 ** 2, 1024 ** 3


def parse_size(s):
    s = s.strip().upper().rstrip("B").rstrip("I")
    mult = {"K": KiB, "M": MiB, "G": GiB}.get(s[-1:], 1)
    return int(s[:-1] if mult > 1 else s) * mult


def label(v):
    for unit, m in (("G", GiB), ("M", MiB), ("K", KiB)):
        if v >= m and v % m == 0:
            return "%d%s" % (v // m, unit)
    return str(v)


def ops_for(size, n, nbytes, min_ops):
    """The operation count zkbench plans for a cell (see plan_run)."""
    ops = max(nbytes // size, min_ops)
    return (ops + n - 1) // n * n


def run_fio(fio, path, file_size, zone, size, n, zones, engine, ops, direct):
    if os.path.exists(path):
        os.unlink(path)
    with open(path, "wb") as f:
        f.truncate(file_size)
    args = [fio, "--name=zk", "--filename=" + path, "--thread",
            "--rw=write", "--bs=%d" % size, "--zonemode=zbd",
            "--zonesize=%d" % zone, "--fallocate=none", "--group_reporting",
            "--output-format=json", "--lat_percentiles=1",
            "--percentile_list=50:99:99.9", "--size=%d" % zone,
            "--direct=%d" % direct]
    if engine == "psync":
        args += ["--ioengine=psync", "--numjobs=%d" % n,
                 "--io_size=%d" % (ops // n * size)]
        if zones == "per-thread":
            args += ["--offset_increment=%d" % zone]
    else:
        args += ["--ioengine=io_uring", "--iodepth=%d" % n, "--numjobs=1",
                 "--io_size=%d" % (ops * size)]
    try:
        out = subprocess.run(args, check=True, capture_output=True,
                             text=True).stdout
    finally:
        if os.path.exists(path):
            os.unlink(path)
    job = json.loads(out[out.index("{"):])["jobs"][0]
    w = job["write"]
    pct = w["lat_ns"].get("percentile", {})

    def p(k):
        return pct.get(k, 0) / 1000.0
    return {"mib_s": w["bw_bytes"] / MiB, "iops": w["iops"],
            "bytes": w["io_bytes"],
            "lat_us": {"p50": p("50.000000"), "p99": p("99.000000"),
                       "p99_9": p("99.900000")},
            "args": " ".join(args[1:])}


def run_zk(zkbench, dev, zone, nr_zones, size, n, zones, mode, nbytes,
           min_ops, direct):
    args = [zkbench, "--dev", dev, "--keep", "--no-progress", "--json",
            "--zone-size", str(zone), "--nr-zones", str(nr_zones),
            "--sizes", str(size), "--threads", str(n), "--zones", zones,
            "--mode", mode, "--bytes", str(nbytes), "--min-ops", str(min_ops)]
    if direct:
        args.append("--direct")
    out = subprocess.run(args, check=True, capture_output=True,
                         text=True).stdout
    d = json.loads(out)
    r = d["runs"][0]
    if "error" in r:
        raise RuntimeError("zkbench %s: %s" % (" ".join(args), r["error"]))
    return {"mib_s": r["mib_s"], "iops": r["iops"], "bytes": r["bytes"],
            "lat_us": {k: r["lat_us"][k] for k in ("p50", "p99", "p99_9")},
            "ops_per_write": r["ops_per_write"], "engine": r["engine"],
            "args": " ".join(args[1:])}, d


def median(rs):
    """the median run by MiB/s, with every run's MiB/s in the order run
    (mib_s_runs: round k of fio and of zonekit ran back to back)"""
    m = dict(sorted(rs, key=lambda r: r["mib_s"])[(len(rs) - 1) // 2])
    m["mib_s_runs"] = [round(r["mib_s"], 1) for r in rs]
    return m


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--dir", required=True,
                    help="a directory on the file system to test")
    ap.add_argument("--zkbench", default=os.path.join(
        os.path.dirname(os.path.abspath(__file__)), "..", "build", "bench",
        "zkbench"))
    ap.add_argument("--fio", default=shutil.which("fio") or "fio")
    ap.add_argument("--sizes", default="4K,64K,1M")
    ap.add_argument("--jobs", default="1,2,4,8")
    ap.add_argument("--zones", default="per-thread,shared")
    ap.add_argument("--engines", default="psync,io_uring")
    ap.add_argument("--bytes", default="128M")
    ap.add_argument("--min-ops", type=int, default=512)
    ap.add_argument("--zone-size", default="1G")
    ap.add_argument("--nr-zones", type=int, default=16)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--json", help="write the results here")
    ap.add_argument("--direct", action="store_true",
                    help="O_DIRECT on both sides: fio direct=1, zonekit "
                         "ZK_DIRECT (zkbench --direct)")
    a = ap.parse_args()

    if not shutil.which(a.fio) and not os.path.exists(a.fio):
        sys.exit("fio-compare: fio not found (apt-get install fio)")
    fio_version = subprocess.run([a.fio, "--version"], capture_output=True,
                                 text=True).stdout.strip()
    zone = parse_size(a.zone_size)
    nbytes = parse_size(a.bytes)
    sizes = [parse_size(s) for s in a.sizes.split(",")]
    jobs = [int(j) for j in a.jobs.split(",")]
    work = tempfile.mkdtemp(prefix="zk-fio.", dir=a.dir)
    fio_file = os.path.join(work, "fio-device")
    zk_dev = os.path.join(work, "zk-device")
    cells, machine, fs = [], None, None
    try:
        for engine in a.engines.split(","):
            zk_mode = "append" if engine == "psync" else "append-queue"
            for zones in a.zones.split(","):
                if engine == "io_uring" and zones != "shared":
                    continue  # one fio job with depth N has one write stream
                for size in sizes:
                    for n in jobs:
                        ops = ops_for(size, n, nbytes, a.min_ops)
                        if ops * size > zone:  # keep every job in one zone
                            ops = zone // size // n * n
                        fr, zr = [], []
                        for _ in range(a.repeat):
                            z, d = run_zk(a.zkbench, zk_dev, zone, a.nr_zones,
                                          size, n, zones, zk_mode,
                                          ops * size, ops, a.direct)
                            machine, fs = d["machine"], d["device"]["fs"]
                            zr.append(z)
                            fr.append(run_fio(a.fio, fio_file,
                                              zone * a.nr_zones, zone, size, n,
                                              zones, engine, ops,
                                              int(a.direct)))
                        f, z = median(fr), median(zr)
                        c = {"size": size, "size_label": label(size),
                             "jobs": n, "zones": zones, "engine": engine,
                             "zonekit_mode": zk_mode, "bytes": ops * size,
                             "fio": f, "zonekit": z,
                             "ratio": z["mib_s"] / f["mib_s"]
                             if f["mib_s"] else None}
                        cells.append(c)
                        print("%-8s %-10s %-5s %2d  fio %8.1f MiB/s  zonekit "
                              "%8.1f MiB/s  ratio %.2f" %
                              (engine, zones, label(size), n, f["mib_s"],
                               z["mib_s"], c["ratio"] or 0), flush=True)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    res = {"tool": "fio-compare", "fio_version": fio_version, "fs": fs,
           "direct": a.direct,
           "dir": a.dir, "machine": machine, "zone_size": zone,
           "nr_zones": a.nr_zones, "repeat": a.repeat, "cells": cells}
    if a.json:
        with open(a.json, "w") as f:
            json.dump(res, f, indent=1)
    else:
        json.dump(res, sys.stdout, indent=1)


if __name__ == "__main__":
    main()
