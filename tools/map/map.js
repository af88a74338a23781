// SPDX-License-Identifier: MIT
// The script of the page "zonekit map" writes (tools/map_html.c): it decodes
// the zones (see html_zone_data() there), lays the cells out to the page's
// width, draws them, and shows a zone's numbers in #tip under the mouse.
// "#hover=N" in the address shows zone N's as if the mouse were on it (for
// tests, and for links to a zone).  tools/embed.py puts this file in the
// page without this header.

'use strict';
(function () {
const D = JSON.parse(document.getElementById('zk-geo').textContent);
const STYLE = {};
for (const s of D.styles) STYLE[s.cond] = s;
const SECTOR = 512, N = D.nr_zones, ZS = D.zone_size / SECTOR;
const cond = new Uint8Array(N), type = new Uint8Array(N);
const wp = new Uint32Array(N), cap = new Uint32Array(N), len = new Uint32Array(N);
(function decode() {
  const bin = atob(document.getElementById('zk-zones').textContent.replace(/\s+/g, ''));
  let p = 0;
  function varint() {
    let v = 0, mul = 1, b;
    do { b = bin.charCodeAt(p++); v += (b & 127) * mul; mul *= 128; } while (b & 128);
    return v;
  }
  const zcap = D.zone_capacity / SECTOR;
  for (let i = 0; i < N; i++) {
    const h = bin.charCodeAt(p++), c = h & 15, t = h >> 6;
    const l = Math.min(ZS, (D.capacity - i * D.zone_size) / SECTOR);
    cond[i] = c; type[i] = t; len[i] = l;
    wp[i] = (c === 1 || c === 15) ? 0 : l;
    cap[i] = t === 1 ? l : Math.min(zcap, l);
    if (h & 16) wp[i] = varint();
    if (h & 32) cap[i] = varint();
  }
})();

const WHOLE = { 0: 1, 14: 1, 13: 1, 15: 1 };
function hex2rgb(h) { return [1, 3, 5].map(i => parseInt(h.substr(i, 2), 16)); }
/* The colour of a cell too small for a bar: pale to solid as it fills,
   in 64 steps, made once per style. */
function mix(s, f) {
  if (!s.steps) {
    const x = hex2rgb(s.pale), y = hex2rgb(s.solid);
    s.steps = [];
    for (let k = 0; k <= 64; k++)
      s.steps.push('rgb(' + x.map((v, i) => Math.round(v + (y[i] - v) * k / 64)).join(',') + ')');
  }
  return s.steps[Math.round(Math.min(1, Math.max(0, f)) * 64)];
}
/* A cell as fractions of the zone size: [0,w) solid, [w,c) pale, [c,l) tail. */
function zoneCell(i) {
  const l = len[i] / ZS, c = Math.min(cap[i], len[i]) / ZS;
  const w = WHOLE[cond[i]] ? c : Math.min(wp[i], cap[i], len[i]) / ZS;
  return { s: STYLE[cond[i]] || STYLE[15], w: w, c: c, l: l, mark: null };
}
function groupCell(first, n) {
  n = Math.min(n, N - first);
  const count = {};
  let w = 0, c = 0, l = 0;
  for (let i = first; i < first + n; i++) {
    const z = zoneCell(i);
    count[z.s.cond] = (count[z.s.cond] || 0) + 1;
    w += z.w; c += z.c; l += z.l;
  }
  let best = null;
  for (const s of D.styles) if (count[s.cond] && (!best || count[s.cond] >= count[best.cond])) best = s;
  let mark = null;
  for (const k of [15, 13]) if (count[k] && best.cond !== k) { mark = STYLE[k]; break; }
  return { s: best, w: w / n, c: c / n, l: l / n, mark: mark, count: count, n: n };
}

const wrap = document.getElementById('wrap');
const grid = document.getElementById('grid'), over = document.getElementById('over');
const tip = document.getElementById('tip');
let L = null;
function niceStep(min) {
  for (const s of [1, 2, 5, 10, 20, 25, 50, 100, 200, 250, 500, 1000, 2000, 5000, 10000])
    if (s >= min) return s;
  return 10000;
}
/* Square cells filling the width, about as many rows as fit 70% of the
   window; at least 3 px (2 px and a gap), else several zones a cell. */
function layout() {
  const left = 64, width = Math.max(200, wrap.clientWidth - left - 4);
  const want = Math.max(360, window.innerHeight * 0.7);
  let k = 1, s = Math.floor(Math.sqrt(width * want / N));
  s = Math.max(3, Math.min(48, s));
  let cols = Math.max(1, Math.floor(width / s));
  /* a round number of cells in a row: 10, 20, 30... */
  if (cols >= 10) { cols = Math.round(cols / 10) * 10; s = Math.min(48, Math.floor(width / cols)); }
  if (s < 3) { s = 3; cols = Math.floor(width / 30) * 10; }
  /* taller than 8000 px (a canvas has limits): several zones a cell */
  const maxH = 8000;
  if (Math.ceil(N / cols) * s > maxH) {
    s = 3; cols = Math.floor(width / 30) * 10; k = Math.ceil(N / (cols * Math.floor(maxH / s)));
  }
  cols = Math.min(cols, Math.ceil(N / k));
  const cells = Math.ceil(N / k), rows = Math.ceil(cells / cols);
  const gap = s >= 12 ? 2 : 1;
  return { left: left, top: 22, s: s, gap: gap, cols: cols, rows: rows, k: k, cells: cells,
           w: left + cols * s + 4, h: 22 + rows * s + 4 };
}
function sizeCanvas(cv, l) {
  const r = window.devicePixelRatio || 1;
  cv.width = Math.round(l.w * r); cv.height = Math.round(l.h * r);
  cv.style.width = l.w + 'px'; cv.style.height = l.h + 'px';
  const g = cv.getContext('2d');
  g.setTransform(r, 0, 0, r, 0, 0);
  return g;
}
function tailPattern(g) {
  const t = document.createElement('canvas');
  t.width = t.height = 6;
  const c = t.getContext('2d');
  c.fillStyle = D.tail_bg; c.fillRect(0, 0, 6, 6);
  c.strokeStyle = D.tail_fg; c.lineWidth = 1.6;
  c.beginPath(); c.moveTo(-1, 7); c.lineTo(7, -1); c.moveTo(-1, 1); c.lineTo(1, -1);
  c.moveTo(5, 7); c.lineTo(7, 5); c.stroke();
  return g.createPattern(t, 'repeat');
}
function cellAt(idx) { return L.k > 1 ? groupCell(idx * L.k, L.k) : zoneCell(idx); }
function draw() {
  const t0 = performance.now();
  L = layout();
  const agg = document.getElementById('agg');
  agg.hidden = L.k === 1;
  agg.textContent = 'Each cell is ' + L.k + ' zones (the map would be too tall otherwise): their most ' +
    'common condition, their average fill; a corner mark: some are read-only or offline.';
  wrap.style.height = L.h + 'px';
  const g = sizeCanvas(grid, L);
  sizeCanvas(over, L);
  g.fillStyle = '#fff'; g.fillRect(0, 0, L.w, L.h);
  const tail = tailPattern(g), w = L.s - L.gap, small = w < 6;
  for (let i = 0; i < L.cells; i++) {
    const x = L.left + (i % L.cols) * L.s, y = L.top + Math.floor(i / L.cols) * L.s;
    const c = cellAt(i);
    if (small) {
      /* too small for a bar: the pale and solid colours mixed by the fill */
      g.fillStyle = c.c > 0 ? mix(c.s, c.w / c.c) : D.tail_fg;
      g.fillRect(x, y, w * c.l, w);
    } else {
      g.fillStyle = c.s.solid; g.fillRect(x, y, w * c.w, w);
      g.fillStyle = c.s.pale; g.fillRect(x + w * c.w, y, w * (c.c - c.w), w);
      if (c.l > c.c) { g.fillStyle = tail; g.fillRect(x + w * c.c, y, w * (c.l - c.c), w); }
    }
    if (c.mark) {
      const t = Math.max(2, w / 2.5);
      g.fillStyle = c.mark.solid;
      g.beginPath(); g.moveTo(x + w - t, y); g.lineTo(x + w, y); g.lineTo(x + w, y + t); g.fill();
    }
  }
  /* zone numbers: of each labelled row's first zone, and column offsets */
  g.fillStyle = '#64748b'; g.font = '11px ' + getComputedStyle(document.body).fontFamily;
  g.textAlign = 'right'; g.textBaseline = 'middle';
  const every = niceStep(Math.ceil(18 / L.s));
  for (let r = 0; r < L.rows; r += every)
    g.fillText(String(r * L.cols * L.k), L.left - 8, L.top + r * L.s + w / 2);
  g.textAlign = 'center'; g.textBaseline = 'alphabetic';
  const tick = niceStep(Math.ceil(40 / L.s));
  if (L.rows > 1)
    for (let c = 0; c < L.cols; c += tick)
      g.fillText('+' + c * L.k, L.left + c * L.s + w / 2, L.top - 8);
  const b = grid.getBoundingClientRect();
  const ds = grid.dataset;
  ds.cols = L.cols; ds.rows = L.rows; ds.cell = L.s; ds.gap = L.gap; ds.zonesPerCell = L.k;
  ds.x = Math.round(b.left + window.scrollX + L.left); ds.y = Math.round(b.top + window.scrollY + L.top);
  ds.drawn = L.cells; ds.drawMs = Math.round(performance.now() - t0);
}

function size(sectors) {
  const b = sectors * SECTOR, u = ['', 'K', 'M', 'G', 'T', 'P'];
  let v = b, i = 0;
  while (v >= 1024 && v % 1024 === 0 && i < 5) { v /= 1024; i++; }
  return v + u[i] + (i ? ' (' + b + ')' : '');
}
function pct(a, b) { return b > 0 ? (100 * a / b).toFixed(1) + '%' : '-'; }
function row(k, v) { return '<tr><td>' + k + '</td><td>' + v + '</td></tr>'; }
function swatch(s) {
  return '<span class="sw" style="background:' + (s.cond === 1 ? s.pale : s.solid) + '"></span>';
}
const TYPES = { 1: 'conventional', 2: 'seq-write-required', 3: 'seq-write-preferred' };
/* sectors of data: none in an offline zone, all of a full, read-only or
   conventional one */
function writtenOf(i) { return cond[i] === 15 ? 0 : WHOLE[cond[i]] ? cap[i] : Math.min(wp[i], cap[i]); }
function zoneHtml(i) {
  const s = STYLE[cond[i]] || { label: 'cond ' + cond[i], solid: '#000', pale: '#000' };
  const start = i * D.zone_size, w = wp[i] * SECTOR;
  const written = writtenOf(i);
  return '<b>' + swatch(s) + 'zone ' + i + ' \u00b7 ' + s.label + '</b><table>' +
    row('start', start + ' (0x' + start.toString(16) + ')') +
    row('len', size(len[i])) + row('capacity', size(cap[i])) +
    row('wp', (start + w) + ' (start + ' + w + ')') +
    row('fill', pct(written, cap[i]) + ' (' + written * SECTOR + ' of ' + cap[i] * SECTOR + ' bytes)') +
    row('condition', s.label) + row('type', TYPES[type[i]] || type[i]) + '</table>';
}
function groupHtml(idx) {
  const c = groupCell(idx * L.k, L.k), first = idx * L.k, last = first + c.n - 1;
  let counts = '', w = 0, all = 0;
  for (let i = first; i <= last; i++) { w += writtenOf(i); all += cap[i]; }
  for (const s of D.styles) if (c.count[s.cond]) counts += row(swatch(s) + s.label, c.count[s.cond]);
  return '<b>zones ' + first + ' to ' + last + '</b><table>' +
    row('start', (first * D.zone_size) + ' (0x' + (first * D.zone_size).toString(16) + ')') +
    row('fill', pct(w, all) + ' (' + w * SECTOR + ' of ' + all * SECTOR + ' bytes)') + counts + '</table>';
}
function show(idx, px, py) {
  const g = over.getContext('2d');
  g.clearRect(0, 0, L.w, L.h);
  if (idx < 0 || idx >= L.cells) { tip.style.display = 'none'; tip.innerHTML = ''; return; }
  const x = L.left + (idx % L.cols) * L.s, y = L.top + Math.floor(idx / L.cols) * L.s;
  const w = L.s - L.gap;
  g.strokeStyle = '#0f172a'; g.lineWidth = 2; g.strokeRect(x - 1, y - 1, w + 2, w + 2);
  tip.innerHTML = L.k > 1 ? groupHtml(idx) : zoneHtml(idx);
  tip.dataset.zone = L.k > 1 ? idx * L.k : idx;
  tip.style.display = 'block';
  if (px === undefined) { px = x + w; py = y + w; }
  const tw = tip.offsetWidth, th = tip.offsetHeight;
  /* below right of the pointer; left of it, above it if out of the window */
  const r = wrap.getBoundingClientRect();
  let tx = px + 14, ty = py + 14;
  if (r.left + tx + tw > window.innerWidth) tx = Math.max(-r.left, px - tw - 14);
  if (r.top + ty + th > window.innerHeight && r.top + py - th - 14 >= 0) ty = py - th - 14;
  tip.style.left = tx + 'px'; tip.style.top = ty + 'px';
}
function hit(ev) {
  const b = grid.getBoundingClientRect();
  const x = ev.clientX - b.left - L.left, y = ev.clientY - b.top - L.top;
  const c = Math.floor(x / L.s), r = Math.floor(y / L.s);
  if (x < 0 || y < 0 || c >= L.cols || r >= L.rows) return -1;
  return r * L.cols + c;
}
grid.addEventListener('mousemove', ev => {
  const b = grid.getBoundingClientRect();
  show(hit(ev), ev.clientX - b.left, ev.clientY - b.top);
});
grid.addEventListener('mouseleave', () => show(-1));
/* #hover=N in the address: zone N's numbers, as if the mouse were on it */
function fromHash() {
  const m = /hover=(\d+)/.exec(location.hash);
  show(m && +m[1] < N ? Math.floor(+m[1] / L.k) : -1);
}
let timer = 0;
window.addEventListener('resize', () => {
  clearTimeout(timer);
  timer = setTimeout(() => { draw(); fromHash(); }, 100);
});
window.addEventListener('hashchange', fromHash);
draw();
fromHash();
})();
