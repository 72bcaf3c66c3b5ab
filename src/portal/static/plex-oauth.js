// "Sign in with Plex": start a PIN at the gateway, open app.plex.tv's auth
// page in a popup, and poll the gateway until plex.tv has a token for the PIN.
(function () {
  var button = document.getElementById('plex-sign-in');
  var status = document.getElementById('plex-status');
  if (!button) { return; }
  var prefix = button.getAttribute('data-prefix') || '';
  var rd = button.getAttribute('data-rd') || '';
  function say(text) { if (status) { status.textContent = text; } }
  button.addEventListener('click', function () {
    var popup = window.open('', 'plex-auth', 'width=600,height=700');
    button.disabled = true;
    say('Waiting for Plex…');
    fetch(prefix + '/plex/pin', {
      method: 'POST', credentials: 'same-origin',
      headers: {'Content-Type': 'application/json'}, body: '{}'
    }).then(function (r) {
      if (!r.ok) { throw new Error('pin ' + r.status); }
      return r.json();
    }).then(function (pin) {
      if (popup) { popup.location.href = pin.auth_url; } else { window.open(pin.auth_url, 'plex-auth'); }
      var deadline = Date.now() + 10 * 60 * 1000;
      function poll() {
        fetch(prefix + '/plex/pin/' + encodeURIComponent(pin.id), {credentials: 'same-origin'})
          .then(function (r) { return r.json(); })
          .then(function (s) {
            if (s.status === 'done') {
              if (popup && !popup.closed) { popup.close(); }
              say('Signed in.');
              window.location.href = s.rd || rd || prefix + '/';
            } else if (s.status === 'pending' && Date.now() < deadline && !(popup && popup.closed && s.abandoned)) {
              setTimeout(poll, 1000);
            } else {
              button.disabled = false;
              say(s.status === 'denied' ? 'Plex sign-in refused.' : 'Plex sign-in expired; try again.');
            }
          }).catch(function () { setTimeout(poll, 2000); });
      }
      poll();
    }).catch(function () {
      if (popup && !popup.closed) { popup.close(); }
      button.disabled = false;
      say('Plex is not reachable right now.');
    });
  });
})();
