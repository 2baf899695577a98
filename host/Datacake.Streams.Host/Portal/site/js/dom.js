// Small DOM builders. Text always goes in as text nodes (never innerHTML): names, payloads and problem details come
// from other people and must not become markup.

/** h('tag.class', {attr: value, onclick: fn}, ...children) */
export function h(spec, attrs, ...children) {
  const [tag, ...classes] = spec.split('.');
  const el = document.createElement(tag || 'div');
  if (classes.length) el.className = classes.join(' ');
  if (attrs && (typeof attrs !== 'object' || attrs instanceof Node || Array.isArray(attrs))) {
    children.unshift(attrs);
    attrs = null;
  }
  for (const [key, value] of Object.entries(attrs ?? {})) {
    if (value === null || value === undefined || value === false) continue;
    if (key.startsWith('on') && typeof value === 'function') el.addEventListener(key.slice(2), value);
    else if (key === 'class') el.className = value;
    else if (key === 'value') el.value = value;
    else if (key === 'checked') el.checked = value;
    else el.setAttribute(key, value === true ? '' : String(value));
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    if (Array.isArray(child)) append(el, child);
    else el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
}

let ids = 0;
/** A fresh id for label/input pairs. */
export const uid = (prefix = 'f') => `${prefix}-${++ids}`;

/** A labelled input; returns [wrapper, input]. */
export function field(label, attrs = {}, hint) {
  const { tag, options, ...rest } = attrs;
  const id = uid();
  const input = tag === 'select' ? h('select', { ...rest, id }, ...(options ?? []))
    : tag === 'textarea' ? h('textarea', { ...rest, id })
    : h('input', { type: 'text', ...rest, id });
  const hintId = hint ? uid('hint') : null;
  if (hintId) input.setAttribute('aria-describedby', hintId);
  return [h('div.field', h('label', { for: id }, label), input, hint ? h('small.muted', { id: hintId }, hint) : null), input];
}

export const option = (value, text, selected) => h('option', { value, selected: selected || null }, text ?? value);

/** A value to copy with its button (the token shown once, a URL, a header). */
export function copyable(label, value, { secret = false } = {}) {
  const id = uid('copy');
  const status = h('span.copied', { role: 'status' });
  const button = h('button.secondary', {
    type: 'button',
    'aria-describedby': id,
    onclick: async () => {
      try {
        await navigator.clipboard.writeText(value);
        status.textContent = 'Copied';
      } catch {
        // Clipboard access needs a secure context and focus: select the text so Ctrl+C works instead.
        const range = document.createRange();
        range.selectNodeContents(code);
        getSelection().removeAllRanges();
        getSelection().addRange(range);
        status.textContent = 'Selected: press Ctrl+C';
      }
    },
  }, `Copy ${label.toLowerCase()}`);
  const code = h('code.value', { id, 'data-secret': secret || null }, value);
  return h('div.copyable', h('span.label', label), code, button, status);
}

/** The problem details of an API answer, as they say them (RFC 9457). */
export function problemView(error) {
  const p = error?.problem;
  if (!p) return h('div.problem', { role: 'alert' }, h('strong', 'Something went wrong'), h('p', error?.message ?? String(error)));
  const slug = typeof p.type === 'string' ? p.type.replace(/^.*\/problems\//, '') : null;
  const errors = p.errors && typeof p.errors === 'object'
    ? h('ul', Object.entries(p.errors).map(([k, v]) => h('li', h('code', k), ': ', [].concat(v).join(' '))))
    : null;
  return h('div.problem', { role: 'alert' },
    h('strong', p.title ?? `HTTP ${error.status}`),
    p.detail ? h('p', p.detail) : null,
    errors,
    error.retryAfter ? h('p', `Try again in ${error.retryAfter} s.`) : null,
    h('small.muted', `${error.status}${slug ? ' · ' + slug : ''}`));
}

/** Replaces the content of a slot (an element kept for messages or results). */
export function fill(slot, ...children) {
  slot.replaceChildren();
  append(slot, children);
  return slot;
}

/** Runs an action from a button or form, showing its problem in the slot and keeping the button busy meanwhile. */
export async function attempt(slot, action, button) {
  if (button) button.disabled = true;
  try {
    fill(slot);
    return await action();
  } catch (error) {
    fill(slot, problemView(error));
    return undefined;
  } finally {
    if (button) button.disabled = false;
  }
}

/** How long ago an instant was (an ISO text or epoch ms). */
export function ago(at, now = Date.now()) {
  if (!at) return '—';
  const s = Math.max(0, Math.round((now - (typeof at === 'number' ? at : Date.parse(at))) / 1000));
  if (s < 60) return `${s} s ago`;
  if (s < 3600) return `${Math.floor(s / 60)} min ago`;
  if (s < 86400) return `${Math.floor(s / 3600)} h ago`;
  return `${Math.floor(s / 86400)} d ago`;
}

export const when = iso => (iso ? new Date(iso).toLocaleString() : '—');

export function formatValue(v) {
  if (typeof v === 'number') return Number.isInteger(v) ? String(v) : v.toFixed(Math.abs(v) < 10 ? 3 : 2).replace(/0+$/, '').replace(/\.$/, '');
  return v === null || v === undefined ? '—' : String(v);
}

/** A page's empty state: what is missing and what to do next. */
export const empty = (what, next) => h('div.empty', h('p', h('strong', what)), h('p', next));
