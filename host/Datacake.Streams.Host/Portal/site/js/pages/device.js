// One device: its chart over a range, last values, tokens, decoder, dead letters, and deletion with restore.
import { h, field, option, fill, attempt, copyable, problemView, empty, ago, when, formatValue } from '../dom.js';
import { get, post, patch, del, api } from '../api.js';
import { currentWorkspace, state } from '../main.js';
import { RANGES, columns, stats, draw } from '../chart.js';

const LIVE_MS = 10000;

export async function render(ctx) {
  const id = ctx.id;
  const path = `/v1/devices/${encodeURIComponent(id)}`;
  let device = await get(path);
  const ws = currentWorkspace(device.workspaceId);
  const role = state.me.workspaces.find(w => w.id === device.workspaceId)?.role ?? ws?.role ?? 'viewer';
  const editor = ['editor', 'admin', 'owner'].includes(role);
  const admin = ['admin', 'owner'].includes(role);

  const sections = [
    header(device),
    await chartSection(device, ctx),
    await lastSection(device),
    admin ? await tokensSection(device) : null,
    await decoderSection(device, editor),
    await deadLetterSection(device),
    editor ? deleteSection(device, d => { device = d; }) : null,
  ];
  return { title: device.name, node: h('section.device', sections) };
}

function header(d) {
  return h('header.page',
    h('p', h('a', { href: `#/w/${encodeURIComponent(d.workspaceId)}/devices` }, '← Devices')),
    h('h1', d.name),
    h('dl.ids',
      h('dt', 'Device id'), h('dd', h('code', d.id)),
      d.devEui ? [h('dt', 'DevEUI'), h('dd', h('code', d.devEui))] : null,
      d.serial ? [h('dt', 'Serial'), h('dd', h('code', d.serial))] : null,
      d.particleId ? [h('dt', 'Particle id'), h('dd', h('code', d.particleId))] : null,
      h('dt', 'Decoder'), h('dd', d.decoder ?? 'none')));
}

async function chartSection(d, ctx) {
  let range = RANGES[0];
  let chart = null;
  let shown = { fields: [], data: [[]] };
  const visible = new Map();
  const plot = h('div.chart', { role: 'img', 'aria-label': `Chart of ${d.name}` });
  const toggles = h('fieldset.toggles', h('legend', 'Fields'));
  const statsTable = h('div');
  const info = h('p.muted', { role: 'status', 'aria-live': 'polite' });
  const slot = h('div');
  const rangeButtons = RANGES.map(r => h('button.secondary', {
    type: 'button', 'aria-pressed': String(r === range), 'data-range': r.key,
    onclick: () => { range = r; rangeButtons.forEach(b => b.setAttribute('aria-pressed', String(b.dataset.range === r.key))); load(); },
  }, r.label));

  async function load() {
    const to = new Date();
    const from = new Date(to.getTime() - range.ms);
    const query = new URLSearchParams({ from: from.toISOString(), to: to.toISOString() });
    if (range.every) { query.set('every', range.every); query.set('agg', 'mean'); }
    const answer = await attempt(slot, () => get(`/v1/devices/${encodeURIComponent(d.id)}/series?${query}`));
    if (!answer) return;
    shown = columns(answer.series[0]);
    for (const f of shown.fields) if (!visible.has(f)) visible.set(f, true);
    chart?.destroy();
    chart = null;
    if (shown.data[0].length === 0) {
      fill(plot, empty('No data in this range.', 'Pick a longer range, or send a measurement: the last values below show when the device last spoke.'));
    } else {
      plot.replaceChildren();
      chart = draw(plot, shown.fields, shown.data, Math.max(280, plot.clientWidth || 800), [from.getTime() / 1000, to.getTime() / 1000]);
      shown.fields.forEach((f, i) => chart.setSeries(i + 1, { show: visible.get(f) }));
    }
    fill(toggles, h('legend', 'Fields'), shown.fields.map((f, i) => {
      const [wrap, box] = [h('label.check'), h('input', { type: 'checkbox', checked: visible.get(f), value: f })];
      box.addEventListener('change', () => { visible.set(f, box.checked); chart?.setSeries(i + 1, { show: box.checked }); });
      wrap.append(box, ' ', f);
      return wrap;
    }));
    const rows = stats(shown.fields, shown.data);
    fill(statsTable, rows.length === 0 ? null : h('table.stats',
      h('caption', range.every ? `Over the range (of the ${range.every} window means)` : 'Over the range'),
      h('thead', h('tr', ['Field', 'Min', 'Max', 'Mean', 'Points'].map(t => h('th', { scope: 'col' }, t)))),
      h('tbody', rows.map(r => h('tr', h('th', { scope: 'row' }, r.field), h('td', formatValue(r.min)), h('td', formatValue(r.max)), h('td', formatValue(r.mean)), h('td', String(r.count)))))));
    const tiers = answer.stitched ? answer.segments.map(s => s.tier).join(' + ') : answer.tier;
    info.textContent = `${shown.data[0].length} points from tier ${tiers}${range.every ? `, every ${range.every}` : ''}; read ${to.toLocaleTimeString()}.`;
  }

  function exportCsv() {
    const lines = [['time', ...shown.fields].join(',')];
    const [xs, ...ys] = shown.data;
    for (let i = 0; i < xs.length; i++) lines.push([new Date(xs[i] * 1000).toISOString(), ...ys.map(col => col[i] ?? '')].join(','));
    const url = URL.createObjectURL(new Blob([lines.join('\n') + '\n'], { type: 'text/csv' }));
    const a = h('a', { href: url, download: `${d.name.replace(/[^\w.-]+/g, '_')}-${range.key}.csv` });
    document.body.append(a);
    a.click();
    a.remove();
    setTimeout(() => URL.revokeObjectURL(url), 1000);
  }

  // The newest hour follows the device; longer ranges read rollups that refresh every minute or ten anyway.
  const timer = setInterval(() => { if (range.every === null) load(); }, LIVE_MS);
  ctx.onLeave(() => { clearInterval(timer); chart?.destroy(); });
  queueMicrotask(load);

  return h('section.card',
    h('h2', 'Measurements'),
    h('div.toolbar', h('div.buttons', { role: 'group', 'aria-label': 'Range' }, rangeButtons),
      h('button.secondary', { type: 'button', onclick: exportCsv }, 'Export CSV')),
    slot, plot, toggles, statsTable, info);
}

