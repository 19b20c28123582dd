// The dashboard's pages. Each renders into `main` and may return a
// function that stops what it started (a live feed, a timer).
import { h, clear, form, table, bars, when, read, write, app, live, action } from './lib.js';

const path = (ctx, rest = '') => `/v1/channels/${encodeURIComponent(ctx.platform)}/${encodeURIComponent(ctx.channel)}${rest}`;
const needChannel = (main, ctx) => {
  if (ctx.channel) return false;
  clear(main, h('p', { class: 'empty' }, 'Choose a channel above.'));
  return true;
};
const who = (row) => row.author || `${row.platform ? row.platform + ':' : ''}${row.user_id}`;

/** Re-runs `load` at most every `ms` while changes keep coming. */
function throttled(load, ms = 300) {
  let timer = null;
  return () => {
    if (timer) return;
    timer = setTimeout(async () => {
      timer = null;
      await load().catch(() => {});
    }, ms);
  };
}

async function overview(main, ctx) {
  if (needChannel(main, ctx)) return;
  const chart = h('section', { id: 'messages-chart' });
  const top = h('section', { id: 'top-chatters' });
  const commands = h('section', { id: 'recent-commands' });
  const moderation = h('section', { id: 'recent-moderation' });
  clear(
    main,
    h('h1', {}, `Overview · ${ctx.platform}/${ctx.channel}`),
    h('div', { class: 'grid' }, h('div', {}, h('h2', {}, 'Messages per minute, last hour'), chart), h('div', {}, h('h2', {}, 'Top chatters'), top)),
    h('div', { class: 'grid' }, h('div', {}, h('h2', {}, 'Commands'), commands), h('div', {}, h('h2', {}, 'Moderation'), moderation)),
  );
  async function load() {
    const [series, board, recent, log] = await Promise.all([
      read(`/v1/channels/${encodeURIComponent(ctx.channel)}/analytics`, { bucket: 'minute' }),
      read(`/v1/channels/${encodeURIComponent(ctx.channel)}/leaderboard`, { limit: 10 }),
      read(path(ctx, '/commands/recent'), { limit: 10 }),
      read(path(ctx, '/moderation'), { limit: 10 }),
    ]);
    const total = series.points.reduce((sum, p) => sum + p.messages, 0);
    clear(chart, bars(series.points.map((p) => ({ label: when(p.bucket_start), value: p.messages })), { title: 'messages per minute' }), h('p', { class: 'total', 'data-testid': 'messages-total' }, `${total} messages in the last hour`));
    clear(top, table([['#', (r) => r.rank], ['Viewer', who], ['Messages', (r) => r.messages], ['Points', (r) => r.points]], board.entries));
    clear(commands, table([
      ['When', (u) => when(u.at)],
      ['Viewer', (u) => u.author],
      ['Command', (u) => u.command],
      ['Reply', (u) => (u.outcome === 'answered' ? u.reply : `refused: ${u.reason}${u.reply ? ` — ${u.reply}` : ''}`)],
    ], recent.uses));
    clear(moderation, table([['When', (e) => when(e.at)], ['Viewer', (e) => e.author || e.user_id], ['Action', (e) => e.action], ['Why', (e) => e.cause || e.reason]], log.entries));
  }
  await load();
  const reload = throttled(load);
  const stop = live([ctx.channel], reload);
  // Moderation and analytics have no live message of their own: a chat
  // message moves the leaderboard, which brings the page up to date.
  return stop;
}

async function leaderboard(main, ctx) {
  const state = { window: 'all' };
  const perChannel = h('section', { id: 'channel-leaderboard' });
  const people = h('section', { id: 'people-leaderboard' });
  const windows = h('div', { class: 'tabs' }, ['all', '7d'].map((w) => h('button', { type: 'button', 'data-window': w, onclick: () => { state.window = w; load(); } }, w === 'all' ? 'All time' : 'Last 7 days')));
  clear(main, h('h1', {}, 'Leaderboards'), windows, h('div', { class: 'grid' }, h('div', {}, h('h2', {}, `Channel ${ctx.channel || '—'}`), perChannel), h('div', {}, h('h2', {}, 'Across platforms (linked accounts as one)'), people)));
  async function load() {
    for (const b of windows.children) b.setAttribute('aria-pressed', String(b.dataset.window === state.window));
    const everyone = await read('/v1/leaderboard', { window: state.window, limit: 25 });
    clear(people, table([['#', (r) => r.rank], ['Person', (r) => r.author || r.person], ['Accounts', (r) => (r.accounts || []).join(', ')], ['Messages', (r) => r.messages], ['Points', (r) => r.points]], everyone.entries));
    if (ctx.channel) {
      const board = await read(`/v1/channels/${encodeURIComponent(ctx.channel)}/leaderboard`, { window: state.window, limit: 25 });
      clear(perChannel, table([['#', (r) => r.rank], ['Viewer', who], ['Messages', (r) => r.messages], ['Points', (r) => r.points]], board.entries));
    }
  }
  await load();
  return ctx.channel ? live([ctx.channel], throttled(load)) : null;
}

