// Runs the browser tests (tests/e2e) against a real network:
//   1. makes sure Debian's chromium is installed (apt-get install -y chromium),
//   2. builds the app with the test wallet (vite build --mode e2e -> dist-e2e/),
//   3. starts `ignis up` on free ports ($IGNIS_BIN, default
//      $CARGO_TARGET_DIR/debug/ignis) and waits for <state-dir>/network.json,
//   4. serves dist-e2e/ on a free port and runs vitest with vitest.e2e.config.ts,
//   5. stops the network (SIGINT, then SIGKILL after 20 s).
// Fails loudly when any step cannot be done: it never skips.
//
// IGNIS_E2E_NETWORK=/path/network.json uses a network that is already running instead.
// Screenshots and the network's log go to test-results/.

import { spawn, spawnSync } from 'node:child_process';
import { cpSync, createReadStream, existsSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync, statSync } from 'node:fs';
import { createServer } from 'node:http';
import { createServer as createNetServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, extname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const appDir = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const repoDir = resolve(appDir, '..');
const resultsDir = join(appDir, 'test-results');
mkdirSync(resultsDir, { recursive: true });

/**
 * @param {string} message
 * @returns {never}
 */
function fail(message) {
  console.error(`\ne2e: ${message}\n`);
  process.exit(1);
}

/**
 * @param {string} command
 * @param {string[]} args
 * @param {import('node:child_process').SpawnSyncOptions} options
 */
function run(command, args, options = {}) {
  console.log(`e2e: $ ${command} ${args.join(' ')}`);
  const result = spawnSync(command, args, { stdio: 'inherit', cwd: appDir, ...options });
  return result.status === 0;
}

// 1. Chromium
const CHROMIUM = process.env.IGNIS_CHROMIUM ?? '/usr/bin/chromium';
if (!existsSync(CHROMIUM)) {
  console.log('e2e: chromium is missing; installing it with apt-get');
  if (!run('apt-get', ['install', '-y', 'chromium']) && !(run('apt-get', ['update']) && run('apt-get', ['install', '-y', 'chromium']))) {
    fail('could not install chromium (apt-get install -y chromium); the browser tests need it');
  }
  if (!existsSync(CHROMIUM)) fail(`chromium is still not at ${CHROMIUM}`);
}

// 2. The app, with the test wallet
if (!run('npx', ['vite', 'build', '--mode', 'e2e', '--logLevel', 'warn'])) fail('vite build --mode e2e failed');
const distDir = join(appDir, 'dist-e2e');

/**
 * @param {Set<number>} avoid
 * @returns {Promise<number>}
 */
async function freePort(avoid = new Set()) {
  for (;;) {
    /** @type {number} */
    const port = await new Promise((res, rej) => {
      const server = createNetServer();
      server.unref();
      server.on('error', rej);
      server.listen(0, '127.0.0.1', () => {
        const { port } = /** @type {import('node:net').AddressInfo} */ (server.address());
        server.close(() => res(port));
      });
    });
    if (!avoid.has(port)) return port;
  }
}

/**
 * @param {number} port
 * @returns {Promise<boolean>}
 */
async function portIsFree(port) {
  return new Promise((res) => {
    const server = createNetServer();
    server.once('error', () => res(false));
    server.listen(port, '127.0.0.1', () => server.close(() => res(true)));
  });
}

/**
 * An RPC port whose neighbour (the websocket) is free too. Both lie below Linux's
 * ephemeral range (32768 and up), so no outgoing connection takes one before
 * `ignis up` binds it.
 * @returns {Promise<number>}
 */
async function freePortPair() {
  for (let i = 0; i < 50; i++) {
    const port = 20_000 + Math.floor(Math.random() * 12_000);
    if ((await portIsFree(port)) && (await portIsFree(port + 1))) return port;
  }
  fail('found no two free neighbouring ports');
}

// 3. The network
/** @type {string} */
let network;
let stopNetwork = async () => {};
const stateRoot = mkdtempSync(join(tmpdir(), 'ignis-e2e-'));
if (process.env.IGNIS_E2E_NETWORK) {
  const path = process.env.IGNIS_E2E_NETWORK;
  if (!existsSync(path)) fail(`IGNIS_E2E_NETWORK=${path} does not exist`);
  network = path;
  console.log(`e2e: using the running network described in ${path}`);
} else {
  const targetDir = process.env.CARGO_TARGET_DIR ?? join(repoDir, 'target');
  // A relative IGNIS_BIN is relative to where npm was started (npm --prefix app ...).
  const bin = process.env.IGNIS_BIN
    ? resolve(process.env.INIT_CWD ?? process.cwd(), process.env.IGNIS_BIN)
    : resolve(repoDir, targetDir, 'debug', 'ignis');
  if (!existsSync(bin)) {
    fail(`the ignis binary is not at ${bin}: build it (cargo build -p ignis-cli --ignore-rust-version) or set IGNIS_BIN`);
  }
  const rpcPort = await freePortPair();
  const avoid = new Set([rpcPort, rpcPort + 1]);
  const apiPort = await freePort(avoid);
  avoid.add(apiPort);
  const appPort = await freePort(avoid);
  // `--app-dir` gets a folder holding the built app both at its top and in dist/, so
  // it is served whether ignis reads the folder itself or its dist/.
  const servedApp = join(stateRoot, 'app');
  cpSync(distDir, servedApp, { recursive: true });
  cpSync(distDir, join(servedApp, 'dist'), { recursive: true });
  const stateDir = join(stateRoot, 'state');
  const args = [
    'up',
    '--rpc-port', String(rpcPort),
    '--ws-port', String(rpcPort + 1),
    '--api-port', String(apiPort),
    '--app-port', String(appPort),
    '--app-dir', servedApp,
    '--state-dir', stateDir,
    '--workers', '1',
    '--slot-time-ms', '50',
  ];
  const logPath = join(resultsDir, 'ignis-up.log');
  const log = openSync(logPath, 'w');
  console.log(`e2e: $ ${bin} ${args.join(' ')}   (log: ${logPath})`);
  const child = spawn(bin, args, { stdio: ['ignore', log, log], cwd: repoDir });
  /** @type {{ code: number | null, signal: NodeJS.Signals | null } | null} */
  let exited = null;
  child.on('exit', (code, signal) => {
    exited = { code, signal };
  });
  stopNetwork = async () => {
    if (exited) return;
    child.kill('SIGINT');
    const deadline = Date.now() + 20_000;
    while (!exited && Date.now() < deadline) await new Promise((r) => setTimeout(r, 200));
    if (!exited) {
      console.error('e2e: ignis up did not stop within 20 s of SIGINT; killing it');
      child.kill('SIGKILL');
    }
  };
  const tail = () => {
    try {
      return readFileSync(logPath, 'utf8').split('\n').slice(-40).join('\n');
    } catch {
      return '';
    }
  };
  const networkPath = join(stateDir, 'network.json');
  const deadline = Date.now() + Number(process.env.IGNIS_E2E_START_TIMEOUT_S ?? 600) * 1000;
  while (!existsSync(networkPath)) {
    if (exited) fail(`ignis up exited (${JSON.stringify(exited)}) before the network was ready:\n${tail()}`);
    if (Date.now() > deadline) {
      await stopNetwork();
      fail(`the network was not ready in time (no ${networkPath}):\n${tail()}`);
    }
    await new Promise((r) => setTimeout(r, 500));
  }
  // network.json is written once everything is ready; give the writer a moment to finish.
  await new Promise((r) => setTimeout(r, 300));
  network = networkPath;
  console.log(`e2e: network ready: ${readFileSync(networkPath, 'utf8')}`);
}

// 4. Serve the app and run the tests
/** @type {Record<string, string>} */
const TYPES = { '.html': 'text/html', '.js': 'text/javascript', '.css': 'text/css', '.svg': 'image/svg+xml', '.json': 'application/json' };
const server = createServer((req, res) => {
  const path = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname);
  let file = join(distDir, path);
  if (!file.startsWith(distDir) || !existsSync(file) || statSync(file).isDirectory()) file = join(distDir, 'index.html');
  res.writeHead(200, { 'content-type': TYPES[extname(file)] ?? 'application/octet-stream', 'cache-control': 'no-store' });
  createReadStream(file).pipe(res);
});
const appPort = await freePort();
await new Promise((r) => server.listen(appPort, '127.0.0.1', () => r(undefined)));

const stop = async () => {
  server.close();
  await stopNetwork();
  if (!process.env.IGNIS_E2E_KEEP_STATE) rmSync(stateRoot, { recursive: true, force: true });
};
process.on('SIGINT', async () => {
  await stop();
  process.exit(130);
});

/** @type {number} */
let status;
try {
  // Asynchronously: this process serves the app while the tests run.
  const vitest = spawn('npx', ['vitest', 'run', '--config', 'vitest.e2e.config.ts', ...process.argv.slice(2)], {
    cwd: appDir,
    stdio: 'inherit',
    env: {
      ...process.env,
      IGNIS_E2E_NETWORK: network,
      IGNIS_E2E_APP_URL: `http://127.0.0.1:${appPort}/`,
      IGNIS_CHROMIUM: CHROMIUM,
    },
  });
  status = await new Promise((res) => vitest.on('exit', (code) => res(code ?? 1)));
} finally {
  await stop();
}
process.exit(status);
