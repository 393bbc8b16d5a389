import { describe, expect, it } from 'vitest';
import { fixTarget, isRemediationId, REMEDIATION_IDS, REMEDIATIONS, type FixTarget } from '../../src/engine/remediations/index.js';
import { cli, shellWord, url } from '../../src/engine/remediations/fix-target.js';
import { healthy } from './fixtures.js';

const T: FixTarget = { host: 'cache.internal', port: 6380, tls: false, authProvided: false };

describe('remediation catalogue', () => {
  it('every entry builds a remediation whose id is its key', () => {
    expect(REMEDIATION_IDS.length).toBeGreaterThanOrEqual(30);
    for (const id of REMEDIATION_IDS) {
      const r = REMEDIATIONS[id](T);
      expect(r.id).toBe(id);
      expect(id).toMatch(/^[a-z0-9-]+$/);
      expect(['low', 'medium', 'high']).toContain(r.risk);
      expect(['automatic', 'guided']).toContain(r.mode);
      expect(r.steps.length, id).toBeGreaterThan(0);
      expect(r.verify, id).toBeTruthy();
      expect(r.title.length, id).toBeGreaterThan(10);
    }
    expect(isRemediationId('set-requirepass')).toBe(true);
    expect(isRemediationId('toString')).toBe(false);
  });

  it('contains the ids other modules and the SSH rules rely on', () => {
    for (const id of [
      'set-requirepass', 'disable-protected-mode', 'bind-all-interfaces', 'start-redis', 'use-correct-port', 'open-firewall-port',
      'raise-maxclients', 'kill-busy-script', 'raise-maxmemory', 'set-eviction-policy', 'fix-rdb-save', 'raise-nofile-limit',
      'supply-password', 'grant-acl-permissions', 'wait-for-loading', 'fix-replica-link', 'use-tls', 'use-plaintext', 'fix-dns', 'check-network-path',
    ]) {
      expect(REMEDIATION_IDS).toContain(id);
    }
  });

  it('parametrises steps with the real host, port and values', () => {
    const steps = (r: { steps: string[] }) => r.steps.join('\n');
    expect(steps(REMEDIATIONS['open-firewall-port'](T))).toContain('sudo ufw allow from <client-ip> to any port 6380 proto tcp');
    expect(steps(REMEDIATIONS['open-firewall-port'](T))).toContain('sudo firewall-cmd --permanent --zone=public --add-rich-rule=');
    expect(steps(REMEDIATIONS['open-firewall-port'](T))).toContain('sudo iptables -I INPUT -p tcp -s <client-ip> --dport 6380 -j ACCEPT');
    expect(steps(REMEDIATIONS['start-redis'](T))).toContain('sudo systemctl start redis-server && sudo systemctl enable redis-server');
    expect(steps(REMEDIATIONS['raise-nofile-limit'](T, { current: 1024 }))).toContain('the limit is 1024');
    const raise = REMEDIATIONS['raise-maxclients'](T, { to: 20000 });
    expect(raise.steps[0]).toMatch(/^redis-cli -h cache.internal -p 6380 CONFIG SET maxclients 20000/);
    expect(raise.redisCommand).toEqual(['CONFIG', 'SET', 'maxclients', '20000']);
    expect(REMEDIATIONS['use-correct-port'](T, { port: 6379, tls: true }).steps[1]).toContain('rediss://cache.internal:6379');
  });

  it('warns before risky fixes', () => {
    expect(REMEDIATIONS['disable-protected-mode'](T).risk).toBe('high');
    expect(REMEDIATIONS['bind-all-interfaces'](T).steps.join('\n')).toMatch(/needs a password \(requirepass or an ACL user\) and a firewall/);
    expect(REMEDIATIONS['set-eviction-policy'](T).steps[0]).toMatch(/^Only when this Redis is a cache/);
    expect(REMEDIATIONS['allow-writes-on-save-error'](T).risk).toBe('high');
  });

  it('never writes a password: placeholders, --askpass and shell-quoted user names only', () => {
    const t: FixTarget = { ...T, user: "o'brien;rm", authProvided: true };
    expect(cli(t)).toBe("redis-cli -h cache.internal -p 6380 --user 'o'\\''brien;rm' --askpass");
    expect(url(t)).toBe("redis://o'brien%3Brm:<password>@cache.internal:6380");
    expect(shellWord('app')).toBe('app');
    for (const id of REMEDIATION_IDS) {
      for (const step of REMEDIATIONS[id](t).steps) expect(step, id).not.toMatch(/redis-cli[^;]* -a /);
    }
  });

  it('a URL keeps the database the client selects (not db 0)', () => {
    expect(url({ ...T, db: 3 })).toBe('redis://cache.internal:6380/3');
    expect(url({ ...T, db: 0 })).toBe('redis://cache.internal:6380');
    const obs = healthy();
    obs.target.db = 3;
    expect(fixTarget(obs).db).toBe(3);
  });

  it('fixTarget takes host, port, TLS, user and the connected address from observations', () => {
    const obs = healthy();
    obs.client.user = 'app';
    obs.client.authProvided = true;
    expect(fixTarget(obs)).toEqual({ host: '10.0.0.5', port: 6379, tls: false, user: 'app', authProvided: true, address: '10.0.0.5' });
  });
});