async function analytics(main, ctx) {
  if (needChannel(main, ctx)) return;
  const out = h('section', { id: 'analytics' });
  const download = h('a', { class: 'button', download: `${ctx.channel}-analytics.csv`, href: '#' }, 'Download CSV');
  let points = [];
  const picker = form({
    fields: [
      { name: 'bucket', label: 'Per', options: ['minute', 'hour', 'day'], value: 'hour' },
      { name: 'from', label: 'From', type: 'datetime-local' },
      { name: 'to', label: 'To', type: 'datetime-local' },
    ],
    submitLabel: 'Show',
    submit: async (v) => {
      const iso = (x) => (x ? new Date(x).toISOString() : undefined);
      const series = await read(`/v1/channels/${encodeURIComponent(ctx.channel)}/analytics`, { bucket: v.bucket, from: iso(v.from), to: iso(v.to) });
      points = series.points;
      const columns = points.length ? Object.keys(points[0]) : ['bucket_start'];
      const csv = [columns.join(','), ...points.map((p) => columns.map((c) => JSON.stringify(p[c] ?? '')).join(','))].join('\n');
      download.href = URL.createObjectURL(new Blob([csv], { type: 'text/csv' }));
      clear(out, bars(points.map((p) => ({ label: when(p.bucket_start), value: p.messages })), { title: 'messages' }), table([['From', (p) => when(p.bucket_start)], ['Messages', (p) => p.messages], ['Chatters', (p) => p.unique_chatters], ['Commands', (p) => p.commands], ['Clips', (p) => p.clips_requested], ['Moderation', (p) => p.moderation_actions], ['Follows', (p) => p.follows], ['Subs', (p) => p.subs], ['Bits', (p) => p.bits], ['Raids', (p) => p.raids]], points));
    },
  });
  clear(main, h('h1', {}, 'Analytics'), picker, download, out);
  picker.requestSubmit();
  // Up to now (no end chosen): new chat brings the chart up to date.
  return live([ctx.channel], throttled(async () => {
    if (!picker.querySelector('[name=to]').value) picker.requestSubmit();
  }, 2000));
}

async function clips(main, ctx) {
  const list = h('section', { id: 'clips' });
  const player = h('section', { id: 'player' });
  const request = form({
    fields: [
      { name: 'source', label: 'Recording', placeholder: 'path in your media, or URL', required: true },
      { name: 'start_seconds', label: 'Start (s)', type: 'number', value: 0 },
      { name: 'duration_seconds', label: 'Length (s)', type: 'number', value: 30 },
      { name: 'title', label: 'Title' },
    ],
    submitLabel: 'Request clip',
    submit: (v) => write('POST', '/v1/clips', { ...v, channel: ctx.channel }),
    onDone: () => load(),
  });
  const canWrite = ctx.session.role !== 'viewer';
  clear(main, h('h1', {}, 'Clips'), canWrite ? request : null, player, list);
  // A clip that failed for good is requested again, as a new clip of the
  // same moment (the failed one stays in the log as it was).
  function again(c) {
    return write('POST', '/v1/clips', {
      channel: c.channel,
      source: c.source,
      start_seconds: c.start_ms / 1000,
      duration_seconds: c.duration_ms / 1000,
      container: c.container,
      reencode: c.reencode,
      title: c.title,
    });
  }
  function play(clip) {
    clear(player, h('h2', {}, clip.title || clip.clip_id), h('video', { src: clip.media_uri, controls: true, playsinline: true, poster: clip.thumbnail_uri, 'data-clip': clip.clip_id }));
  }
  async function load() {
    const page = await read('/v1/clips', { channel: ctx.channel || undefined, limit: 50 });
    clear(list, table([
      ['', (c) => (c.thumbnail_uri ? h('img', { src: c.thumbnail_uri, alt: '', class: 'thumb' }) : '')],
      ['Title', (c) => c.title],
      ['Status', (c) => h('span', { class: 'status ' + c.status }, c.status)],
      ['Attempts', (c) => c.attempts],
      ['Error', (c) => c.error || ''],
      ['', (c) => [
        c.status === 'rendered' ? h('button', { type: 'button', onclick: () => play(c) }, 'Play') : null,
        canWrite && c.status === 'failed' && !c.retryable ? action('Retry', () => again(c), load) : null,
      ]],
    ], page.clips));
  }
  await load();
  return ctx.channel ? live([ctx.channel], throttled(load)) : null;
}

