/**
 * A minimal typed event emitter for the runtime-agnostic core (Node's EventEmitter lives in the
 * Node adapter). Listeners run synchronously in registration order. A listener that throws does
 * not stop the others: its error goes to the `error` listeners when the emitter has any (and the
 * event is not `error` itself); otherwise the first error is rethrown once every listener ran,
 * as Node's EventEmitter surfaces an unhandled 'error'.
 */
export class Emitter<Events extends { [K in keyof Events]: (...args: never[]) => void }> {
  private listeners: { [K in keyof Events]?: Events[K][] } = {};

  on<K extends keyof Events>(event: K, fn: Events[K]): this {
    (this.listeners[event] ??= []).push(fn);
    return this;
  }

  once<K extends keyof Events>(event: K, fn: Events[K]): this {
    const wrapper = ((...args: Parameters<Events[K]>) => {
      this.off(event, wrapper);
      (fn as (...a: Parameters<Events[K]>) => void)(...args);
    }) as unknown as Events[K];
    return this.on(event, wrapper);
  }

  off<K extends keyof Events>(event: K, fn: Events[K]): this {
    const list = this.listeners[event];
    if (list) {
      const i = list.indexOf(fn);
      if (i >= 0) list.splice(i, 1);
    }
    return this;
  }

  listenerCount<K extends keyof Events>(event: K): number {
    return this.listeners[event]?.length ?? 0;
  }

  /** Emits an event (the core modules of a class emit on its behalf). */
  emit<K extends keyof Events>(event: K, ...args: Parameters<Events[K]>): void {
    const list = this.listeners[event];
    if (!list || list.length === 0) return;
    let failed = false;
    let failure: unknown;
    for (const fn of list.length === 1 ? list : list.slice()) {
      try {
        (fn as (...a: Parameters<Events[K]>) => void)(...args);
      } catch (e) {
        if (event !== 'error' && this.reportError(e)) continue;
        if (!failed) failure = e;
        failed = true;
      }
    }
    if (failed) throw failure;
  }

  /** Hands a listener's error to the `error` listeners; false when there are none. */
  private reportError(e: unknown): boolean {
    const errorListeners = (this.listeners as unknown as Record<string, unknown[] | undefined>)[
      'error'
    ];
    if (!errorListeners || errorListeners.length === 0) return false;
    (this.emit as unknown as (event: string, e: unknown) => void).call(this, 'error', e);
    return true;
  }
}
