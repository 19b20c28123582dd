// Twitch end to end in headless Chromium, on the fake Twitch that
// scripts/browser-tests starts beside the stack (`wavestack fake-twitch`):
// an owner connects a channel from the Connections page through Twitch's
// authorize page, the bot says a test message and answers chat there, and
// the channel's follows, subs, gifts, cheers and raids, sent by the fake as
// EventSub notifications, pay their givers and show on the alerts overlay.
import { test, before, after } from 'node:test';
import { strict as assert } from 'node:assert';
import { launch, openPage, login, screenshot, bot, read, eventually, noProblems, watchAlerts } from './support.mjs';

const fake = process.env.WAVESTACK_FAKE_TWITCH_CONTROL;
assert.ok(fake, 'run through scripts/browser-tests (it starts the fake Twitch)');
const BROADCASTER = '7001';
const LOGIN = 'browserstreamer';

/** A call to the fake Twitch's control API (what a test makes Twitch do). */
async function twitch(method, route, body) {
  const response = await fetch(fake + route, {
    method,
    headers: { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  assert.ok(response.ok, `${method} ${route}: ${response.status} ${await response.clone().text()}`);
  return response.json();
}

let browser;
before(async () => {
  browser = await launch();
});
after(async () => {
  await browser?.close();
});

test('an owner connects Twitch, the bot speaks there, and stream events pay and show on the alerts overlay', async () => {
  await twitch('POST', '/sign-in', { user_id: BROADCASTER, login: LOGIN });
  const dashboard = await openPage(browser);
  await login(dashboard, 'ada', { channel: `twitch/${LOGIN}` });
  await dashboard.click('nav a[href="#/connections"]');
  await dashboard.waitForSelector('#connect-twitch:not([disabled])');
  // Through Twitch's authorize page (the fake's: consent given at once)
  // and back to the dashboard.
  await dashboard.click('#connect-twitch');
  await dashboard.waitForFunction((login) => document.querySelector('#connect-notice')?.textContent.includes(login), LOGIN, { timeout: 20_000 });
  await dashboard.waitForFunction(
    () => document.querySelector('#connections .state')?.textContent === 'connected',
    null,
    { timeout: 30_000 },
  );
  await screenshot(dashboard, 'connections');

  // The gateway joined: chat and stream event subscriptions on the fake.
  await eventually(async () => {
    const subscriptions = await twitch('GET', '/subscriptions');
    const enabled = (kind) => subscriptions.some((s) => s.kind === kind && s.status === 'enabled');
    return ['channel.chat.message', 'channel.follow', 'channel.cheer', 'channel.raid'].every(enabled);
  }, 30_000, 'the channel subscribed');

  await dashboard.getByRole('button', { name: 'Send a test message' }).click();
  await dashboard.waitForFunction(() => document.querySelector('#connect-notice')?.textContent.startsWith('The bot said'), null, { timeout: 10_000 });
  const tested = await twitch('GET', '/sent');
  assert.ok(tested.some((s) => s.broadcaster_id === BROADCASTER && !s.reply_parent_message_id), JSON.stringify(tested));

  // A viewer's !points in Twitch chat is answered there, as a reply.
  const asked = await twitch('POST', '/say', { broadcaster_id: BROADCASTER, login: LOGIN, user_id: '7101', user_login: 'viewer1', text: '!points' });
  const reply = await eventually(async () => (await twitch('GET', '/sent')).find((s) => s.reply_parent_message_id === asked.message_id), 20_000, 'the reply');
  assert.match(reply.message, /viewer1/);

  // The overlay, and the policy the givers are paid by.
  await dashboard.click('nav a[href="#/overlays"]');
  await dashboard.waitForSelector('#f-label');
  await dashboard.fill('#f-label', 'Twitch alerts');
  await dashboard.click('form.form:has(#f-label) button[type=submit]');
  await dashboard.waitForSelector('input[data-overlay=alerts]');
  const url = await dashboard.inputValue('input[data-overlay=alerts]');
  const policy = { per_follow: 10, per_sub_tier1: 100, per_sub_tier2: 200, per_sub_tier3: 500, per_100_bits: 5, per_raid_viewer: 2 };
  assert.equal((await bot('PUT', `/v1/channels/twitch/${LOGIN}/support-policy`, policy)).status, 202);

  const overlay = await openPage(browser, { width: 520, height: 200 });
  await overlay.goto(`${url}&seconds=1`);
  await overlay.waitForSelector('#overlay[data-state=live]');
  await watchAlerts(overlay);

  // Twitch's own notifications (the docs' examples, with these givers).
  const giver = (user_id, user_name) => ({ user_id, user_login: user_name.toLowerCase(), user_name });
  const happen = (kind, event) => twitch('POST', '/happen', { kind, broadcaster_id: BROADCASTER, event });
  await happen('channel.follow', giver('7201', 'Ada'));
  await happen('channel.subscribe', { ...giver('7202', 'Bob'), tier: '1000', is_gift: false });
  await happen('channel.subscription.gift', { ...giver('7203', 'Cy'), tier: '2000', total: 5, is_anonymous: false });
  await happen('channel.cheer', { ...giver('7204', 'Dee'), bits: 250, message: 'gg', is_anonymous: false });
  await happen('channel.raid', { from_broadcaster_user_id: '7205', from_broadcaster_user_login: 'eve', from_broadcaster_user_name: 'Eve', viewers: 42 });

  await overlay.waitForFunction(() => window.shown.length >= 5, null, { timeout: 30_000 });
  await overlay.waitForTimeout(1_500);
  const shown = await overlay.evaluate(() => window.shown);
  assert.deepEqual(shown.map((s) => s.kind), ['follow', 'sub', 'gift', 'cheer', 'raid'], JSON.stringify(shown));
  assert.deepEqual(shown.map((s) => s.text), [
    'Ada just followed!',
    'Bob subscribed at tier 1!',
    'Cy gifted 5 tier 2 subs!',
    'Dee cheered 250 bits! gg',
    'Eve is raiding with 42 viewers!',
  ]);
  assert.equal(await overlay.evaluate(() => window.mostAtOnce), 1, 'two alerts never overlap');
  await screenshot(overlay, 'overlay-alerts-from-twitch');

  const points = await eventually(async () => {
    const page = await read(`/v1/channels/${LOGIN}/leaderboard?limit=50`);
    const of = Object.fromEntries((page.body.entries || []).map((e) => [e.user_id, e.points]));
    return ['7201', '7202', '7203', '7204', '7205'].every((u) => u in of) ? of : null;
  }, 20_000, 'the givers on the leaderboard');
  assert.deepEqual(['7201', '7202', '7203', '7204', '7205'].map((u) => points[u]), [10, 100, 1000, 10, 84]);
  for (const page of [dashboard, overlay]) noProblems(page);
});
