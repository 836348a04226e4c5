/**
 * Building HTML and SVG as text, safely: every value goes through `escape` (or `attr`) on its way in.
 */
import { round } from '../core/round.ts';

const ENTITIES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

export function escape(value: unknown): string {
  return String(value ?? '').replace(/[&<>"']/g, (char) => ENTITIES[char]!);
}

/** ` name="value"` pairs, skipping undefined and false; numbers rounded to 0.1 to keep SVG small. */
export function attrs(values: Record<string, string | number | boolean | undefined>): string {
  let out = '';
  for (const [name, value] of Object.entries(values)) {
    if (value === undefined || value === false) continue;
    if (value === true) out += ` ${name}`;
    else out += ` ${name}="${escape(typeof value === 'number' ? round(value, 1) : value)}"`;
  }
  return out;
}

/** A short, readable number for labels: 1234 → "1,234", 0.01234 → "0.0123", 12.345 → "12.3". */
export function formatNumber(value: number | null | undefined): string {
  if (value === null || value === undefined || !Number.isFinite(value)) return '–';
  if (Number.isInteger(value)) return value.toLocaleString('en-US');
  if (Math.abs(value) >= 100) return Math.round(value).toLocaleString('en-US');
  return Number(value.toPrecision(3)).toString();
}
