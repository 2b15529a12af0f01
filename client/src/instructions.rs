//! Instruction builders. Accounts come from Anchor's generated `ignis::accounts`
//! structs and data from `ignis::instruction`, so they cannot drift from the program.

use anchor_lang::{
    prelude::{AccountMeta, Pubkey},
    solana_program::instruction::Instruction,
    system_program, InstructionData, ToAccountMetas,
};
use ignis::{accounts as ix_accounts, instruction as ix_data, instructions::PostJobArgs};

use crate::accounts::{EmissionSchedule, Params, WorkerSettings};
use crate::pda;

fn build(accounts: impl ToAccountMetas, data: impl InstructionData) -> Instruction {
    Instruction {
        program_id: ignis::ID,
        accounts: accounts.to_account_metas(None),
        data: data.data(),
    }
}

/// `sync_shard`s per transaction: each adds its shard and vault to six shared accounts.
pub const SYNC_BATCH: usize = 4;

/// The deployment's token side: every vault-touching instruction needs both.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Protocol {
    pub mint: Pubkey,
    pub token_program: Pubkey,
}

impl Protocol {
    pub fn new(mint: Pubkey, token_program: Pubkey) -> Self {
        Self { mint, token_program }
    }

    /// The deployment a config describes.
    pub fn from_config(config: &crate::accounts::Config) -> Self {
        Self::new(config.mint, config.token_program)
    }

    /// `admin` must be the mint's current mint authority: the instruction hands it to
    /// the protocol's emission PDA.
    pub fn initialize(
        &self,
        admin: Pubkey,
        params: Params,
        emission: EmissionSchedule,
        orchestrator: Pubkey,
        verifier: Pubkey,
    ) -> Instruction {
        build(
            ix_accounts::Initialize {
                admin,
                config: pda::config(),
                emission: pda::emission(),
                mint: self.mint,
                stake_vault: pda::stake_vault(),
                reward_vault: pda::reward_vault(),
                token_program: self.token_program,
                system_program: system_program::ID,
                event_authority: pda::event_authority(),
                program: ignis::ID,
            },
            ix_data::Initialize { params, emission, orchestrator, verifier },
        )
    }

    pub fn stake(&self, owner: Pubkey, owner_token: Pubkey, amount: u64) -> Instruction {
        build(
            ix_accounts::StakeTokens {
                owner,
                config: pda::config(),
                stake: pda::stake(&owner),
                owner_token,
                stake_vault: pda::stake_vault(),
                mint: self.mint,
                token_program: self.token_program,
                system_program: system_program::ID,
                event_authority: pda::event_authority(),
                program: ignis::ID,
            },
            ix_data::Stake { amount },
        )
    }

    pub fn withdraw(&self, owner: Pubkey, owner_token: Pubkey) -> Instruction {
        build(
            ix_accounts::Withdraw {
                owner,
                config: pda::config(),
                stake: pda::stake(&owner),
                worker: pda::worker(&owner),
                owner_token,
                stake_vault: pda::stake_vault(),
                mint: self.mint,
                token_program: self.token_program,
                event_authority: pda::event_authority(),
                program: ignis::ID,
            },
            ix_data::Withdraw {},
        )
    }

    /// Creates shard `index` and its vault; `payer` funds their rent.
    pub fn init_shard(&self, payer: Pubkey, index: u8) -> Instruction {
        build(
            ix_accounts::InitShard {
                payer,
                config: pda::config(),
                shard: pda::shard(index),
                shard_vault: pda::shard_vault(index),
                mint: self.mint,
                token_program: self.token_program,
                system_program: system_program::ID,
                event_authority: pda::event_authority(),
                program: ignis::ID,
            },
            ix_data::InitShard { index },
        )
    }

