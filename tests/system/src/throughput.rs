//! The cluster-throughput model: how many job lifecycles per second the whole network
//! could settle on a real Solana cluster, from the transactions of a real
//! `ignis-bench` run, packed into blocks under the cluster's limits:
//! - a block every 400 ms slot, of at most 60M compute units (CU);
//! - at most 12M CU per block of transactions that write any one account: transactions
//!   that write the same account run one after another;
//! - a transaction costs, as agave's cost model counts it, 720 CU per signature, 300 per
//!   writable account, 150 per builtin instruction (compute budget, system) and its
//!   programs' execution units.
//!
//! The program's execution units cannot be measured here: the localnet runs it as
//! native code, which has no CU meter. They are an estimate in three parts, read off
//! each recorded transaction: per Ignis instruction, per account it names and per
//! cross-program invocation it makes ([`ESTIMATE`] says where each figure comes from).
//! The model prints its ceilings at half and at twice the estimate too, so that what is
//! structural (which accounts every lifecycle writes, how many accounts and CPIs it
//! takes) shows apart from what is assumed.
//!
//! Accounts fall in three kinds. Protocol-wide ones (the config, the mint, the vaults,
//! the orchestrator and verifier keys) are the same for every poster and worker of the
//! network. The 16 shards (and their vaults) are shared too, but each job writes only
//! its own, and every party's jobs spread over all of them. Every other account belongs to one job, poster, staker or worker; the bench
//! has one poster and a few workers, so the model runs many copies of the recorded run
//! side by side, each with its own parties, sharing only the protocol-wide accounts:
//! that is the network-wide picture.

use std::collections::{HashMap, HashSet};

use anchor_lang::prelude::Pubkey;
use futures::{StreamExt, TryStreamExt};
use ignis_client::{history::ConfirmedTransaction, pda, rpc::IgnisClient};

pub const SLOT_SECONDS: f64 = 0.4;
pub const BLOCK_CU: u64 = 60_000_000;
pub const ACCOUNT_CU: u64 = 12_000_000;
const SIGNATURE_CU: u64 = 720;
const WRITE_LOCK_CU: u64 = 300;
const BUILTIN_INSTRUCTION_CU: u64 = 150;

/// The estimate of the program's execution units, from measurements of Anchor programs
/// on the SBF runtime (the program cannot be metered here):
/// - per account an instruction names, 2,000 CU: Anchor's own benchmark
///   (`bench/COMPUTE_UNITS.md`, Solana 1.18.17) measures 381 CU per extra `Account<T>`,
///   292 per `Signer`, 1,605 per token `InterfaceAccount` and 921 per mint; nearly every
///   Ignis account also has its seeds checked, one `create_program_address` syscall
///   (1,500 CU in agave's compute budget), and most are larger than the benchmark's;
/// - per cross-program invocation, 4,000 CU: the `invoke` syscall's 1,000 CU plus the
///   callee, an SPL token transfer (a few thousand), the system program's account
///   creation (cheap itself; Anchor's `init` measures 4,233 CU with its checks) or
///   Anchor's event self-invocation (its dispatch and the event-authority check);
/// - per Ignis instruction, 5,000 CU: Anchor's dispatch (the benchmark's intercept,
///   about 300 CU) plus the rules, the arithmetic, the logs (100 CU each) and for a
///   submission one sha256 (85 CU plus half a CU per byte).
///
/// Instructions that carry several jobs pay the per-instruction part once and the
/// per-account part for every account they name.
pub const ESTIMATE: Assumption =
    Assumption { per_instruction: 5_000, per_account: 2_000, per_cpi: 4_000 };

/// The assumptions the bench's model prints: half the estimate, the estimate, twice it.
pub const ASSUMPTIONS: [Assumption; 3] = [ESTIMATE.scaled(1, 2), ESTIMATE, ESTIMATE.scaled(2, 1)];

/// Copies of the run the packer places side by side: enough that the protocol-wide
/// accounts, not the bench's few parties, decide.
pub const COPIES: usize = 32;

