/**
 * Bad input from a Docker socket (issue #19): a fake Engine API on a unix socket that answers
 * garbage, hangs, sends a body without end, a 50 MB log, or a container name with shell
 * characters. The Docker phase stays within its bound and its byte caps, the diagnosis goes
 * on, and no password from a log line reaches the observation.
 */
import { createServer, type Server, type ServerResponse } from 'node:http';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dockerBoundMs, runDockerPhase } from '../../../src/engine/docker/index.js';
import { MAX_LOG_BYTES } from '../../../src/engine/docker/engine-api.js';
import { demuxLogTail } from '../../../src/engine/docker/log-tail.js';
import { evaluate } from '../../../src/engine/pipeline/evaluate.js';
import { refused } from '../fixtures.js';
import { assertNoPlantedSecret, plantSecret } from '../../lab/secrets.js';

const SECRET = plantSecret('hostile-engine-pw-77');
const ID = 'f'.repeat(64);
const NAME = 'cache$(touch /tmp/pwned);`id`';

type Mode = 'garbage' | 'hang' | 'endless' | 'bigLog' | 'normal';

function frame(text: string): Buffer {
  const body = Buffer.from(text);
  const head = Buffer.alloc(8);
  head[0] = 2;
  head.writeUInt32BE(body.length, 4);
  return Buffer.concat([head, body]);
}

function serve(mode: Mode, res: ServerResponse, url: string): void {
  if (mode === 'garbage') {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end('\u0000\u00ff{{{{ not json ]]]');
    return;
  }
  if (mode === 'hang') return; // never answers
  if (mode === 'endless' && url.startsWith('/containers/json')) {
    res.writeHead(200, { 'content-type': 'application/json' });
    const chunk = Buffer.alloc(64 * 1024, 0x20);
    const pump = () => {
      while (res.write(chunk)) {
        /* until the socket pushes back */
      }
    };
    res.on('drain', pump);
    pump();
    return;
  }
  res.setHeader('content-type', 'application/json');
  if (url.startsWith('/version')) return void res.end(JSON.stringify({ Version: '20.10.24' }));
  if (url.startsWith('/containers/json')) {
    return void res.end(JSON.stringify([{ Id: ID, Names: [`/${NAME}`], Image: 'redis:7', Command: `redis-server --requirepass ${SECRET}`, State: 'exited', Status: 'Exited (1) 1 minute ago', Ports: [], HostConfig: { NetworkMode: 'bridge' } }]));
  }
  if (url.startsWith(`/containers/${ID}/json`)) {
    return void res.end(JSON.stringify({ Id: ID, Name: `/${NAME}`, RestartCount: 0, State: { Status: 'exited', ExitCode: 1, OOMKilled: false }, HostConfig: { PortBindings: { '6379/tcp': [{ HostIp: '', HostPort: '6379' }] }, NetworkMode: 'bridge' }, Config: { Image: 'redis:7', Cmd: ['redis-server', '--requirepass', SECRET], Env: [`REDIS_PASSWORD=${SECRET}`], ExposedPorts: { '6379/tcp': {} } } }));
  }
  if (url.startsWith(`/containers/${ID}/logs`)) {
    res.writeHead(200, { 'content-type': 'application/vnd.docker.raw-stream' });
    // A 50 MB log (the engine would send only the tail; a hostile one sends everything), the secret in its first lines.
    const line = frame(`${'x'.repeat(1000)}\n`);
    res.write(Buffer.concat([frame(`connecting with password=${SECRET}\n`), frame(`*** FATAL CONFIG FILE ERROR (Redis 7.2) ***\n>>> 'requirepass "${SECRET}" "x"'\nwrong number of arguments\n`)]));
    let sent = 0;
    const pump = () => {
      while (sent < 50 * 1024 * 1024) {
        sent += line.length;
        if (!res.write(line)) return;
      }
      res.end();
    };
    res.on('drain', pump);
    pump();
    return;
  }
  res.statusCode = 404;
  res.end('{"message":"no such path"}');
}

