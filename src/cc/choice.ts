/**
 * How one connection chooses its congestion controller: the registry (registry.ts) names the
 * controllers process-wide, but which one a connection runs, and with which options, is the
 * connection's own choice (`ConnectionOptions.congestionControl`). Every path of the connection
 * gets a fresh controller from the same choice (docs/ARCHITECTURE.md §1, principle 4).
 */
import type { BbrOptions } from './bbr-params.js';
import type { CubicOptions } from './cubic.js';
import { createCongestionController, DEFAULT_CONGESTION_CONTROLLER } from './registry.js';
import type { CongestionControllerFactory, CongestionControllerOptions } from './types.js';

/** Options of a controller chosen by name; which ones apply depends on the controller. */
export type ControllerOptions =
  | CongestionControllerOptions
  | CubicOptions
  | BbrOptions
  | Readonly<Record<string, number | boolean>>;

/** A registered controller with options of its own (see CubicOptions, BbrOptions). */
export interface CongestionControlSpec {
  name: string;
  options?: ControllerOptions;
}

/**
 * A connection's congestion controller: a registered name ('newreno', 'cubic', 'bbr', ...), a
 * name with options (`{ name: 'cubic', options: { beta: 0.8 } }`), or a factory called once per
 * path with `{ maxDatagramSize }`.
 */
export type CongestionControlChoice = string | CongestionControlSpec | CongestionControllerFactory;

/**
 * The factory a choice stands for, checked now: an unknown name, an option the controller does
 * not know or a value out of range throws here (RangeError/TypeError naming controller and
 * option), when the connection is set up, rather than when its first path starts.
 */
export function congestionControlFactory(
  choice: CongestionControlChoice = DEFAULT_CONGESTION_CONTROLLER,
): CongestionControllerFactory {
  if (typeof choice === 'function') return choice;
  const spec: CongestionControlSpec = typeof choice === 'string' ? { name: choice } : choice;
  if (spec === null || typeof spec !== 'object' || typeof spec.name !== 'string') {
    throw new TypeError(
      'congestionControl must be a controller name, { name, options } or a factory function',
    );
  }
  const name = spec.name;
  const options = { ...(spec.options as CongestionControllerOptions | undefined) };
  if (options.maxDatagramSize !== undefined) {
    throw new RangeError(
      `congestion controller '${name}': maxDatagramSize is the path's, not an option (RFC 9002 §7.2)`,
    );
  }
  if (options.coupling !== undefined) {
    throw new RangeError(
      `congestion controller '${name}': coupling is the connection's, not an option (RFC 6356)`,
    );
  }
  // One controller made now validates the name and the options.
  createCongestionController(name, options);
  return (pathOptions) => createCongestionController(name, { ...options, ...pathOptions });
}
