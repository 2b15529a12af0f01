// Generates the typed program client in src/generated/ from the committed IDL
// (../idl/ignis.json) with Codama. `node scripts/generate.mjs --check` renders into a
// temporary folder and fails when the committed output differs.
import { mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { rootNodeFromAnchor } from '@codama/nodes-from-anchor';
import { renderVisitor } from '@codama/renderers-js';
import { updateInstructionsVisitor } from '@codama/visitors';
import { visit } from '@codama/visitors-core';

const appDir = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const idlPath = resolve(appDir, '../idl/ignis.json');
const check = process.argv.includes('--check');

/** @param {string} packageFolder */
export async function generate(packageFolder) {
  const idl = JSON.parse(readFileSync(idlPath, 'utf8'));
  // The `stake` instruction and the `Stake` account would both export
  // STAKE_DISCRIMINATOR: name the instruction after its Rust accounts struct.
  const root = visit(rootNodeFromAnchor(idl), updateInstructionsVisitor({ stake: { name: 'stakeTokens' } }));
  if (root?.kind !== 'rootNode') throw new Error('updateInstructionsVisitor did not return a root node');
  await visit(
    root,
    renderVisitor(packageFolder, {
      generatedFolder: 'src/generated',
      syncPackageJson: false,
      kitImportStrategy: 'rootOnly',
      deleteFolderBeforeRendering: true,
    }),
  );
  patchPlugin(join(packageFolder, 'src/generated/programs/ignis.ts'));
}

// renderers-js 2.2 writes its client plugin for kit 6's `extendClient` type, which
// kit 8.4 no longer accepts as is; the app does not use the plugin. The expectation
// fails the type check as soon as a Codama release renders a plugin that compiles.
/** @param {string} file */
function patchPlugin(file) {
  const text = readFileSync(file, 'utf8');
  const line = '    return extendClient(client, {\n';
  if (!text.includes(line)) throw new Error(`${file}: the plugin no longer looks as expected; review patchPlugin`);
  writeFileSync(
    file,
    text.replace(line, '    // @ts-expect-error kit 8 extendClient return type (see scripts/generate.mjs)\n' + line),
  );
}

/**
 * @param {string} dir
 * @returns {string[]}
 */
function listFiles(dir) {
  /** @type {string[]} */
  const out = [];
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out.push(...listFiles(p));
    else out.push(p);
  }
  return out.sort();
}

/**
 * Differences between two generated folders, as relative paths.
 * @param {string} a
 * @param {string} b
 */
export function diffFolders(a, b) {
  const fa = listFiles(a).map((p) => relative(a, p));
  const fb = listFiles(b).map((p) => relative(b, p));
  const diffs = [];
  for (const f of new Set([...fa, ...fb])) {
    if (!fa.includes(f) || !fb.includes(f)) diffs.push(f);
    else if (readFileSync(join(a, f), 'utf8') !== readFileSync(join(b, f), 'utf8')) diffs.push(f);
  }
  return diffs.sort();
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  if (check) {
    const tmp = mkdtempSync(join(tmpdir(), 'ignis-codama-'));
    try {
      await generate(tmp);
      const diffs = diffFolders(join(tmp, 'src/generated'), join(appDir, 'src/generated'));
      if (diffs.length) {
        console.error(`src/generated is stale (run npm run generate): ${diffs.join(', ')}`);
        process.exit(1);
      }
      console.log('src/generated is up to date');
    } finally {
      rmSync(tmp, { recursive: true, force: true });
    }
  } else {
    await generate(appDir);
    console.log('generated src/generated from ../idl/ignis.json');
  }
}