async function lastSection(d) {
  const list = h('div');
  try {
    const last = await get(`/v1/devices/${encodeURIComponent(d.id)}/last`);
    const entries = Object.entries(last.values ?? {});
    fill(list, entries.length === 0
      ? empty('No measurement yet.', 'Create a token below and send one: curl, MQTT or a network webhook (Integrations).')
      : h('table.last', h('thead', h('tr', ['Field', 'Value', 'At'].map(t => h('th', { scope: 'col' }, t)))),
        h('tbody', entries.map(([k, v]) => h('tr', h('th', { scope: 'row' }, k), h('td', formatValue(v.value)), h('td', h('time', { datetime: v.time, title: when(v.time) }, ago(v.time))))))));
  } catch (error) {
    fill(list, problemView(error));
  }
  return h('section.card', h('h2', 'Last values'), list);
}

async function tokensSection(d) {
  const list = h('div');
  const secret = h('div', { 'aria-live': 'polite' });
  const slot = h('div');

  function shownOnce(title, made) {
    fill(secret, h('div.secret', { role: 'status' },
      h('strong', title),
      h('p', 'Shown once: copy it now. Only its hash is stored; a lost token is rotated or revoked, never shown again.'),
      copyable('Token', made.token, { secret: true })));
  }

  async function refresh() {
    try {
      const all = await get(`/v1/workspaces/${encodeURIComponent(d.workspaceId)}/tokens`);
      const mine = all.filter(t => t.devices?.some(g => g.id === d.id));
      fill(list, mine.length === 0 ? empty('No token for this device yet.', 'Create one: the device presents it as a Bearer token (HTTP) or as its MQTT password.')
        : h('table.tokens', h('thead', h('tr', ['Name', 'Access', 'Created', 'State', 'Actions'].map(t => h('th', { scope: 'col' }, t)))),
          h('tbody', mine.map(t => {
            const state = t.revokedAt ? 'revoked' : t.disabledAt ? 'disabled' : t.expiresAt && Date.parse(t.expiresAt) < Date.now() ? 'expired' : 'active';
            const act = (label, run) => h('button.secondary', { type: 'button', onclick: async e => { const r = await attempt(slot, run, e.currentTarget); if (r !== undefined) await refresh(); } }, label);
            return h('tr', { 'data-token': t.id },
              h('td', t.name), h('td', t.devices.find(g => g.id === d.id)?.access ?? t.role ?? ''), h('td', when(t.createdAt)), h('td', state),
              h('td.actions', state === 'revoked' ? null : [
                act('Rotate', async () => { const made = await post(`/v1/tokens/${encodeURIComponent(t.id)}/rotate`, { graceSeconds: 0 }); shownOnce(`New secret of ${t.name}`, made); return made; }),
                state === 'active' ? act('Disable', () => post(`/v1/tokens/${encodeURIComponent(t.id)}/disable`)) : null,
                act('Revoke', () => del(`/v1/tokens/${encodeURIComponent(t.id)}`)),
              ]));
          }))));
    } catch (error) {
      fill(list, problemView(error));
    }
  }

  const [nameField, name] = field('Token name', { value: 'device', maxlength: 200 });
  const form = h('form.inline', {
    onsubmit: async event => {
      event.preventDefault();
      const made = await attempt(slot, () => post(`/v1/devices/${encodeURIComponent(d.id)}/tokens`, { name: name.value.trim() || 'device' }), event.submitter);
      if (made) { shownOnce(`Token ${made.name}`, made); await refresh(); }
    },
  }, nameField, h('button', { type: 'submit' }, 'Create token'));
  await refresh();
  return h('section.card', h('h2', 'Tokens'), form, secret, slot, list);
}

