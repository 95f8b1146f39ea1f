import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

/** The renderer owns index.html; the shell checks the policy it relies on is there. */
describe('the renderer page', () => {
  const html = readFileSync(
    path.resolve(import.meta.dirname, '..', '..', 'src-renderer', 'index.html'),
    'utf8',
  );

  it('carries a strict Content-Security-Policy meta tag', () => {
    const match = /<meta\s+http-equiv="Content-Security-Policy"\s+content="([^"]+)"/i.exec(html);
    expect(match).not.toBeNull();
    const directives = new Map(
      match![1].split(';').map((part) => {
        const [name, ...values] = part.trim().split(/\s+/);
        return [name, values] as const;
      }),
    );
    expect(directives.get('default-src')).toEqual(["'self'"]);
    expect(directives.get('script-src')).toEqual(["'self'"]);
    expect(directives.get('object-src')).toEqual(["'none'"]);
    for (const values of directives.values()) {
      expect(values).not.toContain("'unsafe-eval'");
      expect(values).not.toContain('*');
    }
  });
});
