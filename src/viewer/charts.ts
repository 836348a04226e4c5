/**
 * Small SVG line charts, drawn on the server: the candidate's weight over time, and candidate vs
 * stable error rate and p99 latency, each with the judge's decisions marked where they were taken.
 */
import { round } from '../core/round.ts';
import { attrs, escape, formatNumber } from './html.ts';

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

/** A horizontal line across the plot at a value: a promotion bar, a guardrail, a limit. */
export interface ChartRule {
  y: number;
  label: string;
  /** CSS class: `bar`, `guardrail`, `limit`, `reference`. */
  className: string;
}

/** A shaded band between two values over time: a confidence interval. */
export interface ChartBand {
  label: string;
  points: { x: number; low: number; high: number }[];
}

export interface ChartSpec {
  title: string;
  /** Reference lines drawn under the series. */
  rules?: ChartRule[];
  /** Intervals drawn under the series. */
  band?: ChartBand;
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
const LEGEND_WIDTH = 120;
/** Limits up to this many times the data's top join the scale. */
const RULE_SCALE = 3;
/** Room below the axis for the note naming limits above the scale. */
const NOTE_HEIGHT = 14;
/** Clip paths need ids unique in the page. */
let clipCount = 0;

export function renderChart(spec: ChartSpec): string {
  const width = spec.width ?? 640;
  const height = spec.height ?? 190;
  const plotWidth = width - PAD.left - PAD.right;
  const plotHeight = height - PAD.top - PAD.bottom;
  const finite = (value: number | null): value is number => value !== null && Number.isFinite(value);
  const data = [...spec.series.flatMap((series) => series.points.map((point) => point.y)), ...(spec.band?.points ?? []).flatMap((point) => [point.low, point.high])].filter(finite);
  const dataTop = data.length ? Math.max(...data) : 0;
  // A limit far above the data (a 20% guardrail over 0.5% error rates) would flatten the lines:
  // it joins the scale only when it is within a few times the data, and is named in the legend otherwise.
  const ruleValues = (spec.rules ?? []).map((rule) => rule.y).filter((value) => Number.isFinite(value) && value > 0);
  const reference = dataTop > 0 ? dataTop : ruleValues.length ? Math.min(...ruleValues) : 0;
  const onScale = (rule: ChartRule) => !(reference > 0) || rule.y <= RULE_SCALE * reference;
  const values = [...data, ...(spec.rules ?? []).filter(onScale).map((rule) => rule.y)].filter(finite);
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
      // Minutes before the execution (the baseline) lie left of the plot, over the axis labels.
      for (const point of series.points.filter((point) => point.x >= 0)) {
        if (point.y === null || !Number.isFinite(point.y)) {
          if (current) segments.push(current);
          current = '';
          previousY = undefined;
          continue;
        }
        const x = round(sx(Math.min(point.x, xMax)), 1);
        const y = round(sy(Math.min(point.y, yTop)), 1);
        if (!current) current = `M${x},${y}`;
        else current += series.step && previousY !== undefined ? ` H${x} V${y}` : ` L${x},${y}`;
        previousY = y;
      }
      if (current) segments.push(current);
      return segments.map((d) => `<path${attrs({ class: `line ${series.className}`, d })}/>`).join('');
    })
    .join('');
  const offScale = (spec.rules ?? []).filter((rule) => Number.isFinite(rule.y) && !onScale(rule));
  const rules = (spec.rules ?? [])
    .filter((rule) => Number.isFinite(rule.y) && onScale(rule))
    .map(
      (rule) =>
        `<g${attrs({ class: `rule ${rule.className}` })}><title>${escape(`${rule.label}: ${format(rule.y)}`)}</title>` +
        `<line${attrs({ x1: PAD.left, x2: PAD.left + plotWidth, y1: sy(Math.min(rule.y, yTop)), y2: sy(Math.min(rule.y, yTop)) })}/>` +
        `<text${attrs({ x: PAD.left + plotWidth - 4, y: sy(Math.min(rule.y, yTop)) - 3, 'text-anchor': 'end' })}>${escape(rule.label)}</text></g>`,
    )
    .join('');
  const bandPoints = (spec.band?.points ?? []).filter((point) => Number.isFinite(point.low) && point.x <= xMax);
  const band = bandPoints.length
    ? `<path${attrs({
        class: 'band',
        d:
          bandPoints.map((point, i) => `${i ? 'L' : 'M'}${round(sx(point.x), 1)},${round(sy(Math.min(point.high, yTop)), 1)}`).join(' ') +
          ' ' +
          [...bandPoints].reverse().map((point) => `L${round(sx(point.x), 1)},${round(sy(Math.min(point.low, yTop)), 1)}`).join(' ') +
          ' Z',
      })}><title>${escape(spec.band!.label)}</title></path>`
    : '';
  // Legend entries: the series, then the band; laid out from the right, wrapping never needed at ≤ 4.
  const entries = [...spec.series.map((series) => ({ label: series.label, className: series.className })), ...(spec.band ? [{ label: spec.band.label, className: 'band' }] : [])];
  const legend = entries
    .map((entry, index) => {
      const x = PAD.left + plotWidth - (entries.length - index) * LEGEND_WIDTH + 10;
      return `<g class="legend ${escape(entry.className)}"><line${attrs({ x1: x, x2: x + 18, y1: 14, y2: 14 })}/><text${attrs({ x: x + 24, y: 18 })}>${escape(entry.label)}</text></g>`;
    })
    .join('');
  // Everything data-driven is clipped to the plot, so no line is ever drawn over the axis labels.
  const clip = `clip-${++clipCount}`;
  return (
    `<svg${attrs({ class: 'chart', viewBox: `0 0 ${width} ${height + (offScale.length ? NOTE_HEIGHT : 0)}`, width, height: height + (offScale.length ? NOTE_HEIGHT : 0), role: 'img', 'aria-label': spec.title })}>` +
    `<defs><clipPath${attrs({ id: clip })}><rect${attrs({ x: PAD.left, y: PAD.top - 10, width: plotWidth, height: plotHeight + 10 })}/></clipPath></defs>` +
    `<text${attrs({ class: 'chart-title', x: PAD.left, y: 18 })}>${escape(spec.title)}</text>${legend}` +
    (offScale.length ? `<text${attrs({ class: 'off-scale', x: PAD.left + plotWidth, y: height + NOTE_HEIGHT - 4, 'text-anchor': 'end' })}>${escape(offScale.map((rule) => `${rule.label} ${format(rule.y)} (above)`).join(' · '))}</text>` : '') +
    `<rect${attrs({ class: 'plot', x: PAD.left, y: PAD.top, width: plotWidth, height: plotHeight })}/>` +
    `${grid}${xAxis}<g${attrs({ class: 'plotted', 'clip-path': `url(#${clip})` })}>${band}${rules}${markers}${lines}</g></svg>`
  );
}