/// Reads back every program transaction from `start_slot` on (a run that settled
/// `lifecycles` jobs), failed ones included (they take block space too), and the
/// protocol-wide accounts from the config.
pub async fn record(
    client: &IgnisClient,
    start_slot: u64,
    lifecycles: u64,
) -> ignis_client::rpc::Result<Recording> {
    let config = client.config().await?;
    let signatures = client.signatures_for(&ignis::ID, None).await?;
    let confirmed: Vec<ConfirmedTransaction> = futures::stream::iter(signatures)
        .map(|signature| async move { client.confirmed_transaction(&signature).await })
        .buffered(16)
        .try_collect()
        .await?;
    let transactions = confirmed
        .iter()
        .filter(|tx| tx.slot >= start_slot)
        .map(ModelTransaction::from_confirmed)
        .collect();
    let mut shared = vec![
        ("config", pda::config()),
        ("mint", config.mint),
        ("stake vault", pda::stake_vault()),
        ("reward vault", pda::reward_vault()),
        ("emission authority", pda::emission()),
        ("orchestrator key (fee payer)", config.orchestrator),
    ];
    // One key may hold both roles (it does on a localnet).
    if config.verifier != config.orchestrator {
        shared.push(("verifier key (fee payer)", config.verifier));
    }
    let shards =
        (0..ignis::constants::SHARDS).map(|i| [pda::shard(i), pda::shard_vault(i)]).collect();
    Ok(Recording { transactions, lifecycles, shared, shards })
}

/// The execution units assumed for the program (see the module's comment).
#[derive(Clone, Copy, Debug)]
pub struct Assumption {
    /// Per top-level Ignis instruction, its own work.
    pub per_instruction: u64,
    /// Per account it names: loading, checking and writing back.
    pub per_account: u64,
    /// Per cross-program invocation it makes (a token transfer, an account creation, an
    /// event).
    pub per_cpi: u64,
}

impl Assumption {
    /// Every part times `numerator / denominator`.
    pub const fn scaled(self, numerator: u64, denominator: u64) -> Self {
        Assumption {
            per_instruction: self.per_instruction * numerator / denominator,
            per_account: self.per_account * numerator / denominator,
            per_cpi: self.per_cpi * numerator / denominator,
        }
    }
}

/// A transaction as the model sees it: its writable accounts and what it costs.
#[derive(Clone, Debug)]
pub struct ModelTransaction {
    pub instructions: Vec<String>,
    pub writable: Vec<Pubkey>,
    pub signatures: u64,
    pub builtin_instructions: u64,
    pub ignis_instructions: u64,
    /// The accounts each Ignis instruction names, summed over them.
    pub accounts: u64,
    pub cpis: u64,
}

impl ModelTransaction {
    pub fn from_confirmed(tx: &ConfirmedTransaction) -> Self {
        let message = &tx.transaction.message;
        let keys = message.static_account_keys();
        let ignis_instructions: Vec<_> = message
            .instructions()
            .iter()
            .filter(|ix| keys.get(usize::from(ix.program_id_index)) == Some(&ignis::ID))
            .collect();
        let ignis = ignis_instructions.len() as u64;
        let accounts = ignis_instructions
            .iter()
            .map(|ix| ix.accounts.iter().collect::<HashSet<_>>().len() as u64)
            .sum();
        ModelTransaction {
            instructions: tx.ignis_instructions(),
            writable: tx.writable_accounts(),
            signatures: u64::from(message.header().num_required_signatures),
            builtin_instructions: message.instructions().len() as u64 - ignis,
            ignis_instructions: ignis,
            accounts,
            cpis: tx.inner_instructions.iter().map(|(_, invoked)| invoked.len() as u64).sum(),
        }
    }

    pub fn cost(&self, assumption: Assumption) -> u64 {
        SIGNATURE_CU * self.signatures
            + WRITE_LOCK_CU * self.writable.len() as u64
            + BUILTIN_INSTRUCTION_CU * self.builtin_instructions
            + assumption.per_instruction * self.ignis_instructions
            + assumption.per_account * self.accounts
            + assumption.per_cpi * self.cpis
    }
}

