/**
 * The safetensors file format (huggingface/safetensors), read and written on plain bytes so that Node and
 * the browser share one implementation:
 *
 *   [8 bytes: N, unsigned little-endian] [N bytes: JSON header] [data]
 *   header = { "<name>": { "dtype": "F32", "shape": [r, c], "data_offsets": [begin, end] }, ...,
 *              "__metadata__": { "<key>": "<string>" } }        (offsets relative to the start of data)
 *
 * The format forbids overlapping tensors and holes in the data, so the whole file is accounted for and a
 * truncated or spliced file cannot pass. F32, F16 and BF16 tensors decode to Float32Array.
 */

import { shapeSize } from '../nn/config.ts';

/** The float dtypes this module decodes and encodes. */
export type FloatDtype = 'F32' | 'F16' | 'BF16';

/** Bytes per element of every dtype the format defines; anything else is not a safetensors file. */
const DTYPE_BYTES: Readonly<Record<string, number>> = {
  BOOL: 1,
  U8: 1,
  I8: 1,
  F8_E5M2: 1,
  F8_E4M3: 1,
  I16: 2,
  U16: 2,
  F16: 2,
  BF16: 2,
  I32: 4,
  U32: 4,
  F32: 4,
  F64: 8,
  I64: 8,
  U64: 8,
};

/** One tensor's entry in the header. */
export interface TensorEntry {
  dtype: string;
  shape: number[];
  /** [begin, end) in bytes, relative to the start of the data section. */
  dataOffsets: [number, number];
}

/** The parsed header: the tensors in file order, the optional string metadata, and where data starts. */
export interface SafetensorsHeader {
  tensors: Map<string, TensorEntry>;
  metadata: Record<string, string>;
  /** Byte offset of the data section in the file: 8 + N. */
  dataStart: number;
}

/** A tensor in host memory: row-major float32 values and their shape (the one tensor record models/ uses). */
export interface HostTensor {
  shape: number[];
  data: Float32Array;
}

/** A decoded tensor: a host tensor and the dtype it was stored in. */
export interface DecodedTensor extends HostTensor {
  dtype: FloatDtype;
}

/** A tensor to write. */
export interface TensorInput {
  shape: readonly number[];
  data: ArrayLike<number>;
}

/** Options for {@link encodeSafetensors}. */
export interface EncodeOptions {
  /** Storage dtype for every tensor (default F32). F16 and BF16 round to nearest, ties to even. */
  dtype?: FloatDtype;
  /** String key/values stored under `__metadata__` (e.g. `{ format: 'pt' }`, which transformers expects). */
  metadata?: Record<string, string>;
}

// A safetensors header is rarely more than a few MB; the reference implementation refuses beyond 100 MB.
const MAX_HEADER_BYTES = 100_000_000;

/** Reads and checks the header of a safetensors file; throws a sentence saying what is wrong. */
export function parseSafetensorsHeader(bytes: Uint8Array, file = 'model.safetensors'): SafetensorsHeader {
  if (bytes.byteLength < 8) {
    throw new RangeError(
      `${file} is ${bytes.byteLength} bytes: too short to hold the 8-byte header length; the file is truncated.`,
    );
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const headerLength = view.getBigUint64(0, true);
  if (headerLength > BigInt(bytes.byteLength - 8)) {
    throw new RangeError(
      `${file}: the header length field says ${headerLength} bytes but only ${bytes.byteLength - 8} follow it; the file is truncated or is not a safetensors file.`,
    );
  }
  const n = Number(headerLength);
  if (n > MAX_HEADER_BYTES)
    throw new RangeError(`${file}: the header is ${n} bytes, more than the 100 MB safetensors allows.`);
  const dataStart = 8 + n;
  let json: unknown;
  try {
    json = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(8, dataStart)));
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new SyntaxError(
      `${file}: the header is not valid UTF-8 JSON (${reason}); the file is corrupted or is not a safetensors file.`,
      { cause: error },
    );
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json)) {
    throw new TypeError(`${file}: the header must be a JSON object mapping tensor names to entries.`);
  }
  const tensors = new Map<string, TensorEntry>();
  let metadata: Record<string, string> = {};
  for (const [name, raw] of Object.entries(json as Record<string, unknown>)) {
    if (name === '__metadata__') metadata = readMetadata(raw, file);
    else tensors.set(name, readEntry(name, raw, file));
  }
  checkDataLayout(tensors, bytes.byteLength - dataStart, file);
  return { tensors, metadata, dataStart };
}

