// The files of a job on your data, on the post page: the kernel (gemm-i8 or mlp-i8) and
// its two inputs, each chosen with a file picker or dropped on its box. Each file is
// read as soon as it is chosen: its dtype and shape are shown, or why it cannot be
// used (lib/tensors.ts), and the two must fit together; only then can the job be
// posted. Posting uploads them first (lib/blobs.ts), with each file's progress.

import type { TensorSpecArgs } from '../generated';
import { BlobError, type BlobClient } from '../lib/blobs';
import type { TensorDraft } from '../lib/cost';
import { formatBytes } from '../lib/format';
import {
  formatShape,
  fromHex,
  jobShape,
  mlpClasses,
  mlpInputs,
  readMlp,
  readNpyMatrixI8,
  sha256,
  TENSOR_KERNELS,
  TensorFileError,
  toHex,
  type MlpModel,
  type NpyMatrix,
  type TensorKernel,
} from '../lib/tensors';
import { h, replaceChildren } from './dom';

interface SlotSpec {
  /** What the problems list asks for. */
  what: string;
  label: string;
  accept: string;
  format: 'npy' | 'model';
}

const SLOTS: Record<TensorKernel, [SlotSpec, SlotSpec]> = {
  'gemm-i8': [
    { what: 'A (.npy)', label: 'A: int8 matrix, m × k (.npy)', accept: '.npy', format: 'npy' },
    { what: 'B (.npy)', label: 'B: int8 matrix, k × n (.npy)', accept: '.npy', format: 'npy' },
  ],
  'mlp-i8': [
    { what: 'the model (.safetensors)', label: 'Model: ignis-mlp-i8 (.safetensors)', accept: '.safetensors', format: 'model' },
    { what: 'the batch (.npy)', label: 'Batch: int8, one row per sample (.npy)', accept: '.npy', format: 'npy' },
  ],
};

type Parsed = { format: 'npy'; matrix: NpyMatrix } | { format: 'model'; model: MlpModel };

type SlotState =
  | { status: 'empty' }
  | { status: 'reading'; file: File }
  | { status: 'error'; file: File; error: string }
  | { status: 'ready'; file: File; bytes: Uint8Array; sha256: string; parsed: Parsed };

/** A tensor job whose files are read and fit together: what to upload and post. */
export interface ReadyTensorJob {
  kernel: TensorKernel;
  spec: TensorSpecArgs;
  files: Array<{ name: string; bytes: Uint8Array; sha256: string }>;
}

export interface TensorFiles {
  element: HTMLElement;
  /** Why the job cannot be posted yet (empty when it can), its shape once known, and what to post. */
  state(): { problems: string[]; shape: TensorDraft | null; ready: ReadyTensorJob | null };
  kernel(): TensorKernel;
  /** Uploads both files (resuming what the data plane already holds), showing each one's progress. */
  upload(client: BlobClient, say: (text: string) => void): Promise<void>;
}

function describeParsed(parsed: Parsed): Array<Node | string> {
  if (parsed.format === 'npy') {
    const m = parsed.matrix;
    return [
      `int8 (numpy ${m.descr}), shape ${formatShape([m.rows, m.cols])}`,
      m.order === 'F' ? ', Fortran order (accepted: read column by column)' : ', C order',
    ];
  }
  const model = parsed.model;
  const widths = [mlpInputs(model), ...model.layers.map((l) => l.outputs)];
  return [
    `ignis-mlp-i8, ${model.layers.length} ${model.layers.length === 1 ? 'layer' : 'layers'}: ${widths.join(' → ')} (${mlpClasses(model)} classes)`,
    h('br'),
    h('small', null, model.tensors.map((t) => `${t.name} ${t.dtype} ${formatShape(t.shape)}`).join(' · ')),
  ];
}