/// The successful transactions of a run that settled `lifecycles` jobs.
pub struct Recording {
    pub transactions: Vec<ModelTransaction>,
    pub lifecycles: u64,
    /// The protocol-wide accounts, by name.
    pub shared: Vec<(&'static str, Pubkey)>,
    /// Each shard's accounts (the shard and its vault), by index. Every copy of the run
    /// uses all of them, as every poster's random ids do: copy `c`'s shard `i` is the
    /// network's shard `(i + c) % SHARDS`.
    pub shards: Vec<[Pubkey; 2]>,
}

/// One bound on lifecycles per block.
#[derive(Clone, Debug)]
pub struct Bound {
    pub what: String,
    /// CU per lifecycle that count against this limit.
    pub cu_per_lifecycle: f64,
    pub lifecycles_per_second: f64,
}

/// A block being packed: its CU, and the CU of the transactions writing each account,
/// the account named by (copy of the run, key); protocol-wide accounts have no copy
/// (`usize::MAX`).
type Block = (u64, HashMap<(usize, Pubkey), u64>);

/// The model's answer for one assumption.
pub struct Ceiling {
    pub assumption: Assumption,
    pub cu_per_lifecycle: f64,
    /// The block limit, then each protocol-wide account that some transaction writes,
    /// tightest first.
    pub bounds: Vec<Bound>,
    /// Lifecycles per second the greedy packer achieved over many copies of the run.
    pub packed_per_second: f64,
}

impl Recording {
    fn shared_set(&self) -> HashSet<Pubkey> {
        self.shared.iter().map(|(_, key)| *key).collect()
    }

    /// (shard index, which of its accounts) for a shard account.
    fn shard_of(&self, key: &Pubkey) -> Option<(usize, usize)> {
        self.shards
            .iter()
            .enumerate()
            .find_map(|(i, accounts)| accounts.iter().position(|a| a == key).map(|j| (i, j)))
    }

    /// Per kind of transaction (the distinct Ignis instructions it carries): how many
    /// the run sent, the Ignis instructions per transaction on average, and the
    /// protocol-wide accounts they write.
    pub fn hot_writes(&self) -> Vec<HotWrites> {
        let mut rows: Vec<HotWrites> = Vec::new();
        for tx in &self.transactions {
            let mut kinds: Vec<&str> = Vec::new();
            for name in &tx.instructions {
                if !kinds.contains(&name.as_str()) {
                    kinds.push(name);
                }
            }
            let kind =
                if kinds.is_empty() { "(no Ignis instruction)".into() } else { kinds.join(" + ") };
            let at = match rows.iter().position(|row| row.kind == kind) {
                Some(at) => at,
                None => {
                    rows.push(HotWrites {
                        kind,
                        transactions: 0,
                        instructions: 0,
                        accounts_named: 0,
                        cpis: 0,
                        accounts: vec![],
                    });
                    rows.len() - 1
                }
            };
            let row = &mut rows[at];
            row.transactions += 1;
            row.instructions += tx.instructions.len();
            row.accounts_named += tx.accounts;
            row.cpis += tx.cpis;
            for (name, account) in &self.shared {
                if tx.writable.contains(account) && !row.accounts.contains(name) {
                    row.accounts.push(name);
                }
            }
            let shard = "its job's shard (1 of 16)";
            if tx.writable.iter().any(|key| self.shard_of(key).is_some())
                && !row.accounts.contains(&shard)
            {
                row.accounts.push(shard);
            }
        }
        rows.sort_by(|a, b| b.transactions.cmp(&a.transactions).then(a.kind.cmp(&b.kind)));
        rows
    }

