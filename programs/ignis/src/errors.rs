use anchor_lang::prelude::*;

#[error_code]
#[derive(PartialEq, Eq, num_enum::TryFromPrimitive)]
pub enum IgnisError {
    #[msg("The protocol is paused: only withdrawals, cancellations and refunds are allowed")]
    ProtocolPaused,
    #[msg("The signer is not allowed to do this")]
    Unauthorized,
    #[msg("Only the configured orchestrator may assign jobs")]
    NotOrchestrator,
    #[msg("Arithmetic overflow")]
    MathOverflow,
    #[msg("Amount must be greater than zero")]
    ZeroAmount,
    #[msg("Slash rates must be at most 10000 basis points")]
    InvalidSlashRate,
    #[msg("Protocol fee must be below 10000 basis points")]
    InvalidProtocolFee,
    #[msg("Unbonding period must not be negative")]
    InvalidUnbondingPeriod,
    #[msg("Execution window is outside the allowed range")]
    InvalidExecutionWindow,
    #[msg("Job time-to-live is outside the allowed range")]
    InvalidJobTtl,
    #[msg("The mint's authority must be the emission PDA")]
    MintAuthorityNotEmission,
    #[msg("The mint must have no freeze authority")]
    MintHasFreezeAuthority,
    #[msg("Token account is for a different mint")]
    WrongMint,
    #[msg("Token account belongs to someone else")]
    WrongTokenOwner,
    #[msg("Not enough bonded stake")]
    InsufficientStake,
    #[msg("Nothing is unbonding")]
    NothingUnbonding,
    #[msg("The unbonding period has not ended yet")]
    UnbondingNotElapsed,
    #[msg("Operator stake is below the minimum worker stake")]
    StakeBelowMinimum,
    #[msg("GPU model name is too long")]
    GpuModelTooLong,
    #[msg("A worker must support at least one kernel")]
    NoKernelsSupported,
    #[msg("Unknown kernel in supported_kernels")]
    UnknownKernel,
    #[msg("max_concurrent_jobs must be at least 1")]
    InvalidConcurrency,
    #[msg("The worker still has active jobs")]
    WorkerHasActiveJobs,
    #[msg("The worker is not accepting jobs")]
    WorkerNotAccepting,
    #[msg("The worker does not support this job's kernel")]
    KernelNotSupported,
    #[msg("The job pays less than the worker's minimum price")]
    PriceBelowWorkerMinimum,
    #[msg("The worker is already running its maximum number of jobs")]
    WorkerAtCapacity,
    #[msg("This worker's operator is already assigned to the job")]
    OperatorAlreadyAssigned,
    /// No longer returned: posters pick their jobs' ids. Kept so later codes stay put.
    #[msg("Job id must equal the config's next_job_id (no longer required)")]
    JobIdMismatch,
    #[msg("PoW difficulty is out of range")]
    InvalidDifficulty,
    #[msg("Replica count is out of range for this job kind")]
    InvalidReplicaCount,
    #[msg("The reward is too small: the protocol fee on it must be at least one base unit per replica; raise the reward")]
    RewardTooSmall,
    #[msg("The job is not open for assignment")]
    JobNotOpen,
    #[msg("The job is not running")]
    JobNotRunning,
    #[msg("Only a job with no assignments can be cancelled")]
    JobHasAssignments,
    #[msg("The job has expired")]
    JobExpired,
    #[msg("The job has not expired yet")]
    JobNotExpired,
    #[msg("The job is not a PoW job")]
    NotPowJob,
    #[msg("The worker is not assigned to this job")]
    NotAssigned,
    #[msg("The assignment deadline has passed")]
    DeadlinePassed,
    #[msg("The assignment deadline has not passed yet")]
    DeadlineNotReached,
    #[msg("The hash does not have enough leading zero bits")]
    InsufficientWork,
    #[msg("The stake account does not belong to the worker's operator")]
    StakeOperatorMismatch,
    #[msg("Reveal and challenge windows must be at least the minimum execution window")]
    InvalidVerificationWindow,
    #[msg("Staker share of emission must be at most 10000 basis points")]
    InvalidEmissionShare,
    #[msg("Epoch length must be positive")]
    InvalidEpoch,
    #[msg("Emission schedule is invalid: the halving interval must be positive")]
    InvalidEmissionSchedule,
    #[msg("Kernel size is out of range")]
    InvalidKernelSize,
    #[msg("The worker does not have enough memory for this job")]
    InsufficientMemory,
    #[msg("The job is not a kernel job")]
    NotKernelJob,
    #[msg("Another replica already made this commitment")]
    DuplicateCommitment,
    #[msg("This replica has already committed")]
    AlreadyCommitted,
    #[msg("This replica has not committed")]
    NotCommitted,
    #[msg("This replica has already revealed")]
    AlreadyRevealed,
    #[msg("The job is not in its reveal phase")]
    NotRevealing,
    #[msg("The reveal deadline has passed")]
    RevealDeadlinePassed,
    #[msg("The revealed result does not match the commitment")]
    CommitmentMismatch,
    #[msg("Replicas may still reveal: wait for every reveal or the reveal deadline")]
    RevealStillOpen,
    #[msg("The job is not waiting for the verifier")]
    NotInChallenge,
    #[msg("The challenge window is still open")]
    ChallengeWindowOpen,
    #[msg("The challenge window has closed")]
    ChallengeWindowClosed,
    #[msg("Only the configured verifier may attest or dispute")]
    NotVerifier,
    #[msg("Expected a worker, stake and payout account for every assigned replica, in order")]
    ReplicaAccountsMismatch,
    #[msg("The job has committed results and cannot be refunded")]
    JobHasCommitments,
    #[msg("Nothing to claim")]
    NothingToClaim,
    #[msg("The job is not ready to finalize")]
    NotFinalizable,
    #[msg("No assigned worker can finish this job in its execution window at its published hashrate: lower the difficulty or size, or allow more time")]
    JobInfeasible,
    #[msg("The decline window of this assignment has passed")]
    DeclineWindowClosed,
    #[msg("The job was re-queued too often and can no longer be assigned; the poster can take the escrow back")]
    RequeueLimitReached,
    #[msg("No replica revealed the result the verifier attested")]
    NoReplicaRevealedResult,
    #[msg("Nothing was revealed: there is nothing for the verifier to rule on")]
    NothingRevealed,
    #[msg("The deposit bonds in a later slot than its own, once every shard was synced after it (the orchestrator's crank does both): try again shortly")]
    ActivationNotDue,
    #[msg("This operator already has a registered worker")]
    WorkerAlreadyRegistered,
    #[msg("The worker is deregistered: register it again first")]
    WorkerNotRegistered,
    #[msg("The signer is not the mint's current mint authority")]
    NotMintAuthority,
    #[msg("The mint has a Token-2022 extension that would let someone other than the protocol move, freeze or skim vault tokens")]
    MintExtensionNotAllowed,
    #[msg("Only a completed, cancelled or refunded job can be closed")]
    JobNotSettled,
    #[msg("The job is kept on chain for its retention period after settling; close it later")]
    RetentionNotElapsed,
    #[msg("The stake still holds tokens or unclaimed rewards: withdraw and claim first")]
    StakeNotEmpty,
    #[msg("The operator's worker is still registered: deregister it first")]
    WorkerStillRegistered,
    #[msg("A job retention must be between 0 and 30 days")]
    InvalidRetention,
    #[msg("The orchestrator timeout must be at least 10 seconds")]
    InvalidOrchestratorTimeout,
    #[msg("The orchestrator was heard from recently: workers claim jobs only once it has been silent for the orchestrator timeout")]
    OrchestratorActive,
    #[msg("A worker with missed, disputed or slashed jobs keeps its account: its record cannot be wiped by closing it")]
    WorkerRecordNotClean,
    #[msg("This is not the job's shard: a job belongs to shard (job id mod 16), `ignis_client::pda::shard`")]
    WrongShard,
    #[msg("There are 16 shards, numbered 0 to 15")]
    InvalidShardIndex,
    #[msg("This settlement slashes a replica: pass the config, the stake vault and the reward vault writable (`settlement::slashes` tells when)")]
    SlashAccountsReadOnly,
    #[msg("The minted emission still covers the schedule: nothing to mint until the current prefund is used up")]
    EmissionNotDue,
    #[msg("A batch names 1 to MAX_BATCH_JOBS (32) jobs in its remaining accounts: a job each for assign_jobs and post_jobs (at its PDA, in the order of the arguments), a [job, poster] pair each for close_jobs, a job per nonce then a [shard, vault] pair per distinct shard for submit_pows")]
    BatchAccountsMismatch,
    #[msg("A challenge's work time must be at least 5 seconds (the clock counts whole seconds) and the challenge interval at least four times it")]
    InvalidChallengeTiming,
    #[msg("SLA compensation and minimum uptime are basis points: at most 10,000")]
    InvalidSlaTerms,
    #[msg("The worker missed its last 3 capacity challenges and is suspended from new jobs until it answers one: keep the worker online")]
    WorkerSuspended,
    #[msg("This job has an SLA: it goes only to workers that answered a challenge and keep the SLA's uptime")]
    UptimeBelowSla,
    #[msg("No challenge is due for this worker: the next comes at a moment drawn after half an interval, or its open challenge's deadline has not passed")]
    ChallengeNotDue,
    #[msg("This worker has no open challenge to answer")]
    NoOpenChallenge,
    #[msg("The challenge's deadline has passed: it counts as missed")]
    ChallengeExpired,
    #[msg("A challenge answer is exactly CHALLENGE_PROOFS (32) nonces")]
    ChallengeAnswerSize,
    #[msg("A challenge answer's nonces must be strictly increasing: each counts once")]
    ChallengeAnswerOrder,
    #[msg("The SlotHashes sysvar has no entry to draw from")]
    SlotHashesUnavailable,
    #[msg("An SLA is bought before the job is first assigned")]
    SlaAfterAssignment,
    #[msg("This job already has an SLA")]
    SlaAlreadyBought,
    #[msg("SLAs cover PoW jobs: their deadlines are settled by expire_assignment alone")]
    SlaPowOnly,
    #[msg("The SLA premium is above the most you said you would pay: it follows the network's uptime; preview it again")]
    SlaPremiumAboveMax,
    #[msg("This is an SLA job: pass the poster's token account of the mint as poster_token, for its compensation")]
    SlaPosterAccountMissing,
}

impl IgnisError {
    /// The error a program error code stands for, if it is one of Ignis' own: how
    /// clients match errors by type rather than by name.
    pub fn from_code(code: u32) -> Option<Self> {
        let index = code.checked_sub(anchor_lang::error::ERROR_CODE_OFFSET)?;
        Self::try_from(index).ok()
    }
}
