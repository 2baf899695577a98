// The signed-in person: their id (to be invited), accepting an invitation, and their own user tokens.
import { h, field, fill, attempt, copyable, problemView, when } from '../dom.js';
import { get, post, del } from '../api.js';
import { state, refreshMe } from '../main.js';

export async function render() {
  const me = state.me;
  const slot = h('div', { 'aria-live': 'polite' });
  const tokens = h('div');
  const secret = h('div', { 'aria-live': 'polite' });

  async function refresh() {
    try {
      const list = await get('/v1/me/tokens');
      fill(tokens, h('table', h('thead', h('tr', ['Name', 'Created', 'State', 'Actions'].map(t => h('th', { scope: 'col' }, t)))),
        h('tbody', list.map(t => {
          const stateText = t.revokedAt ? 'revoked' : t.disabledAt ? 'disabled' : 'active';
          const act = (label, run) => h('button.secondary', { type: 'button', onclick: async e => { if (await attempt(slot, run, e.currentTarget) !== undefined) await refresh(); } }, label);
          return h('tr', h('td', t.name), h('td', when(t.createdAt)), h('td', stateText), h('td.actions', stateText === 'revoked' ? null : [
            act('Rotate', async () => {
              const made = await post(`/v1/tokens/${encodeURIComponent(t.id)}/rotate`, { graceSeconds: 0 });
              fill(secret, h('div.secret', { role: 'status' }, h('p', 'Your new token, shown once. The one you signed in with stops working now: sign in again with this one.'), copyable('Token', made.token, { secret: true })));
              return made;
            }),
            stateText === 'active' ? act('Disable', () => post(`/v1/tokens/${encodeURIComponent(t.id)}/disable`)) : null,
            act('Revoke', () => del(`/v1/tokens/${encodeURIComponent(t.id)}`)),
          ]));
        }))));
    } catch (error) {
      fill(tokens, problemView(error));
    }
  }

  const [inviteField, invitation] = field('Invitation id', { required: true, autocomplete: 'off' }, 'The id an admin of the workspace sent you.');
  const accept = h('form.card', {
    onsubmit: async event => {
      event.preventDefault();
      const joined = await attempt(slot, () => post(`/v1/invitations/${encodeURIComponent(invitation.value.trim())}/accept`), event.submitter);
      if (!joined) return;
      await refreshMe();
      const ws = state.me.workspaces.find(w => w.id === joined.workspaceId);
      invitation.value = '';
      fill(slot, h('p.notice', { role: 'status' }, `You joined ${ws?.name ?? joined.workspaceId} as ${joined.role}. `,
        h('a', { href: `#/w/${encodeURIComponent(joined.workspaceId)}/devices` }, 'Open its devices')));
    },
  }, h('h2', 'Accept an invitation'), inviteField, h('button', { type: 'submit' }, 'Accept'), slot);

  await refresh();
  return {
    title: 'Account',
    node: h('section', h('h1', 'Account'),
      h('section.card', h('h2', 'You'), me.email ? h('p', me.email) : null, copyable('User id', me.id), h('p.muted', 'Give this id to an admin who wants to invite you.')),
      accept,
      h('section.card', h('h2', 'Your tokens'), secret, tokens)),
  };
}
