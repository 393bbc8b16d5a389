import { describe, expect, it, vi } from 'vitest';
import { createProgress } from '../../src/cli/progress.js';
import { urlPassword } from '../../src/cli/url-password.js';
import { renderJson } from '../../src/cli/render-json.js';
import { renderText, summaryLine } from '../../src/cli/render-text.js';
import { colourWanted, makeStyle, safeText } from '../../src/cli/style.js';
import { Redactor } from '../../src/engine/shared/redact.js';
import type { Diagnosis } from '../../src/engine/model/types.js';

const refused: Diagnosis = {
  target: { input: '127.0.0.1:6390', host: '127.0.0.1', port: 6390, tls: false },
  verdict: 'unreachable',
  primaryCause: 'connection-refused',
  findings: [
    {
      cause: 'connection-refused',
      severity: 'critical',
      confidence: 'confirmed',
      title: 'Nothing accepts connections on 127.0.0.1:6390',
      evidence: ['connect 127.0.0.1:6390: ECONNREFUSED'],
      remediations: [
        { id: 'start-redis', title: 'Start Redis', risk: 'low', mode: 'guided', steps: ['sudo systemctl start redis-server', 'redis-cli -p 6390 ping'], verify: 'run the diagnosis again' },
      ],
    },
  ],
  checks: [
    { id: 'dns', status: 'skip', durationMs: 0, detail: 'IP literal' },
    { id: 'tcp-connect', status: 'fail', durationMs: 1.4, detail: 'ECONNREFUSED' },
  ],
  durationMs: 4,
  startedAt: '2026-01-01T00:00:00.000Z',
  version: '0.1.0',
};

const plain = makeStyle(false);

describe('renderText', () => {
  it('shows the target, verdict, checks, finding, evidence, steps and a summary', () => {
    const text = renderText(refused, plain);
    expect(text).toContain('target   127.0.0.1:6390 (plaintext)');
    expect(text).toContain('verdict  UNREACHABLE  primary cause: connection-refused');
    expect(text).toMatch(/FAIL {2}tcp-connect +1 ms {2}ECONNREFUSED/);
    expect(text).toContain('1. CRITICAL  Nothing accepts connections on 127.0.0.1:6390  [connection-refused · confirmed]');
    expect(text).toContain('- connect 127.0.0.1:6390: ECONNREFUSED');
    expect(text).toContain('a. Start Redis  [start-redis · guided · risk low]');
    expect(text).toContain('1. sudo systemctl start redis-server');
    expect(text).toContain('2. redis-cli -p 6390 ping');
    expect(text.trimEnd().split('\n').at(-1)).toBe('unreachable — connection-refused: 1 finding (1 critical), 2 checks in 4 ms');
    expect(text).not.toContain('\x1b');
  });

  it('colours only when asked', () => {
    expect(renderText(refused, makeStyle(true))).toContain('\x1b[31m');
  });

  it('says so when nothing was found', () => {
    const healthy: Diagnosis = { ...refused, verdict: 'healthy', primaryCause: null, findings: [] };
    expect(renderText(healthy, plain)).toContain('none: every check passed');
    expect(summaryLine(healthy)).toBe('healthy: no findings, 2 checks in 4 ms');
  });

  it('makes control characters from the network visible instead of sending them to the terminal', () => {
    const hostile: Diagnosis = { ...refused, checks: [{ id: 'resp', status: 'fail', durationMs: 1, detail: 'banner \x1b]0;pwned\x07 \x9b2J' }] };
    const text = renderText(hostile, plain);
    expect(text).toContain('banner \\x1b]0;pwned\\x07 \\x9b2J');
    expect(text).not.toMatch(/[\x07\x1b\x9b]/);
    expect(safeText('a\tb\nc')).toBe('a\tb\nc');
  });

  it('shows bidirectional overrides from the network as escapes (a reply cannot reorder the line)', () => {
    const hostile: Diagnosis = { ...refused, checks: [{ id: 'resp', status: 'fail', durationMs: 1, detail: 'ERR \u202egnp.exe\u202c \u2066x\u2069' }] };
    const text = renderText(hostile, plain);
    expect(text).toContain('ERR \\u202egnp.exe\\u202c \\u2066x\\u2069');
    expect(text).not.toMatch(/[\u202a-\u202e\u2066-\u2069]/);
  });
});