function readMetadata(raw: unknown, file: string): Record<string, string> {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    throw new TypeError(`${file}: __metadata__ must be an object of string values.`);
  }
  for (const [key, value] of Object.entries(raw)) {
    if (typeof value !== 'string')
      throw new TypeError(`${file}: __metadata__.${key} must be a string; got ${typeof value}.`);
  }
  return raw as Record<string, string>;
}

function readEntry(name: string, raw: unknown, file: string): TensorEntry {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    throw new TypeError(`${file}: the entry for ${name} must be an object with dtype, shape and data_offsets.`);
  }
  const { dtype, shape, data_offsets: offsets } = raw as Record<string, unknown>;
  if (typeof dtype !== 'string' || DTYPE_BYTES[dtype] === undefined) {
    throw new TypeError(
      `${file}: ${name} has unknown dtype ${JSON.stringify(dtype)}; safetensors defines ${Object.keys(DTYPE_BYTES).join(', ')}.`,
    );
  }
  if (!Array.isArray(shape) || !shape.every((s) => Number.isSafeInteger(s) && s >= 0)) {
    throw new TypeError(`${file}: ${name} has shape ${JSON.stringify(shape)}; a shape is a list of whole numbers ≥ 0.`);
  }
  if (
    !Array.isArray(offsets) ||
    offsets.length !== 2 ||
    !offsets.every((o) => Number.isSafeInteger(o) && o >= 0) ||
    offsets[0] > offsets[1]
  ) {
    throw new TypeError(
      `${file}: ${name} has data_offsets ${JSON.stringify(offsets)}; expected [begin, end] with 0 ≤ begin ≤ end.`,
    );
  }
  const entry: TensorEntry = { dtype, shape: shape as number[], dataOffsets: [offsets[0], offsets[1]] };
  const expected = shapeSize(entry.shape) * DTYPE_BYTES[dtype]!;
  if (offsets[1] - offsets[0] !== expected) {
    throw new RangeError(
      `${file}: ${name} is ${dtype} ${JSON.stringify(shape)}, which is ${expected} bytes, but its data_offsets [${offsets[0]}, ${offsets[1]}] span ${offsets[1] - offsets[0]}.`,
    );
  }
  return entry;
}

/** Tensors must tile the data section exactly: no overlap, no gap, nothing past the end. */
function checkDataLayout(tensors: Map<string, TensorEntry>, dataBytes: number, file: string): void {
  const sorted = [...tensors].sort(
    (a, b) => a[1].dataOffsets[0] - b[1].dataOffsets[0] || a[1].dataOffsets[1] - b[1].dataOffsets[1],
  );
  let cursor = 0;
  let previous = '';
  for (const [name, { dataOffsets }] of sorted) {
    const [begin, end] = dataOffsets;
    if (begin < cursor)
      throw new RangeError(`${file}: ${name} (bytes ${begin}–${end}) overlaps ${previous}; the header is corrupted.`);
    if (begin > cursor) {
      throw new RangeError(
        `${file}: bytes ${cursor}–${begin} of the data belong to no tensor (before ${name}); the header is corrupted.`,
      );
    }
    if (end > dataBytes) {
      throw new RangeError(
        `${file}: ${name} needs data up to byte ${end} but the data section has only ${dataBytes}; the file is truncated.`,
      );
    }
    cursor = end;
    previous = name;
  }
  if (cursor !== dataBytes) {
    throw new RangeError(
      `${file}: ${dataBytes - cursor} bytes at the end of the data belong to no tensor; the file was appended to or corrupted.`,
    );
  }
}