    /// `sync_shard` for every shard in `indices`, [`SYNC_BATCH`] to a transaction.
    pub fn sync_shards(&self, indices: impl IntoIterator<Item = u8>) -> Vec<Vec<Instruction>> {
        let syncs: Vec<Instruction> = indices.into_iter().map(|i| self.sync_shard(i)).collect();
        syncs.chunks(SYNC_BATCH).map(<[Instruction]>::to_vec).collect()
    }

    /// Permissionless crank: shard `index`'s fees to the stakers, its work pool topped up.
    pub fn sync_shard(&self, index: u8) -> Instruction {
        build(
            ix_accounts::SyncShard {
                config: pda::config(),
                shard: pda::shard(index),
                shard_vault: pda::shard_vault(index),
                reward_vault: pda::reward_vault(),
                mint: self.mint,
                token_program: self.token_program,
                event_authority: pda::event_authority(),
                program: ignis::ID,
            },
            ix_data::SyncShard {},
        )
    }

    /// Permissionless crank, when `Config::emission_to_mint` says so (about once an epoch).
    pub fn mint_emission(&self) -> Instruction {
        build(
            ix_accounts::MintEmission {
                config: pda::config(),
                reward_vault: pda::reward_vault(),
                emission: pda::emission(),
                mint: self.mint,
                token_program: self.token_program,
                event_authority: pda::event_authority(),
                program: ignis::ID,
            },
            ix_data::MintEmission {},
        )
    }

    pub fn post_job(&self, poster: Pubkey, poster_token: Pubkey, args: PostJobArgs) -> Instruction {
        let (shard, shard_vault) = pda::job_shard(args.job_id);
        build(
            ix_accounts::PostJob {
                poster,
                config: pda::config(),
                job: pda::job(args.job_id),
                poster_token,
                shard,
                shard_vault,
                mint: self.mint,
                token_program: self.token_program,
                system_program: system_program::ID,
                event_authority: pda::event_authority(),
                program: ignis::ID,
            },
            ix_data::PostJob { args },
        )
    }

    /// `post_jobs`: every job of `jobs` in the shard of the first (`fresh_job_ids` picks
    /// such ids; the program refuses others with `WrongShard`).
    pub fn post_jobs(
        &self,
        poster: Pubkey,
        poster_token: Pubkey,
        jobs: &[PostJobArgs],
    ) -> Instruction {
        let (shard, shard_vault) = pda::job_shard(jobs.first().map_or(0, |job| job.job_id));
        let mut ix = build(
            ix_accounts::PostJobs {
                poster,
                config: pda::config(),
                poster_token,
                shard,
                shard_vault,
                mint: self.mint,
                token_program: self.token_program,
                system_program: system_program::ID,
                event_authority: pda::event_authority(),
                program: ignis::ID,
            },
            ix_data::PostJobs { jobs: jobs.to_vec() },
        );
        ix.accounts.extend(jobs.iter().map(|job| AccountMeta::new(pda::job(job.job_id), false)));
        ix
    }

    pub fn cancel_job(&self, poster: Pubkey, job_id: u64, poster_token: Pubkey) -> Instruction {
        let (shard, shard_vault) = pda::job_shard(job_id);
        build(
            ix_accounts::CancelJob {
                poster,
                config: pda::config(),
                job: pda::job(job_id),
                poster_token,
                shard,
                shard_vault,
                mint: self.mint,
                token_program: self.token_program,
                event_authority: pda::event_authority(),
                program: ignis::ID,
            },
            ix_data::CancelJob {},
        )
    }

    /// Permissionless crank: books the open challenge of `operator`'s worker as missed,
    /// or issues its next one, when `Worker::challenge_step` says so.
    pub fn challenge_worker(&self, operator: &Pubkey) -> Instruction {
        let (shard, _) = pda::worker_challenge_shard(operator);
        build(
            ix_accounts::ChallengeWorker {
                config: pda::config(),
                worker: pda::worker(operator),
                shard,
                slot_hashes: ignis::constants::SLOT_HASHES_SYSVAR,
                event_authority: pda::event_authority(),
                program: ignis::ID,
            },
            ix_data::ChallengeWorker {},
        )
    }