async function publications(main, ctx) {
  const list = h('section', { id: 'publications' });
  const canWrite = ctx.session.role !== 'viewer';
  const schedule = form({
    fields: [
      { name: 'clip_id', label: 'Clip id', required: true },
      { name: 'targets', label: 'Targets (comma-separated)', value: 'webhook' },
      { name: 'title', label: 'Title', required: true },
      { name: 'caption', label: 'Caption' },
      { name: 'scheduled_at', label: 'When', type: 'datetime-local' },
    ],
    submitLabel: 'Schedule',
    submit: (v) => write('POST', '/v1/publications', {
      asset: { clip_id: v.clip_id },
      targets: (v.targets || '').split(',').map((t) => t.trim()).filter(Boolean),
      title: v.title,
      caption: v.caption || '',
      scheduled_at: v.scheduled_at ? new Date(v.scheduled_at).toISOString() : undefined,
    }),
    onDone: () => load(),
  });
  clear(main, h('h1', {}, 'Publications'), canWrite ? schedule : null, list);
  const reschedule = (p) => {
    const at = h('input', { type: 'datetime-local', 'aria-label': `new time for ${p.title}` });
    const to = async () => {
      if (at.value) await write('POST', `/v1/publications/${p.publication_id}/reschedule`, { scheduled_at: new Date(at.value).toISOString() });
    };
    return h('span', { class: 'inline' }, at, action('Reschedule', to, load));
  };
  const done = (p) => p.cancelled || (p.targets || []).every((t) => ['published', 'gave_up', 'cancelled'].includes(t.status));
  async function load() {
    const page = await read('/v1/publications', { limit: 50 });
    clear(list, table([
      ['Title', (p) => p.title],
      ['Scheduled', (p) => (p.cancelled ? 'cancelled' : p.waiting_for_asset ? 'waiting for the clip' : when(p.scheduled_at))],
      ['Targets', (p) => (p.targets || []).map((t) => h('div', { class: 'target', 'data-status': t.status },
        `${t.platform}: ${t.status} (${t.attempts} attempts)`,
        t.last_error ? ` — ${t.last_error}` : '',
        t.next_retry_at ? ` · next try ${when(t.next_retry_at)}` : '',
        t.post_url ? [' ', h('a', { href: t.post_url, rel: 'noreferrer', target: '_blank' }, 'post')] : ''))],
      ['', (p) => (canWrite && !done(p) ? [reschedule(p), action('Cancel', () => write('POST', `/v1/publications/${p.publication_id}/cancel`), load, { danger: true })] : '')],
    ], page.publications));
  }
  await load();
  return ctx.channel ? live([ctx.channel], throttled(load)) : null;
}

/** A number field of a settings form. */
const number = (name, label, value) => ({ name, label, type: 'number', value });

