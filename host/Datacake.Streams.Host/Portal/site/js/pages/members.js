// Members and invitations of a workspace: invite by e-mail with a role (the invitee finds it on their Account page,
// whether they have a user yet or get one later), change a member's role in place, remove, leave, cancel.
import { h, field, option, fill, attempt, problemView, empty, when } from '../dom.js';
import { get, post, patch, del } from '../api.js';
import { currentWorkspace, state, refreshMe, route } from '../main.js';

const ROLES = ['viewer', 'editor', 'admin', 'owner'];

export async function render(ctx) {
  const ws = currentWorkspace(ctx.id);
  const admin = ['admin', 'owner'].includes(ws.role);
  const grantable = ROLES.slice(0, ROLES.indexOf(ws.role) + 1);
  const slot = h('div');
  const members = h('div');
  const invitations = h('div');
  const made = h('div', { 'aria-live': 'polite' });
  const base = `/v1/workspaces/${encodeURIComponent(ws.id)}`;

  // A member's role as a selector where the signed-in person may change it (admins and owners, up to their own
  // role, for members not above it), else as text. The API decides in the end: its refusal (the last owner, say)
  // is shown and the selector goes back to the role held.
  function roleCell(m, who) {
    const mayChange = admin && ROLES.indexOf(m.role) <= ROLES.indexOf(ws.role);
    if (!mayChange) return h('td', m.role);
    const select = h('select', {
      'aria-label': `Role of ${who}`,
      'data-member': m.userId,
      onchange: async () => {
        const changed = await attempt(slot, () => patch(`${base}/members/${encodeURIComponent(m.userId)}`, { role: select.value }), select);
        if (changed === undefined) { select.value = m.role; return; }
        m.role = changed.role;
        fill(slot, h('p.notice', { role: 'status' }, `${who} is now ${changed.role}.`));
        // One's own role decides what this page offers.
        if (m.userId === state.me.id) { await refreshMe(); await route(); }
      },
    }, grantable.map(r => option(r, r, r === m.role)));
    return h('td', select);
  }

  async function refresh() {
    try {
      const list = await get(`${base}/members`);
      fill(members, h('table.members', h('thead', h('tr', ['Person', 'Role', 'Actions'].map(t => h('th', { scope: 'col' }, t)))),
        h('tbody', list.map(m => {
          const self = m.userId === state.me.id;
          const who = m.email ?? m.userId;
          const mayRemove = self || (admin && ROLES.indexOf(m.role) <= ROLES.indexOf(ws.role));
          return h('tr', { 'data-member': m.userId }, h('td', m.email ?? h('code', m.userId), self ? ' (you)' : null), roleCell(m, who),
            h('td.actions', mayRemove ? h('button.secondary', {
              type: 'button',
              onclick: async e => { if (await attempt(slot, () => del(`${base}/members/${encodeURIComponent(m.userId)}`), e.currentTarget) !== undefined) await refresh(); },
            }, self ? 'Leave' : 'Remove') : null));
        }))));
    } catch (error) {
      fill(members, problemView(error));
    }
    if (!admin) return;
    try {
      const list = await get(`${base}/invitations`);
      fill(invitations, list.length === 0 ? empty('No open invitation.', 'Invite someone above.')
        : h('table.invitations', h('thead', h('tr', ['Person', 'Role', 'Status', 'Expires', 'Actions'].map(t => h('th', { scope: 'col' }, t)))),
          h('tbody', list.map(i => h('tr', { 'data-invitation': i.id }, h('td', i.email ?? h('code', i.userId)), h('td', i.role), h('td', i.status), h('td', when(i.expiresAt)),
            h('td.actions', h('button.secondary', {
              type: 'button',
              onclick: async e => { if (await attempt(slot, () => del(`/v1/invitations/${encodeURIComponent(i.id)}`), e.currentTarget) !== undefined) await refresh(); },
            }, 'Cancel')))))));
    } catch (error) {
      fill(invitations, problemView(error));
    }
  }

  const [emailField, email] = field('E-mail address', { type: 'email', required: true, autocomplete: 'off', maxlength: 254 },
    'They see the invitation on their Account page, also if their user is created only later.');
  const [roleField, role] = field('Role', { tag: 'select', options: grantable.map(r => option(r, r, r === 'viewer')) }, 'Viewers read; editors manage devices and decoders; admins manage members, tokens and webhooks.');
  const invite = admin ? h('form.card', {
    onsubmit: async event => {
      event.preventDefault();
      const invitation = await attempt(slot, () => post(`${base}/invitations`, { email: email.value.trim(), role: role.value }), event.submitter);
      if (!invitation) return;
      email.value = '';
      fill(made, h('p.notice', { role: 'status' }, `Invited ${invitation.email} as ${invitation.role} until ${when(invitation.expiresAt)}. They accept it on their Account page once signed in with that e-mail.`));
      await refresh();
    },
  }, h('h2', 'Invite'), emailField, roleField, h('button', { type: 'submit' }, 'Invite'), made) : null;

  await refresh();
  return {
    title: `Members · ${ws.name}`,
    node: h('section', h('h1', `Members of ${ws.name}`), slot, h('section.card', h('h2', 'Members'), members),
      invite, admin ? h('section.card', h('h2', 'Open invitations'), invitations) : null),
  };
}
