// Real-browser checks of the end-to-end suite (issue 6 items 4-5): headless
// Debian Chromium driven by playwright-core against a running Gatehouse.
//
// Run by scripts/e2e.sh, which starts everything and passes:
//   E2E_NODE_DIR   directory holding node_modules/playwright-core
//   CHROMIUM       browser binary (/usr/bin/chromium)
//   GATEWAY        gateway base URL (http://127.0.0.1:PORT)
//   OUT            directory for screenshots
//   ALICE_PASSWORD alice's portal password
//   PLEX_USER / PLEX_TOKEN  the fake plex.tv owner and its token
//   PLEX_URL       the fake plex.tv base URL
// Prints one "PASS: name" or "FAIL: name: detail" line per check; exits 1
// when any check failed.
import { createRequire } from 'node:module';
import { join } from 'node:path';

const require = createRequire(join(process.env.E2E_NODE_DIR, 'package.json'));
const { chromium } = require('playwright-core');

const GW = process.env.GATEWAY;
const OUT = process.env.OUT;
const STEP_TIMEOUT = 20000;
let failed = 0;

async function check(name, fn) {
  try {
    await fn();
    console.log(`PASS: ${name}`);
  } catch (e) {
    failed += 1;
    console.log(`FAIL: ${name}: ${String(e && e.message || e).split('\n').slice(0, 4).join(' | ')}`);
  }
}

function expect(cond, what) {
  if (!cond) { throw new Error(what); }
}

// Opens a WebSocket from the page and returns what happened:
// {opened, messages, closeCode, error}.
async function wsExchange(page, path, sends) {
  return page.evaluate(async ({ path, sends }) => {
    const url = location.origin.replace(/^http/, 'ws') + path;
    return await new Promise((resolve) => {
      const out = { opened: false, messages: [], closeCode: null, error: false };
      const ws = new WebSocket(url);
      const timer = setTimeout(() => { try { ws.close(); } catch (e) { /* closing anyway */ } resolve(out); }, 8000);
      ws.onopen = () => { out.opened = true; };
      ws.onerror = () => { out.error = true; };
      ws.onmessage = (ev) => {
        out.messages.push(ev.data);
        if (out.messages.length === 1) { sends.forEach((s) => ws.send(s)); }
        if (out.messages.length === sends.length + 1) { ws.close(1000, 'done'); }
      };
      ws.onclose = (ev) => { out.closeCode = ev.code; clearTimeout(timer); resolve(out); };
    });
  }, { path, sends });
}

// launch() always starts Chromium on a fresh temporary user-data-dir, deleted on close.
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
  headless: true,
  args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update',
    '--disable-sync', '--no-first-run', '--disable-quic',
    '--host-resolver-rules=MAP *.gatehouse.test 127.0.0.1'],
});

