// The files of a job on your data, read in the browser: NumPy `.npy` headers and
// safetensors headers, checked as the Rust side checks them (kernels/src/tensors.rs
// `read_npy_matrix_i8`, `read_mlp`, `check_batch`, `check_gemm`) so that a bad file is
// refused, with the file, what was expected and what it holds, before anything is
// paid; the job's shape derived exactly as `tensor_job::try_shape` does; and the
// output's checks: its Merkle root over rows (kernels/src/merkle.rs) and, for mlp-i8,
// the predicted class of each row.

import {
  KERNEL_GEMM_I8,
  KERNEL_MLP_I8,
  MAX_TENSOR_MACS,
  MAX_TENSOR_ROW_BYTES,
  MAX_TENSOR_ROWS,
} from './program';

/** A file that cannot be one of a job's inputs (or a job's output): the sentence says why. */
export class TensorFileError extends Error {
  override readonly name = 'TensorFileError';
}

export type TensorKernel = 'gemm-i8' | 'mlp-i8';
export const TENSOR_KERNELS: Record<TensorKernel, number> = { 'gemm-i8': KERNEL_GEMM_I8, 'mlp-i8': KERNEL_MLP_I8 };

/** The `format` an mlp-i8 model's safetensors metadata names. */
export const MLP_FORMAT = 'ignis-mlp-i8';
const INT8 = { descr: '|i1', words: 'int8 (numpy |i1)', size: 1 } as const;
const INT32 = { descr: '<i4', words: 'int32 (numpy <i4)', size: 4 } as const;

/** `[450, 64]`, as the Rust errors print a shape. */
export const formatShape = (shape: readonly number[]) => `[${shape.join(', ')}]`;

const unreadable = (name: string, format: string, reason: string) =>
  new TensorFileError(`${name} is not a readable ${format} file (${reason})`);

// --- .npy ---------------------------------------------------------------------------

export interface NpyHeader {
  /** The dtype as numpy wrote it (`|i1`, `<i4`), or null for a structured dtype. */
  descr: string | null;
  fortranOrder: boolean;
  shape: number[];
  /** Where the data starts. */
  dataOffset: number;
}

/** A 2-D matrix in a `.npy` file, its dtype checked. */
export interface NpyMatrix {
  name: string;
  descr: string;
  rows: number;
  cols: number;
  /** 'F' (Fortran, column-major: what numpy saves for a transposed array) is accepted and read column by column. */
  order: 'C' | 'F';
  dataOffset: number;
}

const MAGIC = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]; // \x93NUMPY

