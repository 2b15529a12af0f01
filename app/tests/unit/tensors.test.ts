// The files of a job on your data, read as kernels/src/tensors.rs and tensor_job.rs
// read them, against the digits example (examples/digits) and small files built here;
// the output's Merkle root against values computed independently (Python's hashlib).
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  argmax,
  checkOutput,
  classCounts,
  int32Values,
  jobShape,
  merkleRoot,
  npyBytes,
  npyMatrixI32,
  npyMatrixI8,
  parsePythonLiteral,
  predictions,
  readMlp,
  readNpyHeader,
  readNpyMatrixI32,
  readNpyMatrixI8,
  rowBytesOf,
  shapeProblems,
  toHex,
  TensorFileError,
} from '../../src/lib/tensors';

const example = (name: string) => new Uint8Array(readFileSync(new URL(`../../../examples/digits/${name}`, import.meta.url)));
const digitsModel = example('model.safetensors');
const digitsInputs = example('test_inputs.npy');
const digitsLogits = example('expected_logits.npy');
/** Python: the root over expected_logits.npy's 450 rows of 10 int32 (hashlib, as merkle.rs). */
const DIGITS_LOGITS_ROOT = '319c7219c5e03824d01d9cd96b7f0177cf4608b7519d0e4cf0253f0db761c002';

/** A .npy with this header text (padded as numpy pads it), version 1 or 2. */
function npyWith(header: string, data: Uint8Array, version = 1): Uint8Array {
  const lengthBytes = version === 1 ? 2 : 4;
  const unpadded = 8 + lengthBytes + header.length + 1;
  const text = header + ' '.repeat((64 - (unpadded % 64)) % 64) + '\n';
  const out = new Uint8Array(8 + lengthBytes + text.length + data.length);
  out.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, version, 0]);
  const view = new DataView(out.buffer);
  if (version === 1) view.setUint16(8, text.length, true);
  else view.setUint32(8, text.length, true);
  out.set(new TextEncoder().encode(text), 8 + lengthBytes);
  out.set(data, 8 + lengthBytes + text.length);
  return out;
}

interface Tensor {
  name: string;
  dtype: string;
  shape: number[];
  data: Uint8Array;
}

/** A safetensors file, as the `safetensors` crate serializes one. */
function safetensors(tensors: Tensor[], metadata: Record<string, string> | null, trailing = 0): Uint8Array {
  const header: Record<string, unknown> = metadata ? { __metadata__: metadata } : {};
  let offset = 0;
  for (const t of tensors) {
    header[t.name] = { dtype: t.dtype, shape: t.shape, data_offsets: [offset, offset + t.data.length] };
    offset += t.data.length;
  }
  const json = new TextEncoder().encode(JSON.stringify(header));
  const out = new Uint8Array(8 + json.length + offset + trailing);
  new DataView(out.buffer).setBigUint64(0, BigInt(json.length), true);
  out.set(json, 8);
  let at = 8 + json.length;
  for (const t of tensors) {
    out.set(t.data, at);
    at += t.data.length;
  }
  return out;
}

const i32 = (...values: number[]) => {
  const bytes = new Uint8Array(values.length * 4);
  values.forEach((v, i) => new DataView(bytes.buffer).setInt32(i * 4, v, true));
  return bytes;
};
const zeros = (n: number) => new Uint8Array(n);

/** A valid two-layer model, in -> hidden -> classes. */
function layers(inputs: number, hidden: number, classes: number): Tensor[] {
  return [
    { name: 'layers.0.weight', dtype: 'I8', shape: [hidden, inputs], data: zeros(hidden * inputs) },
    { name: 'layers.0.bias', dtype: 'I32', shape: [hidden], data: zeros(4 * hidden) },
    { name: 'layers.0.requant', dtype: 'I32', shape: [2], data: i32(1 << 30, 31) },
    { name: 'layers.1.weight', dtype: 'I8', shape: [classes, hidden], data: zeros(classes * hidden) },
    { name: 'layers.1.bias', dtype: 'I32', shape: [classes], data: zeros(4 * classes) },
  ];
}
const MLP_META = { format: 'ignis-mlp-i8', layers: '2' };

const errorOf = (f: () => unknown): string => {
  try {
    f();
  } catch (error) {
    expect(error).toBeInstanceOf(TensorFileError);
    return (error as Error).message;
  }
  throw new Error('expected a TensorFileError');
};

