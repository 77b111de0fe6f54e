/**
 * How a long-running command (`tsquic serve`) is stopped: the first SIGINT or SIGTERM asks it to
 * stop gracefully (the server drains: new clients refused, live connections finish); a second
 * one, from an operator who will not wait, ends the process at once with exit code 1.
 */

export type StopSignal = 'SIGINT' | 'SIGTERM';

const STOP_SIGNALS: readonly StopSignal[] = ['SIGINT', 'SIGTERM'];

/** Where the signals come from: the process, or a stand-in. */
export interface SignalSource {
  on(event: StopSignal, listener: (signal: StopSignal) => void): unknown;
  off(event: StopSignal, listener: (signal: StopSignal) => void): unknown;
}

export interface StopSignals {
  /** Resolves with the first stop signal. */
  readonly first: Promise<StopSignal>;
  /** Stops listening (the command has ended). */
  dispose(): void;
}

/** Listens for stop signals: the first resolves `first`, any later one calls `onSecond`. */
export function watchStopSignals(
  onSecond: (signal: StopSignal) => void,
  source: SignalSource = process,
): StopSignals {
  let seen = 0;
  let resolveFirst: (signal: StopSignal) => void = () => {};
  const first = new Promise<StopSignal>((resolve) => (resolveFirst = resolve));
  const handler = (signal: StopSignal): void => {
    seen++;
    if (seen === 1) resolveFirst(signal);
    else onSecond(signal);
  };
  for (const s of STOP_SIGNALS) source.on(s, handler);
  return {
    first,
    dispose() {
      for (const s of STOP_SIGNALS) source.off(s, handler);
    },
  };
}

let exitingAtOnce = false;

/** Ends the process now with `code`: the command gave up waiting on purpose. */
export function exitAtOnce(code: number): never {
  exitingAtOnce = true;
  process.exit(code);
}

/** Whether the process ends through exitAtOnce (not with work left unfinished by mistake). */
export function isExitingAtOnce(): boolean {
  return exitingAtOnce;
}
