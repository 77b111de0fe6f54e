/**
 * A minimal typed event emitter for the runtime-agnostic core (Node's EventEmitter lives in the
 * Node adapter). Listeners run synchronously in registration order. A listener that throws does
 * not stop the others: its error goes to the `error` listeners when the emitter has any (and the
 * event is not `error` itself); otherwise the first error is rethrown once every listener ran,
 * as Node's EventEmitter surfaces an unhandled 'error'.
 *
 * It has the method set of Node's EventEmitter (addListener, removeListener, prependListener,
 * listeners, ...), so `events.once(emitter, 'name')` and `events.on(...)` accept it, typed and at
 * run time (they remove their listeners with removeListener). Max-listener warnings are not
 * implemented: the limit is only stored.
 */
/** The listener each once-wrapper calls, so off(fn) finds the wrapper of fn. */
const onceTarget = new WeakMap<object, unknown>();

export class Emitter<Events extends { [K in keyof Events]: (...args: never[]) => void }> {
  private handlers: { [K in keyof Events]?: Events[K][] } = {};
  private maxListeners = 10;

  on<K extends keyof Events>(event: K, fn: Events[K]): this {
    (this.handlers[event] ??= []).push(fn);
    return this;
  }

  addListener<K extends keyof Events>(event: K, fn: Events[K]): this {
    return this.on(event, fn);
  }

  /** Adds a listener that runs before the others. */
  prependListener<K extends keyof Events>(event: K, fn: Events[K]): this {
    (this.handlers[event] ??= []).unshift(fn);
    return this;
  }

  prependOnceListener<K extends keyof Events>(event: K, fn: Events[K]): this {
    return this.prependListener(event, this.onceWrapper(event, fn));
  }

  once<K extends keyof Events>(event: K, fn: Events[K]): this {
    return this.on(event, this.onceWrapper(event, fn));
  }

  /**
   * Removes a listener (added by on, or by once: the listener given, not its wrapper): the one
   * added last when it was added more than once, as Node's EventEmitter does.
   */
  off<K extends keyof Events>(event: K, fn: Events[K]): this {
    const list = this.handlers[event];
    if (list) {
      for (let i = list.length - 1; i >= 0; i--) {
        const l = list[i];
        if (l === fn || onceTarget.get(l as object) === fn) {
          list.splice(i, 1);
          break;
        }
      }
    }
    return this;
  }

  removeListener<K extends keyof Events>(event: K, fn: Events[K]): this {
    return this.off(event, fn);
  }

  /** Removes every listener of `event`, or of all events. */
  removeAllListeners(event?: keyof Events): this {
    if (event === undefined) this.handlers = {};
    else delete this.handlers[event];
    return this;
  }

  listenerCount<K extends keyof Events>(event: K): number {
    return this.handlers[event]?.length ?? 0;
  }

  /** The listeners of `event` (those added by once as given). */
  listeners<K extends keyof Events>(event: K): Events[K][] {
    const list: Events[K][] = this.handlers[event] ?? [];
    return list.map((l) => (onceTarget.get(l) as Events[K] | undefined) ?? l);
  }

  /** The listeners of `event` as registered (once wrappers included). */
  rawListeners<K extends keyof Events>(event: K): Events[K][] {
    const list: Events[K][] = this.handlers[event] ?? [];
    return [...list];
  }

  eventNames(): (keyof Events)[] {
    return (Object.keys(this.handlers) as (keyof Events)[]).filter(
      (k) => this.listenerCount(k) > 0,
    );
  }

  setMaxListeners(n: number): this {
    this.maxListeners = n;
    return this;
  }

  getMaxListeners(): number {
    return this.maxListeners;
  }

  /**
   * Emits an event (the core modules of a class emit on its behalf); true when it had
   * listeners.
   */
  emit<K extends keyof Events>(event: K, ...args: Parameters<Events[K]>): boolean {
    const list = this.handlers[event];
    if (!list || list.length === 0) return false;
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
    return true;
  }

  private onceWrapper<K extends keyof Events>(event: K, fn: Events[K]): Events[K] {
    const wrapper = ((...args: Parameters<Events[K]>) => {
      this.off(event, wrapper);
      (fn as (...a: Parameters<Events[K]>) => void)(...args);
    }) as unknown as Events[K];
    onceTarget.set(wrapper, fn);
    return wrapper;
  }

  /** Hands a listener's error to the `error` listeners; false when there are none. */
  private reportError(e: unknown): boolean {
    const errorListeners = (this.handlers as unknown as Record<string, unknown[] | undefined>)[
      'error'
    ];
    if (!errorListeners || errorListeners.length === 0) return false;
    (this.emit as unknown as (event: string, e: unknown) => void).call(this, 'error', e);
    return true;
  }
}
