// start.sh and test.sh install only when needed: node_modules missing, or package-lock.json changed.
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { afterEach, describe, expect, it } from 'vitest';
import { installReason, stampInstall } from '../../scripts/install-state.ts';

const dirs: string[] = [];
function project(): string {
  const dir = mkdtempSync(join(tmpdir(), 'install-state-'));
  dirs.push(dir);
  writeFileSync(join(dir, 'package-lock.json'), '{"lockfileVersion":3}');
  return dir;
}
afterEach(() => dirs.splice(0).forEach((d) => rmSync(d, { recursive: true, force: true })));

describe('install state', () => {
  it('asks for an install when node_modules is missing, not after one, and again when the lockfile changes', () => {
    const dir = project();
    expect(installReason(dir)).toBe('node_modules is missing');
    mkdirSync(join(dir, 'node_modules'));
    expect(installReason(dir)).toBe('node_modules was not installed by this script');
    stampInstall(dir);
    expect(installReason(dir)).toBeNull();
    writeFileSync(join(dir, 'package-lock.json'), '{"lockfileVersion":3,"packages":{}}');
    expect(installReason(dir)).toBe('package-lock.json changed');
  });

  it('the command line exits 0 only when an install is needed', () => {
    const dir = project();
    const script = join(process.cwd(), 'scripts/install-state.ts');
    const check = () => spawnSync(process.execPath, [script, 'check'], { cwd: dir, encoding: 'utf8' });
    expect(check().status).toBe(0);
    mkdirSync(join(dir, 'node_modules'));
    expect(spawnSync(process.execPath, [script, 'stamp'], { cwd: dir }).status).toBe(0);
    expect(check().status).toBe(1);
  });

  it.each(['scripts/start.sh', 'scripts/test.sh'])('%s runs npm ci only behind the check', (path) => {
    const lines = readFileSync(path, 'utf8').split('\n');
    const installs = lines.flatMap((line, i) => (/^\s*npm ci\b/.test(line) ? [i] : []));
    expect(installs.length).toBeGreaterThan(0);
    for (const i of installs) {
      expect(lines[i]!.startsWith('  '), `${path}:${i + 1} must be inside the if-block`).toBe(true);
      expect(
        lines
          .slice(0, i)
          .reverse()
          .find((l) => /^if /.test(l)),
      ).toBe('if node scripts/install-state.ts check; then');
    }
  });
});
