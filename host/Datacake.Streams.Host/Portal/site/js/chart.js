// A device's series as a uPlot chart (uPlot from npm, copied to /vendor by the host's build).
import uPlot from '../vendor/uPlot.esm.js';

/**
 * The ranges the device page offers, each with the window (`every`) that makes the API read the right tier
 * (docs/QUERIES.md, "Tier choice": whole minutes → m1, whole hours → h1, none → raw points) and keeps a series
 * far under the 10,000-point limit: 1h raw holds a 1 Hz device's 3,600 points; the rest stay at 260–720 windows.
 */
export const RANGES = [
  { key: '1h', label: '1 hour', ms: 3600e3, every: null },
  { key: '6h', label: '6 hours', ms: 6 * 3600e3, every: '1m' },
  { key: '24h', label: '24 hours', ms: 24 * 3600e3, every: '5m' },
  { key: '7d', label: '7 days', ms: 7 * 86400e3, every: '1h' },
  { key: '30d', label: '30 days', ms: 30 * 86400e3, every: '1h' },
  { key: '1y', label: '1 year', ms: 365 * 86400e3, every: '1d' },
  { key: '5y', label: '5 years', ms: 5 * 365 * 86400e3, every: '7d' },
];

const COLOURS = ['#1f6feb', '#d1242f', '#1a7f37', '#9a6700', '#8250df', '#bf3989', '#0a7b83', '#57606a'];

/** Numeric fields of a series answer, and uPlot's columns: seconds, then one array per field. */
export function columns(series) {
  const points = series?.points ?? [];
  const fields = (series?.fields ?? []).filter(f => points.some(p => typeof p.values[f] === 'number'));
  const xs = new Float64Array(points.length);
  const ys = fields.map(() => new Array(points.length));
  for (let i = 0; i < points.length; i++) {
    const p = points[i];
    xs[i] = Date.parse(p.time) / 1000;
    for (let f = 0; f < fields.length; f++) {
      const v = p.values[fields[f]];
      ys[f][i] = typeof v === 'number' ? v : null;
    }
  }
  return { fields, data: [xs, ...ys] };
}

/** min, max and mean of each field over what is shown (nulls skipped). */
export function stats(fields, data) {
  return fields.map((field, f) => {
    let min = Infinity, max = -Infinity, sum = 0, n = 0;
    for (const v of data[f + 1]) {
      if (v === null || v === undefined) continue;
      if (v < min) min = v;
      if (v > max) max = v;
      sum += v;
      n++;
    }
    return { field, min: n ? min : null, max: n ? max : null, mean: n ? sum / n : null, count: n };
  });
}

/** Draws the chart into `host` and measures it ('chart-render', with the point count) for the browser tests. */
export function draw(host, fields, data, width, [from, to]) {
  const started = performance.now();
  const chart = new uPlot({
    width,
    height: 320,
    // The whole range asked for, not just where the data is: a silent half of the range shows as silence.
    scales: { x: { time: true, range: () => [from, to] } },
    series: [{}, ...fields.map((label, i) => ({ label, stroke: COLOURS[i % COLOURS.length], width: 1.5, spanGaps: false }))],
    axes: [{}, { size: 60 }],
    legend: { live: true },
  }, data, host);
  void host.offsetHeight;
  performance.measure('chart-render', { start: started, end: performance.now(), detail: { points: data[0].length * fields.length } });
  return chart;
}