    /// `operator`'s worker answers its open challenge with `nonces`, paid into
    /// `payout_token`.
    pub fn answer_challenge(
        &self,
        operator: Pubkey,
        payout_token: Pubkey,
        nonces: Vec<u64>,
    ) -> Instruction {
        let (shard, shard_vault) = pda::worker_challenge_shard(&operator);
        build(
            ix_accounts::AnswerChallenge {
                operator,
                config: pda::config(),
                worker: pda::worker(&operator),
                payout_token,
                shard,
                shard_vault,
                mint: self.mint,
                token_program: self.token_program,
                event_authority: pda::event_authority(),
                program: ignis::ID,
            },
            ix_data::AnswerChallenge { nonces },
        )
    }

    /// The poster buys job `job_id`'s SLA, paying at most `max_premium` from
    /// `poster_token` (`Config::sla_premium` says what it costs now).
    pub fn buy_sla(
        &self,
        poster: Pubkey,
        job_id: u64,
        poster_token: Pubkey,
        max_premium: u64,
    ) -> Instruction {
        let (shard, shard_vault) = pda::job_shard(job_id);
        build(
            ix_accounts::BuySla {
                poster,
                config: pda::config(),
                job: pda::job(job_id),
                shard,
                shard_vault,
                poster_token,
                mint: self.mint,
                token_program: self.token_program,
                event_authority: pda::event_authority(),
                program: ignis::ID,
            },
            ix_data::BuySla { max_premium },
        )
    }

    pub fn submit_pow(
        &self,
        operator: Pubkey,
        job_id: u64,
        payout_token: Pubkey,
        nonce: u64,
    ) -> Instruction {
        let (shard, shard_vault) = pda::job_shard(job_id);
        build(
            ix_accounts::SubmitPow {
                operator,
                config: pda::config(),
                job: pda::job(job_id),
                worker: pda::worker(&operator),
                payout_token,
                shard,
                shard_vault,
                mint: self.mint,
                token_program: self.token_program,
                event_authority: pda::event_authority(),
                program: ignis::ID,
            },
            ix_data::SubmitPow { nonce },
        )
    }

    /// `submit_pows`: the `(job id, nonce)` proofs of `operator`'s worker, paid into
    /// `payout_token`, with the `[shard, vault]` pair of each distinct shard after the
    /// jobs.
    pub fn submit_pows(
        &self,
        operator: Pubkey,
        payout_token: Pubkey,
        proofs: &[(u64, u64)],
    ) -> Instruction {
        let mut ix = build(
            ix_accounts::SubmitPows {
                operator,
                config: pda::config(),
                worker: pda::worker(&operator),
                payout_token,
                mint: self.mint,
                token_program: self.token_program,
                event_authority: pda::event_authority(),
                program: ignis::ID,
            },
            ix_data::SubmitPows { nonces: proofs.iter().map(|(_, nonce)| *nonce).collect() },
        );
        ix.accounts.extend(proofs.iter().map(|(id, _)| AccountMeta::new(pda::job(*id), false)));
        let mut shards: Vec<u8> =
            proofs.iter().map(|(id, _)| ignis::state::Shard::index_of(*id)).collect();
        shards.sort_unstable();
        shards.dedup();
        for index in shards {
            ix.accounts.push(AccountMeta::new(pda::shard(index), false));
            ix.accounts.push(AccountMeta::new(pda::shard_vault(index), false));
        }
        ix
    }

    pub fn claim_rewards(&self, owner: Pubkey, owner_token: Pubkey) -> Instruction {
        build(
            ix_accounts::ClaimRewards {
                owner,
                config: pda::config(),
                stake: pda::stake(&owner),
                owner_token,
                reward_vault: pda::reward_vault(),
                mint: self.mint,
                token_program: self.token_program,
                event_authority: pda::event_authority(),
                program: ignis::ID,
            },
            ix_data::ClaimRewards {},
        )
    }

