/**
 * A small zip archive writer and reader (PKWARE APPNOTE 6.3.x, the subset every unzip tool reads): the
 * writer stores files uncompressed (method 0) — f16 weights barely deflate, and stored entries need no
 * compression library; the reader also inflates deflated entries (method 8, as Finder, Explorer and
 * `zip` write them) with the platform's DecompressionStream('deflate-raw'), available in browsers, Web
 * Workers and Node. No ZIP64, no encryption, one disk: the reader says so instead of guessing.
 * Pure: no fs, no DOM.
 */
import { formatBytes } from '../format.ts';

const LOCAL_HEADER = 0x04034b50;
const CENTRAL_HEADER = 0x02014b50;
const END_OF_CENTRAL_DIRECTORY = 0x06054b50;
const UTF8_NAMES = 0x0800; // general-purpose flag bit 11
const ENCRYPTED = 0x0001;
const STORED = 0;
const DEFLATED = 8;
/** 1980-01-01 00:00, the earliest MS-DOS time: a fixed stamp keeps the same files the same zip bytes. */
const DOS_DATE = (0 << 9) | (1 << 5) | 1;
const DOS_TIME = 0;

let crcTable: Uint32Array | undefined;

/** CRC-32 (IEEE 802.3, the zip and gzip checksum) of `bytes`. */
export function crc32(bytes: Uint8Array): number {
  if (!crcTable) {
    crcTable = new Uint32Array(256);
    for (let n = 0; n < 256; n++) {
      let c = n;
      for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
      crcTable[n] = c >>> 0;
    }
  }
  let crc = 0xffffffff;
  for (let i = 0; i < bytes.length; i++) crc = crcTable[(crc ^ bytes[i]!) & 0xff]! ^ (crc >>> 8);
  return (crc ^ 0xffffffff) >>> 0;
}

/** Entries above 4 GiB − 1 or 65,535 files need ZIP64, which neither side supports. */
const MAX_ZIP32 = 0xffffffff;

/** A zip holding `files` (name → bytes) in the order given, stored uncompressed. */
export function writeZip(files: ReadonlyMap<string, Uint8Array>): Uint8Array {
  const encoder = new TextEncoder();
  const entries = [...files].map(([name, data]) => ({ name: encoder.encode(name), data, crc: crc32(data) }));
  const localSize = entries.reduce((n, e) => n + 30 + e.name.length + e.data.length, 0);
  const centralSize = entries.reduce((n, e) => n + 46 + e.name.length, 0);
  if (entries.length > 0xffff || localSize + centralSize > MAX_ZIP32) {
    throw new RangeError('These files are too large for a zip without ZIP64 (over 4 GiB or 65,535 files).');
  }
  const out = new Uint8Array(localSize + centralSize + 22);
  const view = new DataView(out.buffer);
  let at = 0;
  const u16 = (v: number): void => {
    view.setUint16(at, v, true);
    at += 2;
  };
  const u32 = (v: number): void => {
    view.setUint32(at, v, true);
    at += 4;
  };
  const offsets: number[] = [];
  for (const e of entries) {
    offsets.push(at);
    u32(LOCAL_HEADER);
    u16(10); // version needed: 1.0, stored
    u16(UTF8_NAMES);
    u16(STORED);
    u16(DOS_TIME);
    u16(DOS_DATE);
    u32(e.crc);
    u32(e.data.length); // compressed size
    u32(e.data.length); // uncompressed size
    u16(e.name.length);
    u16(0); // extra field length
    out.set(e.name, at);
    at += e.name.length;
    out.set(e.data, at);
    at += e.data.length;
  }
  const centralStart = at;
  entries.forEach((e, i) => {
    u32(CENTRAL_HEADER);
    u16(0x031e); // made by: Unix, spec 3.0 (so the permissions below are read)
    u16(10);
    u16(UTF8_NAMES);
    u16(STORED);
    u16(DOS_TIME);
    u16(DOS_DATE);
    u32(e.crc);
    u32(e.data.length);
    u32(e.data.length);
    u16(e.name.length);
    u16(0); // extra
    u16(0); // comment
    u16(0); // disk number
    u16(0); // internal attributes
    u32((0o100644 << 16) >>> 0); // external attributes: a regular file, rw-r--r--
    u32(offsets[i]!);
    out.set(e.name, at);
    at += e.name.length;
  });
  u32(END_OF_CENTRAL_DIRECTORY);
  u16(0); // this disk
  u16(0); // disk with the central directory
  u16(entries.length);
  u16(entries.length);
  u32(centralSize);
  u32(centralStart);
  u16(0); // comment length
  return out;
}

/** Limits that keep a hostile or mistaken archive from exhausting memory. */
export interface ReadZipLimits {
  /** Most files (default 64). */
  maxEntries?: number;
  /** Most bytes after decompression, all files together (default 2²⁹ bytes, 537 MB). */
  maxTotalBytes?: number;
}

/** The archive's name for itself in messages (e.g. the file the reader chose). */
export interface ReadZipOptions extends ReadZipLimits {
  label?: string;
}

const NOT_A_ZIP = 'is not a zip archive (it has no end-of-central-directory record)';

async function inflateRaw(data: Uint8Array, expected: number, name: string, label: string): Promise<Uint8Array> {
  const stream = new Blob([data as Uint8Array<ArrayBuffer>])
    .stream()
    .pipeThrough(new DecompressionStream('deflate-raw'));
  const reader = stream.getReader();
  const out = new Uint8Array(expected);
  let at = 0;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      // A deflate stream can expand far past what its header claims (a "zip bomb"): stop at the claim.
      if (at + value.length > expected) {
        throw new RangeError(`${label}: ${name} inflates to more than the ${expected} bytes its header says.`);
      }
      out.set(value, at);
      at += value.length;
    }
  } catch (error) {
    await reader.cancel().catch(() => undefined);
    if (error instanceof RangeError) throw error;
    throw new Error(`${label}: ${name} is not valid deflate data; the archive is corrupted.`, { cause: error });
  }
  if (at !== expected)
    throw new RangeError(`${label}: ${name} inflates to ${at} bytes, not the ${expected} its header says.`);
  return out;
}

