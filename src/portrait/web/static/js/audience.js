/* Audience builder: counts the expression as it is typed (debounced), through the page's
   own JSON endpoint (the session cookie is sent; scripts never see the token). Without
   JavaScript the form still works: "Count" submits it and the server renders the count. */
(function () {
  "use strict";
  var box = document.getElementById("expr");
  if (!box) { return; }
  var url = box.getAttribute("data-count-url");
  var msg = JSON.parse(document.getElementById("audience-i18n").textContent);
  var countEl = document.getElementById("count"), metaEl = document.getElementById("count-meta");
  var errorEl = document.getElementById("expr-error"), saveExpr = document.getElementById("save-expr");
  var timer = null, inflight = null, seq = 0;
  var fmt = new Intl.NumberFormat(document.documentElement.lang || undefined);

  function fill(template, values) {
    return template.replace(/\{(\w+)\}/g, function (_, k) { return values[k] === undefined ? "" : values[k]; });
  }

  function showError(err) {
    errorEl.textContent = "";
    if (!err) { box.removeAttribute("aria-invalid"); return; }
    box.setAttribute("aria-invalid", "true");
    var div = document.createElement("div");
    div.className = "alert error";
    var text = document.createElement("div");
    text.textContent = err.message;
    div.appendChild(text);
    if (err.detail) {
      var detail = document.createElement("div");
      detail.className = "small muted";
      detail.lang = "en";
      detail.textContent = err.detail;
      div.appendChild(detail);
    }
    if (err.line) {
      var at = document.createElement("div");
      at.className = "small";
      at.textContent = fill(msg.error_at, { line: err.line, column: err.column });
      div.appendChild(at);
    }
    if (err.excerpt) {
      var pre = document.createElement("pre");
      pre.className = "expr-error";
      pre.textContent = err.excerpt;
      div.appendChild(pre);
    }
    if (err.hint) {
      var hint = document.createElement("div");
      hint.className = "small";
      hint.textContent = err.hint;
      div.appendChild(hint);
    }
    errorEl.appendChild(div);
  }

  function count() {
    var text = box.value;
    if (saveExpr) { saveExpr.value = text; }
    if (!text.trim()) { countEl.textContent = "—"; metaEl.textContent = msg.empty; showError(null); return; }
    if (inflight) { inflight.abort(); }
    inflight = new AbortController();
    var mine = ++seq;
    metaEl.textContent = msg.counting;
    fetch(url, { method: "POST", credentials: "same-origin", signal: inflight.signal,
                 headers: { "Content-Type": "application/json", "Accept": "application/json" },
                 body: JSON.stringify({ expression: text }) })
      .then(function (r) { return r.json().then(function (body) { return { ok: r.ok, status: r.status, body: body }; }); })
      .then(function (res) {
        if (mine !== seq) { return; }
        if (res.ok) {
          countEl.textContent = fmt.format(res.body.count);
          metaEl.textContent = fill(msg.meta, { date: res.body.as_of, ms: res.body.ms });
          showError(null);
        } else if (res.status === 401) {
          window.location.href = "/login?next=" + encodeURIComponent(window.location.pathname);
        } else {
          countEl.textContent = "—";
          metaEl.textContent = msg.failed;
          showError(res.body);
        }
      })
      .catch(function (e) { if (e.name !== "AbortError") { metaEl.textContent = msg.failed; } });
  }

  box.addEventListener("input", function () {
    if (timer) { clearTimeout(timer); }
    timer = setTimeout(count, 350);
  });
  document.getElementById("audience-form").addEventListener("submit", function (ev) {
    ev.preventDefault();
    if (timer) { clearTimeout(timer); }
    count();
    if (window.history && window.history.replaceState) {
      window.history.replaceState(null, "", "/audiences?expr=" + encodeURIComponent(box.value));
    }
  });
})();
