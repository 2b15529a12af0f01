// A checked job output on My jobs: a link that saves the `.npy`, its shape, its first
// rows, and for mlp-i8 a bar chart of the predicted classes (plain SVG).

import { formatBytes } from '../lib/format';
import type { JobResult } from '../lib/jobOutput';
import { classCounts } from '../lib/tensors';
import { h } from './dom';

const PREVIEW_ROWS = 5;
const PREVIEW_COLS = 12;
const SVG = 'http://www.w3.org/2000/svg';

function svg<K extends keyof SVGElementTagNameMap>(tag: K, attrs: Record<string, string | number>, ...children: Array<Node | string>): SVGElementTagNameMap[K] {
  const el = document.createElementNS(SVG, tag);
  for (const [key, value] of Object.entries(attrs)) el.setAttribute(key, String(value));
  for (const child of children) el.append(child);
  return el;
}

/** Predicted classes and how many rows predict each: one bar per class. */
export function predictionChart(predicted: readonly number[], classes: number): HTMLElement {
  const counts = classCounts(predicted, classes);
  const most = Math.max(1, ...counts);
  const barWidth = 28;
  const gap = 8;
  const height = 120;
  const width = classes * (barWidth + gap) + gap;
  const bars = counts.map((count, index) => {
    const barHeight = Math.round((count / most) * height);
    const x = gap + index * (barWidth + gap);
    return svg(
      'g',
      { 'data-testid': 'prediction-bar', 'data-class': index, 'data-count': count },
      svg('title', {}, `class ${index}: ${count} ${count === 1 ? 'row' : 'rows'}`),
      svg('rect', { x, y: 16 + height - barHeight, width: barWidth, height: barHeight, rx: 3, class: 'bar' }),
      svg('text', { x: x + barWidth / 2, y: 12 + height - barHeight, 'text-anchor': 'middle', class: 'bar-count' }, String(count)),
      svg('text', { x: x + barWidth / 2, y: height + 32, 'text-anchor': 'middle', class: 'bar-label' }, String(index)),
    );
  });
  return h(
    'figure',
    { class: 'chart prediction-chart', 'data-testid': 'prediction-chart', 'data-total': predicted.length, 'data-classes': classes },
    h('figcaption', null, `Predicted class of each of the ${predicted.length} rows (argmax of its logits)`),
    svg('svg', { viewBox: `0 0 ${width} ${height + 40}`, role: 'img', 'aria-label': counts.map((c, i) => `class ${i}: ${c}`).join(', ') }, ...bars),
  );
}

/** The checked output: save link, shape, first rows, and the prediction chart for mlp-i8. */
export function outputPreview(jobId: number, result: JobResult, url: string): HTMLElement {
  const fileName = `job-${jobId}-output.npy`;
  const cols = Math.min(result.cols, PREVIEW_COLS);
  const shown = Math.min(result.rows, PREVIEW_ROWS);
  const value = (row: number, col: number) => result.values[row * result.cols + col] ?? 0;
  const table = h(
    'div',
    { class: 'table-wrap' },
    h(
      'table',
      { class: 'table', 'data-testid': 'result-rows' },
      h(
        'thead',
        null,
        h(
          'tr',
          null,
          h('th', null, 'row'),
          Array.from({ length: cols }, (_, c) => h('th', null, String(c))),
          result.cols > cols ? h('th', null, '…') : null,
          result.predictions ? h('th', null, 'class') : null,
        ),
      ),
      h(
        'tbody',
        null,
        Array.from({ length: shown }, (_, r) =>
          h(
            'tr',
            null,
            h('td', null, String(r)),
            Array.from({ length: cols }, (_, c) => h('td', null, String(value(r, c)))),
            result.cols > cols ? h('td', null, '…') : null,
            result.predictions ? h('td', null, h('strong', null, String(result.predictions[r]))) : null,
          ),
        ),
      ),
    ),
  );
  return h(
    'div',
    { class: 'job-output', 'data-testid': 'job-output' },
    h(
      'p',
      null,
      h('a', { class: 'button button-small', href: url, download: fileName, 'data-testid': 'result-download' }, `Save ${fileName}`),
      ` ${formatBytes(result.npy.length)}, SHA-256 and Merkle root checked`,
    ),
    h(
      'p',
      { 'data-testid': 'result-shape', 'data-rows': result.rows, 'data-cols': result.cols },
      `${result.rows} × ${result.cols} int32`,
      shown < result.rows ? h('small', { class: 'muted' }, ` (the first ${shown} rows)`) : null,
    ),
    table,
    result.predictions ? predictionChart(result.predictions, result.cols) : null,
  );
}
