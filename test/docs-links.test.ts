/**
 * Every relative link in README.md and docs/*.md points to a file (or folder) of the
 * repository, and a `#fragment` into a Markdown file to one of its headings (GitHub's
 * anchors: lower case, punctuation dropped, spaces as hyphens). Links to the web are not
 * fetched. Text in code blocks and code spans is not a link.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');

function markdownFiles(): string[] {
  const docs = join(ROOT, 'docs');
  const inDocs = existsSync(docs) ? readdirSync(docs).filter((f) => f.endsWith('.md')).map((f) => join(docs, f)) : [];
  return [join(ROOT, 'README.md'), ...inDocs.sort()];
}

/** The text outside fenced code blocks, with code spans removed. */
function prose(markdown: string): string {
  const out: string[] = [];
  let fenced = false;
  for (const line of markdown.split('\n')) {
    if (/^\s*```/.test(line)) {
      fenced = !fenced;
      continue;
    }
    if (!fenced) out.push(line.replace(/`[^`]*`/g, ''));
  }
  return out.join('\n');
}

/** GitHub's heading anchor. */
function slug(heading: string): string {
  return heading
    .trim()
    .toLowerCase()
    .replace(/[^\p{L}\p{N} _-]/gu, '')
    .replace(/ /g, '-');
}

function anchors(markdown: string): Set<string> {
  const seen = new Map<string, number>();
  const out = new Set<string>();
  let fenced = false;
  for (const line of markdown.split('\n')) {
    if (/^\s*```/.test(line)) fenced = !fenced;
    const m = fenced ? null : /^#{1,6} (.*)$/.exec(line);
    if (!m) continue;
    const base = slug(m[1]!);
    const n = seen.get(base) ?? 0;
    seen.set(base, n + 1);
    out.add(n === 0 ? base : `${base}-${n}`);
  }
  return out;
}

export function relativeLinks(markdown: string): string[] {
  const links: string[] = [];
  for (const m of prose(markdown).matchAll(/\]\(([^)\s]+)(?:\s+"[^"]*")?\)/g)) {
    const target = m[1]!.replace(/^<|>$/g, '');
    if (/^[a-z][a-z0-9+.-]*:/i.test(target)) continue; // https:, mailto:
    links.push(target);
  }
  return links;
}

describe('documentation links', () => {
  it('finds the links it checks (the front page links the reference)', () => {
    const readme = relativeLinks(readFileSync(join(ROOT, 'README.md'), 'utf8'));
    expect(readme).toContain('docs/cli.md');
    expect(readme).toContain('docs/causes.md');
    expect(relativeLinks('[a](x.md) `[b](y.md)` [c](https://example.com) [d](#e)\n```\n[f](g.md)\n```\n')).toEqual(['x.md', '#e']);
    expect(slug('Following the topology: which addresses, and where the password goes')).toBe('following-the-topology-which-addresses-and-where-the-password-goes');
    expect(slug('`dns-resolution-failed`')).toBe('dns-resolution-failed');
  });

  for (const file of markdownFiles()) {
    const name = relative(ROOT, file);
    it(`every relative link in ${name} exists`, () => {
      const markdown = readFileSync(file, 'utf8');
      // An unclosed fence would hide the rest of the file from this check (and garble it on GitHub).
      expect(markdown.split('\n').filter((l) => /^\s*```/.test(l)).length % 2, `${name}: a code fence is not closed`).toBe(0);
      const broken: string[] = [];
      for (const link of relativeLinks(markdown)) {
        const [path, fragment] = link.split('#', 2) as [string, string | undefined];
        const target = path === '' ? file : resolve(dirname(file), decodeURIComponent(path));
        if (!target.startsWith(ROOT) || !existsSync(target)) {
          broken.push(`${link} (no such file)`);
          continue;
        }
        if (fragment && target.endsWith('.md') && statSync(target).isFile()) {
          const text = target === file ? markdown : readFileSync(target, 'utf8');
          if (!anchors(text).has(decodeURIComponent(fragment))) broken.push(`${link} (no heading #${fragment})`);
        }
      }
      expect(broken, `${name}: broken links`).toEqual([]);
    });
  }
});