    /// Permissionless: settles a kernel job. `replicas` lists every assigned replica in
    /// assignment order as (operator, payout token account owned by the operator).
    /// `slashing`: whether the settlement slashes someone ([`settlement_slashes`]), which
    /// makes the config and the stake and reward vaults writable.
    pub fn finalize_job(
        &self,
        job_id: u64,
        replicas: &[(Pubkey, Pubkey)],
        slashing: bool,
    ) -> Instruction {
        let mut ix = build(
            ix_accounts::FinalizeJob {
                settle: self.settle_accounts(job_id),
                event_authority: pda::event_authority(),
                program: ignis::ID,
            },
            ix_data::FinalizeJob {},
        );
        mark_slash_accounts(&mut ix, slashing);
        ix.accounts.extend(replica_metas(replicas));
        ix
    }

    /// The verifier rules on a kernel job's revealed results: `Some(hash)` attests the
    /// right result (its replicas are paid, other revealed results slashed), `None`
    /// disputes them all. `replicas` as for [`Protocol::finalize_job`].
    pub fn verify_result(
        &self,
        verifier: Pubkey,
        job_id: u64,
        replicas: &[(Pubkey, Pubkey)],
        attested: Option<[u8; 32]>,
        slashing: bool,
    ) -> Instruction {
        let accounts = ix_accounts::VerifyResult {
            verifier,
            settle: self.settle_accounts(job_id),
            event_authority: pda::event_authority(),
            program: ignis::ID,
        };
        let mut ix = match attested {
            Some(result_hash) => build(accounts, ix_data::AttestResult { result_hash }),
            None => build(accounts, ix_data::DisputeResult {}),
        };
        mark_slash_accounts(&mut ix, slashing);
        ix.accounts.extend(replica_metas(replicas));
        ix
    }

    fn settle_accounts(&self, job_id: u64) -> ix_accounts::SettleAccounts {
        let (shard, shard_vault) = pda::job_shard(job_id);
        ix_accounts::SettleAccounts {
            config: pda::config(),
            job: pda::job(job_id),
            shard,
            shard_vault,
            reward_vault: pda::reward_vault(),
            stake_vault: pda::stake_vault(),
            mint: self.mint,
            token_program: self.token_program,
        }
    }

    /// Permissionless: anyone may crank an assignment past its deadline. An SLA job
    /// needs its poster's token account (`sla_poster_token`) for the compensation.
    pub fn expire_assignment(
        &self,
        job_id: u64,
        worker_operator: Pubkey,
        sla_poster_token: Option<Pubkey>,
    ) -> Instruction {
        build(
            ix_accounts::ExpireAssignment {
                config: pda::config(),
                job: pda::job(job_id),
                worker: pda::worker(&worker_operator),
                operator_stake: pda::stake(&worker_operator),
                stake_vault: pda::stake_vault(),
                reward_vault: pda::reward_vault(),
                mint: self.mint,
                token_program: self.token_program,
                poster_token: sla_poster_token,
                event_authority: pda::event_authority(),
                program: ignis::ID,
            },
            ix_data::ExpireAssignment {},
        )
    }

    /// Permissionless: returns an expired job's escrow to the poster's token account.
    pub fn refund_job(&self, job_id: u64, poster_token: Pubkey) -> Instruction {
        let (shard, shard_vault) = pda::job_shard(job_id);
        build(
            ix_accounts::RefundJob {
                config: pda::config(),
                job: pda::job(job_id),
                poster_token,
                shard,
                shard_vault,
                mint: self.mint,
                token_program: self.token_program,
                event_authority: pda::event_authority(),
                program: ignis::ID,
            },
            ix_data::RefundJob {},
        )
    }
}

