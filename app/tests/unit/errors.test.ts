import {
  getSolanaErrorFromJsonRpcError,
  getSolanaErrorFromTransactionError,
  SOLANA_ERROR__RPC__TRANSPORT_HTTP_ERROR,
  SolanaError,
} from '@solana/kit';
import { describe, expect, it } from 'vitest';
import idl from '../../../idl/ignis.json';
import { ANCHOR_ERRORS } from '../../src/lib/anchorErrors';
import {
  ATA_PROGRAM_ID,
  describeCustomError,
  describeError,
  failingProgramFromLogs,
  hasProgramAdvice,
  isJobIdRace,
  PROGRAM_ERRORS,
  PROGRAM_ID,
  REJECTED_SENTENCE,
  SYSTEM_PROGRAM_ID,
  TOKEN_PROGRAM_ID,
} from '../../src/lib/errors';
import { TransactionFailed } from '../../src/lib/tx';

const custom = (index: number, code: number) => getSolanaErrorFromTransactionError({ InstructionError: [index, { Custom: code }] });
const preflight = (index: number, code: number, logs: string[]) =>
  getSolanaErrorFromJsonRpcError({
    code: -32002,
    message: 'Transaction simulation failed',
    data: { err: { InstructionError: [index, { Custom: code }] }, logs, accounts: null, unitsConsumed: 0, returnData: null },
  });

describe('program errors', () => {
  it('has a sentence for every error in the IDL', () => {
    expect(PROGRAM_ERRORS.size).toBe(idl.errors.length);
    for (const e of idl.errors) {
      const sentence = describeCustomError(e.code, PROGRAM_ID);
      expect(sentence.length).toBeGreaterThan(10);
      expect(sentence).not.toMatch(/error \d+/);
    }
  });

  it('uses the IDL message, or advice where there is more to say', () => {
    const code = (name: string) => idl.errors.find((e) => e.name === name)!.code;
    expect(describeError(custom(0, code('WorkerNotAccepting')))).toBe('The worker is not accepting jobs');
    expect(describeError(custom(0, 6014))).toBe('Not enough bonded stake: you cannot unstake more than you have staked');
    expect(describeError(custom(0, code('NothingToClaim')))).toMatch(/^Nothing to claim yet/);
    expect(describeError(custom(0, code('UnbondingNotElapsed')))).toMatch(/after the unlock time/);
  });

  it('says what to do about each error the program added for activation, declines, closing and initialisation', () => {
    const added = [
      'JobInfeasible',
      'DeclineWindowClosed',
      'RequeueLimitReached',
      'NoReplicaRevealedResult',
      'NothingRevealed',
      'ActivationNotDue',
      'WorkerAlreadyRegistered',
      'WorkerNotRegistered',
      'NotMintAuthority',
      'MintExtensionNotAllowed',
      'JobNotSettled',
      'RetentionNotElapsed',
      'StakeNotEmpty',
      'WorkerStillRegistered',
    ];
    const codes = new Map(idl.errors.map((e) => [e.name, e.code]));
    // Appended at the end of errors.rs: existing codes keep their numbers.
    expect(codes.get('NotFinalizable')).toBe(6065);
    expect(added.map((name) => codes.get(name))).toEqual(added.map((_, i) => 6066 + i));
    for (const name of [...added, 'RewardTooSmall', 'WorkerHasActiveJobs', 'StakeBelowMinimum']) {
      expect(hasProgramAdvice(name), name).toBe(true);
      // What went wrong, then what to do about it.
      expect(describeCustomError(codes.get(name)!, PROGRAM_ID), name).toMatch(/^[A-Z][^:]+: .{10,}$/);
    }
    expect(describeError(custom(0, codes.get('RewardTooSmall')!))).toMatch(/^The reward is too small: .*raise the reward/);
    expect(describeError(custom(0, codes.get('WorkerHasActiveJobs')!))).toMatch(/live jobs.*withdraw or deregister once they have$/);
    expect(describeError(custom(0, codes.get('RequeueLimitReached')!))).toMatch(/refund it/);
  });

  it('explains a refused close_job or close_stake (the app sends each alone, at index 0)', () => {
    const code = (name: string) => idl.errors.find((e) => e.name === name)!.code;
    const failed = (name: string) => describeError(custom(0, code(name)), { programs: [PROGRAM_ID] });
    expect(failed('JobNotSettled')).toMatch(/^Only a completed, cancelled or refunded job can be closed: /);
    expect(failed('RetentionNotElapsed')).toMatch(
      /^A settled job stays on chain for the protocol’s retention window \(one hour by default\) before it can be closed: try again/,
    );
    expect(failed('RetentionNotElapsed')).not.toMatch(/a day/);
    expect(failed('StakeNotEmpty')).toMatch(/^Your stake still holds tokens or unclaimed rewards: .*before closing it$/);
    expect(failed('WorkerStillRegistered')).toBe('Your worker is still registered: deregister it before closing your stake');
  });

  it('explains a retention out of range with the IDL’s message, like the other parameter checks', () => {
    const codes = new Map(idl.errors.map((e) => [e.name, e.code]));
    // Appended after WorkerStillRegistered: existing codes keep their numbers.
    expect(codes.get('InvalidRetention')).toBe(6080);
    expect(hasProgramAdvice('InvalidRetention')).toBe(false);
    expect(hasProgramAdvice('InvalidProtocolFee')).toBe(false);
    expect(describeError(custom(0, 6080), { programs: [PROGRAM_ID] })).toBe('A job retention must be between 0 and 30 days');
  });

  it('explains a refused SLA: a premium above the previewed one, a job that cannot have one', () => {
    const code = (name: string) => idl.errors.find((e) => e.name === name)!.code;
    // buy_sla is the second instruction of the posting transaction.
    const failed = (name: string) => describeError(custom(1, code(name)), { programs: [PROGRAM_ID, PROGRAM_ID] });
    expect(failed('SlaPremiumAboveMax')).toMatch(/^The SLA premium rose above the price the preview showed .*nothing was charged: check the new premium in the cost preview and post again$/);
    expect(failed('SlaPowOnly')).toMatch(/^An SLA covers proof-of-work jobs only.*: post this job without an SLA, or choose Proof of work$/);
    for (const name of ['SlaPremiumAboveMax', 'SlaPowOnly', 'SlaAfterAssignment', 'SlaAlreadyBought', 'UptimeBelowSla']) {
      expect(hasProgramAdvice(name), name).toBe(true);
      expect(describeCustomError(code(name), PROGRAM_ID), name).toMatch(/^[A-Z][^:]+: .{10,}$/);
    }
  });

  it('maps Anchor’s own codes', () => {
    expect(ANCHOR_ERRORS.get(2006)?.name).toBe('ConstraintSeeds');
    expect(ANCHOR_ERRORS.get(3012)?.name).toBe('AccountNotInitialized');
    expect(ANCHOR_ERRORS.get(2040)?.name).toBe('ConstraintDuplicateMutableAccount');
    expect(describeError(custom(0, 3012))).toMatch(/^An account this action needs does not exist yet/);
    expect(describeError(custom(0, 2003))).toBe('A raw constraint was violated');
    expect(describeError(custom(0, 101))).toMatch(/does not know this instruction/);
  });

  it('tells token, system and ATA program errors apart by the failing program', () => {
    const logs = [
      `Program ${PROGRAM_ID} invoke [1]`,
      `Program ${TOKEN_PROGRAM_ID} invoke [2]`,
      `Program ${TOKEN_PROGRAM_ID} failed: custom program error: 0x1`,
      `Program ${PROGRAM_ID} failed: custom program error: 0x1`,
    ];
    expect(failingProgramFromLogs(logs)).toBe(TOKEN_PROGRAM_ID);
    expect(describeError(preflight(0, 1, logs))).toBe('Your IGN balance is too low for this amount');
    // Without logs, a low code inside an ignis instruction comes from the token program.
    expect(describeError(new TransactionFailed(custom(1, 1), [ATA_PROGRAM_ID, PROGRAM_ID]))).toBe('Your IGN balance is too low for this amount');
    const systemLogs = [`Program ${SYSTEM_PROGRAM_ID} failed: custom program error: 0x0`];
    expect(describeError(preflight(0, 0, systemLogs))).toBe('An account at that address already exists');
    expect(describeError(new TransactionFailed(custom(0, 3), [ATA_PROGRAM_ID, PROGRAM_ID]))).toBe('Your IGN token account could not be created');
    expect(describeCustomError(42, 'Other1111111111111111111111111111111111111')).toBe(
      'The transaction failed with error 42 from program Other1111111111111111111111111111111111111',
    );
  });

  it('recognises a lost race for the job id', () => {
    expect(isJobIdRace(custom(0, idl.errors.find((e) => e.name === 'JobIdMismatch')!.code))).toBe(true);
    expect(isJobIdRace(preflight(0, 0, ['Allocate: account Address { address: X } already in use']))).toBe(true);
    expect(isJobIdRace(custom(0, 1))).toBe(false);
  });
});

