// A bound on one allocation in the guest worker. Chromium hands a cell a 2 GB typed array without a word
// (its pages are committed only when written), and filling it can take the whole tab down with it. So the
// array and buffer constructors cells see refuse more than MAX_ALLOCATION_BYTES at once, with a sentence.
// (Plain arrays and strings have V8's own limits, which throw a RangeError.)
import { formatBytes } from '../../models/format.ts';

export const MAX_ALLOCATION_BYTES = 1_000_000_000;

const TYPED_ARRAYS = [
  'Int8Array',
  'Uint8Array',
  'Uint8ClampedArray',
  'Int16Array',
  'Uint16Array',
  'Int32Array',
  'Uint32Array',
  'Float16Array',
  'Float32Array',
  'Float64Array',
  'BigInt64Array',
  'BigUint64Array',
] as const;

function refuse(bytes: number): never {
  throw new RangeError(
    `This asks for ${formatBytes(bytes)} in one array; the playground allows at most ${formatBytes(MAX_ALLOCATION_BYTES)} per array, so that your browser tab stays alive. Use a smaller size.`,
  );
}

/** Bytes a constructor call would allocate: `new Float32Array(n)`, `new ArrayBuffer(n)`, `new Uint8Array(arrayLike)`. */
function requested(args: unknown[], bytesPerElement: number): number {
  const [first] = args;
  if (typeof first === 'number') return first * bytesPerElement;
  if (typeof first === 'object' && first !== null && !(first instanceof ArrayBuffer) && 'length' in first) {
    const length = Number((first as { length: unknown }).length);
    return Number.isFinite(length) ? length * bytesPerElement : 0;
  }
  return 0;
}

/** Replaces the buffer and typed-array constructors on `scope` (the worker's global) with bounded ones. */
export function installMemoryGuard(scope: Record<string, unknown>): void {
  const guard = (name: string, bytesPerElement: number): void => {
    const original = scope[name] as (new (...args: unknown[]) => object) | undefined;
    if (typeof original !== 'function') return;
    scope[name] = new Proxy(original, {
      construct(target, args, newTarget) {
        const bytes = requested(args, bytesPerElement);
        if (bytes > MAX_ALLOCATION_BYTES) refuse(bytes);
        return Reflect.construct(target, args, newTarget) as object;
      },
    });
  };
  guard('ArrayBuffer', 1);
  guard('SharedArrayBuffer', 1);
  for (const name of TYPED_ARRAYS) {
    const ctor = scope[name] as { BYTES_PER_ELEMENT?: number } | undefined;
    if (ctor?.BYTES_PER_ELEMENT) guard(name, ctor.BYTES_PER_ELEMENT);
  }
}
