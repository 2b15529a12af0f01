// Anchor's own TypeScript client (@anchor-lang/core, the client of Anchor 1.x) against a
// cluster, from the committed IDL: a refused `post_job` surfaces `RewardTooSmall` by
// name through `AnchorError` (from `.rpc()` and from `.simulate()`), and an accepted
// one's transaction logs show the instruction name framed by the program's
// invoke/success lines, as on a real validator.
//
//   node anchor-errors.mjs RPC_URL WS_URL KEYPAIR_JSON
//
// The keypair is a user with SOL and IGN in its associated token account, on a cluster
// where Ignis is initialised (`ignis admin init`). Exits non-zero with the reason on
// any unmet expectation.
import { readFileSync } from 'node:fs';
// The package is CommonJS under Node: its exports come through the default import.
import anchor from '@anchor-lang/core';

const { AnchorError, AnchorProvider, BN, Program, Wallet, web3 } = anchor;
const { Connection, Keypair, PublicKey } = web3;

const [rpcUrl, wsUrl, keypairPath] = process.argv.slice(2);
if (!rpcUrl || !wsUrl || !keypairPath) {
  console.error('usage: node anchor-errors.mjs RPC_URL WS_URL KEYPAIR_JSON');
  process.exit(2);
}

function expect(condition, message) {
  if (!condition) {
    console.error(`FAILED: ${message}`);
    process.exit(1);
  }
}

const idl = JSON.parse(readFileSync(new URL('../../idl/ignis.json', import.meta.url)));
const user = Keypair.fromSecretKey(new Uint8Array(JSON.parse(readFileSync(keypairPath))));
// The websocket port is not always the RPC port + 1 (web3.js' guess).
const connection = new Connection(rpcUrl, { commitment: 'confirmed', wsEndpoint: wsUrl });
const provider = new AnchorProvider(connection, new Wallet(user), { commitment: 'confirmed' });
const program = new Program(idl, provider);
const programId = program.programId;

const pda = (...seeds) => PublicKey.findProgramAddressSync(seeds, programId)[0];
const u64le = (n) => new BN(n).toArrayLike(Buffer, 'le', 8);
const ASSOCIATED_TOKEN_PROGRAM = new PublicKey('ATokenGPvbdGVxr1b2hvZbsiqW5xWH25efTNsLJA8knL');

const configAddress = pda(Buffer.from('config'));
const config = await program.account.config.fetch(configAddress);
// Where the CLI keeps a user's IGN: its associated token account.
const posterToken = PublicKey.findProgramAddressSync(
  [user.publicKey.toBuffer(), config.tokenProgram.toBuffer(), config.mint.toBuffer()],
  ASSOCIATED_TOKEN_PROGRAM,
)[0];

// A fresh id, as clients pick them (`fresh_job_id`); its shard is id mod 16.
const jobId = new BN(Date.now());
const shardIndex = Buffer.from([jobId.modn(16)]);

// `config`, `job` (seeds "job" + args.job_id) and `system_program` are resolved from
// the IDL; the rest are named here as client/src/instructions.rs `post_job` passes them.
const accounts = {
  poster: user.publicKey,
  posterToken,
  shard: pda(Buffer.from('shard'), shardIndex),
  shardVault: pda(Buffer.from('shard_vault'), shardIndex),
  mint: config.mint,
  tokenProgram: config.tokenProgram,
  eventAuthority: pda(Buffer.from('__event_authority')),
  program: programId,
};
const postJob = (jobId, reward) =>
  program.methods
    .postJob({
      jobId,
      kind: { pow: { difficulty: 8 } },
      clientSeed: Array.from({ length: 32 }, (_, i) => i),
      reward: new BN(reward),
      replicas: 1,
      executionSeconds: new BN(300),
      ttlSeconds: new BN(3600),
    })
    .accounts(accounts);

const idlIndex = idl.errors.findIndex((e) => e.name === 'RewardTooSmall');
expect(idlIndex >= 0, 'the IDL has no RewardTooSmall error');
const rewardTooSmall = idl.errors[idlIndex];
expect(
  rewardTooSmall.code === 6000 + idlIndex,
  `RewardTooSmall's code in the IDL is ${rewardTooSmall.code}, not 6000 + its index ${idlIndex}`,
);

// The job PDA Anchor resolves from the IDL's seeds is the one the program derives.
const resolved = await postJob(jobId, 0).pubkeys();
expect(
  resolved.job?.equals(pda(Buffer.from('job'), u64le(jobId))),
  `Anchor resolved job ${resolved.job} for id ${jobId}, not the ["job", id] PDA`,
);
expect(resolved.config?.equals(configAddress), `Anchor resolved config ${resolved.config}`);

