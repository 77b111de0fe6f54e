/**
 * The qlog files `tsquic serve` and `tsquic get` write validate against the drafts'
 * definitions (validate.ts), both forms: the IETF drafts (default) and the one qvis loads
 * (`--qlog-format qvis`). QLOGDIR in the environment works like --qlog-dir (qlog main-schema
 * §11.1). The HTTP/3 exchange shows in http3: events: SETTINGS both ways, the stream types, the
 * request and response header sections.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { QlogFormat } from '../../src/conn/qlog-writer.js';
import {
  MEDIUM,
  Processes,
  SMALL,
  TSQUIC,
  type Site,
  assertDownloaded,
  createSite,
  freshDir,
  removeSite,
  runGet,
  startListening,
  urls,
  waitFor,
} from '../interop/matrix-kit.js';
import { validateQlog } from './validate.js';

interface Event {
  name: string;
  data: Record<string, unknown>;
}

/** The events of every file in `dir`, each file validated in `format` first. */
function validatedTraces(dir: string, format: QlogFormat): Event[][] {
  const files = readdirSync(dir);
  assert.ok(files.length > 0, `qlog files in ${dir}`);
  return files.map((f) => {
    const text = readFileSync(path.join(dir, f), 'utf8');
    assert.deepEqual(validateQlog(text, format).slice(0, 10), [], `${f} validates (${format})`);
    return text
      .split('\x1e')
      .slice(2)
      .map((r) => JSON.parse(r) as Event);
  });
}

/** The header fields of the header sections in `name` events (frame_created / frame_parsed). */
function headerSections(trace: readonly Event[], name: string): Map<string, string>[] {
  return trace
    .filter((e) => e.name === name)
    .map(
      (e) => e.data['frame'] as { frame_type: string; headers?: { name: string; value: string }[] },
    )
    .filter((f) => f.frame_type === 'headers')
    .map((f) => new Map(f.headers!.map((h) => [h.name, h.value])));
}

