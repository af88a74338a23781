#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""The library's file-level call graph, from its object files.

    scripts/callgraph.py [BUILDDIR]        (default: build)

An edge A -> B means A.c's object refers to a symbol B.c defines (a call,
or the address of a table such as a backend's operations).  Calls through
pointers (a backend's operations, a queue's owner hooks) are not edges:
they are the interfaces that let a lower floor call back up.

Each source file sits on a floor (FLOORS below, as doc/design.md and
src/device.h draw them).  The graph must have no circle, and no edge may
point up a floor.  Prints the edges floor by floor, then the verdict;
exits 1 on a circle, an upward edge, or a file on no floor.
"""
import json
import os
import subprocess
import sys

# Top floor first.  A file matches the first pattern that is a prefix of
# its path relative to src/.
FLOORS = [
    ("API", ["device.c", "rw.c", "zone_ops.c", "queue.c", "check.c"]),
    ("engine", ["append.c", "batch.c", "data.c", "queue_uring.c", "queue_uring_absent.c",
                "queue_threads.c", "queue_done.c"]),
    ("zones", ["zone_claim.c", "zone_plug.c", "zone_state.c", "zone_res.c"]),
    ("table", ["wp_table.c"]),
    ("backends", ["backend_blkdev.c", "backend_emu/", "io_util.c"]),
    ("base", ["geometry.c", "names.c", "lock.c"]),
]


def floor_of(rel):
    for i, (_, pats) in enumerate(FLOORS):
        for p in pats:
            if rel == p or (p.endswith("/") and rel.startswith(p)):
                return i
    return None


def library_objects(builddir):
    """(source relative to src/, object path) of the library's objects."""
    with open(os.path.join(builddir, "compile_commands.json")) as f:
        cmds = json.load(f)
    seen = {}
    for c in cmds:
        out = c["output"]
        # libzonekit.so.N.p or libzonekit.a.p, not libzonekit_cli.a.p
        if os.path.basename(os.path.dirname(out)).split(".")[0] != "libzonekit":
            continue
        src = os.path.normpath(os.path.join(c["directory"], c["file"]))
        rel = src.split(os.sep + "src" + os.sep, 1)[-1]
        seen.setdefault(rel, os.path.join(c["directory"], out))
    return sorted(seen.items())


def symbols(obj):
    out = subprocess.run(["nm", obj], capture_output=True, text=True,
                         check=True).stdout
    defined, undefined = set(), set()
    for line in out.splitlines():
        parts = line.split()
        if len(parts) == 2 and parts[0] == "U":
            undefined.add(parts[1])
        elif len(parts) == 3 and parts[1] in "TDRB":
            defined.add(parts[2])
    return defined, undefined


def circles(nodes, edges):
    """Strongly connected components of more than one file (Tarjan)."""
    index, low, stack, on, out = {}, {}, [], set(), []
    counter = [0]

    def visit(v):
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w in sorted(edges.get(v, ())):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                out.append(sorted(comp))

    for v in nodes:
        if v not in index:
            visit(v)
    return out


def main():
    builddir = sys.argv[1] if len(sys.argv) > 1 else "build"
    objs = library_objects(builddir)
    if not objs:
        sys.exit(f"callgraph: no library objects in {builddir}/compile_commands.json")
    owner, needs = {}, {}
    for rel, obj in objs:
        d, u = symbols(obj)
        for s in d:
            owner[s] = rel
        needs[rel] = u
    edges = {rel: {owner[s] for s in u if s in owner and owner[s] != rel}
             for rel, u in needs.items()}
    nodes = [rel for rel, _ in objs]
    bad = 0
    for rel in nodes:
        if floor_of(rel) is None:
            print(f"callgraph: {rel} is on no floor: add it to FLOORS")
            bad += 1
    for i, (name, _) in enumerate(FLOORS):
        print(f"{name}:")
        for rel in [n for n in nodes if floor_of(n) == i]:
            targets = sorted(edges[rel], key=lambda t: (floor_of(t) or 0, t))
            print(f"  {rel} -> {', '.join(targets) if targets else '(nothing)'}")
    for rel in nodes:
        for t in edges[rel]:
            fr, ft = floor_of(rel), floor_of(t)
            if fr is not None and ft is not None and ft < fr:
                print(f"callgraph: UPWARD EDGE {rel} ({FLOORS[fr][0]}) -> "
                      f"{t} ({FLOORS[ft][0]})")
                bad += 1
    for comp in circles(nodes, edges):
        print("callgraph: CIRCLE " + " <-> ".join(comp))
        bad += 1
    nedges = sum(len(e) for e in edges.values())
    print(f"callgraph: {len(nodes)} files, {nedges} edges, "
          f"{'no circle, no upward edge' if not bad else f'{bad} problems'}")
    sys.exit(1 if bad else 0)


if __name__ == "__main__":
    main()
