// Builds web/src into web/dist, which the server serves (src/http/web-app.ts). Asset URLs are relative
// (base './') and the server writes a <base href> into index.html, so one build works under any base path.
// Each text file is also written precompressed (.br, .gz): the server sends them as they are.
import fs from 'node:fs';
import path from 'node:path';
import { brotliCompressSync, constants, gzipSync } from 'node:zlib';
import react from '@vitejs/plugin-react';
import { defineConfig, type Plugin } from 'vite';

const root = path.dirname(new URL(import.meta.url).pathname);
const server = process.env.TONEARM_DEV_SERVER ?? 'http://127.0.0.1:4040';

function precompress(): Plugin {
  return {
    name: 'tonearm-precompress',
    apply: 'build',
    writeBundle(options) {
      const out = options.dir ?? path.join(root, 'dist');
      for (const entry of fs.readdirSync(out, { recursive: true, withFileTypes: true })) {
        if (!entry.isFile() || !/\.(js|css|html|svg|json|webmanifest|txt)$/.test(entry.name)) continue;
        const file = path.join(entry.parentPath, entry.name);
        const body = fs.readFileSync(file);
        if (body.length < 1024) continue;
        fs.writeFileSync(`${file}.gz`, gzipSync(body, { level: 9 }));
        fs.writeFileSync(
          `${file}.br`,
          brotliCompressSync(body, { params: { [constants.BROTLI_PARAM_QUALITY]: 11 } }),
        );
      }
    },
  };
}

export default defineConfig({
  root,
  base: './',
  plugins: [react(), precompress()],
  build: {
    outDir: path.join(root, 'dist'),
    emptyOutDir: true,
    target: 'es2022',
    sourcemap: false,
    chunkSizeWarningLimit: 400,
  },
  // `npx vite web` during development, with a server running on :4040 behind it.
  server: {
    proxy: Object.fromEntries(['/api', '/rest', '/share', '/health'].map((prefix) => [prefix, server])),
  },
});
