// The dashboard in headless Chromium against the real stack.
import { test, before, after } from 'node:test';
import { strict as assert } from 'node:assert';
import { launch, openPage, login, screenshot, bot, read, chat, eventually, noProblems } from './support.mjs';

let browser;
before(async () => {
  browser = await launch();
});
after(async () => {
  await browser?.close();
});

const XSS = '<img src=x onerror=alert(1)>';

test('a chat message shows in the overview and the leaderboard within 2 s, without a reload', async () => {
  const page = await openPage(browser);
  await login(page, 'ada');
  await page.waitForSelector('#top-chatters');
  // The page is open and listening before the message is sent.
  await page.waitForTimeout(500);
  const loads = [];
  page.on('framenavigated', (frame) => frame === page.mainFrame() && loads.push(frame.url()));

  await chat('grace-1', 'Grace', 'hello from the browser test');
  await page.waitForFunction(() => document.querySelector('#top-chatters')?.textContent.includes('Grace'), null, { timeout: 2000 });
  await page.waitForFunction(() => /[1-9]\d* messages in the last hour/.test(document.querySelector('[data-testid=messages-total]')?.textContent || ''), null, { timeout: 2000 });
  await screenshot(page, 'overview');

  await page.click('nav a[href="#/leaderboard"]');
  await page.waitForSelector('#channel-leaderboard table');
  await page.waitForTimeout(300);
  await chat('linus-1', 'Linus', 'me too');
  await page.waitForFunction(() => document.querySelector('#channel-leaderboard')?.textContent.includes('Linus'), null, { timeout: 2000 });
  await page.waitForFunction(() => document.querySelector('#people-leaderboard')?.textContent.includes('Linus'), null, { timeout: 2000 });
  await screenshot(page, 'leaderboard');
  assert.ok(loads.every((url) => url.includes('/app')) && !loads.some((url) => url.endsWith('/app?org=acme')), `no reload: ${loads}`);
  noProblems(page);
  await page.context().close();
});

test('a custom command added in the page is answered in chat, and a refusal shows by its field', async () => {
  const page = await openPage(browser);
  await login(page, 'ada');
  await page.click('nav a[href="#/commands"]');
  await page.waitForSelector('#add-command');
  await page.fill('#add-command #f-name', '!hug');
  await page.fill('#add-command #f-response', '$(user) gets a browser hug');
  await page.click('#add-command button[type=submit]');
  await page.waitForFunction(() => document.querySelector('#commands')?.textContent.includes('!hug'));

  const answered = await chat('hugger-1', 'Hugger', '!hug');
  const replies = JSON.stringify(answered);
  assert.ok(replies.includes('Hugger gets a browser hug'), replies);
  // The overview lists the use and the bot's reply.
  await page.click('nav a[href="#/overview"]');
  await page.waitForFunction(() => document.querySelector('#recent-commands')?.textContent.includes('Hugger gets a browser hug'), null, { timeout: 10_000 });
  await page.click('nav a[href="#/commands"]');
  await page.waitForSelector('#add-command');

  // The same name again: the API's refusal, next to the field it names.
  await page.fill('#add-command #f-name', '!hug');
  await page.click('#add-command button[type=submit]');
  await page.waitForFunction(() => document.querySelector('#add-command [data-field=name]')?.textContent.length > 0);
  await screenshot(page, 'commands');

  // Edited, then deleted, from the page: chat follows each change.
  await page.locator('#commands tr', { hasText: '!hug' }).getByRole('button', { name: 'Edit' }).click();
  await page.fill('.edit #e-response', '$(user) gets an edited hug');
  // No cooldown, so the next use answers at once.
  await page.fill('.edit #e-cooldown_seconds', '0');
  await page.click('.edit button[type=submit]');
  await page.waitForFunction(() => document.querySelector('#commands')?.textContent.includes('gets an edited hug'));
  const edited = JSON.stringify(await chat('hugger-2', 'Hugger Two', '!hug'));
  assert.ok(edited.includes('Hugger Two gets an edited hug'), edited);
  await page.locator('#commands tr', { hasText: '!hug' }).getByRole('button', { name: 'Delete' }).click();
  await page.waitForFunction(() => !document.querySelector('#commands')?.textContent.includes('!hug'));
  const gone = JSON.stringify(await chat('hugger-3', 'Hugger Three', '!hug'));
  assert.ok(!gone.includes('gets an'), `a deleted command is not answered: ${gone}`);
  noProblems(page);
  await page.context().close();
});

