/** The status page's stylesheet: system fonts, no external resources. */
export const STATUS_PAGE_STYLE = `
:root {
  --bg: #f4f6f9; --card: #fff; --ink: #1d2433; --muted: #6b7385; --line: #e3e7ee;
  --top: #141b2d; --top-ink: #e8ecf4; --accent: #3b6ef5;
  --ok: #1f9d55; --ok-bg: #e3f6eb; --warn: #b7791f; --warn-bg: #fdf3dc;
  --bad: #d64545; --bad-bg: #fde8e8; --drain: #5a67d8; --drain-bg: #e8eafc;
}
* { box-sizing: border-box; }
body { margin: 0; background: var(--bg); color: var(--ink);
  font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif; }
.muted { color: var(--muted); }
.error { color: var(--bad); min-height: 1.2em; }
button { font: inherit; cursor: pointer; border-radius: 6px; border: 1px solid var(--line); background: #fff; padding: 4px 10px; }
button:disabled { opacity: .5; cursor: default; }
button.primary { background: var(--accent); border-color: var(--accent); color: #fff; padding: 7px 16px; }
button.ghost { background: transparent; color: var(--top-ink); border-color: #3a4560; }
button.danger { color: var(--bad); border-color: #f1c4c4; }
button.danger:hover { background: var(--bad-bg); }
button.act:hover { background: #f0f3f8; }

.topbar { display: flex; align-items: center; gap: 28px; padding: 12px 24px; background: var(--top); color: var(--top-ink); flex-wrap: wrap; }
.brand { font-weight: 650; font-size: 17px; display: flex; align-items: center; gap: 8px; }
.brand .muted { color: #9aa5bd; font-weight: 400; }
.logo { width: 18px; height: 18px; border-radius: 5px; background: linear-gradient(135deg, #3b6ef5, #22c1a8); display: inline-block; }
.facts { display: flex; gap: 22px; margin: 0; flex: 1; flex-wrap: wrap; }
.facts div { display: flex; flex-direction: column; }
.facts dt { font-size: 11px; text-transform: uppercase; letter-spacing: .06em; color: #9aa5bd; }
.facts dd { margin: 0; font-weight: 600; font-variant-numeric: tabular-nums; }
.live { display: flex; align-items: center; gap: 8px; color: #c5cde0; }
.dot { width: 9px; height: 9px; border-radius: 50%; background: #7a8499; display: inline-block; }
.dot.on { background: #34d399; box-shadow: 0 0 0 3px rgba(52, 211, 153, .25); }
.dot.off { background: var(--bad); }

main { max-width: 1320px; margin: 0 auto; padding: 20px 24px 40px; }
.card { background: var(--card); border: 1px solid var(--line); border-radius: 10px; padding: 16px 18px; margin-bottom: 18px; box-shadow: 0 1px 2px rgba(20, 27, 45, .04); }
.card-head { display: flex; align-items: baseline; justify-content: space-between; }
h2 { font-size: 15px; margin: 0 0 10px; }
.login { max-width: 440px; margin: 60px auto; }
.login form { display: flex; gap: 8px; }
.login input { flex: 1; padding: 7px 10px; border: 1px solid var(--line); border-radius: 6px; font: inherit; }

.tiles { display: grid; grid-template-columns: repeat(auto-fit, minmax(180px, 1fr)); gap: 14px; margin-bottom: 18px; }
.tile { background: var(--card); border: 1px solid var(--line); border-radius: 10px; padding: 12px 14px; display: flex; flex-direction: column; }
.tile .label { font-size: 12px; color: var(--muted); }
.tile .value { font-size: 26px; font-weight: 650; font-variant-numeric: tabular-nums; }
.tile .value.small { font-size: 20px; padding: 4px 0 3px; white-space: nowrap; }
.tile .value.bad { color: var(--bad); }
.tile .sub { font-size: 12px; color: var(--muted); min-height: 1.2em; }

.table-wrap { overflow-x: auto; }
table { width: 100%; border-collapse: collapse; font-variant-numeric: tabular-nums; }
th { text-align: left; font-size: 11px; text-transform: uppercase; letter-spacing: .05em; color: var(--muted); font-weight: 600; padding: 6px 8px; border-bottom: 1px solid var(--line); white-space: nowrap; }
td { padding: 9px 8px; border-bottom: 1px solid var(--line); vertical-align: middle; }
tr:last-child td { border-bottom: 0; }
.num { text-align: right; }
.id { font-weight: 600; }
.url { font-size: 12px; color: var(--muted); white-space: nowrap; }
.err-note { font-size: 12px; color: var(--bad); max-width: 260px; overflow: hidden; text-overflow: ellipsis; white-space: nowrap; }
.actions { white-space: nowrap; text-align: right; }
.actions button + button { margin-left: 6px; }

.badge { display: inline-block; padding: 2px 9px; border-radius: 999px; font-size: 12px; font-weight: 600; white-space: nowrap; }
.badge.healthy { color: var(--ok); background: var(--ok-bg); }
.badge.degraded { color: var(--warn); background: var(--warn-bg); }
.badge.unhealthy { color: var(--bad); background: var(--bad-bg); }
.badge.draining { color: var(--drain); background: var(--drain-bg); }
.badge.neutral { color: var(--muted); background: #eef1f5; }

.weight { display: flex; align-items: center; gap: 8px; min-width: 120px; }
.bar { flex: 1; height: 6px; background: #edf0f5; border-radius: 3px; overflow: hidden; min-width: 56px; }
.bar span { display: block; height: 100%; background: var(--accent); }
.factors { font-size: 12px; color: var(--muted); max-width: 250px; line-height: 1.6; }
.factor { white-space: nowrap; }
.factors b { color: var(--ink); font-weight: 600; }
.factors .low { color: var(--bad); }
.chip { display: inline-block; white-space: nowrap; background: #eef2fb; color: #33415c; border-radius: 4px; padding: 1px 6px; font-size: 12px; margin: 1px 2px 1px 0; }
.load { font-size: 12px; white-space: nowrap; }
.load-source { color: var(--muted); font-size: 11px; }
.toast { position: fixed; bottom: 20px; right: 20px; background: var(--top); color: #fff; padding: 10px 16px; border-radius: 8px; box-shadow: 0 4px 16px rgba(0, 0, 0, .2); }
.toast.bad { background: var(--bad); }
.list-tools { display: flex; gap: 12px; align-items: center; margin: 0 0 10px; }
.list-tools input { flex: 0 1 320px; padding: 6px 10px; border: 1px solid #c8ccd4; border-radius: 6px; font: inherit; }
#schedulers-more { margin-top: 10px; }
`;
