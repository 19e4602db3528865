/**
 * .github/workflows, .vscode, .devcontainer and deploy/hosting: they parse, name commands and files
 * that exist, and the CI workflow mirrors .ci/run (same Debian packages and checks). GitHub Actions,
 * VS Code and the hosting platforms themselves are not run here.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { ROOT } from './helpers.js';

const read = (p: string) => readFileSync(join(ROOT, p), 'utf8');
const scripts = (JSON.parse(read('package.json')) as { scripts: Record<string, string> }).scripts;

interface Step {
  run?: string;
  uses?: string;
  with?: Record<string, unknown>;
}
interface Workflow {
  on: Record<string, unknown>;
  jobs: Record<string, { steps: Step[]; 'runs-on': string }>;
}

function npmScriptsUsed(text: string): { name: string; optional: boolean }[] {
  return [...text.matchAll(/npm run (--if-present |--silent )?([\w:-]+)/g)].map((m) => ({
    name: m[2]!,
    optional: m[1] === '--if-present ',
  }));
}

describe('.github/workflows/ci.yml', () => {
  const wf = parse(read('.github/workflows/ci.yml')) as Workflow;
  const runs = Object.values(wf.jobs)
    .flatMap((j) => j.steps)
    .map((s) => s.run ?? '')
    .join('\n');

  it('runs on push and pull requests with the checks of .ci/run', () => {
    expect(Object.keys(wf.on)).toEqual(expect.arrayContaining(['push', 'pull_request']));
    const ciRun = read('.ci/run');
    for (const cmd of ['npm ci', 'npm run lint', 'npm run typecheck', 'npm test']) {
      expect(ciRun, `.ci/run no longer runs ${cmd}`).toContain(cmd);
      expect(runs).toContain(cmd);
    }
  });

  it('installs every Debian package that .ci/run installs', () => {
    const m = /^APT_PACKAGES="([^"]*)"/m.exec(read('.ci/run'));
    expect(m).not.toBeNull();
    const install = /apt-get install(?:[^\n\\]|\\\n)*/.exec(runs)?.[0] ?? '';
    for (const p of m![1]!.split(/\s+/).filter(Boolean)) expect(install, p).toContain(p);
    for (const p of ['prometheus', 'docker-compose', 'python3']) expect(install, p).toContain(p);
  });

  it('builds the image from deploy/Dockerfile and smoke-tests it', () => {
    const build = Object.values(wf.jobs)
      .flatMap((j) => j.steps)
      .find((s) => s.uses?.startsWith('docker/build-push-action'));
    expect(build?.with?.file).toBe('deploy/Dockerfile');
    expect(build?.with?.push).toBe(false);
    expect(runs).toMatch(/curl -fsS http:\/\/127\.0\.0\.1:8080\/health/);
  });

  it('names only npm scripts that exist (optional ones use --if-present)', () => {
    for (const s of npmScriptsUsed(runs)) if (!s.optional) expect(scripts, s.name).toHaveProperty(s.name);
  });
});

describe('.github/workflows/retrain.yml', () => {
  const wf = parse(read('.github/workflows/retrain.yml')) as Workflow & {
    on: { schedule: { cron: string }[] };
  };

  it('is scheduled daily, can be started by hand, and runs the DAG flow once', () => {
    expect(wf.on.schedule[0]?.cron).toMatch(/^\d+ \d+ \* \* \*$/);
    expect(wf.on).toHaveProperty('workflow_dispatch');
    const runs = wf.jobs.retrain!.steps.map((s) => s.run ?? '').join('\n');
    expect(runs).toContain('python3 deploy/airflow/crimepulse_dag.py');
    expect(existsSync(join(ROOT, 'deploy/airflow/crimepulse_dag.py'))).toBe(true);
    expect(read('.github/workflows/retrain.yml')).toContain('secrets.CRIMEPULSE_ADMIN_TOKEN');
  });
});

describe('.vscode and .devcontainer', () => {
  it('are valid JSON naming files and commands that exist', () => {
    const ext = JSON.parse(read('.vscode/extensions.json')) as { recommendations: string[] };
    expect(ext.recommendations).toContain('biomejs.biome');
    const launch = JSON.parse(read('.vscode/launch.json')) as {
      configurations: { program?: string; name: string }[];
    };
    for (const c of launch.configurations) {
      if (c.program) expect(existsSync(c.program.replace(/\$\{workspaceFolder\}/, ROOT)), c.name).toBe(true);
    }
    expect(launch.configurations.map((c) => c.name).join('\n')).toMatch(/start[\s\S]*vitest[\s\S]*attach/);
    const tasks = JSON.parse(read('.vscode/tasks.json')) as { tasks: { label: string; command: string }[] };
    for (const t of tasks.tasks) {
      for (const s of npmScriptsUsed(t.command))
        expect(scripts, `${t.label}: npm run ${s.name}`).toHaveProperty(s.name);
    }
    expect(tasks.tasks.map((t) => t.label)).toEqual(
      expect.arrayContaining(['crimepulse: start (replay)', 'test: all', 'typecheck']),
    );
    const dc = JSON.parse(read('.devcontainer/devcontainer.json')) as {
      image: string;
      postCreateCommand: string;
      forwardPorts: number[];
    };
    expect(dc.image).toMatch(/typescript-node:\S*-(24|26)-/);
    expect(dc.postCreateCommand).toContain('npm ci');
    expect(dc.forwardPorts).toContain(8080);
  });
});

describe('deploy/hosting', () => {
  it('Hugging Face Space: Docker SDK on port 7860, assembled by a valid shell script that sets PORT', () => {
    const readme = read('deploy/hosting/huggingface/README.md');
    const front = parse(/^---\n([\s\S]*?)\n---/.exec(readme)?.[1] ?? '') as Record<string, unknown>;
    expect(front.sdk).toBe('docker');
    expect(front.app_port).toBe(7860);
    const script = read('deploy/hosting/huggingface/prepare-space.sh');
    expect(script).toContain('PORT=7860');
    expect(script).toContain('CRIMEPULSE_MODE=replay');
    const syntax = spawnSync('bash', ['-n', join(ROOT, 'deploy/hosting/huggingface/prepare-space.sh')], {
      encoding: 'utf8',
    });
    expect(syntax.status, syntax.stderr).toBe(0);
  });

  it('standalone chatbot: Procfile, app.json, render.yaml and fly.toml run `chat --api`', () => {
    expect(read('deploy/hosting/chat/Procfile')).toMatch(
      /^web: node bin\/crimepulse\.js chat --api "\$CRIMEPULSE_API_URL"$/m,
    );
    const app = JSON.parse(read('deploy/hosting/chat/app.json')) as {
      env: Record<string, { required?: boolean }>;
    };
    expect(app.env.CRIMEPULSE_API_URL?.required).toBe(true);
    const render = parse(read('deploy/hosting/chat/render.yaml')) as {
      services: { startCommand: string; plan: string }[];
    };
    expect(render.services[0]?.startCommand).toContain('chat --api');
    expect(render.services[0]?.plan).toBe('free');
    expect(read('deploy/hosting/chat/fly.toml')).toContain('chat --api');
    expect(read('docs/operations.md')).toMatch(/Heroku has had no free tier since 28 November 2022/);
  });
});
