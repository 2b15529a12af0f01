// src/generated is Codama's rendering of the committed IDL: it must not drift.
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import idl from '../../../idl/ignis.json';
import * as generated from '../../src/generated';

describe('generated client', () => {
  it('is what `npm run generate` renders from ../idl/ignis.json', () => {
    const script = fileURLToPath(new URL('../../scripts/generate.mjs', import.meta.url));
    const output = execFileSync(process.execPath, [script, '--check'], { encoding: 'utf8', stdio: 'pipe' });
    expect(output).toMatch(/up to date/);
  }, 60_000);

  it('targets the program in the IDL', () => {
    expect(generated.IGNIS_PROGRAM_ADDRESS).toBe(idl.address);
  });
});
