// `npm run moe -- <command> [flags]`: the course's command line for data, training and analysis.
// Each command is one file in scripts/commands/ exporting `command: Command`; this file only dispatches.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export interface Command {
  /** One line for `--help`. */
  summary: string;
  /** The full help text: usage, flags and an example. */
  usage: string;
  run(args: string[]): Promise<void>;
}

/** In the order `--help` lists them. */
const COMMANDS = ['corpus', 'tokenizer', 'data', 'train', 'eval', 'generate', 'logits', 'analyze', 'params'] as const;

function commandFile(name: string): string {
  return fileURLToPath(new URL(`./commands/${name}.ts`, import.meta.url));
}

async function load(name: string): Promise<Command | undefined> {
  if (!existsSync(commandFile(name))) return undefined;
  const module = (await import(commandFile(name))) as { command: Command };
  return module.command;
}

async function help(): Promise<void> {
  const lines = ['Usage: npm run moe -- <command> [flags]   (npm run moe -- <command> --help for its flags)', ''];
  for (const name of COMMANDS) {
    const command = await load(name);
    if (command) lines.push(`  ${name.padEnd(10)} ${command.summary}`);
  }
  console.log(lines.join('\n'));
}

const [name, ...args] = process.argv.slice(2);
if (!name || name === '--help' || name === '-h' || name === 'help') {
  await help();
} else {
  const command = await load(name);
  if (!command) {
    console.error(`Unknown command "${name}".`);
    await help();
    process.exit(2);
  }
  if (args.includes('--help') || args.includes('-h')) {
    console.log(command.usage);
  } else {
    try {
      await command.run(args);
    } catch (error) {
      // Commands throw sentences meant for the reader; a stack trace only with DEBUG set.
      console.error(process.env.DEBUG ? error : `Error: ${error instanceof Error ? error.message : String(error)}`);
      process.exit(1);
    }
  }
}
