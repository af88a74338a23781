#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Check what a screenshot of a zonekit map shows, as a person would see it.

  pixels.py SHOT.png X Y CELL GAP COLS CHECK...

X, Y: the top left of the first cell in the screenshot (pixels); CELL the
cell pitch and GAP the space between cells, COLS the cells in a row.  Each
CHECK prints "ok - ..." or "not ok - ...":

  sample:CELL_NR:FRAC:COLOR   the pixels a third of the way down the cell, at
                              FRAC (0..1) of its width, are COLOR (#rrggbb)
  tail:CELL_NR:FROM:TO        between FROM and TO of its width, the cell is
                              hatched: every pixel a blend of the two tail
                              colours (TAIL_BG, TAIL_FG below), both present
  count:COLOR:MIN[:MAX]       in the grid (its columns, from its top down to
                              the bottom of the shot), MIN to MAX pixels are
                              COLOR
  stats                       print the commonest colours of the grid

Only the standard library: the PNG is decoded here (8-bit RGB or RGBA,
not interlaced, as Chromium writes them).
"""
import struct
import sys
import zlib

TAIL_BG = (0xf1, 0xf5, 0xf9)
TAIL_FG = (0x94, 0xa3, 0xb8)
TOL = 10


def read_png(path):
    with open(path, 'rb') as f:
        data = f.read()
    if data[:8] != b'\x89PNG\r\n\x1a\n':
        raise ValueError('not a PNG')
    pos, idat, width = 8, [], 0
    while pos < len(data):
        n, kind = struct.unpack('>I4s', data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + n]
        pos += 12 + n
        if kind == b'IHDR':
            width, height, depth, ctype, _, _, interlace = struct.unpack('>IIBBBBB', body)
            if depth != 8 or ctype not in (2, 6) or interlace:
                raise ValueError('unsupported PNG: depth %d type %d' % (depth, ctype))
            bpp = 3 if ctype == 2 else 4
        elif kind == b'IDAT':
            idat.append(body)
        elif kind == b'IEND':
            break
    raw = zlib.decompress(b''.join(idat))
    stride = width * bpp
    rows, prev = [], bytes(stride)
    for y in range(height):
        ftype = raw[y * (stride + 1)]
        line = raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)]
        if ftype == 1:
            line = unsub(line, bpp)
        elif ftype == 2:
            line = add_bytes(line, prev)
        elif ftype == 3:
            line = unaverage(line, prev, bpp)
        elif ftype == 4:
            line = unpaeth(line, prev, bpp)
        rows.append(line)
        prev = line
    return width, height, bpp, rows


def add_bytes(a, b):
    """a + b byte by byte, modulo 256: on whole rows as big integers."""
    n = len(a)
    lo = int.from_bytes(b'\x7f' * n, 'big')
    hi = int.from_bytes(b'\x80' * n, 'big')
    x, y = int.from_bytes(a, 'big'), int.from_bytes(b, 'big')
    return (((x & lo) + (y & lo)) ^ ((x ^ y) & hi)).to_bytes(n, 'big')


def unsub(line, bpp):
    out = bytearray(line)
    for i in range(bpp, len(out)):
        out[i] = (out[i] + out[i - bpp]) & 255
    return bytes(out)


def unaverage(line, prev, bpp):
    out = bytearray(line)
    for i in range(len(out)):
        a = out[i - bpp] if i >= bpp else 0
        out[i] = (out[i] + ((a + prev[i]) >> 1)) & 255
    return bytes(out)


def unpaeth(line, prev, bpp):
    out = bytearray(line)
    for i in range(len(out)):
        if i >= bpp:
            a, b, c = out[i - bpp], prev[i], prev[i - bpp]
        else:
            a, b, c = 0, prev[i], 0
        p = a + b - c
        pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
        out[i] = (out[i] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
    return bytes(out)


def hexrgb(text):
    text = text.lstrip('#')
    return tuple(int(text[i:i + 2], 16) for i in (0, 2, 4))


def near(p, q, tol=TOL):
    return all(abs(a - b) <= tol for a, b in zip(p, q))


def on_tail_blend(p):
    """A blend of TAIL_BG and TAIL_FG (what hatching antialiases to)."""
    t = (TAIL_BG[0] - p[0]) / float(TAIL_BG[0] - TAIL_FG[0])
    want = tuple(bg + (fg - bg) * t for bg, fg in zip(TAIL_BG, TAIL_FG))
    return -0.1 <= t <= 1.1 and near(p, want, 8)


def main():
    path, x0, y0, cell, gap, cols = sys.argv[1:7]
    x0, y0, cell, gap, cols = int(x0), int(y0), int(cell), int(gap), int(cols)
    width, height, bpp, rows = read_png(path)
    inner = cell - gap

    def px(x, y):
        if not (0 <= x < width and 0 <= y < height):
            return None
        return tuple(rows[y][x * bpp:x * bpp + 3])

    def cell_origin(nr):
        return x0 + (nr % cols) * cell, y0 + (nr // cols) * cell

    hist = {}

    def grid_histogram():
        """How many pixels of each colour the grid has (made once)."""
        if not hist:
            x1 = min(width, x0 + cols * cell)
            for y in range(max(0, y0), height):
                r = rows[y]
                for p in zip(r[x0 * bpp:x1 * bpp:bpp], r[x0 * bpp + 1:x1 * bpp:bpp],
                             r[x0 * bpp + 2:x1 * bpp:bpp]):
                    hist[p] = hist.get(p, 0) + 1
        return hist

    failed = 0
    for check in sys.argv[7:]:
        f = check.split(':')
        ok, what = False, ''
        if f[0] == 'sample':
            nr, frac, want = int(f[1]), float(f[2]), hexrgb(f[3])
            cx, cy = cell_origin(nr)
            x = cx + min(inner - 1, int(frac * inner))
            got = [px(x, cy + dy) for dy in range(max(1, inner // 3))]
            ok = all(g is not None and near(g, want) for g in got)
            what = 'cell %d at %.2f is %s (got %s at %d,%d)' % (
                nr, frac, f[3], '#%02x%02x%02x' % got[0] if got[0] else 'nothing', x, cy)
        elif f[0] == 'tail':
            nr, a, b = int(f[1]), float(f[2]), float(f[3])
            cx, cy = cell_origin(nr)
            pts = [px(cx + int(a * inner) + i, cy + j)
                   for i in range(max(1, int((b - a) * inner)))
                   for j in range(inner)]
            blends = [p for p in pts if p is not None and on_tail_blend(p)]
            dark = [p for p in blends if near(p, TAIL_FG, 40)]
            light = [p for p in blends if near(p, TAIL_BG, 20)]
            ok = pts and len(blends) == len(pts) and dark and light
            what = 'cell %d hatched from %.2f to %.2f (%d of %d pixels tail-grey, %d dark, %d light)' % (
                nr, a, b, len(blends), len(pts), len(dark), len(light))
        elif f[0] == 'count':
            want = hexrgb(f[1])
            lo = int(f[2])
            hi = int(f[3]) if len(f) > 3 else None
            n = sum(k for p, k in grid_histogram().items() if near(p, want, 3))
            ok = n >= lo and (hi is None or n <= hi)
            what = '%d pixels of %s in the grid (want %d to %s)' % (
                n, f[1], lo, hi if hi is not None else 'more')
        elif f[0] == 'stats':
            for p, n in sorted(grid_histogram().items(), key=lambda kv: -kv[1])[:12]:
                print('# #%02x%02x%02x %d' % (p + (n,)))
            continue
        else:
            what = 'unknown check ' + check
        print('%s - %s' % ('ok' if ok else 'not ok', what))
        failed += not ok
    return 1 if failed else 0


if __name__ == '__main__':
    sys.exit(main())