describe('.npy files', () => {
  it('reads the digits batch: int8, 450 x 64, C order', () => {
    const header = readNpyHeader('test_inputs.npy', digitsInputs);
    expect(header).toMatchObject({ descr: '|i1', fortranOrder: false, shape: [450, 64] });
    expect(digitsInputs.length - header.dataOffset).toBe(450 * 64);
    expect(readNpyMatrixI8('test_inputs.npy', digitsInputs)).toMatchObject({ rows: 450, cols: 64, order: 'C', descr: '|i1' });
  });

  it('names the file, what it must hold and what it holds', () => {
    expect(errorOf(() => readNpyMatrixI8('batch.npy', digitsLogits))).toBe('batch.npy holds numpy <i4 values; it must hold int8 (numpy |i1)');
    expect(errorOf(() => readNpyMatrixI8('labels.npy', example('test_labels.npy')))).toBe(
      'labels.npy holds numpy |u1 values; it must hold int8 (numpy |i1)',
    );
    expect(errorOf(() => readNpyMatrixI32('out.npy', digitsInputs))).toBe('out.npy holds numpy |i1 values; it must hold int32 (numpy <i4)');
    const vector = npyWith("{'descr': '|i1', 'fortran_order': False, 'shape': (5,), }", zeros(5));
    expect(errorOf(() => readNpyMatrixI8('v.npy', vector))).toBe('v.npy has shape [5]; expected a matrix (2 dimensions)');
    const cube = npyWith("{'descr': '|i1', 'fortran_order': False, 'shape': (2, 2, 2), }", zeros(8));
    expect(errorOf(() => readNpyMatrixI8('c.npy', cube))).toBe('c.npy has shape [2, 2, 2]; expected a matrix (2 dimensions)');
    const structured = npyWith("{'descr': [('a', '<i4'), ('b', '|i1')], 'fortran_order': False, 'shape': (1, 1), }", zeros(5));
    expect(errorOf(() => readNpyMatrixI8('s.npy', structured))).toBe('s.npy holds a structured or array dtype values; it must hold int8 (numpy |i1)');
  });

  it('refuses what is not a .npy file, or is cut short', () => {
    expect(errorOf(() => readNpyMatrixI8('model.safetensors', digitsModel))).toBe(
      'model.safetensors is not a readable .npy file (it does not start with the .npy magic string)',
    );
    expect(errorOf(() => readNpyMatrixI8('cut.npy', digitsInputs.subarray(0, 1000)))).toBe(
      'cut.npy is not a readable .npy file (its data is shorter than its shape)',
    );
    expect(errorOf(() => readNpyMatrixI8('head.npy', digitsInputs.subarray(0, 40)))).toMatch(/^head\.npy is not a readable \.npy file \(it ends inside its header\)$/);
    const garbled = npyWith("{'descr': '|i1', 'fortran_order': False, 'shape': (2, 2)", zeros(4));
    expect(errorOf(() => readNpyMatrixI8('g.npy', garbled))).toMatch(/^g\.npy is not a readable \.npy file \(its header is not a Python dictionary/);
  });

  it('reads format version 2 headers', () => {
    const v2 = npyWith("{'descr': '|i1', 'fortran_order': False, 'shape': (2, 3), }", Uint8Array.from([1, 2, 3, 4, 5, 6]), 2);
    expect(readNpyMatrixI8('v2.npy', v2)).toMatchObject({ rows: 2, cols: 3, order: 'C' });
  });

  it('accepts Fortran order and reads it column by column', () => {
    // [[1, 2, 3], [4, 5, 6]] stored column-major: 1 4 2 5 3 6.
    const f = npyWith("{'descr': '<i4', 'fortran_order': True, 'shape': (2, 3), }", i32(1, 4, 2, 5, 3, 6));
    const matrix = readNpyMatrixI32('f.npy', f);
    expect(matrix).toMatchObject({ rows: 2, cols: 3, order: 'F' });
    expect([...int32Values(matrix, f)]).toEqual([1, 2, 3, 4, 5, 6]);
    const int8 = npyWith("{'descr': '|i1', 'fortran_order': True, 'shape': (64, 3), }", zeros(192));
    expect(readNpyMatrixI8('t.npy', int8)).toMatchObject({ rows: 64, cols: 3, order: 'F' });
  });

  it('writes what it reads, as numpy lays it out', () => {
    const bytes = npyMatrixI32(2, 2, [1, -2, 3, 2_147_483_647]);
    expect((10 + new DataView(bytes.buffer).getUint16(8, true)) % 64).toBe(0);
    const matrix = readNpyMatrixI32('w.npy', bytes);
    expect([...int32Values(matrix, bytes)]).toEqual([1, -2, 3, 2_147_483_647]);
    expect(readNpyMatrixI8('w8.npy', npyMatrixI8(3, 1, [-1, 0, 127]))).toMatchObject({ rows: 3, cols: 1 });
    // The header numpy wrote for the digits batch is the one npyBytes writes.
    const ours = npyBytes('|i1', 450, 64, digitsInputs.subarray(128));
    expect(toHex(ours)).toBe(toHex(digitsInputs));
  });

  it('parses the Python literals of a header', () => {
    expect(parsePythonLiteral("{'descr': '<f8', 'fortran_order': True, 'shape': (3,), 'x': [1, -2], 'n': None}")).toEqual({
      descr: '<f8',
      fortran_order: true,
      shape: [3],
      x: [1, -2],
      n: null,
    });
    expect(parsePythonLiteral('()')).toEqual([]);
    expect(() => parsePythonLiteral("{'a': 1} trailing")).toThrow(/text after the literal/);
  });
});

describe('mlp-i8 models (safetensors)', () => {
  it('reads the digits model: 64 -> 64 -> 10 with its requantization', () => {
    const model = readMlp('model.safetensors', digitsModel);
    expect(model.layers).toEqual([
      { inputs: 64, outputs: 64, requant: { multiplier: 1_765_450_916, shift: 40 } },
      { inputs: 64, outputs: 10, requant: null },
    ]);
    expect(model.tensors.map((t) => `${t.name} ${t.dtype} [${t.shape.join(', ')}]`).sort()).toEqual([
      'layers.0.bias I32 [64]',
      'layers.0.requant I32 [2]',
      'layers.0.weight I8 [64, 64]',
      'layers.1.bias I32 [10]',
      'layers.1.weight I8 [10, 64]',
    ]);
  });

  it('reads a model built the way write_mlp builds one', () => {
    expect(readMlp('m.safetensors', safetensors(layers(4, 3, 2), MLP_META)).layers.map((l) => [l.inputs, l.outputs])).toEqual([
      [4, 3],
      [3, 2],
    ]);
  });

  it('says what is wrong with a model, naming the file and the tensor', () => {
    const named = (tensors: Tensor[], meta: Record<string, string> | null = MLP_META) => errorOf(() => readMlp('m.safetensors', safetensors(tensors, meta)));
    expect(named(layers(4, 3, 2), { format: 'pytorch', layers: '2' })).toBe(
      'm.safetensors: the model\'s metadata names format "pytorch"; an mlp-i8 model\'s is "ignis-mlp-i8"',
    );
    expect(named(layers(4, 3, 2), null)).toBe('m.safetensors: the model\'s metadata names format none; an mlp-i8 model\'s is "ignis-mlp-i8"');
    expect(named(layers(4, 3, 2), { format: 'ignis-mlp-i8' })).toBe(
      'm.safetensors: the model\'s metadata must give `layers`, the number of layers (1 to 64)',
    );
    expect(named(layers(4, 3, 2).filter((t) => t.name !== 'layers.1.bias'))).toBe('m.safetensors: the model has no tensor `layers.1.bias`');
    const float = layers(4, 3, 2).map((t) => (t.name === 'layers.0.weight' ? { ...t, dtype: 'F32', data: zeros(48) } : t));
    expect(named(float)).toBe('m.safetensors: layers.0.weight holds F32 values; it must hold int8 (I8)');
    const badBias = layers(4, 3, 2).map((t) => (t.name === 'layers.1.bias' ? { ...t, shape: [3], data: zeros(12) } : t));
    expect(named(badBias)).toBe("m.safetensors: layers.1.bias has shape [3]; expected [2] (the weight's outputs)");
    const lastRequant = [...layers(4, 3, 2), { name: 'layers.1.requant', dtype: 'I32', shape: [2], data: i32(1, 1) }];
    expect(named(lastRequant)).toBe('m.safetensors: the model\'s last layer gives the logits and must not have layers.1.requant');
    const noRequant = layers(4, 3, 2).filter((t) => t.name !== 'layers.0.requant');
    expect(named(noRequant)).toBe('m.safetensors: the model has no tensor `layers.0.requant`');
    const badShift = layers(4, 3, 2).map((t) => (t.name === 'layers.0.requant' ? { ...t, data: i32(5, 63) } : t));
    expect(named(badShift)).toBe(
      'm.safetensors: the model does not hold together: layer 0: requantization multiplier 5 and shift 63 are out of range (1..=2^31-1, 1..=62)',
    );
    const mismatch = layers(4, 3, 2).map((t) => (t.name === 'layers.1.weight' ? { ...t, shape: [2, 5], data: zeros(10) } : t));
    expect(named(mismatch)).toBe('m.safetensors: the model does not hold together: layer 1 takes 5 inputs, but the layer before it gives 3');
  });

  it('refuses a file that is not a valid safetensors file', () => {
    expect(errorOf(() => readMlp('batch.npy', digitsInputs))).toMatch(/^batch\.npy is not a readable safetensors file \(/);
    expect(errorOf(() => readMlp('m.safetensors', safetensors(layers(4, 3, 2), MLP_META, 3)))).toBe(
      'm.safetensors is not a readable safetensors file (its data section holds 49 bytes, not the 46 its tensors describe)',
    );
    const short = layers(4, 3, 2).map((t) => (t.name === 'layers.0.bias' ? { ...t, data: zeros(8) } : t));
    expect(errorOf(() => readMlp('m.safetensors', safetensors(short, MLP_META)))).toBe(
      'm.safetensors is not a readable safetensors file (tensor layers.0.bias holds 8 bytes, not the 12 its dtype and shape need)',
    );
    expect(errorOf(() => readMlp('m.safetensors', digitsModel.subarray(0, 100)))).toBe('m.safetensors is not a readable safetensors file (it ends inside its header)');
  });
});

describe('the job shape (tensor_job::try_shape)', () => {
  const model = readMlp('model.safetensors', digitsModel);
  const batch = readNpyMatrixI8('test_inputs.npy', digitsInputs);

  it('mlp-i8: a row per sample, 4 bytes per class, the sum of in x out per row', () => {
    expect(jobShape({ kernel: 'mlp-i8', model, batch })).toEqual({ rows: 450, rowBytes: 40, macsPerRow: 64n * 64n + 64n * 10n });
  });

  it('gemm-i8: m rows of 4n bytes, k x n per row', () => {
    const a = readNpyMatrixI8('A.npy', npyMatrixI8(3, 5, []));
    const b = readNpyMatrixI8('B.npy', npyMatrixI8(5, 2, []));
    expect(jobShape({ kernel: 'gemm-i8', a, b })).toEqual({ rows: 3, rowBytes: 8, macsPerRow: 10n });
  });

  it('refuses files that do not fit together, naming the file', () => {
    const a = readNpyMatrixI8('A.npy', npyMatrixI8(3, 5, []));
    const b = readNpyMatrixI8('B.npy', npyMatrixI8(4, 2, []));
    expect(errorOf(() => jobShape({ kernel: 'gemm-i8', a, b }))).toBe('B.npy has shape [4, 2]; expected [5, n] (as many rows as A.npy has columns)');
    const narrow = readNpyMatrixI8('x.npy', npyMatrixI8(10, 32, []));
    expect(errorOf(() => jobShape({ kernel: 'mlp-i8', model, batch: narrow }))).toBe(
      'x.npy has shape [10, 32]; expected [batch, 64] (the inputs of the model model.safetensors)',
    );
    const empty = readNpyMatrixI8('e.npy', npyMatrixI8(0, 64, []));
    expect(errorOf(() => jobShape({ kernel: 'mlp-i8', model, batch: empty }))).toMatch(/^e\.npy has shape \[0, 64\]/);
  });

  it('knows the protocol’s bounds (TensorSpec::validate)', () => {
    expect(shapeProblems({ rows: 450, rowBytes: 40, macsPerRow: 4_736n })).toEqual([]);
    expect(shapeProblems({ rows: 1_048_577, rowBytes: 4, macsPerRow: 1n })).toEqual([
      'This job is outside the protocol’s bounds: it has 1048577 output rows, and a job may have 1 to 1048576',
    ]);
    expect(shapeProblems({ rows: 1, rowBytes: 4 * 262_145, macsPerRow: 1n })).toHaveLength(1);
    expect(shapeProblems({ rows: 1_048_576, rowBytes: 4, macsPerRow: 4_194_305n })).toEqual([
      'This job is outside the protocol’s bounds: it has 4398047559680 multiply-adds, and a job may have at most 4398046511104 (2^42): split the batch',
    ]);
    expect(shapeProblems({ rows: 1_048_576, rowBytes: 4, macsPerRow: 4_194_304n })).toEqual([]);
    expect(shapeProblems({ rows: 1, rowBytes: 4, macsPerRow: 0n })).toEqual(['This job is outside the protocol’s bounds: it has no multiply-adds to do']);
  });
});

describe('the output: Merkle root over rows, predictions', () => {
  const leaf = (row: Uint8Array) => createHash('sha256').update(Uint8Array.of(0)).update(row).digest();
  const node = (l: Uint8Array, r: Uint8Array) => createHash('sha256').update(Uint8Array.of(1)).update(l).update(r).digest();

  it('matches roots computed independently (Python hashlib)', async () => {
    expect(toHex(await merkleRoot(i32(1, 2, 3, 4, 5, 6), 8))).toBe('ef06e3833c2939374c0137380143a89c730b97d45cb91d88452973e1f14b2683');
    expect(toHex(await merkleRoot(i32(1, 2), 8))).toBe('f64ec6aeff74ab2ec8b028c776a3b3f9be625617a26723900b440416ba72c7ec');
    expect(toHex(await merkleRoot(i32(-1, 0, 1, 2_147_483_647, -2_147_483_648), 4))).toBe(
      'adcee64ff8bc459b878cff4e8ebe152bd549f12502c7444fd832d5ba74883b64',
    );
    expect(toHex(await merkleRoot(new Uint8Array(), 4))).toBe('0'.repeat(64));
  });

  it('carries an odd node up unchanged', async () => {
    const rows = [i32(1, 2), i32(3, 4), i32(5, 6)];
    const [l0, l1, l2] = rows.map(leaf) as [Buffer, Buffer, Buffer];
    // Three leaves: the third is carried to the second level, not paired with itself.
    expect(toHex(await merkleRoot(i32(1, 2, 3, 4, 5, 6), 8))).toBe(toHex(node(node(l0, l1), l2)));
    expect(toHex(node(node(l0, l1), l2))).not.toBe(toHex(node(node(l0, l1), node(l2, l2))));
    // Five leaves: carried at the first level and again at the second.
    const five = [1, 2, 3, 4, 5].map((v) => leaf(i32(v)));
    const expected = node(node(node(five[0]!, five[1]!), node(five[2]!, five[3]!)), five[4]!);
    expect(toHex(await merkleRoot(i32(1, 2, 3, 4, 5), 4))).toBe(toHex(expected));
  });

  it('checks the digits logits against their root, refusing another root or shape', async () => {
    const output = await checkOutput('out.npy', digitsLogits, { rows: 450, rootHex: DIGITS_LOGITS_ROOT });
    expect(output).toMatchObject({ rows: 450, cols: 10 });
    expect(toHex(await merkleRoot(rowBytesOf(output.values), 40))).toBe(DIGITS_LOGITS_ROOT);
    await expect(checkOutput('out.npy', digitsLogits, { rows: 450, rootHex: 'ab'.repeat(32) })).rejects.toThrow(
      `out.npy's Merkle root ${DIGITS_LOGITS_ROOT} is not the one the job settled on (${'ab'.repeat(32)})`,
    );
    await expect(checkOutput('out.npy', digitsLogits, { rows: 449, rootHex: DIGITS_LOGITS_ROOT })).rejects.toThrow(
      'out.npy is 450 × 10; the job has 449 output rows',
    );
    await expect(checkOutput('out.npy', digitsInputs, { rows: 450, rootHex: DIGITS_LOGITS_ROOT })).rejects.toThrow(
      'out.npy holds numpy |i1 values; it must hold int32 (numpy <i4)',
    );
    // The same values in Fortran order have the same rows, so the same root.
    const values = int32Values(readNpyMatrixI32('l', digitsLogits), digitsLogits);
    const transposed = new Uint8Array(450 * 10 * 4);
    for (let r = 0; r < 450; r++) for (let c = 0; c < 10; c++) new DataView(transposed.buffer).setInt32((c * 450 + r) * 4, values[r * 10 + c]!, true);
    const fortran = npyBytes('<i4', 450, 10, transposed, true);
    await expect(checkOutput('f.npy', fortran, { rows: 450, rootHex: DIGITS_LOGITS_ROOT })).resolves.toMatchObject({ rows: 450 });
  });

  it('predicts as the model does: argmax, lowest index on ties', () => {
    expect(argmax([1, 5, 5, 2])).toBe(1);
    expect(argmax([-3, -3])).toBe(0);
    expect(argmax([0])).toBe(0);
    const values = int32Values(readNpyMatrixI32('l', digitsLogits), digitsLogits);
    const predicted = predictions(values, 10);
    const expected = example('expected_predictions.npy');
    const header = readNpyHeader('p', expected);
    expect([...predicted]).toEqual([...expected.subarray(header.dataOffset)]);
    const counts = classCounts(predicted, 10);
    expect(counts).toHaveLength(10);
    expect(counts.reduce((a, b) => a + b, 0)).toBe(450);
    expect(predictions(Int32Array.from([1, 1, 0, 2, 7, 7]), 2)).toEqual([0, 1, 0]);
  });
});
