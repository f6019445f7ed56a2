// Whether `npm ci` has to run: only when node_modules is missing or package-lock.json changed since the
// last install. `npm ci` deletes node_modules first, so running it every time costs 15 s and a rebuild.
// Usage: `node scripts/install-state.ts check` exits 0 when an install is needed, 1 when not;
//        `node scripts/install-state.ts stamp` records the lockfile just installed.
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Inside node_modules, so that deleting node_modules also forgets the stamp. */
const STAMP = join('node_modules', '.moe-lab-lockfile-sha256');

function lockfileHash(root: string): string {
  return createHash('sha256')
    .update(readFileSync(join(root, 'package-lock.json')))
    .digest('hex');
}

/** Why an install is needed in `root`, or null when node_modules matches package-lock.json. */
export function installReason(root: string): string | null {
  if (!existsSync(join(root, 'node_modules'))) return 'node_modules is missing';
  const stamp = join(root, STAMP);
  if (!existsSync(stamp)) return 'node_modules was not installed by this script';
  if (readFileSync(stamp, 'utf8').trim() !== lockfileHash(root)) return 'package-lock.json changed';
  return null;
}

export function stampInstall(root: string): void {
  writeFileSync(join(root, STAMP), `${lockfileHash(root)}\n`);
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const root = process.cwd();
  const command = process.argv[2];
  if (command === 'stamp') {
    stampInstall(root);
  } else if (command === 'check') {
    const reason = installReason(root);
    if (reason) console.log(`Installing dependencies: ${reason}.`);
    process.exit(reason ? 0 : 1);
  } else {
    console.error('Usage: node scripts/install-state.ts check|stamp');
    process.exit(2);
  }
}
