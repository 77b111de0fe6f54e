/**
 * Where `tsquic get` writes bodies: a file per URL with --output, else stdout in URL order (bodies
 * buffered when several requests run at once). A failed body's file is removed.
 */
import { once } from 'node:events';
import { createWriteStream, unlinkSync } from 'node:fs';
import { Writable } from 'node:stream';

/** Where a request's body goes, open across its attempts. */
export interface Output {
  readonly sink: Writable;
  finish(ok: boolean): Promise<void>;
}

/** `out` whose finish() acts once: a later call gets the first call's outcome. */
export function finishedOnce(out: Output): Output {
  let finished: Promise<void> | null = null;
  return { sink: out.sink, finish: (ok) => (finished ??= out.finish(ok)) };
}

/** Where each body goes: its file, or stdout in URL order (buffered when there are several). */
export class Bodies {
  private readonly stdoutQueue: { chunks: Buffer[]; done: boolean }[] = [];

  constructor(private readonly direct: boolean) {}

  /**
   * The sink of a body (`file`, or stdout when null) and a function to call when it is complete
   * or failed.
   */
  open(file: string | null): Output {
    if (file !== null) {
      const sink = createWriteStream(file);
      return {
        sink,
        async finish(ok) {
          sink.end();
          await once(sink, 'close');
          if (!ok) unlinkSync(file);
        },
      };
    }
    if (this.direct) {
      return { sink: process.stdout, finish: async () => {} };
    }
    const slot = { chunks: [] as Buffer[], done: false };
    this.stdoutQueue.push(slot);
    const sink = new Writable({
      write(chunk: Buffer, _encoding, cb) {
        slot.chunks.push(chunk);
        cb();
      },
    });
    return {
      sink,
      finish: async (ok) => {
        if (!ok) slot.chunks = [];
        slot.done = true;
        await this.drainStdout();
      },
    };
  }

  private async drainStdout(): Promise<void> {
    while (this.stdoutQueue.length > 0 && this.stdoutQueue[0]!.done) {
      const slot = this.stdoutQueue.shift()!;
      for (const c of slot.chunks) {
        if (!process.stdout.write(c)) await once(process.stdout, 'drain');
      }
    }
  }
}
