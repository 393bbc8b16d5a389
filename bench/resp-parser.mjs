// The RESP parser, three ways, on the replies of issue #16: the hand-written
// parser before the fix (commit e8db250, re-parsing the buffered reply on every
// chunk), the resumable one now in src/, and ioredis's `redis-parser` (RESP2
// only). Each reply is fed in 64 KiB chunks, as a socket delivers it; the
// figures are the total time and the longest single chunk (what the event loop
// is held for; a socket reader now parses at most 16 KiB per turn, see
// src/engine/probes/paced.ts). No build needed: both TypeScript versions are transpiled here.
//   node bench/resp-parser.mjs [--runs 3]
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import ts from 'typescript';

const require = createRequire(import.meta.url);
const RedisParser = require('redis-parser');
const runs = Number(process.argv[process.argv.indexOf('--runs') + 1] || 3) || 3;
const OLD_COMMIT = 'e8db250';
const SRC = 'src/engine/probes/resp-parser.ts';

const dir = mkdtempSync(join(tmpdir(), 'resp-bench-'));
async function load(name, source) {
  const js = ts.transpileModule(source.replace(/^import \{ REDACTED \} from .*$/m, "const REDACTED = '<redacted>';"), {
    compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022 },
  }).outputText;
  const file = join(dir, `${name}.mjs`);
  writeFileSync(file, js);
  return import(file);
}
const oldMod = await load('old', execFileSync('git', ['show', `${OLD_COMMIT}:${SRC}`], { encoding: 'utf8' }));
const newMod = await load('new', readFileSync(SRC, 'utf8'));
rmSync(dir, { recursive: true, force: true });

// 8 MB of tiny elements: 2,048 arrays of 1,024 `:1` (the old parser allowed 4,096 per array, 8 levels).
function tinyArray() {
  const inner = `*1024\r\n${':1\r\n'.repeat(1024)}`;
  return Buffer.from(`*2048\r\n${inner.repeat(2048)}`);
}
// CLUSTER SHARDS of 10,000 nodes: 2,500 shards of a primary and three replicas (Redis 7 shape).
function clusterShards() {
  const bulk = (s) => `$${Buffer.byteLength(s)}\r\n${s}\r\n`;
  const node = (i, role) => `*16\r\n${['id', i.toString(16).padStart(40, '0'), 'port', String(7000 + (i % 1000)), 'ip', `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`,
    'endpoint', `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`, 'hostname', '', 'role', role, 'replication-offset', '123456', 'health', 'online'].map(bulk).join('')}`;
  let out = '*2500\r\n';
  for (let s = 0; s < 2500; s++) {
    out += `*4\r\n${bulk('slots')}*2\r\n:${s * 6}\r\n:${s * 6 + 5}\r\n${bulk('nodes')}*4\r\n`;
    for (let r = 0; r < 4; r++) out += node(s * 4 + r, r === 0 ? 'master' : 'replica');
  }
  return Buffer.from(out);
}
const bigBulk = () => Buffer.from(`$${8 * 1024 * 1024 - 64}\r\n${'x'.repeat(8 * 1024 * 1024 - 64)}\r\n`);

function chunks(buf, size = 64 * 1024) {
  const out = [];
  for (let i = 0; i < buf.length; i += size) out.push(buf.subarray(i, i + size));
  return out;
}

// The old parser needs minutes for the tiny-element array: stop it after this long.
const GIVE_UP_MS = 15_000;

function feedOurs(Parser, parts, options) {
  const p = new Parser(options);
  let max = 0;
  let outcome = 'incomplete';
  const t0 = performance.now();
  try {
    for (const [i, c] of parts.entries()) {
      if (performance.now() - t0 > GIVE_UP_MS) {
        outcome = `stopped after ${i} of ${parts.length} chunks`;
        break;
      }
      const s = performance.now();
      p.push(c);
      const node = p.nextNode();
      max = Math.max(max, performance.now() - s);
      if (node) {
        outcome = `reply (${node.items?.length ?? node.text.length} items/chars)`;
        break;
      }
    }
  } catch (err) {
    outcome = `refused: ${err.message}`;
  }
  return { total: performance.now() - t0, max, outcome };
}

function feedRedisParser(parts) {
  let outcome = 'incomplete';
  const p = new RedisParser({ returnReply: (r) => { outcome = `reply (${Array.isArray(r) ? r.length : r.length} items/chars)`; }, returnError: (e) => { outcome = `error ${e.message}`; }, returnFatalError: (e) => { outcome = `fatal ${e.message}`; } });
  let max = 0;
  const t0 = performance.now();
  for (const c of parts) {
    const s = performance.now();
    p.execute(c);
    max = Math.max(max, performance.now() - s);
    if (outcome !== 'incomplete') break;
  }
  return { total: performance.now() - t0, max, outcome };
}

const cases = [
  ['8 MB array of tiny elements', tinyArray()],
  ['CLUSTER SHARDS, 10,000 nodes', clusterShards()],
  ['8 MB bulk string', bigBulk()],
];
const med = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
console.log(`| reply (64 KiB chunks) | parser | total ms (median of ${runs} runs) | longest chunk ms | outcome |`);
console.log('| --- | --- | --- | --- | --- |');
for (const [name, buf] of cases) {
  const parts = chunks(buf);
  for (const [label, run] of [
    [`hand-written, before (${OLD_COMMIT})`, () => feedOurs(oldMod.RespParser, parts)],
    ['hand-written, resumable (now), default budget (handshake)', () => feedOurs(newMod.RespParser, parts)],
    ['hand-written, resumable (now), topology budget', () => feedOurs(newMod.RespParser, parts, { maxElements: newMod.LARGE_REPLY_ELEMENTS })],
    ['redis-parser 3.0 (ioredis)', () => feedRedisParser(parts)],
  ]) {
    const first = run();
    // One run is enough to show a parser that gives up.
    const results = first.outcome.startsWith('stopped') ? [first] : [first, ...Array.from({ length: runs - 1 }, run)];
    const fmt = (x) => x.toFixed(x < 10 ? 1 : 0);
    console.log(`| ${name} (${(buf.length / 1048576).toFixed(1)} MiB) | ${label} | ${fmt(med(results.map((r) => r.total)))} | ${fmt(med(results.map((r) => r.max)))} | ${results[0].outcome} |`);
  }
}
