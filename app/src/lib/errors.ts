// Any failure the app can meet, as one sentence for a person: program errors (the IDL's
// messages and Anchor's), token and system program errors, transaction errors, wallet
// rejections and unreachable services.

import {
  getSolanaErrorFromTransactionError,
  isSolanaError,
  SOLANA_ERROR__BLOCK_HEIGHT_EXCEEDED,
  SOLANA_ERROR__INSTRUCTION_ERROR__CUSTOM,
  SOLANA_ERROR__INSTRUCTION_ERROR__INSUFFICIENT_FUNDS,
  SOLANA_ERROR__INSTRUCTION_ERROR__MISSING_REQUIRED_SIGNATURE,
  SOLANA_ERROR__JSON_RPC__SERVER_ERROR_SEND_TRANSACTION_PREFLIGHT_FAILURE,
  SOLANA_ERROR__RPC__TRANSPORT_HTTP_ERROR,
  SOLANA_ERROR__TRANSACTION_ERROR__ACCOUNT_NOT_FOUND,
  SOLANA_ERROR__TRANSACTION_ERROR__ALREADY_PROCESSED,
  SOLANA_ERROR__TRANSACTION_ERROR__BLOCKHASH_NOT_FOUND,
  SOLANA_ERROR__TRANSACTION_ERROR__INSUFFICIENT_FUNDS_FOR_FEE,
  SOLANA_ERROR__TRANSACTION_ERROR__INSUFFICIENT_FUNDS_FOR_RENT,
  type SolanaError,
} from '@solana/kit';
import idl from '../../../idl/ignis.json';
import { ANCHOR_ERRORS } from './anchorErrors';

export const PROGRAM_ID = idl.address;
export const TOKEN_PROGRAM_ID = 'TokenkegQfeZyiNwAJbNbGKPFXCWuBvf9Ss623VQ5DA';
export const TOKEN_2022_PROGRAM_ID = 'TokenzQdBNbLqP5VEhdkAS6EPFLC1PHnBqCXEpPxuEb';
export const SYSTEM_PROGRAM_ID = '11111111111111111111111111111111';
export const ATA_PROGRAM_ID = 'ATokenGPvbdGVxr1b2hvZbsiqW5xWH25efTNsLJA8knL';

export const REJECTED_SENTENCE = 'You rejected the request in your wallet';

/** The program's own errors from the committed IDL: code -> name and message. */
export const PROGRAM_ERRORS: ReadonlyMap<number, { name: string; message: string }> = new Map(
  idl.errors.map((e) => [e.code, { name: e.name, message: e.msg ?? e.name }]),
);

/**
 * What the app says instead of the IDL's message, where there is more to tell a person:
 * what went wrong and what to do about it.
 */
const PROGRAM_ADVICE: Record<string, string> = {
  JobIdMismatch: 'Someone else posted a job at the same moment: post again',
  InsufficientStake: 'Not enough bonded stake: you cannot unstake more than you have staked',
  NothingToClaim:
    'Nothing to claim yet: bonded stake earns rewards, which the orchestrator’s crank books every few seconds; try again shortly',
  NothingUnbonding: 'Nothing is unbonding: request an unstake first',
  UnbondingNotElapsed: 'The unbonding period has not ended yet: you can withdraw after the unlock time',
  JobHasAssignments: 'A worker has already taken this job, so it can no longer be cancelled',
  JobNotExpired: 'The job has not expired yet: it can be refunded after its expiry time',
  ProtocolPaused: 'The protocol is paused: only unstaking, withdrawals, claims, cancellations and refunds work now',
  StakeBelowMinimum:
    'Not enough bonded stake to run a worker: stake up to the minimum worker stake (a new deposit is bonded within seconds, once the crank has synced the shards)',
  WorkerHasActiveJobs:
    'Your worker still has live jobs, and the stake behind them stays until they settle: withdraw or deregister once they have',
  RewardTooSmall:
    'The reward is too small: the protocol fee on it must be at least one base unit per replica, so raise the reward to at least the minimum the form shows',
  JobInfeasible:
    'No worker could finish this job within its execution time at its measured speed: lower the difficulty or matrix size, or allow more execution time',
  DeclineWindowClosed:
    'This assignment can no longer be declined, its decline window has passed: finish the job before its deadline instead',
  RequeueLimitReached:
    'This job was re-queued too often and will not be assigned again: refund it to get the escrow back',
  NoReplicaRevealedResult:
    'No replica revealed the result being attested: attest a result one of the replicas revealed, or dispute them all',
  NothingRevealed:
    'No replica revealed a result, so there is nothing to attest or dispute: the job can be finalized once its reveal window has passed',
  ActivationNotDue:
    'This deposit is not bonded yet: it bonds within seconds, in a later slot once the orchestrator’s crank has synced every shard after it; try again in a moment',
  WorkerAlreadyRegistered:
    'This wallet already has a registered worker: update its settings instead of registering again',
  WorkerNotRegistered: 'The worker is deregistered: register it again first',
  NotMintAuthority:
    'Only the IGN mint’s current mint authority can initialise the protocol: sign with that key',
  MintExtensionNotAllowed:
    'This mint has a Token-2022 extension that could move, freeze or skim the protocol’s tokens: use a mint without such extensions',
  JobNotSettled: 'Only a completed, cancelled or refunded job can be closed: wait until the job has settled',
  RetentionNotElapsed:
    'A settled job stays on chain for the protocol’s retention window (one hour by default) before it can be closed: try again once it has passed, or let the orchestrator close it then',
  StakeNotEmpty:
    'Your stake still holds tokens or unclaimed rewards: unstake and withdraw everything and claim your rewards before closing it',
  WorkerStillRegistered: 'Your worker is still registered: deregister it before closing your stake',
  SlaPremiumAboveMax:
    'The SLA premium rose above the price the preview showed (it follows the network’s challenge uptime), so nothing was charged: check the new premium in the cost preview and post again',
  SlaPowOnly:
    'An SLA covers proof-of-work jobs only, whose deadlines the program settles on its own: post this job without an SLA, or choose Proof of work',
  SlaAfterAssignment: 'An SLA must be bought before a worker is assigned the job: post a new job with the SLA option ticked',
  SlaAlreadyBought: 'This job already has an SLA: there is nothing more to buy',
  UptimeBelowSla:
    'This job has an SLA: only workers that answered a capacity challenge and keep the SLA’s uptime may take it, so it waits for one of them',
};