describe('advice that is right (issue #17)', () => {
  it('use-correct-port never suggests the port that refused: a placeholder until another port is known', () => {
    for (const r of [REMEDIATIONS['use-correct-port'](T), REMEDIATIONS['use-correct-port'](T, { port: 6380 })]) {
      const text = [r.title, ...r.steps, r.verify ?? ''].join('\n');
      expect(text).not.toContain('cache.internal:6380');
      expect(text).toContain('redis://cache.internal:<redis-port>');
    }
    const found = REMEDIATIONS['use-correct-port'](T, { port: 6379 });
    expect(found.steps.join('\n')).toContain('redis://cache.internal:6379');
    // The same port with TLS is another endpoint: it may be suggested.
    expect(REMEDIATIONS['use-correct-port'](T, { port: 6380, tls: true }).steps.join('\n')).toContain('rediss://cache.internal:6380');
  });

  it('no CONFIG REWRITE for a server without a config file: the setting goes where it is started', () => {
    const noFile = { ...T, configFile: '' };
    for (const r of [REMEDIATIONS['raise-maxclients'](noFile, { to: 20000 }), REMEDIATIONS['raise-maxmemory'](noFile, { toBytes: 1 << 30 }), REMEDIATIONS['set-requirepass'](noFile), REMEDIATIONS['prevent-oom-kill'](noFile), REMEDIATIONS['bind-all-interfaces'](noFile), REMEDIATIONS['set-idle-timeout'](noFile), REMEDIATIONS['set-eviction-policy'](noFile), REMEDIATIONS['disable-protected-mode'](noFile), REMEDIATIONS['disable-idle-timeout'](noFile)]) {
      const steps = r.steps.join('\n');
      expect(steps, r.id).not.toMatch(/CONFIG REWRITE(?! would fail)/);
      expect(steps, r.id).toMatch(/runs without a config file .* its redis-server command line, the container's command .* the service's ExecStart/);
    }
    expect(REMEDIATIONS['raise-maxclients'](noFile, { to: 20000 }).steps.join('\n')).toContain('add --maxclients 20000 where it is started');
    const withFile = REMEDIATIONS['raise-maxclients']({ ...T, configFile: '/etc/redis/6380.conf' }, { to: 20000 });
    expect(withFile.steps.join('\n')).toContain('CONFIG REWRITE (rewrites /etc/redis/6380.conf), or maxclients 20000 in /etc/redis/6380.conf');
    const obs = healthy();
    obs.info!.sections.server!.config_file = '';
    expect(fixTarget(obs).configFile).toBe('');
    obs.info!.sections.server!.config_file = '/etc/redis/x.conf; rm -rf /';
    expect(fixTarget(obs).configFile).toBe('<config file>');
  });

  it('a generated password is safe in a redis:// URL as is (hex, no @ : / ? # %)', () => {
    const gen = REMEDIATIONS['set-requirepass'](T).steps.find((s) => s.includes('openssl rand'));
    expect(gen).toContain('openssl rand -hex 32');
    expect(gen).not.toContain('base64');
  });
});
