// Screenshots of a live wallboard page for docs/img (docs/wallboard.md, "Screenshots"): Debian's chromium, headless,
// driven over the DevTools protocol, captured only once the page shows what is asked for (chromium's own --screenshot
// fires before the live page has received its first reset). No package to install: Node 20's WebSocket (the flag
// below; built in from Node 22) and /usr/bin/chromium (RTD_CHROMIUM to change it).
//
//   node --experimental-websocket infra/wallboard-shots.mjs URL OUT.png[@WIDTHxHEIGHT] ... [--until JS] [--timeout 60]
//
// Each OUT.png is written at its size (default 1920x1080), in order, from one page. --until is a JavaScript expression
// the page must make true first (default: the live view has arrived and every real-time table is live, "tiles live");
// "stale" waits for the banner of a stale center and a dimmed tile instead. Exit code 1, one line, when the page never
// shows it within --timeout seconds (the page's banner and chips are named).
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';

const presets = {
  live: `document.querySelector('#skillgroups .tile') !== null && document.querySelectorAll('#freshness .chip.stale, #freshness .chip.waiting').length === 0
    && document.querySelectorAll('#freshness .chip').length > 0 && document.querySelector('#banner').hidden`,
  stale: `!document.querySelector('#banner').hidden && document.querySelector('#skillgroups .tile.stale') !== null`,
};

function usage(message) {
  console.error(`wallboard-shots: ${message}\nusage: node --experimental-websocket infra/wallboard-shots.mjs URL OUT.png[@WIDTHxHEIGHT] ... [--until live|stale|JS] [--timeout SECONDS]`);
  process.exit(2);
}

const args = process.argv.slice(2);
let until = presets.live, timeout = 60;
const positional = [];
for (let i = 0; i < args.length; i++) {
  if (args[i] === '--until') until = presets[args[++i]] ?? args[i] ?? usage('--until needs a value');
  else if (args[i] === '--timeout') timeout = Number(args[++i]);
  else positional.push(args[i]);
}
if (!(timeout > 0 && timeout <= 3600)) usage('--timeout is 1 to 3600 seconds');
const [url, ...outs] = positional;
if (!url || !/^https?:\/\//.test(url) || outs.length === 0) usage('give the page URL and at least one OUT.png');
const shots = outs.map(o => {
  const m = /^(.+\.png)(?:@(\d+)x(\d+))?$/.exec(o) ?? usage(`'${o}' is not OUT.png or OUT.png@WIDTHxHEIGHT`);
  return { path: m[1], width: Number(m[2] ?? 1920), height: Number(m[3] ?? 1080) };
});
if (typeof WebSocket !== 'function') usage('run it with node --experimental-websocket (Node 20) or Node 22+');

const chromium = process.env.RTD_CHROMIUM || '/usr/bin/chromium';
if (!existsSync(chromium)) usage(`${chromium} is missing: apt-get install chromium (infra/client-tools-up.sh)`);
const profile = mkdtempSync(join(tmpdir(), 'rtd-shots-'));
const browser = spawn(chromium, ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking',
  '--disable-component-update', '--disable-sync', '--no-first-run', '--hide-scrollbars', '--disable-dev-shm-usage',
  `--user-data-dir=${profile}`, '--remote-debugging-port=0', '--remote-allow-origins=http://127.0.0.1', 'about:blank'],
  { stdio: 'ignore', detached: true });

let socket, nextId = 0;
const waiting = new Map();
function call(method, params = {}) {
  const id = ++nextId;
  socket.send(JSON.stringify({ id, method, params }));
  return new Promise((resolve, reject) => waiting.set(id, { resolve, reject, method }));
}
async function evaluate(expression) {
  const r = await call('Runtime.evaluate', { expression, awaitPromise: true, returnByValue: true });
  return r.exceptionDetails ? undefined : r.result.value;
}

async function run() {
  const portFile = join(profile, 'DevToolsActivePort');
  const started = Date.now();
  while (!existsSync(portFile) || readFileSync(portFile, 'utf8').trim() === '') {
    if (Date.now() - started > 30_000) throw new Error(`${chromium} wrote no DevTools port in 30 s`);
    await delay(100);
  }
  const port = readFileSync(portFile, 'utf8').split('\n')[0];
  const targets = await (await fetch(`http://127.0.0.1:${port}/json/list`)).json();
  const page = targets.find(t => t.type === 'page') ?? (() => { throw new Error('chromium shows no page'); })();
  socket = new WebSocket(page.webSocketDebuggerUrl);
  await new Promise((resolve, reject) => { socket.onopen = resolve; socket.onerror = () => reject(new Error('no DevTools connection')); });
  socket.onmessage = e => {
    const m = JSON.parse(e.data);
    const w = waiting.get(m.id);
    if (!w) return;
    waiting.delete(m.id);
    if (m.error) w.reject(new Error(`chromium refused ${w.method}: ${m.error.message}`)); else w.resolve(m.result);
  };
  await call('Emulation.setDeviceMetricsOverride', { width: shots[0].width, height: shots[0].height, deviceScaleFactor: 1, mobile: false });
  await call('Page.navigate', { url });
  const deadline = Date.now() + timeout * 1000;
  while (await evaluate(until) !== true) {
    if (Date.now() > deadline) {
      const shows = await evaluate(`[document.querySelector('#banner')?.textContent, document.querySelector('#freshness')?.textContent].filter(Boolean).join(' | ')`);
      throw new Error(`${url} did not show what --until asks within ${timeout} s; it shows: ${shows || '(nothing)'}`);
    }
    await delay(250);
  }
  for (const shot of shots) {
    await call('Emulation.setDeviceMetricsOverride', { width: shot.width, height: shot.height, deviceScaleFactor: 1, mobile: false });
    // the page lays out again on resize (the kiosk cuts its pages again): two frames, then the figures' next second
    await evaluate('new Promise(r => requestAnimationFrame(() => requestAnimationFrame(() => setTimeout(r, 1200))))');
    const { data } = await call('Page.captureScreenshot', { format: 'png' });
    writeFileSync(shot.path, Buffer.from(data, 'base64'));
    console.log(`${shot.path}: ${shot.width}x${shot.height}, ${Math.round(Buffer.from(data, 'base64').length / 1024)} KB`);
  }
}

let code = 0;
try {
  await run();
} catch (e) {
  console.error(`wallboard-shots: ${e.message}`);
  code = 1;
} finally {
  socket?.close();
  // chromium's own processes (renderer, zygote, GPU) are in its process group: end them all
  const exited = new Promise(r => browser.exitCode !== null || browser.signalCode !== null ? r() : browser.once('exit', r));
  try { process.kill(-browser.pid, 'SIGKILL'); } catch { /* already gone */ }
  await exited;
  rmSync(profile, { recursive: true, force: true });
}
process.exit(code);
