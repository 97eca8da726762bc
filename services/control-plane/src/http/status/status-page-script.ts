/**
 * The status page's script (plain ES2020, no build step, no dependencies). It
 * polls the admin JSON APIs every 1.5 s with the token from sessionStorage and
 * redraws a table only when its data changed. Schedulers come one page at a
 * time from the paged list (issue 16: 1,000 schedulers), those needing a look
 * first (?order=state), filtered by the search box (?q=); "Show more" grows the page. Every value from the API goes
 * into the DOM as text (scheduler ids, URLs and models come from registrations).
 * Written without template literals, since it lives inside one.
 */
export const STATUS_PAGE_SCRIPT = String.raw`'use strict';
(function () {
  var TOKEN_KEY = 'switchyard.admin_token';
  var POLL_MS = 1500;
  var PAGE_SIZE = 100;
  var pageSize = PAGE_SIZE;
  var search = '';
  /** Gateways report their applied version about once a second: a fresher gap is just the report in transit. */
  var LAG_GRACE_MS = 2500;
  var token = sessionStorage.getItem(TOKEN_KEY) || '';
  var timer = null;
  var busy = false;
  var shown = {};
  var $ = function (id) { return document.getElementById(id); };

  function el(tag, attrs) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) {
      if (k === 'text') node.textContent = attrs[k];
      else if (k === 'cls') node.className = attrs[k];
      else if (k === 'width') node.style.width = attrs[k];
      else node.setAttribute(k, attrs[k]);
    });
    for (var i = 2; i < arguments.length; i++) {
      var child = arguments[i];
      if (child === null || child === undefined || child === false) continue;
      node.appendChild(typeof child === 'string' ? document.createTextNode(child) : child);
    }
    return node;
  }

  function api(method, path, body) {
    var headers = { accept: 'application/json' };
    if (token) headers.authorization = 'Bearer ' + token;
    if (body) headers['content-type'] = 'application/json';
    return fetch(path, { method: method, headers: headers, body: body ? JSON.stringify(body) : undefined, cache: 'no-store' })
      .then(function (res) {
        return res.json().catch(function () { return {}; }).then(function (data) {
          if (res.ok) return data;
          var err = new Error((data && data.error && data.error.message) || ('HTTP ' + res.status));
          err.status = res.status;
          throw err;
        });
      });
  }

  var fmt = {
    num: function (v, digits) { return v === null || v === undefined ? '–' : Number(v).toFixed(digits === undefined ? 0 : digits); },
    pct: function (v) { return v === null || v === undefined ? '–' : (v * 100).toFixed(v > 0 && v < 0.01 ? 2 : 1) + '%'; },
    ms: function (v) { return v === null || v === undefined ? '–' : (v >= 10 ? String(Math.round(v)) : v.toFixed(1)); },
    factor: function (v) { return v === 1 ? '1' : v === 0 ? '0' : Number(v).toFixed(2); },
    ago: function (ms) {
      if (ms === null || ms === undefined) return '–';
      if (ms < 1000) return 'just now';
      if (ms < 60000) return (ms / 1000).toFixed(1) + ' s ago';
      return Math.round(ms / 60000) + ' min ago';
    },
  };

  function badge(state) { return el('span', { cls: 'badge ' + (state || 'neutral'), 'data-testid': 'state', text: state || 'gone' }); }

  function setLive(ok, text) {
    $('live-dot').className = 'dot ' + (ok ? 'on' : 'off');
    $('live-text').textContent = text;
  }

  function toast(text, bad) {
    var t = $('toast');
    t.textContent = text;
    t.className = 'toast' + (bad ? ' bad' : '');
    t.hidden = false;
    clearTimeout(toast.timer);
    toast.timer = setTimeout(function () { t.hidden = true; }, 3500);
  }

  function showLogin(message) {
    clearTimeout(timer);
    $('dashboard').hidden = true;
    $('login').hidden = false;
    $('sign-out').hidden = true;
    $('login-error').textContent = message || '';
    setLive(false, 'signed out');
    $('token').focus();
  }

  /** Replaces a tbody's rows only when the data behind them changed (keeps hover and clicks steady). */
  function redraw(tableId, data, rowsOf) {
    var key = JSON.stringify(data);
    if (shown[tableId] === key) return;
    shown[tableId] = key;
    var body = $(tableId).tBodies[0];
    body.replaceChildren.apply(body, rowsOf());
  }

  function renderHeader(leader, summary, tableVersion) {
    $('leader').textContent = leader.id || 'none';
    $('epoch').textContent = String(leader.epoch);
    $('table-version').textContent = tableVersion === null || tableVersion === undefined ? '–' : String(tableVersion);
    $('replica').textContent = summary.scope.replica_id + (leader.self ? ' (leader)' : ' (follower)');
  }

  function renderTiles(summary, schedulerTotal, gateways) {
    var req = summary.requests;
    $('rps').textContent = fmt.num(req.per_second, 2);
    $('rps-sub').textContent = req.total + ' requests in ' + Math.round(summary.window_seconds) + ' s';
    $('error-rate').textContent = fmt.pct(summary.error_rate);
    $('error-rate').className = 'value' + (summary.error_rate > 0.01 ? ' bad' : '');
    $('error-sub').textContent = '4xx ' + fmt.pct(summary.client_error_rate) + ' · upstream errors ' + summary.upstream.errors;
    var l = summary.latency_ms, t = summary.ttft_ms;
    $('latency').textContent = fmt.ms(l.p50) + ' / ' + fmt.ms(l.p95) + ' / ' + fmt.ms(l.p99);
    $('ttft').textContent = fmt.ms(t.p50) + ' / ' + fmt.ms(t.p95) + ' / ' + fmt.ms(t.p99);
    var states = summary.schedulers_by_state;
    $('sched-count').textContent = (states.healthy || 0) + ' / ' + schedulerTotal;
    $('sched-states').textContent = Object.keys(states).filter(function (s) { return states[s] > 0; })
      .map(function (s) { return states[s] + ' ' + s; }).join(' · ') || 'none registered';
    var lagging = gateways.filter(lags).length;
    $('gw-count').textContent = String(gateways.length);
    $('gw-sub').textContent = gateways.length === 0 ? 'none connected' : lagging === 0 ? 'all on the current table' : lagging + ' behind';
    $('window-note').textContent = 'traffic over the last ' + Math.round(summary.window_seconds) + ' s, from gateway reports';
  }

  /** base × health × recovery × load × latency; factors below 1 stand out. */
  function factorsCell(w) {
    if (!w) return el('td', { cls: 'factors', text: '–' });
    var f = w.factors, td = el('td', { cls: 'factors', title: 'effective weight = base × health × recovery × load × latency' });
    ['base', 'health', 'recovery', 'load', 'latency'].forEach(function (name, i) {
      if (i > 0) td.appendChild(document.createTextNode(' × '));
      td.appendChild(el('span', { cls: 'factor' + (f[name] < 1 && name !== 'base' ? ' low' : '') }, name + ' ', el('b', { text: fmt.factor(f[name]) })));
    });
    return td;
  }

  function schedulerRow(s, w, stats, maxWeight) {
    var load = s.load ? 'run ' + s.load.running + ' · wait ' + s.load.waiting + ' · kv ' + Math.round(s.load.kv_cache_usage * 100) + '%' : '–';
    if (s.load && s.load.prefix_cache) load += ' · prefix hit ' + Math.round(s.load.prefix_cache.hit_rate * 100) + '%';
    // Which engine's gauges were read, and their names on hover (issue 21 item 4).
    var loadSource = s.load && s.load.source ? el('div', { cls: 'load-source', title: (s.load.metrics || []).join(', '), text: s.load.source + ' metrics' }) : null;
    var width = maxWeight > 0 ? Math.round((s.effective_weight / maxWeight) * 100) : 0;
    var draining = s.state === 'draining';
    return el('tr', { 'data-id': s.id },
      el('td', {}, el('div', { cls: 'id', text: s.id }), el('div', { cls: 'url', text: s.url }),
        s.last_error ? el('div', { cls: 'err-note', title: s.last_error, text: s.last_error }) : null),
      el('td', {}, badge(s.state)),
      el('td', {}, el('div', { cls: 'weight' }, el('div', { cls: 'bar' }, el('span', { width: width + '%' })), el('span', { text: fmt.num(s.effective_weight, 2) }))),
      factorsCell(w),
      el('td', { cls: 'load', title: s.load ? '' : 'no load gauges found on GET /metrics' }, el('span', { text: load }), loadSource),
      el('td', {}, ...s.models.map(function (m) { return el('span', { cls: 'chip', text: m }); })),
      el('td', { cls: 'num', text: stats ? fmt.num(stats.requests_per_second, 2) : '–' }),
      el('td', { cls: 'num', text: stats ? fmt.pct(stats.error_rate) : '–' }),
      el('td', { cls: 'num', text: stats ? fmt.ms(stats.latency_ms.p95) : '–' }),
      el('td', { cls: 'num', text: stats ? String(stats.in_flight) : '–' }),
      el('td', { cls: 'actions' },
        el('button', { cls: 'act', type: 'button', 'data-action': draining ? 'undrain' : 'drain', 'data-id': s.id, text: draining ? 'Undrain' : 'Drain' }),
        el('button', { cls: 'danger', type: 'button', 'data-action': 'remove', 'data-id': s.id, text: 'Remove' })));
  }

  function renderSchedulers(page, weights, summary) {
    var list = page.schedulers;
    var byId = function (rows) { var m = {}; rows.forEach(function (r) { m[r.id] = r; }); return m; };
    var w = byId(weights.schedulers), stats = byId(summary.schedulers);
    var maxWeight = weights.schedulers.reduce(function (m, s) { return Math.max(m, s.effective_weight); }, 0);
    $('schedulers-empty').hidden = list.length > 0;
    $('schedulers-empty').textContent = search ? 'No scheduler id contains "' + search + '".' : 'No schedulers registered.';
    $('schedulers-shown').textContent = list.length + ' of ' + page.total + (search ? ' matching' : '') + ', unhealthy first';
    $('schedulers-more').hidden = page.next_after === null;
    var rows = list.map(function (s) { return [s, w[s.id] || null, stats[s.id] || null]; });
    redraw('schedulers', rows, function () { return rows.map(function (r) { return schedulerRow(r[0], r[1], r[2], maxWeight); }); });
  }

  function lags(g) { return g.behind === true && g.lag_ms >= LAG_GRACE_MS; }

  function lagBadge(g) {
    if (g.behind === null) return el('span', { cls: 'badge neutral', text: 'no report yet' });
    if (!g.behind) return el('span', { cls: 'badge healthy', text: 'in sync' });
    if (!lags(g)) return el('span', { cls: 'badge neutral', text: 'updating' });
    return el('span', { cls: 'badge degraded', text: (g.lag === null ? 'older epoch' : g.lag + ' behind') + ' · ' + fmt.num(g.lag_ms / 1000, 1) + ' s' });
  }

  // Issue 19: per model, requests waiting by class, saturation and sheds in the last report interval.
  function queueText(queues) {
    if (!queues || queues.length === 0) return '–';
    return queues.map(function (q) {
      var w = q.waiting_by_priority || {};
      var waiting = (w.interactive || 0) + (w.standard || 0) + (w.batch || 0);
      var shed = Object.keys(q.sheds_by_reason || {}).map(function (r) { return r + ' ' + q.sheds_by_reason[r]; }).join(', ');
      return q.model + ': ' + waiting + ' waiting (i ' + (w.interactive || 0) + ' · s ' + (w.standard || 0) + ' · b ' + (w.batch || 0) + '), ' +
        Math.round((q.saturation || 0) * 100) + '% saturated' + (shed ? ', shed ' + shed : '');
    }).join('; ');
  }

  function renderGateways(gateways) {
    $('gateways-empty').hidden = gateways.length > 0;
    var rows = gateways.map(function (g) { return [g.gateway_id, g.applied_epoch, g.applied_version, g.behind, g.lag, lags(g), Math.round((g.last_report_age_ms || 0) / 500), g.watch_streams, g.report_streams, queueText(g.queues)]; });
    redraw('gateways', rows, function () {
      return gateways.map(function (g) {
        return el('tr', { 'data-id': g.gateway_id },
          el('td', { cls: 'id', text: g.gateway_id }),
          el('td', { cls: 'num', title: 'epoch ' + g.applied_epoch, text: g.applied_version === null ? '–' : String(g.applied_version) }),
          el('td', {}, lagBadge(g)),
          el('td', { cls: 'num', text: fmt.ago(g.last_report_age_ms) }),
          el('td', { cls: 'num', text: 'watch ' + g.watch_streams + ' · report ' + g.report_streams }),
          el('td', { cls: 'url', 'data-testid': 'queues', text: queueText(g.queues) }),
          el('td', { cls: 'url', text: new Date(g.connected_at).toLocaleString() }));
      });
    });
  }

  function refresh() {
    if (busy) return Promise.resolve();
    busy = true;
    var listPath = '/admin/scheduler/list?order=state&limit=' + pageSize + (search ? '&q=' + encodeURIComponent(search) : '');
    return Promise.all([api('GET', '/admin/leader'), api('GET', listPath), api('GET', '/admin/weights'), api('GET', '/admin/gateways'), api('GET', '/admin/metrics')])
      .then(function (r) {
        var leader = r[0], page = r[1], weights = r[2], gateways = r[3], summary = r[4];
        $('login').hidden = true;
        $('dashboard').hidden = false;
        $('sign-out').hidden = !token;
        renderHeader(leader, summary, gateways.current_version);
        renderTiles(summary, weights.schedulers.length, gateways.gateways);
        renderSchedulers(page, weights, summary);
        renderGateways(gateways.gateways);
        setLive(true, 'live · ' + new Date().toLocaleTimeString());
        schedule();
      })
      .catch(function (err) {
        if (err.status === 401 || err.status === 403) return showLogin(token ? 'The token was refused: ' + err.message : '');
        setLive(false, 'cannot reach the admin API: ' + err.message);
        schedule();
      })
      .finally(function () { busy = false; });
  }

  function schedule() {
    clearTimeout(timer);
    timer = setTimeout(refresh, POLL_MS);
  }

  function act(action, id) {
    if (action === 'remove' && !confirm('Remove scheduler "' + id + '"? Gateways stop routing to it at once; a self-registered scheduler may register again.')) return;
    var call = action === 'remove' ? api('DELETE', '/admin/scheduler/remove?id=' + encodeURIComponent(id))
      : api('POST', '/admin/scheduler/' + action, { id: id });
    call.then(function () { toast(id + ': ' + (action === 'remove' ? 'removed' : action === 'drain' ? 'draining' : 'undrained')); shown = {}; return refresh(); },
      function (err) { toast(id + ': ' + action + ' failed: ' + err.message, true); });
  }

  document.addEventListener('DOMContentLoaded', function () {
    $('login-form').addEventListener('submit', function (e) {
      e.preventDefault();
      token = $('token').value.trim();
      sessionStorage.setItem(TOKEN_KEY, token);
      $('token').value = '';
      refresh();
    });
    $('sign-out').addEventListener('click', function () {
      sessionStorage.removeItem(TOKEN_KEY);
      token = '';
      showLogin('');
    });
    var typing = null;
    $('scheduler-search').addEventListener('input', function (e) {
      clearTimeout(typing);
      typing = setTimeout(function () {
        search = e.target.value.trim();
        pageSize = PAGE_SIZE;
        if (!busy) refresh();
      }, 150);
    });
    $('schedulers-more').addEventListener('click', function () {
      pageSize = Math.min(1000, pageSize + PAGE_SIZE);
      if (!busy) refresh();
    });
    $('schedulers').addEventListener('click', function (e) {
      var button = e.target.closest('button[data-action]');
      if (button) act(button.getAttribute('data-action'), button.getAttribute('data-id'));
    });
    refresh();
  });
})();
`;
