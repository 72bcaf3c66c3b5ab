// Passkeys (WebAuthn) for the portal: register one (security page), use one
// as the second factor (the 2fa page), or sign in without a password (the
// sign-in page). The server's JSON carries binary fields as base64url; the
// browser API wants ArrayBuffers. No external resources.
(function () {
  var button = document.querySelector('[data-action][data-prefix]');
  var status = document.getElementById('passkey-status');
  if (!button) { return; }
  var prefix = button.getAttribute('data-prefix') || '';
  var action = button.getAttribute('data-action');
  function say(text) { if (status) { status.textContent = text; } }
  function bytes(b64u) {
    var b64 = b64u.replace(/-/g, '+').replace(/_/g, '/');
    while (b64.length % 4) { b64 += '='; }
    var raw = atob(b64), out = new Uint8Array(raw.length);
    for (var i = 0; i < raw.length; i++) { out[i] = raw.charCodeAt(i); }
    return out.buffer;
  }
  function b64u(buf) {
    if (!buf) { return null; }
    var s = '', a = new Uint8Array(buf);
    for (var i = 0; i < a.length; i++) { s += String.fromCharCode(a[i]); }
    return btoa(s).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
  }
  function post(path, body) {
    return fetch(prefix + path, {
      method: 'POST', credentials: 'same-origin',
      headers: {'Content-Type': 'application/json'}, body: JSON.stringify(body || {})
    }).then(function (r) {
      return r.json().then(function (j) { if (!r.ok) { throw new Error(j.error || r.status); } return j; });
    });
  }
  function creation(o) {
    var pk = o.publicKey;
    pk.challenge = bytes(pk.challenge);
    pk.user.id = bytes(pk.user.id);
    (pk.excludeCredentials || []).forEach(function (c) { c.id = bytes(c.id); });
    return {publicKey: pk};
  }
  function request(o) {
    var pk = o.publicKey;
    pk.challenge = bytes(pk.challenge);
    (pk.allowCredentials || []).forEach(function (c) { c.id = bytes(c.id); });
    return {publicKey: pk};
  }
  function attestation(c) {
    return {id: c.id, rawId: b64u(c.rawId), type: c.type,
      extensions: c.getClientExtensionResults ? c.getClientExtensionResults() : {},
      response: {attestationObject: b64u(c.response.attestationObject), clientDataJSON: b64u(c.response.clientDataJSON),
        transports: c.response.getTransports ? c.response.getTransports() : []}};
  }
  function assertion(c) {
    return {id: c.id, rawId: b64u(c.rawId), type: c.type,
      extensions: c.getClientExtensionResults ? c.getClientExtensionResults() : {},
      response: {authenticatorData: b64u(c.response.authenticatorData), clientDataJSON: b64u(c.response.clientDataJSON),
        signature: b64u(c.response.signature), userHandle: b64u(c.response.userHandle)}};
  }
  function fail(e) { button.disabled = false; say('Passkey failed: ' + (e && e.message || e)); }
  button.addEventListener('click', function () {
    if (!window.PublicKeyCredential) { say('This browser has no passkey support.'); return; }
    button.disabled = true;
    say('Waiting for your passkey…');
    if (action === 'register') {
      var name = (document.getElementById('passkey-name') || {}).value || 'passkey';
      post('/passkeys/register/start').then(function (o) { return navigator.credentials.create(creation(o)); })
        .then(function (c) { return post('/passkeys/register/finish', {name: name, credential: attestation(c)}); })
        .then(function () { say('Passkey added.'); window.location.reload(); }, fail);
    } else if (action === 'second-factor') {
      post('/passkeys/auth/start').then(function (o) { return navigator.credentials.get(request(o)); })
        .then(function (c) { return post('/passkeys/auth/finish', {credential: assertion(c)}); })
        .then(function (r) { say('Verified.'); window.location.href = r.redirect; }, fail);
    } else if (action === 'sign-in') {
      var rd = (document.querySelector('input[name=rd]') || {}).value || '';
      post('/passkeys/login/start').then(function (o) { return navigator.credentials.get(request(o)); })
        .then(function (c) { return post('/passkeys/login/finish', {credential: assertion(c), rd: rd}); })
        .then(function (r) { say('Signed in.'); window.location.href = r.redirect; }, fail);
    }
  });
})();
