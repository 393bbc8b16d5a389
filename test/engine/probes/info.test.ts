import { describe, expect, it } from 'vitest';
import { parseInfo } from '../../../src/engine/probes/info.js';

describe('parseInfo', () => {
  it('splits sections, lower-cases their names and keeps values after the first colon', () => {
    const text = '# Server\r\nredis_version:7.0.15\r\nexecutable:/usr/bin/redis-server\r\n\r\n# Replication\r\nrole:slave\r\nmaster_link_status:down\r\n\r\n# Keyspace\r\ndb0:keys=1,expires=0,avg_ttl=0\r\n';
    expect(parseInfo(text)).toEqual({
      sections: {
        server: { redis_version: '7.0.15', executable: '/usr/bin/redis-server' },
        replication: { role: 'slave', master_link_status: 'down' },
        keyspace: { db0: 'keys=1,expires=0,avg_ttl=0' },
      },
    });
  });

  it('keeps section and field names such as __proto__ and constructor as plain names, touching no prototype', () => {
    const { sections } = parseInfo('# __proto__\r\nrole:slave\r\n# Constructor\r\nloading:1\r\n# Server\r\n__proto__:x\r\n');
    expect(sections['__proto__']).toEqual({ role: 'slave' });
    expect(sections['constructor']).toEqual({ loading: '1' });
    expect(Object.keys(sections['server']!)).toEqual(['__proto__']);
    expect(({} as Record<string, unknown>)['role']).toBeUndefined();
    expect((Object as unknown as Record<string, unknown>)['loading']).toBeUndefined();
  });

  it('keeps fields that come before any header under "default" and ignores junk lines', () => {
    expect(parseInfo('loading:1\nnot a field\n:empty\n')).toEqual({ sections: { default: { loading: '1' } } });
  });
});
