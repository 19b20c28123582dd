// One OBS overlay, chosen by the path: /overlay/{leaderboard|chat|poll|giveaway|clip|alerts}.
// Parameters: org, channel (platform/channel), key (the overlay key),
// count, theme (dark|light), width, height, font (px); alerts also take
// seconds (how long each alert shows, 1 to 60, 6 by default).
// It reads with its overlay key only, and reconnects by itself after the
// stack restarts; a revoked key stops it and says so.

import { h } from '/app/lib.js';

const params = new URLSearchParams(location.search);
const kind = location.pathname.split('/').filter(Boolean)[1] || 'leaderboard';
const org = params.get('org') || '';
const channel = params.get('channel') || '';
const key = params.get('key') || '';
const count = Math.max(1, Math.min(50, Number(params.get('count')) || 10));
const root = document.getElementById('overlay');

root.classList.add(params.get('theme') === 'light' ? 'light' : 'dark', kind);
if (params.get('width')) root.style.width = `${Number(params.get('width')) || 400}px`;
if (params.get('height')) root.style.height = `${Number(params.get('height')) || 300}px`;
if (params.get('font')) root.style.fontSize = `${Number(params.get('font')) || 16}px`;

function show(...children) {
  root.replaceChildren(h('div', { class: 'card' }, ...children));
}

const seconds = Math.max(1, Math.min(60, Number(params.get('seconds')) || 6));

// The alerts overlay shows what comes after it opened, one alert at a
// time, in the order the channel's broadcast recorded them: a queue, so
// two alerts never overlap however fast they come.
let shownUpTo = null;
const queue = [];
let playing = false;

function enqueue(snapshot) {
  const alerts = snapshot.alerts || [];
  if (shownUpTo === null) {
    // First read: history is not replayed.
    shownUpTo = snapshot.latest || 0;
    root.dataset.state = subscribed ? 'live' : 'shown';
    return;
  }
  for (const alert of alerts) {
    if (alert.seq > shownUpTo) {
      queue.push(alert);
      shownUpTo = alert.seq;
    }
  }
  root.dataset.queued = String(queue.length);
  play();
}

function play() {
  if (playing || queue.length === 0) return;
  playing = true;
  const alert = queue.shift();
  root.dataset.queued = String(queue.length);
  root.replaceChildren(h('div', { class: `card alert ${alert.kind}`, 'data-seq': String(alert.seq), 'data-kind': alert.kind }, h('p', {}, alert.text)));
  setTimeout(() => {
    root.replaceChildren();
    // A breath between two alerts, so one never runs into the next.
    setTimeout(() => {
      playing = false;
      play();
    }, 300);
  }, seconds * 1000);
}

const query = () => {
  const q = new URLSearchParams({ org, channel, kind, count: String(count) });
  if (kind === 'alerts' && shownUpTo !== null) q.set('after', String(shownUpTo));
  return q;
};
let stopped = false;

function refused(code) {
  stopped = true;
  root.dataset.state = 'refused';
  show(h('p', { class: 'refused', 'data-code': code }, code === 'overlay_key_revoked' ? 'This overlay key was revoked.' : 'This overlay key is not valid here.'));
}

async function state() {
  const response = await fetch(`/overlay/api/state?${query()}`, { headers: { 'x-overlay-key': key } });
  const body = await response.json().catch(() => null);
  if (response.status === 401 || response.status === 403) {
    refused((body && body.error && body.error.code) || 'forbidden');
    return null;
  }
  if (!response.ok) throw new Error(`HTTP ${response.status}`);
  return body;
}

const chat = [];

let subscribed = false;

