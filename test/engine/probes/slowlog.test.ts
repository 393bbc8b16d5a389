import { describe, expect, it } from 'vitest';
import { parseSlowlog, slowlogError } from '../../../src/engine/probes/slowlog.js';
import { summarize } from '../../../src/engine/probes/slow-sample.js';
import type { RespNode } from '../../../src/engine/probes/resp-parser.js';

const int = (n: number): RespNode => ({ kind: 'integer', text: String(n) });
const str = (s: string): RespNode => ({ kind: 'string', text: s });
const arr = (items: RespNode[]): RespNode => ({ kind: 'array', text: '', items });
const entry = (args: string[], client = '10.0.0.1:1234', name = '') => arr([int(3), int(1700000000), int(250000), arr(args.map(str)), str(client), str(name)]);

describe('parseSlowlog', () => {
  it('keeps the command name, a container subcommand and KEYS/SCAN shapes; never keys or values', () => {
    const entries = parseSlowlog(arr([
      entry(['keys', 'user:*']),
      entry(['KEYS', '*']),
      entry(['SCAN', '0', 'MATCH', 'session:*', 'COUNT', '1000', 'TYPE', 'hash']),
      entry(['HSCAN', 'bigkey', '17', 'MATCH', '*', 'NOVALUES', 'COUNT', 'lots']),
      entry(['DEBUG', 'SLEEP', '0.2']),
      entry(['SET', 'k', 'v']),
      entry(['GET user:1', 'x']),
    ]));
    expect(entries.map((e) => [e.command, e.shape])).toEqual([
      ['KEYS', 'KEYS <pattern>'],
      ['KEYS', 'KEYS * (every key)'],
      ['SCAN', 'SCAN <cursor> MATCH <pattern> COUNT 1000 TYPE <type>'],
      ['HSCAN', 'HSCAN <key> <cursor> MATCH * NOVALUES COUNT <n>'],
      ['DEBUG SLEEP', undefined],
      ['SET', undefined],
      ['<unreadable command>', undefined],
    ]);
    expect(entries[0]).toMatchObject({ id: 3, at: 1700000000, durationUs: 250000, client: '10.0.0.1:1234' });
    expect(JSON.stringify(entries)).not.toMatch(/user:|session:|bigkey|"v"/);
  });

  it('hostile entries: capped client and name, invisible characters shown, malformed entries dropped, at most 32', () => {
    const [e] = parseSlowlog(arr([entry(['GET'], `${'9'.repeat(1000)}`, `a\u202eb\x1b[31m\r\n${'n'.repeat(1000)}`)]));
    expect(e!.client!.length).toBeLessThanOrEqual(64);
    expect(e!.clientName).toMatch(/^a\\u202eb\\x1b\[31m {2}n+…$/);
    expect(e!.clientName!.length).toBeLessThanOrEqual(48 + 12);
    expect(parseSlowlog(arr([arr([str('x'), int(1), int(2), arr([])]), arr([int(1), int(2), int(-5), arr([])])]))).toEqual([]);
    expect(parseSlowlog(arr(Array.from({ length: 100 }, () => entry(['GET']))))).toHaveLength(32);
    expect(parseSlowlog({ kind: 'error', text: 'ERR' })).toEqual([]);
    expect(parseSlowlog(undefined)).toEqual([]);
  });

  it('an error reply in wire form, capped and escaped', () => {
    expect(slowlogError({ kind: 'error', text: "ERR unknown command 'SLOWLOG'" })).toBe("-ERR unknown command 'SLOWLOG'");
    expect(slowlogError({ kind: 'error', text: `NOPERM \u202e${'x'.repeat(500)}` })!.length).toBeLessThanOrEqual(170);
    expect(slowlogError({ kind: 'array', text: '' })).toBeUndefined();
  });
});

describe('latency summary', () => {
  it('nearest-rank p50/p99, max and the slowest PING', () => {
    const s = summarize([0.2, 0.4, 0.3, 5, 0.25]);
    expect(s).toEqual({ samplesMs: [0.2, 0.4, 0.3, 5, 0.25], p50Ms: 0.3, p99Ms: 5, maxMs: 5, slowest: 3 });
    expect(summarize([], 'timeout')).toBeUndefined();
    expect(summarize([1], 'closed')?.stopped).toBe('closed');
  });
});