/** Reads the header of a `.npy` file (format versions 1, 2 and 3). */
export function readNpyHeader(name: string, bytes: Uint8Array): NpyHeader {
  const bad = (reason: string) => unreadable(name, '.npy', reason);
  if (bytes.length < 10 || MAGIC.some((b, i) => bytes[i] !== b)) throw bad('it does not start with the .npy magic string');
  const major = bytes[6]!;
  if (major < 1 || major > 3) throw bad(`format version ${major}.${bytes[7]} is not one numpy writes`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const lengthBytes = major === 1 ? 2 : 4;
  if (bytes.length < 8 + lengthBytes) throw bad('it ends inside its header');
  const headerLength = major === 1 ? view.getUint16(8, true) : view.getUint32(8, true);
  const start = 8 + lengthBytes;
  const dataOffset = start + headerLength;
  if (dataOffset > bytes.length) throw bad('it ends inside its header');
  const text = new TextDecoder(major === 3 ? 'utf-8' : 'latin1').decode(bytes.subarray(start, dataOffset));
  let header: unknown;
  try {
    header = parsePythonLiteral(text);
  } catch (error) {
    throw bad(`its header is not a Python dictionary: ${(error as Error).message}`);
  }
  if (!isRecord(header)) throw bad('its header is not a Python dictionary');
  const { descr, fortran_order: fortranOrder, shape } = header;
  if (descr === undefined || fortranOrder === undefined || shape === undefined) {
    throw bad("its header must give 'descr', 'fortran_order' and 'shape'");
  }
  if (typeof fortranOrder !== 'boolean') throw bad("its 'fortran_order' is not True or False");
  if (!Array.isArray(shape) || !shape.every((d) => typeof d === 'number' && Number.isSafeInteger(d) && d >= 0)) {
    throw bad("its 'shape' is not a tuple of sizes");
  }
  return { descr: typeof descr === 'string' ? descr : null, fortranOrder, shape: shape as number[], dataOffset };
}

function readNpyMatrix(name: string, bytes: Uint8Array, dtype: typeof INT8 | typeof INT32): NpyMatrix {
  const header = readNpyHeader(name, bytes);
  if (header.descr !== dtype.descr) {
    const actual = header.descr === null ? 'a structured or array dtype' : `numpy ${header.descr}`;
    throw new TensorFileError(`${name} holds ${actual} values; it must hold ${dtype.words}`);
  }
  if (header.shape.length !== 2) {
    throw new TensorFileError(`${name} has shape ${formatShape(header.shape)}; expected a matrix (2 dimensions)`);
  }
  const [rows, cols] = header.shape as [number, number];
  if (bytes.length - header.dataOffset < rows * cols * dtype.size) {
    throw unreadable(name, '.npy', 'its data is shorter than its shape');
  }
  return { name, descr: header.descr, rows, cols, order: header.fortranOrder ? 'F' : 'C', dataOffset: header.dataOffset };
}

/** An int8 matrix (`|i1`, 2-D, C or Fortran order): an input of gemm-i8 or mlp-i8. */
export const readNpyMatrixI8 = (name: string, bytes: Uint8Array) => readNpyMatrix(name, bytes, INT8);

/** An int32 matrix (`<i4`, 2-D, C or Fortran order): a job's output. */
export const readNpyMatrixI32 = (name: string, bytes: Uint8Array) => readNpyMatrix(name, bytes, INT32);

/** An int32 matrix's values, row-major (a Fortran-order file is transposed). */
export function int32Values(matrix: NpyMatrix, bytes: Uint8Array): Int32Array {
  const { rows, cols, dataOffset } = matrix;
  const view = new DataView(bytes.buffer, bytes.byteOffset + dataOffset, rows * cols * 4);
  const values = new Int32Array(rows * cols);
  for (let i = 0; i < rows * cols; i++) {
    // In Fortran order entry i is (i % rows, i / rows).
    const at = matrix.order === 'C' ? i : (i % rows) * cols + Math.floor(i / rows);
    values[at] = view.getInt32(i * 4, true);
  }
  return values;
}

/** A `.npy` file of a matrix (numpy's format 1.0, C order), as numpy writes it. */
export function npyBytes(descr: string, rows: number, cols: number, data: Uint8Array, fortranOrder = false): Uint8Array {
  let header = `{'descr': '${descr}', 'fortran_order': ${fortranOrder ? 'True' : 'False'}, 'shape': (${rows}, ${cols}), }`;
  const unpadded = 10 + header.length + 1;
  header += ' '.repeat((64 - (unpadded % 64)) % 64) + '\n';
  const out = new Uint8Array(10 + header.length + data.length);
  out.set(MAGIC);
  out[6] = 1;
  out[7] = 0;
  new DataView(out.buffer).setUint16(8, header.length, true);
  out.set(new TextEncoder().encode(header), 10);
  out.set(data, 10 + header.length);
  return out;
}

/** An int32 matrix (row-major values) as `.npy` bytes. */
export function npyMatrixI32(rows: number, cols: number, values: ArrayLike<number>): Uint8Array {
  const data = new Uint8Array(rows * cols * 4);
  const view = new DataView(data.buffer);
  for (let i = 0; i < rows * cols; i++) view.setInt32(i * 4, values[i] ?? 0, true);
  return npyBytes(INT32.descr, rows, cols, data);
}

/** An int8 matrix (row-major values) as `.npy` bytes. */
export function npyMatrixI8(rows: number, cols: number, values: ArrayLike<number>): Uint8Array {
  return npyBytes(INT8.descr, rows, cols, Uint8Array.from({ length: rows * cols }, (_, i) => (values[i] ?? 0) & 0xff));
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * The Python literals a `.npy` header is written in: dicts, tuples, lists, strings,
 * integers, True, False and None.
 */
export function parsePythonLiteral(text: string): unknown {
  let at = 0;
  const space = () => {
    while (at < text.length && /\s/.test(text[at]!)) at++;
  };
  const fail = (what: string): never => {
    throw new Error(`${what} at character ${at}`);
  };
  const value = (): unknown => {
    space();
    const c = text[at];
    if (c === '{') return sequence('}', true);
    if (c === '(') return sequence(')', false);
    if (c === '[') return sequence(']', false);
    if (c === "'" || c === '"') {
      const end = text.indexOf(c, at + 1);
      if (end < 0) fail('an unterminated string');
      const s = text.slice(at + 1, end);
      at = end + 1;
      return s;
    }
    const word = /^(?:-?\d+|True|False|None)/.exec(text.slice(at));
    if (!word) return fail('an unexpected character');
    at += word[0].length;
    if (word[0] === 'True') return true;
    if (word[0] === 'False') return false;
    if (word[0] === 'None') return null;
    return Number(word[0]);
  };
  const sequence = (close: string, dict: boolean): unknown => {
    at++;
    const items: unknown[] = [];
    const entries: Record<string, unknown> = {};
    for (;;) {
      space();
      if (text[at] === close) {
        at++;
        return dict ? entries : items;
      }
      const item = value();
      if (dict) {
        space();
        if (text[at] !== ':' || typeof item !== 'string') fail('a dictionary entry without a string key');
        at++;
        entries[item as string] = value();
      } else {
        items.push(item);
      }
      space();
      if (text[at] === ',') at++;
      else if (text[at] !== close) fail(`a missing ${close}`);
    }
  };
  const result = value();
  space();
  if (at !== text.length) fail('text after the literal');
  return result;
}

// --- safetensors --------------------------------------------------------------------

/** Bits per element of each safetensors dtype. */
const SAFETENSORS_BITS: Record<string, number> = {
  BOOL: 8, F4: 4, F6_E2M3: 6, F6_E3M2: 6, U8: 8, I8: 8, F8_E5M2: 8, F8_E4M3: 8, F8_E8M0: 8,
  I16: 16, U16: 16, F16: 16, BF16: 16, I32: 32, U32: 32, F32: 32, C64: 64, F64: 64, I64: 64, U64: 64,
};
const MAX_SAFETENSORS_HEADER = 100_000_000;

export interface SafetensorsTensor {
  name: string;
  dtype: string;
  shape: number[];
  /** Byte range in the data section. */
  offsets: [number, number];
}

export interface SafetensorsHeader {
  tensors: Map<string, SafetensorsTensor>;
  metadata: Record<string, string>;
  /** Where the data section starts. */
  dataOffset: number;
}

/** Reads and validates a safetensors header as the `safetensors` crate does. */
export function readSafetensorsHeader(name: string, bytes: Uint8Array): SafetensorsHeader {
  const bad = (reason: string) => unreadable(name, 'safetensors', reason);
  if (bytes.length < 8) throw bad('it is shorter than its 8-byte header length');
  const n = new DataView(bytes.buffer, bytes.byteOffset, 8).getBigUint64(0, true);
  if (n > BigInt(MAX_SAFETENSORS_HEADER)) throw bad('its header is larger than 100 MB');
  const headerLength = Number(n);
  if (8 + headerLength > bytes.length) throw bad('it ends inside its header');
  let json: unknown;
  try {
    json = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(8, 8 + headerLength)));
  } catch (error) {
    throw bad(`its header is not JSON: ${(error as Error).message}`);
  }
  if (!isRecord(json)) throw bad('its header is not a JSON object');
  const metadata: Record<string, string> = {};
  const tensors = new Map<string, SafetensorsTensor>();
  for (const [key, entry] of Object.entries(json)) {
    if (key === '__metadata__') {
      if (entry === null) continue;
      if (!isRecord(entry) || !Object.values(entry).every((v) => typeof v === 'string')) {
        throw bad('its __metadata__ must map names to strings');
      }
      Object.assign(metadata, entry);
      continue;
    }
    if (!isRecord(entry)) throw bad(`tensor ${key} is not described by an object`);
    const { dtype, shape, data_offsets: offsets } = entry;
    if (typeof dtype !== 'string' || !(dtype in SAFETENSORS_BITS)) throw bad(`tensor ${key} has an unknown dtype ${JSON.stringify(dtype)}`);
    const sizes = (v: unknown, length?: number): v is number[] =>
      Array.isArray(v) && (length === undefined || v.length === length) && v.every((d) => Number.isSafeInteger(d) && (d as number) >= 0);
    if (!sizes(shape)) throw bad(`tensor ${key} has no valid shape`);
    if (!sizes(offsets, 2)) throw bad(`tensor ${key} has no valid data_offsets`);
    tensors.set(key, { name: key, dtype, shape, offsets: [offsets[0]!, offsets[1]!] });
  }
  // Sorted by offset, the tensors must tile the data section exactly.
  let end = 0;
  for (const tensor of [...tensors.values()].sort((x, y) => x.offsets[0] - y.offsets[0] || x.offsets[1] - y.offsets[1])) {
    const [s, e] = tensor.offsets;
    if (s !== end || e < s) throw bad(`tensor ${tensor.name} has invalid data offsets`);
    const bits = tensor.shape.reduce((product, d) => product * d, 1) * SAFETENSORS_BITS[tensor.dtype]!;
    if (bits % 8 !== 0 || e - s !== bits / 8) throw bad(`tensor ${tensor.name} holds ${e - s} bytes, not the ${bits / 8} its dtype and shape need`);
    end = e;
  }
  if (8 + headerLength + end !== bytes.length) throw bad(`its data section holds ${bytes.length - 8 - headerLength} bytes, not the ${end} its tensors describe`);
  return { tensors, metadata, dataOffset: 8 + headerLength };
}

