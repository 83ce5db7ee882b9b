// The wallboard: the client's live view from GET events (server-sent events), drawn in the browser. No build step, no
// dependencies. Times that tick (longest wait, time in state) are computed here from central timestamps, corrected by
// the difference between this browser's clock and the client host's clock (each "status" event carries the host's now).
'use strict';

const STATES = ['ready', 'talking', 'wrap-up', 'not-ready', 'logged-out'];
const STATE_LABEL = { ready: 'ready', talking: 'talking', 'wrap-up': 'wrap-up', 'not-ready': 'not ready', 'logged-out': 'logged out' };
const HISTORY_MS = 30 * 60 * 1000;
const SAMPLE_MS = 10 * 1000;
const LOST_AFTER_MS = 5000;

// scope kept in the URL, so that a TV can be pointed at one group or team: /?group=10,11 (skill group ids), /?team=Lisbon
// team 2 (a team's id or name: its agents only, and the tiles of their skill groups), /?kiosk=1 (a TV: tiles only, large
// type, pages that rotate every ?rotate= seconds, 10 by default, when the tiles do not fit)
const params = new URLSearchParams(location.search);
const scope = {
  groups: (params.get('group') ?? '').split(',').map(g => g.trim()).filter(g => g !== ''),
  team: (params.get('team') ?? '').trim(),
  kiosk: params.get('kiosk') === '1',
  rotateMs: Math.max(3, Number(params.get('rotate')) || 10) * 1000,
};
if (scope.kiosk) document.body.classList.add('kiosk');

const wb = {
  tables: new Map(), // "kind|table" -> Map(key -> row)
  settings: { serviceLevelGreen: 80, serviceLevelAmber: 60 },
  skew: 0, // host clock - browser clock, ms
  status: null,
  statusAt: 0,
  lostSince: null,
  refusal: null, // why the client refused the feed (a 400 or 503's text), while it does
  history: new Map(), // skill group key -> [{ t, queued, sl }]
  lastSample: 0,
  sort: { by: 'name', desc: false },
  page: 0,
  pageTurnedAt: Date.now(),
};
window.wallboard = wb;

