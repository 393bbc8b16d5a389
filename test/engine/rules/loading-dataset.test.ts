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

/** -LOADING with INFO progress fields as Redis 7.0 prints them while loading. */
function loadingWith(persistence: Record<string, string>, server: Record<string, string> = {}) {
  const obs = healthy();
  obs.resp = session([
    ['PING', err(TEXT.loading)],
    [INFO_COMMAND, { kind: 'string', text: '# Persistence\r\nloading:1\r\n' }],
  ]);
  return withInfo(obs, { server, persistence: { loading: '1', ...persistence } });
}

describe('loading-dataset: the first-second placeholder ETA', () => {
  // The reported case: 0.27 % after 0.4 s, Redis printed its fake "1"; loading took 13 s.
  const early = { loading_start_time: '1795573440', loading_loaded_perc: '0.27', loading_eta_seconds: '1', loading_loaded_bytes: '1183', loading_total_bytes: '437878' };

  it('treats the ETA as unknown when server_time_usec is less than a second after loading_start_time', () => {
    const f = rule.evaluate(loadingWith(early, { server_time_usec: '1795573440400000' }));
    expect(f?.title).toBe('Redis is loading its dataset into memory (0.27 % done)');
    expect(f?.remediations[0]?.title).toBe('Wait for the dataset to finish loading');
    expect(f?.details).toEqual({ loadedPercent: 0.27 });
    expect(f?.evidence[2]).toBe("loading_eta_seconds:1 is Redis's placeholder, not an estimate: loading started 0.4 s before INFO");
  });

  it('keeps the ETA once a whole second has passed, even when it is 1', () => {
    const late = { ...early, loading_loaded_perc: '60.00', loading_loaded_bytes: '262727' };
    const f = rule.evaluate(loadingWith(late, { server_time_usec: '1795573441200000' }));
    expect(f?.title).toBe('Redis is loading its dataset into memory (60.00 % done, about 1 s left)');
    expect(f?.details).toEqual({ loadedPercent: 60, etaSeconds: 1 });
    expect(f?.evidence).toHaveLength(2);
  });

  it('without server_time_usec: an ETA of 1 with little loaded is the placeholder, with most loaded it is real', () => {
    const f = rule.evaluate(loadingWith(early));
    expect(f?.title).toBe('Redis is loading its dataset into memory (0.27 % done)');
    expect(f?.evidence[2]).toBe("loading_eta_seconds:1 is Redis's first-second placeholder, not an estimate: only 0.27 % is loaded");
    // Percent only (no byte counts): the same threshold, a third.
    const { loading_loaded_bytes: _b, loading_total_bytes: _t, ...percentOnly } = early;
    expect(rule.evaluate(loadingWith(percentOnly))?.details).toEqual({ loadedPercent: 0.27 });
    const mostly = { ...early, loading_loaded_perc: '60.00', loading_loaded_bytes: '262727' };
    expect(rule.evaluate(loadingWith(mostly))?.details).toEqual({ loadedPercent: 60, etaSeconds: 1 });
    // Any other figure is computed from elapsed time, so it stands.
    expect(rule.evaluate(loadingWith({ ...early, loading_eta_seconds: '12' }))?.details).toEqual({ loadedPercent: 0.27, etaSeconds: 12 });
  });

  it('no ETA when Redis does not know the total size', () => {
    const f = rule.evaluate(loadingWith({ loading_loaded_perc: '0.00', loading_eta_seconds: '5', loading_loaded_bytes: '4096', loading_total_bytes: '0' }));
    expect(f?.details).toEqual({ loadedPercent: 0 });
    expect(f?.evidence[2]).toBe('loading_total_bytes:0: the size is unknown, so loading_eta_seconds is no estimate');
  });
});