/**
 * The files in a zip, by name (directories left out). Checks the structure, each entry's CRC-32, and the
 * declared sizes against `limits` before anything is decompressed. Throws a sentence naming the problem.
 */
export async function readZip(bytes: Uint8Array, options: ReadZipOptions = {}): Promise<Map<string, Uint8Array>> {
  const { label = 'The file', maxEntries = 64, maxTotalBytes = 512 * 2 ** 20 } = options;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const u16 = (at: number): number => view.getUint16(at, true);
  const u32 = (at: number): number => view.getUint32(at, true);
  const truncated = (): Error =>
    new RangeError(`${label} is a truncated zip archive; it was cut short. Export it again.`);

  // The end record is the last 22 bytes, unless the archive has a comment (≤ 65,535 bytes) after it.
  let end = -1;
  for (let at = bytes.length - 22; at >= 0 && at >= bytes.length - 22 - 0xffff; at--) {
    if (u32(at) === END_OF_CENTRAL_DIRECTORY && at + 22 + u16(at + 20) === bytes.length) {
      end = at;
      break;
    }
  }
  if (end === -1) {
    // A zip whose tail is missing still starts with a local header: call that truncated, not foreign.
    if (bytes.length >= 4 && u32(0) === LOCAL_HEADER) throw truncated();
    throw new TypeError(`${label} ${NOT_A_ZIP}.`);
  }
  const count = u16(end + 10);
  const centralSize = u32(end + 12);
  const centralStart = u32(end + 16);
  if (u16(end + 4) !== 0 || u16(end + 6) !== 0 || u16(end + 8) !== count) {
    throw new TypeError(`${label} is a multi-part zip archive; join it into one file first.`);
  }
  if (count === 0xffff || centralStart === MAX_ZIP32 || centralSize === MAX_ZIP32) {
    throw new TypeError(`${label} is a ZIP64 archive, which is not supported; MoE Lab's checkpoints never need it.`);
  }
  if (count > maxEntries) throw new RangeError(`${label} holds ${count} files; at most ${maxEntries} are accepted.`);
  if (centralStart + centralSize > end) throw truncated();

  const decoder = new TextDecoder('utf-8', { fatal: false });
  const files = new Map<string, Uint8Array>();
  let declaredTotal = 0;
  let at = centralStart;
  const pending: { name: string; method: number; crc: number; data: Uint8Array; size: number }[] = [];
  for (let i = 0; i < count; i++) {
    if (at + 46 > end || u32(at) !== CENTRAL_HEADER) {
      throw new TypeError(`${label}: the zip's central directory is damaged (entry ${i + 1} of ${count}).`);
    }
    const flags = u16(at + 8);
    const method = u16(at + 10);
    const crc = u32(at + 16);
    const compressedSize = u32(at + 20);
    const size = u32(at + 24);
    const nameLength = u16(at + 28);
    const extraLength = u16(at + 30);
    const commentLength = u16(at + 32);
    const localOffset = u32(at + 42);
    if (at + 46 + nameLength > end) throw truncated();
    const name = decoder.decode(bytes.subarray(at + 46, at + 46 + nameLength));
    at += 46 + nameLength + extraLength + commentLength;
    if (name.endsWith('/')) continue; // a directory
    if (flags & ENCRYPTED) throw new TypeError(`${label}: ${name} is encrypted; export it without a password.`);
    if (compressedSize === MAX_ZIP32 || size === MAX_ZIP32) {
      throw new TypeError(`${label}: ${name} is a ZIP64 entry, which is not supported.`);
    }
    if (method !== STORED && method !== DEFLATED) {
      throw new TypeError(
        `${label}: ${name} uses compression method ${method}; only stored (0) and deflate (8) are read.`,
      );
    }
    declaredTotal += size;
    if (declaredTotal > maxTotalBytes) {
      throw new RangeError(
        `${label} unpacks to more than ${formatBytes(maxTotalBytes)} (${name} alone says ${size} bytes); that is far larger than any checkpoint this page can train or load.`,
      );
    }
    if (files.has(name) || pending.some((p) => p.name === name)) {
      throw new TypeError(`${label} holds ${name} twice; a zip archive must name each file once.`);
    }
    if (localOffset + 30 > bytes.length || u32(localOffset) !== LOCAL_HEADER) throw truncated();
    const dataStart = localOffset + 30 + u16(localOffset + 26) + u16(localOffset + 28);
    if (dataStart + compressedSize > centralStart) throw truncated();
    if (method === STORED && compressedSize !== size) {
      throw new TypeError(
        `${label}: ${name} is stored uncompressed but its two sizes differ; the archive is corrupted.`,
      );
    }
    pending.push({ name, method, crc, size, data: bytes.subarray(dataStart, dataStart + compressedSize) });
  }
  if (at !== centralStart + centralSize) {
    throw new TypeError(`${label}: the zip's central directory is damaged (its size does not match its entries).`);
  }
  for (const entry of pending) {
    const data =
      entry.method === STORED ? entry.data.slice() : await inflateRaw(entry.data, entry.size, entry.name, label);
    if (crc32(data) !== entry.crc) {
      throw new Error(`${label}: ${entry.name} fails its CRC-32 check; the archive is corrupted.`);
    }
    files.set(entry.name, data);
  }
  return files;
}