async function commands(main, ctx) {
  if (needChannel(main, ctx)) return;
  const list = h('section', { id: 'commands' });
  const canWrite = ctx.session.role !== 'viewer';
  const add = form({
    fields: [
      { name: 'name', label: 'Command', placeholder: '!hug', required: true },
      { name: 'response', label: 'Response', placeholder: '$(user) hugs $(touser)' },
      { name: 'min_level', label: 'Who may use it', options: ['everyone', 'subscriber', 'vip', 'regular', 'moderator', 'broadcaster'], value: 'everyone' },
      { name: 'cooldown_seconds', label: 'Cooldown (s)', type: 'number', value: 5 },
      { name: 'cost', label: 'Cost (points)', type: 'number', value: 0 },
    ],
    submitLabel: 'Add command',
    submit: (v) => write('POST', path(ctx, '/commands'), v),
    onDone: () => load(),
  });
  add.id = 'add-command';
  const policy = h('section', { id: 'points-policy' });
  const support = h('section', { id: 'support-policy' });
  const alerts = h('section', { id: 'alerts' });
  clear(main, h('h1', {}, `Commands · ${ctx.channel}`), canWrite ? add : null, list, h('h2', {}, 'Points policy'), policy,
    h('h2', {}, 'Points for follows, subs, bits and raids'), support, h('h2', {}, 'Alerts'), alerts);
  async function load() {
    const page = await read(path(ctx, '/commands'));
    clear(list, table([
      ['Command', (c) => c.name],
      ['Response', (c) => c.response || (c.alias_of ? `→ ${c.alias_of}` : '')],
      ['Level', (c) => c.min_level],
      ['Cooldown', (c) => `${c.cooldown_seconds ?? 0} s`],
      ['Cost', (c) => c.cost ?? 0],
      ['', (c) => (canWrite ? [
        h('button', { type: 'button', onclick: () => edit(c) }, 'Edit'),
        action('Delete', () => write('DELETE', path(ctx, `/commands/${encodeURIComponent(c.name.replace(/^!/, ''))}`)), load, { danger: true }),
      ] : '')],
    ], page.commands || []));
    const p = page.points_policy || {};
    clear(policy, canWrite ? form({
      fields: [
        number('points_per_message', 'Points per message', p.points_per_message ?? 0),
        number('cooldown_seconds', 'Cooldown (s)', p.cooldown_seconds ?? 0),
        number('daily_bonus', 'Daily bonus', p.daily_bonus ?? 0),
        number('subscriber_percent', 'Subscriber %', p.subscriber_percent ?? 100),
      ],
      submitLabel: 'Save policy',
      submit: (v) => write('PUT', path(ctx, '/points-policy'), v),
      onDone: () => load(),
    }) : h('pre', {}, JSON.stringify(p, null, 2)));
    const s = page.support_policy || {};
    clear(support, canWrite ? form({
      fields: [
        number('per_follow', 'Per follow', s.per_follow ?? 0),
        number('per_sub_tier1', 'Per tier 1 sub', s.per_sub_tier1 ?? 0),
        number('per_sub_tier2', 'Per tier 2 sub', s.per_sub_tier2 ?? 0),
        number('per_sub_tier3', 'Per tier 3 sub', s.per_sub_tier3 ?? 0),
        number('per_100_bits', 'Per 100 bits', s.per_100_bits ?? 0),
        number('per_raid_viewer', 'Per raid viewer', s.per_raid_viewer ?? 0),
      ],
      submitLabel: 'Save payouts',
      idPrefix: 's-',
      submit: (v) => write('PUT', path(ctx, '/support-policy'), v),
      onDone: () => load(),
    }) : h('pre', {}, JSON.stringify(s, null, 2)));
    clear(alerts, table([
      ['Kind', (a) => a.kind],
      ['Shows', (a) => a.template],
      ['On', (a) => (a.enabled ? 'yes' : 'no')],
      ['', (a) => (canWrite ? h('button', { type: 'button', 'data-alert': a.kind, onclick: () => editAlert(a) }, 'Edit') : '')],
    ], page.alerts || []));
  }
  function editAlert(a) {
    const dialog = h('section', { class: 'edit' }, h('h2', {}, `The ${a.kind} alert`), form({
      fields: [
        { name: 'template', label: 'Template ($(user), $(amount), $(tier), $(message), $(reward), $(points))', value: a.template },
        { name: 'enabled', label: 'On', type: 'checkbox', value: a.enabled },
      ],
      submitLabel: 'Save alert',
      idPrefix: 'a-',
      submit: (v) => write('PUT', path(ctx, `/alerts/${a.kind}`), { template: v.template ?? '', enabled: v.enabled }),
      onDone: () => { dialog.remove(); load(); },
    }));
    alerts.before(dialog);
  }
  function edit(c) {
    const dialog = h('section', { class: 'edit' }, h('h2', {}, `Edit ${c.name}`), form({
      fields: [
        { name: 'response', label: 'Response', value: c.response || '' },
        { name: 'min_level', label: 'Who may use it', options: ['everyone', 'subscriber', 'vip', 'regular', 'moderator', 'broadcaster'], value: c.min_level },
        { name: 'cooldown_seconds', label: 'Cooldown (s)', type: 'number', value: c.cooldown_seconds ?? 0 },
        { name: 'cost', label: 'Cost', type: 'number', value: c.cost ?? 0 },
      ],
      submitLabel: 'Save',
      idPrefix: 'e-',
      submit: (v) => write('PATCH', path(ctx, `/commands/${encodeURIComponent(c.name.replace(/^!/, ''))}`), v),
      onDone: () => { dialog.remove(); load(); },
    }));
    list.before(dialog);
  }
  await load();
}

