// What the page tests share: Debian's Chromium through playwright-core,
// the stack scripts/browser-tests started, logging in, talking to the
// command API as a bot does, and screenshots under target/browser-tests.
import { chromium } from 'playwright-core';
import { strict as assert } from 'node:assert';
import path from 'node:path';
import { spawn } from 'node:child_process';
import { openSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';

export const query = process.env.WAVESTACK_QUERY_API;
export const command = process.env.WAVESTACK_COMMAND_API;
export const password = process.env.WAVESTACK_TEST_PASSWORD;
const botToken = process.env.WAVESTACK_BOT_TOKEN;
const screenshots = process.env.WAVESTACK_SCREENSHOTS;
assert.ok(query && command && password && botToken && screenshots, 'run through scripts/browser-tests');

export async function launch() {
  return chromium.launch({
    executablePath: '/usr/bin/chromium',
    headless: true,
    args: [
      ...(process.getuid && process.getuid() === 0 ? ['--no-sandbox'] : []),
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
      '--disable-quic',
      '--disable-gpu',
      '--autoplay-policy=no-user-gesture-required',
    ],
  });
}

/**
 * A fresh browser context (its own cookies) with a page that fails the
 * test on any script error or `alert`, and records what the console says.
 */
export async function openPage(browser, { width = 1280, height = 800 } = {}) {
  const context = await browser.newContext({ viewport: { width, height } });
  const page = await context.newPage();
  page.problems = [];
  page.on('pageerror', (error) => page.problems.push(`page error: ${error.message}`));
  page.on('dialog', async (dialog) => {
    page.problems.push(`dialog: ${dialog.message()}`);
    await dialog.dismiss();
  });
  page.on('console', (message) => {
    if (message.type() === 'error' && /Content Security Policy/.test(message.text())) page.problems.push(message.text());
  });
  return page;
}

export async function login(page, username, { channel = 'twitch/shroud' } = {}) {
  await page.goto(`${query}/app?org=acme`);
  await page.evaluate((c) => localStorage.setItem('wavestack.channel', c), channel);
  await page.fill('#f-username', username);
  await page.fill('#f-password', password);
  await page.click('form.form button[type=submit]');
  await page.waitForSelector(`.who[data-role]`);
}

export async function screenshot(page, name) {
  await page.screenshot({ path: path.join(screenshots, `${name}.png`), fullPage: true });
}

/** A call to the command API with the bot's token. */
export async function bot(method, route, body) {
  const response = await fetch(command + route, {
    method,
    headers: { authorization: `Bearer ${botToken}`, 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  return { status: response.status, body: text ? JSON.parse(text) : null };
}

/** A read of the query API with the bot's token. */
export async function read(route) {
  const response = await fetch(query + route, { headers: { authorization: `Bearer ${botToken}` } });
  return { status: response.status, body: await response.json() };
}

let sequence = 0;
export async function chat(user_id, author, text, channel = 'shroud') {
  sequence += 1;
  const message_id = `browser-${Date.now()}-${sequence}`;
  const sent = await bot('POST', '/v1/chat/messages', { platform: 'twitch', channel, user_id, message_id, author, text });
  assert.equal(sent.status, 202, JSON.stringify(sent.body));
  return sent.body;
}

/** Polls `check` until it returns something truthy or `ms` pass. */
export async function eventually(check, ms = 20_000, what = 'the condition') {
  const until = Date.now() + ms;
  for (;;) {
    const value = await check();
    if (value) return value;
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

/**
 * Records every alert the alerts overlay shows (`window.shown`: seq, kind,
 * text) and the most on screen at once (`window.mostAtOnce`).
 */
export async function watchAlerts(overlay) {
  await overlay.evaluate(() => {
    window.shown = [];
    window.mostAtOnce = 0;
    new MutationObserver(() => {
      const cards = [...document.querySelectorAll('#overlay .alert')];
      window.mostAtOnce = Math.max(window.mostAtOnce, cards.length);
      for (const card of cards) {
        if (!window.shown.some((s) => s.seq === card.dataset.seq)) window.shown.push({ seq: card.dataset.seq, kind: card.dataset.kind, text: card.textContent });
      }
    }).observe(document.querySelector('#overlay'), { childList: true, subtree: true });
  });
}

export function noProblems(page) {
  assert.deepEqual(page.problems, [], 'no script error, dialog or CSP violation');
}

async function ready() {
  try {
    return (await fetch(`${query}/ready`)).ok && (await fetch(`${command}/ready`)).ok;
  } catch {
    return false;
  }
}

/**
 * Stops `wavestack up` (SIGTERM) and starts it again on the same config,
 * database and data, as an operator's restart does; returns once both
 * APIs are ready. scripts/browser-tests' cleanup stops the new process.
 */
export async function restartStack() {
  const pidFile = process.env.WAVESTACK_UP_PID_FILE;
  const pid = Number(await readFile(pidFile, 'utf8'));
  process.kill(pid, 'SIGTERM');
  const stopped = () => {
    try {
      process.kill(pid, 0);
      return false;
    } catch {
      return true;
    }
  };
  await eventually(async () => stopped(), 60_000, 'the stack to stop');
  const log = openSync(process.env.WAVESTACK_UP_LOG, 'a');
  const child = spawn(process.env.WAVESTACK_BIN, ['up', '--config', process.env.WAVESTACK_CONFIG], {
    detached: true,
    stdio: ['ignore', log, log],
    env: process.env,
  });
  child.unref();
  await writeFile(pidFile, String(child.pid));
  await eventually(ready, 120_000, 'the stack to be ready again');
}
