import { describe, expect, it } from 'vitest';
import {
  bf16BitsToF32,
  decodeFloats,
  decodeSafetensors,
  encodeFloats,
  encodeSafetensors,
  f16BitsToF32,
  f32ToBf16Bits,
  f32ToF16Bits,
  parseSafetensorsHeader,
} from '../../models/checkpoint/safetensors.ts';

/** A safetensors file built by hand, byte by byte: [u64 LE length][header][data]. */
function fixture(header: unknown, data: readonly number[], lengthOverride?: bigint): Uint8Array {
  const json = new TextEncoder().encode(typeof header === 'string' ? header : JSON.stringify(header));
  const out = new Uint8Array(8 + json.byteLength + data.length);
  new DataView(out.buffer).setBigUint64(0, lengthOverride ?? BigInt(json.byteLength), true);
  out.set(json, 8);
  out.set(data, 8 + json.byteLength);
  return out;
}

// 1.0 and -2.5 as little-endian float32: 0x3f800000, 0xc0200000.
const ONE_AND_MINUS_2_5 = [0x00, 0x00, 0x80, 0x3f, 0x00, 0x00, 0x20, 0xc0];

describe('header format (hand-built bytes)', () => {
  it('reads an F32 tensor and the metadata', () => {
    const bytes = fixture(
      { __metadata__: { format: 'pt' }, w: { dtype: 'F32', shape: [2], data_offsets: [0, 8] } },
      ONE_AND_MINUS_2_5,
    );
    const { tensors, metadata } = decodeSafetensors(bytes);
    expect(metadata).toEqual({ format: 'pt' });
    expect(tensors.get('w')!.shape).toEqual([2]);
    expect([...tensors.get('w')!.data]).toEqual([1, -2.5]);
  });

  it('reads F16 and BF16 bytes (1.0 = 0x3c00 in F16, 0x3f80 in BF16)', () => {
    const bytes = fixture(
      { h: { dtype: 'F16', shape: [1], data_offsets: [0, 2] }, b: { dtype: 'BF16', shape: [1], data_offsets: [2, 4] } },
      [0x00, 0x3c, 0x80, 0x3f],
    );
    const { tensors } = decodeSafetensors(bytes);
    expect(tensors.get('h')!.data[0]).toBe(1);
    expect(tensors.get('b')!.data[0]).toBe(1);
    expect(tensors.get('b')!.dtype).toBe('BF16');
  });

  it('accepts a header padded with trailing spaces, and a scalar', () => {
    const header = JSON.stringify({ s: { dtype: 'F32', shape: [], data_offsets: [0, 4] } }) + '   ';
    const { tensors } = decodeSafetensors(fixture(header, ONE_AND_MINUS_2_5.slice(0, 4)));
    expect(tensors.get('s')!.shape).toEqual([]);
    expect(tensors.get('s')!.data[0]).toBe(1);
  });

  it('matches the bytes our writer produces: 8-byte length, padded JSON, then data', () => {
    const bytes = encodeSafetensors([['w', { shape: [2], data: [1, -2.5] }]]);
    const n = Number(new DataView(bytes.buffer).getBigUint64(0, true));
    expect(n % 8).toBe(0);
    expect(JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + n)))).toEqual({
      w: { dtype: 'F32', shape: [2], data_offsets: [0, 8] },
    });
    expect([...bytes.subarray(8 + n)]).toEqual(ONE_AND_MINUS_2_5);
  });
});