/** One layer of an mlp-i8 model. */
export interface MlpLayer {
  inputs: number;
  outputs: number;
  requant: { multiplier: number; shift: number } | null;
}

export interface MlpModel {
  name: string;
  layers: MlpLayer[];
  /** Every tensor, for display. */
  tensors: SafetensorsTensor[];
}

export const mlpInputs = (model: MlpModel) => model.layers[0]?.inputs ?? 0;
export const mlpClasses = (model: MlpModel) => model.layers[model.layers.length - 1]?.outputs ?? 0;

/**
 * Reads an mlp-i8 model as `read_mlp` does: `layers.{l}.weight` (I8, [out, in]),
 * `layers.{l}.bias` (I32, [out]), `layers.{l}.requant` (I32, [2]) for every layer but
 * the last, and metadata `format` = ignis-mlp-i8 and `layers` = L.
 */
export function readMlp(name: string, bytes: Uint8Array): MlpModel {
  const header = readSafetensorsHeader(name, bytes);
  const wrong = (what: string) => new TensorFileError(`${name}: ${what}`);
  const format = header.metadata.format;
  if (format !== MLP_FORMAT) {
    throw wrong(`the model's metadata names format ${format === undefined ? 'none' : `"${format}"`}; an mlp-i8 model's is "${MLP_FORMAT}"`);
  }
  const count = /^\d+$/.test(header.metadata.layers ?? '') ? Number(header.metadata.layers) : NaN;
  if (!(count >= 1 && count <= 64)) throw wrong('the model\'s metadata must give `layers`, the number of layers (1 to 64)');
  const tensor = (tensorName: string, dtype: string, expected: string) => {
    const found = header.tensors.get(tensorName);
    if (!found) throw wrong(`the model has no tensor \`${tensorName}\``);
    if (found.dtype !== dtype) throw wrong(`${tensorName} holds ${found.dtype} values; it must hold ${expected}`);
    return found;
  };
  const shapeError = (tensorName: string, shape: number[], expected: string) =>
    wrong(`${tensorName} has shape ${formatShape(shape)}; expected ${expected}`);
  const layers: MlpLayer[] = [];
  for (let index = 0; index < count; index++) {
    const weightName = `layers.${index}.weight`;
    const weight = tensor(weightName, 'I8', 'int8 (I8)');
    if (weight.shape.length !== 2) throw shapeError(weightName, weight.shape, '[outputs, inputs]');
    const [outputs, inputs] = weight.shape as [number, number];
    const biasName = `layers.${index}.bias`;
    const bias = tensor(biasName, 'I32', 'int32 (I32)');
    if (bias.shape.length !== 1 || bias.shape[0] !== outputs) {
      throw shapeError(biasName, bias.shape, `[${outputs}] (the weight's outputs)`);
    }
    const requantName = `layers.${index}.requant`;
    const last = index + 1 === count;
    let requant: MlpLayer['requant'] = null;
    if (last && header.tensors.has(requantName)) {
      throw wrong(`the model's last layer gives the logits and must not have ${requantName}`);
    }
    if (!last) {
      const found = tensor(requantName, 'I32', 'int32 (I32)');
      if (found.shape.length !== 1 || found.shape[0] !== 2) throw shapeError(requantName, found.shape, '[2] (multiplier, shift)');
      const view = new DataView(bytes.buffer, bytes.byteOffset + header.dataOffset + found.offsets[0], 8);
      requant = { multiplier: view.getInt32(0, true), shift: Math.max(view.getInt32(4, true), 0) };
    }
    layers.push({ inputs, outputs, requant });
  }
  // `Mlp::validate`.
  const layerError = (index: number, what: string) => wrong(`the model does not hold together: layer ${index}: ${what}`);
  layers.forEach((layer, index) => {
    if (layer.inputs === 0 || layer.outputs === 0) throw layerError(index, 'has no inputs or no outputs');
    if (layer.requant && !(layer.requant.multiplier >= 1 && layer.requant.shift >= 1 && layer.requant.shift <= 62)) {
      throw layerError(
        index,
        `requantization multiplier ${layer.requant.multiplier} and shift ${layer.requant.shift} are out of range (1..=2^31-1, 1..=62)`,
      );
    }
    const before = layers[index - 1];
    if (before && before.outputs !== layer.inputs) {
      throw wrong(
        `the model does not hold together: layer ${index} takes ${layer.inputs} inputs, but the layer before it gives ${before.outputs}`,
      );
    }
  });
  return { name, layers, tensors: [...header.tensors.values()] };
}

