/**
 * How a canary's progress reads in a terminal or a CI log — the same for `run --local` and
 * `start --wait`, because both render the same fold of the execution's history (follow.ts):
 *
 * - the plan line (Plan's own status line: what moves, in which steps);
 * - the step trail, `10% ✓ → 25% ✓ → 50% ✗ → 100%`;
 * - one line per look, and under every look that moved the canary each check with its phase and
 *   plain line, the decisive first.
 *
 * On a terminal a block is redrawn in place; it keeps the past decisions, so what led here stays on
 * screen. In logs each poll adds lines. Pure text; the commands decide where it goes.
 */
import { outcomeTitle } from '../core/state.ts';
import type { CheckRecord, DecisionRecord, ExecutionEnding, ExecutionProgress, Figures } from './follow.ts';
import { ansi, plain, type Palette } from './colours.ts';
import type { Output } from './io.ts';

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

function decisionWord(decision: string, style: Palette, rollbackKind?: string): string {
  // An inconclusive canary found no harm: a warning, not an alarm.
  if (decision === 'rollback' && rollbackKind === 'inconclusive') return style.yellow(style.bold('rollback (inconclusive)'));
  if (decision === 'rollback') return style.red(style.bold(decision));
  if (decision === 'promote') return style.green(style.bold(decision));
  if (decision === 'hold') return style.yellow(decision);
  // Waiting for a person: the canary asks, so make it stand out.
  if (decision === 'await-approval') return style.bold(decision);
  return decision;
}

/** The plan line: Plan's status line (what moves, the steps, the interval), or what is known of the plan. */
export function planLine(progress: ExecutionProgress): string | undefined {
  if (progress.planLine) return `plan: ${progress.planLine.replace(/^Planned: /, '')}`;
  if (!progress.functionName) return undefined;
  const strategy = progress.strategy ? ` with ${progress.strategy.name} (${progress.strategy.steps.join(', ')}%, ${progress.strategy.intervalMinutes} min each)` : '';
  return `plan: ${what(progress)}${strategy}`;
}

/**
 * `10% ✓ → 25% ✓ → 50% ✗ → 100%`: each step's weight and how it ended — ✓ passed, ✗ rolled back,
 * … being judged — and the promotion at the end.
 */
export function stepTrail(progress: ExecutionProgress, style: Palette = plain): string | undefined {
  const steps = progress.strategy?.steps;
  if (!steps || steps.length === 0) return undefined;
  const index = progress.stepIndex ?? -1;
  const marks = steps.map((weight, i) => {
    const decided = progress.decisions.filter((decision) => decision.weight === weight && decision.decision !== 'hold').at(-1)?.decision;
    if (decided === 'rollback') return `${weight}% ${style.red('✗')}`;
    if (decided === 'advance' || decided === 'promote') return `${weight}% ${style.green('✓')}`;
    if (i === index && !isOver(progress)) return `${weight}% ${style.yellow('…')}`;
    if (i === index) return `${weight}% ${style.red('✗')}`;
    return `${weight}%`;
  });
  const promoted = progress.decisions.at(-1)?.decision === 'promote' || progress.outcome?.result === 'promoted';
  return [...marks, promoted ? `100% ${style.green('✓')}` : '100%'].join(' → ');
}

function isOver(progress: ExecutionProgress): boolean {
  return progress.outcome !== undefined || (progress.status !== 'RUNNING' && progress.status !== 'PENDING_REDRIVE');
}

/** "✗ errors      candidate fails 1.4–∞× as often as stable, 99% sure: roll back" */
export function checkLine(check: CheckRecord, style: Palette = plain): string {
  const mark = check.phase === 'fail' ? style.red('✗') : check.phase === 'pass' ? style.green('✓') : style.yellow('…');
  return `${mark} ${check.name.padEnd(11)} ${check.summary}`;
}

/** One line per look: `+6m advance at 10%: reason`. Figures only for a look that carries no checks. */
export function decisionLine(decision: DecisionRecord, style: Palette = plain): string {
  const figures = decision.checks.length === 0 ? formatFigures(decision.figures) : '';
  return `+${decision.minute}m ${decisionWord(decision.decision, style, decision.rollbackKind)} at ${decision.weight}%: ${decision.reasons[0] ?? 'no reason given'}${figures ? style.dim(` (${figures})`) : ''}`;
}

/** A look and, when it moved the canary (or is the latest), every check behind it. */
function lookLines(decision: DecisionRecord, style: Palette, withChecks: boolean): string[] {
  return [decisionLine(decision, style), ...(withChecks ? decision.checks.map((check) => `    ${checkLine(check, style)}`) : [])];
}