    /// The analytic ceiling and the packed rate for one assumption.
    pub fn ceiling(&self, assumption: Assumption, copies: usize) -> Ceiling {
        let lifecycles = self.lifecycles.max(1) as f64;
        let total: u64 = self.transactions.iter().map(|tx| tx.cost(assumption)).sum();
        let cu_per_lifecycle = total as f64 / lifecycles;
        let per_second = |limit: u64, cu: f64| limit as f64 / cu / SLOT_SECONDS;
        let mut bounds = vec![Bound {
            what: format!("block limit ({}M CU)", BLOCK_CU / 1_000_000),
            cu_per_lifecycle,
            lifecycles_per_second: per_second(BLOCK_CU, cu_per_lifecycle),
        }];
        for (name, account) in &self.shared {
            let cu: u64 = self
                .transactions
                .iter()
                .filter(|tx| tx.writable.contains(account))
                .map(|tx| tx.cost(assumption))
                .sum();
            if cu > 0 {
                let cu = cu as f64 / lifecycles;
                bounds.push(Bound {
                    what: format!("writes of {name} ({}M CU)", ACCOUNT_CU / 1_000_000),
                    cu_per_lifecycle: cu,
                    lifecycles_per_second: per_second(ACCOUNT_CU, cu),
                });
            }
        }
        // Shards: every copy spreads its jobs over all of them, so each carries a
        // sixteenth of the CU of every shard-writing transaction.
        let shard_cu: u64 = self
            .transactions
            .iter()
            .map(|tx| {
                let written: HashSet<usize> =
                    tx.writable.iter().filter_map(|k| self.shard_of(k)).map(|(i, _)| i).collect();
                tx.cost(assumption) * written.len() as u64
            })
            .sum();
        if shard_cu > 0 {
            let cu = shard_cu as f64 / self.shards.len().max(1) as f64 / lifecycles;
            bounds.push(Bound {
                what: format!("writes of one shard ({}M CU)", ACCOUNT_CU / 1_000_000),
                cu_per_lifecycle: cu,
                lifecycles_per_second: per_second(ACCOUNT_CU, cu),
            });
        }
        bounds.sort_by(|a, b| a.lifecycles_per_second.total_cmp(&b.lifecycles_per_second));
        let blocks = self.pack(assumption, copies);
        Ceiling {
            assumption,
            cu_per_lifecycle,
            bounds,
            packed_per_second: lifecycles * copies as f64 / (blocks.max(1) as f64 * SLOT_SECONDS),
        }
    }