export function tensorFiles(onChange: () => void): TensorFiles {
  const kernelSelect = h(
    'select',
    { name: 'tensor-kernel', 'data-testid': 'tensor-kernel' },
    h('option', { value: 'gemm-i8' }, 'gemm-i8: int8 matrix product A × B'),
    h('option', { value: 'mlp-i8' }, 'mlp-i8: an int8 model on a batch'),
  );
  const states: SlotState[] = [{ status: 'empty' }, { status: 'empty' }];
  /** A newer read of a slot wins over an older one still running. */
  const generations = [0, 0];
  const kernel = () => kernelSelect.value as TensorKernel;

  const boxes = [0, 1].map((index) => {
    const input = h('input', { type: 'file', 'data-testid': `tensor-file-${index}` });
    const label = h('span');
    const info = h('div', { class: 'drop-info', 'data-testid': `tensor-info-${index}`, 'aria-live': 'polite' });
    const bar = h('progress', { max: 1, value: 0 });
    const barText = h('small');
    const progress = h('div', { class: 'drop-progress', 'data-testid': `tensor-progress-${index}`, hidden: true }, bar, barText);
    const box = h(
      'div',
      { class: 'drop', 'data-testid': `tensor-slot-${index}`, 'data-state': 'empty' },
      h('label', { class: 'field' }, label, input),
      h('small', { class: 'drop-hint' }, 'Choose a file, or drop it here.'),
      info,
      progress,
    );
    input.addEventListener('change', () => {
      const file = input.files?.[0];
      if (file) void choose(index, file);
    });
    box.addEventListener('dragover', (event) => {
      event.preventDefault();
      box.classList.add('drop-over');
    });
    box.addEventListener('dragleave', () => box.classList.remove('drop-over'));
    box.addEventListener('drop', (event) => {
      event.preventDefault();
      box.classList.remove('drop-over');
      const file = event.dataTransfer?.files[0];
      if (!file) return;
      // The picker would otherwise still name a file chosen before.
      input.value = '';
      void choose(index, file);
    });
    return { box, input, label, info, progress, bar, barText };
  });

  const renderSlots = () => {
    const specs = SLOTS[kernel()];
    boxes.forEach((b, index) => {
      const spec = specs[index]!;
      const state = states[index]!;
      b.label.textContent = spec.label;
      b.input.accept = spec.accept;
      b.box.dataset.state = state.status;
      if (state.status === 'empty') replaceChildren(b.info);
      else if (state.status === 'reading') replaceChildren(b.info, `Reading ${state.file.name}…`);
      else if (state.status === 'error') {
        replaceChildren(b.info, h('span', { class: 'drop-error', 'data-testid': `tensor-error-${index}` }, state.error));
      } else {
        replaceChildren(b.info, h('strong', null, state.file.name), ` · ${formatBytes(state.file.size)} · `, describeParsed(state.parsed));
      }
    });
  };
  const render = () => {
    renderSlots();
    onChange();
  };

  const read = async (index: number, file: File): Promise<SlotState> => {
    const spec = SLOTS[kernel()][index]!;
    try {
      const bytes = new Uint8Array(await file.arrayBuffer());
      const parsed: Parsed =
        spec.format === 'npy' ? { format: 'npy', matrix: readNpyMatrixI8(file.name, bytes) } : { format: 'model', model: readMlp(file.name, bytes) };
      return { status: 'ready', file, bytes, sha256: toHex(await sha256(bytes)), parsed };
    } catch (error) {
      const sentence = error instanceof TensorFileError ? error.message : `${file.name} cannot be read: ${(error as Error).message}`;
      return { status: 'error', file, error: sentence };
    }
  };

  const choose = async (index: number, file: File) => {
    const generation = ++generations[index]!;
    states[index] = { status: 'reading', file };
    boxes[index]!.progress.hidden = true;
    render();
    const state = await read(index, file);
    if (generation !== generations[index]) return;
    states[index] = state;
    render();
  };

  // Another kernel reads the same files differently (a model, or a matrix).
  kernelSelect.addEventListener('change', () => {
    states.forEach((state, index) => {
      if (state.status !== 'empty') void choose(index, state.file);
    });
    render();
  });

  const state: TensorFiles['state'] = () => {
    const specs = SLOTS[kernel()];
    const problems: string[] = [];
    states.forEach((s, index) => {
      if (s.status === 'empty') problems.push(`Choose ${specs[index]!.what}`);
      else if (s.status === 'reading') problems.push(`Reading ${s.file.name}…`);
      else if (s.status === 'error') problems.push(s.error);
    });
    const [first, second] = states;
    if (problems.length || first?.status !== 'ready' || second?.status !== 'ready') return { problems, shape: null, ready: null };
    try {
      const shape =
        first.parsed.format === 'npy' && second.parsed.format === 'npy'
          ? jobShape({ kernel: 'gemm-i8', a: first.parsed.matrix, b: second.parsed.matrix })
          : first.parsed.format === 'model' && second.parsed.format === 'npy'
            ? jobShape({ kernel: 'mlp-i8', model: first.parsed.model, batch: second.parsed.matrix })
            : null;
      if (!shape) return { problems: ['Reading the files…'], shape: null, ready: null };
      const files = [first, second].map((s) => ({ name: s.file.name, bytes: s.bytes, sha256: s.sha256 }));
      const spec: TensorSpecArgs = {
        kernel: TENSOR_KERNELS[kernel()],
        inputs: files.map((f) => ({ sha256: fromHex(f.sha256), size: BigInt(f.bytes.length) })),
        rows: shape.rows,
        rowBytes: shape.rowBytes,
        macsPerRow: shape.macsPerRow,
      };
      const inputBytes = BigInt(first.bytes.length + second.bytes.length);
      return { problems: [], shape: { ...shape, inputBytes }, ready: { kernel: kernel(), spec, files } };
    } catch (error) {
      if (error instanceof TensorFileError) return { problems: [error.message], shape: null, ready: null };
      throw error;
    }
  };

  const upload: TensorFiles['upload'] = async (client, say) => {
    const ready = state().ready;
    if (!ready) throw new Error('Choose both files first');
    for (const [index, file] of ready.files.entries()) {
      const box = boxes[index]!;
      box.progress.hidden = false;
      box.progress.dataset.state = 'uploading';
      const show = (done: number, total: number) => {
        box.bar.max = Math.max(total, 1);
        box.bar.value = done;
        box.barText.textContent = ` ${formatBytes(done)} of ${formatBytes(total)}`;
      };
      show(0, file.bytes.length);
      say(`Uploading ${file.name}: approve each request in your wallet…`);
      try {
        const report = await client.put(file.bytes, show, file.sha256);
        box.barText.textContent = report.chunksSent === 0 && report.info.createdAt === 0 ? ' already stored' : ' uploaded';
        box.progress.dataset.state = 'done';
      } catch (error) {
        box.progress.dataset.state = 'error';
        const sentence = error instanceof BlobError ? error.message : (error as Error).message;
        throw new Error(`Uploading ${file.name}: ${sentence.replace(/\.$/, '')}`, { cause: error });
      }
    }
  };

  const element = h(
    'div',
    { class: 'kind-fields tensor-fields' },
    h('label', { class: 'field' }, h('span', null, 'Kernel'), kernelSelect, h('small', null, 'Your files are checked here before anything is paid, then uploaded to the orchestrator’s data plane; only you and the job’s workers can read them.')),
    boxes.map((b) => b.box),
  );
  renderSlots();
  return { element, state, kernel, upload };
}