// --- the job's shape ------------------------------------------------------------------

/** What the program is told about a job's shape (`TensorSpec` less its inputs). */
export interface TensorShape {
  rows: number;
  rowBytes: number;
  macsPerRow: bigint;
}

export type TensorInputs =
  | { kernel: 'gemm-i8'; a: NpyMatrix; b: NpyMatrix }
  | { kernel: 'mlp-i8'; model: MlpModel; batch: NpyMatrix };

/** `check_gemm`: A's columns are B's rows, and neither product side is empty. */
export function checkGemm(a: NpyMatrix, b: NpyMatrix): void {
  if (a.cols !== b.rows || a.rows === 0 || b.cols === 0) {
    throw new TensorFileError(
      `${b.name} has shape ${formatShape([b.rows, b.cols])}; expected [${a.cols}, n] (as many rows as ${a.name} has columns)`,
    );
  }
}

/** `check_batch`: one row per sample, as wide as the model's inputs. */
export function checkBatch(batch: NpyMatrix, model: MlpModel): void {
  if (batch.cols !== mlpInputs(model) || batch.rows === 0) {
    throw new TensorFileError(
      `${batch.name} has shape ${formatShape([batch.rows, batch.cols])}; expected [batch, ${mlpInputs(model)}] (the inputs of the model ${model.name})`,
    );
  }
}

