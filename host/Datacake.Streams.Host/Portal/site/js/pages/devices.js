// The devices of a workspace: names from the identity API joined in the browser to the anonymous last values of the
// query API (the measurements carry ids only), a sparkline of each device's main field, searchable, sortable,
// refreshed by polling.
import { h, field, attempt, empty, ago, formatValue, fill, problemView } from '../dom.js';
import { get, post } from '../api.js';
import { currentWorkspace } from '../main.js';

/** Last values are polled this often; /v1/query answers 1,000 devices' last values in ~70 ms (docs/BENCHMARKS.md). */
const POLL_MS = 5000;
/** POST /v1/query takes at most 1,000 devices (Queries:MaxDevices). */
const QUERY_CHUNK = 1000;
/**
 * Sparklines: the hourly means of the last 24 hours (one POST /v1/query per main field and 1,000 devices, read from
 * the h1 rollup), refreshed every minute: a window's mean moves slowly, and the 5 s poll stays one request.
 */
const SPARK_MS = 60_000;
const SPARK_HOURS = 24;
const SPARK_W = 60;
const SPARK_H = 16;
const SVG = 'http://www.w3.org/2000/svg';

/** A device's main field: the first numeric one of its last values, in the API's order (by name). */
const mainField = values => Object.entries(values ?? {}).find(([, v]) => typeof v.value === 'number')?.[0] ?? null;

/** An SVG polyline's points for the values (nulls skipped), scaled into SPARK_W × SPARK_H with a pixel of margin. */
function sparkPoints(values) {
  const known = values.map((v, i) => [i, v]).filter(([, v]) => typeof v === 'number');
  if (known.length === 0) return null;
  let lo = Infinity, hi = -Infinity;
  for (const [, v] of known) { lo = Math.min(lo, v); hi = Math.max(hi, v); }
  const span = hi - lo || 1;
  const y = v => (SPARK_H - 1 - ((v - lo) / span) * (SPARK_H - 2)).toFixed(1);
  // A single value is drawn as a level line across, so that it shows at all.
  if (known.length === 1) return { points: `1,${y(lo)} ${SPARK_W - 1},${y(lo)}`, lo, hi };
  const step = (SPARK_W - 2) / Math.max(1, values.length - 1);
  return { points: known.map(([i, v]) => `${(1 + i * step).toFixed(1)},${y(v)}`).join(' '), lo, hi };
}

