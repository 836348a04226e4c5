/**
 * Rounds to `digits` decimals, as the number would be printed (`toFixed`), so figures, the state and
 * reports stay small and readable. Non-finite values pass through.
 *
 * @example
 * round(2 / 3, 2); // 0.67
 */
export function round(value: number, digits: number): number {
  if (!Number.isFinite(value)) return value;
  return Number(value.toFixed(digits));
}
