// Builds the optional native backend (native/tsquic_native.c: packet protection,
// native/tsquic_udp.c: the UDP socket with sendmmsg/GSO, recvmmsg/GRO and ECN, and
// native/tsquic_handshake.c: HMAC, HKDF and X25519 for the handshake, native/tsquic_mlkem.c:
// ML-KEM-768 for the hybrid key exchange) with the local
// Node's headers: `npm install` and `npm ci` run it as the package's install script. It never
// downloads anything and never fails the install: without a C compiler, Node's headers, or on
// an OS other than Linux it says why and exits 0, and tsquic runs on its pure backend
// (src/crypto/native-provider.ts loads the result when it exists).
//
// The headers: `npm_config_nodedir` (npm sets it from `--nodedir`), else the include directory
// next to the running node (`<prefix>/include/node`, where Debian's nodejs and the official
// tarballs put node_api.h, uv.h and openssl/). Nothing is linked: N-API, libuv and OpenSSL
// resolve from the node binary at load time. Set TSQUIC_SKIP_NATIVE=1 to skip the build.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, renameSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
// The addon: packet protection (tsquic_native.c), the UDP socket (tsquic_udp.c, Linux) and the
// handshake's HMAC, HKDF and X25519 (tsquic_handshake.c) and ML-KEM-768 (tsquic_mlkem.c).
const sources = ['tsquic_native.c', 'tsquic_udp.c', 'tsquic_handshake.c', 'tsquic_mlkem.c'].map((f) => path.join(here, f));
const outDir = path.join(here, 'build');
const target = path.join(outDir, 'tsquic_native.node');

function skip(reason) {
  console.log(`tsquic: native backend not built (${reason}); the pure backend will run`);
  process.exit(0);
}

if (process.env.TSQUIC_SKIP_NATIVE === '1') skip('TSQUIC_SKIP_NATIVE=1');
if (process.platform !== 'linux') skip(`not supported on ${process.platform} yet`);
const nodedir = process.env.npm_config_nodedir;
const include =
  nodedir !== undefined && nodedir !== ''
    ? path.join(nodedir, 'include', 'node')
    : path.resolve(path.dirname(process.execPath), '..', 'include', 'node');
if (!existsSync(path.join(include, 'node_api.h')) || !existsSync(path.join(include, 'openssl'))) {
  skip(`no Node headers with OpenSSL in ${include}`);
}

const compiler = process.env.CC ?? 'cc';
mkdirSync(outDir, { recursive: true });
// A failed build must not leave an older addon behind to be loaded.
rmSync(target, { force: true });
const temporary = path.join(outDir, `tsquic_native.${process.pid}.tmp.node`);
try {
  execFileSync(
    compiler,
    [
      '-O2',
      '-std=c11',
      '-fPIC',
      '-shared',
      '-fvisibility=hidden',
      '-Wall',
      '-Wextra',
      '-DNODE_GYP_MODULE_NAME=tsquic_native',
      '-I',
      include,
      '-o',
      temporary,
      ...sources,
    ],
    { stdio: ['ignore', 'inherit', 'inherit'] },
  );
  // Load it once here, so a build that cannot load says so now rather than at run time.
  const addon = createRequire(import.meta.url)(temporary);
  renameSync(temporary, target);
  console.log(`tsquic: native backend built (${addon.openssl}): ${path.relative(process.cwd(), target)}`);
} catch (err) {
  rmSync(temporary, { force: true });
  skip(`${compiler} failed: ${err instanceof Error ? err.message.split('\n')[0] : String(err)}`);
}
