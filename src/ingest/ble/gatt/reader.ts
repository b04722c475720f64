import { issue, IssueCode, type Issue } from '../../../domain/index.js';

/** Thrown inside a decoder to reject the payload with one issue; decoders catch it and return it as a value. */
export class Rejected extends Error {
  constructor(readonly issue: Issue) {
    super(issue.message);
  }
}

export const reject = (code: IssueCode, path: string, message: string): never => {
  throw new Rejected(issue(code, path, message));
};

/**
 * Reads a characteristic value field by field, little-endian [GATT Specification Supplement §2.2:
 * multi-octet fields are transmitted least significant octet first]. Reading past the end rejects
 * the payload as `truncated`, naming the field the flags promised.
 */
export class ByteReader {
  private offset = 0;

  constructor(private readonly bytes: Uint8Array) {}

  get remaining(): number {
    return this.bytes.length - this.offset;
  }

  private take(n: number, field: string): number {
    if (this.remaining < n) {
      reject(IssueCode.Truncated, field, `${field}: needs ${n} byte${n === 1 ? '' : 's'} at offset ${this.offset}, ${this.remaining} left (payload of ${this.bytes.length})`);
    }
    const at = this.offset;
    this.offset += n;
    return at;
  }

  u8(field: string): number {
    return this.bytes[this.take(1, field)] as number;
  }

  u16(field: string): number {
    const at = this.take(2, field);
    return (this.bytes[at] as number) | ((this.bytes[at + 1] as number) << 8);
  }

  s16(field: string): number {
    const v = this.u16(field);
    return v >= 0x8000 ? v - 0x10000 : v;
  }

  u24(field: string): number {
    const at = this.take(3, field);
    return (this.bytes[at] as number) | ((this.bytes[at + 1] as number) << 8) | ((this.bytes[at + 2] as number) << 16);
  }

  u32(field: string): number {
    const at = this.take(4, field);
    return ((this.bytes[at] as number) | ((this.bytes[at + 1] as number) << 8) | ((this.bytes[at + 2] as number) << 16) | ((this.bytes[at + 3] as number) << 24)) >>> 0;
  }

  /** The end of a format with no variable tail: anything left is rejected, not ignored. */
  end(): void {
    if (this.remaining > 0) reject(IssueCode.TrailingBytes, '', `${this.remaining} byte${this.remaining === 1 ? '' : 's'} after the last field the flags declare (payload of ${this.bytes.length})`);
  }
}

/** Runs a decoder, turning its rejection into an error value. */
export function decoding<T>(run: () => T): { ok: true; value: T } | { ok: false; error: Issue[] } {
  try {
    return { ok: true, value: run() };
  } catch (error) {
    if (error instanceof Rejected) return { ok: false, error: [error.issue] };
    throw error;
  }
}

/** Whether bit `n` of `flags` is set. */
export const bit = (flags: number, n: number): boolean => (flags & (1 << n)) !== 0;

/** The names of the set bits of `raw`, in bit order, from `names[i]` = bit `first + i`. */
export function setBits(raw: number, names: readonly string[], first = 0): string[] {
  return names.filter((_, i) => bit(raw, first + i));
}