// 1. A zero reward, sent: the error comes back as an AnchorError that names it.
let sendError;
try {
  const sig = await postJob(jobId, 0).rpc();
  expect(false, `post_job with reward 0 was accepted (${sig})`);
} catch (err) {
  sendError = err;
}
const parsed = sendError instanceof AnchorError ? sendError : AnchorError.parse(sendError.logs);
expect(
  parsed,
  `the refused post_job did not surface an AnchorError: ${sendError}\nlogs: ${JSON.stringify(sendError.logs)}`,
);
expect(sendError instanceof AnchorError, `.rpc() threw ${sendError?.constructor?.name}, not an AnchorError`);
const { errorCode, errorMessage } = parsed.error;
expect(errorCode.code === 'RewardTooSmall', `the error is named ${errorCode.code}, not RewardTooSmall`);
expect(
  errorCode.number === rewardTooSmall.code,
  `RewardTooSmall came back as number ${errorCode.number}, the IDL says ${rewardTooSmall.code}`,
);
expect(errorMessage === rewardTooSmall.msg, `error message "${errorMessage}", the IDL says "${rewardTooSmall.msg}"`);
expect(parsed.program?.equals(programId), `the error is attributed to ${parsed.program}, not ${programId}`);
const hex = `0x${rewardTooSmall.code.toString(16)}`;
expect(
  parsed.logs.includes(`Program ${programId} failed: custom program error: ${hex}`),
  `the logs do not end the program with "failed: custom program error: ${hex}":\n${parsed.logs.join('\n')}`,
);
expect(
  parsed.logs.includes('Program log: Instruction: PostJob'),
  `the refused transaction's logs do not name the instruction:\n${parsed.logs.join('\n')}`,
);

// 2. The same call simulated: it fails, and its logs name the error.
let simulateError;
try {
  await postJob(jobId, 0).simulate();
  expect(false, 'simulating post_job with reward 0 succeeded');
} catch (err) {
  simulateError = err;
}
const simulatedLogs = simulateError.logs ?? simulateError.simulationResponse?.logs ?? [];
const simulated = simulateError instanceof AnchorError ? simulateError : AnchorError.parse(simulatedLogs);
expect(
  simulated?.error.errorCode.code === 'RewardTooSmall',
  `the simulation did not fail with RewardTooSmall: ${simulateError}\nlogs: ${JSON.stringify(simulatedLogs)}`,
);
expect(
  `${simulateError.message}\n${simulatedLogs.join('\n')}`.includes('Error Code: RewardTooSmall'),
  'the simulation error and logs do not mention "Error Code: RewardTooSmall"',
);

// 3. A valid job (1 IGN): accepted, and its transaction's logs show the instruction.
const sig = await postJob(jobId, 1_000_000_000).rpc();
const tx = await connection.getTransaction(sig, { commitment: 'confirmed', maxSupportedTransactionVersion: 0 });
expect(tx, `getTransaction(${sig}) found nothing`);
expect(tx.meta?.err === null, `the accepted post_job has err ${JSON.stringify(tx.meta?.err)}`);
const logs = tx.meta.logMessages ?? [];
const invoke = logs.indexOf(`Program ${programId} invoke [1]`);
const instruction = logs.indexOf('Program log: Instruction: PostJob');
const success = logs.lastIndexOf(`Program ${programId} success`);
expect(
  invoke >= 0 && invoke < instruction && instruction < success,
  `the logs do not show "invoke [1]", "Instruction: PostJob", "success" in order:\n${logs.join('\n')}`,
);
// The job's shard booked it: Anchor decodes the Shard account from the IDL too.
const shard = await program.account.shard.fetch(accounts.shard);
expect(shard.index === jobId.modn(16), `shard ${accounts.shard} has index ${shard.index}`);
expect(shard.escrowed.gte(new BN(1_000_000_000)), `shard ${shard.index} escrows ${shard.escrowed}`);
const job = await program.account.job.fetch(pda(Buffer.from('job'), u64le(jobId)));
expect(job.reward.eq(new BN(1_000_000_000)), `job ${jobId} escrows ${job.reward}, not 1 IGN`);

console.log(`refused: ${errorCode.code} (${errorCode.number}, ${hex}): ${errorMessage}`);
console.log(`  ${parsed.errorLogs[0]}`);
console.log(`simulated: ${simulated.error.errorCode.code}`);
console.log(`accepted: job ${jobId} in ${sig}`);
for (const line of logs) console.log(`  ${line}`);
process.exit(0);
