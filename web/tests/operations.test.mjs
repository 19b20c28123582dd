// The rest of the dashboard's pages in headless Chromium: giveaways and
// polls run from the page, publications scheduled and cancelled with the
// API's refusals by their field, analytics as CSV, and the event log.
import { test, before, after } from 'node:test';
import { strict as assert } from 'node:assert';
import { readFile } from 'node:fs/promises';
import { launch, openPage, login, screenshot, bot, read, chat, eventually, noProblems } from './support.mjs';

let browser;
before(async () => {
  browser = await launch();
});
after(async () => {
  await browser?.close();
});

test('a poll and a giveaway run from the page, with the draw shown for checking', async () => {
  const page = await openPage(browser);
  await login(page, 'ada');
  await page.click('nav a[href="#/community"]');
  await page.waitForSelector('#f-question');
  await page.fill('#f-question', 'Best map?');
  await page.fill('#f-options', 'Dust | Mirage');
  await page.click('form.form:has(#f-question) button[type=submit]');
  await page.waitForFunction(() => document.querySelector('#polls')?.textContent.includes('Best map?'));
  await chat('voter-1', 'Voter', '!vote 2');
  await page.waitForFunction(() => document.querySelector('#polls')?.textContent.includes('2. Mirage: 1'), null, { timeout: 10_000 });

  await page.fill('#f-title', 'A headset');
  await page.click('form.form:has(#f-title) button[type=submit]');
  await page.waitForFunction(() => document.querySelector('#giveaways')?.textContent.includes('A headset'));
  await chat('entrant-1', 'Entrant One', '!join');
  await chat('entrant-2', 'Entrant Two', '!join');
  await page.waitForFunction(() => /A headset\s*open\s*2/.test(document.querySelector('#giveaways tbody tr')?.innerText.replace(/\s+/g, ' ') || ''), null, { timeout: 10_000 });
  const row = page.locator('#giveaways tr', { hasText: 'A headset' });
  await row.getByRole('button', { name: 'Close' }).click();
  await page.waitForFunction(() => document.querySelector('#giveaways tbody tr')?.textContent.includes('closed'), null, { timeout: 10_000 });
  await page.locator('#giveaways tr', { hasText: 'A headset' }).getByRole('button', { name: 'Draw' }).click();
  await page.waitForFunction(() => /Entrant (One|Two)/.test(document.querySelector('#giveaways tbody tr')?.textContent || ''), null, { timeout: 10_000 });
  await page.locator('#giveaways tr', { hasText: 'A headset' }).locator('summary').click();
  const draw = await page.locator('#giveaways tr', { hasText: 'A headset' }).locator('details').innerText();
  assert.match(draw, /commitment [0-9a-f]{64}/);
  assert.match(draw, /seed [0-9a-f]{64}/, 'the seed is revealed after the draw');
  await screenshot(page, 'community');
  noProblems(page);
  await page.context().close();
});

test('a publication is refused by its field, then scheduled, rescheduled and cancelled', async () => {
  const requested = await bot('POST', '/v1/clips', { channel: 'shroud', source: 'vods/stream.mp4', start_seconds: 5, duration_seconds: 2, title: 'to publish' });
  assert.equal(requested.status, 202);
  const clip = requested.body.clip_id;
  const page = await openPage(browser);
  await login(page, 'ada');
  await page.click('nav a[href="#/publications"]');
  await page.waitForSelector('#f-clip_id');
  await page.fill('#f-clip_id', clip);
  await page.fill('#f-targets', 'youtube');
  await page.fill('#f-title', 'The play, published');
  await page.click('form.form:has(#f-clip_id) button[type=submit]');
  await page.waitForFunction(() => /target_not_configured/.test(document.querySelector('[data-field=targets]')?.textContent || ''));

  await page.fill('#f-targets', 'webhook');
  await page.fill('#f-scheduled_at', '2031-01-01T12:00');
  await page.click('form.form:has(#f-clip_id) button[type=submit]');
  const row = page.locator('#publications tr', { hasText: 'The play, published' });
  await row.waitFor({ timeout: 10_000 });
  await row.locator('input[type=datetime-local]').fill('2032-02-02T12:00');
  await row.getByRole('button', { name: 'Reschedule' }).click();
  await page.waitForFunction(() => document.querySelector('#publications')?.textContent.includes('2032'), null, { timeout: 10_000 });
  await screenshot(page, 'publications');
  await page.locator('#publications tr', { hasText: 'The play, published' }).getByRole('button', { name: 'Cancel' }).click();
  await page.waitForFunction(() => document.querySelector('#publications tr:has(td)')?.textContent.includes('cancelled'), null, { timeout: 10_000 });
  noProblems(page);
  await page.context().close();
});

test('analytics download as CSV, and the event log filters by actor', async () => {
  await chat('csv-1', 'Counted', 'one more message for the chart');
  await eventually(async () => (await read('/v1/channels/shroud/analytics?bucket=hour')).body.points.some((p) => p.messages > 0), 20_000, 'analytics');
  const page = await openPage(browser);
  await login(page, 'ada');
  await page.click('nav a[href="#/analytics"]');
  await page.waitForSelector('#analytics table');
  const [download] = await Promise.all([page.waitForEvent('download'), page.click('a[download]')]);
  const csv = await readFile(await download.path(), 'utf8');
  const [header, ...rows] = csv.trim().split('\n');
  assert.ok(header.startsWith('bucket_start,messages,unique_chatters'), header);
  assert.ok(rows.some((r) => Number(r.split(',')[1]) > 0), csv);
  await screenshot(page, 'analytics');

  await page.click('nav a[href="#/events"]');
  await page.waitForSelector('#f-actor');
  await page.fill('#f-actor', 'member:ada');
  await page.click('form.form:has(#f-actor) button[type=submit]');
  await page.waitForFunction(() => document.querySelector('#events tbody tr'));
  const actors = await page.locator('#events tbody tr td:nth-child(5)').allInnerTexts();
  assert.ok(actors.length > 0 && actors.every((a) => a === 'member:ada'), actors.join());
  // Following the cursor: an event appended meanwhile shows up, once.
  await page.check('#follow');
  const added = await page.evaluate(async () => {
    const session = await (await fetch('/app/api/session')).json();
    const response = await fetch('/app/api/command/v1/channels/twitch/shroud/commands', {
      method: 'POST',
      headers: { 'x-csrf-token': session.csrf, 'content-type': 'application/json' },
      body: JSON.stringify({ name: '!followed', response: 'seen in the log' }),
    });
    return response.status;
  });
  assert.equal(added, 202);
  await page.waitForFunction(() => [...document.querySelectorAll('#events tbody tr')].some((tr) => tr.textContent.includes('seen in the log')), null, { timeout: 10_000 });
  await page.waitForTimeout(2500);
  const followed = await page.locator('#events tbody tr', { hasText: 'seen in the log' }).count();
  assert.equal(followed, 1, 'each event once');
  await screenshot(page, 'event-log');
  noProblems(page);
  await page.context().close();
});
