// A cell's TypeScript → a JavaScript function the guest worker runs. Sucrase strips the types (keeping
// every line where it was, so errors point at the reader's own lines), acorn finds the cell's top-level
// statements, and a few splices make it behave like a notebook cell:
// - top-level `const`/`let`/`var`, `function` and `class` names go into the notebook's shared scope, so a
//   later cell sees them (declarations become assignments; `const` is not enforced across cells);
// - top-level `await` works (the cell is the body of an async function);
// - the value of a last expression statement is the cell's value.
import { parse, type Pattern, type Statement } from 'acorn';
import { transform } from 'sucrase';

/** The scope object's name inside the generated code; a cell that declares it would break, so it is refused. */
export const SCOPE = '__moeScope';

export interface CompiledCell {
  ok: true;
  /** Source of an expression that evaluates to `async (scope) => value`. */
  code: string;
  /** Names the cell declares at top level: the runner creates them in the scope before running it. */
  names: string[];
  /** Characters the wrapper adds before the cell's first line (to map a column on line 1 back). */
  prefixLength: number;
}

export interface CellSyntaxError {
  ok: false;
  message: string;
  /** 1-based line in the cell, when known. */
  line: number | null;
}

/** The file name error stacks show for cell `id`; {@link cellLineOf} reads it back. */
export function cellFileName(id: number): string {
  return `moe-cell-${id}.js`;
}

/** The first stack frame in cell `id`'s code → its 1-based line in the cell, or null. */
export function cellLineOf(stack: string, id: number): number | null {
  const match = new RegExp(`moe-cell-${id}\\.js:(\\d+):\\d+`).exec(stack);
  return match ? Number(match[1]) : null;
}

interface Edit {
  start: number;
  end: number;
  text: string;
}

export function compileCell(source: string, id: number): CompiledCell | CellSyntaxError {
  let js: string;
  try {
    js = transform(source, { transforms: ['typescript'], disableESTransforms: true, keepUnusedImports: true }).code;
  } catch (error) {
    return syntaxError(error);
  }
  let program: { body: Statement[] };
  try {
    program = parse(js, {
      ecmaVersion: 'latest',
      sourceType: 'script',
      allowAwaitOutsideFunction: true,
      locations: true,
    }) as unknown as { body: Statement[] };
  } catch (error) {
    return syntaxError(error);
  }
  const names: string[] = [];
  const hoisted: string[] = [];
  const edits: Edit[] = [];
  const body = program.body;
  for (const [i, statement] of body.entries()) {
    if (statement.type === 'VariableDeclaration') {
      const declarations = statement.declarations;
      const first = declarations[0]!;
      const last = declarations[declarations.length - 1]!;
      for (const d of declarations) {
        names.push(...patternNames(d.id));
        if (!d.init && d !== last) edits.push({ start: d.id.end, end: d.id.end, text: ' = undefined' });
      }
      // `const {a} = x, b = 1;` → `;({a} = x, b = 1);`: parenthesised so a destructuring pattern is an expression.
      edits.push({ start: statement.start, end: first.start, text: ';(' });
      edits.push({ start: last.end, end: statement.end, text: `${last.init ? '' : ' = undefined'});` });
    } else if (statement.type === 'FunctionDeclaration' && statement.id) {
      // Hoisted in the cell's own function as usual, then copied into the scope before the cell runs.
      names.push(statement.id.name);
      hoisted.push(statement.id.name);
    } else if (statement.type === 'ClassDeclaration' && statement.id) {
      names.push(statement.id.name);
      edits.push({ start: statement.start, end: statement.start, text: `${statement.id.name} = ` });
      edits.push({ start: statement.end, end: statement.end, text: ';' });
    } else if (statement.type === 'ExpressionStatement' && i === body.length - 1) {
      const expression = statement.expression;
      edits.push({ start: statement.start, end: expression.start, text: 'return (' });
      edits.push({ start: expression.end, end: statement.end, text: ');' });
    }
  }
  if (names.includes(SCOPE)) return { ok: false, message: `The name ${SCOPE} is the playground's own.`, line: null };
  let code = js;
  for (const edit of edits.sort((a, b) => b.start - a.start || b.end - a.end)) {
    code = code.slice(0, edit.start) + edit.text + code.slice(edit.end);
  }
  const copies = hoisted.map((name) => `${SCOPE}.${name} = ${name};`).join(' ');
  // Sloppy mode on purpose: `with` makes the scope's names plain variables for the cell's code. The cell's
  // first line stays line 1, so stack lines are the cell's lines.
  const prefix = `(async function (${SCOPE}) { with (${SCOPE}) { return await (async function () { ${copies}`;
  const suffix = `\n}).call(undefined); } })\n//# sourceURL=${cellFileName(id)}\n`;
  return { ok: true, code: prefix + code + suffix, names: [...new Set(names)], prefixLength: prefix.length };
}

function patternNames(pattern: Pattern): string[] {
  switch (pattern.type) {
    case 'Identifier':
      return [pattern.name];
    case 'ObjectPattern':
      return pattern.properties.flatMap((p) => patternNames(p.type === 'RestElement' ? p.argument : p.value));
    case 'ArrayPattern':
      return pattern.elements.flatMap((e) => (e ? patternNames(e) : []));
    case 'RestElement':
      return patternNames(pattern.argument);
    case 'AssignmentPattern':
      return patternNames(pattern.left);
    default:
      return [];
  }
}

function syntaxError(error: unknown): CellSyntaxError {
  const loc = (error as { loc?: { line?: number } }).loc;
  const raw = error instanceof Error ? error.message : String(error);
  // Both parsers end their messages with "(line:column)"; the line is reported on its own.
  const message = raw.replace(/^Error transforming [^:]*:\s*/, '').replace(/\s*\(\d+:\d+\)$/, '');
  const line = typeof loc?.line === 'number' ? loc.line : null;
  if (/'import' and 'export' may appear only|Cannot use import statement/.test(message)) {
    return {
      ok: false,
      line,
      message: 'Cells cannot import modules: lab, Plot, display and the helpers are in scope.',
    };
  }
  return { ok: false, line, message: `Syntax error: ${message}.` };
}