    /// Packs `copies` copies of the run (each with its own non-protocol-wide accounts),
    /// interleaved, greedily: each transaction goes into the earliest block, no earlier
    /// than its copy's previous transaction, with room under the block limit and the
    /// limit of every account it writes. Returns the number of blocks used.
    pub fn pack(&self, assumption: Assumption, copies: usize) -> usize {
        let shared = self.shared_set();
        let costs: Vec<u64> = self.transactions.iter().map(|tx| tx.cost(assumption)).collect();
        let mut blocks: Vec<Block> = Vec::new();
        let mut not_before = vec![0usize; copies];
        for (index, tx) in self.transactions.iter().enumerate() {
            let cost = costs[index].min(ACCOUNT_CU);
            for (copy, not_before) in not_before.iter_mut().enumerate() {
                let accounts: Vec<(usize, Pubkey)> = tx
                    .writable
                    .iter()
                    .map(|key| match self.shard_of(key) {
                        Some((i, j)) => {
                            (usize::MAX, self.shards[(i + copy) % self.shards.len()][j])
                        }
                        None if shared.contains(key) => (usize::MAX, *key),
                        None => (copy, *key),
                    })
                    .collect();
                let mut at = *not_before;
                loop {
                    if at == blocks.len() {
                        blocks.push((0, HashMap::new()));
                    }
                    let (used, written) = &blocks[at];
                    let fits = used + cost <= BLOCK_CU
                        && accounts
                            .iter()
                            .all(|a| written.get(a).copied().unwrap_or(0) + cost <= ACCOUNT_CU);
                    if fits {
                        break;
                    }
                    at += 1;
                }
                let (used, written) = &mut blocks[at];
                *used += cost;
                for account in accounts {
                    *written.entry(account).or_insert(0) += cost;
                }
                *not_before = at;
            }
        }
        blocks.len()
    }
}

/// One row of [`Recording::hot_writes`].
pub struct HotWrites {
    pub kind: String,
    pub transactions: usize,
    pub instructions: usize,
    /// Accounts named by its Ignis instructions, summed.
    pub accounts_named: u64,
    pub cpis: u64,
    pub accounts: Vec<&'static str>,
}

/// The model's tables, in markdown.
pub fn report(recording: &Recording, assumptions: &[Assumption], copies: usize) -> String {
    use std::fmt::Write;
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{} transactions settled {} lifecycles ({:.2} per lifecycle).\n",
        recording.transactions.len(),
        recording.lifecycles,
        recording.transactions.len() as f64 / recording.lifecycles.max(1) as f64
    );
    let _ = writeln!(
        out,
        "| transactions of | count | instructions per transaction | accounts per instruction | CPIs per instruction | protocol-wide accounts written |"
    );
    let _ = writeln!(out, "|---|---:|---:|---:|---:|---|");
    for row in recording.hot_writes() {
        let accounts = if row.accounts.is_empty() { "-".into() } else { row.accounts.join(", ") };
        let _ = writeln!(
            out,
            "| {} | {} | {:.1} | {:.1} | {:.1} | {accounts} |",
            row.kind,
            row.transactions,
            row.instructions as f64 / row.transactions.max(1) as f64,
            row.accounts_named as f64 / row.instructions.max(1) as f64,
            row.cpis as f64 / row.instructions.max(1) as f64
        );
    }
    let _ = writeln!(
        out,
        "\n| assumed CU per instruction + per account + per CPI | CU per lifecycle | binding limit | its CU per lifecycle | ceiling (lifecycles/s) | block limit alone | packed, {copies} copies (lifecycles/s) |"
    );
    let _ = writeln!(out, "|---|---:|---|---:|---:|---:|---:|");
    for assumption in assumptions {
        let ceiling = recording.ceiling(*assumption, copies);
        let binding = &ceiling.bounds[0];
        let block = ceiling
            .bounds
            .iter()
            .find(|b| b.what.starts_with("block"))
            .map_or(0.0, |b| b.lifecycles_per_second);
        let _ = writeln!(
            out,
            "| {} + {} + {} | {:.0} | {} | {:.0} | {:.0} | {:.0} | {:.0} |",
            assumption.per_instruction,
            assumption.per_account,
            assumption.per_cpi,
            ceiling.cu_per_lifecycle,
            binding.what,
            binding.cu_per_lifecycle,
            binding.lifecycles_per_second,
            block,
            ceiling.packed_per_second
        );
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const FLAT: Assumption = Assumption { per_instruction: 100_000, per_account: 0, per_cpi: 0 };

    fn tx(writable: Vec<Pubkey>) -> ModelTransaction {
        ModelTransaction {
            instructions: vec!["PostJob".into()],
            writable,
            signatures: 1,
            builtin_instructions: 0,
            ignis_instructions: 1,
            accounts: 0,
            cpis: 0,
        }
    }

    /// 100 lifecycles of one transaction each, costing 100,000 + 720 + 300 per writable
    /// account.
    fn recording(shared: bool) -> Recording {
        let config = Pubkey::new_unique();
        let transactions = (0..100)
            .map(|_| {
                let own = Pubkey::new_unique();
                tx(if shared { vec![config, own] } else { vec![own] })
            })
            .collect();
        Recording {
            transactions,
            lifecycles: 100,
            shared: vec![("config", config)],
            shards: vec![],
        }
    }

    #[test]
    fn one_account_written_by_every_lifecycle_caps_the_network_at_its_limit() {
        let recording = recording(true);
        let cost = 100_000 + 720 + 600;
        let ceiling = recording.ceiling(FLAT, 64);
        assert_eq!(ceiling.bounds[0].what, "writes of config (12M CU)");
        let expected = ACCOUNT_CU as f64 / cost as f64 / SLOT_SECONDS;
        assert!((ceiling.bounds[0].lifecycles_per_second - expected).abs() < 1e-6);
        // The packer fits floor(12M / cost) = 118 such transactions per block: 6,400
        // take 55 blocks.
        assert_eq!(recording.pack(FLAT, 64), 55);
        assert!(ceiling.packed_per_second <= expected);
        assert!(ceiling.packed_per_second >= expected * 0.97);
    }

    #[test]
    fn without_a_shared_account_only_the_block_limit_binds() {
        let recording = recording(false);
        let cost = 100_000 + 720 + 300;
        let ceiling = recording.ceiling(FLAT, 64);
        assert_eq!(ceiling.bounds.len(), 1, "no protocol-wide account is written");
        let expected = BLOCK_CU as f64 / cost as f64 / SLOT_SECONDS;
        assert!((ceiling.bounds[0].lifecycles_per_second - expected).abs() < 1e-6);
        // 6,400 transactions at 593 per block (60M / 101,020): 11 blocks.
        assert_eq!(recording.pack(FLAT, 64), 11);
        // Five times the shared case: a block holds five accounts' worth.
        let ratio = ceiling.packed_per_second / recording_ratio_base();
        assert!(ratio > 4.9 && ratio < 5.1, "{ratio}");
    }

    #[test]
    fn an_instruction_pays_for_each_account_it_names_and_each_cpi_it_makes() {
        let two_jobs = ModelTransaction {
            instructions: vec!["AssignJob".into(), "AssignJob".into()],
            writable: vec![Pubkey::new_unique(); 3],
            signatures: 1,
            builtin_instructions: 1,
            ignis_instructions: 2,
            accounts: 12,
            cpis: 2,
        };
        assert_eq!(
            two_jobs.cost(ESTIMATE),
            720 + 3 * 300 + 150 + 2 * 5_000 + 12 * 2_000 + 2 * 4_000
        );
        let half = ESTIMATE.scaled(1, 2);
        assert_eq!(two_jobs.cost(half), 720 + 3 * 300 + 150 + 2 * 2_500 + 12 * 1_000 + 2 * 2_000);
        assert_eq!(ASSUMPTIONS[2].per_account, 4_000);
    }

    fn recording_ratio_base() -> f64 {
        recording(true).ceiling(FLAT, 64).packed_per_second
    }

    #[test]
    fn jobs_spread_over_the_shards_are_bound_by_the_block_not_by_one_shard() {
        let shards: Vec<[Pubkey; 2]> =
            (0..16).map(|_| [Pubkey::new_unique(), Pubkey::new_unique()]).collect();
        let transactions = (0..100).map(|i| tx(shards[i % 16].to_vec())).collect();
        let recording = Recording { transactions, lifecycles: 100, shared: vec![], shards };
        let ceiling = recording.ceiling(FLAT, 64);
        let cost = 100_000 + 720 + 600;
        let block = BLOCK_CU as f64 / cost as f64 / SLOT_SECONDS;
        assert_eq!(ceiling.bounds[0].what, "block limit (60M CU)");
        assert!((ceiling.bounds[0].lifecycles_per_second - block).abs() < 1e-6);
        // Each shard carries a sixteenth: 16 times what one shared account allows.
        let one_shard = 16.0 * ACCOUNT_CU as f64 / cost as f64 / SLOT_SECONDS;
        assert_eq!(ceiling.bounds[1].what, "writes of one shard (12M CU)");
        assert!((ceiling.bounds[1].lifecycles_per_second - one_shard).abs() < 1e-6);
        assert!(ceiling.packed_per_second >= block * 0.9, "{}", ceiling.packed_per_second);
    }

    #[test]
    fn a_copys_transactions_stay_in_order() {
        // Two transactions per lifecycle, the second only writing the copy's own
        // account: it may share the first's block but never precede it.
        let config = Pubkey::new_unique();
        let own = Pubkey::new_unique();
        let mut transactions = Vec::new();
        for _ in 0..200 {
            transactions.push(tx(vec![config]));
            transactions.push(tx(vec![own]));
        }
        let recording = Recording {
            transactions,
            lifecycles: 200,
            shared: vec![("config", config)],
            shards: vec![],
        };
        // The config bound: 118 per block (cost 101,020), so 200 x 4 copies take 7 blocks
        // and the own-account transactions (at most 118 per block per copy) follow.
        let blocks = recording.pack(FLAT, 4);
        assert!((7..=8).contains(&blocks), "{blocks}");
    }
}
