// Fails when the production build contains the browser tests' wallet.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';

const dir = process.argv[2] ?? 'dist';
const markers = ['Ignis Test Wallet', 'registerTestWallet', 'WalletUserRejectedError'];
/** @type {string[]} */
const files = [];
/** @param {string} d */
const walk = (d) => {
  for (const name of readdirSync(d)) {
    const p = join(d, name);
    if (statSync(p).isDirectory()) walk(p);
    else files.push(p);
  }
};
walk(dir);
const leaks = files.filter((f) => /\.(js|html|map)$/.test(f) && markers.some((m) => readFileSync(f, 'utf8').includes(m)));
if (leaks.length) {
  console.error(`the test wallet is in the production build: ${leaks.join(', ')}`);
  process.exit(1);
}
console.log(`${dir}: ${files.length} files, no test wallet`);