async function moderation(main, ctx) {
  if (needChannel(main, ctx)) return;
  const log = h('section', { id: 'moderation-log' });
  const canWrite = ctx.session.role !== 'viewer';
  const act = form({
    fields: [
      { name: 'user_id', label: 'Viewer (platform user id)', required: true },
      { name: 'action', label: 'Action', options: ['timeout', 'ban', 'unban', 'pardon', 'permit'], value: 'timeout' },
      { name: 'seconds', label: 'Seconds', type: 'number', value: 600 },
      { name: 'reason', label: 'Reason' },
    ],
    submitLabel: 'Apply',
    submit: (v) => write('POST', path(ctx, `/viewers/${encodeURIComponent(v.user_id || '')}/moderation`), {
      action: v.action,
      seconds: ['timeout', 'permit'].includes(v.action) ? v.seconds : undefined,
      reason: v.reason || '',
    }),
    onDone: () => setTimeout(() => loadLog().catch(() => {}), 500),
  });
  act.id = 'moderate';
  const settings = h('section', { id: 'filters' });
  clear(main, h('h1', {}, `Moderation · ${ctx.channel}`), canWrite ? act : null, h('h2', {}, 'Log'), log, h('h2', {}, 'Filters'), settings);
  // The log follows the feed; the filters' forms are drawn once and after
  // a save, never under someone's typing.
  async function loadLog() {
    const page = await read(path(ctx, '/moderation'), { limit: 100 });
    clear(log, table([
      ['When', (e) => when(e.at)],
      ['Viewer', (e) => e.author || e.user_id],
      ['Action', (e) => `${e.action}${e.seconds ? ` ${e.seconds} s` : ''}`],
      ['Cause', (e) => e.cause || ''],
      ['Evidence', (e) => e.evidence || ''],
      ['Reason', (e) => e.reason || ''],
      ['By', (e) => e.decided_by],
    ], page.entries));
  }
  async function load() {
    await loadLog();
    const commandsPage = await read(path(ctx, '/commands'));
    const ladder = (commandsPage.escalation?.ladder || []).map((p) => (p.seconds ? `${p.action} ${p.seconds} s` : p.action)).join(' → ');
    clear(settings,
      h('p', { id: 'escalation' }, `Strikes: ${ladder || '—'}; a strike counts for ${commandsPage.escalation?.strike_expiry_seconds ?? '—'} s.`),
      (commandsPage.filters || []).map((filter) => filterForm(filter)));
  }
  // One form per filter, with the fields its rule has; a list is typed
  // comma-separated.
  function filterForm(filter) {
    const { filter: name, ...rule } = filter.rule;
    const fields = [
      { name: 'enabled', label: 'On', type: 'checkbox', value: filter.enabled },
      { name: 'exempt', label: 'Exempt (subscriber, vip, regular)', value: (filter.exempt || []).join(', ') },
      ...Object.entries(rule).map(([key, value]) => (Array.isArray(value)
        ? { name: key, label: key.replaceAll('_', ' '), value: value.join(', ') }
        : { name: key, label: key.replaceAll('_', ' '), type: 'number', value })),
    ];
    const node = form({
      fields,
      idPrefix: `f-${name}-`,
      submitLabel: `Save ${name.replaceAll('_', ' ')}`,
      submit: (v) => {
        const body = { enabled: v.enabled, exempt: (v.exempt || '').split(',').map((x) => x.trim()).filter(Boolean) };
        for (const [key, value] of Object.entries(rule)) {
          body[key] = Array.isArray(value) ? (v[key] || '').split(',').map((x) => x.trim()).filter(Boolean) : v[key];
        }
        return write('PUT', path(ctx, `/filters/${name}`), body);
      },
      onDone: () => load(),
    });
    node.id = `filter-${name}`;
    node.classList.add('filter');
    return canWrite ? h('fieldset', {}, h('legend', {}, name.replaceAll('_', ' ')), node) : h('p', {}, `${name}: ${filter.enabled ? 'on' : 'off'} ${JSON.stringify(rule)}`);
  }
  await load();
  // Filters' and moderators' actions take chat back on the live feed
  // (`chat_removed`); an unban or a pardon does not, so a slow poll too.
  const reload = throttled(loadLog);
  const stop = live([ctx.channel], (message) => message.type === 'chat_removed' && reload());
  const timer = setInterval(() => loadLog().catch(() => {}), 15_000);
  return () => {
    stop();
    clearInterval(timer);
  };
}

