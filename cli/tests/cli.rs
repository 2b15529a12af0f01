//! The `ignis` binary as a separate process against an embedded localnet, over JSON-RPC
//! only: the whole life of a PoW job, staking and rewards, and clear failures.

use std::{path::PathBuf, process::Command};

use anchor_lang::prelude::Pubkey;
use ignis_localnet::server::Localnet;
use serde_json::Value;
use solana_keypair::{write_keypair_file, Keypair};
use solana_signer::Signer;

struct Net {
    localnet: Localnet,
    dir: tempfile::TempDir,
}

struct Who {
    key: Pubkey,
    file: PathBuf,
}

impl Net {
    /// Fast slots: the CLI confirms in a few polls.
    fn start() -> Net {
        Self::with_slot_time(50)
    }

    fn with_slot_time(slot_time_ms: u64) -> Net {
        let localnet = ignis_test_support::localnet(slot_time_ms, &[]);
        Net { localnet, dir: tempfile::tempdir().unwrap() }
    }

    /// A new keypair file, funded with SOL through `ignis airdrop`.
    fn who(&self, name: &str) -> Who {
        let key = Keypair::new();
        let file = self.dir.path().join(format!("{name}.json"));
        write_keypair_file(&key, &file).unwrap();
        let who = Who { key: key.pubkey(), file };
        self.ok(&who, &["airdrop", "5"]);
        who
    }

    fn run(&self, who: &Who, args: &[&str]) -> std::process::Output {
        Command::new(env!("CARGO_BIN_EXE_ignis"))
            .args(["--url", &self.localnet.rpc_url(), "--keypair", who.file.to_str().unwrap()])
            .args(args)
            .output()
            .expect("ignis runs")
    }

