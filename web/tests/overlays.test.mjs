// OBS overlays in headless Chromium: opened with a key made in the
// dashboard, updated live, stopped when the key is revoked.
import { test, before, after } from 'node:test';
import { strict as assert } from 'node:assert';
import { launch, openPage, login, screenshot, bot, chat, read, eventually, noProblems, restartStack, watchAlerts } from './support.mjs';

let browser;
before(async () => {
  browser = await launch();
});
after(async () => {
  await browser?.close();
});

test('an overlay opened with its key updates live and stops when the key is revoked', async () => {
  const dashboard = await openPage(browser);
  await login(dashboard, 'ada');
  await dashboard.click('nav a[href="#/overlays"]');
  await dashboard.waitForSelector('#f-label');
  await dashboard.fill('#f-label', 'OBS main scene');
  await dashboard.click('form.form:has(#f-label) button[type=submit]');
  await dashboard.waitForSelector('input[data-overlay=leaderboard]');
  const leaderboardUrl = await dashboard.inputValue('input[data-overlay=leaderboard]');
  const chatUrl = await dashboard.inputValue('input[data-overlay=chat]');
  await dashboard.waitForFunction(() => document.querySelector('#overlay-keys')?.textContent.includes('OBS main scene'));
  await screenshot(dashboard, 'overlays');

  // OBS has no cookie: only the key in the address.
  const overlay = await openPage(browser, { width: 420, height: 360 });
  await overlay.goto(`${leaderboardUrl}&count=20&theme=dark`);
  await overlay.waitForSelector('#overlay[data-state=live]');
  const background = await overlay.evaluate(() => getComputedStyle(document.body).backgroundColor);
  assert.equal(background, 'rgba(0, 0, 0, 0)', 'transparent for OBS');
  await chat('ovi-1', 'Ovi', 'hi overlay');
  await overlay.waitForFunction(() => document.querySelector('#overlay')?.textContent.includes('Ovi'), null, { timeout: 5000 });
  assert.ok((await overlay.locator('#overlay li').count()) <= 20, 'at most `count` entries');
  await screenshot(overlay, 'overlay-leaderboard');

  const chatBox = await openPage(browser, { width: 420, height: 360 });
  await chatBox.goto(chatUrl);
  await chatBox.waitForSelector('#overlay[data-state=live]');
  // It opens with the channel's latest messages.
  const opening = await chatBox.textContent('#overlay');
  assert.ok(opening.includes('hi overlay'), opening);
  await chatBox.waitForTimeout(500);
  const xss = '<img src=x onerror=alert(2)>';
  await chat('ovi-1', 'Ovi', 'second line for the chat box');
  await chat('xss-2', xss, xss);
  await chatBox.waitForFunction((text) => document.querySelector('#overlay')?.textContent.includes(text), xss, { timeout: 5000 });
  await chatBox.waitForFunction(() => document.querySelector('#overlay')?.textContent.includes('second line for the chat box'), null, { timeout: 5000 });
  assert.equal(await chatBox.evaluate(() => document.querySelectorAll('img[src="x"]').length), 0);
  await screenshot(chatBox, 'overlay-chat');
  // A viewer timed out: their lines leave the chat box live.
  await chat('spoiler-1', 'Spoiler', 'the ending is that everyone');
  await chatBox.waitForFunction(() => document.querySelector('#overlay')?.textContent.includes('the ending is'), null, { timeout: 5000 });
  const timedOut = await bot('POST', '/v1/channels/twitch/shroud/viewers/spoiler-1/moderation', { action: 'timeout', seconds: 60, reason: 'spoilers' });
  assert.equal(timedOut.status, 202, JSON.stringify(timedOut.body));
  await chatBox.waitForFunction(() => !document.querySelector('#overlay')?.textContent.includes('the ending is'), null, { timeout: 5000 });
  assert.ok((await chatBox.textContent('#overlay')).includes('second line for the chat box'), 'the others stay');

  // Revoked in the dashboard: both overlays say so and stop.
  await dashboard.locator('#overlay-keys tr', { hasText: 'OBS main scene' }).getByRole('button', { name: 'Revoke' }).click();
  await dashboard.waitForFunction(() => !document.querySelector('#overlay-keys')?.textContent.includes('OBS main scene'));
  for (const page of [overlay, chatBox]) {
    await page.waitForSelector('#overlay[data-state=refused]', { timeout: 10_000 });
  }
  await chat('ovi-1', 'Ovi', 'nobody sees this');
  await overlay.waitForTimeout(1000);
  assert.ok(!(await chatBox.textContent('#overlay')).includes('nobody sees this'));
  await screenshot(overlay, 'overlay-revoked');
  // Reopened with the revoked key: refused from the start.
  await overlay.goto(leaderboardUrl);
  await overlay.waitForSelector('#overlay[data-state=refused]');
  for (const page of [dashboard, overlay, chatBox]) noProblems(page);
  for (const page of [dashboard, overlay, chatBox]) await page.context().close();
});