/**
 * `tensor_job::try_shape`: gemm-i8 gives m rows of 4n bytes, k x n multiply-adds per
 * row; mlp-i8 one row per sample of 4 x classes bytes, the sum of its layers' inputs
 * x outputs per row.
 */
export function jobShape(inputs: TensorInputs): TensorShape {
  if (inputs.kernel === 'gemm-i8') {
    checkGemm(inputs.a, inputs.b);
    return { rows: inputs.a.rows, rowBytes: 4 * inputs.b.cols, macsPerRow: BigInt(inputs.a.cols) * BigInt(inputs.b.cols) };
  }
  checkBatch(inputs.batch, inputs.model);
  return {
    rows: inputs.batch.rows,
    rowBytes: 4 * mlpClasses(inputs.model),
    macsPerRow: inputs.model.layers.reduce((sum, l) => sum + BigInt(l.inputs) * BigInt(l.outputs), 0n),
  };
}

/** `TensorSpec::validate`'s bounds, as sentences (empty when the job is within them). */
export function shapeProblems(shape: TensorShape): string[] {
  const problems: string[] = [];
  const prefix = 'This job is outside the protocol’s bounds:';
  if (shape.rows < 1 || shape.rows > MAX_TENSOR_ROWS) {
    problems.push(`${prefix} it has ${shape.rows} output rows, and a job may have 1 to ${MAX_TENSOR_ROWS}`);
  }
  if (shape.rowBytes < 1 || shape.rowBytes > MAX_TENSOR_ROW_BYTES || shape.rowBytes % 4 !== 0) {
    problems.push(`${prefix} an output row holds ${shape.rowBytes} bytes, and may hold 4 to ${MAX_TENSOR_ROW_BYTES}`);
  }
  const macs = BigInt(shape.rows) * shape.macsPerRow;
  if (shape.macsPerRow <= 0n) problems.push(`${prefix} it has no multiply-adds to do`);
  else if (macs > MAX_TENSOR_MACS) {
    problems.push(`${prefix} it has ${macs} multiply-adds, and a job may have at most ${MAX_TENSOR_MACS} (2^42): split the batch`);
  }
  return problems;
}

