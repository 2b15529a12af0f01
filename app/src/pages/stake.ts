// Stake & rewards: IGN balance, bonded stake, stake still activating (a deposit is
// bonded within seconds, in a later slot than its own once the orchestrator's crank has
// synced every shard after it, by the crank or the owner's next stake, unstake or
// claim), unbonding with its unlock time (on the protocol clock), the rewards claimable
// now (`Stake::claimable_now` from the Stake and Config accounts, lib/rewards.ts: what
// the crank's `sync_shard` has booked, every few seconds; only bonded stake earns), and
// stake / unstake / withdraw / claim, and closing the stake account for its rent once it
// holds nothing and the wallet's worker is deregistered (lib/closing.ts).

import type { App } from '../app';
import type { Stake, Worker } from '../generated';
import { readSolBalance, readStake, readTokenBalance, readWorker, type TokenBalance } from '../lib/chain';
import { canCloseStake } from '../lib/closing';
import { formatDuration, formatIgn, formatRelative, formatSol, formatTimestamp, formatUnits, parseIgn } from '../lib/format';
import {
  claimRewardsInstruction,
  closeStakeInstruction,
  requestUnstakeInstruction,
  stakeInstruction,
  withdrawInstruction,
} from '../lib/program';
import { claimableRewards, stakeEmissionPerSecond } from '../lib/rewards';

/** How often to re-read the stake while a deposit waits for the crank to bond it. */
const ACTIVATION_POLL_MS = 2_000;
/** How often to re-read the stake and Config otherwise: the crank books rewards every few seconds. */
const REWARDS_POLL_MS = 5_000;
import { notice, runAction, stat, type ActionOutcome } from '../ui/components';
import { h, replaceChildren } from '../ui/dom';

