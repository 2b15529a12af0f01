// The protocol clock (programs/ignis/src/state/config.rs, `Config::clock_at`): it
// stands still while the protocol is paused and resumes where it stopped, so every
// time the program stores (job expiry and deadlines, unbonding unlock times, when a
// job was posted or completed) is on it, not on the chain's wall clock. Emission alone
// runs on wall time. With no pause so far both clocks agree.

export interface PauseState {
  paused: boolean;
  /** Wall-clock time the current pause began (meaningful while `paused`). */
  pausedAt: bigint | number;
  /** Total length of every finished pause. */
  pausedSeconds: bigint | number;
}

/** `Config::clock_at(now)`: the protocol clock at the chain's unix time `now`. */
export function protocolClockAt(config: PauseState, now: number): number {
  const pausedAt = Number(config.pausedAt);
  const runningUntil = config.paused ? Math.min(pausedAt, now) : now;
  return runningUntil - Number(config.pausedSeconds);
}

/**
 * When the protocol-clock time `t` falls on the chain's wall clock, seen at wall time
 * `now`: `t` plus every pause so far. While paused the clock stands still, so this is
 * when `t` would come if the pause ended now (it moves later as the pause goes on).
 */
export function wallTimeOf(config: PauseState, t: number, now: number): number {
  return now + (t - protocolClockAt(config, now));
}
