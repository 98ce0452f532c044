// Leaderboard page: draws the scatter from the embedded data at the width it is shown (so text
// and markers keep their size on a phone), links table rows and points, sorts and filters rows.
// Every string from a run reaches the DOM through textContent or setAttribute, never as HTML.
'use strict';
const data = JSON.parse(document.getElementById('board-data').textContent);
const NS = 'http://www.w3.org/2000/svg';
const chart = document.getElementById('chart');
const tip = document.getElementById('tip');
const table = document.getElementById('board');
const body = table.tBodies[0];
const rowOf = (key) => body.querySelector(`tr[data-key="${key}"]`);
const pointOf = (key) => chart.querySelector(`g.point[data-key="${key}"]`);

function el(name, attrs, parent) {
  const e = document.createElementNS(NS, name);
  for (const [k, v] of Object.entries(attrs || {})) e.setAttribute(k, v);
  if (parent) parent.appendChild(e);
  return e;
}

function sigmoid(x) { return 1 / (1 + Math.exp(-x)); }
function predict(p) {
  if (p <= 0 || p >= 1) return p >= 1 ? 1 : 0;
  return sigmoid(data.fit.slope * Math.log(p / (1 - p)) + data.fit.intercept);
}

function domain(points) {
  const xs = points.flatMap((p) => [p.x[1], p.x[2]]);
  const ys = points.flatMap((p) => [p.y[1], p.y[2]]);
  const lo = Math.max(0, Math.floor((Math.min(...xs, ...ys) * 100 - 4) / 10) * 10);
  const hiX = Math.min(100, Math.ceil((Math.max(...xs) * 100 + 3) / 10) * 10);
  const hiY = Math.min(100, Math.ceil((Math.max(...ys) * 100 + 3) / 10) * 10);
  return {x0: lo, x1: Math.max(hiX, lo + 20), y0: lo, y1: Math.max(hiY, lo + 20)};
}

// Markers that would cover one another are pushed apart (measured points move least); a thin
// leader line joins a moved marker to its true position, where its interval bars stay.
function dodge(items, box) {
  for (let iter = 0; iter < 120; iter++) {
    let moved = false;
    for (let i = 0; i < items.length; i++) {
      for (let j = i + 1; j < items.length; j++) {
        const a = items[i], b = items[j];
        let dx = b.mx - a.mx, dy = b.my - a.my, d = Math.hypot(dx, dy);
        const need = a.r + b.r + 1.5;
        if (d >= need) continue;
        if (d < 1e-6) { dx = Math.cos(i + j); dy = Math.sin(i + j); d = 1; }
        const push = (need - d) / 2 + 0.05, wa = a.fixed ? 0.15 : 1, wb = b.fixed ? 0.15 : 1;
        const sa = push * 2 * wa / (wa + wb), sb = push * 2 * wb / (wa + wb);
        a.mx -= dx / d * sa; a.my -= dy / d * sa; b.mx += dx / d * sb; b.my += dy / d * sb;
        moved = true;
      }
    }
    for (const it of items) {
      it.mx = Math.min(Math.max(it.mx, box.l + it.r), box.r - it.r);
      it.my = Math.min(Math.max(it.my, box.t + it.r), box.b - it.r);
    }
    if (!moved) break;
  }
}

function marker(kind, r, g) {
  if (kind === 'measured') return el('circle', {class: 'mark', r: r}, g);
  if (kind === 'clip') return el('path', {class: 'mark', d: `M0,${-r * 1.15}L${r * 1.05},${r * 0.75}L${-r * 1.05},${r * 0.75}Z`}, g);
  if (kind === 'vlm') return el('path', {class: 'mark', d: `M0,${-r * 1.2}L${r * 1.2},0L0,${r * 1.2}L${-r * 1.2},0Z`}, g);
  return el('rect', {class: 'mark', x: -r * 0.85, y: -r * 0.85, width: r * 1.7, height: r * 1.7}, g);
}

