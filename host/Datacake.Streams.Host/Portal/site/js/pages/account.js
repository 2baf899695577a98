// The signed-in person: the invitations waiting for them (to their e-mail or their id) to accept or decline, their id,
// and their own user tokens.
import { h, field, fill, attempt, copyable, problemView, when } from '../dom.js';
import { get, post, del } from '../api.js';
import { state, refreshMe } from '../main.js';

export async function render() {
  const me = state.me;
  const slot = h('div', { 'aria-live': 'polite' });
  const tokens = h('div');
  const secret = h('div', { 'aria-live': 'polite' });
  const waiting = h('div');
  const tokenSlot = h('div');

  const joined = async answer => {
    await refreshMe();
    const ws = state.me.workspaces.find(w => w.id === answer.workspaceId);
    fill(slot, h('p.notice', { role: 'status' }, `You joined ${ws?.name ?? answer.workspaceId} as ${answer.role}. `,
      h('a', { href: `#/w/${encodeURIComponent(answer.workspaceId)}/devices` }, 'Open its devices')));
  };

  async function refreshInvitations() {
    try {
      const list = await get('/v1/me/invitations');
      fill(waiting, list.length === 0 ? h('p.muted', 'No invitation is waiting for you.')
        : h('table.invitations', h('thead', h('tr', ['Workspace', 'Role', 'Expires', 'Actions'].map(t => h('th', { scope: 'col' }, t)))),
          h('tbody', list.map(i => h('tr', { 'data-invitation': i.id }, h('td', i.workspaceName), h('td', i.role),
            h('td', i.status === 'expired' ? 'expired' : when(i.expiresAt)),
            h('td.actions',
              i.status === 'expired' ? null : h('button', {
                type: 'button',
                'aria-label': `Accept the invitation to ${i.workspaceName}`,
                onclick: async e => {
                  const answer = await attempt(slot, () => post(`/v1/invitations/${encodeURIComponent(i.id)}/accept`), e.currentTarget);
                  if (answer) { await joined(answer); await refreshInvitations(); }
                },
              }, 'Accept'),
              h('button.secondary', {
                type: 'button',
                'aria-label': `Decline the invitation to ${i.workspaceName}`,
                onclick: async e => { if (await attempt(slot, () => del(`/v1/invitations/${encodeURIComponent(i.id)}`), e.currentTarget) !== undefined) await refreshInvitations(); },
              }, 'Decline')))))));
    } catch (error) {
      fill(waiting, problemView(error));
    }
  }

  async function refresh() {
    try {
      const list = await get('/v1/me/tokens');
      fill(tokens, h('table', h('thead', h('tr', ['Name', 'Created', 'State', 'Actions'].map(t => h('th', { scope: 'col' }, t)))),
        h('tbody', list.map(t => {
          const stateText = t.revokedAt ? 'revoked' : t.disabledAt ? 'disabled' : 'active';
          const act = (label, run) => h('button.secondary', { type: 'button', onclick: async e => { if (await attempt(tokenSlot, run, e.currentTarget) !== undefined) await refresh(); } }, label);
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

  const [inviteField, invitation] = field('Invitation id', { required: true, autocomplete: 'off' }, 'An invitation not listed above: the id an admin sent you.');
  const accept = h('form', {
    onsubmit: async event => {
      event.preventDefault();
      const answer = await attempt(slot, () => post(`/v1/invitations/${encodeURIComponent(invitation.value.trim())}/accept`), event.submitter);
      if (!answer) return;
      invitation.value = '';
      await joined(answer);
      await refreshInvitations();
    },
  }, h('h3', 'By its id'), inviteField, h('button', { type: 'submit' }, 'Accept by id'));

  await Promise.all([refresh(), refreshInvitations()]);
  return {
    title: 'Account',
    node: h('section', h('h1', 'Account'),
      h('section.card', h('h2', 'Invitations for you'), slot, waiting, accept),
      h('section.card', h('h2', 'You'), me.email ? h('p', me.email) : null, copyable('User id', me.id), h('p.muted', 'An admin invites you by this e-mail (or by this id).')),
      h('section.card', h('h2', 'Your tokens'), tokenSlot, secret, tokens)),
  };
}
