// The editor's knowledge of the cell API (completion after `lab.`, hover docs) and its colours, which
// come from the site's palette (CSS variables), so both themes keep their contrast.
import type { CompletionContext, CompletionResult, CompletionSource } from '@codemirror/autocomplete';
import { HighlightStyle } from '@codemirror/language';
import { hoverTooltip, type Tooltip } from '@codemirror/view';
import { tags } from '@lezer/highlight';
import { lookup, membersAfter, type ApiEntry, type ApiIndex } from '../../playground/api-docs.ts';

function option(entry: ApiEntry): CompletionResult['options'][number] {
  return {
    label: entry.name,
    type: entry.kind === 'method' || entry.kind === 'function' ? 'function' : 'variable',
    detail: entry.owner ? `${entry.owner}` : undefined,
    info: () => docNode(entry),
  };
}

export function apiCompletions(api: ApiIndex): CompletionSource {
  return (context: CompletionContext) => {
    const member = context.matchBefore(/([A-Za-z_$][\w$]*)\.([\w$]*)$/);
    if (member) {
      const object = /^([A-Za-z_$][\w$]*)\./.exec(member.text)![1]!;
      return {
        from: member.to - (member.text.length - object.length - 1),
        options: membersAfter(api, object).map(option),
      };
    }
    const word = context.matchBefore(/[A-Za-z_$][\w$]*$/);
    if (!word && !context.explicit) return null;
    return { from: word?.from ?? context.pos, options: api.globals.map(option), validFor: /^[\w$]*$/ };
  };
}

export function apiHover(api: ApiIndex) {
  return hoverTooltip((view, pos): Tooltip | null => {
    const line = view.state.doc.lineAt(pos);
    const text = line.text;
    let start = pos - line.from;
    let end = start;
    while (start > 0 && /[\w$]/.test(text[start - 1]!)) start--;
    while (end < text.length && /[\w$]/.test(text[end]!)) end++;
    if (start === end) return null;
    const object = /([A-Za-z_$][\w$]*)\.$/.exec(text.slice(0, start))?.[1] ?? null;
    const entry = lookup(api, text.slice(start, end), object);
    if (!entry) return null;
    return { pos: line.from + start, end: line.from + end, above: true, create: () => ({ dom: docNode(entry) }) };
  });
}

function docNode(entry: ApiEntry): HTMLElement {
  const box = document.createElement('div');
  box.className = 'api-hover';
  const signature = document.createElement('code');
  signature.textContent = entry.signature;
  const doc = document.createElement('p');
  doc.style.margin = '0';
  doc.textContent = entry.doc;
  box.append(signature, doc);
  return box;
}

export const highlightStyle = HighlightStyle.define([
  {
    tag: [tags.keyword, tags.controlKeyword, tags.moduleKeyword, tags.operatorKeyword],
    color: 'var(--accent)',
    fontWeight: '600',
  },
  { tag: [tags.string, tags.special(tags.string)], color: 'var(--cm-literal)' },
  { tag: [tags.number, tags.bool, tags.null], color: 'var(--cm-literal)' },
  { tag: [tags.comment, tags.lineComment, tags.blockComment], color: 'var(--fg-muted)', fontStyle: 'italic' },
  { tag: [tags.typeName, tags.className], color: 'var(--accent)' },
  { tag: [tags.function(tags.variableName), tags.function(tags.propertyName)], color: 'var(--fg)', fontWeight: '600' },
]);