// --- hashes, the output's Merkle root, predictions ------------------------------------

function subtle(): SubtleCrypto {
  const found = globalThis.crypto?.subtle;
  if (!found) throw new Error('This page cannot hash files here: open the app over https or on localhost');
  return found;
}

export async function sha256(bytes: Uint8Array): Promise<Uint8Array> {
  return new Uint8Array(await subtle().digest('SHA-256', bytes as Uint8Array<ArrayBuffer>));
}

export const toHex = (bytes: Uint8Array) => Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');

export function fromHex(hex: string): Uint8Array {
  if (!/^(?:[0-9a-fA-F]{2})*$/.test(hex)) throw new Error(`"${hex}" is not hex`);
  return Uint8Array.from({ length: hex.length / 2 }, (_, i) => parseInt(hex.slice(2 * i, 2 * i + 2), 16));
}

async function prefixedHash(prefix: number, ...parts: Uint8Array[]): Promise<Uint8Array> {
  const length = parts.reduce((n, p) => n + p.length, 1);
  const buffer = new Uint8Array(length);
  buffer[0] = prefix;
  let at = 1;
  for (const part of parts) {
    buffer.set(part, at);
    at += part.length;
  }
  return sha256(buffer);
}

/** Hashes in batches, so a million rows do not make a million pending promises at once. */
async function inBatches<T>(count: number, hash: (index: number) => Promise<T>): Promise<T[]> {
  const out: T[] = [];
  for (let start = 0; start < count; start += 4_096) {
    const end = Math.min(count, start + 4_096);
    out.push(...(await Promise.all(Array.from({ length: end - start }, (_, i) => hash(start + i)))));
  }
  return out;
}