/// Whether settling `job` under `ruling` slashes a replica: the program's own rule
/// (`settlement::verdicts`), which decides the accounts a settlement writes.
pub fn settlement_slashes(job: &ignis::state::Job, ruling: ignis::state::Ruling) -> bool {
    ignis::settlement::slashes(&ignis::settlement::verdicts(job, ruling).0)
}

/// The config and the stake and reward vaults, read-only in a settlement unless it
/// slashes: a settlement without a fault writes no protocol-wide account.
fn mark_slash_accounts(ix: &mut Instruction, slashing: bool) {
    let shared = [pda::config(), pda::stake_vault(), pda::reward_vault()];
    for meta in ix.accounts.iter_mut().filter(|m| shared.contains(&m.pubkey)) {
        meta.is_writable = slashing;
    }
}

/// `[worker, operator_stake, payout_token]` per replica, all writable.
fn replica_metas(replicas: &[(Pubkey, Pubkey)]) -> impl Iterator<Item = AccountMeta> + '_ {
    replicas.iter().flat_map(|(operator, payout)| {
        [pda::worker(operator), pda::stake(operator), *payout]
            .map(|key| AccountMeta::new(key, false))
    })
}

// Instructions that move no tokens need no `Protocol`.

pub fn update_params(admin: Pubkey, params: Params) -> Instruction {
    build(
        ix_accounts::UpdateParams {
            admin,
            config: pda::config(),
            event_authority: pda::event_authority(),
            program: ignis::ID,
        },
        ix_data::UpdateParams { params },
    )
}

pub fn set_authorities(
    admin: Pubkey,
    new_admin: Pubkey,
    orchestrator: Pubkey,
    verifier: Pubkey,
) -> Instruction {
    build(
        ix_accounts::SetAuthorities {
            admin,
            new_admin,
            config: pda::config(),
            event_authority: pda::event_authority(),
            program: ignis::ID,
        },
        ix_data::SetAuthorities { orchestrator, verifier },
    )
}

pub fn set_paused(admin: Pubkey, paused: bool) -> Instruction {
    build(
        ix_accounts::SetPaused {
            admin,
            config: pda::config(),
            event_authority: pda::event_authority(),
            program: ignis::ID,
        },
        ix_data::SetPaused { paused },
    )
}

pub fn request_unstake(owner: Pubkey, amount: u64) -> Instruction {
    build(
        ix_accounts::RequestUnstake {
            owner,
            config: pda::config(),
            stake: pda::stake(&owner),
            event_authority: pda::event_authority(),
            program: ignis::ID,
        },
        ix_data::RequestUnstake { amount },
    )
}

/// Permissionless: bonds `owner`'s deposit from an earlier slot.
pub fn activate_stake(owner: Pubkey) -> Instruction {
    build(
        ix_accounts::ActivateStake {
            config: pda::config(),
            stake: pda::stake(&owner),
            event_authority: pda::event_authority(),
            program: ignis::ID,
        },
        ix_data::ActivateStake {},
    )
}

/// Closes `owner`'s empty stake account.
pub fn close_stake(owner: Pubkey) -> Instruction {
    build(
        ix_accounts::CloseStake {
            owner,
            config: pda::config(),
            stake: pda::stake(&owner),
            worker: pda::worker(&owner),
            event_authority: pda::event_authority(),
            program: ignis::ID,
        },
        ix_data::CloseStake {},
    )
}

/// The assigned worker of `operator` declines its replica of `job_id`.
pub fn decline_assignment(operator: Pubkey, job_id: u64) -> Instruction {
    build(
        ix_accounts::DeclineAssignment {
            operator,
            config: pda::config(),
            job: pda::job(job_id),
            worker: pda::worker(&operator),
            event_authority: pda::event_authority(),
            program: ignis::ID,
        },
        ix_data::DeclineAssignment {},
    )
}