function render(snapshot) {
  // `live` once the feed is subscribed: nothing of the channel is missed after.
  root.dataset.state = subscribed ? 'live' : 'shown';
  switch (kind) {
    case 'leaderboard':
      return show(h('h1', {}, 'Leaderboard'), h('ol', {}, (snapshot.entries || []).slice(0, count).map((e) => h('li', { 'data-user': e.user_id }, `${e.author || e.user_id} — ${e.points}`))));
    case 'chat':
      return show(h('ul', { class: 'chat' }, chat.slice(-count).map((m) => h('li', { 'data-message': m.message_id }, h('span', { class: 'author' }, m.author || m.user_id), h('span', { class: 'text' }, m.text)))));
    case 'poll': {
      const poll = snapshot.poll;
      if (!poll) return show(h('p', {}, 'No poll yet.'));
      const counts = poll.counts || [];
      const total = Math.max(1, counts.reduce((a, b) => a + b, 0));
      // Widths through the CSSOM: the CSP refuses style attributes.
      const bar = (i) => {
        const node = h('div', { class: 'bar' });
        node.style.width = `${Math.round(((counts[i] || 0) / total) * 100)}%`;
        return node;
      };
      return show(h('h1', {}, poll.question), h('ol', {}, (poll.options || []).map((o, i) => h('li', {}, `${o} — ${counts[i] || 0}`, bar(i)))));
    }
    case 'giveaway': {
      const g = snapshot.giveaway;
      if (!g) return show(h('p', {}, 'No giveaway yet.'));
      const winners = (g.winners || []).map((w) => w.author || w.account || w);
      return show(h('h1', {}, g.title), winners.length ? h('p', { class: 'winner' }, winners.join(', ')) : h('p', {}, `${g.entries} entered · type ${g.keyword}`));
    }
    case 'clip': {
      const c = snapshot.clip;
      if (!c) return show(h('p', {}, 'No clip yet.'));
      return show(h('h1', {}, c.title || 'Latest clip'), h('video', { src: c.media_uri, autoplay: '', muted: '', loop: '', playsinline: '' }));
    }
    case 'alerts':
      return enqueue(snapshot);
    default:
      return show(h('p', {}, `Unknown overlay ${kind}.`));
  }
}

let snapshot = {};
let retry = 500;

async function connect() {
  if (stopped) return;
  try {
    const fresh = await state();
    if (!fresh) return;
    snapshot = fresh;
    if (fresh.messages) chat.splice(0, chat.length, ...fresh.messages);
    render(snapshot);
  } catch {
    return setTimeout(connect, (retry = Math.min(retry * 2, 10_000)));
  }
  const scheme = location.protocol === 'https:' ? 'wss' : 'ws';
  const socket = new WebSocket(`${scheme}://${location.host}/overlay/api/live?${query()}&key=${encodeURIComponent(key)}`);
  socket.onopen = () => (retry = 500);
  socket.onmessage = async (event) => {
    const message = JSON.parse(event.data);
    if (message.type === 'subscribed' || message.type === 'resync') {
      // Subscribed: the state read before the socket was there may miss
      // what changed meanwhile; read after it, nothing is missed.
      if (message.type === 'subscribed') subscribed = true;
      const fresh = await state().catch(() => null);
      if (fresh) {
        snapshot = fresh;
        if (fresh.messages) chat.splice(0, chat.length, ...fresh.messages);
      }
      render(snapshot);
    } else if (message.type === 'chat') {
      chat.push(message.changes);
      if (chat.length > 100) chat.shift();
      render(snapshot);
    } else if (message.type === 'chat_removed') {
      // Some messages (a filter deleted them), or all of a viewer's (timed out, banned).
      // Or the whole chat (cleared on the platform).
      const { message_ids: ids = [], platform, user_id: user, all } = message.changes || {};
      const gone = (m) => all || ids.includes(m.message_id) || (user && m.user_id === user && m.platform === platform);
      for (let i = chat.length - 1; i >= 0; i--) if (gone(chat[i])) chat.splice(i, 1);
      render(snapshot);
    } else if (message.type === 'revoked') {
      refused('overlay_key_revoked');
    } else {
      // Anything else of the channel: read the overlay's state afresh.
      const fresh = await state().catch(() => null);
      if (fresh) {
        snapshot = fresh;
        render(snapshot);
      }
    }
  };
  socket.onclose = (event) => {
    subscribed = false;
    if (event.code === 4003) return refused('overlay_key_revoked');
    if (!stopped) setTimeout(connect, (retry = Math.min(retry * 2, 10_000)));
  };
}

connect();
