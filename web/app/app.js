// The dashboard's shell: login, the channel picker, the navigation, and
// one page at a time from the `#/page` in the address.
import { h, clear, form, loadSession, login, logout, currentSession } from './lib.js';
import { pages } from './pages.js';

const root = document.getElementById('root');
let stopPage = null;

function channelOf() {
  const saved = localStorage.getItem('wavestack.channel') || '';
  const [platform, channel] = saved.includes('/') ? saved.split('/', 2) : ['twitch', saved];
  return { platform, channel };
}

function showLogin(message) {
  const params = new URLSearchParams(location.search);
  clear(
    root,
    h(
      'main',
      { class: 'login' },
      h('h1', {}, 'WaveStack'),
      message ? h('p', { class: 'error' }, message) : null,
      form({
        fields: [
          { name: 'org', label: 'Org', value: params.get('org') || localStorage.getItem('wavestack.org') || '', required: true },
          { name: 'username', label: 'Username', required: true, autocomplete: 'username' },
          { name: 'password', label: 'Password', type: 'password', required: true, autocomplete: 'current-password' },
        ],
        submitLabel: 'Log in',
        submit: (v) => login(v.org || '', v.username || '', v.password || ''),
        onDone: (_, v) => {
          localStorage.setItem('wavestack.org', v.org || '');
          route();
        },
      }),
      h('button', { type: 'button', id: 'sign-in-twitch', class: 'link', onclick: signInWithTwitch }, 'Sign in with Twitch'),
    ),
  );
}

// To Twitch and back: the member whose account it is gets a session.
async function signInWithTwitch() {
  const org = document.querySelector('[name=org]')?.value || '';
  const response = await fetch('/app/api/login/twitch', {
    method: 'POST',
    credentials: 'same-origin',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ org }),
  });
  const body = await response.json().catch(() => ({}));
  if (response.ok) {
    localStorage.setItem('wavestack.org', org);
    return location.assign(body.authorize_url);
  }
  showLogin((body.error && body.error.message) || `Signing in failed (${response.status}).`);
}

const SIGN_IN_REFUSED = {
  not_linked: 'That Twitch account signs in as no member of this org; log in with your password and link it on your Account page.',
  denied: 'Twitch was not authorized.',
  state_refused: 'The sign-in link expired or was opened in another browser; try again.',
};

function pageId() {
  return (location.hash.replace(/^#\//, '') || 'overview').split('?')[0];
}

function shell(session) {
  const { platform, channel } = channelOf();
  const current = pageId();
  const picker = form({
    fields: [
      { name: 'platform', label: 'Platform', options: ['twitch', 'discord', 'youtube', 'slack'], value: platform },
      { name: 'channel', label: 'Channel', value: channel, placeholder: 'channel id', required: true },
    ],
    submitLabel: 'Show',
    submit: async (v) => localStorage.setItem('wavestack.channel', `${v.platform}/${v.channel}`),
    onDone: () => route(),
  });
  picker.classList.add('picker');
  const links = pages
    .filter((p) => !p.role || p.role.includes(session.role))
    .map((p) => h('a', { href: '#/' + p.id, 'aria-current': current === p.id ? 'page' : null }, p.title));
  return h(
    'div',
    { class: 'shell' },
    h(
      'header',
      {},
      h('strong', {}, 'WaveStack'),
      h('span', { class: 'who', 'data-role': session.role }, `${session.username} · ${session.role} · ${session.org}`),
      h('button', { type: 'button', class: 'link', onclick: async () => { await logout(); route(); } }, 'Log out'),
    ),
    h('nav', {}, links),
    picker,
    h('main', { id: 'page' }),
  );
}

async function route() {
  if (stopPage) stopPage();
  stopPage = null;
  let session = currentSession();
  try {
    session = session || (await loadSession());
  } catch (error) {
    return showLogin(error.message);
  }
  if (!session) {
    const refused = new URLSearchParams(location.hash.split('?')[1] || '').get('error');
    return showLogin(refused ? SIGN_IN_REFUSED[refused] || `Signing in failed (${refused}).` : undefined);
  }
  const page = pages.find((p) => p.id === pageId()) || pages[0];
  clear(root, shell(session));
  const main = document.getElementById('page');
  const { platform, channel } = channelOf();
  document.title = `${page.title} · WaveStack`;
  try {
    stopPage = (await page.render(main, { session, platform, channel })) || null;
  } catch (error) {
    if (error.status === 401) return showLogin('Your session has ended; log in again.');
    clear(main, h('p', { class: 'error' }, error.message));
  }
}

window.addEventListener('hashchange', route);
route();