/// Permissionless: closes a long-settled job; the rent goes to `poster`.
pub fn close_job(job_id: u64, poster: Pubkey) -> Instruction {
    build(
        ix_accounts::CloseJob {
            config: pda::config(),
            job: pda::job(job_id),
            poster,
            event_authority: pda::event_authority(),
            program: ignis::ID,
        },
        ix_data::CloseJob {},
    )
}

/// Permissionless: closes up to `MAX_BATCH_JOBS` long-settled jobs, each job's rent to
/// its poster, in one instruction; jobs already closed are skipped.
pub fn close_jobs(jobs: &[(u64, Pubkey)]) -> Instruction {
    let mut ix = build(
        ix_accounts::CloseJobs {
            config: pda::config(),
            event_authority: pda::event_authority(),
            program: ignis::ID,
        },
        ix_data::CloseJobs {},
    );
    for (job_id, poster) in jobs {
        ix.accounts.push(AccountMeta::new(pda::job(*job_id), false));
        ix.accounts.push(AccountMeta::new(*poster, false));
    }
    ix
}

/// How many jobs `ix` carries: the count a batch instruction's compute-unit limit is
/// scaled by (one for every other instruction).
pub fn jobs_carried(ix: &Instruction) -> usize {
    use anchor_lang::Discriminator;
    if ix.program_id != ignis::ID {
        return 1;
    }
    // Past the accounts the builder names for an empty batch: a pair per job for
    // `close_jobs`, one for `assign_jobs`.
    let past_fixed = |empty: Instruction| ix.accounts.len().saturating_sub(empty.accounts.len());
    if ix.data.starts_with(ix_data::CloseJobs::DISCRIMINATOR) {
        return (past_fixed(close_jobs(&[])) / 2).max(1);
    }
    if ix.data.starts_with(ix_data::AssignJobs::DISCRIMINATOR) {
        return past_fixed(assign_jobs(Pubkey::default(), &[], Pubkey::default())).max(1);
    }
    // `post_jobs` and `submit_pows` take a vector of one entry per job as their
    // argument: its length follows the discriminator.
    if ix.data.starts_with(ix_data::PostJobs::DISCRIMINATOR)
        || ix.data.starts_with(ix_data::SubmitPows::DISCRIMINATOR)
    {
        let len = ix.data.get(8..12).and_then(|bytes| bytes.try_into().ok());
        return len.map_or(1, |len| u32::from_le_bytes(len) as usize).max(1);
    }
    1
}

pub fn register_worker(operator: Pubkey, settings: WorkerSettings) -> Instruction {
    build(
        ix_accounts::RegisterWorker {
            operator,
            config: pda::config(),
            stake: pda::stake(&operator),
            worker: pda::worker(&operator),
            system_program: system_program::ID,
            event_authority: pda::event_authority(),
            program: ignis::ID,
        },
        ix_data::RegisterWorker { settings },
    )
}

pub fn update_worker(operator: Pubkey, settings: WorkerSettings) -> Instruction {
    build(
        ix_accounts::UpdateWorker {
            operator,
            config: pda::config(),
            worker: pda::worker(&operator),
            event_authority: pda::event_authority(),
            program: ignis::ID,
        },
        ix_data::UpdateWorker { settings },
    )
}

/// Closes a deregistered worker with a clean record; its rent goes to the operator.
pub fn close_worker(operator: Pubkey) -> Instruction {
    build(
        ix_accounts::CloseWorker {
            operator,
            worker: pda::worker(&operator),
            event_authority: pda::event_authority(),
            program: ignis::ID,
        },
        ix_data::CloseWorker {},
    )
}

pub fn deregister_worker(operator: Pubkey) -> Instruction {
    build(
        ix_accounts::DeregisterWorker {
            operator,
            config: pda::config(),
            worker: pda::worker(&operator),
            event_authority: pda::event_authority(),
            program: ignis::ID,
        },
        ix_data::DeregisterWorker {},
    )
}

