/**
 * qlog files: one JSON-SEQ file per connection in a directory, named after the original
 * destination connection ID and the vantage point, as qvis and other tools read them. The
 * events themselves come from the core's QlogWriter (src/conn/qlog-writer.ts); this module only
 * gives it a file, written in large blocks and closed when the connection is.
 */
import { closeSync, openSync, writeSync } from 'node:fs';
import path from 'node:path';
import type { QlogSink } from '../conn/qlog.js';
import { QlogWriter, type QlogFormat } from '../conn/qlog-writer.js';

/** Records are buffered up to this many characters between writes (a transfer logs every packet). */
const BUFFER_CHARS = 256 * 1024;

/**
 * A qlog factory for EngineConfig.qlog / ServerOptions.qlog: one file per connection in `dir`,
 * in `format` ("ietf", the drafts, by default; "qvis" for the viewer's older loader).
 */
export function qlogToDirectory(
  dir: string,
  format: QlogFormat = 'ietf',
): (traceId: string, role: 'client' | 'server') => QlogSink {
  return (traceId, role) =>
    qlogFile(path.join(dir, `${traceId}_${role}.sqlog`), traceId, role, format);
}

/** A qlog sink writing to `file` (created or truncated). */
export function qlogFile(
  file: string,
  traceId: string,
  role: 'client' | 'server',
  format: QlogFormat = 'ietf',
): QlogSink {
  const fd = openSync(file, 'w');
  let open = true;
  return new QlogWriter({
    write: (chunk) => {
      if (open) writeSync(fd, chunk);
    },
    role,
    traceId,
    format,
    bufferChars: BUFFER_CHARS,
    wallClockTime: new Date().toISOString(),
    onClose: () => {
      if (!open) return;
      open = false;
      closeSync(fd);
    },
  });
}
