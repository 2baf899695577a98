// The workspaces the token reaches, as a tree with their sub-workspaces; a new sub-workspace.
import { h, field, option, attempt, empty } from '../dom.js';
import { post } from '../api.js';
import { state, refreshMe } from '../main.js';

const canAdmin = role => role === 'admin' || role === 'owner';

export async function render() {
  const list = state.me.workspaces;
  const ids = new Set(list.map(w => w.id));
  const children = new Map();
  for (const w of list) {
    const parent = w.parentId && ids.has(w.parentId) ? w.parentId : null;
    if (!children.has(parent)) children.set(parent, []);
    children.get(parent).push(w);
  }
  const branch = parent => {
    const items = (children.get(parent) ?? []).sort((a, b) => a.name.localeCompare(b.name));
    return items.length === 0 ? null : h('ul.tree', items.map(w => h('li',
      h('a', { href: `#/w/${encodeURIComponent(w.id)}/devices` }, w.name),
      ' ', h('span.badge', w.role),
      w.id === state.me.homeWorkspaceId ? h('span.badge', 'home') : null,
      branch(w.id))));
  };

  const admins = list.filter(w => canAdmin(w.role));
  const slot = h('div');
  const [nameField, name] = field('Name', { required: true, maxlength: 200 });
  const [parentField, parent] = field('Inside', { tag: 'select', options: admins.map(w => option(w.id, w.name)) });
  const create = admins.length === 0 ? null : h('form.card', {
    onsubmit: async event => {
      event.preventDefault();
      const made = await attempt(slot, () => post('/v1/workspaces', { name: name.value.trim(), parentId: parent.value }), event.submitter);
      if (made) {
        await refreshMe();
        location.hash = `#/w/${encodeURIComponent(made.id)}/devices`;
      }
    },
  }, h('h2', 'New sub-workspace'), nameField, parentField, h('button', { type: 'submit' }, 'Create workspace'), slot);

  return {
    title: 'Workspaces',
    node: h('section',
      h('h1', 'Workspaces'),
      list.length === 0
        ? empty('You are not a member of any workspace yet.', 'Ask an admin to invite you by your e-mail, then accept the invitation on your Account page.')
        : branch(null),
      create),
  };
}
