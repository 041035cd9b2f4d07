// The staff workspace page. Everything a user or a colleague wrote is put in the page with
// textContent, never as markup; the page talks only to its own origin (the CSP allows nothing else).
"use strict";
(function () {
  var $ = function (id) { return document.getElementById(id); };
  var me = null;          // {name, role, csrf}
  var current = null;     // the ticket code shown
  var events = null;      // EventSource of the inbox
  var lookedUp = null;    // the code reception looked up

  function el(tag, cls, text) {
    var e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text !== undefined && text !== null) e.textContent = String(text);
    return e;
  }
  function clear(node) { while (node.firstChild) node.removeChild(node.firstChild); }

  function api(method, path, body) {
    var opts = { method: method, headers: {}, credentials: "same-origin" };
    if (method !== "GET") {
      opts.headers["Content-Type"] = "application/json";
      if (me) opts.headers["X-CSRF-Token"] = me.csrf;
      if (body !== undefined) opts.body = JSON.stringify(body);
    }
    return fetch(path, opts).then(function (res) {
      return res.text().then(function (t) {
        var data = null;
        try { data = t ? JSON.parse(t) : null; } catch (e) { data = null; }
        if (res.status === 401 && path !== "/staff/api/login" && path !== "/staff/api/me") signedOut();
        return { status: res.status, data: data || {} };
      });
    });
  }

  function may(role) { return me && (me.role === role || me.role === "admin"); }

  function today() {
    var d = new Date();
    return d.getFullYear() + "-" + String(d.getMonth() + 1).padStart(2, "0") + "-" + String(d.getDate()).padStart(2, "0");
  }

  function show(id) {
    ["login", "setup"].forEach(function (s) { $(s).hidden = s !== id; });
  }

  function signedIn(who) {
    me = who;
    show("");
    $("who").hidden = false;
    $("who-name").textContent = me.name;
    $("who-role").textContent = me.role;
    $("tabs").hidden = false;
    var first = null;
    Array.prototype.forEach.call(document.querySelectorAll("#tabs button"), function (b) {
      b.hidden = !may(b.dataset.role);
      if (!b.hidden && !first) first = b.dataset.tab;
    });
    openTab(first);
    if (may("counsellor")) { loadTickets(); loadCanned(); listen(); }
  }

  function signedOut() {
    me = null; current = null;
    if (events) { events.close(); events = null; }
    $("who").hidden = true; $("tabs").hidden = true;
    Array.prototype.forEach.call(document.querySelectorAll(".tab"), function (t) { t.hidden = true; });
    show("login");
  }

  function openTab(name) {
    Array.prototype.forEach.call(document.querySelectorAll(".tab"), function (t) { t.hidden = t.id !== name; });
    Array.prototype.forEach.call(document.querySelectorAll("#tabs button"), function (b) {
      b.classList.toggle("active", b.dataset.tab === name);
    });
    if (name === "reception") loadDay();
    if (name === "stats") loadStats();
  }

  // ---- sign in, setup ----
  $("login-form").addEventListener("submit", function (ev) {
    ev.preventDefault();
    var body = { name: $("login-name").value, password: $("login-password").value };
    if (!$("login-totp-row").hidden) body.totp = $("login-totp").value;
    $("login-error").textContent = "";
    api("POST", "/staff/api/login", body).then(function (r) {
      if (r.status === 200) { $("login-password").value = ""; $("login-totp").value = ""; signedIn(r.data); return; }
      if (r.data.error === "totp_required") { $("login-totp-row").hidden = false; $("login-totp").focus(); }
      $("login-error").textContent = r.data.message || ("Sign-in failed (" + r.status + ")");
    });
  });

  $("setup-form").addEventListener("submit", function (ev) {
    ev.preventDefault();
    var token = (location.hash.match(/setup=([A-Za-z0-9_-]+)/) || [])[1] || "";
    api("POST", "/staff/api/setup", { token: token, name: $("setup-name").value, password: $("setup-password").value }).then(function (r) {
      if (r.status === 200) {
        history.replaceState(null, "", "/staff/");
        $("login-name").value = $("setup-name").value;
        show("login");
        return;
      }
      $("setup-error").textContent = r.data.message || ("Setup failed (" + r.status + ")");
    });
  });

  $("logout").addEventListener("click", function () { api("POST", "/staff/api/logout").then(signedOut); });
  Array.prototype.forEach.call(document.querySelectorAll("#tabs button"), function (b) {
    b.addEventListener("click", function () { openTab(b.dataset.tab); });
  });

  // ---- inbox ----
  function kindLabel(t) {
    if (t.kind === "urgent") return "URGENT";
    if (t.kind === "visit") return "visit " + (t.day || "");
    return "chat";
  }

  function loadTickets() {
    api("GET", "/staff/api/tickets").then(function (r) {
      if (r.status !== 200) return;
      var ul = $("tickets");
      clear(ul);
      var list = r.data.tickets || [];
      $("tickets-empty").hidden = list.length > 0;
      list.forEach(function (t) {
        var li = el("li");
        li.dataset.code = t.code;
        if (t.code === current) li.classList.add("selected");
        li.appendChild(el("span", "code", t.code));
        li.appendChild(document.createTextNode(" · " + t.lang + " · "));
        li.appendChild(el("span", t.kind === "urgent" ? "urgent" : "", kindLabel(t)));
        li.appendChild(el("div", "muted", t.staff ? "taken by " + t.staff : "open, waiting"));
        li.addEventListener("click", function () { openTicket(t.code); });
        ul.appendChild(li);
      });
    });
  }

  function loadCanned() {
    api("GET", "/staff/api/canned").then(function (r) {
      if (r.status !== 200) return;
      var sel = $("canned-select");
      clear(sel);
      (r.data.messages || []).forEach(function (m) {
        var o = el("option", "", m.title + "  [" + m.id + "]");
        o.value = m.id;
        sel.appendChild(o);
      });
    });
  }

  function openTicket(code) {
    current = code;
    $("conv-status").textContent = "";
    Array.prototype.forEach.call(document.querySelectorAll("#tickets li"), function (li) {
      li.classList.toggle("selected", li.dataset.code === code);
    });
    loadConversation();
  }

  function loadConversation() {
    if (!current) return;
    var code = current;
    api("GET", "/staff/api/tickets/" + encodeURIComponent(code)).then(function (r) {
      if (code !== current) return;
      if (r.status !== 200) {
        $("conv").hidden = true;
        current = null;
        return;
      }
      var t = r.data.ticket;
      $("conv").hidden = false;
      $("conv-code").textContent = t.code;
      var meta = [t.lang, t.channel, kindLabel(t)];
      if (t.interpreter) meta.push("interpreter wanted");
      meta.push(t.staff ? "taken by " + t.staff : "open");
      $("conv-meta").textContent = meta.join(" · ");
      var mine = t.staff === me.name;
      $("take").disabled = !!t.staff;
      $("handback").disabled = !mine;
      fill($("conv-messages"), r.data.messages, function (m) {
        return { cls: m.from ? "staff" : "user", by: m.from ? m.from : "user (" + t.lang + ")" };
      });
      fill($("conv-notes"), r.data.notes, function (m) { return { cls: "", by: m.from }; });
    });
  }

  function fill(ol, list, how) {
    clear(ol);
    (list || []).forEach(function (m) {
      var h = how(m);
      var li = el("li", h.cls);
      li.appendChild(el("span", "by", h.by + " · " + new Date(m.at).toLocaleTimeString()));
      li.appendChild(el("span", "text", m.text));
      ol.appendChild(li);
    });
    ol.scrollTop = ol.scrollHeight;
  }

  function act(path, body) {
    var code = current;
    return api("POST", "/staff/api/tickets/" + encodeURIComponent(code) + "/" + path, body).then(function (r) {
      if (r.status === 409) $("conv-status").textContent = "Taken by " + r.data.holder + ": only they can answer.";
      else if (r.status !== 200) $("conv-status").textContent = r.data.message || ("Failed (" + r.status + ")");
      else $("conv-status").textContent = "";
      loadTickets();
      loadConversation();
      return r;
    });
  }

  $("take").addEventListener("click", function () { act("take"); });
  $("handback").addEventListener("click", function () { act("handback"); });
  $("close").addEventListener("click", function () {
    act("close").then(function (r) { if (r.status === 200) { current = null; $("conv").hidden = true; } });
  });
  $("reply-form").addEventListener("submit", function (ev) {
    ev.preventDefault();
    var text = $("reply-text").value;
    if (!text.trim()) return;
    act("reply", { text: text }).then(function (r) { if (r.status === 200) $("reply-text").value = ""; });
  });
  $("canned-form").addEventListener("submit", function (ev) {
    ev.preventDefault();
    act("canned", { message_id: $("canned-select").value });
  });
  $("note-form").addEventListener("submit", function (ev) {
    ev.preventDefault();
    var text = $("note-text").value;
    if (!text.trim()) return;
    act("notes", { text: text }).then(function (r) { if (r.status === 200) $("note-text").value = ""; });
  });

  function listen() {
    if (events || !window.EventSource) return;
    events = new EventSource("/staff/api/events");
    events.onopen = function () { $("live").classList.add("on"); };
    events.onerror = function () { $("live").classList.remove("on"); };
    ["opened", "taken", "released", "closed", "message"].forEach(function (type) {
      events.addEventListener(type, function (e) {
        var ev = {};
        try { ev = JSON.parse(e.data); } catch (x) { ev = {}; }
        loadTickets();
        if (ev.code && ev.code === current) loadConversation();
      });
    });
  }

  // ---- reception ----
  function statusText(v) {
    if (v.visit === "arrived") return "arrived";
    if (v.visit === "noshow") return "did not come";
    return "expected";
  }

  function loadDay() {
    if (!$("day").value) $("day").value = today();
    api("GET", "/staff/api/visits?day=" + encodeURIComponent($("day").value)).then(function (r) {
      if (r.status !== 200) return;
      var tbody = document.querySelector("#sheet tbody");
      clear(tbody);
      var visits = r.data.visits || [];
      $("sheet-empty").hidden = visits.length > 0;
      visits.forEach(function (v) {
        var tr = el("tr");
        tr.dataset.code = v.code;
        if (v.interpreter) tr.classList.add("interp");
        if (v.visit) tr.classList.add(v.visit);
        tr.appendChild(el("td", "code", v.code));
        tr.appendChild(el("td", "", v.time || "—"));
        tr.appendChild(el("td", "", v.lang));
        tr.appendChild(el("td", "interp-cell", v.interpreter ? "yes (" + v.lang + ")" : "no"));
        tr.appendChild(el("td", "", v.channel));
        tr.appendChild(el("td", "state", statusText(v)));
        var td = el("td");
        var a = el("button", "arrived", "Arrived");
        a.type = "button";
        a.addEventListener("click", function () { outcome(v.code, "arrived"); });
        var n = el("button", "noshow secondary", "Did not come");
        n.type = "button";
        n.addEventListener("click", function () { outcome(v.code, "noshow"); });
        td.appendChild(a); td.appendChild(document.createTextNode(" ")); td.appendChild(n);
        tr.appendChild(td);
        tbody.appendChild(tr);
      });
      var sum = $("interp-summary");
      clear(sum);
      var langs = Object.keys(r.data.interpreters || {}).sort();
      if (!langs.length) { sum.appendChild(el("span", "muted", "No interpreters needed.")); return; }
      sum.appendChild(document.createTextNode("Interpreters needed: "));
      langs.forEach(function (l) { sum.appendChild(el("span", "pill", l + " × " + r.data.interpreters[l])); });
    });
  }

  function outcome(code, what) {
    return api("POST", "/staff/api/code/" + encodeURIComponent(code) + "/" + what).then(function (r) {
      $("lookup-status").textContent = r.status === 200 ? code + ": " + statusText(r.data) : (r.data.message || "Failed");
      loadDay();
      if (lookedUp === code && r.status === 200) showLookup(r.data);
    });
  }

  $("day-form").addEventListener("submit", function (ev) { ev.preventDefault(); loadDay(); });

  function showLookup(t) {
    lookedUp = t.code;
    var dl = $("lookup-details");
    clear(dl);
    [["Code", t.code], ["Kind", t.kind], ["Day", (t.day || "—") + (t.time ? " " + t.time : "")], ["Language", t.lang],
     ["Interpreter", t.interpreter ? "yes (" + t.lang + ")" : "no"], ["Channel", t.channel], ["Status", statusText(t)]].forEach(function (p) {
      dl.appendChild(el("dt", "", p[0]));
      dl.appendChild(el("dd", "", p[1]));
    });
    $("lookup-result").hidden = false;
  }

  $("lookup-form").addEventListener("submit", function (ev) {
    ev.preventDefault();
    var code = $("lookup-code").value.trim();
    api("GET", "/staff/api/code/" + encodeURIComponent(code)).then(function (r) {
      if (r.status === 200) { $("lookup-status").textContent = ""; showLookup(r.data); return; }
      $("lookup-result").hidden = true;
      lookedUp = null;
      $("lookup-status").textContent = r.data.message || ("Not found (" + r.status + ")");
    });
  });
  $("lookup-arrived").addEventListener("click", function () { if (lookedUp) outcome(lookedUp, "arrived"); });
  $("lookup-noshow").addEventListener("click", function () { if (lookedUp) outcome(lookedUp, "noshow"); });

  // ---- statistics ----
  function chart(title, rows) {
    var box = el("div", "chart");
    box.appendChild(el("h3", "", title));
    if (!rows.length) { box.appendChild(el("p", "muted", "Nothing counted.")); return box; }
    var top = Math.max.apply(null, rows.map(function (r) { return r[1]; })) || 1;
    rows.forEach(function (r) {
      var row = el("div", "bar-row");
      row.appendChild(el("span", "label", r[0]));
      var track = el("div", "bar-track");
      var bar = el("div", "bar");
      bar.style.width = (100 * r[1] / top).toFixed(1) + "%";
      if (!r[1]) bar.classList.add("zero");
      track.appendChild(bar);
      row.appendChild(track);
      row.appendChild(el("span", "n", r[1]));
      box.appendChild(row);
    });
    return box;
  }

  function group(totals, prefix, keyOf) {
    var out = {};
    Object.keys(totals).forEach(function (k) {
      if (k.indexOf(prefix) !== 0) return;
      var key = keyOf(k.slice(prefix.length));
      out[key] = (out[key] || 0) + totals[k];
    });
    return Object.keys(out).map(function (k) { return [k, out[k]]; }).sort(function (a, b) { return b[1] - a[1]; });
  }

  function pick(totals, names) {
    return names.map(function (n) { return [n[1], totals[n[0]] || 0]; });
  }

  function loadStats() {
    if (!$("stats-to").value) $("stats-to").value = today();
    if (!$("stats-from").value) {
      var d = new Date(); d.setDate(d.getDate() - 27);
      $("stats-from").value = d.getFullYear() + "-" + String(d.getMonth() + 1).padStart(2, "0") + "-" + String(d.getDate()).padStart(2, "0");
    }
    var q = "from=" + encodeURIComponent($("stats-from").value) + "&to=" + encodeURIComponent($("stats-to").value);
    $("stats-csv").href = "/staff/api/stats?format=csv&" + q;
    api("GET", "/staff/api/stats?" + q).then(function (r) {
      if (r.status !== 200) return;
      var t = r.data.totals || {};
      var c = $("charts");
      clear(c);
      c.appendChild(chart("Conversations by topic", group(t, "topic:", function (k) { return k.split(":")[0]; })));
      c.appendChild(chart("Conversations by language", group(t, "topic:", function (k) { return k.split(":").pop(); })));
      c.appendChild(chart("Messages by channel", group(t, "channel:", function (k) { return k; })));
      c.appendChild(chart("Tickets", pick(t, [["tickets:opened:chat", "chat requests"], ["tickets:opened:visit", "visit tickets"],
        ["tickets:opened:urgent", "urgent"], ["tickets:taken", "taken by staff"]])));
      c.appendChild(chart("Time until taken", pick(t, [["take:5m", "within 5 min"], ["take:15m", "5–15 min"], ["take:1h", "15–60 min"],
        ["take:4h", "1–4 hours"], ["take:later", "later"]])));
      c.appendChild(chart("Visits", pick(t, [["visits:planned", "planned"], ["visits:arrived", "arrived"], ["visits:noshow", "did not come"]])));
      c.appendChild(chart("Not understood, by language", group(t, "nu:", function (k) { return k.split(":")[0]; })));
      c.appendChild(chart("Not understood, by page", group(t, "nu:", function (k) { return k.split(":").slice(1).join(":"); }).slice(0, 15)));
    });
  }
  $("stats-form").addEventListener("submit", function (ev) { ev.preventDefault(); loadStats(); });

  // ---- start ----
  if (/setup=/.test(location.hash)) {
    show("setup");
  } else {
    api("GET", "/staff/api/me").then(function (r) {
      if (r.status === 200) signedIn(r.data); else signedOut();
    });
  }
})();