/**
 * `merkle::root_of_rows`: a leaf is sha256(0x00 || row), a node sha256(0x01 || left ||
 * right), a level with an odd count carries its last node up unchanged; no rows give
 * 32 zero bytes.
 */
export async function merkleRoot(bytes: Uint8Array, rowBytes: number): Promise<Uint8Array> {
  if (!(rowBytes > 0) || bytes.length % rowBytes !== 0) throw new Error('The Merkle root is over whole rows only');
  const count = bytes.length / rowBytes;
  if (count === 0) return new Uint8Array(32);
  let level = await inBatches(count, (i) => prefixedHash(0x00, bytes.subarray(i * rowBytes, (i + 1) * rowBytes)));
  while (level.length > 1) {
    const current = level;
    level = await inBatches(Math.ceil(current.length / 2), (i) =>
      2 * i + 1 < current.length ? prefixedHash(0x01, current[2 * i]!, current[2 * i + 1]!) : Promise.resolve(current[2 * i]!),
    );
  }
  return level[0]!;
}

/** Row-major int32 values as rows of little-endian bytes (what the root is over). */
export function rowBytesOf(values: Int32Array): Uint8Array {
  const out = new Uint8Array(values.length * 4);
  const view = new DataView(out.buffer);
  values.forEach((v, i) => view.setInt32(i * 4, v, true));
  return out;
}

/** The index of a row's largest value, the lowest on ties (`int8::argmax`). */
export function argmax(row: ArrayLike<number>): number {
  let best = 0;
  for (let i = 1; i < row.length; i++) if (row[i]! > row[best]!) best = i;
  return best;
}

/** The predicted class of each row of mlp-i8 logits (`tensor_job::predictions`). */
export function predictions(logits: Int32Array, classes: number): number[] {
  const width = Math.max(classes, 1);
  const out: number[] = [];
  for (let start = 0; start + width <= logits.length; start += width) out.push(argmax(logits.subarray(start, start + width)));
  return out;
}

/** How many rows predict each class. */
export function classCounts(predicted: readonly number[], classes: number): number[] {
  const counts = new Array<number>(classes).fill(0);
  for (const c of predicted) counts[c] = (counts[c] ?? 0) + 1;
  return counts;
}

/** A job's output, read and checked. */
export interface CheckedOutput {
  rows: number;
  cols: number;
  /** Row-major. */
  values: Int32Array;
}

/**
 * Reads a downloaded output (`tensor_job::read_output`): an int32 `.npy` with the job's
 * rows, whose Merkle root over rows is the root the job settled on. Throws a
 * TensorFileError otherwise.
 */
export async function checkOutput(name: string, npy: Uint8Array, expected: { rows: number | null; rootHex: string }): Promise<CheckedOutput> {
  const matrix = readNpyMatrixI32(name, npy);
  if (expected.rows !== null && matrix.rows !== expected.rows) {
    throw new TensorFileError(`${name} is ${matrix.rows} × ${matrix.cols}; the job has ${expected.rows} output rows`);
  }
  if (matrix.cols === 0) throw new TensorFileError(`${name} has empty rows; an output row holds at least one value`);
  const values = int32Values(matrix, npy);
  const root = toHex(await merkleRoot(rowBytesOf(values), matrix.cols * 4));
  if (root !== expected.rootHex.toLowerCase()) {
    throw new TensorFileError(`${name}'s Merkle root ${root} is not the one the job settled on (${expected.rootHex})`);
  }
  return { rows: matrix.rows, cols: matrix.cols, values };
}
