/** Finding the benchmark scripts: every `*.ts` directly in bench/ except the runner (helpers live in bench/lib/). */
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

export interface BenchScript {
  name: string;
  file: string;
}

/** The benchmark scripts in bench/, sorted by name. */
export function findBenchmarks(dir = 'bench'): BenchScript[] {
  return readdirSync(dir)
    .filter(
      (f) => f.endsWith('.ts') && !f.endsWith('.d.ts') && f !== 'run.ts' && statSync(join(dir, f)).isFile(),
    )
    .map((f) => ({ name: f.replace(/\.bench\.ts$|\.ts$/, ''), file: join(dir, f) }))
    .sort((a, b) => a.name.localeCompare(b.name));
}