/** The block drawn on a terminal while following: plan, trail, past decisions, the latest look with its checks. */
export function progressBlock(progress: ExecutionProgress, now: number, style: Palette = ansi): string[] {
  const lines = [`${style.bold(what(progress))}${progress.strategy ? style.dim(`  ·  ${progress.strategy.name}`) : ''}`];
  const plan = planLine(progress);
  if (plan) lines.push(style.dim(plan));
  const trail = stepTrail(progress, style);
  lines.push(`${trail ? `${trail}   ` : ''}${style.dim(`${stepText(progress)} · candidate ${progress.weight ?? 0}% · ${elapsedMinutes(progress, now)} min · ${progress.state ?? 'starting'}`)}`);
  const latest = progress.decisions.at(-1);
  for (const decision of progress.decisions) {
    if (decision === latest) break;
    if (decision.decision !== 'hold') lines.push(decisionLine(decision, style));
  }
  if (latest) lines.push(...lookLines(latest, style, true));
  else if (progress.statusLine) lines.push(style.dim(progress.statusLine));
  return lines;
}

/** The lines a poll adds to a log: the plan once it is known, each new look, and the trail when a step ends. */
export function newLines(before: ExecutionProgress | undefined, after: ExecutionProgress, style: Palette = plain): string[] {
  const lines: string[] = [];
  if (!before?.functionName && after.functionName) lines.push(planLine(after)!);
  for (const decision of after.decisions.slice(before?.decisions.length ?? 0)) {
    const moved = decision.decision !== 'hold';
    lines.push(...lookLines(decision, style, moved));
    if (moved) {
      const trail = stepTrail(after, style);
      if (trail) lines.push(`    ${trail}`);
    }
  }
  return lines;
}

/** The closing lines: how it ended, and where to look. */
export function endingLines(
  ending: ExecutionEnding & { consoleUrl?: string; alias?: { version: string; routing?: Record<string, number> } | undefined },
  aliasName: string | undefined,
  color: boolean,
): string[] {
  const style = color ? ansi : plain;
  const word = outcomeTitle({ result: ending.outcome, rollbackKind: ending.rollbackKind, restoredAfterPromotion: ending.restoredAfterPromotion });
  // An inconclusive canary found no harm: a warning, not an alarm.
  const paint = ending.outcome === 'promoted' ? style.green : ending.rollbackKind === 'inconclusive' ? style.yellow : style.red;
  const painted = paint(style.bold(word));
  const reason = ending.reason.replace(/[.\s]+$/, '');
  const alias = ending.alias ? ` Alias ${aliasName ?? ''} is on version ${ending.alias.version}.` : '';
  return [`${painted}: ${reason}.${alias}`, ...(ending.consoleUrl ? [`console: ${ending.consoleUrl}`] : [])];
}

/**
 * Draws progress where it goes: redrawn in place on a terminal, added line by line elsewhere.
 * `run --local` and `start --wait` both go through it.
 */
export class ProgressPrinter {
  private readonly live: LiveRegion | undefined;
  private previous: ExecutionProgress | undefined;

  constructor(
    private readonly output: Output,
    private readonly options: { tty: boolean; now: () => number; color?: boolean },
  ) {
    this.live = options.tty ? new LiveRegion(output) : undefined;
  }

  show(progress: ExecutionProgress): void {
    const style = this.options.color ?? this.options.tty ? ansi : plain;
    if (this.live) this.live.draw(progressBlock(progress, this.options.now(), style));
    else for (const line of newLines(this.previous, progress, style)) this.output.write(`${line}\n`);
    this.previous = progress;
  }

  /** Leaves the last block on screen. */
  done(): void {
    this.live?.release();
  }
}

/**
 * A few lines redrawn in place on a terminal (cursor up, clear to the end). Lines are wrapped to
 * the terminal's width here, so that the count of rows to clear is always right.
 */
export class LiveRegion {
  private drawn = 0;
  constructor(private readonly output: Output) {}

  draw(lines: string[]): void {
    const width = Math.max(20, (this.output.columns ?? 100) - 1);
    const clear = this.drawn > 0 ? `\x1b[${this.drawn}A\r\x1b[0J` : '';
    const rows = lines.flatMap((line) => wrap(line, width));
    this.output.write(clear + rows.join('\n') + '\n');
    this.drawn = rows.length;
  }

  /** Leaves what is drawn on screen; the next draw starts below it. */
  release(): void {
    this.drawn = 0;
  }
}

/** Splits `line` into rows of at most `width` visible characters, keeping escape sequences intact. */
function wrap(line: string, width: number): string[] {
  const rows: string[] = [];
  let visible = 0;
  let row = '';
  for (let index = 0; index < line.length; index++) {
    if (line[index] === '\x1b') {
      const end = line.indexOf('m', index);
      if (end !== -1) {
        row += line.slice(index, end + 1);
        index = end;
        continue;
      }
    }
    if (visible >= width) {
      rows.push(row);
      row = '';
      visible = 0;
    }
    row += line[index];
    visible++;
  }
  rows.push(row);
  return rows;
}
