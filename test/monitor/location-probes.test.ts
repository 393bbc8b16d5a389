import { describe, expect, it } from 'vitest';
import { combine, parseAnswer } from '../../src/monitor/location-probes.js';
import type { UpResult } from '../../src/engine/index.js';

const NOW = 1_000_000;
const upLocal: UpResult = { up: true, step: 'redis', durationMs: 2 };
const at = (location: string, up: boolean, ago = 1000, code?: string) => ({ location, target: 't', at: NOW - ago, up, ...(code ? { code, detail: 'connect ECONNREFUSED 198.18.0.1:6379' } : {}) });

describe('combine: one outcome from several locations', () => {
  it('down from one location, up from the others: down, saying from where', () => {
    const r = combine(['local', 'eu-vpc'], upLocal, [at('eu-vpc', false, 1000, 'ECONNREFUSED')], NOW, 25_000, 3);
    expect(r.up).toBe(false);
    expect(r.code).toBe('ECONNREFUSED');
    expect(r.detail).toBe('down from eu-vpc (ECONNREFUSED: connect ECONNREFUSED 198.18.0.1:6379); up from local');
  });

  it('up only when every location that answered sees it up; a stale location is left out and named', () => {
    expect(combine(['local', 'eu-vpc'], upLocal, [at('eu-vpc', true)], NOW, 25_000, 3).up).toBe(true);
    const stale = combine(['local', 'eu-vpc'], { up: false, step: 'tcp', code: 'ETIMEDOUT', durationMs: 1 }, [at('eu-vpc', false, 60_000, 'ECONNREFUSED')], NOW, 25_000, 3);
    expect(stale.detail).toBe('down from local (ETIMEDOUT); no recent probe from eu-vpc');
    expect(combine(['local', 'eu-vpc'], upLocal, [at('eu-vpc', false, 60_000, 'ECONNREFUSED')], NOW, 25_000, 3).up).toBe(true);
  });

  it('no location answered at all: down, LOCATION-SILENT', () => {
    const r = combine(['eu-vpc', 'dc-west'], undefined, [], NOW, 25_000, 3);
    expect(r).toMatchObject({ up: false, code: 'LOCATION-SILENT' });
  });
});

describe('parseAnswer: what another process wrote, checked', () => {
  it('keeps a well-formed answer and refuses anything else', () => {
    expect(parseAnswer(JSON.stringify(at('eu-vpc', true)))).toEqual(at('eu-vpc', true));
    for (const bad of ['', '{', 'null', '[]', JSON.stringify({ location: 'x' }), 'x'.repeat(5000), 42]) expect(parseAnswer(bad)).toBeUndefined();
    expect(parseAnswer(JSON.stringify({ ...at('eu-vpc', false), code: 'C'.repeat(500) }))!.code).toHaveLength(40);
  });
});
