// Integrations: a webhook per network that ends with what to paste into its console, a device's MQTT settings, and
// the workspace's JavaScript decoders with a dry run against a sample payload.
import { h, field, option, fill, attempt, copyable, problemView, empty, when } from '../dom.js';
import { get, post, patch, del } from '../api.js';
import { currentWorkspace } from '../main.js';

/** What each network's console asks for. The webhook token goes in a header; every network can send custom headers. */
const NETWORKS = {
  tts: {
    name: 'The Things Stack',
    where: 'Console → your application → Integrations → Webhooks → Add webhook → Custom webhook: Webhook format JSON, Base URL = the URL, Additional headers = the header, enable "Uplink message" with an empty path.',
    body: null,
  },
  chirpstack: {
    name: 'ChirpStack',
    where: 'Application → Integrations → HTTP → Add: Payload encoding JSON, Event endpoint URL(s) = the URL, Headers = the header.',
    body: null,
  },
  helium: {
    name: 'Helium',
    where: 'Console → Integrations → Add → HTTP: Method POST, Endpoint URL = the URL, HTTP headers = the header; connect it to your devices in a flow.',
    body: null,
  },
  particle: {
    name: 'Particle',
    where: 'Console → Integrations → New integration → Webhook: Request type POST, Request format JSON, URL = the URL; under Advanced settings add the header and set the JSON body to the template.',
    body: '{\n  "event": "{{{PARTICLE_EVENT_NAME}}}",\n  "data": "{{{PARTICLE_EVENT_VALUE}}}",\n  "coreid": "{{{PARTICLE_DEVICE_ID}}}",\n  "published_at": "{{{PARTICLE_PUBLISHED_AT}}}"\n}',
  },
};

export async function render(ctx) {
  const ws = currentWorkspace(ctx.id);
  const admin = ['admin', 'owner'].includes(ws.role);
  const editor = admin || ws.role === 'editor';
  const devices = (await get(`/v1/workspaces/${encodeURIComponent(ws.id)}/devices`)).filter(d => !d.deletedAt);
  return {
    title: `Integrations · ${ws.name}`,
    node: h('section',
      h('h1', `Integrations of ${ws.name}`),
      admin ? await webhooks(ws, devices) : h('p.muted', 'Webhooks are managed by the workspace\'s admins.'),
      await mqtt(devices),
      await decoders(ws, editor)),
  };
}

async function webhooks(ws, devices) {
  const slot = h('div');
  const result = h('div', { 'aria-live': 'polite' });
  const list = h('div');
  const [kindField, kind] = field('Network', { tag: 'select', options: Object.entries(NETWORKS).map(([k, n]) => option(k, n.name)) });
  const boxes = devices.map(d => {
    const box = h('input', { type: 'checkbox', value: d.id });
    return [box, h('label.check', box, ' ', d.name)];
  });
  const [signedBox, signedLabel] = (() => { const b = h('input', { type: 'checkbox' }); return [b, h('label.check', b, ' Signed (Standard Webhooks secret; for senders that sign)')]; })();

  async function refresh() {
    try {
      const hooks = await get(`/v1/workspaces/${encodeURIComponent(ws.id)}/webhooks`);
      fill(list, hooks.length === 0 ? empty('No webhook yet.', 'Pick the network and its devices above: the form ends with what to paste into the network\'s console.')
        : h('table', h('thead', h('tr', ['Network', 'URL', 'Devices', 'State', 'Actions'].map(t => h('th', { scope: 'col' }, t)))),
          h('tbody', hooks.map(w => {
            const act = (label, run) => h('button.secondary', { type: 'button', onclick: async e => { if (await attempt(slot, run, e.currentTarget) !== undefined) await refresh(); } }, label);
            return h('tr', { 'data-webhook': w.id }, h('td', NETWORKS[w.kind]?.name ?? w.kind), h('td', h('code', w.url)), h('td', String(w.devices.length)), h('td', w.pausedAt ? `paused ${when(w.pausedAt)}` : 'active'),
              h('td.actions',
                w.pausedAt ? act('Resume', () => post(`/v1/webhooks/${encodeURIComponent(w.id)}/resume`)) : act('Pause', () => post(`/v1/webhooks/${encodeURIComponent(w.id)}/pause`)),
                act('Delete', () => del(`/v1/webhooks/${encodeURIComponent(w.id)}`))));
          }))));
    } catch (error) {
      fill(list, problemView(error));
    }
  }

  const form = h('form', {
    onsubmit: async event => {
      event.preventDefault();
      const chosen = boxes.filter(([b]) => b.checked).map(([b]) => b.value);
      const made = await attempt(slot, () => post(`/v1/workspaces/${encodeURIComponent(ws.id)}/webhooks`, { kind: kind.value, devices: chosen, signed: signedBox.checked }), event.submitter);
      if (!made) return;
      const network = NETWORKS[made.kind];
      fill(result, h('div.secret', { role: 'status' },
        h('h3', `Paste into ${network.name}`),
        h('p', network.where),
        copyable('URL', made.url),
        copyable('Header', `X-Webhook-Token: ${made.token}`, { secret: true }),
        made.secret ? copyable('Signing secret', made.secret, { secret: true }) : null,
        network.body ? copyable('Body template', network.body) : h('p.muted', 'Body: the network\'s own uplink JSON, unchanged.'),
        h('p', 'The token and secret are shown once.')));
      await refresh();
    },
  }, kindField,
  h('fieldset', h('legend', 'Devices it may write'), devices.length === 0 ? h('p.muted', 'Add devices first (Devices page).') : boxes.map(([, l]) => l)),
  signedLabel, h('button', { type: 'submit' }, 'Create webhook'));

  await refresh();
  return h('section.card', h('h2', 'Network webhooks'), form, slot, result, h('h3', 'Webhooks of this workspace'), list);
}

