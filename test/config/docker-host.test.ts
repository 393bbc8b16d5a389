/** --docker-host and the target's docker: block (issue #19): validated with field-named errors, resolved into DiagnoseOptions.docker. */
import { describe, expect, it } from 'vitest';
import { ResolveError, resolveTarget } from '../../src/config/resolve-target.js';
import { configSchema } from '../../src/config/schema.js';
import { resolveDockerEndpoint } from '../../src/engine/docker/endpoint.js';

const config = configSchema.parse({ targets: [{ name: 'cache-prod', url: 'redis://10.0.0.5:6379', docker: { host: 'unix:///run/docker.sock', container: 'redis-cache' } }] });

describe('docker host options', () => {
  it('the config block, the flag over it, DOCKER_HOST kept for the default', () => {
    expect(resolveTarget('cache-prod', { config, env: {} }).options.docker).toEqual({ host: 'unix:///run/docker.sock', hostFrom: 'docker.host of cache-prod', container: 'redis-cache' });
    expect(resolveTarget('cache-prod', { config, env: { DOCKER_HOST: 'unix:///x.sock' }, flags: { dockerHost: 'unix:///other.sock' } }).options.docker).toMatchObject({ host: 'unix:///other.sock', hostFrom: '--docker-host', envDockerHost: 'unix:///x.sock' });
    expect(resolveTarget('10.0.0.5:6379', { env: {} }).options.docker).toBeUndefined();
  });

  it('refuses what is not unix:/// or ssh://, naming the field', () => {
    expect(() => resolveTarget('10.0.0.5:6379', { env: {}, flags: { dockerHost: 'tcp://10.0.0.5:2375' } })).toThrow(ResolveError);
    expect(() => resolveTarget('10.0.0.5:6379', { env: {}, flags: { dockerHost: 'unix:///x;rm -rf /' } })).toThrow(/invalid --docker-host/);
    const bad = configSchema.safeParse({ targets: [{ name: 'a', url: 'redis://h:1', docker: { host: 'http://x', container: 'a b' } }] });
    expect(bad.success).toBe(false);
    const paths = bad.error!.issues.map((i) => i.path.join('.'));
    expect(paths).toContain('targets.0.docker.host');
    expect(paths).toContain('targets.0.docker.container');
  });

  it('endpoint: ssh:// only through the SSH session of the same host; the local socket only for a local target', () => {
    const ssh = { host: '10.0.0.5', port: 22, user: 'doctor', knownHosts: 'x' };
    expect(resolveDockerEndpoint({ host: 'ssh://doctor@10.0.0.5', ssh, targetIsLocal: false }).kind).toBe('ssh');
    expect(resolveDockerEndpoint({ host: 'ssh://doctor@10.0.0.6', ssh, targetIsLocal: false }).kind).toBe('unsupported');
    expect(resolveDockerEndpoint({ host: 'ssh://doctor@10.0.0.5', targetIsLocal: false }).kind).toBe('unsupported');
    expect(resolveDockerEndpoint({ ssh, targetIsLocal: false }).kind).toBe('ssh');
    expect(resolveDockerEndpoint({ targetIsLocal: false }).kind).toBe('none');
    expect(resolveDockerEndpoint({ targetIsLocal: true })).toMatchObject({ kind: 'unix', socket: '/var/run/docker.sock' });
    expect(resolveDockerEndpoint({ targetIsLocal: true, envDockerHost: 'tcp://1.2.3.4:2375' }).kind).toBe('unsupported');
  });
});
