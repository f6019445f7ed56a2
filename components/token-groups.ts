// Byte-level BPE splits a character outside ASCII (é, ж, 日, an emoji) into byte tokens that each decode to
// "�". For display, such a run of tokens becomes one chip group showing the text it spells, found by lining
// the tokens up with the text they were encoded from (the tokenizer round-trips exactly).

/** Consecutive tokens [start, end) shown together, and the text they spell. */
export interface TokenGroup {
  start: number;
  end: number;
  text: string;
  /** Set for a group of byte tokens: the UTF-8 bytes of `text`, in hex ("C3 A9"). */
  bytes?: string;
}

const REPLACEMENT = '\uFFFD';

function hexBytes(text: string): string {
  return Array.from(new TextEncoder().encode(text), (b) => b.toString(16).toUpperCase().padStart(2, '0')).join(' ');
}

/**
 * Groups `tokens` (each token's own decoded text) against `source`, the text they encode. Tokens that decode
 * whole are groups of one; a run of tokens holding parts of characters becomes one group whose text is the
 * stretch of `source` between the tokens around it. Tokens not found in `source` (the end-of-text marker)
 * stand alone. Runs in time linear in the text.
 */
export function groupTokens(tokens: readonly string[], source: string): TokenGroup[] {
  const groups: TokenGroup[] = [];
  let at = 0; // position in `source` of the next token's text
  let i = 0;
  while (i < tokens.length) {
    const text = tokens[i]!;
    if (!text.includes(REPLACEMENT)) {
      if (source.startsWith(text, at)) at += text.length;
      groups.push({ start: i, end: i + 1, text });
      i++;
      continue;
    }
    let end = i;
    while (end < tokens.length && tokens[end]!.includes(REPLACEMENT)) end++;
    // The run spells what lies between here and the next whole token (or the end of the text).
    const next = tokens[end];
    const to = next === undefined ? source.length : source.indexOf(next, at);
    const spelled = to > at ? source.slice(at, to) : '';
    if (spelled === '') {
      // Nothing to line up with (text edited since, or generated text): keep the tokens as they are.
      for (let j = i; j < end; j++) groups.push({ start: j, end: j + 1, text: tokens[j]! });
    } else {
      groups.push({ start: i, end, text: spelled, bytes: hexBytes(spelled) });
      at = to;
    }
    i = end;
  }
  return groups;
}
