/**
 * The progress meter of `tsquic get` (on stderr when it is a terminal, see showOptions): one line
 * redrawn in place with the bytes received over all requests, the share of the announced total
 * (content-length), the average rate and the elapsed time. Time is passed in (ms).
 */
import type { TextSink } from './args.js';

/** Redraws at most this often, ms. */
const REDRAW_MS = 250;

export class ProgressMeter {
  private received = 0;
  /** Sum of the announced lengths; null once a response announced none. */
  private total: number | null = 0;
  private lastDraw = -Infinity;
  private drawn = false;

  constructor(
    private readonly out: TextSink,
    private readonly start: number,
  ) {}

  /** A response announced `length` bytes (content-length), or null when it did not. */
  expect(length: number | null): void {
    this.total = length === null || this.total === null ? null : this.total + length;
  }

  /** `bytes` more body bytes arrived at `now`. */
  add(bytes: number, now: number): void {
    this.received += bytes;
    if (now - this.lastDraw < REDRAW_MS) return;
    this.draw(now);
  }

  /** The last state and a line break (when anything was drawn or received). */
  finish(now: number): void {
    if (!this.drawn && this.received === 0) return;
    this.draw(now);
    this.out.write('\n');
  }

  /** The meter's text at `now`. */
  line(now: number): string {
    const seconds = Math.max(0, now - this.start) / 1000;
    const rate = seconds > 0 ? this.received / seconds : 0;
    const share =
      this.total !== null && this.total > 0
        ? `${String(Math.min(100, Math.floor((100 * this.received) / this.total))).padStart(3)}% `
        : '';
    const of = this.total !== null && this.total > 0 ? ` of ${size(this.total)}` : '';
    return `${share}${size(this.received)}${of}  ${size(rate)}/s  ${clock(seconds)}`;
  }

  private draw(now: number): void {
    this.lastDraw = now;
    this.drawn = true;
    // \r and "erase to end of line" (ECMA-48 EL): the line is redrawn in place.
    this.out.write(`\r${this.line(now)}\x1b[K`);
  }
}

/** Bytes in binary units with one decimal: "512 B", "1.5 KiB", "3.0 MiB". */
export function size(bytes: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let n = bytes;
  let i = 0;
  while (n >= 1024 && i < units.length - 1) {
    n /= 1024;
    i++;
  }
  return i === 0 ? `${Math.round(n)} B` : `${n.toFixed(1)} ${units[i]}`;
}

/** Seconds as m:ss. */
function clock(seconds: number): string {
  const s = Math.floor(seconds);
  return `${Math.floor(s / 60)}:${String(s % 60).padStart(2, '0')}`;
}