export async function render(ctx) {
  const ws = currentWorkspace(ctx.id);
  if (!ws || ws.id !== ctx.id) throw Object.assign(new Error('No such workspace'), { status: 404, problem: { title: 'No such workspace', detail: 'It is not one of the workspaces this token reaches.' } });
  const editor = ['editor', 'admin', 'owner'].includes(ws.role);
  let devices = await get(`/v1/workspaces/${encodeURIComponent(ws.id)}/devices`);
  devices = devices.filter(d => !d.deletedAt);
  const last = new Map();
  /** Device id → { field, points, label } of its sparkline. */
  const sparks = new Map();
  const view = { query: '', key: 'name', dir: 1 };

  const status = h('p.muted', { role: 'status', 'aria-live': 'polite' });
  const problems = h('div');
  const tbody = h('tbody');
  const count = h('span.muted');

  const headers = [['name', 'Name'], ['ids', 'Identifiers'], ['values', 'Last values'], [null, 'Last 24 h'], ['age', 'Updated']];
  const sortButtons = new Map();
  const thead = h('thead', h('tr', headers.map(([key, label]) => {
    if (!key) return h('th.spark', { scope: 'col' }, label);
    const th = h('th', { scope: 'col' });
    const button = h('button.sort', { type: 'button', onclick: () => { view.dir = view.key === key ? -view.dir : 1; view.key = key; draw(); } }, label);
    sortButtons.set(key, th);
    th.append(button);
    return th;
  })));

  const ids = d => [d.devEui && `DevEUI ${d.devEui}`, d.serial && `Serial ${d.serial}`, d.particleId && `Particle ${d.particleId}`].filter(Boolean).join(' · ');
  const newest = d => {
    let t = 0;
    for (const v of Object.values(last.get(d.id) ?? {})) t = Math.max(t, Date.parse(v.time));
    return t;
  };
  const valuesText = d => Object.entries(last.get(d.id) ?? {}).map(([k, v]) => `${k} ${formatValue(v.value)}`).join(', ');

  // Each device's texts and sort keys, built once per change of its last values rather than in every comparison
  // of a sort (1,000 devices: ~10,000 comparisons).
  const rowsOf = new Map();
  const describe = d => {
    const idText = ids(d);
    const values = valuesText(d);
    const t = newest(d);
    const row = { d, idText, values, t, keys: { name: d.name.toLowerCase(), ids: idText, values, age: -t }, search: `${d.name}\n${idText}\n${d.id}`.toLowerCase() };
    rowsOf.set(d.id, row);
    return row;
  };

  const rowTemplate = h('tr', h('td', h('a')), h('td.ids'), h('td.values'), h('td.spark'), h('td'));
  // One SVG cloned per row with a sparkline (inline: no request, no image decoding), its line set as one attribute.
  const sparkTemplate = document.createElementNS(SVG, 'svg');
  sparkTemplate.setAttribute('class', 'spark');
  sparkTemplate.setAttribute('viewBox', `0 0 ${SPARK_W} ${SPARK_H}`);
  sparkTemplate.setAttribute('width', String(SPARK_W));
  sparkTemplate.setAttribute('height', String(SPARK_H));
  sparkTemplate.setAttribute('role', 'img');
  sparkTemplate.append(document.createElementNS(SVG, 'polyline'));
  const muted = text => h('span.muted', text);

  function draw() {
    const started = performance.now();
    const q = view.query.toLowerCase();
    const rows = devices.map(d => rowsOf.get(d.id) ?? describe(d))
      .filter(r => !q || r.search.includes(q))
      .sort((a, b) => {
        const x = a.keys[view.key], y = b.keys[view.key];
        return (x < y ? -1 : x > y ? 1 : 0) * view.dir;
      });
    const now = Date.now();
    const fragment = document.createDocumentFragment();
    for (const { d, idText, values, t } of rows) {
      // Cloning one template row and setting texts is ~3x faster than building each cell (1,000 rows).
      const tr = rowTemplate.cloneNode(true);
      const [nameCell, idCell, valueCell, sparkCell, ageCell] = tr.children;
      tr.dataset.device = d.id;
      nameCell.firstChild.href = `#/d/${encodeURIComponent(d.id)}`;
      nameCell.firstChild.textContent = d.name;
      if (idText) idCell.textContent = idText; else idCell.append(muted(d.id));
      if (values) valueCell.textContent = values; else valueCell.append(muted('no data yet'));
      const spark = sparks.get(d.id);
      if (spark) {
        const svg = sparkCell.appendChild(sparkTemplate.cloneNode(true));
        svg.setAttribute('aria-label', spark.label);
        svg.firstChild.setAttribute('points', spark.points);
      }
      if (t) {
        const time = ageCell.appendChild(document.createElement('time'));
        time.dateTime = new Date(t).toISOString();
        time.textContent = ago(t, now);
      } else {
        ageCell.textContent = '—';
      }
      fragment.append(tr);
    }
    // A keyboard user's place in the table survives the redraw of a poll.
    const focused = tbody.contains(document.activeElement) ? document.activeElement.closest('tr')?.dataset.device : null;
    tbody.replaceChildren(fragment);
    if (focused) tbody.querySelector(`tr[data-device="${CSS.escape(focused)}"] a`)?.focus({ preventScroll: true });
    for (const [key, th] of sortButtons) th.setAttribute('aria-sort', key === view.key ? (view.dir > 0 ? 'ascending' : 'descending') : 'none');
    count.textContent = `${rows.length} of ${devices.length} devices`;
    // Layout once here, so the measure covers what the user waits for and not just building nodes.
    void tbody.offsetHeight;
    performance.measure('devices-table-render', { start: started, end: performance.now(), detail: { rows: rows.length } });
  }

  // One poll at a time: a slow answer (1,000 devices' last values under load) must not pile up requests every 5 s.
  let polling = false;
  async function poll() {
    if (devices.length === 0 || polling) return;
    polling = true;
    try {
      const answers = [];
      for (let i = 0; i < devices.length; i += QUERY_CHUNK) {
        answers.push(...await post('/v1/query', { devices: devices.slice(i, i + QUERY_CHUNK).map(d => d.id), agg: 'last' }));
      }
      let newField = false;
      for (const answer of answers) {
        const before = last.get(answer.device.id);
        if (JSON.stringify(before) === JSON.stringify(answer.values)) continue;
        newField ||= mainField(before) !== mainField(answer.values);
        last.set(answer.device.id, answer.values);
        rowsOf.delete(answer.device.id);
      }
      // A sparkline refused (a problem shown) leaves the last values in the table, and is asked again a minute later.
      let sparkProblem = null;
      if (newField || Date.now() - sparksAt >= SPARK_MS) {
        try {
          await pollSparks();
        } catch (error) {
          sparkProblem = problemView(error);
        }
        sparksAt = Date.now();
      }
      fill(problems, sparkProblem);
      status.textContent = `Last values read ${new Date().toLocaleTimeString()}; refreshed every ${POLL_MS / 1000} s.`;
      // Ages move on even when no value changed: every poll redraws (1,000 rows are well under the 500 ms budget,
      // docs/BENCHMARKS.md); only the rows whose values changed are described anew.
      draw();
    } catch (error) {
      fill(problems, problemView(error));
    } finally {
      polling = false;
    }
  }

  // The sparklines: devices grouped by main field (most fleets have one or a few), each group asked in one request
  // per 1,000 devices. A device whose main field or line changed is described and drawn anew.
  let sparksAt = 0;
  async function pollSparks() {
    const groups = new Map();
    for (const d of devices) {
      const f = mainField(last.get(d.id));
      if (!f) continue;
      if (!groups.has(f)) groups.set(f, []);
      groups.get(f).push(d.id);
    }
    if (groups.size === 0) return false;
    const to = new Date();
    const from = new Date(to.getTime() - SPARK_HOURS * 3_600_000);
    let changed = false;
    for (const [f, ids] of groups) {
      for (let i = 0; i < ids.length; i += QUERY_CHUNK) {
        const answer = await post('/v1/query', { devices: ids.slice(i, i + QUERY_CHUNK), fields: [f], from: from.toISOString(), to: to.toISOString(), every: '1h', agg: 'mean' });
        for (const series of answer.series) {
          const line = sparkPoints(series.points.map(p => p.values[f] ?? null));
          const id = series.device.id;
          const before = sparks.get(id);
          if (!line) { if (before) { sparks.delete(id); rowsOf.delete(id); changed = true; } continue; }
          if (before?.points === line.points && before.field === f) continue;
          sparks.set(id, { field: f, points: line.points, label: `${f}, hourly means of the last ${SPARK_HOURS} h: ${formatValue(line.lo)} to ${formatValue(line.hi)}` });
          rowsOf.delete(id);
          changed = true;
        }
      }
    }
    return changed;
  }

  const [searchField, search] = field('Search', { type: 'search', placeholder: 'name, DevEUI, serial, Particle id' });
  search.addEventListener('input', () => { view.query = search.value.trim(); draw(); });

  const slot = h('div');
  const [nameField, name] = field('Name', { required: true, maxlength: 200 });
  const [devEuiField, devEui] = field('DevEUI (LoRaWAN)', { maxlength: 16, pattern: '[0-9A-Fa-f]{16}', placeholder: '16 hex digits' });
  const [serialField, serial] = field('Serial number', { maxlength: 64 });
  const [particleField, particle] = field('Particle device id', { maxlength: 64 });
  const create = editor ? h('details.card', { open: devices.length === 0 || null },
    h('summary', 'Add a device'),
    h('form', {
      onsubmit: async event => {
        event.preventDefault();
        const body = { name: name.value.trim(), devEui: devEui.value.trim() || null, serial: serial.value.trim() || null, particleId: particle.value.trim() || null };
        const made = await attempt(slot, () => post(`/v1/workspaces/${encodeURIComponent(ws.id)}/devices`, body), event.submitter);
        if (made) location.hash = `#/d/${encodeURIComponent(made.id)}`;
      },
    }, h('div.grid', nameField, devEuiField, serialField, particleField), h('button', { type: 'submit' }, 'Add device'), slot)) : null;

  const timer = setInterval(poll, POLL_MS);
  ctx.onLeave(() => clearInterval(timer));
  draw();
  poll();

  return {
    title: `Devices · ${ws.name}`,
    node: h('section',
      h('h1', `Devices in ${ws.name}`),
      create,
      devices.length === 0
        ? empty('No devices yet.', editor ? 'Add one above, then create a token on its page and send a measurement (HTTP, MQTT or a network webhook).' : 'An editor of this workspace can add them.')
        : h('div', h('div.toolbar', searchField, count), problems,
          h('div.scroll', h('table.devices', h('caption.sr-only', 'Devices with their last values'), thead, tbody)), status)),
  };
}
