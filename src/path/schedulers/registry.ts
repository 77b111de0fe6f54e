/**
 * Multipath schedulers by name, so users can plug their own (as congestion controllers,
 * src/cc/registry.ts). Built in: 'minrtt' (the default), 'roundrobin', 'backup' (primary with
 * backup), 'reinject' (min-RTT that also re-injects a failing path's packets onto the others,
 * xquic's reinjection) and 'ecf' (Earliest Completion First, ecf.ts). A connection makes its own instance: schedulers keep per-connection
 * state.
 */
import { EcfScheduler } from './ecf.js';
import { MinRttScheduler } from './min-rtt.js';
import { PrimaryBackupScheduler } from './primary-backup.js';
import { RoundRobinScheduler } from './round-robin.js';
import type { PathScheduler, PathSchedulerFactory, PathSchedulerOptions } from './types.js';

const factories = new Map<string, PathSchedulerFactory>([
  ['minrtt', (options) => new MinRttScheduler(options)],
  ['roundrobin', (options) => new RoundRobinScheduler(options)],
  ['backup', (options) => new PrimaryBackupScheduler(options)],
  ['reinject', (options) => new MinRttScheduler({ reinjection: true, ...options }, 'reinject')],
  ['ecf', (options) => new EcfScheduler(options)],
]);

/** The scheduler used when none is named. */
export const DEFAULT_PATH_SCHEDULER = 'minrtt';

/**
 * Registers (or replaces) a scheduler under `name`. The factory is called once per connection
 * with the options given to `createPathScheduler`.
 */
export function registerPathScheduler(name: string, factory: PathSchedulerFactory): void {
  if (typeof name !== 'string' || name.length === 0) {
    throw new TypeError('path scheduler name must be a non-empty string');
  }
  if (typeof factory !== 'function') {
    throw new TypeError(`path scheduler factory for '${name}' must be a function`);
  }
  factories.set(name, factory);
}

/** Creates a scheduler by registered name; an unknown name throws a RangeError. */
export function createPathScheduler(
  name: string = DEFAULT_PATH_SCHEDULER,
  options: PathSchedulerOptions = {},
): PathScheduler {
  const factory = factories.get(name);
  if (factory === undefined) {
    throw new RangeError(
      `unknown path scheduler '${name}' (registered: ${[...factories.keys()].join(', ')})`,
    );
  }
  return factory(options);
}

/** Names of the registered schedulers. */
export function pathSchedulerNames(): string[] {
  return [...factories.keys()];
}
