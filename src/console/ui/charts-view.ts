/**
 * The figures charts: uPlot draws the columns {@link FiguresHistory} gives. A chart is
 * made again when its series change (a service appears), else only its data is set.
 */
import uPlot from 'uplot';
import type { Columns } from './figures-history.js';

const PALETTE = ['#0969da', '#2ea043', '#e3861f', '#8250df', '#d73a49', '#1b7c83', '#bf8700', '#57606a', '#cf222e'];

/** One uPlot time chart in `container`. */
export class TimeChart {
  private plot: uPlot | undefined;
  private labels = '';

  constructor(
    private readonly container: HTMLElement,
    private readonly title: string,
    private readonly unit: string,
  ) {
    new ResizeObserver(() => this.plot?.setSize(this.size())).observe(container);
  }

  /** Draws `columns`. */
  update(columns: Columns): void {
    const labels = columns.labels.join('\u0000');
    if (this.plot === undefined || labels !== this.labels) {
      this.plot?.destroy();
      this.labels = labels;
      this.plot = new uPlot(
        {
          title: this.title,
          ...this.size(),
          scales: { x: { time: true } },
          series: [{}, ...columns.labels.map((label, i) => ({ label, stroke: label === 'total' ? '#1f2328' : PALETTE[i % PALETTE.length], width: label === 'total' ? 2 : 1.5, dash: label === 'total' ? [6, 4] : undefined }))],
          axes: [{}, { label: this.unit, size: 60 }],
          legend: { live: true },
        },
        columns.data as uPlot.AlignedData,
        this.container,
      );
    } else {
      this.plot.setData(columns.data as uPlot.AlignedData);
    }
    this.container.dataset['points'] = String(columns.data[0].length);
    const last = columns.data[0][columns.data[0].length - 1];
    if (last !== undefined) this.container.dataset['lastAt'] = String(last);
  }

  private size(): { width: number; height: number } {
    return { width: Math.max(240, this.container.clientWidth), height: 150 };
  }
}