/** Reads every tensor of a safetensors file into Float32Arrays; throws for non-float dtypes. */
export function decodeSafetensors(
  bytes: Uint8Array,
  file = 'model.safetensors',
): { tensors: Map<string, DecodedTensor>; metadata: Record<string, string> } {
  const header = parseSafetensorsHeader(bytes, file);
  const tensors = new Map<string, DecodedTensor>();
  for (const [name, entry] of header.tensors) {
    if (entry.dtype !== 'F32' && entry.dtype !== 'F16' && entry.dtype !== 'BF16') {
      throw new TypeError(
        `${file}: ${name} is stored as ${entry.dtype}; MoE Lab reads only F32, F16 and BF16 weights.`,
      );
    }
    const raw = bytes.subarray(header.dataStart + entry.dataOffsets[0], header.dataStart + entry.dataOffsets[1]);
    tensors.set(name, { shape: entry.shape, data: decodeFloats(raw, entry.dtype), dtype: entry.dtype });
  }
  return { tensors, metadata: header.metadata };
}

/** Decodes little-endian F32, F16 or BF16 bytes. */
export function decodeFloats(raw: Uint8Array, dtype: FloatDtype): Float32Array {
  // Copy first: the tensor may start at any byte, and typed arrays need aligned, owned memory. Not
  // raw.slice(): on a Node Buffer (readFileSync's result) slice() returns a view, not a copy.
  const copy = new Uint8Array(raw.byteLength);
  copy.set(raw);
  if (dtype === 'F32') {
    if (LITTLE_ENDIAN) return new Float32Array(copy.buffer);
    const view = new DataView(copy.buffer);
    return Float32Array.from({ length: copy.byteLength / 4 }, (_, i) => view.getFloat32(4 * i, true));
  }
  const halves = LITTLE_ENDIAN ? new Uint16Array(copy.buffer) : swap16(copy);
  const out = new Float32Array(halves.length);
  if (dtype === 'BF16') {
    // A bfloat16 is the top half of a float32: shift it back into place.
    const bits = new Uint32Array(out.buffer);
    for (let i = 0; i < halves.length; i++) bits[i] = halves[i]! << 16;
  } else {
    const table = f16Table();
    for (let i = 0; i < halves.length; i++) out[i] = table[halves[i]!]!;
  }
  return out;
}

/** Encodes tensors into a safetensors file, in the order given. */
export function encodeSafetensors(
  tensors: Iterable<readonly [string, TensorInput]>,
  options: EncodeOptions = {},
): Uint8Array {
  const dtype = options.dtype ?? 'F32';
  const width = DTYPE_BYTES[dtype]!;
  const header: Record<string, unknown> = {};
  if (options.metadata) header.__metadata__ = options.metadata;
  const list = [...tensors];
  let offset = 0;
  for (const [name, tensor] of list) {
    if (name === '__metadata__')
      throw new TypeError('A tensor cannot be named __metadata__; safetensors reserves that key.');
    const size = shapeSize(tensor.shape);
    if (size !== tensor.data.length) {
      throw new RangeError(
        `${name} has shape ${JSON.stringify(tensor.shape)} (${size} values) but ${tensor.data.length} values.`,
      );
    }
    header[name] = { dtype, shape: [...tensor.shape], data_offsets: [offset, offset + size * width] };
    offset += size * width;
  }
  let json = new TextEncoder().encode(JSON.stringify(header));
  // Pad the header with spaces to a multiple of 8 so every tensor starts aligned (as the reference writer does).
  const padded = Math.ceil(json.byteLength / 8) * 8;
  if (padded !== json.byteLength) {
    const withSpaces = new Uint8Array(padded).fill(0x20);
    withSpaces.set(json);
    json = withSpaces;
  }
  const out = new Uint8Array(8 + json.byteLength + offset);
  new DataView(out.buffer).setBigUint64(0, BigInt(json.byteLength), true);
  out.set(json, 8);
  let cursor = 8 + json.byteLength;
  for (const [, tensor] of list) {
    const bytes = encodeFloats(tensor.data, dtype);
    out.set(bytes, cursor);
    cursor += bytes.byteLength;
  }
  return out;
}

