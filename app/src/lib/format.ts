// Formatting of amounts, times and addresses for people, and parsing what they type.

export const IGN_DECIMALS = 9;
export const LAMPORTS_PER_SOL = 1_000_000_000n;

function groupThousands(digits: string): string {
  return digits.replace(/\B(?=(\d{3})+(?!\d))/g, ',');
}

/**
 * A token amount in base units as a decimal string: thousands grouped, trailing zeros
 * dropped, at most `maxFractionDigits` decimals (cut, never rounded up, so a balance
 * is never overstated).
 */
export function formatUnits(
  amount: bigint | string | number,
  decimals = IGN_DECIMALS,
  maxFractionDigits = decimals,
): string {
  let value = BigInt(amount);
  const negative = value < 0n;
  if (negative) value = -value;
  const scale = 10n ** BigInt(decimals);
  const whole = value / scale;
  let fraction = (value % scale).toString().padStart(decimals, '0').slice(0, maxFractionDigits);
  fraction = fraction.replace(/0+$/, '');
  const text = groupThousands(whole.toString()) + (fraction ? `.${fraction}` : '');
  const cut = value % scale !== 0n && fraction === '' && whole === 0n && value !== 0n;
  const smallest = maxFractionDigits > 0 ? `0.${'0'.repeat(maxFractionDigits - 1)}1` : '1';
  return (negative ? '-' : '') + (cut ? `<${smallest}` : text);
}

/** IGN amount with its unit: `1,234.5 IGN`. */
export function formatIgn(amount: bigint | string | number, maxFractionDigits = IGN_DECIMALS): string {
  return `${formatUnits(amount, IGN_DECIMALS, maxFractionDigits)} IGN`;
}

export function formatSol(lamports: bigint | number): string {
  return `${formatUnits(BigInt(lamports), 9)} SOL`;
}

/** Parses an amount typed by a person (`12.5`, `1,000`) into base units. */
export function parseUnits(text: string, decimals = IGN_DECIMALS): bigint {
  const cleaned = text.trim().replace(/[,_\s]/g, '');
  if (cleaned === '') throw new Error('Enter an amount');
  if (!/^\d*\.?\d*$/.test(cleaned) || cleaned === '.') {
    throw new Error(`"${text.trim()}" is not an amount: use digits and at most one decimal point, like 12.5`);
  }
  const [whole = '', fraction = ''] = cleaned.split('.');
  if (fraction.length > decimals) throw new Error(`IGN has ${decimals} decimals: use at most ${decimals} digits after the point`);
  const value = BigInt(whole || '0') * 10n ** BigInt(decimals) + BigInt(fraction.padEnd(decimals, '0') || '0');
  if (value > 0xffff_ffff_ffff_ffffn) throw new Error('That amount is larger than any IGN balance can be');
  return value;
}

export const parseIgn = (text: string) => parseUnits(text, IGN_DECIMALS);

/** `iPbJ…APG4` */
export function shortAddress(address: string, chars = 4): string {
  if (address.length <= chars * 2 + 1) return address;
  return `${address.slice(0, chars)}…${address.slice(-chars)}`;
}

/** A length of time in words: `45 s`, `5 min`, `1 h 30 min`, `7 days`. */
export function formatDuration(seconds: number | bigint): string {
  let s = Math.max(0, Math.round(Number(seconds)));
  if (s < 60) return `${s} s`;
  const days = Math.floor(s / 86_400);
  s -= days * 86_400;
  const hours = Math.floor(s / 3_600);
  s -= hours * 3_600;
  const minutes = Math.floor(s / 60);
  const secs = s - minutes * 60;
  const parts: string[] = [];
  if (days) parts.push(`${days} ${days === 1 ? 'day' : 'days'}`);
  if (hours) parts.push(`${hours} h`);
  if (minutes && days === 0) parts.push(`${minutes} min`);
  if (secs && days === 0 && hours === 0) parts.push(`${secs} s`);
  return parts.join(' ') || '0 s';
}

/** A moment as `2026-11-22 06:30:05` in the given time zone (default: the browser's). */
export function formatTimestamp(unixSeconds: number | bigint, timeZone?: string): string {
  const date = new Date(Number(unixSeconds) * 1000);
  const parts = new Intl.DateTimeFormat('en-CA', {
    timeZone,
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
    hour: '2-digit',
    minute: '2-digit',
    second: '2-digit',
    hourCycle: 'h23',
  }).formatToParts(date);
  const get = (type: string) => parts.find((p) => p.type === type)?.value ?? '';
  return `${get('year')}-${get('month')}-${get('day')} ${get('hour')}:${get('minute')}:${get('second')}`;
}

/** `in 7 days`, `3 min ago`, `now`. */
export function formatRelative(unixSeconds: number | bigint, nowSeconds: number): string {
  const delta = Number(unixSeconds) - nowSeconds;
  if (Math.abs(delta) < 1) return 'now';
  return delta > 0 ? `in ${formatDuration(delta)}` : `${formatDuration(-delta)} ago`;
}

/** Hashes per second with an SI prefix: `1.5 MH/s`. */
export function formatHashrate(hashesPerSecond: number): string {
  return `${formatSi(hashesPerSecond)}H/s`;
}

/** Drops the zeros after a decimal point: `2.50` -> `2.5`, `3.00` -> `3`, `100` stays. */
export function trimZeros(text: string): string {
  return text.includes('.') ? text.replace(/\.?0+$/, '') : text;
}

/** A count with an SI prefix and a trailing space before the unit: `1.5 M`, `950 `. */
export function formatSi(value: number): string {
  const units = ['', 'k', 'M', 'G', 'T', 'P', 'E'];
  let v = Math.max(0, value);
  let i = 0;
  while (v >= 1000 && i < units.length - 1) {
    v /= 1000;
    i++;
  }
  const digits = v >= 100 ? 0 : v >= 10 ? 1 : 2;
  return `${trimZeros(v.toFixed(digits))} ${units[i]}`;
}

/** Work units in words: 2^20 = `1.05 M hashes`. */
export function formatWork(kind: 'pow' | 'matmul' | 'tensor', units: bigint): string {
  const n = Number(units);
  return kind === 'pow' ? `${formatSi(n).trim()} hashes` : `${formatSi(n).trim()} multiply-adds`;
}

export function formatBytes(bytes: number | bigint): string {
  let v = Number(bytes);
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${trimZeros(v.toFixed(i === 0 ? 0 : v >= 100 ? 0 : v >= 10 ? 1 : 2))} ${units[i]}`;
}

/** `2.5%` from basis points. */
export function formatBps(bps: number): string {
  return `${trimZeros((bps / 100).toFixed(2))}%`;
}

/**
 * Compute-hours (work served at the rated hashrate): `0 h`, `<0.01 h`, `2.35 h`,
 * `12.5 h`, `1,234 h`. Cut, never rounded up, like amounts.
 */
export function formatComputeHours(hours: number): string {
  if (!Number.isFinite(hours) || hours <= 0) return '0 h';
  if (hours < 0.01) return '<0.01 h';
  const digits = hours < 10 ? 2 : hours < 100 ? 1 : 0;
  const scale = 10 ** digits;
  const cut = Math.floor(hours * scale) / scale;
  return `${cut.toLocaleString('en-US', { maximumFractionDigits: digits })} h`;
}

/** The proven share of a claim, `83%` (`–` without a claim): how much of what a worker says challenges bore out. */
export function formatShare(part: number, whole: number): string {
  if (!(whole > 0)) return '–';
  return `${trimZeros(((100 * Math.max(part, 0)) / whole).toFixed(part >= whole ? 0 : 1))}%`;
}