test('a rendered clip plays in the page', async () => {
  const requested = await bot('POST', '/v1/clips', {
    channel: 'shroud',
    source: 'vods/stream.mp4',
    start_seconds: 2,
    duration_seconds: 4,
    title: 'the play',
  });
  assert.equal(requested.status, 202, JSON.stringify(requested.body));
  const id = requested.body.clip_id;
  await eventually(async () => (await read(`/v1/clips/${id}`)).body.status === 'rendered', 90_000, 'the clip to render');

  const page = await openPage(browser);
  await login(page, 'ada');
  await page.click('nav a[href="#/clips"]');
  await page.waitForSelector('#clips table');
  await page.locator('#clips tr', { hasText: 'the play' }).getByRole('button', { name: 'Play' }).click();
  await page.waitForSelector(`video[data-clip="${id}"]`);
  const played = await page.evaluate(async () => {
    const video = document.querySelector('video');
    video.muted = true;
    await video.play();
    await new Promise((resolve) => setTimeout(resolve, 1500));
    return { time: video.currentTime, duration: video.duration, error: video.error && video.error.code };
  });
  assert.ok(played.time > 0.5 && played.duration > 3, JSON.stringify(played));
  await screenshot(page, 'clips');
  noProblems(page);
  await page.context().close();
});

test('a viewer timed out from the page shows in the moderation log', async () => {
  await chat('troll-1', 'Troll', 'buy followers at spam dot example');
  const page = await openPage(browser);
  await login(page, 'ada');
  await page.click('nav a[href="#/moderation"]');
  await page.waitForSelector('#moderate');
  await page.fill('#moderate #f-user_id', 'troll-1');
  await page.selectOption('#moderate #f-action', 'timeout');
  await page.fill('#moderate #f-seconds', '60');
  await page.fill('#moderate #f-reason', 'selling followers');
  await page.click('#moderate button[type=submit]');
  await page.waitForFunction(
    () => {
      const log = document.querySelector('#moderation-log')?.textContent || '';
      return log.includes('timeout 60 s') && log.includes('selling followers') && log.includes('member:ada');
    },
    null,
    { timeout: 20_000 },
  );
  // A filter set in the page decides the next message; a refused
  // threshold shows by its field.
  await page.fill('#f-length-max_length', '0');
  await page.click('#filter-length button[type=submit]');
  await page.waitForFunction(() => document.querySelector('#filter-length [data-field=max_length]')?.textContent.length > 0);
  await page.check('#f-length-enabled');
  await page.fill('#f-length-max_length', '40');
  const [saved] = await Promise.all([
    page.waitForResponse((r) => r.url().endsWith('/filters/length') && r.request().method() === 'PUT'),
    page.click('#filter-length button[type=submit]'),
  ]);
  assert.equal(saved.status(), 202);
  const judged = await chat('rambler-1', 'Rambler', 'this message is a good deal longer than forty characters, surely');
  assert.ok(JSON.stringify(judged).includes('"delete"'), JSON.stringify(judged));
  await page.waitForFunction(() => document.querySelector('#moderation-log')?.textContent.includes('Rambler'), null, { timeout: 20_000 });
  await screenshot(page, 'moderation');
  noProblems(page);
  await page.context().close();
});