/// Assigns one replica of `job_id` to the worker of `worker_operator`. Batch several in
/// one transaction.
pub fn assign_job(orchestrator: Pubkey, job_id: u64, worker_operator: Pubkey) -> Instruction {
    build(
        ix_accounts::AssignJob {
            orchestrator,
            config: pda::config(),
            job: pda::job(job_id),
            worker: pda::worker(&worker_operator),
            operator_stake: pda::stake(&worker_operator),
            event_authority: pda::event_authority(),
            program: ignis::ID,
        },
        ix_data::AssignJob {},
    )
}

/// Assigns the worker of `worker_operator` a replica of each of `job_ids` (up to
/// `MAX_BATCH_JOBS`) in one instruction; jobs lost to a race are skipped.
pub fn assign_jobs(orchestrator: Pubkey, job_ids: &[u64], worker_operator: Pubkey) -> Instruction {
    let mut ix = build(
        ix_accounts::AssignJobs {
            orchestrator,
            config: pda::config(),
            worker: pda::worker(&worker_operator),
            operator_stake: pda::stake(&worker_operator),
            event_authority: pda::event_authority(),
            program: ignis::ID,
        },
        ix_data::AssignJobs {},
    );
    ix.accounts.extend(job_ids.iter().map(|id| AccountMeta::new(pda::job(*id), false)));
    ix
}

/// A worker's claim of a replica of an open job, once the orchestrator has been silent
/// for `orchestrator_timeout_seconds` (`Config::check_orchestrator_silent`).
pub fn claim_job(operator: Pubkey, job_id: u64) -> Instruction {
    build(
        ix_accounts::ClaimJob {
            operator,
            config: pda::config(),
            job: pda::job(job_id),
            worker: pda::worker(&operator),
            operator_stake: pda::stake(&operator),
            event_authority: pda::event_authority(),
            program: ignis::ID,
        },
        ix_data::ClaimJob {},
    )
}

/// The orchestrator's sign of life.
pub fn heartbeat(orchestrator: Pubkey) -> Instruction {
    build(ix_accounts::Heartbeat { orchestrator, config: pda::config() }, ix_data::Heartbeat {})
}

pub fn commit_result(operator: Pubkey, job_id: u64, commitment: [u8; 32]) -> Instruction {
    build(
        ix_accounts::CommitResult {
            operator,
            config: pda::config(),
            job: pda::job(job_id),
            worker: pda::worker(&operator),
            event_authority: pda::event_authority(),
            program: ignis::ID,
        },
        ix_data::CommitResult { commitment },
    )
}

pub fn reveal_result(
    operator: Pubkey,
    job_id: u64,
    result_hash: [u8; 32],
    salt: [u8; 32],
) -> Instruction {
    build(
        ix_accounts::RevealResult {
            operator,
            config: pda::config(),
            job: pda::job(job_id),
            worker: pda::worker(&operator),
            event_authority: pda::event_authority(),
            program: ignis::ID,
        },
        ix_data::RevealResult { result_hash, salt },
    )
}

/// A job id for a new post: random below 2^53 (exact in JavaScript), so concurrent
/// posters never pick the same one (the chance that two of a million jobs share an id is
/// about 1 in 18,000) and nobody can block an id in advance. An id in use is refused by
/// the runtime (the job's account exists); pick another and post again.
pub fn fresh_job_id() -> u64 {
    rand::random::<u64>() >> 11
}

/// `count` distinct fresh ids, all in one shard picked at random: the ids of one
/// `post_jobs` batch.
pub fn fresh_job_ids(count: usize) -> Vec<u64> {
    let shards = u64::from(ignis::constants::SHARDS);
    let shard = rand::random::<u64>() % shards;
    let mut ids = std::collections::BTreeSet::new();
    while ids.len() < count {
        ids.insert(fresh_job_id() / shards * shards + shard);
    }
    ids.into_iter().collect()
}
