// Prints the README's table of shipped checkpoints from what training and evaluation recorded
// (training.json, eval-test.json, manifest.json), so the table is never typed by hand.
// Usage: node scripts/checkpoint-table.ts
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { formatBytes, formatCount } from '../components/format.ts';

interface Training {
  command: string;
  wallSeconds: number;
  finalTrainLoss: number;
  finalValLoss: number;
  parameters: { total: number; active: number };
}

const ROOT = 'models/checkpoints';
const ORDER = ['dense', 'e4-top2', 'e8-top2', 'e16-top2', 'e8-top1'];
const read = <T>(path: string): T => JSON.parse(readFileSync(path, 'utf8')) as T;
const ids = readdirSync(ROOT)
  .filter((id) => existsSync(join(ROOT, id, 'training.json')))
  .sort((a, b) => (ORDER.indexOf(a) + 1 || 99) - (ORDER.indexOf(b) + 1 || 99));

console.log(
  '| checkpoint | experts, K | parameters total / active | on disk | training time | train loss | val loss | test loss |',
);
console.log('| --- | --- | --- | --- | --- | --- | --- | --- |');
for (const id of ids) {
  const t = read<Training>(join(ROOT, id, 'training.json'));
  const config = read<{ num_local_experts: number; num_experts_per_tok: number }>(join(ROOT, id, 'config.json'));
  const manifest = read<{ files: Record<string, { size: number }> }>(join(ROOT, id, 'manifest.json'));
  const bytes = Object.values(manifest.files).reduce((sum, f) => sum + f.size, 0);
  const testPath = join(ROOT, id, 'eval-test.json');
  const test = existsSync(testPath) ? read<{ overall: { loss: number } }>(testPath).overall.loss.toFixed(3) : '—';
  const k = `${config.num_local_experts}, top-${config.num_experts_per_tok}`;
  const params = `${formatCount(t.parameters.total)} / ${formatCount(t.parameters.active)}`;
  const minutes = `${(t.wallSeconds / 60).toFixed(1)} min`;
  console.log(
    `| \`${id}\` | ${k} | ${params} | ${formatBytes(bytes)} | ${minutes} | ${t.finalTrainLoss.toFixed(3)} | ${t.finalValLoss.toFixed(3)} | ${test} |`,
  );
}
console.log('\nCommands:');
for (const id of ids) console.log(`- \`${id}\`: \`${read<Training>(join(ROOT, id, 'training.json')).command}\``);
