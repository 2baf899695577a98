// Sign in with a token pasted once. It is kept in this tab's sessionStorage only; it never goes into a URL.
import { h, field, fill, problemView } from '../dom.js';
import { session } from '../api.js';
import { route, refreshMe } from '../main.js';

export async function render(ctx) {
  const slot = h('div', ctx.error ? problemView(ctx.error) : ctx.message ? h('p.notice', { role: 'status' }, ctx.message) : null);
  const [tokenField, input] = field('Token', { type: 'password', name: 'token', autocomplete: 'off', required: true, spellcheck: 'false' },
    'A user token (dcs_…) from POST /v1/users, a workspace token, or the operator token. It stays in this tab until you sign out or close it.');
  const button = h('button', { type: 'submit' }, 'Sign in');
  const form = h('form.card', {
    onsubmit: async event => {
      event.preventDefault();
      const token = input.value.trim();
      if (!token) return;
      session.signIn(token);
      button.disabled = true;
      try {
        await refreshMe();
        input.value = '';
        history.replaceState(null, '', '#/');
        await route();
      } catch (error) {
        session.signOut();
        fill(slot, problemView(error));
      } finally {
        button.disabled = false;
      }
    },
  }, tokenField, button);
  return {
    title: 'Sign in',
    node: h('section.signin', h('h1', 'Sign in'), h('p', 'Paste your token to open your workspaces, devices and data.'), slot, form),
  };
}