describe('transaction, wallet and network errors', () => {
  it('says when the wallet rejected', () => {
    expect(describeError(Object.assign(new Error('User rejected the request.'), { code: 4001 }))).toBe(REJECTED_SENTENCE);
    expect(describeError(new Error('Transaction cancelled by user'))).toBe(REJECTED_SENTENCE);
    expect(describeError({ code: 4001, message: 'whatever' })).toBe(REJECTED_SENTENCE);
    expect(describeError(new TransactionFailed(new Error('User rejected the request.'), [PROGRAM_ID]))).toBe(REJECTED_SENTENCE);
    const named = new Error('no');
    named.name = 'WalletSignTransactionError: user rejected';
    expect(describeError(named)).toBe(REJECTED_SENTENCE);
  });

  it('explains fees, expiry and unreachable nodes', () => {
    expect(describeError(getSolanaErrorFromTransactionError('AccountNotFound'))).toBe('Your wallet has no SOL to pay the network fee');
    expect(describeError(getSolanaErrorFromTransactionError('InsufficientFundsForFee'))).toBe('Your wallet has no SOL to pay the network fee');
    expect(describeError(getSolanaErrorFromTransactionError('BlockhashNotFound'))).toMatch(/expired/);
    expect(describeError(new TypeError('Failed to fetch'), { rpcUrl: 'http://127.0.0.1:8899' })).toBe(
      'Cannot reach the chain at http://127.0.0.1:8899: check the RPC URL in Settings',
    );
    expect(describeError(new SolanaError(SOLANA_ERROR__RPC__TRANSPORT_HTTP_ERROR, { headers: new Headers(), message: 'x', statusCode: 502 }))).toMatch(
      /^Cannot reach the network/,
    );
  });

  it('passes the app’s own sentences through and never says nothing', () => {
    expect(describeError(new Error('Enter an amount.'))).toBe('Enter an amount');
    expect(describeError('plain')).toBe('plain');
    expect(describeError(undefined)).toBe('Something went wrong');
  });
});
