// The operator's view: retention tiers and backups. No workspace data: the operator token reads none (the API says 403).
import { h, field, fill, attempt, problemView, empty, when } from '../dom.js';
import { get, post, put } from '../api.js';

const BACKUP_POLL_MS = 1000;

export async function render(ctx) {
  return {
    title: 'Operator',
    node: h('section', h('h1', 'Operator'),
      h('p.muted', 'The operator token manages users, retention and backups; it reads no workspace data.'),
      await retention(), await backups(ctx)),
  };
}

async function retention() {
  const slot = h('div', { 'aria-live': 'polite' });
  const view = await get('/v1/ops/retention');
  const inputs = {};
  const rows = Object.entries(view.tiers).map(([tier, t]) => {
    inputs[tier] = {};
    const cell = (setting, value) => {
      if (value === null || value === undefined) return h('td', '—');
      const [wrap, input] = field(`${tier} ${setting}`, { value, size: 8, name: `${tier}.${setting}` });
      wrap.classList.add('compact');
      inputs[tier][setting] = [input, value];
      return h('td', wrap);
    };
    return h('tr', { 'data-tier': tier }, h('th', { scope: 'row' }, tier), cell('duration', t.duration), h('td', t.resolution ?? 'raw points'),
      cell('lookBack', t.lookBack), cell('refreshEvery', t.refreshEvery), h('td', t.shardDuration ?? '—'));
  });
  const form = h('form', {
    onsubmit: async event => {
      event.preventDefault();
      const body = {};
      for (const [tier, settings] of Object.entries(inputs)) {
        for (const [setting, [input, was]] of Object.entries(settings)) {
          if (input.value.trim() !== was) (body[tier] ??= {})[setting] = input.value.trim();
        }
      }
      if (Object.keys(body).length === 0) { fill(slot, h('p.notice', { role: 'status' }, 'Nothing changed.')); return; }
      const answer = await attempt(slot, () => put('/v1/ops/retention', body), event.submitter);
      if (!answer) return;
      for (const [tier, settings] of Object.entries(inputs)) for (const [setting, pair] of Object.entries(settings)) pair[1] = answer.retention.tiers[tier][setting];
      fill(slot, h('div.notice', { role: 'status' }, h('p', `Saved: ${answer.changes.map(c => `${c.setting} ${c.from ?? '—'} → ${c.to}`).join('; ') || 'no change'}.`),
        answer.backfills.length ? h('p', `Backfills started: ${answer.backfills.map(b => `${b.tier} ${when(b.from)} – ${when(b.to)}`).join('; ')}.`) : null));
    },
  }, h('div.scroll', h('table.tiers', h('caption', `Database ${view.database}`),
    h('thead', h('tr', ['Tier', 'Duration', 'Resolution', 'Look-back', 'Refresh every', 'Shard group'].map(t => h('th', { scope: 'col' }, t)))), h('tbody', rows))),
  h('button', { type: 'submit' }, 'Save retention'));
  return h('section.card', h('h2', 'Retention tiers'), h('p.muted', 'Durations like 30d, 8760h, 90m. The API checks the rules (a rollup tier outlives the one below it; look-back within raw) and names what it refused.'), form, slot);
}

async function backups(ctx) {
  const slot = h('div', { 'aria-live': 'polite' });
  const list = h('div');
  const progress = h('p', { role: 'status' });
  let timer = null;
  ctx.onLeave(() => clearTimeout(timer));

  async function refresh() {
    let listing;
    try {
      listing = await get('/v1/ops/backups');
    } catch (error) {
      fill(list, problemView(error));
      return;
    }
    progress.textContent = listing.running ? `Backup ${listing.running} is running…` : listing.lastFailure ? `Last failure: ${listing.lastFailure.id}: ${listing.lastFailure.reason}` : '';
    runButton.disabled = Boolean(listing.running);
    clearTimeout(timer);
    if (listing.running) timer = setTimeout(refresh, BACKUP_POLL_MS);
    const entries = [...listing.backups].sort((a, b) => (a.manifest.startedAt < b.manifest.startedAt ? 1 : -1));
    fill(list, entries.length === 0 ? empty('No backup yet.', 'Run one now, or wait for the schedule (Backup:MeasurementInterval).')
      : h('table.backups', h('thead', h('tr', ['Backup', 'Kind', 'Started', 'Finished', 'Verified', 'Actions'].map(t => h('th', { scope: 'col' }, t)))),
        h('tbody', entries.map(({ manifest: m, verification: v }) => h('tr', { 'data-backup': m.id },
          h('td', h('code', m.id)), h('td', String(m.kind)), h('td', when(m.startedAt)), h('td', when(m.finishedAt)),
          h('td', v ? `${v.primaryOk && v.secondaryOk ? 'ok' : 'FAILED'} ${when(v.verifiedAt)}${v.problems?.length ? ': ' + v.problems.join('; ') : ''}` : 'not yet'),
          h('td.actions', h('button.secondary', {
            type: 'button',
            onclick: async e => { if (await attempt(slot, () => post(`/v1/ops/backups/${encodeURIComponent(m.id)}/verify`), e.currentTarget)) await refresh(); },
          }, 'Verify')))))));
  }

  const runButton = h('button', {
    type: 'button',
    onclick: async e => {
      const started = await attempt(slot, () => post('/v1/ops/backups'), e.currentTarget);
      if (started) await refresh();
    },
  }, 'Run backup now');
  await refresh();
  return h('section.card', h('h2', 'Backups'), runButton, progress, slot, list);
}
