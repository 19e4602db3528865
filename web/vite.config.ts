/**
 * Dashboard build: `npm run build:web` (vite build --config web/vite.config.ts) writes web/dist, which
 * the API server serves at `/` (src/api/plugins/web.ts). Assets are also written gzip- and
 * brotli-compressed next to the originals so @fastify/static can send them pre-compressed.
 */
import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { brotliCompressSync, constants, gzipSync } from 'node:zlib';
import { defineConfig, type Plugin } from 'vite';

const root = import.meta.dirname;

function precompress(): Plugin {
  return {
    name: 'crimepulse-precompress',
    apply: 'build',
    closeBundle() {
      const walk = (dir: string): string[] =>
        readdirSync(dir).flatMap((f) => {
          const p = join(dir, f);
          return statSync(p).isDirectory() ? walk(p) : [p];
        });
      for (const file of walk(join(root, 'dist'))) {
        if (!/\.(js|css|html|json|svg)$/.test(file) || statSync(file).size < 1024) continue;
        const buf = readFileSync(file);
        writeFileSync(`${file}.gz`, gzipSync(buf, { level: 9 }));
        // Brotli at 11 is slow on multi-MB files; 9 is within a few per cent of it.
        writeFileSync(
          `${file}.br`,
          brotliCompressSync(buf, {
            params: { [constants.BROTLI_PARAM_QUALITY]: buf.length > 2_000_000 ? 9 : 11 },
          }),
        );
      }
    },
  };
}

export default defineConfig({
  root,
  base: '/',
  publicDir: join(root, 'public'),
  build: {
    outDir: join(root, 'dist'),
    emptyOutDir: true,
    target: 'es2022',
    chunkSizeWarningLimit: 5000,
    reportCompressedSize: false,
  },
  plugins: [precompress()],
  server: {
    proxy: {
      '/v1': 'http://127.0.0.1:8080',
      '/config.json': 'http://127.0.0.1:8080',
      '/chat': 'http://127.0.0.1:8080',
    },
  },
});
