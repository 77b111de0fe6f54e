/** Content-Type by extension for `tsquic serve` (src/cli/mime.ts). */
import assert from 'node:assert/strict';
import { contentTypeFor, DEFAULT_CONTENT_TYPE } from '../../src/cli/mime.js';

describe('contentTypeFor', () => {
  it('maps the web types a browser needs by extension', () => {
    const expected: Record<string, string> = {
      'index.html': 'text/html; charset=utf-8',
      'style.css': 'text/css; charset=utf-8',
      'app.js': 'text/javascript; charset=utf-8',
      'mod.mjs': 'text/javascript; charset=utf-8',
      'data.json': 'application/json',
      'notes.txt': 'text/plain; charset=utf-8',
      'logo.svg': 'image/svg+xml',
      'a.png': 'image/png',
      'b.jpg': 'image/jpeg',
      'b.jpeg': 'image/jpeg',
      'c.gif': 'image/gif',
      'd.webp': 'image/webp',
      'e.wasm': 'application/wasm',
      'favicon.ico': 'image/vnd.microsoft.icon',
      'doc.pdf': 'application/pdf',
      'movie.mp4': 'video/mp4',
      'font.woff2': 'font/woff2',
    };
    for (const [name, type] of Object.entries(expected)) {
      assert.equal(contentTypeFor(name), type, name);
    }
  });

  it('ignores case and directories, and looks only at the last extension', () => {
    assert.equal(contentTypeFor('/www/sub.dir/INDEX.HTML'), 'text/html; charset=utf-8');
    assert.equal(contentTypeFor('archive.tar.gz'), 'application/gzip');
    assert.equal(contentTypeFor('/www/page.html.bak'), DEFAULT_CONTENT_TYPE);
  });

  it('serves unknown, missing and dot-file extensions as application/octet-stream', () => {
    assert.equal(DEFAULT_CONTENT_TYPE, 'application/octet-stream');
    for (const name of ['random.bin', 'README', '.html', 'file.', 'x.exe']) {
      assert.equal(contentTypeFor(name), DEFAULT_CONTENT_TYPE, name);
    }
  });
});
