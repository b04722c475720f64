import { inflateSync } from 'node:zlib';

/**
 * The text drawn on the pages of a PDF as Chromium prints it (Skia's PDF backend): uncompressed
 * objects, Flate-compressed streams, Type0 fonts with Identity-H encoding and a ToUnicode CMap
 * [PDF 32000-1 §9.10.3]. Enough to read back what a page printed, not a general PDF reader:
 * object streams, other filters and simple-font encodings are not handled, and an unknown
 * font throws rather than guessing. The runs of one text object are joined as drawn (spaces are
 * glyphs), text objects by a newline.
 */
export function pdfText(pdf: Buffer): string {
  const objects = new Map<number, { dict: string; stream: Buffer | undefined }>();
  const raw = pdf.toString('latin1');
  for (const m of raw.matchAll(/(\d+) 0 obj\s*([\s\S]*?)endobj/g)) {
    const body = m[2] ?? '';
    const streamAt = body.indexOf('stream');
    const dict = streamAt < 0 ? body : body.slice(0, streamAt);
    let stream: Buffer | undefined;
    if (streamAt >= 0) {
      const start = (m.index ?? 0) + m[0].indexOf(body) + streamAt + 'stream'.length;
      const from = raw[start] === '\r' ? start + 2 : start + 1;
      const length = Number(/\/Length (\d+)/.exec(dict)?.[1]);
      const bytes = pdf.subarray(from, from + length);
      stream = /\/FlateDecode/.test(dict) ? inflateSync(bytes) : bytes;
    }
    objects.set(Number(m[1]), { dict, stream });
  }
  const ref = (dict: string, key: string): number | undefined => {
    const n = new RegExp(`/${key} (\\d+) 0 R`).exec(dict)?.[1];
    return n === undefined ? undefined : Number(n);
  };
  const cmaps = new Map<number, Map<number, string>>();
  const cmapOf = (fontObj: number): Map<number, string> => {
    const cached = cmaps.get(fontObj);
    if (cached !== undefined) return cached;
    const toUnicode = ref(objects.get(fontObj)?.dict ?? '', 'ToUnicode');
    const cmap = toUnicode === undefined ? undefined : objects.get(toUnicode)?.stream?.toString('latin1');
    if (cmap === undefined) throw new Error(`pdfText: font object ${fontObj} has no ToUnicode map`);
    const map = parseCMap(cmap);
    cmaps.set(fontObj, map);
    return map;
  };

  const lines: string[] = [];
  for (const { dict } of objects.values()) {
    if (!/\/Type \/Page\b/.test(dict)) continue;
    const fonts = new Map([...(/\/Font <<([^>]*)>>/.exec(dict)?.[1] ?? '').matchAll(/\/(\w+) (\d+) 0 R/g)].map((f) => [f[1] ?? '', Number(f[2])]));
    const contents = ref(dict, 'Contents');
    const ops = contents === undefined ? '' : (objects.get(contents)?.stream?.toString('latin1') ?? '');
    let font: Map<number, string> | undefined;
    let line: string[] = [];
    for (const t of ops.matchAll(/\/(\w+) [\d.]+ Tf|\[((?:<[0-9A-Fa-f]*>|[^\]])*)\]\s*TJ|<([0-9A-Fa-f]*)>\s*Tj|\bET\b/g)) {
      if (t[1] !== undefined) {
        const obj = fonts.get(t[1]);
        if (obj === undefined) throw new Error(`pdfText: unknown font /${t[1]}`);
        font = cmapOf(obj);
      } else if (t[0] === 'ET') {
        if (line.length > 0) lines.push(line.join(''));
        line = [];
      } else {
        if (font === undefined) throw new Error('pdfText: text before any font');
        const hex = t[3] ?? [...(t[2] ?? '').matchAll(/<([0-9A-Fa-f]*)>/g)].map((h) => h[1]).join('');
        line.push(decode(hex, font));
      }
    }
  }
  return lines.join('\n');
}

/** Two-byte codes (Identity-H) through the font's map. */
function decode(hex: string, map: ReadonlyMap<number, string>): string {
  let out = '';
  for (let i = 0; i + 4 <= hex.length; i += 4) out += map.get(parseInt(hex.slice(i, i + 4), 16)) ?? '\uFFFD';
  return out;
}

/** A ToUnicode CMap's `bfchar` and `bfrange` entries [PDF 32000-1 §9.10.3]. */
function parseCMap(cmap: string): Map<number, string> {
  const map = new Map<number, string>();
  const utf16 = (hex: string) => String.fromCharCode(...(hex.match(/.{4}/g) ?? []).map((h) => parseInt(h, 16)));
  for (const block of cmap.matchAll(/beginbfchar([\s\S]*?)endbfchar/g)) {
    for (const e of (block[1] ?? '').matchAll(/<([0-9A-Fa-f]+)>\s*<([0-9A-Fa-f]+)>/g)) map.set(parseInt(e[1] ?? '', 16), utf16(e[2] ?? ''));
  }
  for (const block of cmap.matchAll(/beginbfrange([\s\S]*?)endbfrange/g)) {
    for (const e of (block[1] ?? '').matchAll(/<([0-9A-Fa-f]+)>\s*<([0-9A-Fa-f]+)>\s*<([0-9A-Fa-f]+)>/g)) {
      const from = parseInt(e[1] ?? '', 16);
      const first = parseInt(e[3] ?? '', 16);
      for (let code = from; code <= parseInt(e[2] ?? '', 16); code++) map.set(code, String.fromCharCode(first + code - from));
    }
  }
  return map;
}
