//! The web app (`app/`) builds its instructions from the committed IDL with a
//! Codama-generated client. This test writes what the Rust builders produce for a few
//! instructions with fixed keys to `app/tests/fixtures/rust-instructions.json`, and the
//! app's vitest suite checks its own encoding against it byte for byte.
//!
//! Fails when the committed fixture differs from what the builders produce now; rerun
//! with `IGNIS_UPDATE_FIXTURES=1` to rewrite it (then run `npm test` in `app/`).

use std::path::PathBuf;

use anchor_lang::prelude::Pubkey;
use anchor_lang::solana_program::instruction::Instruction;
use ignis_client::{
    ignis::{instructions::PostJobArgs, state::JobKind},
    instructions::{self, Protocol},
    token::TOKEN_PROGRAM_ID,
};
use serde_json::{json, Value};

fn key(byte: u8) -> Pubkey {
    Pubkey::new_from_array([byte; 32])
}

/// Standard base64 with padding (the alphabet `atob` and Node's Buffer read).
fn base64(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let b = [chunk[0], *chunk.get(1).unwrap_or(&0), *chunk.get(2).unwrap_or(&0)];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(ALPHABET[((n >> (18 - 6 * i)) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

fn entry(name: &str, instruction: &str, args: Value, ix: Instruction) -> Value {
    assert_eq!(ix.program_id, ignis_client::PROGRAM_ID);
    json!({
        "name": name,
        "instruction": instruction,
        "args": args,
        "programId": ix.program_id.to_string(),
        "accounts": ix.accounts.iter().map(|meta| json!({
            "pubkey": meta.pubkey.to_string(),
            "isSigner": meta.is_signer,
            "isWritable": meta.is_writable,
        })).collect::<Vec<_>>(),
        "data": base64(&ix.data),
    })
}

fn fixture() -> Value {
    let mint = key(7);
    let protocol = Protocol::new(mint, TOKEN_PROGRAM_ID);
    let user = key(1);
    let user_token = key(3);
    let common = |extra: Value| -> Value {
        let mut args = json!({
            "user": user.to_string(),
            "userToken": user_token.to_string(),
            "mint": mint.to_string(),
            "tokenProgram": TOKEN_PROGRAM_ID.to_string(),
        });
        args.as_object_mut().unwrap().extend(extra.as_object().unwrap().clone());
        args
    };

    let seed: [u8; 32] = std::array::from_fn(|i| (i as u8).wrapping_mul(7).wrapping_add(3));
    let pow_id: u64 = (1 << 40) + 3;
    let pow = PostJobArgs {
        job_id: pow_id,
        kind: JobKind::Pow { difficulty: 8 },
        client_seed: seed,
        reward: 1_500_000_000_000,
        replicas: 1,
        execution_seconds: 300,
        ttl_seconds: 3_600,
    };
    let kernel = PostJobArgs {
        job_id: 42,
        kind: JobKind::Kernel {
            kernel: ignis_client::ignis::constants::KERNEL_MATMUL_U32,
            size: 1_024,
        },
        client_seed: [0xab; 32],
        reward: 3_000_000_001,
        replicas: 3,
        execution_seconds: 600,
        ttl_seconds: 86_400,
    };
    let post_args = |args: &PostJobArgs, kind: Value| {
        common(json!({
            "jobId": args.job_id.to_string(),
            "kind": kind,
            "clientSeed": args.client_seed.to_vec(),
            "reward": args.reward.to_string(),
            "replicas": args.replicas,
            "executionSeconds": args.execution_seconds.to_string(),
            "ttlSeconds": args.ttl_seconds.to_string(),
        }))
    };

    json!([
        entry(
            "post_job_pow",
            "post_job",
            post_args(&pow, json!({ "pow": { "difficulty": 8 } })),
            protocol.post_job(user, user_token, pow),
        ),
        entry(
            "post_job_kernel",
            "post_job",
            post_args(&kernel, json!({ "kernel": { "kernel": 1, "size": 1_024 } })),
            protocol.post_job(user, user_token, kernel),
        ),
        entry(
            "stake",
            "stake",
            common(json!({ "amount": "250000000000" })),
            protocol.stake(user, user_token, 250_000_000_000),
        ),
        entry(
            "request_unstake",
            "request_unstake",
            common(json!({ "amount": "18446744073709551615" })),
            instructions::request_unstake(user, u64::MAX),
        ),
        entry("withdraw", "withdraw", common(json!({})), protocol.withdraw(user, user_token)),
        entry(
            "cancel_job",
            "cancel_job",
            common(json!({ "jobId": "42" })),
            protocol.cancel_job(user, 42, user_token),
        ),
        entry(
            "buy_sla",
            "buy_sla",
            common(json!({ "jobId": pow_id.to_string(), "maxPremium": "12345" })),
            protocol.buy_sla(user, pow_id, user_token, 12_345),
        ),
        entry(
            "refund_job",
            "refund_job",
            common(json!({ "jobId": pow_id.to_string() })),
            protocol.refund_job(pow_id, user_token),
        ),
        entry(
            "claim_rewards",
            "claim_rewards",
            common(json!({})),
            protocol.claim_rewards(user, user_token)
        ),
        entry(
            "close_job",
            "close_job",
            common(json!({ "jobId": pow_id.to_string() })),
            instructions::close_job(pow_id, user),
        ),
        entry("close_stake", "close_stake", common(json!({})), instructions::close_stake(user)),
    ])
}

#[test]
fn app_instruction_fixture_is_up_to_date() {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../app/tests/fixtures/rust-instructions.json");
    let expected = fixture();
    let text = serde_json::to_string_pretty(&expected).unwrap() + "\n";

    if std::env::var("IGNIS_UPDATE_FIXTURES").is_ok_and(|v| v == "1") {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, text).unwrap();
        eprintln!("wrote {}", path.display());
        return;
    }
    let committed = std::fs::read_to_string(&path).unwrap_or_else(|e| {
        panic!(
            "{} is missing ({e}): run IGNIS_UPDATE_FIXTURES=1 cargo test -p ignis-client --test app_fixture",
            path.display()
        )
    });
    let committed: Value = serde_json::from_str(&committed).expect("the committed fixture is JSON");
    assert!(
        committed == expected,
        "{} differs from what ignis_client::instructions builds now: rerun with IGNIS_UPDATE_FIXTURES=1, \
         then check the app with `npm test` in app/",
        path.display()
    );
}

#[test]
fn base64_matches_the_standard_alphabet() {
    assert_eq!(base64(b""), "");
    assert_eq!(base64(b"f"), "Zg==");
    assert_eq!(base64(b"fo"), "Zm8=");
    assert_eq!(base64(b"foo"), "Zm9v");
    assert_eq!(base64(&[0xff, 0xfe, 0x00, 0x01]), "//4AAQ==");
}
