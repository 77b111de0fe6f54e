/**
 * `tsquic get` that gives up keeps a whole qlog: on its timeout and on SIGINT / SIGTERM the
 * connection is closed (its CONNECTION_CLOSE logged), the trace ends with the closed state and
 * the buffered records reach the file. The server is a UDP socket that never answers, so the
 * client is always mid-handshake when it gives up.
 */
import assert from 'node:assert/strict';
import { createSocket, type Socket } from 'node:dgram';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Processes, TSQUIC, finished, tail, waitFor } from '../interop/matrix-kit.js';

interface Record {
  name?: string;
  data?: { new?: string; frames?: { frame_type: string }[] };
}

/** The records of the one qlog file in `dir`, header first. */
function qlogRecords(dir: string): Record[] {
  const files = readdirSync(dir);
  assert.equal(files.length, 1, `one qlog file expected, got ${files.join(', ')}`);
  const text = readFileSync(path.join(dir, files[0]!), 'utf8');
  return text
    .split('\x1e')
    .filter((r) => r !== '')
    .map((r) => JSON.parse(r) as Record);
}

function assertComplete(records: Record[]): void {
  assert.ok(records.length > 2, 'a header and events');
  const names = records.map((r) => r.name);
  assert.ok(names.includes('quic:connection_closed'), 'the close is logged');
  const closeFrames = records
    .filter((r) => r.name === 'quic:packet_sent')
    .flatMap((r) => r.data?.frames ?? [])
    .filter((f) => f.frame_type === 'connection_close');
  assert.ok(closeFrames.length >= 1, 'the packet carrying CONNECTION_CLOSE is logged');
  const last = records[records.length - 1]!;
  assert.equal(last.name, 'quic:connection_state_updated');
  assert.equal(last.data?.new, 'closed', 'the trace ends with the closed state');
}

describe('tsquic get: a complete qlog when it gives up', function () {
  this.timeout(60_000);
  const procs = new Processes();
  let silent: Socket | undefined;
  let port = 0;
  let received = 0;
  let dir = '';

  beforeEach(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'tsquic-get-qlog-'));
    received = 0;
    silent = createSocket('udp4');
    silent.on('message', () => received++);
    await new Promise<void>((resolve) => silent!.bind(0, '127.0.0.1', resolve));
    port = silent.address().port;
  });

  afterEach(() => {
    procs.killAll();
    silent?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  function startGet(timeoutSeconds: number) {
    return procs.start([
      ...TSQUIC,
      'get',
      '--insecure',
      '--qlog-dir',
      dir,
      '--timeout',
      String(timeoutSeconds),
      `https://127.0.0.1:${port}/x`,
    ]);
  }

  for (const [signal, code] of [
    ['SIGINT', 130],
    ['SIGTERM', 143],
  ] as const) {
    it(`on ${signal}: exits ${code} with the trace closed and flushed`, async () => {
      const get = startGet(50);
      await waitFor(() => received > 0, 30_000, 'the first Initial');
      get.child.kill(signal);
      const r = await finished(get, 30_000, 'tsquic get');
      assert.equal(r.code, code, tail(get.output()));
      assert.match(get.stderr(), new RegExp(`interrupted by ${signal}`));
      assertComplete(qlogRecords(dir));
    });
  }

  it('on its timeout: exits 1 with the trace closed and flushed', async () => {
    const get = startGet(1);
    const r = await finished(get, 30_000, 'tsquic get');
    assert.equal(r.code, 1, tail(get.output()));
    assert.match(get.stderr(), /timed out after 1 s/);
    assertComplete(qlogRecords(dir));
  });
});
