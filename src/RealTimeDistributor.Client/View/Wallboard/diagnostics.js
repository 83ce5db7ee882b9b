// The diagnostics page: every table of the view as key / value / version / site sequence, the configuration included,
// and each table's size and freshness. Same feed as the wallboard (GET events).
'use strict';
const boards = document.getElementById('boards');
const rowId = r => `r-${r.kind}-${r.table}-${r.key}`;
const tableId = (kind, table) => `t-${kind}-${table}`;
const text = r => (r.value === null || r.value === undefined) ? '' : JSON.stringify(r.value);
function board(kind, table) {
  let section = document.getElementById(tableId(kind, table));
  if (!section) {
    section = document.createElement('section');
    section.id = tableId(kind, table);
    section.className = 'panel';
    section.innerHTML = `<h2>${kind} ${table}</h2><table class="grid"><thead><tr><th>key</th><th>value</th><th>version</th>` +
      '<th>site sequence</th><th>updated at</th></tr></thead><tbody></tbody></table>';
    const sections = [...boards.children, section].sort((a, b) => a.id.localeCompare(b.id));
    boards.insertBefore(section, sections[sections.indexOf(section) + 1] || null);
  }
  return section.querySelector('tbody');
}
function upsert(r) {
  let tr = document.getElementById(rowId(r));
  if (!tr) {
    tr = document.createElement('tr');
    tr.id = rowId(r);
    tr.innerHTML = '<td class="key"></td><td class="value"></td><td class="version num"></td><td class="sequence num"></td><td class="updated"></td>';
    board(r.kind, r.table).appendChild(tr);
  }
  tr.querySelector('.key').textContent = r.key;
  tr.querySelector('.value').textContent = text(r);
  tr.querySelector('.version').textContent = r.version;
  tr.querySelector('.sequence').textContent = r.siteSequence;
  tr.querySelector('.updated').textContent = r.updatedAt;
}
// "reset": the whole view; "frame": the rows changed and removed since the last frame; "status": once a second. A 503
// (the client's connection cap) closes the EventSource for good: a new one is opened after a random 10-20 s.
function connect() {
  const source = new EventSource('events');
  source.addEventListener('reset', e => {
    const view = JSON.parse(e.data);
    document.getElementById('site').textContent = view.site;
    document.getElementById('workstation').textContent = view.workstation;
    boards.replaceChildren();
    view.rows.forEach(upsert);
  });
  source.addEventListener('frame', e => {
    const frame = JSON.parse(e.data);
    frame.rows.forEach(upsert);
    frame.removed.forEach(r => document.getElementById(rowId(r))?.remove());
  });
  source.addEventListener('status', e => {
    const s = JSON.parse(e.data);
    document.getElementById('status').textContent = `${s.isLoading ? 'loading a snapshot · ' : ''}last site sequence ${s.lastSiteSequence} · ` +
      `snapshot at ${s.snapshotSequence} · snapshots ${s.snapshots} · gaps ${s.gaps}`;
    document.getElementById('tables').innerHTML = '<thead><tr><th>kind</th><th>table</th><th class="num">rows</th><th>newest update</th><th>age</th><th></th></tr></thead><tbody>' +
      s.tables.map(t => `<tr id="${tableId(t.kind, t.table)}-status"><td>${t.kind}</td><td>${t.table}</td><td class="num">${t.rows}</td><td>${t.lastUpdatedAt}</td>` +
        `<td>${t.age.split('.')[0]}</td><td>${t.stale ? 'STALE' : ''}</td></tr>`).join('') + '</tbody>';
  });
  source.onerror = () => {
    document.getElementById('status').textContent = 'disconnected, retrying';
    if (source.readyState === EventSource.CLOSED) setTimeout(connect, 10000 + Math.random() * 10000);
  };
}
connect();
