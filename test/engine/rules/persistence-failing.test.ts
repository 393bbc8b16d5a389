import { describe, expect, it } from 'vitest';
import { rule } from '../../../src/engine/rules/persistence-failing.js';
import { err, healthy, INFO_COMMAND, session, TEXT, withInfo } from '../fixtures.js';

describe('persistence-failing', () => {
  it('is critical on -MISCONF (given to PING too) with INFO as evidence', () => {
    const obs = withInfo(healthy(), { persistence: { rdb_last_bgsave_status: 'err', rdb_changes_since_last_save: '3' } });
    obs.resp = session([
      ['PING', err(TEXT.misconf)],
      [INFO_COMMAND, { kind: 'string', text: '# Persistence' }],
    ]);
    obs.config = { dir: '/var/lib/redis' };
    const f = rule.evaluate(obs);
    expect(f?.cause).toBe('persistence-failing');
    expect(f?.severity).toBe('critical');
    expect(f?.title).toBe('Redis cannot write RDB snapshots to disk and refuses writes');
    expect(f?.evidence[0]).toMatch(/^PING → -MISCONF Redis is configured to save RDB snapshots, but it's currently unable to persist to disk/);
    expect(f?.evidence[1]).toBe('rdb_last_bgsave_status:err rdb_changes_since_last_save:3 rdb_last_save_time:1795572384');
    expect(f?.remediations.map((r) => r.id)).toEqual(['fix-rdb-save', 'retry-bgsave', 'allow-writes-on-save-error']);
    expect(f?.remediations[0]?.steps.join('\n')).toContain('df -h /var/lib/redis');
    expect(f?.remediations[2]?.risk).toBe('high');
  });

  it('is critical on aof_last_write_status:err', () => {
    const f = rule.evaluate(withInfo(healthy(), { persistence: { aof_enabled: '1', aof_last_write_status: 'err' } }));
    expect(f?.severity).toBe('critical');
    expect(f?.title).toBe('Redis cannot write the append-only file to disk and refuses writes');
    expect(f?.remediations.map((r) => r.id)).toEqual(['fix-aof-write']);
  });

  it('warns on a failed AOF rewrite, or a failed save that does not stop writes', () => {
    expect(rule.evaluate(withInfo(healthy(), { persistence: { aof_last_bgrewrite_status: 'err' } }))?.severity).toBe('warning');
    const noStop = withInfo(healthy(), { persistence: { rdb_last_bgsave_status: 'err' } });
    noStop.config = { 'stop-writes-on-bgsave-error': 'no' };
    expect(rule.evaluate(noStop)?.severity).toBe('warning');
  });

  it('does not fire when every status is ok', () => {
    expect(rule.evaluate(healthy())).toBeUndefined();
  });
});
