// The last 30 days (GET …/stats/daily?days=30), hand-drawn SVG: refunds per day and amounts per day, stacked by outcome.
import { getJson, manage } from './api.js';
import { h, yuan } from './dom.js';

const SVG = 'http://www.w3.org/2000/svg';
const KNOWN = ['succeeded', 'failed', 'rejected', 'dead_lettered', 'canceled'];

function s(tag, attributes, text) {
  const element = document.createElementNS(SVG, tag);
  for (const [name, value] of Object.entries(attributes)) element.setAttribute(name, String(value));
  if (text !== undefined) element.textContent = text;
  return element;
}

/** A nice upper bound for an axis: 1, 2 or 5 times a power of ten. */
function ceiling(max) {
  if (max <= 0) return 1;
  const power = 10 ** Math.floor(Math.log10(max));
  return [1, 2, 5, 10].map(m => m * power).find(v => v >= max);
}

/** Stacked bars, one per day; value(day, outcome) gives each segment; format labels the axis. */
export function stackedBars(days, outcomes, value, format, title) {
  const width = 760, height = 220, left = 64, bottom = 28, top = 18;
  const plotWidth = width - left - 8, plotHeight = height - top - bottom;
  const totals = days.map(d => outcomes.reduce((sum, o) => sum + value(d, o), 0));
  const max = ceiling(Math.max(0, ...totals));
  const svg = s('svg', { viewBox: `0 0 ${width} ${height}`, width, height, role: 'img', 'aria-label': title });
  svg.append(s('title', {}, title));
  for (const fraction of [0, 0.5, 1]) {
    const y = top + plotHeight * (1 - fraction);
    svg.append(s('line', { class: 'axis', x1: left, x2: width - 8, y1: y, y2: y }));
    svg.append(s('text', { x: left - 6, y: y + 3, 'text-anchor': 'end' }, format(max * fraction)));
  }
  const slot = plotWidth / Math.max(days.length, 1);
  days.forEach((day, i) => {
    let y = top + plotHeight;
    const x = left + i * slot + slot * 0.15;
    for (const outcome of outcomes) {
      const v = value(day, outcome);
      if (v <= 0) continue;
      const barHeight = (v / max) * plotHeight;
      y -= barHeight;
      const rect = s('rect', { x, y, width: slot * 0.7, height: barHeight, class: 'o-' + (KNOWN.includes(outcome) ? outcome : 'other'), 'data-outcome': outcome });
      rect.append(s('title', {}, `${day.date} ${outcome}: ${format(v)}`));
      svg.append(rect);
    }
    if (i % 5 === 0 || i === days.length - 1) {
      svg.append(s('text', { x: x + slot * 0.35, y: height - 10, 'text-anchor': 'middle' }, day.date.slice(5)));
    }
  });
  return svg;
}

export async function render(view) {
  view.replaceChildren(h('h2', {}, 'Last 30 days'), h('p', { class: 'muted' }, 'Loading…'));
  let stats;
  try {
    stats = await getJson(manage('/stats/daily?days=30'));
  } catch (e) {
    view.replaceChildren(h('h2', {}, 'Last 30 days'), h('p', { class: 'error' }, `Statistics could not be loaded: ${e.status} ${e.code}: ${e.message}`));
    return;
  }
  const days = stats.days || [];
  const seen = new Set(days.flatMap(d => Object.keys(d.outcomes || {})));
  const outcomes = [...KNOWN.filter(o => seen.has(o)), ...[...seen].filter(o => !KNOWN.includes(o)).sort()];
  const count = (d, o) => d.outcomes?.[o]?.count ?? 0;
  const amount = (d, o) => d.outcomes?.[o]?.amount ?? 0;
  const totalCount = days.reduce((sum, d) => sum + outcomes.reduce((t, o) => t + count(d, o), 0), 0);
  const legend = h('div', { class: 'legend' }, outcomes.map(o => h('span', {}, h('span', { class: 'swatch o-' + (KNOWN.includes(o) ? o : 'other') }), o)));
  view.replaceChildren(
    h('h2', {}, 'Last 30 days'),
    h('div', { class: 'chart', id: 'chart' },
      legend,
      h('h3', {}, `Refund requests per day by outcome (${totalCount} in all)`),
      stackedBars(days, outcomes, count, v => String(Math.round(v)), 'Refund requests per day by outcome'),
      h('h3', {}, 'Amounts per day by outcome'),
      stackedBars(days, outcomes, amount, v => yuan(Math.round(v)), 'Refund amounts per day by outcome')));
}
