// `anchor migrate`: initialise Ignis on the cluster in Anchor.toml, as `ignis admin init`
// does locally. Creates the IGN mint (the provider's wallet is its mint authority and
// mints the genesis supply), then calls `initialize` with the default parameters and
// emission schedule, all from the committed IDL. `initialize` is signed by the mint's
// current mint authority (the deployer, who becomes the admin) and itself hands the
// mint authority to the protocol's ["emission"] PDA, so nobody can initialise in the
// deployer's place between two transactions.
//
// Environment (all optional):
//   IGNIS_GENESIS_SUPPLY  whole IGN minted to the deployer first   (default 1000000)
//   IGNIS_DECIMALS        mint decimals                            (default 9)
//   IGNIS_ORCHESTRATOR    key allowed to assign jobs               (default the deployer)
//   IGNIS_VERIFIER        key allowed to attest and dispute        (default the deployer)
//   IGNIS_TOKEN_2022      "1" to use the Token-2022 program
import * as anchor from "@anchor-lang/core";
import {
  TOKEN_2022_PROGRAM_ID,
  TOKEN_PROGRAM_ID,
  createMint,
  getOrCreateAssociatedTokenAccount,
  mintTo,
} from "@solana/spl-token";
import { PublicKey } from "@solana/web3.js";
import idl from "../idl/ignis.json";

const { BN } = anchor;

async function deploy(provider: anchor.AnchorProvider): Promise<void> {
  anchor.setProvider(provider);
  const program = new anchor.Program(idl as anchor.Idl, provider);
  const pda = (...seeds: Buffer[]) => PublicKey.findProgramAddressSync(seeds, program.programId)[0];
  const config = pda(Buffer.from("config"));
  if (await provider.connection.getAccountInfo(config)) {
    console.log(`Ignis is already initialised (config ${config.toBase58()})`);
    return;
  }

  const env = process.env;
  const decimals = Number(env.IGNIS_DECIMALS ?? 9);
  const genesis = new BN(env.IGNIS_GENESIS_SUPPLY ?? "1000000").mul(new BN(10).pow(new BN(decimals)));
  const tokenProgram = env.IGNIS_TOKEN_2022 === "1" ? TOKEN_2022_PROGRAM_ID : TOKEN_PROGRAM_ID;
  const admin = provider.wallet.publicKey;
  const payer = (provider.wallet as anchor.Wallet).payer;
  const orchestrator = new PublicKey(env.IGNIS_ORCHESTRATOR ?? admin);
  const verifier = new PublicKey(env.IGNIS_VERIFIER ?? admin);

  // No freeze authority: `initialize` refuses a mint that has one.
  const mint = await createMint(provider.connection, payer, admin, null, decimals, undefined, undefined, tokenProgram);
  const treasury = await getOrCreateAssociatedTokenAccount(
    provider.connection, payer, mint, admin, false, undefined, undefined, tokenProgram,
  );
  if (!genesis.isZero()) {
    await mintTo(provider.connection, payer, mint, treasury.address, payer, BigInt(genesis.toString()), [], undefined, tokenProgram);
  }

  // Defaults as in programs/ignis/src/constants.rs (`defaults`).
  const day = 24 * 3600;
  const params = {
    minWorkerStake: new BN(100).mul(new BN(10).pow(new BN(decimals))),
    unbondingSeconds: new BN(7 * day),
    missSlashBps: 100,
    fraudSlashBps: 1_000,
    protocolFeeBps: 250,
    maxExecutionSeconds: new BN(3_600),
    maxJobTtlSeconds: new BN(7 * day),
    revealWindowSeconds: new BN(300),
    challengeWindowSeconds: new BN(600),
    stakerEmissionBps: 5_000,
    epochSeconds: new BN(day),
    jobRetentionSeconds: new BN(3_600),
    orchestratorTimeoutSeconds: new BN(120),
    challengeIntervalSeconds: new BN(600),
    challengeWorkSeconds: new BN(30),
    slaCompensationBps: 5_000,
    slaMinUptimeBps: 9_500,
  };
  const schedule = {
    start: new BN(0),
    initialRate: new BN(10).pow(new BN(decimals)), // 1 IGN per second
    halvingIntervalSeconds: new BN(365 * day),
    cap: new BN(100_000_000).mul(new BN(10).pow(new BN(decimals))),
    initialWorkRate: new BN(1 << 12),
  };
  // `admin` (the provider's wallet, the mint authority) signs; the mint is writable
  // (the IDL says so) since its mint authority moves to ["emission"] here. The PDAs
  // are resolved from the IDL's seeds.
  const signature = await program.methods
    .initialize(params, schedule, orchestrator, verifier)
    .accountsPartial({ admin, mint, tokenProgram })
    .rpc();
  console.log(`Ignis initialised: config ${config.toBase58()}, IGN mint ${mint.toBase58()} (${signature})`);

  // Every shard (SHARDS in constants.rs) and its vault, then the first epoch's emission.
  const shards = (idl.constants.find((c: { name: string }) => c.name === "SHARDS")?.value ?? "16") as string;
  for (let index = 0; index < Number(shards); index++) {
    const seed = Buffer.from([index]);
    await program.methods
      .initShard(index)
      .accountsPartial({
        payer: admin,
        shard: pda(Buffer.from("shard"), seed),
        shardVault: pda(Buffer.from("shard_vault"), seed),
        mint,
        tokenProgram,
      })
      .rpc();
  }
  await program.methods
    .mintEmission()
    .accountsPartial({ mint, tokenProgram, rewardVault: pda(Buffer.from("reward_vault")) })
    .rpc();
  console.log(`${shards} shards created; the first epoch's emission minted`);
}

// Anchor's migrate runner calls the CommonJS export.
module.exports = deploy;
