// What `anchor migrate` does, without the anchor CLI: a provider from ANCHOR_PROVIDER_URL
// and ANCHOR_WALLET, handed to deploy.ts. Used by the tests (and works on any cluster):
//   ANCHOR_PROVIDER_URL=http://127.0.0.1:8899 ANCHOR_WALLET=~/.config/solana/id.json npx tsx migrations/run-local.ts
// web3.js assumes the websocket is on the RPC port + 1; ANCHOR_WS_URL says otherwise.
import * as anchor from "@anchor-lang/core";
import { Connection } from "@solana/web3.js";

const deploy = require("./deploy");

// Anchor's default "processed" gets no signature notifications from the localnet;
// "confirmed" is what a deployment should wait for anyway.
const opts = { commitment: "confirmed", preflightCommitment: "confirmed" } as const;
const fromEnv = anchor.AnchorProvider.env();
const connection = new Connection(fromEnv.connection.rpcEndpoint, {
  commitment: opts.commitment,
  wsEndpoint: process.env.ANCHOR_WS_URL,
});
const provider = new anchor.AnchorProvider(connection, fromEnv.wallet, opts);

deploy(provider).catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