    /// Runs and expects success; returns stdout.
    #[track_caller]
    fn ok(&self, who: &Who, args: &[&str]) -> String {
        let out = self.run(who, args);
        let (stdout, stderr) =
            (String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
        assert!(out.status.success(), "`ignis {}` failed:\n{stdout}\n{stderr}", args.join(" "));
        stdout.into_owned()
    }

    /// Runs with `--output json` and parses the result.
    #[track_caller]
    fn json(&self, who: &Who, args: &[&str]) -> Value {
        let mut all = vec!["--output", "json"];
        all.extend_from_slice(args);
        serde_json::from_str(&self.ok(who, &all)).expect("json output")
    }

    /// Runs and expects a failure whose message contains `expected`.
    #[track_caller]
    fn fails(&self, who: &Who, args: &[&str], expected: &str) {
        let out = self.run(who, args);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(!out.status.success(), "`ignis {}` should have failed", args.join(" "));
        assert!(
            stderr.contains(expected),
            "`ignis {}` said:\n{stderr}\nexpected it to mention: {expected}",
            args.join(" ")
        );
        assert!(stderr.starts_with("error: "), "errors are one readable message: {stderr}");
    }
}

#[test]
fn a_pow_job_from_post_to_payout_then_rewards_unstake_and_withdraw() {
    let net = Net::start();
    let admin = net.who("admin");
    let (operator, poster) = (net.who("operator"), net.who("poster"));

    // Before init, commands explain what is missing.
    net.fails(&poster, &["status"], "run `ignis admin init`");

    let init = net.json(&admin, &["admin", "init", "--genesis-supply", "1000000"]);
    assert_eq!(init["orchestrator"], admin.key.to_string(), "the admin orchestrates by default");
    net.fails(&admin, &["admin", "init"], "already initialised");
    net.ok(&admin, &["admin", "transfer", &operator.key.to_string(), "150"]);
    net.ok(&admin, &["admin", "transfer", &poster.key.to_string(), "100"]);

    // Registering needs the minimum stake, and the message says how much more.
    net.ok(&operator, &["stake", "50"]);
    net.fails(
        &operator,
        &["worker", "register"],
        "stake is 50 IGN, the minimum to register is 100 IGN: run `ignis stake 50`",
    );
    net.ok(&operator, &["stake", "50"]);
    // A worker that could never fit a matmul job is refused with a sentence...
    net.fails(
        &operator,
        &["worker", "register", "--kernels", "pow-sha256,matmul-u32", "--vram-mb", "0"],
        "0 MiB of memory, so no matmul-u32 job would ever fit: pass --vram-mb",
    );
    // ...and without --vram-mb a CPU worker advertises this machine's memory.
    let worker = net.json(
        &operator,
        &["worker", "register", "--kernels", "pow-sha256,matmul-u32", "--max-jobs", "2"],
    );
    assert_eq!(worker["kernels"], serde_json::json!(["pow-sha256", "matmul-u32"]));
    assert!(worker["vram_mb"].as_u64().unwrap() > 0, "{worker}");

    let job = net.json(&poster, &["job", "post", "--pow", "8", "--reward", "40"]);
    assert_eq!(job["status"], "open");
    // The CLI picks the job's id (no global counter to race for).
    let id_number = job["id"].as_u64().unwrap();
    let id = id_number.to_string();
    let id = id.as_str();
    net.fails(
        &poster,
        &["job", "assign", id, "--worker", &operator.key.to_string()],
        "only the orchestrator",
    );
    net.ok(&admin, &["job", "assign", id, "--worker", &operator.key.to_string()]);
    assert_eq!(net.json(&poster, &["job", "show", id])["status"], "running");

    // The worker finds a nonce (here in the test) and submits it.
    let seed = fetch_job_seed(&net, id_number);
    let worker_pda = ignis_client::pda::worker(&operator.key);
    let nonce =
        ignis::pow::search_nonce(&seed, &worker_pda, 8, 0, u64::MAX).expect("a nonce exists");
    let bad = (0u64..)
        .find(|n| !ignis::pow::meets_difficulty(&ignis::pow::pow_hash(&seed, &worker_pda, *n), 8))
        .unwrap();
    net.fails(
        &operator,
        &["job", "submit-pow", id, "--nonce", &bad.to_string()],
        "InsufficientWork",
    );
    net.ok(&operator, &["job", "submit-pow", id, "--nonce", &nonce.to_string()]);
    let done = net.json(&poster, &["job", "show", id]);
    assert_eq!(done["status"], "completed");
    net.fails(
        &operator,
        &["job", "submit-pow", id, "--nonce", &nonce.to_string()],
        "JobNotRunning",
    );
    // A settled job stays its retention (an hour by default) before its rent can come
    // back.
    net.fails(&poster, &["job", "close", id], "a job can be closed 1h 0m after it completes");

    // Paid: the reward less the 2.5% fee (plus work-pool pay), and the escrow is empty.
    let status = net.json(&poster, &["status"]);
    assert_eq!(status["escrowed"], 0);
    assert_eq!(status["jobs"]["completed"], 1);
    // The orchestrator was appointed moments ago: workers leave the assigning to it.
    assert_eq!(status["workers_claiming"], false);
    let listed = net.json(&poster, &["job", "list", "--poster", &poster.key.to_string()]);
    assert_eq!(listed.as_array().unwrap().len(), 1);

    // The operator is the only staker: it earns the fee and emission, and claims.
    let rewards = net.json(&operator, &["rewards", "show"]);
    assert_eq!(rewards["staked"], 100_000_000_000u64);
    let claimed = net.json(&operator, &["rewards", "claim"]);
    // The pro-rata accumulator rounds down: at most one base unit short of the fee.
    assert!(
        claimed["claimed"].as_u64().unwrap() >= 1_000_000_000 - 1,
        "at least the 1 IGN fee: {claimed}"
    );

    // Unstake, try too early, then warp past the unbonding week and withdraw.
    net.fails(&operator, &["unstake", "1000"], "your stake is 100 IGN");
    net.ok(&operator, &["unstake", "30"]);
    net.fails(&operator, &["withdraw"], "UnbondingNotElapsed");
    net.localnet.warp_clock(7 * 24 * 3600 + 60).unwrap();
    let withdrawn = net.json(&operator, &["withdraw"]);
    assert_eq!(withdrawn["withdrawn"], 30_000_000_000u64);
    // No heartbeat for a week (no orchestrator runs here): workers may claim jobs.
    assert!(net.ok(&poster, &["status"]).contains("so workers claim open jobs themselves"));
    net.fails(&operator, &["withdraw"], "nothing is unbonding");

    // After its retention, anyone closes the job and its poster gets the rent.
    let closed = net.json(&admin, &["job", "close", id]);
    assert_eq!(closed["id"], id_number);
    net.fails(&poster, &["job", "show", id], &format!("there is no job #{id}"));
    net.fails(&operator, &["close-stake"], "your stake still holds 70 IGN bonded");

    // A worker with a clean record closes once deregistered, for its rent.
    net.fails(&operator, &["worker", "close"], "run `ignis worker deregister` first");
    assert!(net.ok(&operator, &["worker", "deregister"]).contains("its record stays"));
    assert!(net.ok(&operator, &["worker", "close"]).contains("worker closed; its rent is back"));
    net.fails(&operator, &["worker", "show"], "no worker registered by");
}

#[test]
fn bad_input_gets_a_clear_message_and_a_failing_exit() {
    let net = Net::start();
    let admin = net.who("admin");
    net.ok(&admin, &["admin", "init"]);
    let user = net.who("user");
    net.fails(&user, &["stake", "abc"], "is not an amount of IGN");
    net.fails(&user, &["stake", "1.0000000001"], "more than 9 decimal places");
    net.fails(&user, &["stake", "5"], "you have 0 IGN and cannot stake 5 IGN");
    net.fails(
        &user,
        &["job", "post", "--pow", "8", "--reward", "1"],
        "cannot escrow a reward of 1 IGN",
    );
    net.fails(&user, &["job", "show", "99"], "there is no job #99");
    net.fails(&user, &["worker", "show"], "no worker registered by");
    net.fails(&user, &["worker", "register", "--kernels", "fft"], "stake is 0 IGN");
    net.fails(&user, &["rewards", "claim"], "you have not staked");
    net.fails(&user, &["job", "list", "--poster", "not-a-key"], "is not a Solana address");
    // Reading needs no keypair; signing says how to get one.
    let missing = Who { key: Pubkey::default(), file: net.dir.path().join("missing.json") };
    assert!(net.ok(&missing, &["status"]).contains("workers"));
    net.fails(&missing, &["stake", "1"], "create one with `ignis keygen`");
    net.ok(&missing, &["keygen"]);
    net.fails(&missing, &["keygen"], "already exists: pass --force");
    assert!(net.ok(&missing, &["airdrop", "1"]).contains("SOL sent"));
    let off = Command::new(env!("CARGO_BIN_EXE_ignis"))
        .args(["--url", "http://127.0.0.1:9", "--keypair", admin.file.to_str().unwrap(), "status"])
        .output()
        .unwrap();
    assert!(!off.status.success());
    let said = String::from_utf8_lossy(&off.stderr);
    assert_eq!(said.matches("nothing answers at http://127.0.0.1:9").count(), 1, "{said}");
    assert!(said.contains("cargo ignis up") && !said.contains("AccountNotFound"), "{said}");
}

#[test]
fn solana_kit_sends_an_ignis_transaction_built_from_the_idl() {
    let net = Net::start();
    let admin = net.who("admin");
    net.ok(&admin, &["admin", "init"]);
    let staker = net.who("staker");
    net.ok(&admin, &["admin", "transfer", &staker.key.to_string(), "10"]);
    net.ok(&staker, &["stake", "10"]);

    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/../tests/kit/request-unstake.mjs");
    let out = Command::new("node")
        .args([
            script,
            &net.localnet.rpc_url(),
            &net.localnet.ws_url(),
            staker.file.to_str().unwrap(),
            "1500000000",
        ])
        .output()
        .expect("node runs (install the script's packages with `npm ci --prefix tests/kit`)");
    assert!(
        out.status.success(),
        "kit script failed:\n{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    let rewards = net.json(&staker, &["rewards", "show"]);
    assert_eq!(rewards["unbonding"], 1_500_000_000u64, "the kit transaction landed");
    assert_eq!(rewards["staked"], 8_500_000_000u64);
}

#[test]
fn anchors_typescript_client_names_program_errors_and_sees_instruction_logs() {
    let net = Net::start();
    let admin = net.who("admin");
    net.ok(&admin, &["admin", "init"]);
    let poster = net.who("poster");
    net.ok(&admin, &["admin", "transfer", &poster.key.to_string(), "10"]);

    // Posts a job with reward 0 (refused: RewardTooSmall, through AnchorError, from
    // `.rpc()` and `.simulate()`), then one of 1 IGN whose logs show `Instruction: PostJob`.
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/../tests/kit/anchor-errors.mjs");
    let out = Command::new("node")
        .args([
            script,
            &net.localnet.rpc_url(),
            &net.localnet.ws_url(),
            poster.file.to_str().unwrap(),
        ])
        .output()
        .expect("node runs (install the script's packages with `npm ci --prefix tests/kit`)");
    assert!(
        out.status.success(),
        "anchor client script failed:\n{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("refused: RewardTooSmall"), "{stdout}");
    // Only the 1 IGN job landed, under the id the script picked, posted by its key.
    let id = stdout
        .lines()
        .find_map(|line| line.strip_prefix("accepted: job ")?.split(' ').next())
        .expect("the script names the job it posted");
    let job = net.json(&poster, &["job", "show", id]);
    assert_eq!(job["poster"], poster.key.to_string());
    assert_eq!(job["reward"], 1_000_000_000u64);
    let listed = net.json(&poster, &["job", "list"]);
    assert_eq!(listed.as_array().unwrap().len(), 1, "the refused posts left no job: {listed}");
}

#[test]
fn the_anchor_migration_initialises_a_fresh_cluster() {
    // The localnet's default slot time, as `anchor migrate` would meet it.
    let net = Net::with_slot_time(400);
    let deployer = net.who("deployer");
    let migrations = concat!(env!("CARGO_MANIFEST_DIR"), "/../migrations");
    let out = Command::new(format!("{migrations}/node_modules/.bin/tsx"))
        .arg(format!("{migrations}/run-local.ts"))
        .env("ANCHOR_PROVIDER_URL", net.localnet.rpc_url())
        .env("ANCHOR_WALLET", &deployer.file)
        .env("ANCHOR_WS_URL", net.localnet.ws_url())
        .env("IGNIS_GENESIS_SUPPLY", "5000")
        .output()
        .expect("tsx runs (install with `npm ci --prefix migrations`)");
    assert!(
        out.status.success(),
        "deploy.ts failed:\n{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    let status = net.json(&deployer, &["status"]);
    assert_eq!(status["min_worker_stake"], 100_000_000_000u64, "the default parameters");
    assert_eq!(status["protocol_fee_bps"], 250);
    // The deployer holds the genesis supply and can use it through the CLI.
    net.ok(&deployer, &["stake", "5000"]);
    net.fails(&deployer, &["stake", "1"], "you have 0 IGN");
}

/// `--priority-fee` and `--compute-unit-limit` put ComputeBudget instructions in front
/// of what the CLI sends: the fee is charged, and the runtime holds it to the limit.
#[test]
fn priority_fees_and_compute_unit_limits_reach_the_transaction() {
    use solana_rpc_client_api::config::RpcTransactionConfig;
    use solana_transaction_status_client_types::UiTransactionEncoding;
    let net = Net::start();
    let admin = net.who("admin");
    net.ok(&admin, &["admin", "init"]);
    let staker = net.who("staker");
    net.ok(&admin, &["admin", "transfer", &staker.key.to_string(), "10"]);

    let rpc = solana_rpc_client::rpc_client::RpcClient::new(net.localnet.rpc_url());
    let fee_of = |args: &[&str]| {
        let signature: solana_signature::Signature =
            net.json(&staker, args)["signature"].as_str().unwrap().parse().unwrap();
        let config = RpcTransactionConfig {
            encoding: Some(UiTransactionEncoding::Base64),
            commitment: Some(solana_commitment_config::CommitmentConfig::confirmed()),
            max_supported_transaction_version: Some(0),
        };
        let tx = rpc.get_transaction_with_config(&signature, config).unwrap();
        let message = tx.transaction.transaction.decode().unwrap().message;
        let programs: Vec<_> = message
            .instructions()
            .iter()
            .map(|ix| message.static_account_keys()[usize::from(ix.program_id_index)])
            .collect();
        (tx.transaction.meta.unwrap().fee, programs)
    };
    let compute_budget = solana_compute_budget_interface::ID;
    let (plain_fee, programs) = fee_of(&["stake", "1"]);
    assert!(!programs.contains(&compute_budget), "{programs:?}");
    let (fee, programs) =
        fee_of(&["--priority-fee", "1000000", "--compute-unit-limit", "300000", "stake", "1"]);
    assert_eq!(programs[..2], [compute_budget, compute_budget], "budget instructions first");
    // 1,000,000 micro-lamports per unit over 300,000 units: 300,000 lamports on top.
    assert_eq!(fee, plain_fee + 300_000);
    // Far below what a stake costs: refused by the runtime, and nothing staked.
    let staked = net.json(&staker, &["rewards", "show"])["staked"].clone();
    let out = net.run(&staker, &["--compute-unit-limit", "300", "stake", "1"]);
    assert!(!out.status.success());
    assert_eq!(net.json(&staker, &["rewards", "show"])["staked"], staked);
}

/// Eight posters post at once, each through its own `ignis` process: every post lands
/// first time, on its own id (posters pick ids; there is no counter to race for).
#[test]
fn eight_posters_posting_at_once_never_conflict() {
    let net = Net::start();
    let admin = net.who("admin");
    net.ok(&admin, &["admin", "init"]);
    let posters: Vec<Who> = (0..8).map(|i| net.who(&format!("poster{i}"))).collect();
    for poster in &posters {
        net.ok(&admin, &["admin", "transfer", &poster.key.to_string(), "10"]);
    }
    let posts: Vec<std::process::Child> = posters
        .iter()
        .map(|poster| {
            Command::new(env!("CARGO_BIN_EXE_ignis"))
                .args(["--url", &net.localnet.rpc_url(), "--keypair"])
                .arg(&poster.file)
                .args(["--output", "json", "job", "post", "--pow", "8", "--reward", "1"])
                .env("IGNIS_LOG", "debug")
                .stdout(std::process::Stdio::piped())
                .stderr(std::process::Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    let mut ids = std::collections::BTreeSet::new();
    for (poster, post) in posters.iter().zip(posts) {
        let out = post.wait_with_output().unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(out.status.success(), "{stderr}");
        assert!(!stderr.contains("job id taken"), "an id conflict: {stderr}");
        let job: Value = serde_json::from_slice(&out.stdout).unwrap();
        assert_eq!(job["poster"], poster.key.to_string());
        ids.insert(job["id"].as_u64().unwrap());
    }
    assert_eq!(ids.len(), 8, "eight jobs on eight ids: {ids:?}");
    assert_eq!(net.json(&admin, &["status"])["jobs"]["open"], 8);
}

/// `job post --count`: one poster's jobs in a few `post_jobs` transactions, each job on
/// its own id, all in one shard, each reward escrowed; more than the balance covers is
/// refused before anything is sent.
#[test]
fn a_poster_posts_many_jobs_in_a_few_transactions() {
    let net = Net::start();
    let admin = net.who("admin");
    net.ok(&admin, &["admin", "init"]);
    let poster = net.who("poster");
    net.ok(&admin, &["admin", "transfer", &poster.key.to_string(), "30"]);
    let posted =
        net.json(&poster, &["job", "post", "--pow", "8", "--reward", "1", "--count", "20"]);
    let ids: std::collections::BTreeSet<u64> =
        posted["ids"].as_array().unwrap().iter().map(|id| id.as_u64().unwrap()).collect();
    assert_eq!(ids.len(), 20, "twenty jobs on twenty ids: {posted}");
    let shards: std::collections::BTreeSet<u64> = ids.iter().map(|id| id % 16).collect();
    assert_eq!(shards.len(), 1, "one shard: {ids:?}");
    let transactions = posted["signatures"].as_array().unwrap().len();
    assert!((2..=5).contains(&transactions), "{transactions} transactions for twenty posts");
    for id in [ids.first().unwrap(), ids.last().unwrap()] {
        let job = net.json(&poster, &["job", "show", &id.to_string()]);
        assert_eq!(
            (job["status"].as_str(), job["poster"].as_str()),
            (Some("open"), Some(poster.key.to_string().as_str()))
        );
    }
    assert_eq!(net.json(&admin, &["status"])["jobs"]["open"], 20);
    // 10 IGN left: eleven more jobs at 1 IGN are refused whole, before sending.
    net.fails(
        &poster,
        &["job", "post", "--pow", "8", "--reward", "1", "--count", "11"],
        "you have 10 IGN and cannot escrow 11 IGN (11 jobs at 1 IGN each)",
    );
    assert_eq!(net.json(&admin, &["status"])["jobs"]["open"], 20);
}

fn fetch_job_seed(net: &Net, id: u64) -> [u8; 32] {
    let client = solana_rpc_client::rpc_client::RpcClient::new(net.localnet.rpc_url());
    let account = client.get_account(&ignis_client::pda::job(id)).unwrap();
    ignis_client::accounts::decode::<ignis::state::Job>(&account.data).unwrap().seed
}
