// What every dashboard page shares: building DOM (text only, never HTML),
// the session, calls to both APIs, and the live feed.
//
// Reads go to the query API with a short-lived token that the session
// cookie buys (`POST /app/api/token`); writes go to
// `/app/api/command/…`, which checks the cookie and the CSRF header and
// forwards to the command API. The token lives only in this module.

/** `h('td', {class: 'n'}, 'text', child)`: children are text or nodes. */
export function h(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs || {})) {
    if (value === undefined || value === null || value === false) continue;
    if (name.startsWith('on')) node.addEventListener(name.slice(2), value);
    else if (name === 'value') node.value = value;
    else node.setAttribute(name, value === true ? '' : String(value));
  }
  for (const child of children.flat()) {
    if (child === undefined || child === null || child === false) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

export function clear(node, ...children) {
  node.replaceChildren(...children.flat().filter((c) => c !== undefined && c !== null && c !== false));
  return node;
}

export function when(iso) {
  if (!iso) return '—';
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? iso : d.toLocaleString();
}

/** An API refusal: the envelope's code, message and field. */
export class ApiRefusal extends Error {
  constructor(status, body) {
    const error = (body && body.error) || {};
    super(error.message || `HTTP ${status}`);
    this.status = status;
    this.code = error.code || 'http_' + status;
    this.field = error.field || (error.fields && error.fields[0] && error.fields[0].field) || null;
  }
}

let session = null;
let token = null; // { value, expiresAt (ms) }

export function currentSession() {
  return session;
}

async function parse(response) {
  const text = await response.text();
  let body = null;
  try {
    body = text ? JSON.parse(text) : null;
  } catch {
    body = null;
  }
  if (!response.ok) throw new ApiRefusal(response.status, body);
  return body;
}

export async function loadSession() {
  const response = await fetch('/app/api/session', { credentials: 'same-origin' });
  if (response.status === 401) {
    session = null;
    return null;
  }
  session = await parse(response);
  return session;
}

export async function login(org, username, password) {
  const response = await fetch('/app/api/login', {
    method: 'POST',
    credentials: 'same-origin',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ org, username, password }),
  });
  session = await parse(response);
  token = null;
  return session;
}

export async function logout() {
  if (!session) return;
  await fetch('/app/api/logout', { method: 'POST', credentials: 'same-origin', headers: { 'x-csrf-token': session.csrf } });
  session = null;
  token = null;
}

/** A read token, renewed a minute before it ends. */
export async function accessToken() {
  if (token && token.expiresAt - Date.now() > 60_000) return token.value;
  const response = await fetch('/app/api/token', {
    method: 'POST',
    credentials: 'same-origin',
    headers: { 'x-csrf-token': session ? session.csrf : '' },
  });
  const body = await parse(response);
  token = { value: body.access_token, expiresAt: Date.now() + body.expires_in * 1000 };
  return token.value;
}

/** GET on the query API. */
export async function read(path, params = {}) {
  const query = new URLSearchParams(Object.entries(params).filter(([, v]) => v !== undefined && v !== null && v !== ''));
  const url = query.toString() ? `${path}?${query}` : path;
  const response = await fetch(url, { headers: { authorization: `Bearer ${await accessToken()}` } });
  return parse(response);
}