test('chat text is shown as text, never as markup', async () => {
  const page = await openPage(browser);
  await login(page, 'ada');
  await page.waitForSelector('#top-chatters');
  await chat('xss-1', XSS, XSS);
  await page.waitForFunction((xss) => document.querySelector('#top-chatters')?.textContent.includes(xss), XSS, { timeout: 10_000 });
  const injected = await page.evaluate(() => document.querySelectorAll('img[src="x"]').length);
  assert.equal(injected, 0);
  await page.click('nav a[href="#/leaderboard"]');
  await page.waitForFunction((xss) => document.querySelector('#channel-leaderboard')?.textContent.includes(xss), XSS);
  assert.equal(await page.evaluate(() => document.querySelectorAll('img[src="x"]').length), 0);
  await screenshot(page, 'xss-as-text');
  noProblems(page);
  await page.context().close();
});

test("a viewer's session reads but is refused on a write", async () => {
  const page = await openPage(browser);
  await login(page, 'vi');
  await page.click('nav a[href="#/commands"]');
  await page.waitForSelector('#commands');
  assert.equal(await page.locator('#add-command').count(), 0, 'no form to add with');
  const refused = await page.evaluate(async () => {
    const session = await (await fetch('/app/api/session')).json();
    const response = await fetch('/app/api/command/v1/channels/twitch/shroud/commands', {
      method: 'POST',
      headers: { 'x-csrf-token': session.csrf, 'content-type': 'application/json' },
      body: JSON.stringify({ name: '!sneaky', response: 'no' }),
    });
    return { status: response.status, body: await response.json() };
  });
  assert.equal(refused.status, 403);
  assert.equal(refused.body.error.code, 'forbidden');
  const commands = await read('/v1/channels/twitch/shroud/commands');
  assert.ok(!JSON.stringify(commands.body).includes('!sneaky'));
  await screenshot(page, 'viewer-refused');
  noProblems(page);
  await page.context().close();
});

test('pages fit a phone', async () => {
  const page = await openPage(browser, { width: 390, height: 844 });
  await login(page, 'ada');
  await page.waitForSelector('#top-chatters');
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  assert.ok(overflow <= 1, `the page is ${overflow}px wider than the phone`);
  await screenshot(page, 'overview-phone');
  await page.context().close();
});

test('support payouts and an alert template are set on the Commands page, a wrong one refused by its field', async () => {
  const page = await openPage(browser);
  await login(page, 'ada');
  await page.click('nav a[href="#/commands"]');
  await page.waitForSelector('#s-per_follow');
  await page.fill('#s-per_follow', '10');
  await page.fill('#s-per_raid_viewer', '2');
  await page.fill('#s-per_100_bits', '2000000');
  await page.click('form.form:has(#s-per_follow) button[type=submit]');
  await page.waitForFunction(() => document.querySelector('#support-policy [data-field=per_100_bits]')?.textContent.length > 0);
  await page.fill('#s-per_100_bits', '5');
  await page.click('form.form:has(#s-per_follow) button[type=submit]');
  const saved = await eventually(async () => {
    const body = (await read('/v1/channels/twitch/shroud/commands')).body;
    return body.support_policy && body.support_policy.per_follow === 10 ? body.support_policy : null;
  }, 10_000, 'the payouts saved');
  assert.deepEqual([saved.per_follow, saved.per_100_bits, saved.per_raid_viewer], [10, 5, 2]);

  await page.click('button[data-alert=cheer]');
  await page.fill('#a-template', '$(user) cheered $(amount)!');
  await page.click('form.form:has(#a-template) button[type=submit]');
  const cheer = await eventually(async () => {
    const alerts = (await read('/v1/channels/twitch/shroud/commands')).body.alerts || [];
    return alerts.find((a) => a.kind === 'cheer' && a.template === '$(user) cheered $(amount)!');
  }, 10_000, 'the alert saved');
  assert.equal(cheer.enabled, true);
  await page.waitForFunction(() => document.querySelector('#alerts')?.textContent.includes('$(user) cheered $(amount)!'));
  await screenshot(page, 'support-and-alerts');
  noProblems(page);
  await page.context().close();
});