async function decoderSection(d, editor) {
  const slot = h('div');
  let decoders = [];
  try { decoders = await get(`/v1/workspaces/${encodeURIComponent(d.workspaceId)}/decoders`); } catch { /* a viewer without decoders still sees the built-ins */ }
  const choices = [option('', 'none (JSON values as sent)', !d.decoder), option('json', 'json', d.decoder === 'json'), option('cayennelpp', 'Cayenne LPP', d.decoder === 'cayennelpp'),
    ...decoders.map(x => option(x.id, `JavaScript: ${x.name}`, d.decoder === x.id))];
  const [selectField, select] = field('Decoder', { tag: 'select', options: choices, disabled: !editor || null },
    'Turns a network uplink\'s bytes into fields. Write and test JavaScript decoders under Integrations.');
  const form = h('form.inline', {
    onsubmit: async event => {
      event.preventDefault();
      const done = await attempt(slot, () => patch(`/v1/devices/${encodeURIComponent(d.id)}`, { decoder: select.value }), event.submitter);
      if (done) fill(slot, h('p.notice', { role: 'status' }, `Decoder set to ${done.decoder ?? 'none'}.`));
    },
  }, selectField, editor ? h('button', { type: 'submit' }, 'Save decoder') : null);
  return h('section.card', h('h2', 'Decoder'), form, slot);
}

async function deadLetterSection(d) {
  const list = h('div');
  try {
    const answer = await get(`/v1/devices/${encodeURIComponent(d.id)}/dead-letters?limit=50`);
    fill(list, answer.deadLetters.length === 0 ? h('p.muted', 'Nothing was refused after it was accepted. Records a decoder or the store rejected would be listed here with the reason.')
      : h('table.dead-letters', h('thead', h('tr', ['Rejected', 'Reason', 'Detail', 'Source'].map(t => h('th', { scope: 'col' }, t)))),
        h('tbody', answer.deadLetters.map(l => h('tr', { 'data-reason': l.reason }, h('td', when(l.rejectedAt)), h('td', h('code', l.reason)), h('td', l.detail ?? ''), h('td', l.source ?? ''))))));
  } catch (error) {
    fill(list, problemView(error));
  }
  return h('section.card', h('h2', 'Dead letters'), list);
}

function deleteSection(d, onChange) {
  const slot = h('div', { 'aria-live': 'polite' });
  const start = h('button.danger', {
    type: 'button',
    onclick: async event => {
      try {
        await del(`/v1/devices/${encodeURIComponent(d.id)}`);
      } catch (error) {
        // The first DELETE answers 409 with the warning and a one-time code (docs/ACCESS-API.md, "Device deletion").
        const code = error?.problem?.confirm;
        if (error?.status !== 409 || !code) { fill(slot, problemView(error)); return; }
        const [typeField, typed] = field(`Type the device name (${d.name}) to delete it`, { autocomplete: 'off' });
        const confirm = h('button.danger', { type: 'submit', disabled: true }, 'Delete device');
        typed.addEventListener('input', () => { confirm.disabled = typed.value !== d.name; });
        fill(slot, h('form', {
          onsubmit: async e => {
            e.preventDefault();
            const gone = await attempt(slot, () => api('DELETE', `/v1/devices/${encodeURIComponent(d.id)}`, undefined, { 'Confirmation-Code': code }), confirm);
            if (gone !== undefined) deleted();
          },
        }, h('p.warning', error.problem.warning ?? error.problem.detail), typeField, confirm));
        typed.focus();
        event.target.disabled = true;
      }
    },
  }, 'Delete device…');

  function deleted() {
    const restore = h('button', {
      type: 'button',
      onclick: async e => {
        const back = await attempt(slot, () => post(`/v1/devices/${encodeURIComponent(d.id)}/restore`), e.currentTarget);
        if (back) { onChange(back); fill(slot, h('p.notice', { role: 'status' }, 'Restored: its data is readable again and its tokens work as before.')); start.disabled = false; }
      },
    }, 'Restore device');
    fill(slot, h('p.notice', { role: 'status' }, `${d.name} is deleted. Restore it within the recovery window, or leave it to be purged.`), restore);
    restore.focus();
  }

  return h('section.card.danger-zone', h('h2', 'Delete'), h('p', 'Deleting hides the device and its data and refuses its tokens. It can be restored within the recovery window.'), start, slot);
}
