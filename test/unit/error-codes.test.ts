import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { GatewayErrorCode, IssueCode } from '../../src/domain/index.js';

const doc = readFileSync(new URL('../../docs/errors.md', import.meta.url), 'utf8');
const documented = new Set([...doc.matchAll(/^\| `([a-zA-Z_-]+)` \|/gm)].map((m) => m[1]));

describe('docs/errors.md', () => {
  it('documents every issue code and every gateway error code', () => {
    for (const code of [...Object.values(IssueCode), ...Object.keys(GatewayErrorCode)]) expect(documented, code).toContain(code);
  });

  it('lists no stale code', () => {
    const known = new Set<string>([...Object.values(IssueCode), ...Object.keys(GatewayErrorCode)]);
    for (const code of documented) expect(known, code).toContain(code);
  });

  it('states each gateway error\'s retry class as the registry does', () => {
    for (const [code, { retry }] of Object.entries(GatewayErrorCode)) expect(doc).toContain(`| \`${code}\` | ${retry} |`);
  });
});
