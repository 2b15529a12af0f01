// Time-series charts with uPlot (about 50 kB), sized to their container.
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import { h } from './dom';

export interface SeriesSpec {
  label: string;
  color: string;
  format?: (v: number) => string;
}

export class TimeChart {
  readonly element: HTMLElement;
  private plot: uPlot | null = null;
  private observer: ResizeObserver | null = null;
  private data: [number[], ...number[][]];

  constructor(
    title: string,
    private readonly series: SeriesSpec[],
    testId: string,
  ) {
    this.data = [[], ...series.map(() => [] as number[])];
    const body = h('div', { class: 'chart-body' });
    this.element = h('figure', { class: 'chart', 'data-testid': testId }, h('figcaption', null, title), body);
    queueMicrotask(() => this.mount(body));
  }

  private mount(body: HTMLElement): void {
    if (typeof ResizeObserver === 'undefined') return;
    const width = () => Math.max(240, body.clientWidth || 320);
    this.plot = new uPlot(
      {
        width: width(),
        height: 200,
        legend: { show: true },
        cursor: { drag: { x: false, y: false } },
        scales: { x: { time: true } },
        axes: [
          { stroke: '#9aa4b2', grid: { stroke: '#2a3140' } },
          {
            stroke: '#9aa4b2',
            grid: { stroke: '#2a3140' },
            size: 72,
            values: (_u, ticks) => ticks.map((t) => this.series[0]?.format?.(t) ?? String(t)),
          },
        ],
        series: [
          {},
          ...this.series.map((s) => ({
            label: s.label,
            stroke: s.color,
            width: 2,
            points: { show: false },
            value: (_u: uPlot, v: number | null) => (v === null ? '–' : (s.format?.(v) ?? String(v))),
          })),
        ],
      },
      this.data,
      body,
    );
    this.observer = new ResizeObserver(() => this.plot?.setSize({ width: width(), height: 200 }));
    this.observer.observe(body);
  }

  /** Replaces every point: x in unix seconds. */
  set(points: Array<{ t: number; values: number[] }>): void {
    const sorted = [...points].sort((a, b) => a.t - b.t);
    this.data = [sorted.map((p) => p.t), ...this.series.map((_, i) => sorted.map((p) => p.values[i] ?? 0))];
    this.plot?.setData(this.data);
  }

  /** Adds a point (ignored when not newer than the last one); keeps the last `max`. */
  push(t: number, values: number[], max = 720): void {
    const xs = this.data[0];
    if (xs.length && t <= xs[xs.length - 1]!) return;
    xs.push(t);
    this.series.forEach((_, i) => this.data[i + 1]!.push(values[i] ?? 0));
    if (xs.length > max) this.data.forEach((column) => column.splice(0, column.length - max));
    this.plot?.setData(this.data);
  }

  destroy(): void {
    this.observer?.disconnect();
    this.plot?.destroy();
  }
}
