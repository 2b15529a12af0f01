import { describe, expect, it } from 'vitest';
import {
  formatBps,
  formatBytes,
  formatComputeHours,
  formatDuration,
  formatHashrate,
  formatIgn,
  formatRelative,
  formatShare,
  formatSi,
  formatSol,
  formatTimestamp,
  formatUnits,
  formatWork,
  parseIgn,
  shortAddress,
  trimZeros,
} from '../../src/lib/format';

describe('IGN amounts', () => {
  it('formats base units with 9 decimals, grouping and no trailing zeros', () => {
    expect(formatIgn(0n)).toBe('0 IGN');
    expect(formatIgn(1n)).toBe('0.000000001 IGN');
    expect(formatIgn(1_000_000_000n)).toBe('1 IGN');
    expect(formatIgn(1_500_000_000n)).toBe('1.5 IGN');
    expect(formatIgn(1_234_567_890_000_000n)).toBe('1,234,567.89 IGN');
    expect(formatIgn('10000000000000')).toBe('10,000 IGN');
    expect(formatIgn(18_446_744_073_709_551_615n)).toBe('18,446,744,073.709551615 IGN');
  });

  it('cuts (never rounds up) to the fraction digits asked for', () => {
    expect(formatIgn(1_999_999_999n, 2)).toBe('1.99 IGN');
    expect(formatIgn(5n, 4)).toBe('<0.0001 IGN');
    expect(formatUnits(5n, 9, 0)).toBe('<1');
    expect(formatUnits(-2_500_000_000n)).toBe('-2.5');
  });

  it('parses what people type', () => {
    expect(parseIgn('1')).toBe(1_000_000_000n);
    expect(parseIgn('12.5')).toBe(12_500_000_000n);
    expect(parseIgn(' 1,000.000000001 ')).toBe(1_000_000_000_001n);
    expect(parseIgn('.5')).toBe(500_000_000n);
    expect(parseIgn('0')).toBe(0n);
  });

  it('refuses what is not an amount, with a sentence', () => {
    expect(() => parseIgn('')).toThrow('Enter an amount');
    expect(() => parseIgn('abc')).toThrow(/is not an amount/);
    expect(() => parseIgn('1.2.3')).toThrow(/is not an amount/);
    expect(() => parseIgn('-1')).toThrow(/is not an amount/);
    expect(() => parseIgn('0.0000000001')).toThrow(/at most 9 digits/);
    expect(() => parseIgn('18446744074')).toThrow(/larger than any IGN balance/);
  });

  it('round-trips', () => {
    for (const v of [0n, 1n, 999n, 1_000_000_000n, 123_456_789_012_345n]) {
      expect(parseIgn(formatUnits(v))).toBe(v);
    }
  });

  it('formats SOL from lamports', () => {
    expect(formatSol(5_000n)).toBe('0.000005 SOL');
    expect(formatSol(2_039_280n)).toBe('0.00203928 SOL');
  });
});

describe('times', () => {
  it('says durations in words', () => {
    expect(formatDuration(0)).toBe('0 s');
    expect(formatDuration(45)).toBe('45 s');
    expect(formatDuration(60)).toBe('1 min');
    expect(formatDuration(90)).toBe('1 min 30 s');
    expect(formatDuration(5_400)).toBe('1 h 30 min');
    expect(formatDuration(86_400)).toBe('1 day');
    expect(formatDuration(7 * 86_400)).toBe('7 days');
    expect(formatDuration(7 * 86_400 + 3_600)).toBe('7 days 1 h');
    expect(formatDuration(-5)).toBe('0 s');
    expect(formatDuration(3_600n)).toBe('1 h');
  });

  it('formats moments in a given time zone', () => {
    expect(formatTimestamp(0, 'UTC')).toBe('1970-01-01 00:00:00');
    expect(formatTimestamp(1_795_329_600, 'UTC')).toBe('2026-11-22 06:40:00');
    expect(formatTimestamp(1_795_329_600n, 'Asia/Tokyo')).toBe('2026-11-22 15:40:00');
  });

  it('says how far a moment is', () => {
    expect(formatRelative(1_000, 1_000)).toBe('now');
    expect(formatRelative(1_000 + 7 * 86_400, 1_000)).toBe('in 7 days');
    expect(formatRelative(820, 1_000)).toBe('3 min ago');
  });
});

describe('addresses and numbers', () => {
  it('shortens addresses', () => {
    expect(shortAddress('iPbJ57FE6bF5H861Tb5z2WF56k1Jq9pX1BECoAFtPG4')).toBe('iPbJ…tPG4');
    expect(shortAddress('iPbJ57FE6bF5H861Tb5z2WF56k1Jq9pX1BECoAFtPG4', 6)).toBe('iPbJ57…AFtPG4');
    expect(shortAddress('short')).toBe('short');
  });

  it('uses SI prefixes', () => {
    expect(formatSi(0)).toBe('0 ');
    expect(formatSi(950)).toBe('950 ');
    expect(formatSi(1_000)).toBe('1 k');
    expect(formatSi(1_500_000)).toBe('1.5 M');
    expect(formatSi(100_000_000)).toBe('100 M');
    expect(formatHashrate(6_480_000)).toBe('6.48 MH/s');
    expect(formatHashrate(0)).toBe('0 H/s');
    expect(formatWork('pow', 256n)).toBe('256 hashes');
    expect(formatWork('pow', 1n << 20n)).toBe('1.05 M hashes');
    expect(formatWork('matmul', 1_073_741_824n)).toBe('1.07 G multiply-adds');
  });

  it('formats bytes, basis points, and trims zeros only after a point', () => {
    expect(formatBytes(512)).toBe('512 B');
    expect(formatBytes(3 * 1024 ** 3)).toBe('3 GiB');
    expect(formatBytes(24_105 * 1_048_576)).toBe('23.5 GiB');
    expect(formatBps(250)).toBe('2.5%');
    expect(formatBps(10_000)).toBe('100%');
    expect(formatBps(1)).toBe('0.01%');
    expect(trimZeros('100')).toBe('100');
    expect(trimZeros('2.50')).toBe('2.5');
    expect(trimZeros('3.00')).toBe('3');
  });

  it('formats compute-hours, cut like amounts, and a proven share of a claim', () => {
    expect(formatComputeHours(0)).toBe('0 h');
    expect(formatComputeHours(Number.NaN)).toBe('0 h');
    expect(formatComputeHours(0.004)).toBe('<0.01 h');
    expect(formatComputeHours(2.359)).toBe('2.35 h');
    expect(formatComputeHours(12.39)).toBe('12.3 h');
    expect(formatComputeHours(1_234.9)).toBe('1,234 h');
    expect(formatShare(1_500_000, 2_000_000)).toBe('75%');
    expect(formatShare(2, 3)).toBe('66.7%');
    expect(formatShare(3, 2)).toBe('150%');
    expect(formatShare(1, 0)).toBe('–');
  });
});
