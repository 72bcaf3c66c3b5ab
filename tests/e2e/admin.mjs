// The admin pages in a real browser (issue 15): headless Chromium against a
// gateway with a local user store. An admin adds a user, changes the group,
// ends a session of a second browser (signed out on its next request),
// locks; a co-admin cannot demote an admin; a normal user gets 403; a form
// posted from another site is refused; a user named like an HTML tag is
// shown as text.
//
// Run by scripts/e2e.sh, which passes:
//   E2E_NODE_DIR  directory holding node_modules/playwright-core
//   CHROMIUM      browser binary
//   ADMIN_GATEWAY the gateway's base URL
//   OUT           directory for screenshots
//   ROOT_PASSWORD / CO_PASSWORD / ALICE_PASSWORD  passwords of root (admin),
//                 co (co-admin) and alice (user)
// Prints one "PASS: name" or "FAIL: name: detail" line per check.
import { createRequire } from 'node:module';
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
} finally {
  await browser.close();
}
process.exit(failed ? 1 : 0);