export function stakePage(app: App, root: HTMLElement): () => void {
  const summary = h('section', { class: 'stats', 'data-testid': 'stake-summary' });
  const unbondingBox = h('div', { class: 'unbonding', 'data-testid': 'unbonding' });

  const stakeAmount = h('input', { type: 'text', inputmode: 'decimal', placeholder: '0.0', autocomplete: 'off', 'data-testid': 'stake-amount', 'aria-label': 'Amount to stake (IGN)' });
  const stakeMax = h('button', { class: 'button button-small', type: 'button' }, 'Max');
  const stakeButton = h('button', { class: 'button button-primary', type: 'submit', 'data-testid': 'stake-submit' }, 'Stake');
  const stakeResult = h('div', { class: 'result', 'data-testid': 'stake-result' });

  const unstakeAmount = h('input', { type: 'text', inputmode: 'decimal', placeholder: '0.0', autocomplete: 'off', 'data-testid': 'unstake-amount', 'aria-label': 'Amount to unstake (IGN)' });
  const unstakeMax = h('button', { class: 'button button-small', type: 'button' }, 'Max');
  const unstakeButton = h('button', { class: 'button', type: 'submit', 'data-testid': 'unstake-submit' }, 'Request unstake');
  const unstakeHint = h('small', { 'data-testid': 'unstake-hint' });
  const unstakeResult = h('div', { class: 'result', 'data-testid': 'unstake-result' });

  const withdrawButton = h('button', { class: 'button', 'data-testid': 'withdraw-submit' }, 'Withdraw');
  const withdrawResult = h('div', { class: 'result', 'data-testid': 'withdraw-result' });
  const claimButton = h('button', { class: 'button button-primary', 'data-testid': 'claim-submit' }, 'Claim rewards');
  const claimResult = h('div', { class: 'result', 'data-testid': 'claim-result' });
  const claimable = h('strong', { class: 'big', 'data-testid': 'claimable' }, '–');
  const rate = h('small', { class: 'muted', 'data-testid': 'reward-rate' });
  const closeStakeButton = h('button', { class: 'button', 'data-testid': 'close-stake-submit' }, 'Close stake account');
  const closeStakeResult = h('div', { class: 'result', 'data-testid': 'close-stake-result' });
  const closeStakeIntro = h(
    'p',
    { class: 'muted' },
    'Your stake account holds nothing: nothing staked, activating, unbonding or to claim. Close it to take back the rent paid when you first staked; staking again opens a new one.',
  );

  const stakeForm = h('form', { class: 'card form', novalidate: true },
    h('h2', null, 'Stake'),
    h(
      'p',
      { class: 'muted' },
      'Staked IGN earns a share of emission and of every job’s protocol fee. A deposit is activating at first: it is bonded, earning and counting for workers, within seconds, once the orchestrator’s crank has synced the shards. Stake is slashable while bonded or unbonding.',
    ),
    h('div', { class: 'input-row' }, stakeAmount, stakeMax),
    stakeButton, stakeResult);
  const unstakeForm = h('form', { class: 'card form', novalidate: true },
    h('h2', null, 'Unstake'),
    h('div', { class: 'input-row' }, unstakeAmount, unstakeMax),
    unstakeHint, unstakeButton, unstakeResult);
  const withdrawCard = h('section', { class: 'card form' }, h('h2', null, 'Unbonding'), unbondingBox, withdrawButton, withdrawResult);
  const claimCard = h('section', { class: 'card form' }, h('h2', null, 'Rewards'), h('div', null, 'Claimable now'), claimable, rate, claimButton, claimResult);
  const closeStakeTitle = h('h2', null, 'Stake account');
  const closeStakeCard = h('section', { class: 'card form', 'data-testid': 'close-stake' });
  // Holds closeStakeCard while the stake can be closed, and afterwards while it shows
  // what happened.
  const closeStakeBox = h('div', { class: 'after-grid' });

  const body = h('div');
  replaceChildren(root, h('h1', null, 'Stake & rewards'), body);

  let balance: TokenBalance | null = null;
  let sol: bigint | null = null;
  let stake: Stake | null = null;
  let worker: Worker | null = null;
  let loadError: string | null = null;

  const renderClaimable = () => {
    const config = app.config;
    if (!config || !stake) {
      claimable.textContent = formatIgn(0n);
      claimButton.disabled = true;
      rate.textContent = '';
      return 0n;
    }
    // Exactly what `claim_rewards` pays now: the rewards the crank has booked into the
    // Config (every few seconds), as last read. No accrual up to the present.
    const amount = claimableRewards(config, stake);
    claimable.textContent = formatIgn(amount, 6);
    claimable.dataset.amount = amount.toString();
    claimButton.disabled = amount === 0n;
    // Only bonded stake earns: a deposit still activating starts once it is bonded.
    const perSecond = stakeEmissionPerSecond(config, stake.amount, BigInt(app.now()));
    rate.textContent =
      perSecond > 0n
        ? `About ${formatUnits(perSecond * 86_400n, 9, 4)} IGN a day from emission, plus fees, booked every few seconds.`
        : stake.activatingAmount > 0n
          ? 'Your deposit starts earning once it is bonded, within seconds.'
          : '';
    return amount;
  };

  const errorBox = h('div');
  let layout: 'connect' | 'loading' | 'ready' | null = null;
  const setLayout = (next: 'connect' | 'loading' | 'ready') => {
    if (layout === next && next !== 'loading') return;
    layout = next;
    if (next === 'connect') replaceChildren(body, notice('Connect a wallet to stake IGN and claim rewards.', 'info', 'stake-connect'));
    else if (next === 'loading') replaceChildren(body, notice(app.chainError ?? 'Loading…', 'warn'));
    else replaceChildren(body, errorBox, summary, h('div', { class: 'grid2' }, stakeForm, unstakeForm, withdrawCard, claimCard), closeStakeBox);
  };

  // Updates figures in place, so typing in the forms is never disturbed.
  const render = () => {
    const owner = app.address;
    const config = app.config;
    if (!owner) return setLayout('connect');
    if (!config) return setLayout('loading');
    setLayout('ready');
    replaceChildren(errorBox, loadError ? notice(loadError, 'warn') : null);
    // Unlock times are stored on the protocol clock, which stands still while paused.
    const clock = app.protocolNow();
    const activating = stake?.activatingAmount ?? 0n;
    replaceChildren(
      summary,
      stat('IGN balance', balance ? formatIgn(balance.amount) : '…', 'ign-balance', sol !== null ? formatSol(sol) : undefined),
      stat('Staked', formatIgn(stake?.amount ?? 0n), 'staked-amount', 'bonded: earning, counts for workers'),
      activating > 0n ? stat('Activating', formatIgn(activating), 'activating-amount', 'activating, bonded within seconds') : null,
      stat('Unbonding', formatIgn(stake?.unbondingAmount ?? 0n), 'unbonding-amount'),
      stat('Claimed so far', formatIgn(stake?.claimedTotal ?? 0n), 'claimed-total'),
    );
    const unbonding = stake?.unbondingAmount ?? 0n;
    const unlockAt = Number(stake?.unlockAt ?? 0n);
    const liveJobs = worker?.activeJobs ?? 0;
    if (unbonding > 0n) {
      const ready = clock >= unlockAt;
      replaceChildren(
        unbondingBox,
        h('p', null, `${formatIgn(unbonding)} unbonding.`),
        h(
          'p',
          { 'data-testid': 'unlock-time', 'data-unlock-at': unlockAt },
          ready ? 'Unlocked since ' : 'Unlocks at ',
          h('strong', null, formatTimestamp(app.wallTime(unlockAt))),
          ` (${formatRelative(unlockAt, clock)})`,
        ),
        config.paused && !ready
          ? h('p', { class: 'muted', 'data-testid': 'unbonding-paused' }, 'The protocol is paused: the unbonding clock stands still until it resumes.')
          : null,
        liveJobs > 0
          ? h(
              'p',
              { class: 'muted', 'data-testid': 'withdraw-blocked' },
              `Your worker has ${liveJobs} live ${liveJobs === 1 ? 'job' : 'jobs'}: the stake behind them stays until they settle, then you can withdraw.`,
            )
          : null,
      );
      withdrawButton.disabled = !ready || liveJobs > 0;
    } else {
      replaceChildren(unbondingBox, h('p', { class: 'muted' }, 'Nothing is unbonding.'));
      withdrawButton.disabled = true;
    }
    const unbondingSeconds = Number(config.params.unbondingSeconds);
    unstakeHint.textContent =
      `Unstaked IGN unlocks after ${formatDuration(unbondingSeconds)}: at ${formatTimestamp(app.wallTime(clock + unbondingSeconds))} if you request now. A new request restarts the clock for everything unbonding.` +
      (activating > 0n ? ' Stake still activating can be unstaked once it is bonded, within seconds.' : '');
    renderClaimable();
    // Offered only when `close_stake` would succeed: an empty stake account and no
    // registered worker.
    const closable = canCloseStake(config, stake, worker);
    replaceChildren(closeStakeCard, closeStakeTitle, closable ? [closeStakeIntro, closeStakeButton] : null, closeStakeResult);
    replaceChildren(closeStakeBox, closable || closeStakeResult.dataset.state ? closeStakeCard : null);
  };

  const load = async () => {
    const owner = app.address;
    const protocol = app.protocol;
    if (!owner || !protocol) return render();
    try {
      [balance, sol, stake, worker] = await Promise.all([
        readTokenBalance(app.rpc, owner, protocol),
        readSolBalance(app.rpc, owner),
        readStake(app.rpc, owner),
        readWorker(app.rpc, owner),
      ]);
      loadError = null;
    } catch (error) {
      loadError = app.describe(error);
    }
    render();
  };

  // The stake first, then the Config: the accumulator the claimable figure reads is
  // then at least as recent as the stake's debt.
  const reload = async () => {
    await load();
    await app.refreshConfig();
  };

  const after = async (outcome: ActionOutcome): Promise<ActionOutcome> => {
    await reload();
    return outcome;
  };

  stakeMax.addEventListener('click', () => {
    if (balance) stakeAmount.value = formatUnits(balance.amount).replace(/,/g, '');
  });
  unstakeMax.addEventListener('click', () => {
    if (stake) unstakeAmount.value = formatUnits(stake.amount).replace(/,/g, '');
  });

  stakeForm.addEventListener('submit', (event) => {
    event.preventDefault();
    void runAction(app, stakeButton, stakeResult, async () => {
      const amount = parseIgn(stakeAmount.value);
      if (amount === 0n) throw new Error('Enter an amount greater than zero');
      const instructions = await app.withTokenAccount(async (signer, ata, protocol) => [
        await stakeInstruction(protocol, signer, ata, amount),
      ]);
      const sent = await app.send(instructions);
      stakeAmount.value = '';
      // The orchestrator's crank bonds it once it has synced every shard after the
      // deposit, within seconds; the page polls meanwhile.
      return after({
        message: `Staked ${formatIgn(amount)}: activating, bonded within seconds once the crank has synced the shards.`,
        signature: sent.signature,
      });
    });
  });

  unstakeForm.addEventListener('submit', (event) => {
    event.preventDefault();
    void runAction(app, unstakeButton, unstakeResult, async () => {
      const amount = parseIgn(unstakeAmount.value);
      if (amount === 0n) throw new Error('Enter an amount greater than zero');
      if (!stake) throw new Error('You have nothing staked yet: stake IGN first');
      const sent = await app.send([await requestUnstakeInstruction(app.signer(), amount)]);
      unstakeAmount.value = '';
      const outcome = await after({ message: '', signature: sent.signature });
      const unlockAt = Number(stake?.unlockAt ?? 0n);
      return {
        ...outcome,
        message: `Unstake of ${formatIgn(amount)} requested: it unlocks at ${formatTimestamp(app.wallTime(unlockAt))} (${formatRelative(unlockAt, app.protocolNow())}).`,
      };
    });
  });

  withdrawButton.addEventListener('click', () =>
    void runAction(app, withdrawButton, withdrawResult, async () => {
      const amount = stake?.unbondingAmount ?? 0n;
      const instructions = await app.withTokenAccount(async (signer, ata, protocol) => [
        await withdrawInstruction(protocol, signer, ata),
      ]);
      const sent = await app.send(instructions);
      return after({ message: `Withdrew ${formatIgn(amount)}.`, signature: sent.signature });
    }),
  );

  claimButton.addEventListener('click', () =>
    void runAction(app, claimButton, claimResult, async () => {
      const before = balance?.amount ?? 0n;
      const instructions = await app.withTokenAccount(async (signer, ata, protocol) => [
        await claimRewardsInstruction(protocol, signer, ata),
      ]);
      const sent = await app.send(instructions);
      const outcome = await after({ message: '', signature: sent.signature });
      const received = (balance?.amount ?? 0n) - before;
      return { ...outcome, message: received > 0n ? `Claimed ${formatIgn(received)}.` : 'Rewards claimed.' };
    }),
  );

  closeStakeButton.addEventListener('click', () =>
    void runAction(app, closeStakeButton, closeStakeResult, async () => {
      const sent = await app.send([await closeStakeInstruction(app.signer())]);
      return after({ message: 'Closed your stake account: its rent came back to your wallet.', signature: sent.signature });
    }),
  );

  const offs = [
    app.on('wallet', () => {
      // What happened to the last wallet's stake account is not this one's.
      if (closeStakeResult.dataset.state !== 'pending') {
        delete closeStakeResult.dataset.state;
        closeStakeResult.className = 'result';
        replaceChildren(closeStakeResult);
      }
      void load();
    }),
    app.on('config', () => render()),
  ];
  void load();
  // Every 5 s, or every 2 s while a deposit waits to be bonded, so the bonded figure
  // follows the crank's activation and the claimable one what its syncs book.
  let lastLoad = Date.now();
  let loading = false;
  const poll = setInterval(() => {
    const waiting = (stake?.activatingAmount ?? 0n) > 0n;
    if (loading || Date.now() - lastLoad < (waiting ? ACTIVATION_POLL_MS : REWARDS_POLL_MS)) return;
    loading = true;
    lastLoad = Date.now();
    void reload().finally(() => (loading = false));
  }, 500);
  return () => {
    offs.forEach((off) => off());
    clearInterval(poll);
  };
}