describe('qlog of tsquic serve and get: valid files, QLOGDIR, HTTP/3 events', function () {
  this.timeout(60_000);
  let site: Site | undefined;
  const procs = new Processes();

  before(() => {
    site = createSite('qlog-cli', { big: false });
  });

  afterEach(() => procs.killAll());

  after(() => {
    procs.killAll();
    removeSite(site);
  });

  for (const format of ['ietf', 'qvis'] as const) {
    it(`writes ${format} qlog on both sides (server by QLOGDIR, client by --qlog-dir)`, async () => {
      const s = site!;
      const serverDir = freshDir(s, 'qlog-server');
      const clientDir = freshDir(s, 'qlog-client');
      const { port } = await startListening(
        procs,
        [
          ...TSQUIC,
          'serve',
          '--port',
          '0',
          '--root',
          s.www,
          '--cert',
          s.certFile,
          '--key',
          s.keyFile,
          '--qlog-format',
          format,
        ],
        'tsquic serve',
        30_000,
        { ...process.env, QLOGDIR: serverDir },
      );
      const out = freshDir(s, 'get');
      const names = [SMALL, MEDIUM];
      const r = await runGet(procs, [
        '--ca',
        s.certFile,
        '--output',
        out,
        '--qlog-dir',
        clientDir,
        '--qlog-format',
        format,
        ...urls(port, names),
      ]);
      assertDownloaded(s, out, names, r.stderr);
      // The server's trace is complete once its connection is gone (the closed state last).
      await waitFor(
        () =>
          readdirSync(serverDir).some((f) => {
            const text = readFileSync(path.join(serverDir, f), 'utf8');
            return text.slice(text.lastIndexOf('\x1e')).includes('"new":"closed"');
          }),
        20_000,
        'the server trace',
      );
      const [client] = validatedTraces(clientDir, format);
      const h3 = (n: string): string => (format === 'ietf' ? `http3:${n}` : `http:${n}`);
      const requests = headerSections(client!, h3('frame_created'));
      assert.deepEqual(
        requests.map((h) => h.get(':path')).sort(),
        names.map((n) => `/${n}`).sort(),
        'the request header sections',
      );
      const responses = headerSections(client!, h3('frame_parsed'));
      assert.deepEqual(
        responses.map((h) => h.get(':status')),
        ['200', '200'],
      );
      const params = client!.filter((e) => e.name === h3('parameters_set'));
      assert.deepEqual(
        params.map((e) => e.data['initiator']).sort(),
        ['local', 'remote'],
        'SETTINGS sent and received',
      );
      const types = client!
        .filter((e) => e.name === h3('stream_type_set'))
        .map((e) => `${String(e.data['initiator'])}:${String(e.data['stream_type'])}`);
      for (const t of ['control', 'qpack_encode', 'qpack_decode']) {
        assert.ok(types.includes(`local:${t}`) && types.includes(`remote:${t}`), t);
      }
      const [server] = validatedTraces(serverDir, format);
      assert.deepEqual(
        headerSections(server!, h3('frame_parsed'))
          .map((h) => h.get(':path'))
          .sort(),
        names.map((n) => `/${n}`).sort(),
        'the server parsed the requests',
      );
    });
  }

  /** `tsquic serve` with one engine, its qlog files in `serverDir` (QLOGDIR). */
  function serveWithQlogDir(s: Site, serverDir: string): ReturnType<typeof startListening> {
    return startListening(
      procs,
      [...TSQUIC, 'serve', '--port', '0', '--workers', '1', '--root', s.www],
      'tsquic serve',
      30_000,
      { ...process.env, QLOGDIR: serverDir },
    );
  }

  it('a server stopped by SIGTERM while its connection drains still writes a whole trace', async () => {
    const s = site!;
    const serverDir = freshDir(s, 'qlog-sigterm');
    const { peer, port } = await serveWithQlogDir(s, serverDir);
    const out = freshDir(s, 'get-sigterm');
    const r = await runGet(procs, ['--insecure', '--output', out, ...urls(port, [SMALL])]);
    assertDownloaded(s, out, [SMALL], r.stderr);
    // The client closed as it exited: the server's connection is draining (three PTOs) when the
    // signal comes, as when the interop runner stops the server after its client.
    peer.child.kill('SIGTERM');
    const exit = await peer.exited;
    assert.equal(exit.code, 0, peer.output());
    const [server] = validatedTraces(serverDir, 'ietf');
    const states = server!.filter((e) => e.name === 'quic:connection_state_updated');
    assert.equal(states.at(-1)?.data['new'], 'closed', 'the trace ends with the closed state');
  });

  it('a server killed 1 s after SIGTERM, its client gone mid-transfer, keeps what it logged', async () => {
    const s = site!;
    const serverDir = freshDir(s, 'qlog-killed');
    writeFileSync(path.join(s.www, 'large.bin'), Buffer.alloc(30 << 20, 7));
    const { peer, port } = await serveWithQlogDir(s, serverDir);
    const out = freshDir(s, 'get-killed');
    const get = procs.start([
      ...TSQUIC,
      'get',
      '--insecure',
      '--output',
      out,
      `https://127.0.0.1:${port}/large.bin`,
    ]);
    // The client vanishes mid-transfer without a word: the server's connection stays
    // established with data in flight, and its graceful close waits for it.
    // Bytes in the output file (get opens it before it connects).
    await waitFor(
      () => readdirSync(out).some((f) => statSync(path.join(out, f)).size > 0),
      20_000,
      'the download to start',
    );
    get.child.kill('SIGKILL');
    await get.exited;
    peer.child.kill('SIGTERM');
    await new Promise((resolve) => setTimeout(resolve, 1000));
    peer.child.kill('SIGKILL');
    await peer.exited;
    const [server] = validatedTraces(serverDir, 'ietf');
    assert.ok(
      server!.some((e) => e.name === 'quic:packet_sent'),
      'the packets sent before the signal are in the trace',
    );
  });
});