async function community(main, ctx) {
  const giveaways = h('section', { id: 'giveaways' });
  const polls = h('section', { id: 'polls' });
  const canWrite = ctx.session.role !== 'viewer';
  const channels = ctx.channel ? [`${ctx.platform}/${ctx.channel}`] : [];
  const openGiveaway = form({
    fields: [
      { name: 'title', label: 'Giveaway', required: true },
      { name: 'keyword', label: 'Keyword', value: '!join' },
      { name: 'cost', label: 'Cost', type: 'number', value: 0 },
    ],
    submitLabel: 'Open giveaway',
    submit: (v) => write('POST', '/v1/giveaways', { ...v, channels }),
    onDone: () => load(),
  });
  const openPoll = form({
    fields: [
      { name: 'question', label: 'Question', required: true },
      { name: 'options', label: 'Options (separated by |)', required: true },
      { name: 'duration_seconds', label: 'Seconds', type: 'number', value: 120 },
      { name: 'allow_change', label: 'Votes may change', type: 'checkbox' },
    ],
    submitLabel: 'Open poll',
    submit: (v) => write('POST', '/v1/polls', { ...v, options: (v.options || '').split('|').map((o) => o.trim()).filter(Boolean), channels }),
    onDone: () => load(),
  });
  clear(main, h('h1', {}, 'Giveaways and polls'), h('div', { class: 'grid' }, h('div', {}, canWrite ? openGiveaway : null, giveaways), h('div', {}, canWrite ? openPoll : null, polls)));
  async function load() {
    const [g, p] = await Promise.all([read('/v1/giveaways', { limit: 20 }), read('/v1/polls', { limit: 20 })]);
    clear(giveaways, table([
      ['Giveaway', (x) => x.title],
      ['Phase', (x) => x.phase],
      ['Entries', (x) => x.entries],
      ['Winners', (x) => (x.winners || []).map((w) => w.author || w.account || w).join(', ')],
      ['Draw', (x) => h('details', {}, h('summary', {}, 'verify'), h('code', {}, `commitment ${x.commitment || ''}`), h('br'), h('code', {}, `seed ${x.seed || '(revealed at the draw)'}`))],
      ['', (x) => (canWrite ? [
        x.phase === 'open' ? action('Close', () => write('POST', `/v1/giveaways/${x.giveaway_id}/close`), load) : null,
        x.phase !== 'cancelled' ? action('Draw', () => write('POST', `/v1/giveaways/${x.giveaway_id}/draw`, { count: 1 }), load) : null,
      ] : '')],
    ], g.giveaways || []));
    clear(polls, table([
      ['Poll', (x) => x.question],
      ['Phase', (x) => x.phase],
      ['Votes', (x) => (x.options || []).map((o, i) => h('div', {}, `${i + 1}. ${o.text ?? o}: ${(x.counts || [])[i] ?? o.votes ?? 0}`))],
      ['', (x) => (canWrite && x.phase === 'open' ? action('Close', () => write('POST', `/v1/polls/${x.poll_id}/close`), load) : '')],
    ], p.polls || []));
  }
  await load();
  return ctx.channel ? live([ctx.channel], throttled(load)) : null;
}

async function events(main) {
  // In log order; the cursor is the position of the last event shown, so
  // following it (More, or Follow) shows each event once, new ones too.
  const columns = [
    ['Position', (e) => e.position],
    ['When', (e) => when(e.occurred_at)],
    ['Stream', (e) => `${e.aggregate_type} ${e.aggregate_id} #${e.sequence}`],
    ['Type', (e) => e.type],
    ['Actor', (e) => e.actor],
    ['Payload', (e) => h('code', {}, JSON.stringify(e.payload))],
  ];
  const body = h('tbody');
  const out = h('section', { id: 'events' }, h('div', { class: 'scroll' }, h('table', {}, h('thead', {}, h('tr', {}, columns.map(([name]) => h('th', {}, name)))), body)));
  let last = null;
  let filters = {};
  let timer = null;
  const more = h('button', { type: 'button', onclick: () => load() }, 'More');
  const follow = h('input', { type: 'checkbox', id: 'follow', onchange: (e) => {
    clearInterval(timer);
    timer = e.target.checked ? setInterval(() => load().catch(() => {}), 2000) : null;
  } });
  const filter = form({
    fields: [
      { name: 'actor', label: 'Actor' },
      { name: 'type', label: 'Type' },
      { name: 'from', label: 'From', type: 'datetime-local' },
      { name: 'to', label: 'To', type: 'datetime-local' },
    ],
    submitLabel: 'Filter',
    submit: async (v) => {
      const iso = (x) => (x ? new Date(x).toISOString() : undefined);
      filters = { actor: v.actor, type: v.type, from: iso(v.from), to: iso(v.to) };
      last = null;
      clear(body);
      await load();
    },
  });
  clear(main, h('h1', {}, 'Event log'), filter, h('label', { for: 'follow' }, follow, ' Follow new events'), out, more);
  async function load() {
    const page = await read('/v1/events', { ...filters, limit: 50, cursor: last ?? undefined });
    for (const e of page.events) body.append(h('tr', {}, columns.map(([, cell]) => h('td', {}, cell(e)))));
    if (page.events.length) last = String(page.events[page.events.length - 1].position);
    more.hidden = !page.next_cursor;
  }
  await load();
  return () => clearInterval(timer);
}

