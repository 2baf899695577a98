// Members and invitations of a workspace. The API invites by user id (a person's id is on their Account page) and the
// invitee accepts with the invitation's id, which the inviter hands over.
import { h, field, option, fill, attempt, copyable, problemView, empty, when } from '../dom.js';
import { get, post, del } from '../api.js';
import { currentWorkspace, state } from '../main.js';

const ROLES = ['viewer', 'editor', 'admin', 'owner'];

export async function render(ctx) {
  const ws = currentWorkspace(ctx.id);
  const admin = ['admin', 'owner'].includes(ws.role);
  const grantable = ROLES.slice(0, ROLES.indexOf(ws.role) + 1);
  const slot = h('div');
  const members = h('div');
  const invitations = h('div');
  const made = h('div', { 'aria-live': 'polite' });

  async function refresh() {
    try {
      const list = await get(`/v1/workspaces/${encodeURIComponent(ws.id)}/members`);
      fill(members, h('table.members', h('thead', h('tr', ['Person', 'Role', 'Actions'].map(t => h('th', { scope: 'col' }, t)))),
        h('tbody', list.map(m => {
          const self = m.userId === state.me.id;
          const mayRemove = self || (admin && ROLES.indexOf(m.role) <= ROLES.indexOf(ws.role));
          return h('tr', h('td', m.email ?? h('code', m.userId), self ? ' (you)' : null), h('td', m.role),
            h('td.actions', mayRemove ? h('button.secondary', {
              type: 'button',
              onclick: async e => { if (await attempt(slot, () => del(`/v1/workspaces/${encodeURIComponent(ws.id)}/members/${encodeURIComponent(m.userId)}`), e.currentTarget) !== undefined) await refresh(); },
            }, self ? 'Leave' : 'Remove') : null));
        }))));
    } catch (error) {
      fill(members, problemView(error));
    }
    if (!admin) return;
    try {
      const list = await get(`/v1/workspaces/${encodeURIComponent(ws.id)}/invitations`);
      fill(invitations, list.length === 0 ? empty('No open invitation.', 'Invite someone above.')
        : h('table', h('thead', h('tr', ['Invitation', 'Person', 'Role', 'Status', 'Expires', 'Actions'].map(t => h('th', { scope: 'col' }, t)))),
          h('tbody', list.map(i => h('tr', h('td', h('code', i.id)), h('td', h('code', i.userId)), h('td', i.role), h('td', i.status), h('td', when(i.expiresAt)),
            h('td.actions', h('button.secondary', {
              type: 'button',
              onclick: async e => { if (await attempt(slot, () => del(`/v1/invitations/${encodeURIComponent(i.id)}`), e.currentTarget) !== undefined) await refresh(); },
            }, 'Cancel')))))));
    } catch (error) {
      fill(invitations, problemView(error));
    }
  }

  const [userField, user] = field('Their user id', { required: true, autocomplete: 'off' }, 'They find it on their Account page.');
  const [roleField, role] = field('Role', { tag: 'select', options: grantable.map(r => option(r, r, r === 'viewer')) }, 'Viewers read; editors manage devices and decoders; admins manage members, tokens and webhooks.');
  const invite = admin ? h('form.card', {
    onsubmit: async event => {
      event.preventDefault();
      const invitation = await attempt(slot, () => post(`/v1/workspaces/${encodeURIComponent(ws.id)}/invitations`, { userId: user.value.trim(), role: role.value }), event.submitter);
      if (!invitation) return;
      user.value = '';
      fill(made, h('div.secret', { role: 'status' }, h('p', `Invited as ${invitation.role} until ${when(invitation.expiresAt)}. Send them this invitation id; they accept it on their Account page.`),
        copyable('Invitation id', invitation.id)));
      await refresh();
    },
  }, h('h2', 'Invite'), userField, roleField, h('button', { type: 'submit' }, 'Invite'), made) : null;

  await refresh();
  return {
    title: `Members · ${ws.name}`,
    node: h('section', h('h1', `Members of ${ws.name}`), slot, h('section.card', h('h2', 'Members'), members,
      h('p.muted', 'To change someone\'s role, remove them and invite them again with the new role (the API has no role change).')),
    invite, admin ? h('section.card', h('h2', 'Open invitations'), invitations) : null),
  };
}
