/**
 * Congestion controllers by name, so users can plug their own (docs/ARCHITECTURE.md §3):
 * 'newreno' (RFC 9002 §7), 'cubic' (RFC 9438), 'bbr' (draft-ietf-ccwg-bbr, BBRv3) and 'lia'
 * (RFC 6356, coupled over a multipath connection's paths) are built in.
 */
import { Bbr } from './bbr.js';
import { Cubic } from './cubic.js';
import { Lia } from './lia.js';
import { NewReno } from './newreno.js';
import type {
  CongestionController,
  CongestionControllerFactory,
  CongestionControllerOptions,
} from './types.js';

const factories = new Map<string, CongestionControllerFactory>([
  ['newreno', (options) => new NewReno(options)],
  ['cubic', (options) => new Cubic(options)],
  ['bbr', (options) => new Bbr(options)],
  ['lia', (options) => new Lia(options)],
]);

/** The controller used when none is named. */
export const DEFAULT_CONGESTION_CONTROLLER = 'cubic';

/**
 * Registers (or replaces) a controller under `name`. The factory is called once per path with
 * the options given to `createCongestionController`.
 */
export function registerCongestionController(
  name: string,
  factory: CongestionControllerFactory,
): void {
  if (typeof name !== 'string' || name.length === 0) {
    throw new TypeError('congestion controller name must be a non-empty string');
  }
  if (typeof factory !== 'function') {
    throw new TypeError(`congestion controller factory for '${name}' must be a function`);
  }
  factories.set(name, factory);
}

/** Creates a controller by registered name; an unknown name throws a RangeError. */
export function createCongestionController(
  name: string = DEFAULT_CONGESTION_CONTROLLER,
  options: CongestionControllerOptions = {},
): CongestionController {
  const factory = factories.get(name);
  if (factory === undefined) {
    throw new RangeError(
      `unknown congestion controller '${name}' (registered: ${[...factories.keys()].join(', ')})`,
    );
  }
  return factory(options);
}

/** Names of the registered controllers. */
export function congestionControllerNames(): string[] {
  return [...factories.keys()];
}