function render() {
  const W = Math.max(chart.clientWidth, 280);
  const narrow = W < 600;
  const H = Math.round(Math.min(Math.max(W * 0.6, 330), 680));
  const m = {l: narrow ? 40 : 56, r: narrow ? 10 : 24, t: 14, b: narrow ? 40 : 48};
  const pts = data.points;
  const dom = domain(pts.length ? pts : [{x: [0.5, 0.5, 0.9], y: [0.4, 0.4, 0.8]}]);
  const sx = (v) => m.l + (v * 100 - dom.x0) / (dom.x1 - dom.x0) * (W - m.l - m.r);
  const sy = (v) => H - m.b - (v * 100 - dom.y0) / (dom.y1 - dom.y0) * (H - m.t - m.b);
  chart.querySelector('#scatter')?.remove();
  const svg = el('svg', {id: 'scatter', width: W, height: H, viewBox: `0 0 ${W} ${H}`,
    role: 'group', 'aria-label': data.axis.title});
  chart.insertBefore(svg, tip);
  const axis = el('g', {class: 'axis'}, svg);
  el('rect', {class: 'frame', x: m.l, y: m.t, width: W - m.l - m.r, height: H - m.t - m.b}, axis);
  const step = (dom.x1 - dom.x0) > 50 && narrow ? 20 : 10;
  for (let t = dom.x0; t <= dom.x1; t += step) {
    el('line', {class: 'grid', x1: sx(t / 100), x2: sx(t / 100), y1: m.t, y2: H - m.b}, axis);
    el('text', {x: sx(t / 100), y: H - m.b + 16, 'text-anchor': 'middle'}, axis).textContent = t;
  }
  for (let t = dom.y0; t <= dom.y1; t += step) {
    el('line', {class: 'grid', y1: sy(t / 100), y2: sy(t / 100), x1: m.l, x2: W - m.r}, axis);
    el('text', {x: m.l - 6, y: sy(t / 100) + 4, 'text-anchor': 'end'}, axis).textContent = t;
  }
  el('text', {x: (m.l + W - m.r) / 2, y: H - 6, 'text-anchor': 'middle'}, axis).textContent = data.axis.x;
  el('text', {x: 12, y: (m.t + H - m.b) / 2, 'text-anchor': 'middle',
    transform: `rotate(-90 12 ${(m.t + H - m.b) / 2})`}, axis).textContent = data.axis.y;
  const clip = el('clipPath', {id: 'plotarea'}, svg);
  el('rect', {x: m.l, y: m.t, width: W - m.l - m.r, height: H - m.t - m.b}, clip);
  const lines = el('g', {'clip-path': 'url(#plotarea)'}, svg);
  const lo = Math.min(dom.x0, dom.y0) / 100, hi = Math.max(dom.x1, dom.y1) / 100;
  el('line', {class: 'diag', x1: sx(lo), y1: sy(lo), x2: sx(hi), y2: sy(hi)}, lines);
  const curve = [];
  for (let v = Math.max(dom.x0, 1); v <= Math.min(dom.x1, 99); v += 0.5) curve.push(`${sx(v / 100).toFixed(1)},${sy(predict(v / 100)).toFixed(1)}`);
  el('polyline', {class: 'fit', points: curve.join(' ')}, lines);

  const items = pts.map((p) => ({p, x: sx(p.x[0]), y: sy(p.y[0]), mx: sx(p.x[0]), my: sy(p.y[0]),
    r: p.kind === 'measured' ? (narrow ? 7 : 7.5) : (narrow ? 5.5 : 6), fixed: p.kind === 'measured'}));
  dodge(items, {l: m.l, r: W - m.r, t: m.t, b: H - m.b});
  const layer = el('g', {class: 'points'}, svg);
  // published first, measured last: measured markers are never underneath
  for (const it of items.sort((a, b) => (a.fixed - b.fixed))) drawPoint(it, layer, sx, sy);
  placeLabels(items.filter((it) => it.p.label), svg, W - m.r);
}

// Greedy: each label goes right of (or left of, near the right edge) its marker, moved down
// a line at a time until it overlaps no label already placed.
function placeLabels(items, svg, W) {
  const boxes = [];
  for (const it of items) {
    const t = el('text', {class: 'label'}, svg);
    t.textContent = it.p.short;
    const w = t.getComputedTextLength(), h = 14;
    const right = it.mx + 10 + w <= W - 4 || it.mx - 10 - w < 0;
    t.setAttribute('text-anchor', right ? 'start' : 'end');
    let y = it.my - 8;
    const x0 = right ? it.mx + 10 : it.mx - 10 - w;
    const hit = (yy) => boxes.some((b) => x0 < b.x + b.w && b.x < x0 + w && yy - h < b.y && b.y - h < yy);
    for (let k = 0; k < 12 && hit(y); k++) y += h;
    boxes.push({x: x0, y, w});
    t.setAttribute('x', right ? it.mx + 10 : it.mx - 10);
    t.setAttribute('y', y);
  }
}

