// Passkeys in a real browser (issue 14): headless Chromium with the DevTools
// virtual authenticator (WebAuthn.addVirtualAuthenticator through
// playwright-core's CDP session) against a gateway whose public_url is
// http://localhost:PORT (a secure context; the relying-party ID is
// "localhost").
//
// Run by scripts/e2e.sh, which passes:
//   E2E_NODE_DIR  directory holding node_modules/playwright-core
//   CHROMIUM      browser binary
//   PK_GATEWAY    the gateway's base URL (http://localhost:PORT)
//   OUT           directory for screenshots
//   CAROL_PASSWORD / DAVE_PASSWORD  the two users' passwords
// Prints one "PASS: name" or "FAIL: name: detail" line per check.
import { createRequire } from 'node:module';
import { join } from 'node:path';

const require = createRequire(join(process.env.E2E_NODE_DIR, 'package.json'));
const { chromium } = require('playwright-core');

const GW = process.env.PK_GATEWAY;
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

// A page with its own virtual platform authenticator (resident keys, user
// verification, presence simulated).
async function pageWithAuthenticator(browser) {
  const ctx = await browser.newContext();
  ctx.setDefaultTimeout(STEP_TIMEOUT);
  const page = await ctx.newPage();
  const cdp = await ctx.newCDPSession(page);
  await cdp.send('WebAuthn.enable');
  const { authenticatorId } = await cdp.send('WebAuthn.addVirtualAuthenticator', {
    options: {
      protocol: 'ctap2', transport: 'internal', hasResidentKey: true,
      hasUserVerification: true, isUserVerified: true, automaticPresenceSimulation: true,
    },
  });
  return { ctx, page, cdp, authenticatorId };
}

async function me(page) {
  return page.evaluate(async () => {
    const r = await fetch('/gatehouse/api/me');
    return r.ok ? r.json() : { status: r.status };
  });
}

async function passwordSignIn(page, user, password, rd) {
  await page.goto(`${GW}/gatehouse/login?rd=${encodeURIComponent(rd)}`);
  await page.fill('#username', user);
  await page.fill('#password', password);
  await Promise.all([page.waitForNavigation(), page.click('#sign-in')]);
}

async function signOut(page) {
  await page.goto(`${GW}/gatehouse/logout`);
  if (await page.$('#sign-out')) {
    await Promise.all([page.waitForNavigation(), page.click('#sign-out')]);
  }
}

async function register(page, name) {
  await page.goto(`${GW}/gatehouse/account/security`);
  await page.fill('#passkey-name', name);
  await Promise.all([page.waitForNavigation(), page.click('#passkey-register')]);
  const table = await page.textContent('#passkeys');
  expect(table.includes(name), `passkey list: ${table}`);
}

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
  headless: true,
  args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update',
    '--disable-sync', '--no-first-run', '--disable-quic'],
});

