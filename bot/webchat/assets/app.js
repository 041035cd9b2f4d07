// returnbot web chat: renders the conversation and talks to /webchat/api/message; polls
// /webchat/api/inbox for what the bot starts itself (a counsellor's answer, a reminder).
// Anonymous by design: the only identifier is a random id kept in this tab's sessionStorage.
(function () {
  'use strict';

  var API = '/webchat/api/message';
  var INBOX = '/webchat/api/inbox';
  var ID_KEY = 'returnbot.id';
  var LOG_KEY = 'returnbot.history';
  var SEQ_KEY = 'returnbot.seq';
  var MAX_HISTORY = 200;
  var POLL_MS = 5000;

  var log = document.getElementById('log');
  var form = document.getElementById('form');
  var input = document.getElementById('text');
  var sendBtn = document.getElementById('send');
  var statusEl = document.getElementById('status');
  var busy = false;
  // ui is the page's own words; the server sends them from the locale files with each answer,
  // in the conversation's language (these English ones are shown until the first answer).
  var UI_KEY = 'returnbot.ui';
  var ui = { offline: 'Connection problem, please try again.', wait: 'Please wait a moment.' };

  function storage() {
    try { return window.sessionStorage; } catch (e) { return null; }
  }
  var memory = {};
  function load(key) {
    var s = storage();
    try { return s ? s.getItem(key) : memory[key] || null; } catch (e) { return memory[key] || null; }
  }
  function save(key, value) {
    var s = storage();
    try { if (s) { s.setItem(key, value); return; } } catch (e) { /* full or blocked */ }
    memory[key] = value;
  }

  // randomID returns n random bytes as base64url (no padding).
  function randomID(n) {
    var b = new Uint8Array(n);
    window.crypto.getRandomValues(b);
    var s = '';
    for (var i = 0; i < b.length; i++) { s += String.fromCharCode(b[i]); }
    return btoa(s).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
  }

  var id = load(ID_KEY);
  if (!id || !/^[A-Za-z0-9_-]{16,64}$/.test(id)) {
    id = randomID(18);
    save(ID_KEY, id);
  }
  var history = [];
  try { history = JSON.parse(load(LOG_KEY) || '[]') || []; } catch (e) { history = []; }
  // lastSeq is the last inbox item shown: an item is shown only when its seq is higher, and the
  // server deletes items once a request acknowledges them, so each shows once, in order.
  var lastSeq = parseInt(load(SEQ_KEY) || '0', 10) || 0;

  function remember(entry) {
    history.push(entry);
    if (history.length > MAX_HISTORY) { history = history.slice(-MAX_HISTORY); }
    save(LOG_KEY, JSON.stringify(history));
  }

  function el(tag, cls, text) {
    var e = document.createElement(tag);
    if (cls) { e.className = cls; }
    if (text !== undefined) { e.textContent = text; }
    return e;
  }

  // applyUI puts the page's own words on its controls and keeps them for a reload.
  function applyUI(u) {
    if (!u || !u.send) { return; }
    ui = u;
    save(UI_KEY, JSON.stringify(u));
    input.placeholder = u.placeholder;
    document.querySelector('label[for="text"]').textContent = u.input;
    [[sendBtn, u.send], [document.getElementById('lang'), u.language], [document.getElementById('restart'), u.restart]].forEach(function (p) {
      p[0].setAttribute('aria-label', p[1]);
      p[0].title = p[1];
    });
  }

  function setDirection(lang, dir) {
    if (!lang) { return; }
    document.documentElement.lang = lang;
    document.documentElement.dir = dir === 'rtl' ? 'rtl' : 'ltr';
  }

  // renderUser shows what the user typed or pressed.
  function renderUser(entry) {
    var m = el('div', 'msg me');
    var b = el('div', 'bubble', entry.text);
    b.setAttribute('dir', 'auto');
    m.appendChild(b);
    log.appendChild(m);
    return m;
  }

  // PHONE finds the numbers a person may need to call at once: emergency and help lines
  // (110, 112, 113, 116 xxx) and numbers in international form (+47 23 10 53 20).
  var PHONE = /\+\d{2}(?: ?\d){8,10}|\b11[0-3]\b|\b116 ?\d{3}\b/g;

  // withCallLinks fills e with text, each phone number a one-tap tel: link.
  function withCallLinks(e, text) {
    var last = 0;
    text.replace(PHONE, function (num, at) {
      if (at > last) { e.appendChild(document.createTextNode(text.slice(last, at))); }
      var a = el('a', 'call', num);
      a.href = 'tel:' + num.replace(/ /g, '');
      e.appendChild(a);
      last = at + num.length;
      return num;
    });
    if (last < text.length) { e.appendChild(document.createTextNode(text.slice(last))); }
    return e;
  }

  // renderBot shows one bot reply: text, map pin, buttons.
  function renderBot(r) {
    var m = el('div', 'msg bot');
    if (r.lang) { m.setAttribute('lang', r.lang); }
    m.setAttribute('dir', r.dir === 'rtl' ? 'rtl' : 'ltr');
    if (r.text) { m.appendChild(withCallLinks(el('div', 'bubble'), r.text)); }
    if (r.venue) {
      var v = el('div', 'bubble venue');
      var a = el('a', '', r.venue.name || r.venue.address);
      a.href = r.venue.map;
      a.target = '_blank';
      a.rel = 'noopener noreferrer';
      v.appendChild(a);
      if (r.venue.address) { v.appendChild(el('span', 'addr', r.venue.address)); }
      m.appendChild(v);
    }
    if (r.buttons && r.buttons.length) {
      var g = el('div', 'buttons');
      g.setAttribute('role', 'group');
      r.buttons.forEach(function (btn) {
        var b = el('button', '', btn.label);
        b.type = 'button';
        b.setAttribute('data-choice', btn.data);
        g.appendChild(b);
      });
      m.appendChild(g);
    }
    log.appendChild(m);
    return m;
  }

  function render(entry) {
    return entry.me ? renderUser(entry) : renderBot(entry.reply);
  }

  // refreshButtons enables only the buttons offered since the user's last message.
  function refreshButtons() {
    var msgs = log.querySelectorAll('.msg');
    var live = true;
    for (var i = msgs.length - 1; i >= 0; i--) {
      if (msgs[i].classList.contains('me')) { live = false; }
      var bs = msgs[i].querySelectorAll('.buttons button');
      for (var j = 0; j < bs.length; j++) { bs[j].disabled = !live || busy; }
    }
  }

  function scrollDown() { log.scrollTop = log.scrollHeight; }

  function showStatus(text) {
    statusEl.textContent = text || '';
    statusEl.hidden = !text;
  }

  function setBusy(b) {
    busy = b;
    sendBtn.disabled = b;
    log.setAttribute('aria-busy', b ? 'true' : 'false');
    refreshButtons();
  }

  function sleep(ms) { return new Promise(function (r) { setTimeout(r, ms); }); }

  // showInbox renders the inbox items not shown yet and returns how many it showed.
  function showInbox(items) {
    var n = 0;
    (items || []).forEach(function (item) {
      if (!(item.seq > lastSeq)) { return; }
      (item.replies || []).forEach(function (r) {
        var e = { reply: r };
        remember(e);
        render(e);
        setDirection(r.lang, r.dir);
        n++;
      });
      lastSeq = item.seq;
      save(SEQ_KEY, String(lastSeq));
    });
    return n;
  }

  // post sends one message, retrying network errors and server errors with the same msg_id so
  // the server handles it once. A 503 means the server could not take the message yet (its
  // store is down): the page sends it again after Retry-After for as long as it takes, and
  // shows the outage notice the server sends with the first 503 (onNotice). Once resending, a
  // 429, another server error or a network error does not end it either.
  function post(body, attempt, onNotice, resending) {
    return fetch(API, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify(body),
      credentials: 'omit',
      cache: 'no-store',
      referrerPolicy: 'no-referrer'
    }).then(function (res) {
      if (res.status === 429) {
        var wait = parseInt(res.headers.get('Retry-After') || '2', 10);
        if (resending) {
          // The message waits for the server already: wait the time asked and go on.
          return sleep(1000 * Math.min(30, Math.max(1, wait || 2))).then(function () { return post(body, attempt, onNotice, true); });
        }
        var e = new Error('rate'); e.wait = wait; throw e;
      }
      if (res.status === 503) {
        var again = Math.min(30, Math.max(1, parseInt(res.headers.get('Retry-After') || '2', 10) || 2));
        return res.json().then(function (data) {
          if (data && data.replies && data.replies.length && onNotice) { onNotice(data.replies); }
        }, function () {}).then(function () {
          showStatus('⏳ …');
          return sleep(1000 * again);
        }).then(function () { return post(body, attempt, onNotice, true); });
      }
      if (res.status >= 500 && (attempt < 2 || resending)) {
        return sleep(1000 * Math.min(attempt + 1, 5)).then(function () { return post(body, attempt + 1, onNotice, resending); });
      }
      if (!res.ok) { throw new Error('http ' + res.status); }
      return res.json();
    }, function (err) {
      if (attempt < 2 || resending) { return sleep(1000 * Math.min(attempt + 1, 5)).then(function () { return post(body, attempt + 1, onNotice, resending); }); }
      throw err;
    });
  }

  // send posts a text or a choice; shown is the user's bubble text ('' for none).
  function send(payload, shown, focusAfter) {
    if (busy) { return; }
    showStatus('');
    if (shown) {
      var entry = { me: true, text: shown };
      remember(entry);
      render(entry);
    }
    setBusy(true);
    var typing = el('div', 'msg bot typing');
    typing.appendChild(el('div', 'bubble', '…'));
    log.appendChild(typing);
    scrollDown();
    payload.id = id;
    payload.msg_id = randomID(12);
    payload.ack = lastSeq;
    if (navigator.language) { payload.lang = navigator.language; }
    var notice = function (replies) {
      replies.forEach(function (r) {
        var e = { reply: r };
        remember(e);
        log.insertBefore(render(e), typing);
        setDirection(r.lang, r.dir);
      });
      scrollDown();
    };
    post(payload, 0, notice).then(function (data) {
      typing.remove();
      showStatus('');
      showInbox(data.inbox); // waited before this answer, so it goes first
      var first = null;
      (data.replies || []).forEach(function (r) {
        var e = { reply: r };
        remember(e);
        var m = render(e);
        if (!first) { first = m; }
        setDirection(r.lang, r.dir);
      });
      applyUI(data.ui);
      setBusy(false);
      scrollDown();
      var btn = log.querySelector('.msg:last-child .buttons button:not(:disabled)');
      if (focusAfter === 'buttons' && btn) { btn.focus(); } else if (focusAfter === 'input') { input.focus(); }
    }, function (err) {
      typing.remove();
      setBusy(false);
      showStatus(err && err.wait ? '⏳ ' + ui.wait + ' (' + err.wait + ' s)' : '⚠ ' + ui.offline);
    });
  }

  log.addEventListener('click', function (ev) {
    var b = ev.target.closest('button[data-choice]');
    if (!b || b.disabled) { return; }
    send({ choice: b.getAttribute('data-choice') }, b.textContent, 'buttons');
  });

  form.addEventListener('submit', function (ev) {
    ev.preventDefault();
    var text = input.value.trim();
    if (!text || busy) { return; }
    input.value = '';
    send({ text: text }, text, 'input');
  });

  input.addEventListener('keydown', function (ev) {
    if (ev.key === 'Enter' && !ev.shiftKey && !ev.isComposing) {
      ev.preventDefault();
      form.requestSubmit ? form.requestSubmit() : form.dispatchEvent(new Event('submit', { cancelable: true }));
    }
  });

  document.getElementById('lang').addEventListener('click', function () { send({ text: '/language' }, '', 'buttons'); });
  document.getElementById('restart').addEventListener('click', function () {
    history = [];
    save(LOG_KEY, '[]');
    log.textContent = '';
    send({ text: '/start' }, '', 'buttons');
  });

  // poll fetches the inbox while the page is visible. Its answer is dropped when a message went
  // out meanwhile: that message's answer brings the same items.
  var polling = false;
  var pollAfter = 0;
  function poll() {
    if (polling || busy || document.visibilityState === 'hidden' || Date.now() < pollAfter) { return; }
    polling = true;
    fetch(INBOX, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ id: id, ack: lastSeq }),
      credentials: 'omit',
      cache: 'no-store',
      referrerPolicy: 'no-referrer'
    }).then(function (res) {
      if (res.status === 429) {
        pollAfter = Date.now() + 1000 * parseInt(res.headers.get('Retry-After') || '5', 10);
        return null;
      }
      return res.ok ? res.json() : null;
    }).then(function (data) {
      polling = false;
      if (!data || busy) { return; }
      if (showInbox(data.inbox) > 0) {
        refreshButtons();
        scrollDown();
      }
    }, function () { polling = false; });
  }
  setInterval(poll, POLL_MS);
  document.addEventListener('visibilitychange', poll);
  window.addEventListener('focus', poll);

  try { applyUI(JSON.parse(load(UI_KEY) || 'null')); } catch (e) { /* none kept */ }
  history.forEach(function (e) {
    render(e);
    if (e.reply) { setDirection(e.reply.lang, e.reply.dir); }
  });
  refreshButtons();
  scrollDown();
  // A deep link (?lang=fa&topic=return&src=poster) starts afresh in that language at that
  // topic; the query is dropped from the address so a reload does not start over again.
  var link = /[?&](lang|topic|src)=/.test(location.search) ? location.search : '';
  if (link && window.history.replaceState) { window.history.replaceState(null, '', location.pathname + location.hash); }
  if (history.length === 0 || link) { send({ text: '/start', start: link || undefined }, '', ''); } else { poll(); }
})();
