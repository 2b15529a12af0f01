// Sending a transaction with the connected wallet: compile it with @solana/kit, let the
// wallet sign (solana:signTransaction, then we send through our RPC, so any cluster
// works), or sign and send (solana:signAndSendTransaction), then wait until the
// cluster confirms it.

import {
  appendTransactionMessageInstructions,
  compileTransaction,
  compileTransactionMessage,
  getBase64Decoder,
  getCompiledTransactionMessageEncoder,
  createSolanaRpcSubscriptions,
  createTransactionMessage,
  getBase58Decoder,
  getBase64EncodedWireTransaction,
  getTransactionDecoder,
  getTransactionEncoder,
  pipe,
  setTransactionMessageFeePayer,
  setTransactionMessageLifetimeUsingBlockhash,
  type Instruction,
  type Signature,
} from '@solana/kit';
import type { ChainRpc } from './chain';
import { transactionErrorToSolanaError } from './errors';
import { signAndSendFeature, signTransactionFeature, type Connection } from './wallet';

export interface SendContext {
  rpc: ChainRpc;
  wsUrl?: string;
  connection: Connection;
  chain: `solana:${string}`;
}

export interface Sent {
  signature: Signature;
  slot?: bigint;
}

/** Thrown with the programs of the transaction, so errors can be told apart. */
export class TransactionFailed extends Error {
  constructor(
    cause: unknown,
    readonly programs: string[],
  ) {
    super('transaction failed', { cause });
  }
}

export async function sendWithWallet(ctx: SendContext, instructions: Instruction[]): Promise<Sent> {
  const programs = instructions.map((ix) => ix.programAddress as string);
  try {
    return await send(ctx, instructions);
  } catch (error) {
    throw new TransactionFailed(error, programs);
  }
}

async function send({ rpc, wsUrl, connection, chain }: SendContext, instructions: Instruction[]): Promise<Sent> {
  const { wallet, account } = connection;
  const { value: blockhash } = await rpc.getLatestBlockhash({ commitment: 'confirmed' }).send();
  const signOnly = signTransactionFeature(wallet);
  const signAndSend = signAndSendFeature(wallet);
  const versions = (signOnly ?? signAndSend)?.supportedTransactionVersions ?? ['legacy'];
  const message = pipe(
    createTransactionMessage({ version: versions.includes(0) ? 0 : 'legacy' }),
    (m) => setTransactionMessageFeePayer(account.address as never, m),
    (m) => setTransactionMessageLifetimeUsingBlockhash(blockhash, m),
    (m) => appendTransactionMessageInstructions(instructions, m),
  );
  const bytes = new Uint8Array(getTransactionEncoder().encode(compileTransaction(message)));

  let signature: Signature;
  if (signOnly) {
    const [output] = await signOnly.signTransaction({ account, transaction: bytes, chain });
    if (!output) throw new Error(`${wallet.name} returned no signed transaction`);
    const signed = getTransactionDecoder().decode(output.signedTransaction);
    signature = await rpc
      .sendTransaction(getBase64EncodedWireTransaction(signed), {
        encoding: 'base64',
        preflightCommitment: 'confirmed',
      })
      .send();
  } else if (signAndSend) {
    const [output] = await signAndSend.signAndSendTransaction({
      account,
      transaction: bytes,
      chain,
      options: { preflightCommitment: 'confirmed', commitment: 'confirmed' },
    });
    if (!output) throw new Error(`${wallet.name} returned no signature`);
    signature = getBase58Decoder().decode(output.signature) as Signature;
  } else {
    throw new Error(`${wallet.name} cannot sign Solana transactions`);
  }
  const slot = await confirm(rpc, wsUrl, signature, blockhash.lastValidBlockHeight);
  return { signature, slot };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Waits for `confirmed`: polls getSignatureStatuses, and listens on the websocket when
 * one is configured (whichever answers first). Throws the transaction's error if it
 * failed, or an expiry once the blockhash can no longer land.
 */
export async function confirm(
  rpc: ChainRpc,
  wsUrl: string | undefined,
  signature: Signature,
  lastValidBlockHeight: bigint,
  timeoutMs = 90_000,
): Promise<bigint | undefined> {
  const abort = new AbortController();
  let wsDone: Promise<void> = new Promise(() => {});
  if (wsUrl) {
    wsDone = (async () => {
      try {
        const subscriptions = createSolanaRpcSubscriptions(wsUrl);
        const notifications = await subscriptions
          .signatureNotifications(signature, { commitment: 'confirmed' })
          .subscribe({ abortSignal: abort.signal });
        for await (const _ of notifications) return;
      } catch {
        /* polling answers */
      }
      await new Promise(() => {});
    })();
  }
  const deadline = Date.now() + timeoutMs;
  try {
    for (let attempt = 0; ; attempt++) {
      const { value } = await rpc.getSignatureStatuses([signature]).send();
      const status = value[0];
      if (status?.err) throw transactionErrorToSolanaError(status.err);
      if (status && (status.confirmationStatus === 'confirmed' || status.confirmationStatus === 'finalized')) {
        return status.slot;
      }
      if (attempt % 5 === 4) {
        const height = await rpc.getBlockHeight({ commitment: 'confirmed' }).send();
        if (height > lastValidBlockHeight) throw new Error('The transaction expired before the network confirmed it: try again');
      }
      if (Date.now() > deadline) throw new Error('The network did not confirm the transaction in time: check My jobs or your balance before retrying');
      const woke = await Promise.race([sleep(400).then(() => false), wsDone.then(() => true)]);
      if (woke) wsDone = new Promise(() => {});
    }
  } finally {
    abort.abort();
  }
}

/**
 * The network fee the cluster would charge for these instructions (getFeeForMessage),
 * or null when it cannot tell.
 */
export async function estimateFee(rpc: ChainRpc, payer: string, instructions: Instruction[]): Promise<bigint | null> {
  try {
    const { value: blockhash } = await rpc.getLatestBlockhash({ commitment: 'confirmed' }).send();
    const message = pipe(
      createTransactionMessage({ version: 0 }),
      (m) => setTransactionMessageFeePayer(payer as never, m),
      (m) => setTransactionMessageLifetimeUsingBlockhash(blockhash, m),
      (m) => appendTransactionMessageInstructions(instructions, m),
    );
    const bytes = getCompiledTransactionMessageEncoder().encode(compileTransactionMessage(message));
    const { value } = await rpc.getFeeForMessage(getBase64Decoder().decode(bytes) as never, { commitment: 'confirmed' }).send();
    return value === null ? null : BigInt(value);
  } catch {
    return null;
  }
}
