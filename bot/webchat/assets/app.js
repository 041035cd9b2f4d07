// returnbot web chat: renders the conversation and talks to /webchat/api/message; polls
// /webchat/api/inbox for what the bot starts itself (a counsellor's answer, a reminder).
// Anonymous by design: the only identifier is a random id, kept in this tab's sessionStorage,
// or in localStorage when the user chose to keep the conversation on this device.
(function () {
  'use strict';

  var API = '/webchat/api/message';
  var INBOX = '/webchat/api/inbox';
  var ID_KEY = 'returnbot.id';
  var LOG_KEY = 'returnbot.history';
  var SEQ_KEY = 'returnbot.seq';
  var UI_KEY = 'returnbot.ui';
  var QUEUE_KEY = 'returnbot.queue';
  var ASKED_KEY = 'returnbot.asked';
  var KEEP_KEY = 'returnbot.keep';
  var KEYS = [ID_KEY, LOG_KEY, SEQ_KEY, UI_KEY, QUEUE_KEY, ASKED_KEY];
  var MAX_HISTORY = 200;
  var POLL_MS = 5000;
  var MAX_BACKOFF_MS = 30000;

  var $ = function (id) { return document.getElementById(id); };
  var log = $('log');
  var form = $('form');
  var input = $('text');
  var sendBtn = $('send');
  var statusEl = $('status');
  var cardBtn = $('card');
  var embedded = window.parent !== window;

  // ui is the page's own words: the server puts them, in the browser's language, into the page
  // and sends them again with each answer, in the conversation's language.
  var ui = {};
  try { ui = JSON.parse($('ui').textContent) || {}; } catch (e) { ui = {}; }
  var baseTitle = document.title;

  // Storage: sessionStorage (this tab only) unless the user chose to keep the conversation on
  // this device (localStorage). Memory when both are blocked.
  function area(name) { try { return window[name]; } catch (e) { return null; } }
  var keep = false;
  try { keep = !!area('localStorage') && area('localStorage').getItem(KEEP_KEY) === '1'; } catch (e) { keep = false; }
  var memory = {};
  function storage() { return area(keep ? 'localStorage' : 'sessionStorage'); }
  function load(key) {
    var s = storage();
    try { return s ? s.getItem(key) : memory[key] || null; } catch (e) { return memory[key] || null; }
  }
  function save(key, value) {
    var s = storage();
    try { if (s) { s.setItem(key, value); return; } } catch (e) { /* full or blocked */ }
    memory[key] = value;
  }
  // wipeDevice removes every copy of the conversation from this device.
  function wipeDevice() {
    ['localStorage', 'sessionStorage'].forEach(function (name) {
      var s = area(name);
      if (!s) { return; }
      try { KEYS.concat([KEEP_KEY]).forEach(function (k) { s.removeItem(k); }); } catch (e) { /* blocked */ }
    });
    memory = {};
    keep = false;
  }
  // keepOnDevice moves the conversation to localStorage, where it outlives the tab.
  function keepOnDevice() {
    var from = area('sessionStorage'), to = area('localStorage');
    if (!to) { return false; }
    try {
      KEYS.forEach(function (k) {
        var v = from ? from.getItem(k) : memory[k];
        if (v !== null && v !== undefined) { to.setItem(k, v); }
        if (from) { from.removeItem(k); }
      });
      to.setItem(KEEP_KEY, '1');
    } catch (e) { return false; }
    keep = true;
    return true;
  }

  // randomID returns n random bytes as base64url (no padding).
  function randomID(n) {
    var b = new Uint8Array(n);
    window.crypto.getRandomValues(b);
    var s = '';
    for (var i = 0; i < b.length; i++) { s += String.fromCharCode(b[i]); }
    return btoa(s).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
  }
  function parse(key, fallback) {
    try { return JSON.parse(load(key) || 'null') || fallback; } catch (e) { return fallback; }
  }

  var id, history, lastSeq, queue;
  function loadState() {
    id = load(ID_KEY);
    if (!id || !/^[A-Za-z0-9_-]{16,64}$/.test(id)) {
      id = randomID(18);
      save(ID_KEY, id);
    }
    history = parse(LOG_KEY, []);
    // lastSeq is the last inbox item shown: an item is shown only when its seq is higher, and
    // the server deletes items once a request acknowledges them, so each shows once, in order.
    lastSeq = parseInt(load(SEQ_KEY) || '0', 10) || 0;
    // queue holds the messages not yet answered, oldest first, each with its msg_id: they are
    // sent again, with the same id, until the server answers, so each is handled once.
    queue = parse(QUEUE_KEY, []);
  }
  loadState();

  function saveHistory() {
    if (history.length > MAX_HISTORY) { history = history.slice(-MAX_HISTORY); }
    save(LOG_KEY, JSON.stringify(history));
  }
  function remember(entry) { history.push(entry); saveHistory(); }
  function saveQueue() { save(QUEUE_KEY, JSON.stringify(queue)); }

  function el(tag, cls, text) {
    var e = document.createElement(tag);
    if (cls) { e.className = cls; }
    if (text !== undefined) { e.textContent = text; }
    return e;
  }
  function label(elem, text) {
    if (!text) { return; }
    elem.setAttribute('aria-label', text);
    elem.title = text;
  }

  // applyUI puts the page's own words on its controls and keeps them for a reload.
  function applyUI(u) {
    if (!u || !u.send) { return; }
    ui = u;
    save(UI_KEY, JSON.stringify(u));
    input.placeholder = u.placeholder;
    document.querySelector('label[for="text"]').textContent = u.input;
    label(sendBtn, u.send);
    label($('lang'), u.language);
    label($('restart'), u.restart);
    label($('back'), u.back);
    label(cardBtn, u.card);
    label($('close'), u.close);
    if (u.conversation) { log.setAttribute('aria-label', u.conversation); }
    if (u.office) {
      baseTitle = u.office;
      $('title').textContent = u.office;
      showUnread();
    }
  }

  function setDirection(lang, dir) {
    if (!lang) { return; }
    document.documentElement.lang = lang;
    document.documentElement.dir = dir === 'rtl' ? 'rtl' : 'ltr';
  }

  // clock shows a message's time in the page's language, with the digits the bot's own times
  // and phone numbers use (0-9), so a Dari or Arabic page does not mix two kinds of digits.
  function clock(t, lang) {
    if (!t) { return ''; }
    try {
      return new Intl.DateTimeFormat((lang || document.documentElement.lang || 'en') + '-u-nu-latn', { hour: '2-digit', minute: '2-digit' }).format(new Date(t));
    } catch (e) {
      var d = new Date(t);
      return ('0' + d.getHours()).slice(-2) + ':' + ('0' + d.getMinutes()).slice(-2);
    }
  }

  function meta(entry) {
    var m = el('span', 'meta');
    var time = el('time', '', clock(entry.t, entry.reply && entry.reply.lang));
    if (entry.t) { time.dateTime = new Date(entry.t).toISOString(); }
    m.appendChild(time);
    if (entry.me) {
      // Plain symbols that every phone's fonts have (no emoji).
      var marks = { sent: '✓', pending: '…', failed: '⚠' };
      var words = { sent: ui.sent, pending: ui.pending, failed: ui.failed };
      var st = entry.state || 'sent';
      m.appendChild(el('span', 'mark', marks[st])).setAttribute('aria-hidden', 'true');
      m.appendChild(el('span', 'visually-hidden', ' ' + (words[st] || '')));
    }
    return m;
  }

  // renderUser shows what the user typed or pressed, with its time and mark.
  function renderUser(entry) {
    var m = el('div', 'msg me' + (entry.state === 'failed' ? ' failed' : ''));
    if (entry.mid) { m.setAttribute('data-mid', entry.mid); }
    var b = el('div', 'bubble', entry.text);
    b.setAttribute('dir', 'auto');
    m.appendChild(b);
    m.appendChild(meta(entry));
    log.appendChild(m);
    return m;
  }

  // markUser updates the mark of the user's message mid.
  function markUser(mid, state) {
    for (var i = history.length - 1; i >= 0; i--) {
      if (history[i].mid === mid) { history[i].state = state; saveHistory(); break; }
    }
    var m = log.querySelector('.msg.me[data-mid="' + mid + '"]');
    if (!m) { return; }
    m.classList.toggle('failed', state === 'failed');
    var old = m.querySelector('.meta');
    if (old) { m.replaceChild(meta({ me: true, t: findEntry(mid).t, state: state }), old); }
  }
  function findEntry(mid) {
    for (var i = history.length - 1; i >= 0; i--) { if (history[i].mid === mid) { return history[i]; } }
    return {};
  }

  // PHONE finds the numbers a person may need to call at once: emergency and help lines
  // (110, 112, 113, 116 xxx) and numbers in international form (+47 23 10 53 20).
  var PHONE = /\+\d{2}(?: ?\d){8,10}|\b11[0-3]\b|\b116 ?\d{3}\b/g;

  // linkify fills e with text: each phone number a one-tap tel: link (never broken across
  // lines), and each address the server listed as coming from the content (links) a link.
  function linkify(e, text, links) {
    var spans = [];
    text.replace(PHONE, function (num, at) { spans.push({ at: at, end: at + num.length, tel: num }); return num; });
    (links || []).forEach(function (u) {
      if (!/^https?:\/\//.test(u)) { return; }
      var at = text.indexOf(u);
      while (at >= 0) {
        spans.push({ at: at, end: at + u.length, url: u });
        at = text.indexOf(u, at + u.length);
      }
    });
    spans.sort(function (a, b) { return a.at - b.at || (b.end - b.at) - (a.end - a.at); });
    var last = 0;
    spans.forEach(function (s) {
      if (s.at < last) { return; } // a number inside an address stays part of it
      if (s.at > last) { e.appendChild(document.createTextNode(text.slice(last, s.at))); }
      var a;
      if (s.tel) {
        a = el('a', 'call', s.tel);
        a.href = 'tel:' + s.tel.replace(/ /g, '');
        a.dir = 'ltr';
      } else {
        a = el('a', 'url', s.url);
        a.href = s.url;
        a.target = '_blank';
        a.rel = 'noopener noreferrer';
      }
      e.appendChild(a);
      last = s.end;
    });
    if (last < text.length) { e.appendChild(document.createTextNode(text.slice(last))); }
    return e;
  }

  // venueCard is a map pin: the office's name, its address linking to the map, and directions.
  function venueCard(v) {
    var card = el('div', 'bubble venue');
    card.appendChild(el('span', 'name', v.name || ''));
    var link = function (href, cls, text) {
      if (!href || !/^https:\/\//.test(href)) { return el('span', cls, text); }
      var a = el('a', cls, text);
      a.href = href;
      a.target = '_blank';
      a.rel = 'noopener noreferrer';
      return a;
    };
    card.appendChild(link(v.map, 'addr map', v.address || v.name || ''));
    card.appendChild(link(v.directions, 'directions', ui.directions || 'Directions'));
    return card;
  }

  // AUDIO is the only form of recording address the page plays: the server's, by content hash.
  var AUDIO = /^\/webchat\/audio\/[0-9a-f]{32}\.ogg$/;

  // player is a recorded answer: the browser's own audio controls (keyboard and screen reader
  // friendly), loading only the duration until the user presses play.
  function player(src) {
    var b = el('div', 'bubble audio');
    var a = document.createElement('audio');
    a.controls = true;
    a.preload = 'metadata';
    a.src = src;
    b.appendChild(a);
    return b;
  }

  // renderBot shows one bot reply: text, map pin card, buttons, time.
  function renderBot(entry) {
    var r = entry.reply;
    var m = el('div', 'msg bot' + (r.card ? ' card' : ''));
    if (r.lang) { m.setAttribute('lang', r.lang); }
    m.setAttribute('dir', r.dir === 'rtl' ? 'rtl' : 'ltr');
    if (r.text) { m.appendChild(linkify(el('div', 'bubble'), r.text, r.links)); }
    if (r.venue) { m.appendChild(venueCard(r.venue)); }
    if (r.audio && AUDIO.test(r.audio)) { m.appendChild(player(r.audio)); }
    if (r.buttons && r.buttons.length) {
      var g = el('div', 'buttons');
      r.buttons.forEach(function (btn) {
        var b = el('button', '', btn.label);
        b.type = 'button';
        b.setAttribute('data-choice', btn.data);
        g.appendChild(b);
      });
      m.appendChild(g);
    }
    if (entry.t) { m.appendChild(meta(entry)); }
    log.appendChild(m);
    return m;
  }

  function render(entry) {
    return entry.me ? renderUser(entry) : renderBot(entry);
  }

  // refreshButtons keeps only the buttons offered since the user's last message: older ones
  // collapse (hidden), so they do not pile up and cannot be pressed by mistake.
  function refreshButtons() {
    var msgs = log.querySelectorAll('.msg');
    var live = true;
    for (var i = msgs.length - 1; i >= 0; i--) {
      if (msgs[i].classList.contains('me')) { live = false; }
      var g = msgs[i].querySelector('.buttons');
      if (!g) { continue; }
      g.hidden = !live;
      var bs = g.querySelectorAll('button');
      for (var j = 0; j < bs.length; j++) { bs[j].disabled = !live; }
    }
    cardBtn.hidden = !lastCard();
  }

  function lastCard() {
    for (var i = history.length - 1; i >= 0; i--) {
      if (history[i].reply && history[i].reply.card) { return history[i]; }
    }
    return null;
  }

  function scrollDown() { log.scrollTop = log.scrollHeight; }
  // scrollTo brings the start of e into view: the first line of a new answer, not its end.
  function scrollTo(e) {
    if (e && e.offsetParent === log) { log.scrollTop = Math.max(0, e.offsetTop - 8); } else { scrollDown(); }
  }

  var statusTimer = null;
  function showStatus(text, ms) {
    clearTimeout(statusTimer);
    statusEl.textContent = text || '';
    statusEl.hidden = !text;
    if (text && ms) { statusTimer = setTimeout(function () { showStatus(''); }, ms); }
  }

  // The typing indicator shows while a message is on its way and its answer not yet here.
  var typing = null;
  function showTyping(on) {
    if (on && !typing) {
      typing = el('div', 'msg bot typing');
      var b = el('div', 'bubble');
      for (var i = 0; i < 3; i++) { b.appendChild(el('span', 'dot', '•')).setAttribute('aria-hidden', 'true'); }
      b.appendChild(el('span', 'visually-hidden', ui.typing || '…'));
      typing.appendChild(b);
      log.appendChild(typing);
      scrollDown();
    } else if (!on && typing) {
      typing.remove();
      typing = null;
    }
  }

  // Unread counsellor messages while the page is hidden: a badge in the title, and a
  // notification (without the message's text) if the user allowed them.
  var unread = 0;
  function showUnread() { document.title = (unread ? '(' + unread + ') ' : '') + baseTitle; }
  function noticeUnread(n) {
    if (!n || (document.visibilityState === 'visible' && document.hasFocus())) { return; }
    unread += n;
    showUnread();
    try {
      if (window.Notification && Notification.permission === 'granted') {
        new Notification(baseTitle, { body: ui.new_message || '', tag: 'returnbot', lang: document.documentElement.lang });
      }
    } catch (e) { /* not allowed here */ }
  }
  // askToNotify asks the browser, once, whether the page may notify: the user waits for a
  // counsellor and may switch to another app meanwhile. Asked right after the user's own tap.
  function askToNotify() {
    try {
      if (window.Notification && Notification.permission === 'default' && Notification.requestPermission) {
        Notification.requestPermission();
      }
    } catch (e) { /* not here */ }
  }
  function seen() {
    if (unread && document.visibilityState === 'visible' && document.hasFocus()) { unread = 0; showUnread(); }
  }

  // showInbox renders the inbox items not shown yet and returns the first element it added.
  function showInbox(items) {
    var first = null, n = 0;
    (items || []).forEach(function (item) {
      if (!(item.seq > lastSeq)) { return; }
      (item.replies || []).forEach(function (r) {
        var e = { reply: r, t: Date.now() };
        remember(e);
        var m = render(e);
        if (!first) { first = m; }
        setDirection(r.lang, r.dir);
        n++;
        if (r.card) { offerKeep(); }
      });
      lastSeq = item.seq;
      save(SEQ_KEY, String(lastSeq));
    });
    if (n) { noticeUnread(n); offerKeep(); }
    return first;
  }

  function sleep(ms) { return new Promise(function (r) { setTimeout(r, ms); }); }

  // attempt posts one message once and says what came of it: ok (the answer), retry (no
  // connection, a server error, too many messages, the store down: send the same msg_id again
  // later) or fail (the server refused it: sending it again would not help).
  function attempt(body) {
    return fetch(API, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify(body),
      credentials: 'omit',
      cache: 'no-store',
      referrerPolicy: 'no-referrer'
    }).then(function (res) {
      var after = parseInt(res.headers.get('Retry-After') || '', 10);
      if (res.ok) { return res.json().then(function (data) { return { ok: true, data: data }; }); }
      if (res.status === 429) { return { retry: true, why: 'wait', wait: Math.min(30, Math.max(1, after || 2)) }; }
      if (res.status >= 500) {
        return res.json().then(function (d) { return d; }, function () { return null; }).then(function (data) {
          return { retry: true, why: res.status === 503 ? 'down' : 'offline', wait: after > 0 ? Math.min(30, after) : 0, notice: data && data.replies };
        });
      }
      return { fail: true };
    }).catch(function () {
      // No connection, or an answer cut off on the way (unreadable): the same msg_id again.
      return { retry: true, why: 'offline' };
    });
  }

  // pump sends the oldest queued message, and the next once it is answered. Messages go one at
  // a time so that the bot reads them in the order they were written.
  var sending = false, retryTimer = null, failures = 0;
  function pump() {
    if (sending || retryTimer || !queue.length) { return; }
    var item = queue[0];
    sending = true;
    showTyping(true);
    var body = { id: id, msg_id: item.mid, ack: lastSeq };
    if (item.choice) { body.choice = item.choice; } else { body.text = item.text; }
    if (item.start) { body.start = item.start; }
    if (navigator.language) { body.lang = navigator.language; }
    attempt(body).then(function (res) {
      sending = false;
      if (res.ok) { failures = 0; delivered(item, res.data); return; }
      if (res.fail) {
        queue.shift();
        saveQueue();
        showTyping(false);
        markUser(item.mid, 'failed');
        showStatus('⚠ ' + (ui.offline || ''));
        pump();
        return;
      }
      // Retry later, with the same msg_id. The buttons and the text field stay usable: what the
      // user sends meanwhile waits behind this message.
      failures++;
      if (res.notice && res.notice.length) {
        res.notice.forEach(function (r) { var e = { reply: r, t: Date.now() }; remember(e); log.insertBefore(render(e), typing); });
      }
      var wait;
      if (res.why === 'wait') {
        wait = 1000 * res.wait;
        showStatus((ui.wait || '') + ' (' + res.wait + ' s)');
      } else if (res.why === 'down') {
        wait = 1000 * (res.wait || 2);
      } else {
        // 1, 2, 4 … 30 s, a little spread so that many pages do not come back at once; an
        // 'online' event sends at once.
        wait = Math.min(MAX_BACKOFF_MS, 1000 * Math.pow(2, Math.min(failures - 1, 5))) * (0.8 + 0.4 * Math.random());
        if (res.wait) { wait = Math.max(wait, 1000 * res.wait); }
        if (failures >= 2 || !navigator.onLine) {
          showTyping(false);
          showStatus('⚠ ' + (ui.queued || ui.offline || ''));
        }
      }
      retryTimer = setTimeout(function () { retryTimer = null; pump(); }, wait);
    });
  }
  function retryNow() {
    if (retryTimer) { clearTimeout(retryTimer); retryTimer = null; }
    failures = Math.min(failures, 1);
    pump();
  }
  window.addEventListener('online', retryNow);
  window.addEventListener('offline', function () {
    if (queue.length) { showTyping(false); showStatus('⚠ ' + (ui.queued || ui.offline || '')); }
  });

  // delivered shows the answer to the oldest queued message and sends the next.
  function delivered(item, data) {
    queue.shift();
    saveQueue();
    markUser(item.mid, 'sent');
    showTyping(false);
    showStatus('');
    if (data.forgotten) { forgotten(data); return; }
    var first = showInbox(data.inbox); // waited before this answer, so it goes first
    var card = false;
    (data.replies || []).forEach(function (r) {
      var e = { reply: r, t: Date.now() };
      remember(e);
      var m = render(e);
      if (!first) { first = m; }
      if (r.card) { card = true; }
      if (r.chat) { askToNotify(); }
      setDirection(r.lang, r.dir);
    });
    applyUI(data.ui);
    refreshButtons();
    if (queue.length) {
      scrollDown();
    } else {
      scrollTo(first);
      var btn = log.querySelector('.msg:last-child .buttons button:not(:disabled)');
      if (item.focus === 'buttons' && btn) { btn.focus({ preventScroll: true }); } else if (item.focus === 'input') { input.focus({ preventScroll: true }); }
    }
    if (card) { offerKeep(); }
    pump();
  }

  // forgotten: the server erased everything about this user. The screen and every copy on this
  // device go too, and a new anonymous id is used from now on; only the confirmation shows,
  // and it is not kept, so a reload shows nothing of before.
  function forgotten(data) {
    wipeDevice();
    queue = [];
    if (retryTimer) { clearTimeout(retryTimer); retryTimer = null; }
    loadState();
    log.textContent = '';
    hideAsk();
    (data.replies || []).forEach(function (r) { renderBot({ reply: r, t: Date.now() }); setDirection(r.lang, r.dir); });
    applyUI(data.ui);
    refreshButtons();
    scrollDown();
  }

  // send queues a text or a choice; shown is the user's bubble text ('' for none).
  function send(payload, shown, focusAfter) {
    var item = { mid: randomID(12), focus: focusAfter || '' };
    if (payload.choice) { item.choice = payload.choice; } else { item.text = payload.text; }
    if (payload.start) { item.start = payload.start; }
    if (shown) {
      var entry = { me: true, text: shown, mid: item.mid, t: Date.now(), state: 'pending' };
      remember(entry);
      renderUser(entry);
      refreshButtons();
    }
    queue.push(item);
    saveQueue();
    scrollDown();
    if (!navigator.onLine) { showStatus('⚠ ' + (ui.queued || ui.offline || '')); }
    pump();
  }

  // The ask bar: a yes/no question about this device (keep the conversation here? start over?).
  // The focus moves to it only when the user's own tap asked (start over): a question that comes
  // with an answer must not catch an Enter meant for the text field.
  var askYes = null;
  function ask(text, yes, no, onYes, focus) {
    $('ask-text').textContent = text;
    $('ask-yes').textContent = yes;
    $('ask-no').textContent = no;
    askYes = onYes;
    $('ask').hidden = false;
    if (focus) { $('ask-yes').focus({ preventScroll: true }); }
  }
  function hideAsk() { $('ask').hidden = true; askYes = null; }
  $('ask-yes').addEventListener('click', function () { var f = askYes; hideAsk(); if (f) { f(); } });
  $('ask-no').addEventListener('click', function () { hideAsk(); input.focus({ preventScroll: true }); });

  // offerKeep asks once per conversation, when something worth keeping arrived (a visit card,
  // a counsellor's answer), whether to keep the conversation on this device.
  function offerKeep() {
    if (keep || load(ASKED_KEY) || !area('localStorage')) { return; }
    save(ASKED_KEY, '1');
    ask(ui.keep_info || '', ui.keep_yes || 'OK', ui.keep_no || '×', function () {
      if (keepOnDevice()) { showStatus('✓ ' + (ui.kept || ''), 8000); }
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
    if (!text) { return; }
    input.value = '';
    grow();
    send({ text: text }, text, 'input');
  });

  input.addEventListener('keydown', function (ev) {
    if (ev.key === 'Enter' && !ev.shiftKey && !ev.isComposing) {
      ev.preventDefault();
      form.requestSubmit ? form.requestSubmit() : form.dispatchEvent(new Event('submit', { cancelable: true }));
    }
  });
  // grow makes the text field as tall as its text, up to its max-height (then it scrolls).
  function grow() {
    input.style.height = 'auto';
    if (input.value) { input.style.height = input.scrollHeight + 4 + 'px'; }
    input.classList.toggle('long', input.scrollHeight > input.clientHeight + 4);
  }
  input.addEventListener('input', grow);

  $('lang').addEventListener('click', function () { send({ text: '/language' }, '', 'buttons'); });
  $('back').addEventListener('click', function () { send({ text: '/back' }, ui.back || '←', 'buttons'); });
  cardBtn.addEventListener('click', function () {
    var c = lastCard();
    if (!c) { return; }
    var m = renderBot({ reply: { text: c.reply.text, lang: c.reply.lang, dir: c.reply.dir, links: c.reply.links, card: true } });
    m.classList.add('again');
    scrollTo(m);
  });
  function restart() {
    history = [];
    save(LOG_KEY, '[]');
    save(ASKED_KEY, '');
    log.textContent = '';
    typing = null;
    send({ text: '/start' }, '', 'buttons');
  }
  $('restart').addEventListener('click', function () {
    // Starting over wipes the screen: with a visit card on it, ask first.
    if (lastCard()) { ask(ui.restart_confirm || '', ui.restart || 'OK', ui.cancel || '×', restart, true); } else { restart(); }
  });
  if (embedded) {
    // In the embed (embed.js): the close button and Escape hide the frame.
    var closeBtn = $('close');
    closeBtn.hidden = false;
    var close = function () { window.parent.postMessage({ returnbot: 'close' }, '*'); };
    closeBtn.addEventListener('click', close);
    document.addEventListener('keydown', function (ev) { if (ev.key === 'Escape') { close(); } });
  }

  // poll fetches the inbox: every 5 s while the page is visible, every 30 s while it is in the
  // background (so that the title badge can say a counsellor wrote). Its answer is dropped when
  // a message went out meanwhile: that message's answer brings the same items.
  var polling = false;
  var pollAfter = 0;
  var lastPoll = 0;
  function poll() {
    seen();
    if (polling || sending || queue.length || Date.now() < pollAfter) { return; }
    if (document.visibilityState === 'hidden' && Date.now() - lastPoll < 6 * POLL_MS) { return; }
    polling = true;
    lastPoll = Date.now();
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
      if (!data || sending || queue.length) { return; }
      var first = showInbox(data.inbox);
      if (first) {
        refreshButtons();
        scrollTo(first);
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
  if (link) { send({ text: '/start', start: link }, '', ''); } else if (history.length === 0 && queue.length === 0) { send({ text: '/start' }, '', ''); } else if (queue.length) { pump(); } else { poll(); }
})();