async function team(main, ctx) {
  const members = h('section', { id: 'members' });
  const sessions = h('section', { id: 'sessions' });
  const invite = form({
    fields: [
      { name: 'username', label: 'Username', required: true },
      { name: 'role', label: 'Role', options: ['viewer', 'moderator', 'owner'], value: 'moderator' },
      { name: 'password', label: 'First password (12+ characters)', type: 'password', required: true, autocomplete: 'new-password' },
    ],
    submitLabel: 'Invite',
    submit: (v) => write('POST', '/v1/team/members', v),
    onDone: () => load(),
  });
  const isOwner = ctx.session.role === 'owner';
  clear(main, h('h1', {}, 'Team'), isOwner ? invite : null, members, isOwner ? [h('h2', {}, 'Sessions'), sessions] : null);
  async function load() {
    const body = await app('GET', '/team');
    clear(members, table([
      ['Username', (m) => m.username],
      ['Role', (m) => (isOwner && m.username !== ctx.session.username
        ? h('select', { 'aria-label': `role of ${m.username}`, onchange: async (e) => { await write('PATCH', `/v1/team/members/${m.username}`, { role: e.target.value }).catch((err) => alert(err.message)); load(); } }, ['viewer', 'moderator', 'owner'].map((r) => h('option', { value: r, selected: r === m.role }, r)))
        : m.role)],
      ['', (m) => (isOwner && m.username !== ctx.session.username ? action('Remove', () => write('DELETE', `/v1/team/members/${m.username}`), load, { danger: true }) : '')],
    ], body.members));
    if (isOwner) {
      const list = await app('GET', '/sessions');
      clear(sessions, table([
        ['Who', (s) => s.username],
        ['Since', (s) => when(s.created_at)],
        ['Last seen', (s) => when(s.last_seen_at)],
        ['Browser', (s) => s.user_agent],
        ['', (s) => action('Revoke', () => app('DELETE', `/sessions/${s.id}`), load, { danger: true })],
      ], list.sessions));
    }
  }
  await load();
}

async function overlays(main, ctx) {
  if (needChannel(main, ctx)) return;
  const keys = h('section', { id: 'overlay-keys' });
  const created = h('section', { id: 'overlay-created' });
  const canWrite = ctx.session.role !== 'viewer';
  const make = form({
    fields: [{ name: 'label', label: 'Name (e.g. "OBS main scene")', required: true }],
    submitLabel: 'Create overlay key',
    submit: (v) => write('POST', '/v1/overlay-keys', { platform: ctx.platform, channel: ctx.channel, label: v.label }),
    onDone: (body) => {
      const base = `${location.origin}/overlay`;
      const query = (kind) => `${base}/${kind}?org=${encodeURIComponent(ctx.session.org)}&channel=${encodeURIComponent(`${ctx.platform}/${ctx.channel}`)}&key=${encodeURIComponent(body.key)}`;
      clear(created, h('p', {}, 'Copy these into an OBS browser source now; the key is not shown again.'),
        ['leaderboard', 'chat', 'poll', 'giveaway', 'clip', 'alerts'].map((kind) => h('p', {}, h('strong', {}, kind), ' ', h('input', { readonly: true, value: query(kind), class: 'url', 'data-overlay': kind }))));
      load();
    },
  });
  clear(main, h('h1', {}, `Overlays · ${ctx.channel}`), canWrite ? make : null, created, keys);
  async function load() {
    const body = await app('GET', '/overlay-keys');
    const mine = body.keys.filter((k) => k.platform === ctx.platform && k.channel === ctx.channel);
    clear(keys, table([
      ['Name', (k) => k.label],
      ['Created', (k) => when(k.created_at)],
      ['By', (k) => k.created_by],
      ['', (k) => (canWrite ? action('Revoke', () => write('DELETE', `/v1/overlay-keys/${k.id}`), load, { danger: true }) : '')],
    ], mine, 'No overlay key for this channel.'));
  }
  await load();
}

// What the callback's redirect says, in words.
const CONNECT_ERRORS = {
  denied: 'Twitch said the authorization was declined.',
  state_refused: 'The connect flow expired or was started in another browser; start it again.',
  forbidden: 'Only an owner connects channels.',
  code_refused: 'Twitch refused the authorization code; start again.',
  twitch_refused: 'Twitch refused the connection.',
  twitch_unreachable: 'Twitch could not be reached; try again.',
  not_recorded: 'The connection could not be recorded; try again.',
  twitch_off: 'This deployment has no Twitch application configured.',
};

