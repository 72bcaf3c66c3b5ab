// The admin pages in a real browser (issue 15): headless Chromium against a
// gateway with a local user store. An admin adds a user, changes the group,
// ends a session of a second browser (signed out on its next request),
// locks; a co-admin cannot demote an admin; a normal user gets 403; a form
// posted from another site is refused; a user named like an HTML tag is
// shown as text; the Plex page's "Retrieve" signs in to the fake plex.tv
// with the PIN flow, lists the servers, writes [plex] token/machine_id into
// the gateway's file (comments kept) and reloads it.
//
// Run by scripts/e2e.sh, which passes:
//   E2E_NODE_DIR  directory holding node_modules/playwright-core
//   CHROMIUM      browser binary
//   ADMIN_GATEWAY the gateway's base URL
//   OUT           directory for screenshots
//   ROOT_PASSWORD / CO_PASSWORD / ALICE_PASSWORD  passwords of root (admin),
//                 co (co-admin) and alice (user)
//   ADMIN_CONF / ADMIN_LOG  the gateway's configuration file and its log
//   PLEX_URL / PLEX_USER / PLEX_TOKEN / MACHINE_ID  the fake plex.tv, its
//                 owner, the owner's token and server
// Prints one "PASS: name" or "FAIL: name: detail" line per check.
import { createRequire } from 'node:module';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

const require = createRequire(join(process.env.E2E_NODE_DIR, 'package.json'));
const { chromium } = require('playwright-core');

const GW = process.env.ADMIN_GATEWAY;
const OUT = process.env.OUT;
const STEP_TIMEOUT = 20000;
const XSS = '<img src=x onerror=alert(1)>';
const ERIN_PW = `erin-e2e-${Date.now()}`;
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

async function newPage(browser) {
  const ctx = await browser.newContext();
  ctx.setDefaultTimeout(STEP_TIMEOUT);
  const page = await ctx.newPage();
  return { ctx, page };
}

async function signIn(page, user, password) {
  await page.goto(`${GW}/gatehouse/login?rd=${encodeURIComponent('/app/')}`);
  await page.fill('#username', user);
  await page.fill('#password', password);
  await Promise.all([page.waitForNavigation(), page.click('#sign-in')]);
  expect(new URL(page.url()).pathname.startsWith('/app/'), `${user} not signed in: at ${page.url()}`);
}

async function submit(page, selector) {
  await Promise.all([page.waitForNavigation(), page.click(selector)]);
}

