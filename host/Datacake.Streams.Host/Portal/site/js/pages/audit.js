// The workspace's audit trail: who changed what, newest first, a page at a time.
import { h, fill, attempt, empty, when } from '../dom.js';
import { get } from '../api.js';
import { currentWorkspace } from '../main.js';

export async function render(ctx) {
  const ws = currentWorkspace(ctx.id);
  const body = h('tbody');
  const slot = h('div');
  const more = h('button.secondary', { type: 'button', hidden: true }, 'Older events');
  let before = null;

  async function page() {
    const query = new URLSearchParams({ limit: '100' });
    if (before) query.set('before', before);
    const answer = await attempt(slot, () => get(`/v1/workspaces/${encodeURIComponent(ws.id)}/audit?${query}`), more);
    if (!answer) return;
    const events = answer.events ?? answer;
    body.append(...events.map(e => h('tr', h('td', when(e.at)), h('td', h('code', e.actor ?? '')), h('td', h('code', e.action)), h('td', e.target ?? ''), h('td', String(e.status)))));
    before = answer.next ?? null;
    more.hidden = !before;
    if (body.children.length === 0) fill(slot, empty('No change recorded yet.', 'Every successful change to the workspace, its devices, tokens, webhooks, decoders and members is listed here.'));
  }

  more.addEventListener('click', page);
  await page();
  return {
    title: `Audit · ${ws.name}`,
    node: h('section', h('h1', `Audit trail of ${ws.name}`), slot,
      h('div.scroll', h('table', h('thead', h('tr', ['At', 'Actor', 'Action', 'Target', 'Status'].map(t => h('th', { scope: 'col' }, t)))), body)), more),
  };
}