describe('renderJson', () => {
  it('prints one document equal to the diagnosis', () => {
    const out = renderJson(refused);
    expect(out.endsWith('}\n')).toBe(true);
    expect(JSON.parse(out)).toEqual(refused);
  });
});

describe('colourWanted', () => {
  it('follows TTY, NO_COLOR and FORCE_COLOR', () => {
    expect(colourWanted({ isTTY: true }, {})).toBe(true);
    expect(colourWanted({ isTTY: false }, {})).toBe(false);
    expect(colourWanted({ isTTY: true }, { NO_COLOR: '1' })).toBe(false);
    expect(colourWanted({ isTTY: true }, { NO_COLOR: '' })).toBe(true);
    expect(colourWanted({ isTTY: false }, { FORCE_COLOR: '1' })).toBe(true);
    expect(colourWanted({ isTTY: false }, { FORCE_COLOR: '0' })).toBe(false);
    expect(colourWanted({ isTTY: false }, { FORCE_COLOR: '1', NO_COLOR: '1' })).toBe(false);
    expect(colourWanted({ isTTY: true }, { TERM: 'dumb' })).toBe(false);
  });
});

describe('redaction of output', () => {
  it('redacts every string, including ones JSON would escape', () => {
    const pw = 'pa"ss\\word';
    const r = new Redactor().add(pw);
    const doc = { a: [`x ${pw} y`], b: { c: `${pw}` }, n: 3 };
    const out = JSON.stringify(r.redactDeep(doc));
    expect(out).not.toContain(JSON.stringify(pw).slice(1, -1));
    expect(r.redactDeep(doc)).toEqual({ a: ['x <redacted> y'], b: { c: '<redacted>' }, n: 3 });
  });

  it('finds a URL password before the target is validated', () => {
    expect(urlPassword('redis://u:p%40ss@h:1')).toBe('p@ss');
    expect(urlPassword('redis://:p@ss@h')).toBe('p@ss');
    expect(urlPassword('localhost:6379')).toBeUndefined();
  });
});

describe('createProgress', () => {
  it('writes nothing when stderr is not a terminal', () => {
    const writes: string[] = [];
    const p = createProgress({ isTTY: false, write: (c) => (writes.push(c), true) }, 'x');
    p.onProgress({ phase: 'start', step: 'tcp-connect' });
    p.stop();
    expect(writes).toEqual([]);
  });

  it('on a terminal, paints one line naming the running step and erases it on stop', () => {
    vi.useFakeTimers();
    try {
      const writes: string[] = [];
      const p = createProgress({ isTTY: true, columns: 60, write: (c) => (writes.push(c), true) }, 'diagnosing h:1', (t) => t.replace('s3cret', '<redacted>'));
      p.onProgress({ phase: 'start', step: 'tcp-connect' });
      expect(writes).toEqual([]); // nothing before the first-paint delay
      vi.advanceTimersByTime(200);
      const line = writes.at(-1)!;
      expect(line.startsWith('\r\x1b[2K')).toBe(true);
      expect(line).toContain('diagnosing h:1: tcp-connect');
      expect(line).not.toContain('\n');
      p.onProgress({ phase: 'start', step: 's3cret' });
      expect(writes.at(-1)).toContain('<redacted>');
      p.stop();
      expect(writes.at(-1)).toBe('\r\x1b[2K');
      const count = writes.length;
      vi.advanceTimersByTime(500);
      expect(writes.length).toBe(count);
    } finally {
      vi.useRealTimers();
    }
  });
});

describe('renderText: a fix listed once', () => {
  it('a remediation an earlier finding showed is referred to, not listed again', () => {
    const start = refused.findings[0]!.remediations[0]!;
    const twice: Diagnosis = {
      ...refused,
      findings: [refused.findings[0]!, { ...refused.findings[0]!, cause: 'server-not-running', title: 'redis-server is not running', remediations: [start] }],
    };
    const text = renderText(twice, plain);
    expect(text.split('sudo systemctl start redis-server')).toHaveLength(2);
    expect(text).toContain('a. Start Redis  [start-redis: the same fix as in 1 above]');
  });
});
