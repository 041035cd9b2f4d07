// returnbot web chat loader: <script src="https://BOT/webchat/embed.js" async></script>
// adds a chat button that opens the chat in an iframe. Nothing is read from the host page, and
// the chat (and so a session) starts only when the visitor opens it.
(function () {
  'use strict';
  var me = document.currentScript;
  if (!me || !me.src) { return; }
  var origin = new URL(me.src).origin;
  // The server fills in its "Open the chat" in the visitor's language (Accept-Language).
  var label = me.getAttribute('data-label') || /*open*/"Chat";
  var open = false;
  var frame = null;

  var btn = document.createElement('button');
  btn.type = 'button';
  btn.textContent = label;
  btn.setAttribute('aria-expanded', 'false');
  btn.style.cssText = 'position:fixed;bottom:16px;inset-inline-end:16px;z-index:2147483646;' +
    'padding:12px 18px;border:0;border-radius:24px;background:#0b5cad;color:#fff;font:600 18px system-ui,sans-serif;' +
    'box-shadow:0 2px 8px rgba(0,0,0,.3);cursor:pointer';

  // makeFrame loads the chat on the first open only: a visitor who never opens it never talks
  // to the bot's server beyond this script.
  function makeFrame() {
    frame = document.createElement('iframe');
    frame.title = label;
    frame.src = origin + '/webchat/';
    frame.referrerPolicy = 'no-referrer';
    frame.setAttribute('allow', '');
    frame.style.cssText = 'position:fixed;bottom:76px;inset-inline-end:16px;z-index:2147483647;display:none;' +
      'width:min(420px,calc(100vw - 32px));height:min(640px,calc(100vh - 100px));border:1px solid #c9d1d9;' +
      'border-radius:12px;background:#fff;box-shadow:0 4px 16px rgba(0,0,0,.3)';
    document.body.appendChild(frame);
  }

  function toggle(on) {
    open = on;
    if (on && !frame) { makeFrame(); }
    if (frame) { frame.style.display = on ? 'block' : 'none'; }
    btn.setAttribute('aria-expanded', on ? 'true' : 'false');
    if (on) { frame.focus(); } else { btn.focus(); }
  }

  btn.addEventListener('click', function () { toggle(!open); });
  // The chat's own close button (and Escape in it) asks to be closed.
  window.addEventListener('message', function (ev) {
    if (frame && ev.origin === origin && ev.source === frame.contentWindow && ev.data && ev.data.returnbot === 'close') {
      toggle(false);
    }
  });
  document.body.appendChild(btn);
})();
