// The shell: sign-in state, navigation by the token's scope, and a hash router (no path ever carries the token).
import { h, fill, problemView } from './dom.js';
import { get, session, whenSignedOut } from './api.js';
import * as signin from './pages/signin.js';
import * as workspaces from './pages/workspaces.js';
import * as devices from './pages/devices.js';
import * as device from './pages/device.js';
import * as integrations from './pages/integrations.js';
import * as members from './pages/members.js';
import * as audit from './pages/audit.js';
import * as account from './pages/account.js';
import * as operator from './pages/operator.js';

performance.mark('portal-start');

const main = document.getElementById('main');
const nav = document.getElementById('nav');
const who = document.getElementById('who');

/** What the signed-in token is (GET /v1/me), read once per sign-in and after joining a workspace. */
export const state = { me: null };

const routes = [
  [/^#\/workspaces$/, () => workspaces],
  [/^#\/w\/([^/]+)\/devices$/, () => devices, 'devices'],
  [/^#\/w\/([^/]+)\/integrations$/, () => integrations, 'integrations'],
  [/^#\/w\/([^/]+)\/members$/, () => members, 'members'],
  [/^#\/w\/([^/]+)\/audit$/, () => audit, 'audit'],
  [/^#\/d\/([^/]+)$/, () => device],
  [/^#\/account$/, () => account],
  [/^#\/ops$/, () => operator],
];

let leaving = [];

export async function refreshMe() {
  state.me = await get('/v1/me');
  return state.me;
}

/** The workspace the pages work in: the one in the route, else the last one chosen, else home, else the first. */
export function currentWorkspace(fromRoute) {
  const list = state.me?.workspaces ?? [];
  const chosen = fromRoute ?? sessionStorage.getItem('dcs.workspace');
  const found = list.find(w => w.id === chosen) ?? list.find(w => w.id === state.me?.homeWorkspaceId) ?? list[0];
  if (found) sessionStorage.setItem('dcs.workspace', found.id);
  return found ?? null;
}

function renderNav(active) {
  const me = state.me;
  if (!me) {
    fill(nav);
    fill(who);
    return;
  }
  const ws = currentWorkspace();
  const link = (href, text) => h('a', { href, 'aria-current': active === href ? 'page' : null }, text);
  const links = me.kind === 'operator'
    ? [link('#/ops', 'Operator')]
    : [
      link('#/workspaces', 'Workspaces'),
      ws ? link(`#/w/${ws.id}/devices`, 'Devices') : null,
      ws ? link(`#/w/${ws.id}/integrations`, 'Integrations') : null,
      ws ? link(`#/w/${ws.id}/members`, 'Members') : null,
      ws && ['admin', 'owner'].includes(ws.role) ? link(`#/w/${ws.id}/audit`, 'Audit') : null,
      me.kind === 'user' ? link('#/account', 'Account') : null,
    ];
  fill(nav, h('ul', links.filter(Boolean).map(a => h('li', a))));
  fill(who,
    h('span.muted', me.kind === 'operator' ? 'Operator' : me.email ?? (me.kind === 'scoped' ? 'Scoped token' : 'Signed in')),
    h('button.secondary', { type: 'button', onclick: signOut }, 'Sign out'));
}

export function signOut() {
  session.signOut();
  state.me = null;
  location.hash = '#/signin';
  route();
}

whenSignedOut(() => {
  session.signOut();
  state.me = null;
  route('Your session ended (the token was refused). Sign in again.');
});

// Each navigation's number: a page that finishes loading after a later navigation began is not shown (it would
// replace the page the person moved on to, e.g. a slow devices page after a click on Workspaces).
let navigation = 0;

export async function route(message) {
  for (const stop of leaving) stop();
  leaving = [];
  const current = ++navigation;
  // A page left before it was shown stops what it started at once.
  const ctx = { onLeave: stop => (current === navigation ? leaving.push(stop) : stop()), message };
  const show = (view, title) => { if (current === navigation) showView(view, title); };
  let hash = location.hash || '#/';

  if (!session.token()) {
    renderNav(null);
    return show(await signin.render(ctx), 'Sign in');
  }
  if (!state.me) {
    try {
      await refreshMe();
    } catch (error) {
      session.signOut();
      renderNav(null);
      return show(await signin.render({ ...ctx, error }), 'Sign in');
    }
  }
  if (hash === '#/' || hash === '#/signin') {
    const ws = currentWorkspace();
    hash = state.me.kind === 'operator' ? '#/ops' : ws ? `#/w/${ws.id}/devices` : '#/workspaces';
    history.replaceState(null, '', hash);
  }
  for (const [pattern, page] of routes) {
    const match = pattern.exec(hash);
    if (!match) continue;
    if (match[1] && pattern.source.startsWith('^#\\/w')) currentWorkspace(decodeURIComponent(match[1]));
    renderNav(hash);
    try {
      const view = await page().render({ ...ctx, id: match[1] && decodeURIComponent(match[1]) });
      return show(view.node ?? view, view.title ?? document.title);
    } catch (error) {
      return show(h('section', h('h1', 'This page could not be loaded'), problemView(error)), 'Error');
    }
  }
  renderNav(hash);
  show(h('section', h('h1', 'Not found'), h('p', h('a', { href: '#/' }, 'Go to the start page'))), 'Not found');
}

let first = true;
function showView(view, title) {
  main.replaceChildren(view.node ?? view);
  document.title = `${title} · Datacake Streams`;
  if (first) {
    first = false;
    performance.mark('portal-first-view');
    performance.measure('portal-first-view', 'portal-start', 'portal-first-view');
  } else {
    // Keyboard and screen reader users land on the new page's content, not on the link they left.
    main.focus({ preventScroll: true });
  }
}

window.addEventListener('hashchange', () => route());
route();