/** Where the broker listens, as the node says (GET /v1/ingest/mqtt); a node without the ingest role has no such route. */
async function mqttListeners() {
  try {
    return await get('/v1/ingest/mqtt');
  } catch (error) {
    if (error.status === 404) return null;
    throw error;
  }
}

async function mqtt(devices) {
  const out = h('div', { 'aria-live': 'polite' });
  let settings;
  try {
    settings = await mqttListeners();
  } catch (error) {
    return h('section.card', h('h2', 'MQTT settings'), problemView(error));
  }
  if (!settings || !settings.enabled) {
    return h('section.card', h('h2', 'MQTT settings'), empty('No MQTT broker on this node.',
      settings ? 'MQTT is switched off (Ingest:Mqtt:Enabled); devices send over HTTP or a network webhook.' : 'This node does not run the ingest role: ask the operator for the broker\'s address.'));
  }
  // A listener bound to every interface is reached by the name this page was loaded from; one bound to an address, at it.
  const hostOf = listener => (['0.0.0.0', '::'].includes(listener.address) ? location.hostname : listener.address);
  const { tls, plain } = settings;
  const [deviceField, select] = field('Device', { tag: 'select', options: [option('', 'Choose a device'), ...devices.map(d => option(d.id, d.name))] });
  select.addEventListener('change', () => {
    const d = devices.find(x => x.id === select.value);
    if (!d) { fill(out); return; }
    const main = tls ?? plain;
    const host = hostOf(main);
    const example = tls
      ? `mosquitto_pub -h ${host} -p ${tls.port} --cafile server.crt -u ${d.id} -P "$DEVICE_TOKEN" -t devices/${d.id}/measurements -q 1 -m '{"temperature":21.5}'`
      : `mosquitto_pub -h ${host} -p ${plain.port} -u ${d.id} -P "$DEVICE_TOKEN" -t devices/${d.id}/measurements -q 1 -m '{"temperature":21.5}'`;
    fill(out,
      copyable('Host', host),
      tls ? copyable('Port (TLS)', String(tls.port)) : h('p', 'TLS: not configured on this node (no certificate or Ingest:Mqtt:TlsEndpoint empty).'),
      plain ? copyable('Port (plain, loopback only)', String(plain.port)) : null,
      copyable('Username', d.id),
      h('p', 'Password: a token of this device (create one on its page; it is shown once).'),
      copyable('Topic', `devices/${d.id}/measurements`),
      copyable('Example', example),
      h('p.muted', tls
        ? 'TLS uses the host\'s certificate (Streams:CertificatePath, or the self-signed one in its data folder). The plain port answers only on the broker\'s own machine.'
        : 'Plain MQTT answers only on the broker\'s own machine (loopback); devices elsewhere need the TLS listener.'));
  });
  return h('section.card', h('h2', 'MQTT settings'), deviceField, out);
}

