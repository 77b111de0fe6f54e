/**
 * Checks of a controller's options, shared by the built-in controllers: an option a controller
 * does not know, or a value out of its range, is a caller's mistake and throws with the
 * controller's name, the option and the value (docs/ARCHITECTURE.md §1, principle 9).
 */

/** Throws a RangeError naming the first option `controller` does not understand. */
export function checkOptionNames(
  controller: string,
  options: object,
  known: readonly string[],
): void {
  for (const key of Object.keys(options)) {
    if ((options as Record<string, unknown>)[key] === undefined) continue;
    // The connection's coupling group goes to every controller; uncoupled ones ignore it.
    if (key === 'coupling') continue;
    if (!known.includes(key)) {
      throw new RangeError(
        `congestion controller '${controller}' has no option '${key}' (options: ${known.join(', ')})`,
      );
    }
  }
}

/**
 * `value` when it is a number within [min, max] (`(min, max]` when `exclusiveMin`), an integer
 * when asked; `fallback` when undefined. Otherwise a RangeError naming controller and option.
 */
export function numberOption(
  controller: string,
  key: string,
  value: unknown,
  fallback: number,
  range: { min: number; max: number; exclusiveMin?: boolean; integer?: boolean },
): number {
  if (value === undefined) return fallback;
  const ok =
    typeof value === 'number' &&
    (range.exclusiveMin === true ? value > range.min : value >= range.min) &&
    value <= range.max &&
    (range.integer !== true || Number.isSafeInteger(value));
  if (!ok) {
    const lower = range.exclusiveMin === true ? `above ${range.min}` : `at least ${range.min}`;
    const kind = range.integer === true ? 'an integer' : 'a number';
    throw new RangeError(
      `congestion controller '${controller}': ${key} must be ${kind} ${lower} and at most ${range.max}, got ${String(value)}`,
    );
  }
  return value;
}

/** `value` when it is a boolean, `fallback` when undefined; otherwise a TypeError. */
export function booleanOption(
  controller: string,
  key: string,
  value: unknown,
  fallback: boolean,
): boolean {
  if (value === undefined) return fallback;
  if (typeof value !== 'boolean') {
    throw new TypeError(
      `congestion controller '${controller}': ${key} must be true or false, got ${String(value)}`,
    );
  }
  return value;
}