/** Encodes numbers as little-endian F32, F16 or BF16 bytes (round to nearest, ties to even). */
export function encodeFloats(values: ArrayLike<number>, dtype: FloatDtype): Uint8Array {
  const n = values.length;
  if (dtype === 'F32') {
    const out = new Uint8Array(4 * n);
    const view = new DataView(out.buffer);
    for (let i = 0; i < n; i++) view.setFloat32(4 * i, values[i]!, true);
    return out;
  }
  const out = new Uint8Array(2 * n);
  const view = new DataView(out.buffer);
  const toBits = dtype === 'BF16' ? f32ToBf16Bits : f32ToF16Bits;
  for (let i = 0; i < n; i++) view.setUint16(2 * i, toBits(values[i]!), true);
  return out;
}

const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;
const scratchF32 = new Float32Array(1);
const scratchU32 = new Uint32Array(scratchF32.buffer);

function swap16(bytes: Uint8Array): Uint16Array {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  return Uint16Array.from({ length: bytes.byteLength / 2 }, (_, i) => view.getUint16(2 * i, true));
}

/** float32 → bfloat16 bits, rounding to nearest with ties to even; NaN stays NaN. */
export function f32ToBf16Bits(value: number): number {
  scratchF32[0] = value;
  const bits = scratchU32[0]!;
  if ((bits & 0x7fffffff) > 0x7f800000) return ((bits >>> 16) | 0x0040) & 0xffff; // quiet NaN, sign kept
  // Adding 0x7fff plus the lowest kept bit rounds half-way cases to the even neighbour; a carry out of the
  // mantissa correctly bumps the exponent (and the largest finite values round up to infinity).
  const rounded = bits + 0x7fff + ((bits >>> 16) & 1);
  return (rounded >>> 16) & 0xffff;
}

/** bfloat16 bits → number. */
export function bf16BitsToF32(bits: number): number {
  scratchU32[0] = (bits & 0xffff) << 16;
  return scratchF32[0]!;
}

/** float32 → IEEE half bits, rounding to nearest with ties to even; overflow → ±Infinity, underflow → subnormals or ±0. */
export function f32ToF16Bits(value: number): number {
  scratchF32[0] = value;
  const x = scratchU32[0]!;
  const sign = (x >>> 16) & 0x8000;
  const exponent = (x >>> 23) & 0xff;
  const mantissa = x & 0x7fffff;
  if (exponent === 0xff) return sign | 0x7c00 | (mantissa ? 0x200 : 0);
  const e = exponent - 127 + 15; // re-biased exponent
  if (e >= 0x1f) return sign | 0x7c00;
  if (e <= 0) {
    if (e < -10) return sign; // below half the smallest subnormal: rounds to zero
    const full = mantissa | 0x800000; // make the implicit leading 1 explicit
    const shift = 14 - e;
    const kept = full >>> shift;
    const rest = full & ((1 << shift) - 1);
    const half = 1 << (shift - 1);
    // Rounding up from 0x3ff gives 0x400: the smallest normal, which is correct.
    return sign | (rest > half || (rest === half && kept & 1) ? kept + 1 : kept);
  }
  const kept = (e << 10) | (mantissa >>> 13);
  const rest = mantissa & 0x1fff;
  // A carry out of the mantissa moves to the next exponent, and from the largest exponent to infinity.
  return sign | (rest > 0x1000 || (rest === 0x1000 && kept & 1) ? kept + 1 : kept);
}

/** IEEE half bits → number. */
export function f16BitsToF32(bits: number): number {
  const sign = bits & 0x8000 ? -1 : 1;
  const exponent = (bits >>> 10) & 0x1f;
  const mantissa = bits & 0x3ff;
  if (exponent === 0) return sign * mantissa * 2 ** -24;
  if (exponent === 0x1f) return mantissa ? Number.NaN : sign * Infinity;
  return sign * (1 + mantissa / 1024) * 2 ** (exponent - 15);
}

let table: Float32Array | undefined;
/** All 65536 half values, built on first use (256 KB) so decoding is one lookup per weight. */
function f16Table(): Float32Array {
  if (!table) {
    table = new Float32Array(65536);
    for (let i = 0; i < 65536; i++) table[i] = f16BitsToF32(i);
  }
  return table;
}