/** A call to the pages' own API with the session's CSRF header. */
export async function app(method, path, body) {
  const headers = { 'x-csrf-token': session ? session.csrf : '' };
  if (body !== undefined) headers['content-type'] = 'application/json';
  const response = await fetch('/app/api' + path, {
    method,
    credentials: 'same-origin',
    headers,
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return parse(response);
}

/** A write through the dashboard's proxy to the command API. */
export function write(method, path, body) {
  return app(method, '/command' + path, body);
}

/** A button that runs `run`, says a refusal, then `then` (a reload). */
export function action(label, run, then, { danger = false } = {}) {
  const onclick = async () => {
    await run().catch((e) => alert(e.message));
    await then();
  };
  return h('button', { type: 'button', class: danger ? 'danger' : null, onclick }, label);
}

/**
 * The live feed for `channels`: calls `onChange(message)` for each change,
 * re-authenticates before the token ends and reconnects after a drop.
 * Returns a function that stops it.
 */
export function live(channels, onChange) {
  let socket = null;
  let stopped = false;
  let renew = null;
  let retry = 500;
  async function connect() {
    if (stopped) return;
    let value;
    try {
      value = await accessToken();
    } catch {
      return setTimeout(connect, (retry = Math.min(retry * 2, 10_000)));
    }
    const scheme = location.protocol === 'https:' ? 'wss' : 'ws';
    socket = new WebSocket(`${scheme}://${location.host}/v1/live?access_token=${encodeURIComponent(value)}`);
    socket.onopen = () => {
      retry = 500;
      socket.send(JSON.stringify({ subscribe: channels }));
      renew = setInterval(async () => {
        try {
          socket.send(JSON.stringify({ access_token: await accessToken() }));
        } catch {
          /* the next round tries again */
        }
      }, 120_000);
    };
    socket.onmessage = (event) => {
      const message = JSON.parse(event.data);
      // `subscribed` too: what changed before the socket was there (a page
      // read before it connected, or while it was away) is read afresh.
      if (message.type !== 'authenticated' && message.type !== 'error') onChange(message);
    };
    socket.onclose = () => {
      clearInterval(renew);
      if (!stopped) setTimeout(connect, (retry = Math.min(retry * 2, 10_000)));
    };
  }
  connect();
  return () => {
    stopped = true;
    clearInterval(renew);
    if (socket) socket.close();
  };
}

/**
 * A form whose refusals show next to the field the API names.
 * `fields`: [{name, label, type, value, options, required}], `submit(values)`;
 * `idPrefix` keeps ids apart when a page has several forms.
 */
export function form({ fields, submitLabel, submit, onDone, idPrefix = 'f-' }) {
  const errors = {};
  const general = h('p', { class: 'error', role: 'alert', 'data-field': '' });
  const inputs = {};
  const rows = fields.map((f) => {
    let input;
    if (f.options) {
      input = h('select', { name: f.name, id: idPrefix + f.name }, f.options.map((o) => h('option', { value: o, selected: o === f.value }, o)));
    } else if (f.type === 'checkbox') {
      input = h('input', { type: 'checkbox', name: f.name, id: idPrefix + f.name, checked: !!f.value });
    } else {
      input = h('input', {
        name: f.name,
        id: idPrefix + f.name,
        type: f.type || 'text',
        value: f.value ?? '',
        required: !!f.required,
        placeholder: f.placeholder,
        autocomplete: f.autocomplete,
      });
    }
    inputs[f.name] = input;
    errors[f.name] = h('span', { class: 'error', 'data-field': f.name });
    return h('label', { for: idPrefix + f.name }, h('span', {}, f.label), input, errors[f.name]);
  });
  const button = h('button', { type: 'submit' }, submitLabel);
  const node = h('form', { class: 'form' }, rows, button, general);
  node.addEventListener('submit', async (event) => {
    event.preventDefault();
    for (const e of Object.values(errors)) e.textContent = '';
    general.textContent = '';
    const values = {};
    for (const f of fields) {
      const input = inputs[f.name];
      if (f.type === 'checkbox') values[f.name] = input.checked;
      else if (f.type === 'number') values[f.name] = input.value === '' ? undefined : Number(input.value);
      else values[f.name] = input.value === '' ? undefined : input.value;
    }
    button.disabled = true;
    try {
      const result = await submit(values);
      if (onDone) onDone(result, values);
    } catch (error) {
      // `targets[0]`, `options.2`: shown by the form's field of that name.
      const at = error.field && errors[error.field.split(/[.[]/)[0]];
      (at || general).textContent = error.message + (error.code ? ` (${error.code})` : '');
    } finally {
      button.disabled = false;
    }
  });
  return node;
}

/** A table from rows and [header, cell(row)] columns. */
export function table(columns, rows, empty = 'Nothing yet.') {
  if (!rows.length) return h('p', { class: 'empty' }, empty);
  return h(
    'div',
    { class: 'scroll' },
    h(
      'table',
      {},
      h('thead', {}, h('tr', {}, columns.map(([header]) => h('th', {}, header)))),
      h('tbody', {}, rows.map((row) => h('tr', {}, columns.map(([, cell]) => h('td', {}, cell(row)))))),
    ),
  );
}

/** A bar chart as SVG from [{label, value}]. */
export function bars(points, { height = 160, title = '' } = {}) {
  const ns = 'http://www.w3.org/2000/svg';
  const width = Math.max(points.length * 8, 240);
  const max = Math.max(1, ...points.map((p) => p.value));
  const svg = document.createElementNS(ns, 'svg');
  svg.setAttribute('viewBox', `0 0 ${width} ${height}`);
  svg.setAttribute('class', 'chart');
  svg.setAttribute('role', 'img');
  svg.setAttribute('aria-label', title);
  points.forEach((p, i) => {
    const bar = document.createElementNS(ns, 'rect');
    const barHeight = (p.value / max) * (height - 16);
    bar.setAttribute('x', String(i * (width / points.length)));
    bar.setAttribute('y', String(height - barHeight));
    bar.setAttribute('width', String(Math.max(1, width / points.length - 1)));
    bar.setAttribute('height', String(barHeight));
    const tip = document.createElementNS(ns, 'title');
    tip.textContent = `${p.label}: ${p.value}`;
    bar.append(tip);
    svg.append(bar);
  });
  const label = document.createElementNS(ns, 'text');
  label.setAttribute('x', '4');
  label.setAttribute('y', '12');
  label.textContent = `max ${max}`;
  svg.append(label);
  return svg;
}