describe('corrupt files', () => {
  const good = { w: { dtype: 'F32', shape: [2], data_offsets: [0, 8] } };
  it.each([
    ['fewer than 8 bytes', new Uint8Array(5), 'too short to hold the 8-byte header length; the file is truncated'],
    [
      'a header length beyond the file',
      fixture(good, ONE_AND_MINUS_2_5, 10_000n),
      'the header length field says 10000 bytes but only',
    ],
    ['a header that is not JSON', fixture('{"w": {', ONE_AND_MINUS_2_5), 'the header is not valid UTF-8 JSON'],
    ['a header that is a list', fixture('[1]', []), 'the header must be a JSON object'],
    [
      'an unknown dtype',
      fixture({ w: { dtype: 'F12', shape: [2], data_offsets: [0, 8] } }, ONE_AND_MINUS_2_5),
      'w has unknown dtype "F12"',
    ],
    [
      'offsets that do not match shape × dtype',
      fixture({ w: { dtype: 'F32', shape: [3], data_offsets: [0, 8] } }, ONE_AND_MINUS_2_5),
      'w is F32 [3], which is 12 bytes, but its data_offsets [0, 8] span 8',
    ],
    [
      'offsets past the end (truncated data)',
      fixture(good, ONE_AND_MINUS_2_5.slice(0, 6)),
      'w needs data up to byte 8 but the data section has only 6; the file is truncated',
    ],
    [
      'overlapping tensors',
      fixture(
        {
          a: { dtype: 'F32', shape: [2], data_offsets: [0, 8] },
          b: { dtype: 'F32', shape: [1], data_offsets: [4, 8] },
        },
        ONE_AND_MINUS_2_5,
      ),
      'overlaps a',
    ],
    [
      'a hole in the data',
      fixture({ a: { dtype: 'F32', shape: [1], data_offsets: [4, 8] } }, ONE_AND_MINUS_2_5),
      'bytes 0–4 of the data belong to no tensor',
    ],
    [
      'trailing bytes',
      fixture(good, [...ONE_AND_MINUS_2_5, 0, 0]),
      '2 bytes at the end of the data belong to no tensor',
    ],
    [
      'reversed offsets',
      fixture({ w: { dtype: 'F32', shape: [2], data_offsets: [8, 0] } }, ONE_AND_MINUS_2_5),
      'expected [begin, end] with 0 ≤ begin ≤ end',
    ],
    [
      'a negative dimension',
      fixture({ w: { dtype: 'F32', shape: [-2], data_offsets: [0, 8] } }, ONE_AND_MINUS_2_5),
      'a shape is a list of whole numbers',
    ],
    [
      'non-string metadata',
      fixture({ __metadata__: { step: 3 }, ...good }, ONE_AND_MINUS_2_5),
      '__metadata__.step must be a string',
    ],
  ])('rejects %s', (_, bytes, message) => {
    expect(() => parseSafetensorsHeader(bytes)).toThrow(message);
  });

  it('names the file it was given', () => {
    expect(() => parseSafetensorsHeader(new Uint8Array(3), 'shard-2.safetensors')).toThrow(
      'shard-2.safetensors is 3 bytes',
    );
  });

  it('parses but refuses to decode a valid non-float tensor', () => {
    const bytes = fixture({ ids: { dtype: 'I64', shape: [1], data_offsets: [0, 8] } }, ONE_AND_MINUS_2_5);
    expect(parseSafetensorsHeader(bytes).tensors.get('ids')!.dtype).toBe('I64');
    expect(() => decodeSafetensors(bytes)).toThrow(
      'ids is stored as I64; MoE Lab reads only F32, F16 and BF16 weights',
    );
  });
});

describe('round trips', () => {
  const values = Float32Array.from({ length: 1000 }, (_, i) => Math.sin(i * 12.9898) * 10 ** ((i % 9) - 4));

  it('F32 is exact, for every tensor, shape and metadata', () => {
    const bytes = encodeSafetensors(
      [
        ['a', { shape: [10, 100], data: values }],
        ['b', { shape: [3], data: [0, -0, Number.MIN_VALUE] }],
      ],
      { metadata: { format: 'pt', step: '7' } },
    );
    const { tensors, metadata } = decodeSafetensors(bytes);
    expect(metadata).toEqual({ format: 'pt', step: '7' });
    expect(tensors.get('a')!.shape).toEqual([10, 100]);
    expect(tensors.get('a')!.data).toEqual(values);
    expect(Object.is(tensors.get('b')!.data[1], -0)).toBe(true);
    expect(tensors.get('b')!.data[2]).toBe(Math.fround(Number.MIN_VALUE));
  });

  it.each([
    ['F16', 2 ** -11, 2 ** -24],
    ['BF16', 2 ** -8, 0],
  ] as const)(
    '%s is within half an ulp (relative %f) and exact on representable values',
    (dtype, relative, absolute) => {
      const decoded = decodeSafetensors(
        encodeSafetensors([['x', { shape: [values.length], data: values }]], { dtype }),
      ).tensors.get('x')!.data;
      for (let i = 0; i < values.length; i++) {
        expect(Math.abs(decoded[i]! - values[i]!)).toBeLessThanOrEqual(Math.abs(values[i]!) * relative + absolute);
      }
      // Values the format represents come back bit for bit.
      const again = decodeFloats(encodeFloats(decoded, dtype), dtype);
      expect(again).toEqual(decoded);
    },
  );
});

