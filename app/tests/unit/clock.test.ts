// The protocol clock follows Config::clock_at (programs/ignis/src/state/config.rs).
import { describe, expect, it } from 'vitest';
import { protocolClockAt, wallTimeOf } from '../../src/lib/clock';

describe('protocol clock', () => {
  it('is the wall clock when the protocol was never paused', () => {
    const config = { paused: false, pausedAt: 0n, pausedSeconds: 0n };
    expect(protocolClockAt(config, 1_700_000_000)).toBe(1_700_000_000);
    expect(wallTimeOf(config, 1_700_000_100, 1_700_000_000)).toBe(1_700_000_100);
  });

  it('lags the wall clock by every finished pause', () => {
    const config = { paused: false, pausedAt: 1_000n, pausedSeconds: 300n };
    expect(protocolClockAt(config, 5_000)).toBe(4_700);
    // An unbonding unlock stored at protocol time 4_800 comes at wall time 5_100.
    expect(wallTimeOf(config, 4_800, 5_000)).toBe(5_100);
  });

  it('stands still during a pause, at the time it began', () => {
    const config = { paused: true, pausedAt: 4_000n, pausedSeconds: 300n };
    expect(protocolClockAt(config, 4_000)).toBe(3_700);
    expect(protocolClockAt(config, 9_000)).toBe(3_700);
    // A clock reading behind the pause start (a stale or skewed estimate) is not moved on.
    expect(protocolClockAt(config, 3_900)).toBe(3_600);
    // Ten seconds of protocol time left: at the earliest ten seconds after the pause ends.
    expect(wallTimeOf(config, 3_710, 9_000)).toBe(9_010);
  });

  it('accepts the generated account’s bigints and plain numbers alike', () => {
    expect(protocolClockAt({ paused: false, pausedAt: 0, pausedSeconds: 12 }, 100)).toBe(88);
  });
});
