// Tsunagu staff dashboard. Plain JavaScript, no external resources (staff networks are often closed).
// The JWT lives in sessionStorage for this tab only and is sent as a bearer token.
(function () {
  "use strict";
  const TOKEN_KEY = "tsunagu.token";
  const $ = (id) => document.getElementById(id);
  const fmt = new Intl.NumberFormat("ja-JP");
  const esc = (s) => String(s ?? "").replace(/[&<>"']/g, (c) => ({"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;"}[c]));
  const show = (v) => (typeof v === "number" ? fmt.format(v) : esc(v ?? "—"));
  // As-of times: dates stay dates; timestamps are shown in Japan time, to the minute.
  const asOf = (v) => {
    if (!v || /^\d{4}-\d{2}-\d{2}$/.test(v)) return esc(v || "");
    const d = new Date(v);
    return isNaN(d) ? esc(v) : esc(d.toLocaleString("ja-JP", {timeZone: "Asia/Tokyo", dateStyle: "medium", timeStyle: "short"}));
  };

  function token() { return sessionStorage.getItem(TOKEN_KEY); }

  async function api(path) {
    const response = await fetch(path, {headers: {Authorization: "Bearer " + token(), Accept: "application/json"}});
    if (response.status === 401) { signOut("サインインの有効期限が切れました。もう一度サインインしてください。"); throw new Error("401"); }
    if (!response.ok) {
      let detail = response.statusText;
      try { detail = (await response.json()).detail || detail; } catch (e) { /* not JSON */ }
      throw new Error(detail);
    }
    return response;
  }

  function params() {
    const q = new URLSearchParams(location.search);
    return {area: q.get("area") || "", fy: q.get("fy") || ""};
  }

  function navigate(area, fy, replace) {
    const q = new URLSearchParams();
    if (area) q.set("area", area);
    if (fy) q.set("fy", fy);
    const url = location.pathname + (q.toString() ? "?" + q : "");
    (replace ? history.replaceState : history.pushState).call(history, {}, "", url);
    load();
  }

  function signOut(message) {
    sessionStorage.removeItem(TOKEN_KEY);
    $("app").hidden = true;
    $("signin").hidden = false;
    $("who").textContent = "";
    $("signin-error").textContent = message || "";
  }

  async function setupSignIn() {
    try {
      const config = await (await fetch("/dashboard/config")).json();
      if (config.oidc) {
        $("oidc-hint").hidden = false;
        $("oidc-button").onclick = () => startOidc(config.oidc);
        await finishOidc(config.oidc);
      }
    } catch (e) { /* sign-in with a token still works */ }
    $("token-form").onsubmit = (ev) => {
      ev.preventDefault();
      const value = $("token-input").value.trim();
      if (!value) return;
      sessionStorage.setItem(TOKEN_KEY, value);
      $("token-input").value = "";
      load();
    };
    $("signout").onclick = () => signOut();
    window.onpopstate = () => load();
  }

  // OpenID Connect: authorization code with PKCE; the access token (a JWT) is used as the bearer token.
  async function startOidc(oidc) {
    const verifier = b64url(crypto.getRandomValues(new Uint8Array(32)));
    const challenge = b64url(new Uint8Array(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(verifier))));
    const state = b64url(crypto.getRandomValues(new Uint8Array(16)));
    sessionStorage.setItem("tsunagu.pkce", JSON.stringify({verifier, state}));
    const q = new URLSearchParams({response_type: "code", client_id: oidc.client_id, redirect_uri: location.origin + "/dashboard",
      scope: oidc.scope || "openid", code_challenge: challenge, code_challenge_method: "S256", state});
    location.href = oidc.authorize_url + "?" + q;
  }

  async function finishOidc(oidc) {
    const q = new URLSearchParams(location.search);
    const saved = JSON.parse(sessionStorage.getItem("tsunagu.pkce") || "null");
    if (!q.get("code") || !saved || q.get("state") !== saved.state) return;
    const body = new URLSearchParams({grant_type: "authorization_code", code: q.get("code"), client_id: oidc.client_id,
      redirect_uri: location.origin + "/dashboard", code_verifier: saved.verifier});
    const response = await fetch(oidc.token_url, {method: "POST", body});
    const tokens = await response.json();
    sessionStorage.removeItem("tsunagu.pkce");
    if (tokens.access_token) { sessionStorage.setItem(TOKEN_KEY, tokens.access_token); history.replaceState({}, "", "/dashboard"); }
  }

  function b64url(bytes) { return btoa(String.fromCharCode(...bytes)).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, ""); }

  async function load() {
    if (!token()) { signOut(); return; }
    $("signin").hidden = true;
    $("loading").hidden = false;
    try {
      const me = await (await api("/v1/me")).json();
      $("who").textContent = roleLabel(me.role) + (me.area ? "・" + me.area.name : "");
      const p = params();
      const q = new URLSearchParams();
      if (p.area) q.set("area", p.area);
      if (p.fy) q.set("fy", p.fy);
      const data = await (await api("/v1/dashboard?" + q)).json();
      render(data);
      $("app").hidden = false;
    } catch (e) {
      if (e.message !== "401") { $("app").hidden = false; $("meta").textContent = "表示できませんでした: " + e.message; }
    } finally {
      $("loading").hidden = true;
    }
  }

  function roleLabel(role) {
    return {prefecture: "都道府県", bureau: "振興局", municipality: "市町村", organization: "団体", admin: "管理者"}[role] || role;
  }

  function render(data) {
    document.title = "つなぐ ダッシュボード — " + data.area.name;
    $("area-title").textContent = data.area.name + " の取組状況";
    $("crumbs").innerHTML = data.breadcrumb.map((c, i) => i === data.breadcrumb.length - 1
      ? "<span>" + esc(c.name) + "</span>"
      : '<a href="?area=' + esc(c.code) + "&fy=" + data.fiscal_year + '" data-area="' + esc(c.code) + '">' + esc(c.name) + "</a>")
      .join('<span class="sep">›</span>');
    const select = $("fy-select");
    select.innerHTML = data.fiscal_years.map((y) => '<option value="' + y.year + '"' + (y.year === data.fiscal_year ? " selected" : "") + ">" + esc(y.label) + "</option>").join("");
    select.onchange = () => navigate(data.area.code, select.value);
    $("meta").textContent = "対象期間 " + data.period.from + " 〜 " + data.period.to + "　作成 " + new Date(data.generated_at).toLocaleString("ja-JP") +
      (data.suppression_threshold ? "　※" + data.suppression_threshold + "件未満の件数は「< " + data.suppression_threshold + "」と表示しています" : "");
    $("cards").innerHTML = data.cards.map((c) =>
      '<div class="card" data-card="' + esc(c.id) + '"><div class="label">' + esc(c.label) + '</div><div class="value">' + show(c.value) +
      (c.unit ? "<small>" + esc(c.unit) + "</small>" : "") + '</div><div class="sub">' +
      (c.previous !== undefined && c.previous !== null ? "前年度 " + show(c.previous) + (c.unit || "") + "　" : "") +
      (c.as_of ? "時点 " + asOf(c.as_of) : "") + "</div></div>").join("");
    barChart($("chart-monthly"), data.charts.monthly);
    funnelChart($("chart-funnel"), data.charts.funnel);
    comparisonChart($("chart-comparison"), data.charts.comparison, data.fiscal_year);
    $("tables").innerHTML = data.tables.map((t) => tableHtml(t, data.fiscal_year)).join("");
    document.querySelectorAll("a[data-area]").forEach((a) => a.onclick = (ev) => { ev.preventDefault(); navigate(a.dataset.area, data.fiscal_year); });
    document.querySelectorAll("button[data-download]").forEach((b) => b.onclick = () => download(b.dataset.download, b.dataset.format, data));
  }

  function caption(chart) { return "<figcaption>" + esc(chart.title) + (chart.as_of ? ' <span class="asof">時点 ' + asOf(chart.as_of) + "</span>" : "") + "</figcaption>"; }
  const number = (v) => (typeof v === "number" ? v : 0);

  // One panel per series, each on its own scale (event counts and member counts differ by orders of magnitude).
  function barChart(el, chart) {
    const colors = ["#2f7d6d", "#e39a3b", "#6b8fd6"];
    el.innerHTML = caption(chart) + chart.series.map((s, si) => panel(chart.months, s, colors[si % 3])).join("");
  }

  function panel(months, series, color) {
    const w = 560, h = 120, left = 36, bottom = 22, top = 8;
    const max = Math.max(1, ...series.values.map(number));
    const slot = (w - left) / Math.max(1, months.length);
    let svg = "";
    [0, 0.5, 1].forEach((f) => {
      const y = top + (h - top - bottom) * (1 - f);
      svg += '<line x1="' + left + '" x2="' + w + '" y1="' + y + '" y2="' + y + '" stroke="#eee"/><text x="' + (left - 4) + '" y="' + (y + 4) + '" font-size="10" text-anchor="end" fill="#777">' + Math.round(max * f) + "</text>";
    });
    series.values.forEach((v, i) => {
      const bh = (h - top - bottom) * number(v) / max, x = left + i * slot + 4;
      svg += '<rect x="' + x + '" y="' + (h - bottom - bh) + '" width="' + Math.max(1, slot - 8) + '" height="' + bh + '" fill="' + color + '"><title>' + esc(months[i] + ": " + v) + "</title></rect>";
      if (number(v)) svg += '<text x="' + (x + (slot - 8) / 2) + '" y="' + (h - bottom - bh - 3) + '" font-size="10" text-anchor="middle" fill="#333">' + show(v) + "</text>";
    });
    months.forEach((m, i) => { svg += '<text x="' + (left + i * slot + slot / 2) + '" y="' + (h - 6) + '" font-size="10" text-anchor="middle" fill="#555">' + Number(m.slice(5)) + "月</text>"; });
    return '<div class="panel-label"><span style="color:' + color + '">■</span> ' + esc(series.label) + "</div>" +
      '<svg viewBox="0 0 ' + w + " " + h + '" role="img" aria-label="' + esc(series.label) + '">' + svg + "</svg>";
  }

  function funnelChart(el, chart) {
    const w = 560, rowH = 44, h = chart.steps.length * rowH + 10;
    const first = Math.max(1, number(chart.steps[0] && chart.steps[0].value));
    let svg = "";
    chart.steps.forEach((s, i) => {
      const bw = Math.max(2, (w - 200) * number(s.value) / first), x = 140 + ((w - 200) - bw) / 2, y = 5 + i * rowH;
      svg += '<text x="0" y="' + (y + 26) + '" font-size="13" fill="#333">' + esc(s.label) + "</text>" +
        '<rect x="' + x + '" y="' + (y + 6) + '" width="' + bw + '" height="30" rx="4" fill="#2f7d6d" opacity="' + (1 - i * 0.18) + '"/>' +
        '<text x="' + (w - 4) + '" y="' + (y + 26) + '" font-size="13" text-anchor="end" fill="#333">' + show(s.value) + "</text>";
    });
    el.innerHTML = caption(chart) + '<svg viewBox="0 0 ' + w + " " + h + '" role="img" aria-label="' + esc(chart.title) + '">' + svg + "</svg>";
  }

  function comparisonChart(el, chart, fy) {
    const w = 1100, rowH = 24, h = chart.rows.length * rowH + 10, left = 170;
    const max = Math.max(1, ...chart.rows.map((r) => number(r.value)));
    let svg = "";
    chart.rows.forEach((r, i) => {
      const y = 5 + i * rowH, bw = (w - left - 80) * number(r.value) / max;
      svg += '<a href="?area=' + esc(r.area_code) + "&fy=" + fy + '" data-area="' + esc(r.area_code) + '"><text x="' + (left - 8) + '" y="' + (y + 15) + '" font-size="13" text-anchor="end" fill="#2f7d6d">' + esc(r.label) + "</text></a>" +
        '<rect x="' + left + '" y="' + (y + 3) + '" width="' + Math.max(1, bw) + '" height="16" rx="3" fill="#e39a3b"/>' +
        '<text x="' + (left + bw + 6) + '" y="' + (y + 15) + '" font-size="12" fill="#333">' + show(r.value) + "</text>";
    });
    el.innerHTML = caption(chart) + '<svg viewBox="0 0 ' + w + " " + Math.max(h, 30) + '" role="img" aria-label="' + esc(chart.title) + '">' + svg + "</svg>";
  }

  function tableHtml(t, fy) {
    const head = t.columns.map((c) => '<th class="' + (c.kind === "text" || c.kind === "date" ? "" : "num") + '">' + esc(c.label) + "</th>").join("");
    const body = t.rows.map((r) => "<tr>" + t.columns.map((c, i) => {
      const value = r[c.key];
      let cell = show(value);
      if (i === 0 && t.drill_column && r[t.drill_column]) cell = '<a href="?area=' + esc(r[t.drill_column]) + "&fy=" + fy + '" data-area="' + esc(r[t.drill_column]) + '">' + cell + "</a>";
      return '<td class="' + (c.kind === "text" || c.kind === "date" ? "" : "num") + '">' + cell + "</td>";
    }).join("") + "</tr>").join("");
    return '<section class="table-block" data-table="' + esc(t.id) + '"><header><h2>' + esc(t.title) + (t.as_of ? ' <span class="asof">時点 ' + asOf(t.as_of) + "</span>" : "") +
      '</h2><span class="downloads"><button data-download="' + esc(t.id) + '" data-format="csv">CSV</button><button data-download="' + esc(t.id) + '" data-format="xlsx">Excel</button></span></header>' +
      "<table><thead><tr>" + head + "</tr></thead><tbody>" + (body || '<tr><td colspan="' + t.columns.length + '">データなし</td></tr>') + "</tbody></table></section>";
  }

  async function download(table, format, data) {
    const q = new URLSearchParams({area: data.area.code, fy: data.fiscal_year});
    const response = await api("/v1/dashboard/tables/" + encodeURIComponent(table) + "." + format + "?" + q);
    const blob = await response.blob();
    const a = document.createElement("a");
    a.href = URL.createObjectURL(blob);
    a.download = "tsunagu_" + data.area.code + "_" + data.fiscal_year + "_" + table + "." + format;
    document.body.appendChild(a);
    a.click();
    setTimeout(() => { URL.revokeObjectURL(a.href); a.remove(); }, 1000);
  }

  setupSignIn().then(load);
})();
