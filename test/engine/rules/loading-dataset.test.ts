import { describe, expect, it } from 'vitest';
import { rule } from '../../../src/engine/rules/loading-dataset.js';
import { err, healthy, INFO_COMMAND, session, TEXT, withInfo } from '../fixtures.js';

describe('loading-dataset', () => {
  it('fires on -LOADING with the progress from INFO as evidence', () => {
    const obs = healthy();
    obs.resp = session([
      ['PING', err(TEXT.loading)],
      [INFO_COMMAND, { kind: 'string', text: '# Persistence\r\nloading:1\r\n' }],
    ]);
    withInfo(obs, {
      persistence: { loading: '1', loading_loaded_perc: '10.52', loading_eta_seconds: '8', loading_loaded_bytes: '46078', loading_total_bytes: '437878' },
    });
    const f = rule.evaluate(obs);
    expect(f?.cause).toBe('loading-dataset');
    expect(f?.severity).toBe('critical');
    expect(f?.title).toBe('Redis is loading its dataset into memory (10.52 % done, about 8 s left)');
    expect(f?.evidence).toEqual([
      'PING → -LOADING Redis is loading the dataset in memory',
      'loading:1 loading_loaded_perc:10.52 loading_eta_seconds:8 loading_loaded_bytes:46078 loading_total_bytes:437878',
    ]);
    expect(f?.remediations.map((r) => r.id)).toEqual(['wait-for-loading']);
    expect(f?.remediations[0]?.title).toBe('Wait for the dataset to load (about 8 s left)');
    expect(f?.details).toEqual({ loadedPercent: 10.52, etaSeconds: 8 });
  });

  it('fires on INFO loading:1 alone', () => {
    const obs = withInfo(healthy(), { persistence: { loading: '1' } });
    expect(rule.evaluate(obs)?.title).toBe('Redis is loading its dataset into memory');
  });

  it('does not fire on loading:0 or a replica loading asynchronously', () => {
    expect(rule.evaluate(healthy())).toBeUndefined();
    expect(rule.evaluate(withInfo(healthy(), { persistence: { loading: '0', async_loading: '1' } }))).toBeUndefined();
  });
});
