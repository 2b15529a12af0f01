// Sends ignis `request_unstake` with @solana/kit, building the instruction from the
// committed IDL (discriminator, account order, argument types), and waits for it to be
// confirmed over the websocket.
//
//   node request-unstake.mjs RPC_URL WS_URL KEYPAIR_JSON AMOUNT_BASE_UNITS
import { readFileSync } from 'node:fs';
import {
  address,
  appendTransactionMessageInstruction,
  createKeyPairSignerFromBytes,
  createSolanaRpc,
  createSolanaRpcSubscriptions,
  createTransactionMessage,
  getProgramDerivedAddress,
  getAddressEncoder,
  getU64Encoder,
  getSignatureFromTransaction,
  pipe,
  sendAndConfirmTransactionFactory,
  setTransactionMessageFeePayerSigner,
  setTransactionMessageLifetimeUsingBlockhash,
  signTransactionMessageWithSigners,
  AccountRole,
} from '@solana/kit';

const [rpcUrl, wsUrl, keypairPath, amount] = process.argv.slice(2);
const idl = JSON.parse(readFileSync(new URL('../../idl/ignis.json', import.meta.url)));
const programId = address(idl.address);
const ix = idl.instructions.find((i) => i.name === 'request_unstake');

const signer = await createKeyPairSignerFromBytes(new Uint8Array(JSON.parse(readFileSync(keypairPath))));
const pda = async (...seeds) => (await getProgramDerivedAddress({ programAddress: programId, seeds }))[0];
const text = (s) => new TextEncoder().encode(s);
const accounts = {
  owner: signer.address,
  config: await pda(text('config')),
  stake: await pda(text('stake'), getAddressEncoder().encode(signer.address)),
  event_authority: await pda(text('__event_authority')),
  program: programId,
};
// The IDL names every account and says which sign and which are written. An account
// this script does not know means the instruction changed: fail here, not on chain.
const unknown = ix.accounts.filter((a) => !accounts[a.name]).map((a) => a.name);
if (unknown.length) throw new Error(`request_unstake has accounts this script does not know: ${unknown.join(', ')}`);
const instruction = {
  programAddress: programId,
  accounts: ix.accounts.map((a) => ({
    address: accounts[a.name],
    role: a.signer
      ? a.writable ? AccountRole.WRITABLE_SIGNER : AccountRole.READONLY_SIGNER
      : a.writable ? AccountRole.WRITABLE : AccountRole.READONLY,
    ...(a.signer ? { signer } : {}),
  })),
  data: new Uint8Array([...ix.discriminator, ...getU64Encoder().encode(BigInt(amount))]),
};
if (ix.args.length !== 1 || ix.args[0].type !== 'u64') throw new Error('request_unstake args changed in the IDL');

const rpc = createSolanaRpc(rpcUrl);
const rpcSubscriptions = createSolanaRpcSubscriptions(wsUrl);
const { value: blockhash } = await rpc.getLatestBlockhash().send();
const message = pipe(
  createTransactionMessage({ version: 0 }),
  (m) => setTransactionMessageFeePayerSigner(signer, m),
  (m) => setTransactionMessageLifetimeUsingBlockhash(blockhash, m),
  (m) => appendTransactionMessageInstruction(instruction, m),
);
const transaction = await signTransactionMessageWithSigners(message);
await sendAndConfirmTransactionFactory({ rpc, rpcSubscriptions })(transaction, { commitment: 'confirmed' });
console.log(getSignatureFromTransaction(transaction));
process.exit(0);