/** Whether the app has its own sentence for the program error `name` (see PROGRAM_ADVICE). */
export function hasProgramAdvice(name: string): boolean {
  return Object.hasOwn(PROGRAM_ADVICE, name);
}

const TOKEN_ERRORS: Record<number, string> = {
  0: 'The token account would fall below its rent-exempt balance',
  1: 'Your IGN balance is too low for this amount',
  2: 'The token account is not for a valid mint',
  3: 'The token account is for a different token than IGN',
  4: 'The token account belongs to someone else',
  5: 'The IGN supply is fixed',
  6: 'The token account is already in use',
  9: 'The token account has not been initialised',
  11: 'The amount is too large',
  17: 'Your IGN token account is frozen',
};

const SYSTEM_ERRORS: Record<number, string> = {
  0: 'An account at that address already exists',
  1: 'Your wallet does not have enough SOL for this (network fee and account rent)',
};

export interface ErrorContext {
  /** Program of each instruction in the transaction, in order. */
  programs?: readonly string[];
  rpcUrl?: string;
  apiUrl?: string;
}

function chain(error: unknown): unknown[] {
  const out: unknown[] = [];
  let current: unknown = error;
  for (let i = 0; current && i < 8; i++) {
    out.push(current);
    current = (current as { cause?: unknown }).cause;
  }
  return out;
}

function logsOf(errors: unknown[]): string[] {
  for (const e of errors) {
    if (isSolanaError(e, SOLANA_ERROR__JSON_RPC__SERVER_ERROR_SEND_TRANSACTION_PREFLIGHT_FAILURE)) {
      const logs = (e.context as { logs?: readonly string[] | null }).logs;
      if (logs) return [...logs];
    }
    const logs = (e as { logs?: unknown }).logs;
    if (Array.isArray(logs)) return logs as string[];
  }
  return [];
}

/**
 * The program that failed first (`Program X failed: ...`): the innermost one, since a
 * program called by another logs its failure before its caller does.
 */
export function failingProgramFromLogs(logs: readonly string[]): string | undefined {
  for (const line of logs) {
    const match = /^Program (\w+) failed/.exec(line);
    if (match) return match[1];
  }
  return undefined;
}

/** The sentence for a custom error `code` raised while running `program` (or unknown). */
export function describeCustomError(code: number, program: string | undefined): string {
  const fromProgram = program === undefined || program === PROGRAM_ID;
  if (fromProgram && code >= 6000) {
    const info = PROGRAM_ERRORS.get(code);
    if (info) return PROGRAM_ADVICE[info.name] ?? info.message;
  }
  if (fromProgram && code >= 100) {
    const info = ANCHOR_ERRORS.get(code);
    if (info) return info.message;
  }
  // Below Anchor's range, a custom error inside an ignis instruction comes from a
  // program it called: the token program moves every token.
  if (program === SYSTEM_PROGRAM_ID && SYSTEM_ERRORS[code]) return SYSTEM_ERRORS[code];
  if ((program === undefined || program === PROGRAM_ID || program === TOKEN_PROGRAM_ID || program === TOKEN_2022_PROGRAM_ID) && TOKEN_ERRORS[code]) {
    return TOKEN_ERRORS[code];
  }
  if (program === ATA_PROGRAM_ID) return 'Your IGN token account could not be created';
  return `The transaction failed with error ${code}${program ? ` from program ${program}` : ''}`;
}