describe('rounding to half precision', () => {
  it('F16: round to nearest, ties to even, overflow, subnormals', () => {
    expect(f32ToF16Bits(1)).toBe(0x3c00);
    expect(f32ToF16Bits(-2)).toBe(0xc000);
    expect(f32ToF16Bits(65504)).toBe(0x7bff); // largest finite half
    expect(f32ToF16Bits(65520)).toBe(0x7c00); // halfway to 2^16 rounds to even: infinity
    expect(f32ToF16Bits(1e6)).toBe(0x7c00);
    expect(f32ToF16Bits(-Infinity)).toBe(0xfc00);
    expect(Number.isNaN(f16BitsToF32(f32ToF16Bits(Number.NaN)))).toBe(true);
    expect(f32ToF16Bits(1 + 2 ** -11)).toBe(0x3c00); // tie between 1 and 1+2^-10: even (1)
    expect(f32ToF16Bits(1 + 3 * 2 ** -11)).toBe(0x3c02); // tie between 1+2^-10 and 1+2^-9: even
    expect(f32ToF16Bits(1 + 2 ** -11 + 2 ** -20)).toBe(0x3c01); // just above the tie: up
    expect(f32ToF16Bits(2 ** -24)).toBe(0x0001); // smallest subnormal
    expect(f32ToF16Bits(2 ** -25)).toBe(0x0000); // tie with zero: even (0)
    expect(f32ToF16Bits(1.5 * 2 ** -24)).toBe(0x0002); // tie between 1 and 2 subnormal steps: even
    expect(f32ToF16Bits(2 ** -14 - 2 ** -26)).toBe(0x0400); // rounds up into the smallest normal
    expect(f16BitsToF32(0x0001)).toBe(2 ** -24);
    expect(f16BitsToF32(0x7bff)).toBe(65504);
    expect(Object.is(f16BitsToF32(0x8000), -0)).toBe(true);
  });

  it('F16: every half value survives a round trip', () => {
    const wrong: number[] = [];
    for (let bits = 0; bits < 0x10000; bits++) {
      const value = f16BitsToF32(bits);
      if (!Number.isNaN(value) && f32ToF16Bits(value) !== bits) wrong.push(bits);
    }
    expect(wrong).toEqual([]);
  });

  it('BF16: round to nearest, ties to even, overflow', () => {
    expect(f32ToBf16Bits(1)).toBe(0x3f80);
    expect(f32ToBf16Bits(1 + 2 ** -8)).toBe(0x3f80); // tie: even
    expect(f32ToBf16Bits(1 + 3 * 2 ** -8)).toBe(0x3f82); // tie: even
    expect(f32ToBf16Bits(1 + 2 ** -8 + 2 ** -16)).toBe(0x3f81); // above the tie: up
    expect(f32ToBf16Bits(3.4028234663852886e38)).toBe(0x7f80); // float32 max rounds to infinity
    expect(f32ToBf16Bits(-0)).toBe(0x8000);
    expect(Number.isNaN(bf16BitsToF32(f32ToBf16Bits(Number.NaN)))).toBe(true);
    expect(bf16BitsToF32(0x3f80)).toBe(1);
    expect(bf16BitsToF32(0xc0a0)).toBe(-5);
  });
});

describe('decoding from a Node Buffer', () => {
  it('reads the right bytes when the data is a Buffer view at an odd offset', () => {
    const pool = Buffer.alloc(13);
    new DataView(pool.buffer, pool.byteOffset).setFloat32(1, 1.5, true);
    new DataView(pool.buffer, pool.byteOffset).setFloat32(5, -2.25, true);
    expect(Array.from(decodeFloats(pool.subarray(1, 9), 'F32'))).toEqual([1.5, -2.25]);
  });
});
