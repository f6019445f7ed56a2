// What the editor knows about the names in a cell's scope, read from TypeScript declaration text (the
// lab's API_SOURCE and the playground's own, playground/scope-api.ts): each declaration's signature and
// TSDoc, for completion and hover. A light reader of declaration files, not a type checker: a member is
// found through a declared name's type (`lab.` → interface Lab), or by its name among all interfaces.

export interface ApiEntry {
  name: string;
  /** The declaration as written, one line: "load(id: CheckpointId): Promise<ModelHandle>". */
  signature: string;
  doc: string;
  kind: 'function' | 'variable' | 'method' | 'property';
  /** For a variable: its type's name, whose members complete after "name.". */
  type: string | null;
  /** For a member: the interface it belongs to. */
  owner: string | null;
}

export interface ApiIndex {
  globals: ApiEntry[];
  members: Map<string, ApiEntry[]>;
}

const DOC = /\/\*\*([\s\S]*?)\*\//y;

export function indexApi(...sources: string[]): ApiIndex {
  const globals: ApiEntry[] = [];
  const members = new Map<string, ApiEntry[]>();
  for (const source of sources) readSource(source, globals, members);
  return { globals, members };
}

function readSource(source: string, globals: ApiEntry[], members: Map<string, ApiEntry[]>): void {
  const lines = source.split('\n');
  let doc = '';
  let owner: string | null = null;
  let depth = 0;
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!.trim();
    if (line.startsWith('/**')) {
      let text = line;
      while (!text.includes('*/') && i + 1 < lines.length) text += '\n' + lines[++i]!.trim();
      DOC.lastIndex = 0;
      doc = cleanDoc(DOC.exec(text)?.[1] ?? '');
      continue;
    }
    const iface = /^(?:export\s+)?(?:declare\s+)?(?:interface|class)\s+([A-Za-z_$][\w$]*)[^{]*\{\s*$/.exec(line);
    if (depth === 0 && iface) {
      owner = iface[1]!;
      if (!members.has(owner)) members.set(owner, []);
      depth = 1;
      doc = '';
      continue;
    }
    if (owner && depth === 1) {
      if (line.startsWith('}')) {
        owner = null;
        depth = 0;
        doc = '';
        continue;
      }
      const member = /^(?:readonly\s+)?([A-Za-z_$][\w$]*)(\??)\s*([(<:])/.exec(line);
      if (member) {
        const isMethod = member[3] !== ':';
        members.get(owner)!.push({
          name: member[1]!,
          signature: line.replace(/;$/, ''),
          doc,
          kind: isMethod ? 'method' : 'property',
          type: isMethod ? null : typeName(line.slice(line.indexOf(':') + 1)),
          owner,
        });
      }
      depth += count(line, '{') - count(line, '}');
      doc = '';
      continue;
    }
    if (owner) {
      depth += count(line, '{') - count(line, '}');
      continue;
    }
    const fn = /^(?:export\s+)?declare\s+function\s+([A-Za-z_$][\w$]*)/.exec(line);
    const variable = /^(?:export\s+)?declare\s+(?:const|let|var)\s+([A-Za-z_$][\w$]*)\s*:\s*(.+?);?$/.exec(line);
    if (fn)
      globals.push({
        name: fn[1]!,
        signature: line.replace(/^(export\s+)?declare\s+/, '').replace(/;$/, ''),
        doc,
        kind: 'function',
        type: null,
        owner: null,
      });
    else if (variable) {
      globals.push({
        name: variable[1]!,
        signature: line.replace(/^(export\s+)?declare\s+/, '').replace(/;$/, ''),
        doc,
        kind: 'variable',
        type: typeName(variable[2]!),
        owner: null,
      });
    }
    if (line !== '') doc = '';
  }
}

function typeName(text: string): string | null {
  return /^\s*(?:Readonly<)?([A-Za-z_$][\w$]*)/.exec(text)?.[1] ?? null;
}

function count(text: string, char: string): number {
  return text.split(char).length - 1;
}

function cleanDoc(raw: string): string {
  return raw
    .split('\n')
    .map((l) => l.replace(/^\s*\*\s?/, '').trimEnd())
    .join('\n')
    .trim();
}

/** Members that may follow `object.`: its declared type's, else every interface's (a handle from a call). */
export function membersAfter(index: ApiIndex, object: string): ApiEntry[] {
  const declared = index.globals.find((g) => g.name === object)?.type;
  const own = declared ? index.members.get(declared) : undefined;
  if (own) return own;
  const all = [...index.members.values()].flat();
  const seen = new Set<string>();
  return all.filter((m) => !seen.has(m.name) && seen.add(m.name));
}

/** The entry for a word the pointer is on, given the identifier before its dot (if any). */
export function lookup(index: ApiIndex, word: string, object: string | null): ApiEntry | null {
  if (object) return membersAfter(index, object).find((m) => m.name === word) ?? null;
  return index.globals.find((g) => g.name === word) ?? null;
}
