/**
 * The status page's markup: empty containers that status-page-script.ts fills.
 * Element ids and data-testid attributes are what the browser test drives.
 */
export const STATUS_PAGE_HTML = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Switchyard status</title>
<link rel="stylesheet" href="/status/style.css">
<script src="/status/app.js" defer></script>
</head>
<body>
<header class="topbar">
  <div class="brand"><span class="logo" aria-hidden="true"></span>Switchyard <span class="muted">control plane</span></div>
  <dl class="facts">
    <div><dt>Leader</dt><dd id="leader">–</dd></div>
    <div><dt>Epoch</dt><dd id="epoch">–</dd></div>
    <div><dt>Table version</dt><dd id="table-version">–</dd></div>
    <div><dt>Replica</dt><dd id="replica">–</dd></div>
  </dl>
  <div class="live"><span id="live-dot" class="dot"></span><span id="live-text">connecting…</span>
    <button id="sign-out" class="ghost" type="button" hidden>Forget token</button></div>
</header>

<main>
  <section id="login" class="card login" hidden>
    <h2>Admin token</h2>
    <p class="muted">This page reads the admin API. The token stays in this tab (sessionStorage) only.</p>
    <form id="login-form" autocomplete="off">
      <input id="token" name="token" type="password" placeholder="ADMIN_TOKEN" aria-label="Admin token" required>
      <button type="submit" class="primary">Open</button>
    </form>
    <p id="login-error" class="error" role="alert"></p>
  </section>

  <div id="dashboard" hidden>
    <section class="tiles" aria-label="Traffic">
      <div class="tile"><span class="label">Requests / s</span><span class="value" id="rps">–</span><span class="sub" id="rps-sub"></span></div>
      <div class="tile"><span class="label">Error rate (5xx)</span><span class="value" id="error-rate">–</span><span class="sub" id="error-sub"></span></div>
      <div class="tile"><span class="label">Latency p50 / p95 / p99</span><span class="value small" id="latency">–</span><span class="sub">ms, upstream</span></div>
      <div class="tile"><span class="label">TTFT p50 / p95 / p99</span><span class="value small" id="ttft">–</span><span class="sub">ms, streams</span></div>
      <div class="tile"><span class="label">Schedulers</span><span class="value" id="sched-count">–</span><span class="sub" id="sched-states"></span></div>
      <div class="tile"><span class="label">Gateways</span><span class="value" id="gw-count">–</span><span class="sub" id="gw-sub"></span></div>
    </section>

    <section class="card">
      <div class="card-head"><h2>Schedulers</h2><span class="muted" id="window-note"></span></div>
      <div class="list-tools">
        <input id="scheduler-search" type="search" placeholder="Find a scheduler by id" aria-label="Find a scheduler by id" autocomplete="off">
        <span class="muted" id="schedulers-shown" data-testid="schedulers-shown"></span>
      </div>
      <div class="table-wrap">
      <table id="schedulers" data-testid="schedulers">
        <thead><tr>
          <th>Scheduler</th><th>State</th><th>Effective weight</th><th>Factors</th><th>Load</th>
          <th>Models</th><th class="num">Req/s</th><th class="num">Errors</th><th class="num">p95 ms</th><th class="num">In flight</th><th></th>
        </tr></thead>
        <tbody></tbody>
      </table>
      </div>
      <p class="empty muted" id="schedulers-empty" hidden>No schedulers registered.</p>
      <button id="schedulers-more" class="act" type="button" hidden>Show more</button>
    </section>

    <section class="card">
      <div class="card-head"><h2>Gateways</h2><span class="muted">connected to this replica</span></div>
      <div class="table-wrap">
      <table id="gateways" data-testid="gateways">
        <thead><tr><th>Gateway</th><th class="num">Applied version</th><th>Lag</th><th class="num">Last report</th><th class="num">Streams</th><th>Queues</th><th>Connected since</th></tr></thead>
        <tbody></tbody>
      </table>
      </div>
      <p class="empty muted" id="gateways-empty" hidden>No gateway is connected.</p>
    </section>
  </div>
  <div id="toast" class="toast" role="status" hidden></div>
</main>
</body>
</html>
`;