test('the poll, giveaway and clip overlays show what runs in their channel', async () => {
  const dashboard = await openPage(browser);
  await login(dashboard, 'ada', { channel: 'twitch/stage' });
  await dashboard.click('nav a[href="#/overlays"]');
  await dashboard.waitForSelector('#f-label');
  await dashboard.fill('#f-label', 'Stage scene');
  await dashboard.click('form.form:has(#f-label) button[type=submit]');
  await dashboard.waitForSelector('input[data-overlay=poll]');
  const url = async (kind) => dashboard.inputValue(`input[data-overlay=${kind}]`);

  const poll = await openPage(browser, { width: 420, height: 300 });
  await poll.goto(await url('poll'));
  await poll.waitForSelector('#overlay[data-state=live]');
  const opened = await bot('POST', '/v1/polls', { question: 'Stage poll?', options: ['Yes', 'No'], channels: ['twitch/stage'], duration_seconds: 300 });
  assert.equal(opened.status, 202, JSON.stringify(opened.body));
  await poll.waitForFunction(() => document.querySelector('#overlay')?.textContent.includes('Stage poll?'), null, { timeout: 10_000 });
  await chat('stage-voter', 'Stage Voter', '!vote 1', 'stage');
  await poll.waitForFunction(() => document.querySelector('#overlay')?.textContent.includes('Yes — 1'), null, { timeout: 10_000 });
  await screenshot(poll, 'overlay-poll');

  const giveaway = await openPage(browser, { width: 420, height: 300 });
  await giveaway.goto(`${await url('giveaway')}&theme=light`);
  await giveaway.waitForSelector('#overlay[data-state=live].light');
  const g = await bot('POST', '/v1/giveaways', { title: 'Stage prize', channels: ['twitch/stage'] });
  assert.equal(g.status, 202, JSON.stringify(g.body));
  await chat('stage-fan', 'Stage Fan', '!join', 'stage');
  await giveaway.waitForFunction(() => document.querySelector('#overlay')?.textContent.includes('1 entered'), null, { timeout: 10_000 });
  assert.equal((await bot('POST', `/v1/giveaways/${g.body.giveaway_id}/close`)).status, 202);
  assert.equal((await bot('POST', `/v1/giveaways/${g.body.giveaway_id}/draw`, { count: 1 })).status, 202);
  await giveaway.waitForFunction(() => document.querySelector('#overlay .winner')?.textContent.includes('Stage Fan'), null, { timeout: 10_000 });
  await screenshot(giveaway, 'overlay-giveaway');

  const clip = await openPage(browser, { width: 420, height: 300 });
  await clip.goto(await url('clip'));
  await clip.waitForSelector('#overlay[data-state=live]');
  const requested = await bot('POST', '/v1/clips', { channel: 'stage', source: 'vods/stream.mp4', start_seconds: 1, duration_seconds: 2, title: 'stage moment' });
  assert.equal(requested.status, 202);
  await clip.waitForFunction(() => {
    const video = document.querySelector('#overlay video');
    return video && video.readyState >= 2 && document.querySelector('#overlay').textContent.includes('stage moment');
  }, null, { timeout: 60_000 });
  await screenshot(clip, 'overlay-clip');
  for (const page of [dashboard, poll, giveaway, clip]) noProblems(page);
});

