/**
 * Nothing the checks run changes the host (issue #3): every script of the
 * catalogue, built with a full plan, only reads — alone and as the two
 * combined scripts a diagnosis sends (issue #10), whose wrapper is checked
 * with each section's single-quoted script taken out (the sections are the
 * catalogue scripts above). Checked on the script text (no redirection into a
 * file, no here-document — shells keep those in temp files —, no command that
 * writes, sudo only for reading tools) and by running the scripts with an
 * empty HOME/TMPDIR/working directory that must stay empty.
 */
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { batchScript } from '../../src/engine/remote/batch.js';
import { CATALOGUE, type Plan } from '../../src/engine/remote/catalogue.js';
import { batchSections, FIRST, FOLLOW_UP } from '../../src/engine/remote/catalogue-run.js';
import { preamble, sudoFunction } from '../../src/engine/remote/scripts.js';
import { runLocally } from './run-script.js';

const PLAN: Plan = {
  pids: [812, 933],
  conf: [
    { path: '/etc/redis/redis.conf', source: 'process' },
    { path: '/etc/redis/6379.conf', source: 'default' },
  ],
  confDirs: [{ conf: '/etc/redis/redis.conf', dir: '/var/lib/redis' }],
  containerIds: ['0123456789ab'],
  containerLogIds: ['0123456789ab'],
  timeoutSec: 2,
};

const MARKER = '0123456789abcdef';
const COMBINED: [string, string][] = [
  ['first script', batchScript(MARKER, 2, false, batchSections(FIRST, PLAN))],
  ['follow-up script', batchScript(MARKER, 2, false, batchSections(FOLLOW_UP, PLAN))],
  ['follow-up script with sudo', batchScript(MARKER, 2, true, batchSections(FOLLOW_UP, PLAN))],
];

/** A single-quoted shell word that may hold `'\''` (batch.ts shellWord). */
const QUOTED_WORD = /'(?:[^']|'\\'')*'/g;
const SECTION_CALL = /(?:(?:^|[\s;])x [a-z0-9-]+ |\/bin\/sh -c )('(?:[^']|'\\'')*')/gm;

/** The wrapper of a combined script with its section scripts taken out, and those scripts decoded. */
function unwrap(script: string): { wrapper: string; sections: string[] } {
  const sections: string[] = [];
  const wrapper = script.replace(SECTION_CALL, (call: string, word: string) => {
    sections.push(word.slice(1, -1).replaceAll("'\\''", "'"));
    return call.replace(word, "''");
  });
  return { wrapper, sections };
}

const SCRIPTS: [string, string][] = [
  ['preamble', preamble(false)],
  ['preamble with sudo', preamble(true)],
  ...CATALOGUE.map((e): [string, string] => [e.id, e.script(PLAN) ?? '']),
  ...COMBINED.map(([name, script]): [string, string] => [`${name}: wrapper`, unwrap(script).wrapper]),
];

// Redirections that write nowhere: to the null device, or between the channel's own streams
// (fd 3 is a copy of the channel's stdout in the combined scripts: `exec 3>&1`, `1>&3`, `3>&-`).
const HARMLESS_REDIRECT = /\d?>\/dev\/null|\d?>&[123-]/g;
// Commands or options that change something, as they would appear in a script.
const WRITERS = /\b(?:rm|mv|cp|touch|mkdir|mktemp|tee|dd|truncate|chmod|chown|ln|install|kill|pkill|reboot|shutdown|sysctl -w|sed -i)\b|\bdmesg -[cCD]|\bsystemctl (?:start|stop|restart|reload|enable|disable|mask|kill|set-property|daemon-reload)|(?:\bip6?tables|\$t) -[AIDRFZNXP]\b|\bnft (?:add|insert|delete|flush|replace|create|-f)\b|\bufw (?:allow|deny|reject|enable|disable|delete|reset|reload)\b|--(?:add|remove|reload|set|new|delete|runtime-to-permanent)|\bdocker (?:run|rm|start|stop|restart|kill|exec|create|update|pull)\b|\bkubectl (?:apply|create|delete|edit|patch|exec|scale|label|annotate)\b/;
// What `s` (sudo -n when configured) may run: tools that only read.
const PRIVILEGED = new Set(['ss', 'netstat', 'dmesg', 'journalctl', '$t', 'nft', 'ufw', 'firewall-cmd', 'docker', 'cat', 'readlink', 'df']);

describe('every catalogue script only reads', () => {
  it.each(SCRIPTS)('%s: no redirection into a file, no here-document', (_id, script) => {
    expect(script).not.toContain('<<');
    expect(script.replace(HARMLESS_REDIRECT, '').replaceAll('<redacted>', '')).not.toMatch(/>/);
  });

  it.each(SCRIPTS)('%s: no command that writes; awk programs and patterns run nothing', (_id, script) => {
    const quoted = [...script.matchAll(/'[^']*'/g)].map((m) => m[0]);
    expect(script.replace(/'[^']*'/g, "''")).not.toMatch(WRITERS);
    for (const q of quoted) expect(q).not.toMatch(/system\s*\(|\|\s*"|getline|fflush|close\s*\(/);
  });

  it.each(SCRIPTS)('%s: sudo only for reading tools', (_id, script) => {
    const privileged = [...script.matchAll(/(?:^|[\s;|&(`])s (\S+)/gm)].map((m) => m[1]!);
    for (const tool of privileged) expect(PRIVILEGED, tool).toContain(tool);
  });

  it('these checks do catch writers (so they can fail)', () => {
    for (const bad of ['s $t -F', 'iptables -D INPUT 1', 'dmesg -c', 'nft flush ruleset', 'x=$(mktemp)', 'docker rm abc', 'systemctl restart redis']) expect(bad).toMatch(WRITERS);
    for (const bad of ['ps > /tmp/ps.txt', 'cat <<EOF']) expect(bad.replace(HARMLESS_REDIRECT, '')).toMatch(/>|<</);
  });

  it.each(COMBINED)('%s: its sections are exactly the catalogue scripts, each with its own `s`', (_name, script) => {
    const { wrapper, sections } = unwrap(script);
    // What is left quoted in the wrapper is printf formats and one awk program, no script.
    for (const word of wrapper.match(QUOTED_WORD) ?? []) expect(word.length, word).toBeLessThan(120);
    const expected = CATALOGUE.map((e) => e.script(PLAN)).filter((x): x is string => x !== null);
    expect(sections.length).toBeGreaterThan(0);
    for (const text of sections) {
      const [s, ...body] = text.split('\n');
      expect([sudoFunction(false), sudoFunction(true)]).toContain(s);
      expect(expected).toContain(body.join('\n'));
    }
  });

  it('kubectl keeps its discovery cache off the disk', () => {
    expect(CATALOGUE.find((e) => e.id === 'kubectl')!.script(PLAN)).toContain(' --cache-dir=/dev/null/redis-doctor');
  });

  it('run here with an empty HOME, TMPDIR and working directory, the scripts leave them empty', async () => {
    const home = mkdtempSync(join(tmpdir(), 'rd-ro-'));
    try {
      for (const [id, script] of [...SCRIPTS.slice(2).filter(([name]) => !name.endsWith(': wrapper')), ...COMBINED.slice(0, 2)]) {
        const res = await runLocally(script, { home });
        expect(res.stderr, id).not.toMatch(/syntax error/);
      }
      expect(readdirSync(home)).toEqual([]);
    } finally {
      rmSync(home, { recursive: true, force: true });
    }
  });
});