// Whether the page's browser is signed in: /app/ answers, or the gateway
// sends it to the sign-in page.
async function signedIn(page) {
  await page.goto(`${GW}/app/`);
  return !new URL(page.url()).pathname.startsWith('/gatehouse/login');
}

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM,
  args: ['--no-sandbox', '--disable-dev-shm-usage'],
});
let alerted = false;
try {
  const admin = await newPage(browser);
  admin.page.on('dialog', async (d) => { alerted = true; await d.dismiss(); });
  let erinUrl = '';
  let rootUrl = '';

  await check('admin: root signs in and sees the user list', async () => {
    await signIn(admin.page, 'root', process.env.ROOT_PASSWORD);
    const resp = await admin.page.goto(`${GW}/gatehouse/admin`);
    expect(resp.status() === 200, `status ${resp.status()}`);
    expect(new URL(admin.page.url()).pathname === '/gatehouse/admin/users', admin.page.url());
    for (const u of ['root', 'co', 'alice']) {
      expect(await admin.page.$(`#users tr[data-user="${u}"]`), `no row for ${u}`);
    }
    rootUrl = await admin.page.getAttribute('#users tr[data-user="root"] a', 'href');
    await admin.page.screenshot({ path: join(OUT, 'admin-users.png'), fullPage: true });
  });

  await check('admin: add a user with the form', async () => {
    await admin.page.fill('#new-name', 'erin');
    await admin.page.fill('#new-email', 'erin@example.org');
    await admin.page.selectOption('#new-group', '4');
    await admin.page.fill('#new-password', ERIN_PW);
    await submit(admin.page, '#add-user');
    expect((await admin.page.textContent('#notice')).includes('User added'), 'no notice');
    expect((await admin.page.textContent('#user-group')) === 'user (4)', await admin.page.textContent('#user-group'));
    erinUrl = admin.page.url().split('?')[0];
  });

  await check('admin: change the group', async () => {
    await admin.page.selectOption('#group', '3');
    await submit(admin.page, '#change-group');
    const g = await admin.page.textContent('#user-group');
    expect(g === 'power-user (3)', g);
  });

  const erin = await newPage(browser);
  await check('admin: end a session of another browser; it is signed out on its next request', async () => {
    await signIn(erin.page, 'erin', ERIN_PW);
    expect(await signedIn(erin.page), 'erin not signed in');
    await admin.page.goto(erinUrl);
    expect((await admin.page.textContent('#user-sessions')) === '1', 'erin has no live session');
    await submit(admin.page, '#sessions button.revoke');
    expect((await admin.page.textContent('#notice')).includes('Session ended'), 'no notice');
    expect(!(await signedIn(erin.page)), 'erin still signed in after the revocation');
    await erin.page.screenshot({ path: join(OUT, 'admin-revoked-browser.png') });
  });

  await check('admin: lock the user; the signed-in browser is signed out', async () => {
    await signIn(erin.page, 'erin', ERIN_PW);
    await admin.page.goto(erinUrl);
    await submit(admin.page, '#lock');
    expect((await admin.page.textContent('#user-locked')) === 'yes', 'not shown as locked');
    expect(!(await signedIn(erin.page)), 'erin still signed in after the lock');
    await admin.page.screenshot({ path: join(OUT, 'admin-user.png'), fullPage: true });
  });

  await check('admin: the sessions page lists live sessions with client and user agent', async () => {
    await admin.page.goto(`${GW}/gatehouse/admin/sessions`);
    const row = await admin.page.textContent('#sessions tr[data-user="root"]');
    expect(row.includes('127.0.0.1') && row.includes('HeadlessChrome'), row);
    await admin.page.screenshot({ path: join(OUT, 'admin-sessions.png'), fullPage: true });
  });

  await check('co-admin: cannot demote an admin', async () => {
    const co = await newPage(browser);
    await signIn(co.page, 'co', process.env.CO_PASSWORD);
    await co.page.goto(`${GW}${rootUrl}`);
    expect(await co.page.$('#read-only'), 'no read-only note on the admin\'s page');
    expect(!(await co.page.$('#change-group')), 'a group form on the admin\'s page');
    // the form posted anyway, same-origin, from the co-admin's page
    const status = await co.page.evaluate(async (url) => {
      const r = await fetch(url, { method: 'POST', body: new URLSearchParams({ group: '4' }), redirect: 'manual' });
      return r.status;
    }, `${GW}${rootUrl}/group`);
    expect(status === 403, `status ${status}`);
    await admin.page.goto(`${GW}${rootUrl}`);
    const g = await admin.page.textContent('#user-group');
    expect(g === 'admin (0)', `root is now ${g}`);
    await co.ctx.close();
  });

  await check('normal user: the admin pages answer 403', async () => {
    const alice = await newPage(browser);
    await signIn(alice.page, 'alice', process.env.ALICE_PASSWORD);
    for (const p of ['/gatehouse/admin/users', '/gatehouse/admin/sessions', '/gatehouse/admin/routes']) {
      const resp = await alice.page.goto(`${GW}${p}`);
      expect(resp.status() === 403, `${p}: ${resp.status()}`);
    }
    await alice.ctx.close();
  });

  await check('cross-site: a form posted from another site is refused', async () => {
    await admin.ctx.route('http://evil.example/**', (route) => route.fulfill({
      contentType: 'text/html',
      body: `<form id="f" method="post" action="${erinUrl}/group"><input name="group" value="0"></form>`
        + '<script>document.getElementById("f").submit()</script>',
    }));
    const [resp] = await Promise.all([
      admin.page.waitForNavigation({ url: `${erinUrl}/group` }),
      admin.page.goto('http://evil.example/'),
    ]);
    expect(resp.status() === 403, `status ${resp.status()}`);
    expect((await admin.page.content()).includes('cross-site request refused'), await admin.page.content());
    await admin.page.goto(erinUrl);
    const g = await admin.page.textContent('#user-group');
    expect(g === 'power-user (3)', `erin is now ${g}`);
  });

  await check('escaping: a user named like an HTML tag is shown as text', async () => {
    await admin.page.goto(`${GW}/gatehouse/admin/users`);
    await admin.page.fill('#new-name', XSS);
    await admin.page.fill('#new-password', 'xss-e2e-pw');
    await submit(admin.page, '#add-user');
    expect((await admin.page.textContent('#user-name')) === XSS, await admin.page.textContent('#user-name'));
    await admin.page.goto(`${GW}/gatehouse/admin/users`);
    const cells = await admin.page.$$eval('#users a', (as) => as.map((a) => a.textContent));
    expect(cells.includes(XSS), JSON.stringify(cells));
    expect((await admin.page.$$('main img')).length === 0, 'an img element was created');
    expect(!alerted, 'an alert ran');
    await admin.page.screenshot({ path: join(OUT, 'admin-escaped.png'), fullPage: true });
  });

  await check('plex: Retrieve signs in to plex.tv with a PIN, saves token and machine_id, reloads', async () => {
    const { PLEX_URL, PLEX_USER, PLEX_TOKEN, MACHINE_ID, ADMIN_CONF, ADMIN_LOG } = process.env;
    const html = []; // every page of the gateway the browser received
    const seen = async (r) => {
      if (r.url().startsWith(GW) && (r.headers()['content-type'] || '').startsWith('text/html')) {
        html.push(await r.text().catch(() => ''));
      }
    };
    admin.page.on('response', seen);
    // the fake's app.plex.tv page approves as the owner (browser.mjs may have changed it)
    const set = await fetch(`${PLEX_URL}/__fake/approver`, {
      method: 'POST', headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ login: PLEX_USER }),
    });
    expect(set.ok, `fake approver not set: ${set.status}`);
    const before = readFileSync(ADMIN_CONF, 'utf8');
    expect(!before.includes('machine_id'), 'machine_id already in the file');
    const reloadsBefore = (readFileSync(ADMIN_LOG, 'utf8').match(/gatehouse::reload: configuration reloaded.*result="ok"/g) || []).length;

    await admin.page.goto(`${GW}/gatehouse/admin/plex`);
    expect((await admin.page.textContent('#token')) === 'not set', await admin.page.textContent('#token'));
    await submit(admin.page, 'form[action$="/admin/plex/pin"] button');
    const authUrl = await admin.page.getAttribute('#plex-auth', 'href');
    expect(authUrl && authUrl.startsWith(`${PLEX_URL}/auth#`), `app.plex.tv link after Retrieve: ${authUrl}`);
    // checked before the PIN is approved: still pending
    await submit(admin.page, 'form[action$="/admin/plex/check"] button');
    expect((await admin.page.content()).includes('not approved the PIN yet'), 'PIN not pending before approval');
    // the app.plex.tv page (the fake's) approves the PIN in its own window
    const popup = await admin.ctx.newPage();
    await popup.goto(authUrl);
    await popup.waitForFunction(() => document.getElementById('state').textContent === 'approved');
    await popup.close();
    await submit(admin.page, 'form[action$="/admin/plex/check"] button');
    const radios = await admin.page.$$eval('input[name="machine_id"]', (rs) => rs.map((r) => [r.value, r.checked]));
    expect(radios.length === 2, `servers ${JSON.stringify(radios)}`);
    expect(JSON.stringify(radios.find((r) => r[0] === MACHINE_ID)) === JSON.stringify([MACHINE_ID, true]),
      `the owned server is not ticked: ${JSON.stringify(radios)}`);
    expect((await admin.page.textContent('main')).includes('Shared & Co'), 'shared server name not shown as text');
    await admin.page.check(`input[name="machine_id"][value="${MACHINE_ID}"]`);
    await admin.page.screenshot({ path: join(OUT, 'admin-plex-servers.png'), fullPage: true });
    await submit(admin.page, 'form[action$="/admin/plex/save"] button');
    // (a) the page says it saved
    const saved = await admin.page.textContent('#saved');
    expect(saved.startsWith('Saved.'), saved);
    // (b) the file has both values, its comments and its layout
    const after = readFileSync(ADMIN_CONF, 'utf8');
    expect(after.includes(`# the owner's token\ntoken = "${PLEX_TOKEN}"   # Retrieve fills this\n`), after);
    expect(after.includes(`machine_id = "${MACHINE_ID}"`), after);
    expect(after.includes('# Plex: filled by the admin page\'s Retrieve (admin.mjs); plex.tv is the fake.\n[plex]\n'), after);
    expect(after.startsWith('[server]\n') && after.includes('[[route]]\nname = "app"'), after);
    // (c) the gateway reloaded: its log says so and the page shows the new values
    const deadline = Date.now() + STEP_TIMEOUT;
    for (;;) {
      const log = readFileSync(ADMIN_LOG, 'utf8');
      const reloads = (log.match(/gatehouse::reload: configuration reloaded.*result="ok"/g) || []).length;
      await admin.page.goto(`${GW}/gatehouse/admin/plex`);
      const shown = (await admin.page.textContent('#machine_id')) === MACHINE_ID
        && (await admin.page.textContent('#token')) === 'set';
      if (reloads > reloadsBefore && shown) { break; }
      expect(Date.now() < deadline, `not reloaded: ${reloads} reload lines, page ${await admin.page.textContent('table')}`);
      await new Promise((r) => setTimeout(r, 100));
    }
    await admin.page.screenshot({ path: join(OUT, 'admin-plex-saved.png'), fullPage: true });
    admin.page.off('response', seen);
    // (d) the token never reached a page
    expect(html.length >= 6, `only ${html.length} pages seen`);
    expect(!html.some((h) => h.includes(PLEX_TOKEN)), 'the Plex token is in a page');
  });
} finally {
  await browser.close();
}
process.exit(failed ? 1 : 0);