async function connections(main, ctx) {
  const list = h('section', { id: 'connections' });
  const notice = h('p', { id: 'connect-notice', role: 'status' });
  const params = new URLSearchParams(location.hash.split('?')[1] || '');
  if (params.get('connected')) notice.textContent = `Connected ${params.get('connected')}.`;
  if (params.get('error')) {
    notice.textContent = CONNECT_ERRORS[params.get('error')] || `Connecting failed (${params.get('error')}).`;
    notice.className = 'error';
  }
  const isOwner = ctx.session.role === 'owner';
  const canTest = isOwner || ctx.session.role === 'moderator';
  const connect = h('button', {
    type: 'button',
    id: 'connect-twitch',
    onclick: async () => {
      try {
        const started = await app('POST', '/connections/twitch/start');
        location.assign(started.authorize_url);
      } catch (e) {
        alert(e.message);
      }
    },
  }, 'Connect a Twitch channel');
  clear(main, h('h1', {}, 'Connections'), notice, isOwner ? connect : null, list);
  async function load() {
    const body = await app('GET', '/connections');
    if (!body.twitch.configured) connect.disabled = true;
    clear(list, table([
      ['Platform', (c) => c.platform],
      ['Channel', (c) => c.channel],
      ['State', (c) => h('span', { class: `state state-${c.state}` }, c.state.replace('_', ' '))],
      ['Bot', (c) => c.bot_login],
      ['Missing scopes', (c) => (c.missing_scopes.length ? c.missing_scopes.join(' ') : '—')],
      ['', (c) => h('span', {},
        canTest ? action('Send a test message', () => testMessage(c), load) : '',
        ' ',
        isOwner ? action('Disconnect', () => app('POST', `${path(c)}/disconnect`), load, { danger: true }) : '')],
    ], body.connections, 'No channel is connected yet.'));
  }
  function path(c) {
    return `/connections/${encodeURIComponent(c.platform)}/${encodeURIComponent(c.channel)}`;
  }
  // The bot says a line in the channel now; the notice says whether it did.
  async function testMessage(c) {
    try {
      await app('POST', `${path(c)}/test-message`);
      notice.textContent = `The bot said a test message in ${c.channel}.`;
      notice.className = '';
    } catch (e) {
      notice.textContent = `No test message in ${c.channel}: ${e.message}`;
      notice.className = 'error';
    }
  }
  await load();
  const timer = setInterval(() => load().catch(() => {}), 5000);
  return () => clearInterval(timer);
}

const SIGN_IN_ERRORS = {
  account_taken: 'That Twitch account already signs in as another member of this org.',
  denied: 'Twitch was not authorized.',
  state_refused: 'The sign-in link expired or was opened in another browser; try again.',
};

// The member's own account: the Twitch account they sign in with.
async function account(main) {
  const params = new URLSearchParams(location.hash.split('?')[1] || '');
  const notice = h('p', { id: 'account-notice' });
  if (params.get('linked')) notice.textContent = 'You can sign in with Twitch now.';
  if (params.get('error')) {
    notice.textContent = SIGN_IN_ERRORS[params.get('error')] || `Linking failed (${params.get('error')}).`;
    notice.className = 'error';
  }
  const status = h('section', { id: 'sign-in-accounts' });
  clear(main, h('h1', {}, 'Account'), notice, h('h2', {}, 'Sign in with Twitch'), status);
  async function load() {
    const linked = await app('GET', '/account/twitch');
    const link = h('button', {
      type: 'button',
      id: 'link-twitch',
      onclick: async () => {
        try {
          location.assign((await app('POST', '/account/twitch/link')).authorize_url);
        } catch (e) {
          alert(e.message);
        }
      },
    }, linked.twitch ? 'Link another Twitch account' : 'Link my Twitch account');
    link.disabled = !linked.twitch_configured;
    clear(status,
      h('p', { id: 'twitch-sign-in' }, linked.twitch ? `You sign in as ${linked.twitch.login} on Twitch.` : 'No Twitch account is linked.'),
      link, ' ',
      linked.twitch ? action('Unlink', () => app('DELETE', '/account/twitch'), load, { danger: true }) : '');
  }
  await load();
}

export const pages = [
  { id: 'overview', title: 'Overview', render: overview },
  { id: 'leaderboard', title: 'Leaderboards', render: leaderboard },
  { id: 'analytics', title: 'Analytics', render: analytics },
  { id: 'clips', title: 'Clips', render: clips },
  { id: 'publications', title: 'Publications', render: publications },
  { id: 'commands', title: 'Commands', render: commands },
  { id: 'moderation', title: 'Moderation', render: moderation },
  { id: 'community', title: 'Giveaways & polls', render: community },
  { id: 'overlays', title: 'Overlays', render: overlays },
  { id: 'team', title: 'Team', render: team },
  { id: 'connections', title: 'Connections', render: connections },
  { id: 'events', title: 'Event log', render: events, role: ['owner'] },
  { id: 'account', title: 'Account', render: account },
];
