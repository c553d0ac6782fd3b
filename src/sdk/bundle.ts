// Builds the browser snippet (src/sdk/browser/) once per process with esbuild — the bundler tsx
// already brings — into one minified script, with its SHA-256 as the ETag.
import { createHash } from 'node:crypto';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { build } from 'esbuild';

export interface SnippetBundle {
  code: string;
  etag: string;
  bytes: number;
  gzipBytes: number;
}

const ENTRY = path.join(__dirname, 'browser', 'snippet.ts');
let bundled: Promise<SnippetBundle> | undefined;

/** The snippet, built on first use and kept (a failed build is tried again next time). */
export function snippetBundle(): Promise<SnippetBundle> {
  bundled ??= buildSnippet().catch((error: unknown) => {
    bundled = undefined;
    throw error;
  });
  return bundled;
}

async function buildSnippet(): Promise<SnippetBundle> {
  const result = await build({
    entryPoints: [ENTRY],
    bundle: true,
    minify: true,
    format: 'iife',
    // Browsers of the last few years (ES2019 brings optional catch binding and flat()).
    target: ['es2019'],
    write: false,
    legalComments: 'none',
    logLevel: 'silent',
  });
  const code = result.outputFiles[0].text;
  return {
    code,
    etag: `"${createHash('sha256').update(code).digest('base64url').slice(0, 27)}"`,
    bytes: Buffer.byteLength(code),
    gzipBytes: gzipSync(code).length,
  };
}
