/**
 * How the plan says its numbers (src/core/forecast.ts, src/core/queue-forecast.ts): a pace and a
 * duration, in words.
 */
import { formatCount } from './judge/check.ts';

/** "~20 requests a minute", "~1 request a minute", "~8 messages a minute". */
export function perMinute(perMinute: number, what: 'request' | 'message' = 'request'): string {
  const count = formatCount(perMinute);
  return `~${count} ${what}${count === '1' ? '' : 's'} a minute`;
}

/** "45 minutes", "1 minute", "more than a day". */
export function formatMinutes(minutes: number): string {
  if (!Number.isFinite(minutes)) return 'more than a day';
  const rounded = Math.max(1, Math.round(minutes));
  return `${rounded} minute${rounded === 1 ? '' : 's'}`;
}
