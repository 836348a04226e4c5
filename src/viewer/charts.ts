/**
 * Small SVG line charts, drawn on the server: the candidate's weight over time, and candidate vs
 * stable error rate and p99 latency, each with the judge's decisions marked where they were taken.
 */
import { attrs, escape, formatNumber, round } from './html.ts';

export interface ChartPoint {
  /** Minutes since the execution started. */
  x: number;
  y: number | null;
}

export interface ChartSeries {
  label: string;
  /** CSS class: `stable`, `candidate`, `weight`. */
  className: string;
  points: ChartPoint[];
  /** Draw as steps (the weight changes at a moment and holds). */
  step?: boolean;
}

export interface ChartMarker {
  /** Position in the list of decisions (the decisions table refers to it). */
  index: number;
  x: number;
  /** `advance`, `hold`, `promote`, `rollback`. */
  decision: string;
  title: string;
}

export interface ChartSpec {
  title: string;
  /** Unit shown after tick values, e.g. `%` or ` ms`. */
  unit: string;
  series: ChartSeries[];
  markers: ChartMarker[];
  xMax: number;
  /** Fix the top of the y axis (e.g. 100 for weights); otherwise it fits the data. */
  yMax?: number;
  /** Value → tick label (default: the number and the unit). */
  format?: (value: number) => string;
  width?: number;
  height?: number;
}

/** "Nice" tick values (1, 2, 5 × 10^n) covering [0, max]. */
export function niceTicks(max: number, count = 4): number[] {
  if (!(max > 0)) return [0, 1];
  const raw = max / count;
  const power = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 2.5, 5, 10].map((factor) => factor * power).find((candidate) => candidate >= raw) ?? 10 * power;
  const ticks: number[] = [];
  for (let value = 0; value <= max + step * 1e-9; value += step) ticks.push(Number(value.toPrecision(12)));
  if (ticks.at(-1)! < max) ticks.push(Number((ticks.at(-1)! + step).toPrecision(12)));
  return ticks;
}

const PAD = { left: 58, right: 16, top: 34, bottom: 30 };

export function renderChart(spec: ChartSpec): string {
  const width = spec.width ?? 640;
  const height = spec.height ?? 190;
  const plotWidth = width - PAD.left - PAD.right;
  const plotHeight = height - PAD.top - PAD.bottom;
  const values = spec.series.flatMap((series) => series.points.map((point) => point.y)).filter((value): value is number => value !== null && Number.isFinite(value));
  const dataMax = values.length ? Math.max(...values) : 0;
  const yTicks = niceTicks(spec.yMax ?? (dataMax > 0 ? dataMax : 1));
  const yTop = yTicks.at(-1)!;
  const xMax = Math.max(1, spec.xMax);
  const xTicks = niceTicks(xMax, 6).filter((tick) => tick <= xMax);
  const sx = (x: number) => PAD.left + (x / xMax) * plotWidth;
  const sy = (y: number) => PAD.top + plotHeight - (y / yTop) * plotHeight;
  const format = spec.format ?? ((value: number) => `${formatNumber(value)}${spec.unit}`);

  const grid = yTicks
    .map(
      (tick) =>
        `<line${attrs({ class: 'grid', x1: PAD.left, x2: PAD.left + plotWidth, y1: sy(tick), y2: sy(tick) })}/>` +
        `<text${attrs({ class: 'tick', x: PAD.left - 8, y: sy(tick) + 4, 'text-anchor': 'end' })}>${escape(format(tick))}</text>`,
    )
    .join('');
  const xAxis = xTicks
    .map((tick) => `<text${attrs({ class: 'tick', x: sx(tick), y: PAD.top + plotHeight + 18, 'text-anchor': 'middle' })}>${escape(`${formatNumber(tick)}m`)}</text>`)
    .join('');
  const markers = spec.markers
    .map(
      (marker) =>
        `<g${attrs({ class: `marker decision-${marker.decision}`, 'data-index': marker.index })}><title>${escape(marker.title)}</title>` +
        `<line${attrs({ x1: sx(marker.x), x2: sx(marker.x), y1: PAD.top, y2: PAD.top + plotHeight })}/>` +
        `<circle${attrs({ cx: sx(marker.x), cy: PAD.top - 6, r: 4 })}/></g>`,
    )
    .join('');
  const lines = spec.series
    .map((series) => {
      const segments: string[] = [];
      let current = '';
      let previousY: number | undefined;
      for (const point of series.points) {
        if (point.y === null || !Number.isFinite(point.y)) {
          if (current) segments.push(current);
          current = '';
          previousY = undefined;
          continue;
        }
        const x = round(sx(Math.min(point.x, xMax)));
        const y = round(sy(Math.min(point.y, yTop)));
        if (!current) current = `M${x},${y}`;
        else current += series.step && previousY !== undefined ? ` H${x} V${y}` : ` L${x},${y}`;
        previousY = y;
      }
      if (current) segments.push(current);
      return segments.map((d) => `<path${attrs({ class: `line ${series.className}`, d })}/>`).join('');
    })
    .join('');
  const legend = spec.series
    .map((series, index) => {
      const x = PAD.left + plotWidth - (spec.series.length - index) * 110 + 10;
      return `<g class="legend ${escape(series.className)}"><line${attrs({ x1: x, x2: x + 18, y1: 14, y2: 14 })}/><text${attrs({ x: x + 24, y: 18 })}>${escape(series.label)}</text></g>`;
    })
    .join('');
  return (
    `<svg${attrs({ class: 'chart', viewBox: `0 0 ${width} ${height}`, width, height, role: 'img', 'aria-label': spec.title })}>` +
    `<text${attrs({ class: 'chart-title', x: PAD.left, y: 18 })}>${escape(spec.title)}</text>${legend}` +
    `<rect${attrs({ class: 'plot', x: PAD.left, y: PAD.top, width: plotWidth, height: plotHeight })}/>` +
    `${grid}${xAxis}${markers}${lines}</svg>`
  );
}
