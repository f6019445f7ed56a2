// A whole notebook in a link's hash: its JSON export, zlib-deflated (fflate) and base64url-encoded, after
// `#nb=`. zlib rather than raw deflate for its Adler-32 checksum, so a link cut short by a chat client
// is told apart from a notebook that merely looks odd. The hash never reaches a server.
import { strFromU8, strToU8, unzlibSync, zlibSync } from 'fflate';
import { fromJson, toJson, type Notebook, type Parsed } from './notebook.ts';

export const SHARE_PREFIX = 'nb=';
/** Far below browsers' URL limits (Chromium's is 2 MB), and long enough for every example notebook. */
export const MAX_SHARE_CHARS = 200_000;

export function encodeShare(notebook: Notebook): string {
  return SHARE_PREFIX + toBase64Url(zlibSync(strToU8(toJson(notebook)), { level: 9 }));
}

/** The hash of a shared link (with or without its leading '#') → the notebook, or why it cannot be read. */
export function decodeShare(hash: string): Parsed {
  const text = hash.replace(/^#/, '');
  if (!text.startsWith(SHARE_PREFIX)) return { ok: false, problem: 'This link carries no notebook (no "#nb=…").' };
  const payload = text.slice(SHARE_PREFIX.length);
  if (payload.length > MAX_SHARE_CHARS) {
    return {
      ok: false,
      problem: `This link's notebook is ${payload.length.toLocaleString('en-US')} characters long; a shared link may carry at most ${MAX_SHARE_CHARS.toLocaleString('en-US')}. Share the exported file instead.`,
    };
  }
  if (!/^[A-Za-z0-9_-]*$/.test(payload)) {
    return { ok: false, problem: 'This link is damaged: its notebook contains characters a shared link never has.' };
  }
  let json: string;
  try {
    json = strFromU8(unzlibSync(fromBase64Url(payload)));
  } catch {
    return {
      ok: false,
      problem:
        'This link is cut off or damaged, so its notebook cannot be read. Ask for the whole link (it can be long), or for the exported file.',
    };
  }
  const parsed = fromJson(json);
  return parsed.ok ? parsed : { ok: false, problem: `This link's notebook cannot be opened. ${parsed.problem}` };
}

function toBase64Url(bytes: Uint8Array): string {
  let binary = '';
  for (let i = 0; i < bytes.length; i += 0x8000) binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(binary).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

/** Throws on a length no base64 text has (a link cut mid-character): the caller reports a cut-off link. */
function fromBase64Url(text: string): Uint8Array {
  const binary = atob(text.replace(/-/g, '+').replace(/_/g, '/'));
  return Uint8Array.from(binary, (c) => c.charCodeAt(0));
}