async function decoders(ws, editor) {
  let list = [];
  const slot = h('div');
  const test = h('div', { 'aria-live': 'polite' });
  try { list = await get(`/v1/workspaces/${encodeURIComponent(ws.id)}/decoders`); } catch (error) { fill(slot, problemView(error)); }
  const sample = 'function decodeUplink(input) {\n  // input.bytes: the uplink bytes; input.fPort: the LoRaWAN port\n  return { data: { temperature: ((input.bytes[0] << 8) | input.bytes[1]) / 100 } };\n}\n';
  const [pickField, pick] = field('Decoder', { tag: 'select', options: [option('', 'New decoder'), ...list.map(d => option(d.id, d.name))] });
  const [nameField, name] = field('Name', { maxlength: 200, required: true });
  const [sourceField, source] = field('Source (JavaScript)', { tag: 'textarea', rows: 12, spellcheck: 'false', class: 'code', value: sample });
  const [payloadField, payload] = field('Sample payload (hex)', { value: '0867', pattern: '([0-9A-Fa-f]{2})*' }, 'The bytes of an uplink, e.g. 0867 for 21.51 with the sample above.');
  const [portField, port] = field('Port', { type: 'number', min: 1, max: 223, value: '1' });
  let current = null;

  pick.addEventListener('change', async () => {
    current = pick.value ? await attempt(slot, () => get(`/v1/decoders/${encodeURIComponent(pick.value)}`)) : null;
    name.value = current?.name ?? '';
    source.value = current?.source ?? sample;
    fill(test, current?.state?.state === 'suspended' ? h('p.warning', `Suspended since ${when(current.state.since)}: ${current.state.reason}. Saving a new source resumes it.`) : null);
  });

  async function save() {
    const body = { name: name.value.trim(), source: source.value };
    const saved = current ? await patch(`/v1/decoders/${encodeURIComponent(current.id)}`, body) : await post(`/v1/workspaces/${encodeURIComponent(ws.id)}/decoders`, body);
    if (!current) pick.append(option(saved.id, saved.name, true));
    current = saved;
    return saved;
  }

  const form = h('form', {
    onsubmit: async event => {
      event.preventDefault();
      const saved = await attempt(slot, save, event.submitter);
      if (saved) fill(slot, h('p.notice', { role: 'status' }, `Saved ${saved.name}. Choose it as a device's decoder on the device's page.`));
    },
  }, pickField, nameField, sourceField, editor ? h('button', { type: 'submit' }, 'Save decoder') : null);

  const testButton = h('button.secondary', {
    type: 'button',
    onclick: async e => {
      if (!current) { fill(test, h('p.warning', { role: 'alert' }, 'Save the decoder first: the dry run runs the saved source.')); return; }
      const hex = payload.value.replace(/\s+/g, '');
      if (!/^([0-9a-fA-F]{2})*$/.test(hex)) { fill(test, h('p.warning', { role: 'alert' }, 'The payload must be an even number of hex digits.')); return; }
      const bytes = hex.match(/../g)?.map(x => parseInt(x, 16)) ?? [];
      const answer = await attempt(test, () => post(`/v1/decoders/${encodeURIComponent(current.id)}/test`, { payload: btoa(String.fromCharCode(...bytes)), port: Number(port.value) || 1 }), e.currentTarget);
      if (answer) fill(test, h('table.fields', h('caption', 'Decoded fields'), h('tbody', Object.entries(answer.fields ?? {}).map(([k, v]) => h('tr', h('th', { scope: 'row' }, k), h('td', JSON.stringify(v)))))));
    },
  }, 'Test with the sample');

  return h('section.card', h('h2', 'Decoders'), form, slot, h('div.grid', payloadField, portField), testButton, test);
}
