/**
 * Rendering an execution's progress for people: a block redrawn in place on a terminal, plain
 * lines elsewhere (CI logs). Pure text; the commands decide where it goes.
 */
import { outcomeTitle } from '../core/state.ts';
import type { DecisionRecord, ExecutionEnding, ExecutionProgress, Figures } from './follow.ts';
import { ansi } from './colours.ts';
import type { Output } from './io.ts';

const style = ansi;

/** 0.0123 → "0.0123", 12345.678 → "12,346", 1.5 → "1.5": short, and exact enough to act on. */
export function formatFigure(value: number | string | boolean | null): string {
  if (typeof value !== 'number') return String(value);
  if (!Number.isFinite(value)) return String(value);
  if (Number.isInteger(value)) return value.toLocaleString('en-US');
  const magnitude = Math.abs(value);
  if (magnitude >= 100) return Math.round(value).toLocaleString('en-US');
  return Number(value.toPrecision(3)).toString();
}

export function formatFigures(figures: Figures, limit = 8): string {
  return Object.entries(figures)
    .slice(0, limit)
    .map(([key, value]) => `${key}=${formatFigure(value)}`)
    .join(', ');
}

function what(progress: ExecutionProgress): string {
  if (!progress.functionName) return progress.name;
  const versions = progress.stableVersion && progress.candidateVersion ? `  ${progress.stableVersion} → ${progress.candidateVersion}` : '';
  return `${progress.functionName}:${progress.alias ?? '?'}${versions}`;
}

function stepText(progress: ExecutionProgress): string {
  const steps = progress.strategy?.steps.length;
  const index = progress.stepIndex;
  if (index === undefined || index < 0) return 'before the first shift';
  return steps ? `step ${Math.min(index + 1, steps)}/${steps}` : `step ${index + 1}`;
}

function elapsedMinutes(progress: ExecutionProgress, now: number): number {
  return Math.max(0, Math.floor((now - Date.parse(progress.startedAt)) / 60_000));
}

function decisionWord(decision: string, color: boolean): string {
  if (!color) return decision;
  if (decision === 'rollback') return style.red(decision);
  if (decision === 'promote') return style.green(decision);
  if (decision === 'hold') return style.yellow(decision);
  return decision;
}

/** The block drawn on a terminal while following. */
export function progressBlock(progress: ExecutionProgress, now: number): string[] {
  const latest = progress.decisions.at(-1);
  const lines = [
    `${style.bold(what(progress))}${progress.strategy ? style.dim(`  ·  ${progress.strategy.name} [${progress.strategy.steps.join(', ')}%]`) : ''}`,
    `${stepText(progress)} · candidate ${progress.weight ?? 0}% · ${elapsedMinutes(progress, now)} min · ${progress.state ?? 'starting'}`,
  ];
  if (latest) {
    lines.push(`latest: ${decisionWord(latest.decision, true)} at ${latest.weight}% — ${latest.reasons[0] ?? 'no reason given'}`);
    const figures = formatFigures(latest.figures);
    if (figures) lines.push(style.dim(`        ${figures}`));
  } else if (progress.statusLine) {
    lines.push(style.dim(progress.statusLine));
  }
  return lines;
}

/** One plain line per decision, for logs: `+6m advance at 10%: reason (figures)`. */
export function decisionLine(decision: DecisionRecord): string {
  const figures = formatFigures(decision.figures);
  return `+${decision.minute}m ${decision.decision} at ${decision.weight}%: ${decision.reasons[0] ?? 'no reason given'}${figures ? ` (${figures})` : ''}`;
}

/** The lines a poll adds to a log: new decisions, and the plan once it is known. */
export function newLines(before: ExecutionProgress | undefined, after: ExecutionProgress): string[] {
  const lines: string[] = [];
  if (after.functionName && !before?.functionName) {
    const strategy = after.strategy ? ` with ${after.strategy.name} (${after.strategy.steps.join(', ')}%, ${after.strategy.intervalMinutes} min each)` : '';
    lines.push(`plan: ${what(after)}${strategy}`);
  }
  for (const decision of after.decisions.slice(before?.decisions.length ?? 0)) lines.push(decisionLine(decision));
  return lines;
}

/** The closing lines: how it ended, and where to look. */
export function endingLines(
  ending: ExecutionEnding & { consoleUrl: string; alias?: { version: string } | undefined },
  aliasName: string | undefined,
  color: boolean,
): string[] {
  const word = outcomeTitle({ result: ending.outcome, rollbackKind: ending.rollbackKind });
  // An inconclusive canary found no harm: a warning, not an alarm.
  const paint = ending.outcome === 'promoted' ? style.green : ending.rollbackKind === 'inconclusive' ? style.yellow : style.red;
  const painted = !color ? word : paint(style.bold(word));
  const reason = ending.reason.replace(/[.\s]+$/, '');
  const alias = ending.alias ? ` Alias ${aliasName ?? ''} is on version ${ending.alias.version}.` : '';
  return [`${painted}: ${reason}.${alias}`, `console: ${ending.consoleUrl}`];
}

/**
 * A few lines redrawn in place on a terminal (cursor up, clear to the end). Lines are cut to the
 * terminal's width so that wrapping never breaks the count.
 */
export class LiveRegion {
  private drawn = 0;
  constructor(private readonly output: Output) {}

  draw(lines: string[]): void {
    const width = Math.max(20, (this.output.columns ?? 100) - 1);
    const clear = this.drawn > 0 ? `\x1b[${this.drawn}A\r\x1b[0J` : '';
    this.output.write(clear + lines.map((line) => cut(line, width)).join('\n') + '\n');
    this.drawn = lines.length;
  }

  /** Leaves what is drawn on screen; the next draw starts below it. */
  release(): void {
    this.drawn = 0;
  }
}

/** Cuts `line` to `width` visible characters, keeping escape sequences intact. */
function cut(line: string, width: number): string {
  let visible = 0;
  let result = '';
  for (let index = 0; index < line.length; index++) {
    if (line[index] === '\x1b') {
      const end = line.indexOf('m', index);
      if (end !== -1) {
        result += line.slice(index, end + 1);
        index = end;
        continue;
      }
    }
    if (visible >= width) continue;
    result += line[index];
    visible++;
  }
  return result;
}
