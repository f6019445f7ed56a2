// The reproducibility promise, tested: retraining e8-top2 with the command recorded in its
// training.json (shortened to 50 steps, which stay inside the same warm-up) gives the same first 50 losses
// as the shipped log, to 1e-4, on the same backend.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, it } from 'vitest';

const CHECKPOINT = 'models/checkpoints/e8-top2';

interface LogLine {
  step: number;
  loss: number;
}

const losses = (path: string): LogLine[] =>
  readFileSync(path, 'utf8')
    .trim()
    .split('\n')
    .map((line) => JSON.parse(line) as LogLine)
    .filter((line) => Number.isFinite(line.loss))
    .slice(0, 50);

it('retraining e8-top2 from its recorded command reproduces its first 50 losses', { timeout: 240_000 }, () => {
  const { command } = JSON.parse(readFileSync(join(CHECKPOINT, 'training.json'), 'utf8')) as { command: string };
  const out = mkdtempSync(join(tmpdir(), 'moe-lab-repro-'));
  try {
    // "npm run moe -- train --out <dir> …" → the same flags with our own output and 50 steps.
    const flags = command
      .replace(/^npm run moe -- train /, '')
      .replace(/--out \S+/, `--out ${out}`)
      .replace(/--steps \d+/, '--steps 50')
      .split(' ');
    const warmup = Number(/--warmup (\d+)/.exec(command)?.[1]);
    expect(warmup).toBeGreaterThanOrEqual(50); // otherwise the shorter schedule would change the learning rates
    execFileSync(process.execPath, ['scripts/moe.ts', 'train', ...flags], { stdio: 'pipe' });
    const fresh = losses(join(out, 'train-log.jsonl'));
    const shipped = losses(join(CHECKPOINT, 'train-log.jsonl'));
    expect(fresh.map((l) => l.step)).toEqual(shipped.map((l) => l.step));
    fresh.forEach((line, i) => expect(Math.abs(line.loss - shipped[i]!.loss)).toBeLessThanOrEqual(1e-4));
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
});