function isRejection(error: unknown): boolean {
  for (const e of chain(error)) {
    if (!e || typeof e !== 'object') continue;
    const { code, name, message } = e as { code?: unknown; name?: unknown; message?: unknown };
    if (code === 4001 || code === 'ACTION_REJECTED') return true;
    if (typeof name === 'string' && /reject/i.test(name)) return true;
    if (typeof message === 'string' && /(user )?(rejected|denied|declined|cancell?ed)( the)? (request|transaction|signature|by (the )?user)|user rejected|request rejected/i.test(message)) {
      return true;
    }
  }
  return false;
}

function isNetworkFailure(error: unknown): boolean {
  return chain(error).some(
    (e) =>
      isSolanaError(e, SOLANA_ERROR__RPC__TRANSPORT_HTTP_ERROR) ||
      (e instanceof TypeError && /fetch|network|load failed/i.test(e.message)),
  );
}

/** A raw `err` from getSignatureStatuses or a simulation, as a kit error. */
export function transactionErrorToSolanaError(err: unknown): SolanaError {
  return getSolanaErrorFromTransactionError(err as Parameters<typeof getSolanaErrorFromTransactionError>[0]);
}

/** One sentence for any failure, without a trailing period. */
export function describeError(error: unknown, context: ErrorContext = {}): string {
  // tx.ts wraps a failed send with the programs of its instructions.
  const wrapped = error as { programs?: unknown; cause?: unknown } | null;
  if (wrapped && Array.isArray(wrapped.programs) && 'cause' in wrapped) {
    return describeError(wrapped.cause, { ...context, programs: wrapped.programs as string[] });
  }
  if (isRejection(error)) return REJECTED_SENTENCE;
  const errors = chain(error);
  const logs = logsOf(errors);

  for (const e of errors) {
    if (isSolanaError(e, SOLANA_ERROR__INSTRUCTION_ERROR__CUSTOM)) {
      const { code, index } = e.context;
      const program = failingProgramFromLogs(logs) ?? context.programs?.[index];
      return describeCustomError(code, program);
    }
    if (isSolanaError(e, SOLANA_ERROR__INSTRUCTION_ERROR__INSUFFICIENT_FUNDS)) {
      return 'Not enough funds for this transaction';
    }
    if (isSolanaError(e, SOLANA_ERROR__INSTRUCTION_ERROR__MISSING_REQUIRED_SIGNATURE)) {
      return 'The wallet did not sign with the connected account';
    }
    if (
      isSolanaError(e, SOLANA_ERROR__TRANSACTION_ERROR__ACCOUNT_NOT_FOUND) ||
      isSolanaError(e, SOLANA_ERROR__TRANSACTION_ERROR__INSUFFICIENT_FUNDS_FOR_FEE)
    ) {
      return 'Your wallet has no SOL to pay the network fee';
    }
    if (isSolanaError(e, SOLANA_ERROR__TRANSACTION_ERROR__INSUFFICIENT_FUNDS_FOR_RENT)) {
      return 'Your wallet does not have enough SOL for the rent of the new account';
    }
    if (
      isSolanaError(e, SOLANA_ERROR__TRANSACTION_ERROR__BLOCKHASH_NOT_FOUND) ||
      isSolanaError(e, SOLANA_ERROR__BLOCK_HEIGHT_EXCEEDED)
    ) {
      return 'The transaction expired before the network confirmed it: try again';
    }
    if (isSolanaError(e, SOLANA_ERROR__TRANSACTION_ERROR__ALREADY_PROCESSED)) {
      return 'This transaction was already processed';
    }
  }
  // A log line is sometimes all a node gives.
  const logged = logs.map((l) => /custom program error: 0x([0-9a-f]+)/i.exec(l)).find(Boolean);
  if (logged) return describeCustomError(parseInt(logged[1]!, 16), failingProgramFromLogs(logs));

  if (isNetworkFailure(error)) {
    return context.rpcUrl
      ? `Cannot reach the chain at ${context.rpcUrl}: check the RPC URL in Settings`
      : 'Cannot reach the network: check your connection and the URLs in Settings';
  }
  if (error instanceof Error && error.message && !isSolanaError(error)) return error.message.replace(/\.$/, '');
  if (typeof error === 'string') return error;
  if (isSolanaError(error)) return `The transaction failed (Solana error ${error.context.__code})`;
  return 'Something went wrong';
}

/**
 * Whether posting failed because another job took the id first (`JobIdMismatch`, or
 * the job account already existing): the app picks another id and asks again.
 */
export function isJobIdRace(error: unknown): boolean {
  const mismatch = [...PROGRAM_ERRORS.entries()].find(([, e]) => e.name === 'JobIdMismatch')?.[0];
  const errors = chain(error);
  const logs = logsOf(errors);
  for (const e of errors) {
    if (isSolanaError(e, SOLANA_ERROR__INSTRUCTION_ERROR__CUSTOM)) {
      if (e.context.code === mismatch) return true;
      if (e.context.code === 0 && logs.some((l) => /already in use/i.test(l))) return true;
    }
  }
  return false;
}