const $ = s => document.querySelector(s);
const esc = s => String(s ?? '').replace(/[&<>"']/g, c => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' }[c]));
const now = () => Date.now() + wb.skew;
const table = (kind, name) => {
  const id = `${kind}|${name}`;
  if (!wb.tables.has(id)) wb.tables.set(id, new Map());
  return wb.tables.get(id);
};
const live = name => table('realtime', name);
const config = name => table('config', name);
const nameOf = (tableName, id, fallback) => (id === null || id === undefined) ? '' : (config(tableName).get(String(id))?.value?.name ?? `${fallback} ${id}`);
const byName = (a, b) => a.name.localeCompare(b.name, undefined, { numeric: true });

/** seconds as mm:ss, or h:mm:ss from an hour on */
function duration(seconds) {
  const s = Math.max(0, Math.floor(seconds));
  const mm = String(Math.floor(s / 60) % 60).padStart(2, '0'), ss = String(s % 60).padStart(2, '0');
  return s >= 3600 ? `${Math.floor(s / 3600)}:${mm}:${ss}` : `${mm}:${ss}`;
}
const since = (iso, at = now()) => iso ? duration((at - Date.parse(iso)) / 1000) : '–';
const seconds = v => (v === null || v === undefined) ? '–' : duration(v);
const percent = v => (v === null || v === undefined) ? '–' : `${Math.round(v * 100)}%`;
/** the average column `avg` over rows, each weighted by its count `n` (an AHT by the calls handled), one decimal; null when no row counts */
function weightedAverage(rows, avg, n) {
  const known = rows.filter(r => r[avg] !== null && r[avg] !== undefined && r[n]);
  const d = known.reduce((t, r) => t + r[n], 0);
  return d === 0 ? null : Math.round(known.reduce((t, r) => t + r[avg] * r[n], 0) / d * 10) / 10;
}
/** a skill group's own thresholds (its skillgroup configuration row; 0: the site's default or, queue and wait, no colour) */
const limitsOf = key => config('skillgroup').get(String(key))?.value ?? {};
/** an SL's colour: the group's serviceLevelGreen / serviceLevelAmber when set, else the site's (Client:Wallboard) */
function slClass(v, limits = {}) {
  if (v === null || v === undefined) return 'sl-none';
  const p = Math.round(v * 100);
  const green = limits.serviceLevelGreen || wb.settings.serviceLevelGreen, amber = limits.serviceLevelAmber || wb.settings.serviceLevelAmber;
  return p >= green ? 'sl-good' : p >= amber ? 'sl-warn' : 'sl-bad';
}
/** a value past its amber or red threshold (0: none): 't-warn', 't-bad' or '' */
const levelClass = (v, amber, red) => red > 0 && v >= red ? 't-bad' : amber > 0 && v >= amber ? 't-warn' : '';
/**
 * a time in state past its amber or red threshold (Client:Wallboard:TimeInState, per state, in seconds; for not ready,
 * the agent's own limits from its skill groups when they set any): 't-warn', 't-bad' or ''
 */
function timeClass(state, seconds, own = null) {
  const t = wb.settings.timeInState?.[state] ?? {};
  const amber = (state === 'not-ready' && own?.amberSeconds) || t.amberSeconds, red = (state === 'not-ready' && own?.redSeconds) || t.redSeconds;
  return levelClass(seconds, amber, red);
}
/** an agent's not-ready limits from its skill groups: the strictest (smallest) amber and red any of them sets, 0 where none does */
function notReadyLimits(groupKeys) {
  const strictest = c => Math.min(...groupKeys.map(g => limitsOf(g)[c] || Infinity));
  const [amber, red] = [strictest('notReadyAmberSeconds'), strictest('notReadyRedSeconds')];
  return { amberSeconds: Number.isFinite(amber) ? amber : 0, redSeconds: Number.isFinite(red) ? red : 0 };
}
const count = v => (v === null || v === undefined) ? '–' : String(v);
const time = ms => new Date(ms).toLocaleTimeString([], { hour12: false });

/**
 * When the figures of a real-time table stopped being live, in host time (ms), or null while live: the feed to this
 * page lost, the center unreachable from the site, or the table stale at the client (no update nor heartbeat for
 * Client:StaleAfter). Every figure of a stale table is dimmed and its timers count to this moment, not to now.
 */
function frozenAt(tableName) {
  const s = wb.status;
  const moments = [];
  if (wb.lostSince !== null || (wb.statusAt && Date.now() - wb.statusAt > LOST_AFTER_MS)) moments.push((wb.lostSince ?? wb.statusAt) + wb.skew);
  if (s?.centerUnreachableSince) moments.push(Date.parse(s.centerUnreachableSince));
  const t = s?.tables.find(x => x.kind === 'realtime' && x.table === tableName);
  if (t?.stale && t.lastUpdatedAt) moments.push(Date.parse(t.lastUpdatedAt));
  return moments.length ? Math.min(...moments) : null;
}
/** the time a table's timers count to: now while live, the moment it froze when stale */
const clockOf = tableName => frozenAt(tableName) ?? now();
/** "as of 10:42:05, 01:13 ago" for a stale table, or '' */
function ageOf(tableName) {
  const at = frozenAt(tableName);
  return at === null ? '' : `as of ${time(at)}, ${duration((now() - at) / 1000)} ago`;
}

// ---- the feed ----
// The page passes its scope on (events?group=10,11&team=Blue): the client sends only the rows this scope draws (the
// scope's agents, its skill group tiles, the small tables whole: docs/wallboard.md). "reset": the scope's rows of the
// view; "frame": its rows changed and removed since the last frame; "status": once a second. The browser reconnects by
// itself (with Last-Event-ID, so the client resumes or sends a reset); a client at its connection or scope cap answers
// 503, a malformed scope 400, which close the EventSource for good: then the page shows why and opens a new one after a
// random 10-20 s.
const feedQuery = new URLSearchParams();
if (scope.groups.length) feedQuery.set('group', scope.groups.join(','));
if (scope.team !== '') feedQuery.set('team', scope.team);
// a kiosk draws the tiles only: without a team (whose tile counts its agents) it asks for the skill group rows alone
if (scope.kiosk && scope.team === '') feedQuery.set('tiles', '1');
const feedUrl = String(feedQuery) === '' ? 'events' : `events?${feedQuery}`;
function connect() {
  const source = new EventSource(feedUrl);
  source.addEventListener('reset', e => {
    const view = JSON.parse(e.data);
    wb.tables.clear();
    wb.settings = view.settings;
    wb.skew = Date.parse(view.now) - Date.now();
    $('#site').textContent = view.site;
    $('#workstation').textContent = view.workstation;
    document.title = `Wallboard · ${view.site}`;
    view.rows.forEach(r => table(r.kind, r.table).set(r.key, r));
    draw();
  });
  source.addEventListener('frame', e => {
    const frame = JSON.parse(e.data);
    frame.rows.forEach(r => table(r.kind, r.table).set(r.key, r));
    frame.removed.forEach(r => table(r.kind, r.table).delete(r.key));
    dirty();
  });
  source.addEventListener('status', e => {
    wb.status = JSON.parse(e.data);
    wb.statusAt = Date.now();
    wb.skew = Date.parse(wb.status.now) - Date.now();
    wb.lostSince = null;
    header();
  });
  source.onerror = () => {
    wb.lostSince ??= Date.now();
    header();
    if (source.readyState !== EventSource.CLOSED) return;
    setTimeout(connect, 10000 + Math.random() * 10000);
    // refused (400, 503): the client's reason, for the banner
    fetch(feedUrl).then(r => r.ok ? r.body?.cancel() : r.text().then(t => { wb.refusal = t.trim(); header(); })).catch(() => {});
  };
  source.addEventListener('open', () => { wb.refusal = null; });
}
connect();

let pending = false;
function dirty() {
  if (!pending) { pending = true; requestAnimationFrame(() => { pending = false; draw(); }); }
}

// ---- header and banner ----
function header() {
  const s = wb.status;
  $('#clock').textContent = time(now());
  if (!s && wb.refusal) { $('#banner').hidden = false; $('#banner').textContent = `No feed: the client says: ${wb.refusal}`; }
  if (!s) return;
  $('#sequence').textContent = s.lastSiteSequence;
  const chips = s.tables.filter(t => t.kind === 'realtime').map(t => t.stale
    ? `<span class="chip stale" data-table="${esc(t.table)}">${esc(t.table)}: stale since ${time(Date.parse(t.lastUpdatedAt))} (${duration((now() - Date.parse(t.lastUpdatedAt)) / 1000)})</span>`
    : `<span class="chip" data-table="${esc(t.table)}">${esc(t.table)}: live</span>`);
  if (chips.length === 0) chips.push('<span class="chip waiting">no real-time rows yet</span>');
  $('#freshness').innerHTML = chips.join('');
  const realtime = s.tables.filter(t => t.kind === 'realtime');
  const banner = $('#banner');
  let text = null, info = false;
  if (wb.lostSince !== null || Date.now() - wb.statusAt > LOST_AFTER_MS) {
    const lost = wb.lostSince ?? wb.statusAt;
    text = `Feed lost at ${time(lost + wb.skew)}: reconnecting. The figures below are frozen as of then.${wb.refusal ? ` The client says: ${wb.refusal}` : ''}`;
  } else if (s.centerUnreachableSince) {
    text = `Center unreachable since ${time(Date.parse(s.centerUnreachableSince))}: the site serves its own copy; real-time figures are as of then.`;
  } else if (s.isLoading) {
    text = 'Loading a snapshot of the site: the figures below are being refreshed.';
    info = true;
  } else if (realtime.length > 0 && realtime.every(t => t.stale)) {
    const newest = Math.max(...realtime.map(t => Date.parse(t.lastUpdatedAt)));
    text = `No real-time update from the center since ${time(newest)}: the center or the site's distributor may be unreachable.`;
  }
  banner.hidden = text === null;
  banner.textContent = text ?? '';
  banner.classList.toggle('info', info);
}

// ---- configuration joins: reason texts, teams, memberships ----
/** "peripheralId|code" -> the reason's text (reasoncode configuration: per peripheral) */
function reasonTexts() {
  const texts = new Map();
  for (const row of config('reasoncode').values()) {
    if (row.value) texts.set(`${row.value.peripheralId}|${row.value.code}`, row.value.text);
  }
  return texts;
}

/**
 * the URL's team (?team= its id, else its name, case ignored): { key, name, members, agents: members and supervisors
 * (Sets of agent keys) }, null when none is asked for
 */
function scopedTeam() {
  if (scope.team === '') return null;
  const rows = [...config('team').values()];
  const wanted = scope.team.toLowerCase();
  // by id, else by name; of several of that name, the lowest id (as the client picks the rows it sends)
  const row = rows.find(r => r.key === scope.team) ?? rows.filter(r => (r.value?.name ?? '').toLowerCase() === wanted)
    .sort((a, b) => a.key.localeCompare(b.key, undefined, { numeric: true }))[0];
  const of = t => new Set(row ? [...config(t).values()].filter(m => m.value && String(m.value.teamId) === row.key).map(m => String(m.value.agentId)) : []);
  const members = of('teammember');
  return { key: row?.key ?? null, name: row?.value?.name ?? scope.team, members, agents: new Set([...members, ...of('teamsupervisor')]) };
}

/** agent key -> { team: its team's key, supervises: keys of the teams it supervises } */
function teamsOfAgents() {
  const of = new Map();
  const entry = a => { if (!of.has(a)) of.set(a, { team: null, supervises: [] }); return of.get(a); };
  for (const m of config('teammember').values()) if (m.value) entry(String(m.value.agentId)).team = String(m.value.teamId);
  for (const m of config('teamsupervisor').values()) if (m.value) entry(String(m.value.agentId)).supervises.push(String(m.value.teamId));
  return of;
}

// ---- skill group tiles ----
/** the skill groups shown: the URL's groups, and with a team only the groups its members are in (not its supervisors') */
function skillGroups(team, byGroup) {
  const keys = new Set([...config('skillgroup').keys(), ...live('skillgroup').keys()]);
  const ofTeam = key => team === null || [...(byGroup.get(key) ?? [])].some(a => team.members.has(a));
  return [...keys].filter(key => (scope.groups.length === 0 || scope.groups.includes(key)) && ofTeam(key)).map(key => ({ key, name: nameOf('skillgroup', key, 'skill group'), row: live('skillgroup').get(key)?.value ?? {} })).sort(byName);
}

function sample(groups) {
  const t = now();
  if (t - wb.lastSample < SAMPLE_MS) return;
  wb.lastSample = t;
  for (const g of groups) {
    const h = wb.history.get(g.key) ?? [];
    h.push({ t, queued: g.row.callsQueuedNow ?? 0, sl: g.row.serviceLevelHalf ?? null });
    while (h.length && h[0].t < t - HISTORY_MS) h.shift();
    wb.history.set(g.key, h);
  }
}

function sparkline(key) {
  const h = wb.history.get(key) ?? [];
  if (h.length < 2) return '<svg class="spark" viewBox="0 0 130 30"></svg>';
  const t0 = now() - HISTORY_MS, x = t => ((t - t0) / HISTORY_MS * 130).toFixed(1);
  const max = Math.max(1, ...h.map(p => p.queued));
  const q = h.map(p => `${x(p.t)},${(28 - p.queued / max * 26).toFixed(1)}`).join(' ');
  const s = h.filter(p => p.sl !== null).map(p => `${x(p.t)},${(28 - p.sl * 26).toFixed(1)}`).join(' ');
  return `<svg class="spark" viewBox="0 0 130 30"><title>last 30 min: calls in queue (blue, max ${max}), service level (green)</title>` +
    `<polyline class="q" points="${q}"/><polyline class="s" points="${s}"/></svg>`;
}

const WINDOWS = [['5 min', 'To5'], ['½ hour', 'Half'], ['today', 'Today']];

/** the figures of one window row: offered, answered, abandoned, abandon %, SL, ASA, AHT */
function windowCells(r, w, limits) {
  return `<td class="num offered${w}">${count(r[`callsOffered${w}`])}</td><td class="num answered${w}">${count(r[`callsAnswered${w}`])}</td>` +
    `<td class="num abandoned${w}">${count(r[`callsAbandoned${w}`])}</td><td class="num abandonRate${w}">${percent(r[`abandonRate${w}`])}</td>` +
    `<td class="num sl${w} ${slClass(r[`serviceLevel${w}`], limits)}">${percent(r[`serviceLevel${w}`])}</td>` +
    `<td class="num asa${w}">${seconds(r[`averageSpeedOfAnswer${w}`])}</td><td class="num aht${w}">${seconds(r[`averageHandleTime${w}`])}</td>`;
}
const WINDOW_HEAD = '<tr><th></th><th class="num">offered</th><th class="num">answ.</th><th class="num">aband.</th><th class="num">ab. %</th>' +
  '<th class="num">SL</th><th class="num">ASA</th><th class="num">AHT</th></tr>';

function tile(g, at, stale) {
  const r = g.row, limits = g.total ? {} : limitsOf(g.key);
  const wait = r.longestInQueueSince ? (at - Date.parse(r.longestInQueueSince)) / 1000 : null;
  const available = r.longestAvailableSince ? (at - Date.parse(r.longestAvailableSince)) / 1000 : null;
  const windows = WINDOWS.map(([label, w]) => `<tr class="w-${w}"><th>${label}</th>${windowCells(r, w, limits)}</tr>`).join('');
  // its peripheral silent (offline) or events lost and a resync awaited (uncertain): the figures are the last known ones
  const peripheral = peripheralChip(r);
  // the group's queue and longest wait thresholds colour them; without, a wait of a minute or more shows amber
  const waitClass = limits.longestWaitAmberSeconds || limits.longestWaitRedSeconds
    ? levelClass(wait ?? 0, limits.longestWaitAmberSeconds, limits.longestWaitRedSeconds) : wait !== null && wait >= 60 ? 'long' : '';
  return `<article class="tile ${slClass(r.serviceLevelHalf, limits)}${peripheral ? ' peripheral-' + esc(r.peripheralStatus) : ''}${stale ? ' stale' : ''}${g.total ? ' total' : ''}" data-skillgroup="${esc(g.key)}">
    <header><h3 title="${esc(g.name)}">${esc(g.name)}</h3>${peripheral}${g.total ? '' : sparkline(g.key)}</header>
    ${stale ? `<div class="chip stale age">stale: figures ${esc(stale)}</div>` : ''}
    <div class="big">
      <div><span class="n queued ${levelClass(r.callsQueuedNow ?? 0, limits.queueAmber, limits.queueRed)}">${count(r.callsQueuedNow ?? 0)}</span><label>in queue</label></div>
      <div><span class="n wait ${waitClass}" data-since="${esc(r.longestInQueueSince ?? '')}">${wait === null ? '00:00' : duration(wait)}</span><label>longest wait</label></div>
      <div><span class="n sl ${slClass(r.serviceLevelHalf, limits)}">${percent(r.serviceLevelHalf)}</span><label>SL ½ hour</label></div>
      <div><span class="n slToday ${slClass(r.serviceLevelToday, limits)}">${percent(r.serviceLevelToday)}</span><label>SL today</label></div>
      <div><span class="n abandon">${percent(r.abandonRateHalf)}</span><label>aband. ½h</label></div>
      <div><span class="n asa">${seconds(r.averageSpeedOfAnswerHalf)}</span><label>ASA ½h</label></div>
      <div><span class="n aht">${seconds(r.averageHandleTimeHalf)}</span><label>AHT ½h</label></div>
      <div><span class="n available">${available === null ? '–' : duration(available)}</span><label>longest ready</label></div>
    </div>
    <div class="agents">
      <span><i class="dot s-ready"></i><b class="ready">${count(r.agentsReady ?? 0)}</b>ready</span>
      <span><i class="dot s-talking"></i><b class="talking">${count(r.agentsTalking ?? 0)}</b>talking</span>
      <span><i class="dot s-wrap-up"></i><b class="wrapup">${count(r.agentsWrapUp ?? 0)}</b>wrap-up</span>
      <span><i class="dot s-not-ready"></i><b class="notready">${count(r.agentsNotReady ?? 0)}</b>not ready</span>
    </div>
    <table class="windows">${WINDOW_HEAD}${windows}</table>
  </article>`;
}

/**
 * The site total of the groups shown: counts summed; SL by the rows' serviceLevelType: Σ serviceLevelCalls ÷
 * Σ serviceLevelCallsOffered (negative, the default), ÷ Σ (serviceLevelCallsOffered − serviceLevelAbandoned) (ignore),
 * or (Σ serviceLevelCalls + Σ serviceLevelAbandoned) ÷ Σ serviceLevelCallsOffered (positive); abandon % = Σ abandoned
 * ÷ Σ (offered − short), ASA and AHT weighted by the calls answered and handled; the oldest call waiting and the longest ready agent over all of them.
 */
function siteTotal(groups) {
  const rows = groups.map(g => g.row);
  const sum = c => rows.reduce((t, r) => t + (r[c] ?? 0), 0);
  const weighted = (avg, n) => weightedAverage(rows, avg, n);
  const ratio = (a, b) => b <= 0 ? null : Math.round(a / b * 10000) / 10000;
  const oldest = c => rows.map(r => r[c]).filter(v => v).sort()[0] ?? null;
  // the rows' treatment of abandons within the threshold (serviceLevelType, ICM ServiceLevelType: 1 ignore, 2 negative, 3
  // positive; the center's RealTime:ServiceLevelAbandons), so the total's SL is computed as each group's is
  const type = rows.map(r => r.serviceLevelType).find(t => t !== undefined && t !== null) ?? 2;
  const total = { callsQueuedNow: sum('callsQueuedNow'), longestInQueueSince: oldest('longestInQueueSince'), longestAvailableSince: oldest('longestAvailableSince') };
  for (const c of ['agentsReady', 'agentsTalking', 'agentsWrapUp', 'agentsNotReady']) total[c] = sum(c);
  for (const [, w] of WINDOWS) {
    for (const c of ['callsOffered', 'callsAnswered', 'callsAbandoned', 'callsHandled']) total[c + w] = sum(c + w);
    const [met, offered, abandoned] = [sum(`serviceLevelCalls${w}`), sum(`serviceLevelCallsOffered${w}`), sum(`serviceLevelAbandoned${w}`)];
    total[`serviceLevel${w}`] = type === 1 ? ratio(met, offered - abandoned) : type === 3 ? ratio(met + abandoned, offered) : ratio(met, offered);
    total[`abandonRate${w}`] = ratio(sum(`callsAbandoned${w}`), sum(`callsOffered${w}`) - sum(`shortAbandoned${w}`));
    total[`averageSpeedOfAnswer${w}`] = weighted(`averageSpeedOfAnswer${w}`, `callsAnswered${w}`);
    total[`averageHandleTime${w}`] = weighted(`averageHandleTime${w}`, `callsHandled${w}`);
  }
  return { key: 'total', name: scope.team ? 'Total of the team\'s groups' : scope.groups.length ? 'Total of these groups' : 'Site total', row: total, total: true };
}

/**
 * the team's own tile (?team=): its agents by state, counted here from their agent rows, and the longest not ready; the
 * calls its members (not its supervisors) answered and handled in the half hour and today, and their AHT weighted by
 * the calls handled (the center's per-agent windows: docs/statistics.md)
 */
function teamTile(team, list, at, stale) {
  const n = state => list.filter(a => a.state === state).length;
  const longest = list.filter(a => a.state === 'not-ready' && a.seconds !== null).sort((a, b) => b.seconds - a.seconds)[0] ?? null;
  const rows = list.filter(a => team.members.has(a.key)).map(a => a.row);
  const calls = [['½ hour', 'Half'], ['today', 'Today']].map(([label, w]) => ({
    label, w, answered: rows.reduce((t, r) => t + (r[`callsAnswered${w}`] ?? 0), 0), handled: rows.reduce((t, r) => t + (r[`callsHandled${w}`] ?? 0), 0),
    aht: weightedAverage(rows, `averageHandleTime${w}`, `callsHandled${w}`),
  }));
  return `<article class="tile team${stale ? ' stale' : ''}" data-skillgroup="team" data-team="${esc(team.key ?? '')}">
    <header><h3 title="${esc(team.name)}">${esc(team.name)}</h3></header>
    ${stale ? `<div class="chip stale age">stale: figures ${esc(stale)}</div>` : ''}
    ${team.key === null ? `<div class="chip stale">no team "${esc(scope.team)}" in this site's configuration</div>` : ''}
    <div class="big">
      <div><span class="n loggedon">${list.filter(a => a.state !== 'logged-out').length}</span><label>logged on</label></div>
      <div><span class="n ready">${n('ready')}</span><label>ready</label></div>
      <div><span class="n talking">${n('talking')}</span><label>talking</label></div>
      <div><span class="n notready">${n('not-ready')}</span><label>not ready</label></div>
      <div><span class="n wrapup">${n('wrap-up')}</span><label>wrap-up</label></div>
      <div><span class="n members">${list.length}</span><label>in team</label></div>
      <div><span class="n longest ${longest === null ? '' : timeClass('not-ready', longest.seconds, longest.notReady)}">${longest === null ? '–' : duration(longest.seconds)}</span><label>longest not ready</label></div>
      <div><span class="n aht">${seconds(calls[0].aht)}</span><label>AHT ½h</label></div>
    </div>
    <table class="windows team-calls"><thead><tr><th></th><th class="num">answ.</th><th class="num">handled</th><th class="num">AHT</th></tr></thead><tbody>
      ${calls.map(c => `<tr><th>${c.label}</th><td class="num answered${c.w}">${c.answered}</td><td class="num handled${c.w}">${c.handled}</td><td class="num aht${c.w}">${seconds(c.aht)}</td></tr>`).join('')}
    </tbody></table>
  </article>`;
}

/**
 * Kiosk: shows as many whole tiles as fit under the header, and turns the page every scope.rotateMs when they do not
 * all fit (the page number shows in the corner). Nothing scrolls.
 */
function paginate() {
  const all = [...document.querySelectorAll('#skillgroups .tile')];
  const pager = $('#pager');
  if (!scope.kiosk || all.length === 0) { pager.hidden = true; return; }
  all.forEach(t => { t.hidden = false; });
  const grid = $('#skillgroups');
  const columns = new Set(all.map(t => t.offsetLeft)).size;
  const gap = parseFloat(getComputedStyle(grid).rowGap) || 0;
  const height = Math.max(...all.map(t => t.offsetHeight)) + gap;
  const room = window.innerHeight - grid.getBoundingClientRect().top - pager.offsetHeight - 8;
  const perPage = Math.max(1, columns * Math.max(1, Math.floor((room + gap) / height)));
  const pages = Math.ceil(all.length / perPage);
  if (Date.now() - wb.pageTurnedAt >= scope.rotateMs) { wb.page += 1; wb.pageTurnedAt = Date.now(); }
  wb.page %= pages;
  all.forEach((t, i) => { t.hidden = Math.floor(i / perPage) !== wb.page; });
  pager.hidden = pages < 2;
  pager.textContent = `page ${wb.page + 1} of ${pages}`;
  document.body.dataset.pages = String(pages);
}

function tiles(groups, team, teamAgents) {
  const at = clockOf('skillgroup'), stale = ageOf('skillgroup');
  const own = team === null ? '' : teamTile(team, teamAgents, clockOf('agent'), ageOf('agent'));
  $('#skillgroups').innerHTML = own + (groups.length
    ? [siteTotal(groups), ...groups].map(g => tile(g, at, stale)).join('')
    : '<p class="empty">No skill groups in this site\'s view yet.</p>');
  paginate();
  const options = '<option value="">all skill groups</option>' + groups.map(g => `<option value="${esc(g.key)}">${esc(g.name)}</option>`).join('');
  const select = $('#filter-group');
  if (select.dataset.options !== options) { // rebuilt only when the groups change, so an open list stays open
    const chosen = select.value;
    select.innerHTML = options;
    select.dataset.options = options;
    select.value = chosen;
  }
}

// ---- agents ----
/** skill group key -> the keys of its member agents (skillgroupmember configuration) */
function members() {
  const byGroup = new Map();
  for (const row of config('skillgroupmember').values()) {
    const m = row.value;
    if (!m) continue;
    const g = String(m.skillGroupId);
    if (!byGroup.has(g)) byGroup.set(g, new Set());
    byGroup.get(g).add(String(m.agentId));
  }
  return byGroup;
}

/**
 * Every agent of the view: state, time in state, the group it works for now, its reason (the code and, from the
 * reasoncode configuration of its peripheral, the text), its team (and the teams it supervises), its skill groups.
 */
function agents(byGroup) {
  const t = clockOf('agent');
  const texts = reasonTexts(), teams = teamsOfAgents();
  const groupsOf = new Map();
  for (const [g, keys] of byGroup) for (const a of keys) { if (!groupsOf.has(a)) groupsOf.set(a, []); groupsOf.get(a).push(g); }
  const keys = new Set([...live('agent').keys(), ...config('agent').keys()]);
  return [...keys].map(key => {
    const r = live('agent').get(key)?.value ?? {};
    const stateSince = r.stateSince ? Date.parse(r.stateSince) : null;
    const reason = r.reasonCode ?? 0;
    const peripheral = config('agent').get(key)?.value?.peripheralId;
    const team = teams.get(key) ?? { team: null, supervises: [] };
    return {
      key, name: nameOf('agent', key, 'agent'), state: r.state ?? 'logged-out', seconds: stateSince === null ? null : (t - stateSince) / 1000,
      group: r.skillGroupId === null || r.skillGroupId === undefined ? '' : String(r.skillGroupId), reason,
      reasonText: reason === 0 ? '' : (texts.get(`${peripheral}|${reason}`) ?? String(reason)),
      row: r, team: team.team, supervises: team.supervises, notReady: notReadyLimits(groupsOf.get(key) ?? []),
      groups: (groupsOf.get(key) ?? []).map(g => nameOf('skillgroup', g, 'skill group')).sort((a, b) => a.localeCompare(b, undefined, { numeric: true })),
    };
  });
}

/** the agents the URL's scope shows: a team's members and supervisors; the URL's groups' members and agents working for them now */
function scopedAgents(all, team, byGroup) {
  return all.filter(a => (team === null || team.agents.has(a.key))
    && (scope.groups.length === 0 || scope.groups.some(g => a.group === g || byGroup.get(g)?.has(a.key))));
}

function agentGrid(all, byGroup) {
  const state = $('#filter-state').value, group = $('#filter-group').value, name = $('#filter-name').value.trim().toLowerCase();
  // a skill group filter shows every member of the group, in any state the state filter lets through
  const shown = all.filter(a => (state === '' || (state === 'on' ? a.state !== 'logged-out' : a.state === state))
    && (group === '' || a.group === group || byGroup.get(group)?.has(a.key)) && (name === '' || a.name.toLowerCase().includes(name)));
  const stale = ageOf('agent');
  $('#agents').classList.toggle('stale', stale !== '');
  $('#agent-age').textContent = stale;
  const groupName = a => nameOf('skillgroup', a.group || null, 'skill group');
  const teamName = a => nameOf('team', a.team, 'team');
  const keyOf = {
    name: a => a.name, state: a => STATES.indexOf(a.state), time: a => a.seconds ?? -1, group: a => groupName(a),
    reason: a => a.state === 'not-ready' ? a.reasonText : '', team: a => teamName(a), groups: a => a.groups.join(', '),
  }[wb.sort.by];
  shown.sort((a, b) => {
    const x = keyOf(a), y = keyOf(b);
    const c = typeof x === 'string' ? x.localeCompare(y, undefined, { numeric: true }) : x - y;
    return (wb.sort.desc ? -c : c) || byName(a, b);
  });
  $('#agent-count').textContent = `${shown.length} of ${all.length}`;
  $('#agents tbody').innerHTML = shown.map(a => `<tr data-agent="${esc(a.key)}" data-state="${a.state}">
    <td class="name">${esc(a.name)}</td><td><span class="state s-${a.state}">${STATE_LABEL[a.state] ?? esc(a.state)}</span></td>
    <td class="num time ${a.seconds === null ? '' : timeClass(a.state, a.seconds, a.notReady)}">${a.seconds === null ? '–' : duration(a.seconds)}</td>
    <td class="reason" data-code="${a.state === 'not-ready' ? a.reason : 0}">${a.state === 'not-ready' ? esc(a.reasonText) : ''}</td>
    <td class="group">${esc(groupName(a))}</td>
    <td class="team">${esc(teamName(a))}${a.supervises.length ? ` <span class="sup" title="supervises ${esc(a.supervises.map(t => nameOf('team', t, 'team')).join(', '))}">supervisor</span>` : ''}</td>
    <td class="groups">${esc(a.groups.join(', '))}</td></tr>`).join('');
  document.querySelectorAll('#agents th[data-sort]').forEach(th => {
    th.classList.toggle('sorted', th.dataset.sort === wb.sort.by);
    th.classList.toggle('desc', th.dataset.sort === wb.sort.by && wb.sort.desc);
  });
}

// ---- call type and service summaries ----
// a row of an offline or uncertain peripheral (skill group tile, service) says so instead of looking live
function peripheralChip(r) {
  return r.peripheralStatus && r.peripheralStatus !== 'online'
    ? `<span class="chip peripheral ${esc(r.peripheralStatus)}">peripheral ${esc(r.peripheralStatus)}</span>` : '';
}

function summary(selector, tableName, label) {
  const keys = new Set([...config(tableName).keys(), ...live(tableName).keys()]);
  const rows = [...keys].map(key => ({ key, name: nameOf(tableName, key, label), row: live(tableName).get(key)?.value ?? {} })).sort(byName);
  const at = clockOf(tableName), stale = ageOf(tableName);
  $(selector).classList.toggle('stale', stale !== '');
  $(selector).dataset.age = stale;
  $(selector).innerHTML = `<thead><tr><th>Name ${stale ? `<span class="chip stale age">${esc(stale)}</span>` : ''}</th><th class="num">Queue</th><th class="num">Longest</th><th class="num">Offered ½h</th>` +
    '<th class="num">Answered ½h</th><th class="num">Abandoned ½h</th><th class="num">ASA ½h</th><th class="num">SL ½h</th><th class="num">SL 5m</th><th class="num">SL today</th></tr></thead><tbody>' +
    (rows.length ? rows.map(({ key, name, row: r }) => `<tr data-key="${esc(key)}"${peripheralChip(r) ? ` class="peripheral-${esc(r.peripheralStatus)}"` : ''}><td>${esc(name)} ${peripheralChip(r)}</td><td class="num queued">${count(r.callsQueuedNow ?? 0)}</td>` +
      `<td class="num wait">${r.longestInQueueSince ? since(r.longestInQueueSince, at) : ''}</td><td class="num">${count(r.callsOfferedHalf)}</td>` +
      `<td class="num">${count(r.callsAnsweredHalf)}</td><td class="num">${count(r.callsAbandonedHalf)}</td>` +
      `<td class="num">${r.averageSpeedOfAnswerHalf === null || r.averageSpeedOfAnswerHalf === undefined ? '–' : duration(r.averageSpeedOfAnswerHalf)}</td>` +
      `<td class="num sl ${slClass(r.serviceLevelHalf)}">${percent(r.serviceLevelHalf)}</td><td class="num ${slClass(r.serviceLevelTo5)}">${percent(r.serviceLevelTo5)}</td>` +
      `<td class="num ${slClass(r.serviceLevelToday)}">${percent(r.serviceLevelToday)}</td></tr>`).join('')
      : `<tr><td colspan="10" class="empty">none in this site's view</td></tr>`) + '</tbody>';
}

function draw() {
  const byGroup = members();
  const team = scopedTeam();
  const inScope = scopedAgents(agents(byGroup), team, byGroup);
  const groups = skillGroups(team, byGroup);
  sample(groups);
  tiles(groups, team, inScope);
  agentGrid(inScope, byGroup);
  summary('#calltypes', 'calltype', 'call type');
  summary('#services', 'service', 'service');
  header();
  document.body.dataset.drawn = String(Number(document.body.dataset.drawn ?? 0) + 1);
}

// ---- controls and the one-second tick ----
document.querySelectorAll('#agents th[data-sort]').forEach(th => th.addEventListener('click', () => {
  wb.sort = { by: th.dataset.sort, desc: wb.sort.by === th.dataset.sort ? !wb.sort.desc : th.dataset.sort === 'time' };
  draw();
}));
['#filter-state', '#filter-group', '#filter-name'].forEach(s => $(s).addEventListener('input', draw));
// the grid's skill group filter is kept in the URL too (?filter=ID), so a reload or a shared link shows the same
$('#filter-group').addEventListener('input', () => {
  const url = new URL(location.href);
  if ($('#filter-group').value) url.searchParams.set('filter', $('#filter-group').value); else url.searchParams.delete('filter');
  history.replaceState(null, '', url);
});
if (params.get('filter')) {
  const select = $('#filter-group');
  select.innerHTML = `<option value="${esc(params.get('filter'))}"></option>`; // until the groups arrive
  select.value = params.get('filter');
}
setInterval(draw, 1000);
window.addEventListener('resize', dirty); // a TV or window resized: the kiosk's pages are cut again