describe('log lines', () => {
  it('are redacted where they enter: password=, requirepass quoted by FATAL CONFIG FILE ERROR, --requirepass', () => {
    const body = Buffer.concat([frame(`connecting with password=${SECRET}\n`), frame(`>>> 'requirepass "${SECRET}" "x"'\n`), frame(`redis-server --requirepass ${SECRET}\n`), frame(`${'y'.repeat(5000)}${SECRET}\n`)]);
    const lines = demuxLogTail(body, 30);
    expect(lines[0]).toBe('connecting with password=<redacted>');
    expect(lines[1]).toBe(`>>> 'requirepass <redacted> "x"'`);
    assertNoPlantedSecret('log lines', JSON.stringify(lines));
    expect(lines[3]!.length).toBeLessThan(400);
  });
});

describe('a hostile Docker socket', () => {
  const dir = mkdtempSync(join(tmpdir(), 'rd-docker-'));
  const servers = new Map<Mode, { server: Server; socket: string }>();

  beforeAll(async () => {
    for (const mode of ['garbage', 'hang', 'endless', 'bigLog'] as Mode[]) {
      const socket = join(dir, `${mode}.sock`);
      const server = createServer((req, res) => serve(mode, res, req.url ?? ''));
      await new Promise<void>((resolve) => server.listen(socket, resolve));
      servers.set(mode, { server, socket });
    }
  });

  afterAll(async () => {
    for (const { server } of servers.values()) {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    }
    rmSync(dir, { recursive: true, force: true });
  });

  const read = (mode: Mode, timeoutMs = 500) =>
    runDockerPhase({ target: { host: '10.0.0.5', port: 6379 }, docker: { host: `unix://${servers.get(mode)!.socket}`, hostFrom: '--docker-host' }, timeoutMs, signal: new AbortController().signal });

  it('garbage: an error that says so, no containers', async () => {
    const r = await read('garbage');
    expect(r.observation).toMatchObject({ ok: false, containers: [] });
    expect(r.observation!.error).toContain('not JSON');
  });

  it('a socket that hangs: within the bound', async () => {
    const start = Date.now();
    const r = await read('hang');
    expect(Date.now() - start).toBeLessThan(dockerBoundMs(500) + 5000);
    expect(r.observation).toMatchObject({ ok: false });
    expect(r.observation!.error).toMatch(/no complete answer|timeout|ran out of time/);
  });

  it('a body without end: cut at the byte cap or the bound, never buffered whole', async () => {
    const before = process.memoryUsage().rss;
    const r = await read('endless');
    expect(r.observation!.ok).toBe(false);
    expect(process.memoryUsage().rss - before).toBeLessThan(200 * 1024 * 1024);
  });

  it('a 50 MB log and a name with shell characters: bounded, redacted, quoted never run', async () => {
    const r = await read('bigLog', 2000);
    const o = r.observation!;
    expect(o.ok).toBe(true);
    const c = o.containers[0]!;
    expect(c.name).toBe(NAME);
    expect(c.state).toBe('exited');
    expect(c.logTail!.join('\n').length).toBeLessThanOrEqual(MAX_LOG_BYTES);
    // Cut at the cap: the last lines of the first MAX_LOG_BYTES (a real engine sends only the tail asked for).
    expect(c.logTail!.length).toBeLessThanOrEqual(30);
    expect(JSON.stringify(o)).not.toContain('REDIS_PASSWORD');
    assertNoPlantedSecret('the Docker observation', JSON.stringify(o));
    const obs = refused();
    obs.docker = o;
    const diagnosis = evaluate(obs);
    const f = diagnosis.findings.find((x) => x.cause === 'container-not-running')!;
    const text = JSON.stringify(diagnosis);
    assertNoPlantedSecret('the findings', text);
    for (const f of diagnosis.findings) for (const rem of f.remediations) expect(rem.steps.join('\n')).not.toContain('touch /tmp/pwned');
    // A name Docker would refuse: the engine's answer may be forged, so only possible.
    expect(f.confidence).toBe('possible');
  });
});