try {
  const carol = await pageWithAuthenticator(browser);
  const dave = await pageWithAuthenticator(browser);

  await check('passkeys: register a passkey on the security page (virtual authenticator)', async () => {
    await passwordSignIn(carol.page, 'carol', process.env.CAROL_PASSWORD, '/gatehouse/account/security');
    await register(carol.page, 'carol laptop');
    const { credentials } = await carol.cdp.send('WebAuthn.getCredentials', { authenticatorId: carol.authenticatorId });
    expect(credentials.length === 1 && credentials[0].rpId === 'localhost', `credentials ${JSON.stringify(credentials.map((c) => c.rpId))}`);
    expect(credentials[0].isResidentCredential, 'a discoverable credential');
    await carol.page.screenshot({ path: join(OUT, 'passkeys-security.png'), fullPage: true });
  });

  await check('passkeys: several per user (a second authenticator registers too)', async () => {
    // One authenticator holds one credential per account (the server sends
    // the first as excludeCredentials): the second passkey is another device.
    await carol.cdp.send('WebAuthn.removeVirtualAuthenticator', { authenticatorId: carol.authenticatorId });
    const added = await carol.cdp.send('WebAuthn.addVirtualAuthenticator', {
      options: {
        protocol: 'ctap2', transport: 'internal', hasResidentKey: true,
        hasUserVerification: true, isUserVerified: true, automaticPresenceSimulation: true,
      },
    });
    carol.authenticatorId = added.authenticatorId;
    await register(carol.page, 'carol second');
    const rows = await carol.page.$$eval('#passkeys tr', (trs) => trs.length);
    expect(rows === 3, `rows ${rows}`);
    const { credentials } = await carol.cdp.send('WebAuthn.getCredentials', { authenticatorId: carol.authenticatorId });
    expect(credentials.length === 1, `credentials ${credentials.length}`);
  });

  await check('passkeys: sign in with the password, then the passkey as second factor', async () => {
    await signOut(carol.page);
    await passwordSignIn(carol.page, 'carol', process.env.CAROL_PASSWORD, '/gatehouse/account/security');
    expect(new URL(carol.page.url()).pathname === '/gatehouse/2fa', `after the password at ${carol.page.url()}`);
    const before = await me(carol.page);
    expect(before.status === 401, `signed in before the second factor: ${JSON.stringify(before)}`);
    await carol.page.screenshot({ path: join(OUT, 'passkeys-2fa.png'), fullPage: true });
    await Promise.all([carol.page.waitForURL(`${GW}/gatehouse/account/security`), carol.page.click('#passkey-verify')]);
    const after = await me(carol.page);
    expect(after.user === 'carol', `api/me ${JSON.stringify(after)}`);
    const text = await carol.page.textContent('main');
    expect(text.includes('with a second factor'), 'the session passed the second factor');
  });

  await check('passkeys: passwordless sign-in with a discoverable passkey', async () => {
    await signOut(carol.page);
    await carol.page.goto(`${GW}/gatehouse/login?rd=${encodeURIComponent('/gatehouse/account/security')}`);
    await Promise.all([carol.page.waitForURL(`${GW}/gatehouse/account/security`), carol.page.click('#passkey-sign-in')]);
    const after = await me(carol.page);
    expect(after.user === 'carol', `api/me ${JSON.stringify(after)}`);
  });

  await check('passkeys: a passkey of another user is refused as second factor', async () => {
    // dave registers his own passkey, so his sign-in asks for one.
    await passwordSignIn(dave.page, 'dave', process.env.DAVE_PASSWORD, '/gatehouse/account/security');
    await register(dave.page, 'dave phone');
    await signOut(dave.page);
    // In carol's browser (her authenticator), dave's password passes…
    await signOut(carol.page);
    await passwordSignIn(carol.page, 'dave', process.env.DAVE_PASSWORD, '/gatehouse/account/security');
    expect(new URL(carol.page.url()).pathname === '/gatehouse/2fa', `at ${carol.page.url()}`);
    // …and carol's passkey answers the challenge (any credential allowed).
    const outcome = await carol.page.evaluate(async () => {
      const b = (s) => Uint8Array.from(atob(s.replace(/-/g, '+').replace(/_/g, '/') + '==='.slice((s.length + 3) % 4)), (c) => c.charCodeAt(0)).buffer;
      const u = (buf) => buf && btoa(String.fromCharCode(...new Uint8Array(buf))).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
      const post = (path, body) => fetch('/gatehouse' + path, {
        method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body || {}),
      });
      const start = await (await post('/passkeys/auth/start')).json();
      const pk = start.publicKey;
      pk.challenge = b(pk.challenge);
      delete pk.allowCredentials;
      const c = await navigator.credentials.get({ publicKey: pk });
      const r = await post('/passkeys/auth/finish', { credential: {
        id: c.id, rawId: u(c.rawId), type: c.type, extensions: {},
        response: { authenticatorData: u(c.response.authenticatorData), clientDataJSON: u(c.response.clientDataJSON),
          signature: u(c.response.signature), userHandle: u(c.response.userHandle) } } });
      const me = await fetch('/gatehouse/api/me');
      return { finish: r.status, me: me.status };
    });
    expect(outcome.finish === 401 && outcome.me === 401, `outcome ${JSON.stringify(outcome)}`);
  });

  await check('passkeys: dave signs in with his own passkey in his own browser', async () => {
    await passwordSignIn(dave.page, 'dave', process.env.DAVE_PASSWORD, '/gatehouse/account/security');
    await Promise.all([dave.page.waitForURL(`${GW}/gatehouse/account/security`), dave.page.click('#passkey-verify')]);
    const after = await me(dave.page);
    expect(after.user === 'dave', `api/me ${JSON.stringify(after)}`);
  });

  await carol.ctx.close();
  await dave.ctx.close();
} finally {
  await browser.close();
}

process.exit(failed ? 1 : 0);