test('the alerts overlay shows each follow, sub, gift, cheer and raid once, one at a time, in order', async () => {
  const dashboard = await openPage(browser);
  await login(dashboard, 'ada', { channel: 'twitch/alerts' });
  await dashboard.click('nav a[href="#/overlays"]');
  await dashboard.waitForSelector('#f-label');
  await dashboard.fill('#f-label', 'Alerts scene');
  await dashboard.click('form.form:has(#f-label) button[type=submit]');
  await dashboard.waitForSelector('input[data-overlay=alerts]');
  const url = await dashboard.inputValue('input[data-overlay=alerts]');

  const policy = { per_follow: 10, per_sub_tier1: 100, per_sub_tier2: 200, per_sub_tier3: 500, per_100_bits: 5, per_raid_viewer: 2 };
  assert.equal((await bot('PUT', '/v1/channels/twitch/alerts/support-policy', policy)).status, 202);
  const template = { template: '$(user) threw $(amount) bits: $(message)', enabled: true };
  assert.equal((await bot('PUT', '/v1/channels/twitch/alerts/alerts/cheer', template)).status, 202);

  // Something before the overlay opens is history: not shown again.
  const at = new Date().toISOString();
  const happen = async (body) => {
    const sent = await bot('POST', '/v1/channels/twitch/alerts/broadcast', { at, ...body });
    assert.equal(sent.status, 202, JSON.stringify(sent.body));
  };
  await happen({ event_id: 'before-1', type: 'follow', user_id: 'old-1', user_name: 'Oldie' });

  const overlay = await openPage(browser, { width: 520, height: 200 });
  await overlay.goto(`${url}&seconds=1`);
  await overlay.waitForSelector('#overlay[data-state=live]');
  // Every alert shown, with how many were on screen together.
  await watchAlerts(overlay);

  // Five at once, as a raid and a gift bomb come: they queue.
  await happen({ event_id: 'a-follow', type: 'follow', user_id: 'al-1', user_name: 'Ada' });
  await happen({ event_id: 'a-sub', type: 'sub', user_id: 'al-2', user_name: 'Bob', tier: '1' });
  await happen({ event_id: 'a-gift', type: 'gift', user_id: 'al-3', user_name: 'Cy', tier: '2', amount: 5 });
  await happen({ event_id: 'a-gifted', type: 'sub', user_id: 'al-9', user_name: 'Lucky', tier: '2', gifted: true });
  await happen({ event_id: 'a-cheer', type: 'cheer', user_id: 'al-4', user_name: 'Dee', amount: 250, message: '<b>gg</b>' });
  await happen({ event_id: 'a-raid', type: 'raid', user_id: 'al-5', user_name: 'Eve', amount: 42 });
  // Delivered twice, as platforms do: shown once.
  await happen({ event_id: 'a-raid', type: 'raid', user_id: 'al-5', user_name: 'Eve', amount: 42 });

  await overlay.waitForFunction(() => window.shown.length >= 5, null, { timeout: 20_000 });
  await overlay.waitForTimeout(1_500);
  const shown = await overlay.evaluate(() => window.shown);
  assert.deepEqual(shown.map((s) => s.kind), ['follow', 'sub', 'gift', 'cheer', 'raid'], JSON.stringify(shown));
  assert.deepEqual(shown.map((s) => s.text), [
    'Ada just followed!',
    'Bob subscribed at tier 1!',
    'Cy gifted 5 tier 2 subs!',
    'Dee threw 250 bits: <b>gg</b>',
    'Eve is raiding with 42 viewers!',
  ]);
  assert.equal(await overlay.evaluate(() => window.mostAtOnce), 1, 'two alerts never overlap');
  assert.equal(await overlay.evaluate(() => document.querySelectorAll('#overlay b').length), 0, 'a viewer’s words are text');
  await screenshot(overlay, 'overlay-alerts');

  // Each giver was paid per the policy (the gifted sub's receiver nothing).
  const points = await eventually(async () => {
    const page = await read('/v1/channels/alerts/leaderboard?limit=50');
    const of = Object.fromEntries((page.body.entries || []).map((e) => [e.user_id, e.points]));
    return ['al-1', 'al-2', 'al-3', 'al-4', 'al-5'].every((u) => u in of) ? of : null;
  }, 20_000, 'the givers on the leaderboard');
  assert.deepEqual(['al-1', 'al-2', 'al-3', 'al-4', 'al-5'].map((u) => points[u]), [10, 100, 1000, 10, 84]);
  assert.ok(!points['al-9'], 'a gifted sub pays its gifter, not its receiver');
  for (const page of [dashboard, overlay]) noProblems(page);
});

test('an overlay and the dashboard carry on by themselves after the stack restarts', async () => {
  const dashboard = await openPage(browser);
  await login(dashboard, 'ada', { channel: 'twitch/encore' });
  await dashboard.click('nav a[href="#/overlays"]');
  await dashboard.waitForSelector('#f-label');
  await dashboard.fill('#f-label', 'Encore scene');
  await dashboard.click('form.form:has(#f-label) button[type=submit]');
  await dashboard.waitForSelector('input[data-overlay=leaderboard]');
  const url = await dashboard.inputValue('input[data-overlay=leaderboard]');
  await dashboard.click('nav a[href="#/overview"]');
  await dashboard.waitForSelector('#top-chatters');

  const overlay = await openPage(browser, { width: 420, height: 300 });
  await overlay.goto(url);
  await overlay.waitForSelector('#overlay[data-state=live]');
  await chat('before-1', 'Before Restart', 'still here', 'encore');
  await overlay.waitForFunction(() => document.querySelector('#overlay')?.textContent.includes('Before Restart'), null, { timeout: 10_000 });

  await restartStack();
  await chat('after-1', 'After Restart', 'back again', 'encore');
  // No reload: both pages reconnect, read afresh and follow the feed again.
  await overlay.waitForFunction(() => document.querySelector('#overlay')?.textContent.includes('After Restart'), null, { timeout: 30_000 });
  await dashboard.waitForFunction(() => document.querySelector('#top-chatters')?.textContent.includes('After Restart'), null, { timeout: 30_000 });
  await screenshot(overlay, 'overlay-after-restart');
  for (const page of [dashboard, overlay]) await page.context().close();
});