function drawPoint(it, layer, sx, sy) {
  const p = it.p;
  const g = el('g', {class: `point ${p.kind}${p.status === 'measured' ? ' measured' : ''}`,
    'data-key': p.key, role: 'img', tabindex: '0', 'aria-label': p.name}, layer);
  el('line', {class: 'bar', x1: sx(p.x[1]), x2: sx(p.x[2]), y1: it.y, y2: it.y, stroke: 'currentColor'}, g);
  el('line', {class: 'bar', x1: it.x, x2: it.x, y1: sy(p.y[1]), y2: sy(p.y[2]), stroke: 'currentColor'}, g);
  if (Math.hypot(it.mx - it.x, it.my - it.y) > 0.75) {
    el('line', {class: 'leader', x1: it.x, y1: it.y, x2: it.mx, y2: it.my}, g);
  }
  const mark = marker(p.kind, it.r, g);
  mark.setAttribute('transform', `translate(${it.mx.toFixed(2)},${it.my.toFixed(2)})`);
  g.style.color = getComputedStyle(document.documentElement).getPropertyValue(`--${p.kind}`) || '#555';
  const on = () => { show(g, p); highlight(p.key, true); };
  const off = () => { hide(); highlight(p.key, false); };
  g.addEventListener('pointerenter', on);
  g.addEventListener('pointerleave', off);
  g.addEventListener('focus', on);
  g.addEventListener('blur', off);
  g.addEventListener('click', () => rowOf(p.key)?.scrollIntoView({block: 'nearest'}));
}

function show(g, p) {
  tip.replaceChildren();
  const head = document.createElement('b');
  head.textContent = p.model;
  tip.appendChild(head);
  for (const line of p.tip) {
    const d = document.createElement('div');
    d.textContent = line;
    tip.appendChild(d);
  }
  tip.classList.add('show');
  const box = chart.getBoundingClientRect(), mk = g.querySelector('.mark').getBoundingClientRect();
  const w = tip.offsetWidth, h = tip.offsetHeight;
  let left = mk.right - box.left + 10, top = mk.top - box.top - h - 6;
  if (left + w > box.width) left = Math.max(0, mk.left - box.left - w - 10);
  if (left < 0) left = 0;
  if (top < 0) top = mk.bottom - box.top + 8;
  tip.style.left = `${left}px`;
  tip.style.top = `${top}px`;
}

function hide() { tip.classList.remove('show'); }

function highlight(key, on) {
  rowOf(key)?.classList.toggle('hl', on);
  pointOf(key)?.classList.toggle('hl', on); // markers never overlap (dodge): no reordering
}

for (const row of body.rows) {
  row.addEventListener('mouseenter', () => highlight(row.dataset.key, true));
  row.addEventListener('mouseleave', () => highlight(row.dataset.key, false));
}
document.getElementById('filter').addEventListener('input', (ev) => {
  const q = ev.target.value.toLowerCase();
  for (const row of body.rows) row.hidden = !row.dataset.search.includes(q);
});
table.tHead.addEventListener('click', (ev) => {
  const th = ev.target.closest('th');
  if (!th || th.dataset.key === undefined) return;
  const col = th.cellIndex, asc = th.dataset.dir !== 'asc';
  for (const other of table.tHead.rows[0].cells) delete other.dataset.dir;
  th.dataset.dir = asc ? 'asc' : 'desc';
  const val = (row) => {
    const v = row.cells[col].dataset.sort;
    return v === undefined ? row.cells[col].textContent : (v === '' ? -Infinity : Number(v));
  };
  const rows = Array.from(body.rows).sort((a, b) => {
    const x = val(a), y = val(b);
    const c = typeof x === 'number' ? x - y : String(x).localeCompare(String(y));
    return asc ? c : -c;
  });
  for (const row of rows) body.appendChild(row);
});
render();
let width = chart.clientWidth;
new ResizeObserver(() => { if (chart.clientWidth !== width) { width = chart.clientWidth; render(); } }).observe(chart);