try {
  // ---- password sign-in, home, WebSocket, logout (alice) ----
  const ctx = await browser.newContext({ viewport: { width: 1000, height: 720 } });
  ctx.setDefaultTimeout(STEP_TIMEOUT);
  const page = await ctx.newPage();
  const target = '/app/page?x=1&y=two';

  await check('browser: protected route redirects to the portal sign-in page', async () => {
    await page.goto(GW + target);
    const u = new URL(page.url());
    expect(u.pathname === '/gatehouse/login', `landed on ${page.url()}`);
    expect(u.searchParams.get('rd') === target, `rd=${u.searchParams.get('rd')}`);
    await page.waitForSelector('#username');
    await page.screenshot({ path: join(OUT, 'sign-in.png'), fullPage: true });
  });

  await check('browser: wrong password shows the form again with an error', async () => {
    await page.fill('#username', 'alice');
    await page.fill('#password', 'not-the-password');
    await page.click('#sign-in');
    await page.waitForSelector('.error');
    expect(new URL(page.url()).pathname === '/gatehouse/login', `at ${page.url()}`);
  });

  await check('browser: sign in lands on the originally requested page', async () => {
    // after a failed attempt the form still carries rd
    await page.fill('#username', 'alice');
    await page.fill('#password', process.env.ALICE_PASSWORD);
    await Promise.all([page.waitForURL(GW + target), page.click('#sign-in')]);
    const user = await page.textContent('#remote-user');
    expect(user === 'alice', `upstream saw X-Remote-User=${JSON.stringify(user)}`);
    const path = await page.textContent('#path');
    expect(path === '/page?x=1&y=two', `upstream path ${path}`);
    const cookies = await ctx.cookies(GW);
    const session = cookies.find((c) => c.name === 'gatehouse_session');
    expect(session && session.httpOnly && session.sameSite === 'Lax', `session cookie ${JSON.stringify(session)}`);
  });

  await check('browser: WebSocket through the gateway on an authenticated route', async () => {
    const big = 'x'.repeat(70000);
    const r = await wsExchange(page, '/app/ws', ['hello gatehouse', big]);
    expect(r.opened, `not opened: ${JSON.stringify(r)}`);
    expect(r.messages[0] === 'user:alice', `first message ${JSON.stringify(r.messages[0])}`);
    expect(r.messages[1] === 'echo:hello gatehouse', `echo ${JSON.stringify(r.messages[1])}`);
    expect(r.messages[2] === 'echo:' + big, `70000-byte echo has length ${r.messages[2] && r.messages[2].length}`);
    expect(r.closeCode === 1000, `close code ${r.closeCode}`);
  });

  await check('browser: home page shows the signed-in user', async () => {
    await page.goto(GW + '/');
    const user = await page.textContent('#user');
    expect(user === 'alice', `#user is ${JSON.stringify(user)}`);
    await page.screenshot({ path: join(OUT, 'home.png'), fullPage: true });
  });

  await check('browser: calibre-web at /calibre/ shows alice as its user', async () => {
    await page.goto(GW + '/calibre/');
    const user = (await page.textContent('#top_user')).trim();
    expect(user === 'alice', `#top_user is ${JSON.stringify(user)}`);
    expect(new URL(page.url()).pathname.startsWith('/calibre/'), `at ${page.url()}`);
    await page.screenshot({ path: join(OUT, 'calibre-web.png') });
  });

  await check('browser: logout ends the session and the route redirects again', async () => {
    await page.goto(GW + '/gatehouse/logout');
    // A GET only asks; the button posts (same-origin) and signs out.
    expect(new URL(page.url()).pathname === '/gatehouse/logout', `confirmation at ${page.url()}`);
    await Promise.all([page.waitForNavigation(), page.click('#sign-out')]);
    expect(new URL(page.url()).pathname === '/gatehouse/login', `after logout at ${page.url()}`);
    const left = (await ctx.cookies(GW)).filter((c) => c.name === 'gatehouse_session');
    expect(left.length === 0, 'session cookie still set');
    await page.goto(GW + target);
    const u = new URL(page.url());
    expect(u.pathname === '/gatehouse/login' && u.searchParams.get('rd') === target, `landed on ${page.url()}`);
  });

  await check('browser: WebSocket refused after logout', async () => {
    const r = await wsExchange(page, '/app/ws', ['after logout']);
    expect(!r.opened && r.messages.length === 0, `opened after logout: ${JSON.stringify(r)}`);
  });
  await ctx.close();

  // ---- "Sign in with Plex" against the fake plex.tv, then Plex SSO ----
  const pctx = await browser.newContext();
  pctx.setDefaultTimeout(STEP_TIMEOUT);
  const ppage = await pctx.newPage();
  const plexRequests = [];
  pctx.on('request', (r) => { if (r.url().startsWith(process.env.PLEX_URL)) { plexRequests.push(r.method() + ' ' + r.url()); } });

  await check('browser: "Sign in with Plex" completes against the fake plex.tv', async () => {
    await ppage.goto(GW + '/gatehouse/login?rd=' + encodeURIComponent('/app/after-plex'));
    await ppage.waitForSelector('#plex-sign-in');
    const popupPromise = ppage.waitForEvent('popup');
    const landed = ppage.waitForURL(GW + '/app/after-plex', { timeout: 30000 });
    await ppage.click('#plex-sign-in');
    await popupPromise;
    await landed;
    expect(plexRequests.includes(`GET ${process.env.PLEX_URL}/auth`), `popup requests ${JSON.stringify(plexRequests)}`);
    expect(plexRequests.includes(`POST ${process.env.PLEX_URL}/__fake/approve`), `popup requests ${JSON.stringify(plexRequests)}`);
    const user = await ppage.textContent('#remote-user');
    expect(user === process.env.PLEX_USER, `upstream saw X-Remote-User=${JSON.stringify(user)}`);
    const me = await ppage.evaluate(async () => (await fetch('/gatehouse/api/me')).json());
    expect(me.user === process.env.PLEX_USER && me.group === 0, `api/me ${JSON.stringify(me)}`);
  });

  await check('browser: /gatehouse/sso/plex leaves localStorage.myPlexAccessToken on the serving host', async () => {
    await ppage.goto(GW + '/gatehouse/sso/plex?to=' + encodeURIComponent('/plex/web/'));
    await ppage.waitForURL(GW + '/plex/web/');
    const token = await ppage.evaluate(() => localStorage.getItem('myPlexAccessToken'));
    expect(token === process.env.PLEX_TOKEN, `myPlexAccessToken is ${token === null ? 'unset' : 'a different value'}`);
    const origin = await ppage.evaluate(() => location.origin);
    expect(origin === GW, `stored on ${origin}`);
  });
  await pctx.close();

  // ---- "Sign in with Plex" as a friend of the owner (admitted through /api/users) ----
  const fctx = await browser.newContext();
  fctx.setDefaultTimeout(STEP_TIMEOUT);
  const fpage = await fctx.newPage();
  await check('browser: "Sign in with Plex" as the owner\'s friend creates a user in the "user" group', async () => {
    const set = await fetch(process.env.PLEX_URL + '/__fake/approver', {
      method: 'POST', headers: { 'Content-Type': 'application/x-www-form-urlencoded' }, body: 'login=plexfriend',
    });
    expect(set.ok, `fake approver not set: ${set.status}`);
    try {
      await fpage.goto(GW + '/gatehouse/login?rd=' + encodeURIComponent('/app/friend'));
      const popupPromise = fpage.waitForEvent('popup');
      const landed = fpage.waitForURL(GW + '/app/friend', { timeout: 30000 });
      await fpage.click('#plex-sign-in');
      await popupPromise;
      await landed;
      const me = await fpage.evaluate(async () => (await fetch('/gatehouse/api/me')).json());
      expect(me.user === 'plexfriend' && me.group === 4, `api/me ${JSON.stringify(me)}`);
    } finally {
      await fetch(process.env.PLEX_URL + '/__fake/approver', {
        method: 'POST', headers: { 'Content-Type': 'application/x-www-form-urlencoded' }, body: `login=${process.env.PLEX_USER}`,
      });
    }
  });
  await fctx.close();

  // ---- Plex on its own subdomain: sign in on the portal host, bootstrap on the Plex host ----
  const sctx = await browser.newContext();
  sctx.setDefaultTimeout(STEP_TIMEOUT);
  const spage = await sctx.newPage();
  const SUB_PORTAL = process.env.SUB_PORTAL;
  const SUB_PLEX = process.env.SUB_PLEX;

  await check('browser: Plex on a subdomain: sign in on the portal host, token stored on the Plex host', async () => {
    const rd = `${SUB_PLEX}/gatehouse/sso/plex?to=${encodeURIComponent('/web/')}`;
    await spage.goto(`${SUB_PORTAL}/gatehouse/login?rd=${encodeURIComponent(rd)}`);
    await spage.waitForSelector('#plex-sign-in');
    const popupPromise = spage.waitForEvent('popup');
    const landed = spage.waitForURL(`${SUB_PLEX}/web/`, { timeout: 30000 });
    await spage.click('#plex-sign-in');
    await popupPromise;
    await landed;
    const token = await spage.evaluate(() => localStorage.getItem('myPlexAccessToken'));
    expect(token === process.env.PLEX_TOKEN, `myPlexAccessToken on ${SUB_PLEX} is ${token === null ? 'unset' : 'a different value'}`);
    const session = (await sctx.cookies(SUB_PLEX)).find((c) => c.name === 'gatehouse_session');
    expect(session && session.domain === '.gatehouse.test', `session cookie ${JSON.stringify(session && session.domain)}`);
    await spage.goto(`${SUB_PORTAL}/`);
    const other = await spage.evaluate(() => localStorage.getItem('myPlexAccessToken'));
    expect(other === null, 'the token also leaked into the portal host\'s storage');
  });
  await sctx.close();
} finally {
  await browser.close();
}

process.exit(failed ? 1 : 0);
