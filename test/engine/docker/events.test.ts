/**
 * Docker events since the last good probe (issue #19): the parser keeps only what the rules
 * read (action, container id, time, exit code, signal, health) from a hostile answer, and the
 * container rules use them as evidence — died with an exit code, oom, restarts between probes.
 * A fake Engine API on a unix socket whose /events streams forever, sends 50 MB, garbage lines
 * or hangs: the Docker read stays within its caps and bound, the containers are still read,
 * and nothing the events carry (names, labels, a password) reaches the observation.
 */
import { createServer, type Server, type ServerResponse } from 'node:http';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dockerBoundMs, runDockerPhase } from '../../../src/engine/docker/index.js';
import { deaths, eventsEvidence, eventsWindow, MAX_EVENT_LINES, MAX_EVENTS, parseEventLines, restartsIn, type DockerEvents } from '../../../src/engine/docker/events.js';
import { evaluate } from '../../../src/engine/pipeline/evaluate.js';
import { finishDockerPhase } from '../../../src/engine/pipeline/docker-phase.js';
import { healthy, refused } from '../fixtures.js';
import { engineContainer, withEngine } from '../rules/docker-fixtures.js';
import { assertNoPlantedSecret, plantSecret } from '../../lab/secrets.js';

const SECRET = plantSecret('events-label-pw-93');
const ID = 'a'.repeat(64);
const OTHER = 'b'.repeat(64);
const T0 = Date.parse('2026-12-07T03:10:00Z');
const HOSTILE_NAME = `cache<!channel>*bold*\`$(touch /tmp/pwned)\` password=${SECRET}`;

function event(action: string, atMs: number, attrs: Record<string, string> = {}, id = ID): string {
  return JSON.stringify({ status: action, id, from: 'redis:7', Type: 'container', Action: action, Actor: { ID: id, Attributes: { name: HOSTILE_NAME, image: 'redis:7', 'com.example.secret': SECRET, ...attrs } }, scope: 'local', time: Math.floor(atMs / 1000), timeNano: atMs * 1e6 });
}

const window = { sinceMs: T0, untilMs: T0 + 15 * 60_000 };

describe('the events parser', () => {
  it('keeps action, id, time, exit code, signal and health — no name, label or image', () => {
    const text = [
      event('kill', T0 + 120_000, { signal: '9' }),
      event('die', T0 + 124_000, { exitCode: '137' }),
      event('start', T0 + 125_000),
      event('health_status: unhealthy', T0 + 130_000),
      event('oom', T0 + 140_000),
      event('die', T0 + 140_500, { exitCode: '137' }),
      event('start', T0 + 141_000),
      event('die', T0 + 150_000, { exitCode: 'x; rm -rf /' }),
      event('destroy', T0 + 160_000),
      event('die', T0 + 170_000, {}, OTHER),
      event('die', T0 - 3600_000),
      'not json',
      `{"Type":"container","Action":"die","Actor":{"ID":"${ID}"},"time":"yesterday"}`,
      `${' '.repeat(70_000)}{}`,
      '',
    ].join('\n');
    const { events, count } = parseEventLines(text, [ID], window);
    expect(count).toBe(8);
    expect(events.map((e) => e.action)).toEqual(['kill', 'die', 'start', 'health_status', 'oom', 'die', 'start', 'die']);
    expect(events[0]).toEqual({ at: T0 + 120_000, id: ID, action: 'kill', signal: '9' });
    expect(events[3]!.health).toBe('unhealthy');
    expect(events[7]!.exitCode).toBeUndefined();
    expect(JSON.stringify(events)).not.toContain('cache');
    assertNoPlantedSecret('the events', JSON.stringify(events));
    expect(restartsIn(events)).toBe(2);
    expect(deaths(events)).toEqual([
      { at: T0 + 124_000, exitCode: 137, oom: false, signal: '9' },
      { at: T0 + 140_500, exitCode: 137, oom: true },
      { at: T0 + 150_000, oom: false },
    ]);
  });

  it('keeps the latest MAX_EVENTS of many, counts them all; a cut last line is dropped', () => {
    const lines = Array.from({ length: 1000 }, (_, i) => event(i % 2 ? 'start' : 'die', T0 + 1000 + i * 100, { exitCode: '1' }));
    const { events, count } = parseEventLines(lines.join('\n'), [ID], window);
    expect(count).toBe(1000);
    expect(events).toHaveLength(MAX_EVENTS);
    expect(events[events.length - 1]!.at).toBe(T0 + 1000 + 999 * 100);
    const cut = parseEventLines(`${lines[0]}\n${lines[1]!.slice(0, 40)}`, [ID], window, false);
    expect(cut.count).toBe(1);
    // Lines too short to be an event are not parsed; at most MAX_EVENT_LINES are.
    expect(parseEventLines('{}\n'.repeat(300_000), [ID], window)).toEqual({ events: [], count: 0 });
    const many = parseEventLines(Array.from({ length: MAX_EVENT_LINES + 5 }, () => lines[0]).join('\n'), [ID], window);
    expect(many).toMatchObject({ count: MAX_EVENT_LINES, cut: true });
  });

  it('the window: since the last good probe (a day back at most), else the last 15 minutes', () => {
    expect(eventsWindow('2026-12-07T03:10:00Z', T0 + 60_000)).toMatchObject({ sinceMs: T0 - 1000, sinceFrom: 'last-good-probe' });
    expect(eventsWindow('2026-12-01T03:10:00Z', T0)).toMatchObject({ sinceMs: T0 - 24 * 3600_000 });
    expect(eventsWindow(undefined, T0)).toMatchObject({ sinceMs: T0 - 15 * 60_000, sinceFrom: 'default-window' });
    expect(eventsWindow('garbage', T0).sinceFrom).toBe('default-window');
  });
});

function read(events: string[], extra: Partial<DockerEvents> = {}): DockerEvents {
  const w = { sinceMs: T0 - 1000, untilMs: T0 + 5 * 60_000 };
  const parsed = parseEventLines(events.join('\n'), [ID], w);
  return { since: new Date(w.sinceMs).toISOString(), until: new Date(w.untilMs).toISOString(), sinceFrom: 'last-good-probe', ids: [ID], ok: true, ...parsed, ...extra };
}

const bind = { containerPort: 6379, protocol: 'tcp', hostIp: '', hostPort: 6379 };

describe('the container rules with events', () => {
  it('container-not-running: when it died, with what exit code, and how often it restarted since the last good probe', () => {
    const obs = withEngine(refused(), [engineContainer({ running: false, state: 'exited', exitCode: 137, bindings: [bind] })]);
    obs.docker!.events = read([event('die', T0 + 60_000, { exitCode: '1' }), event('start', T0 + 61_000), event('kill', T0 + 124_000, { signal: '9' }), event('die', T0 + 124_000, { exitCode: '137' })]);
    const f = evaluate(obs).findings.find((x) => x.cause === 'container-not-running')!;
    const line = f.evidence.find((l) => l.startsWith('Docker events'))!;
    expect(line).toBe('Docker events since the last good probe at 03:10:00Z: died 2 times, last at 03:12:04Z (exit 137, killed with signal 9), restarted 1 time; timeline: 03:11:00Z die (exit 1), 03:11:01Z start, 03:12:04Z kill (signal 9), 03:12:04Z die (exit 137)');
    expect(f.details).toMatchObject({ restartsSince: 1, lastDieExitCode: 137, lastDiedAt: '2026-12-07T03:12:04.000Z' });
  });

  it('a running container that restarted twice between probes, Redis not answering: restarting, and restart-loop seen in events', () => {
    const obs = withEngine(refused(), [engineContainer({ restartCount: 2, ports: [bind] })]);
    obs.docker!.events = read([event('die', T0 + 10_000, { exitCode: '1' }), event('start', T0 + 11_000), event('die', T0 + 20_000, { exitCode: '1' }), event('start', T0 + 21_000)]);
    const e = evaluate(obs);
    expect(e.findings.find((x) => x.cause === 'container-not-running')!.details).toMatchObject({ state: 'restarting', restartsSince: 2 });
    const loop = e.findings.find((x) => x.cause === 'restart-loop')!;
    expect(loop).toMatchObject({ severity: 'critical', confidence: 'confirmed' });
    expect(loop.title).toContain('restarted 2 times since the last good probe at 03:10:00Z (Docker events of container cache: die, then start)');
  });

  it('oom-killed from an oom event of a container that runs again, without State.OOMKilled', () => {
    const obs = withEngine(healthy(), [engineContainer({ oomKilled: false, ports: [bind], memoryBytes: 16 << 20 })]);
    obs.docker!.events = read([event('oom', T0 + 30_000), event('die', T0 + 30_200, { exitCode: '137' }), event('start', T0 + 31_000)]);
    const f = evaluate(obs).findings.find((x) => x.cause === 'oom-killed')!;
    expect(f).toMatchObject({ severity: 'warning', confidence: 'confirmed' });
    expect(f.evidence.join('\n')).toContain('an oom event of container cache, which publishes :6379, last at 03:10:30Z; it died at 03:10:30Z (exit 137), restarted 1 time');
    expect(f.remediations[0]!.id).toBe('raise-container-memory');
    // Another container's oom is not this one's.
    const other = withEngine(healthy(), [engineContainer({ ports: [bind] })]);
    other.docker!.events = read([]);
    other.docker!.events.events = [{ at: T0 + 30_000, id: OTHER, action: 'oom' }];
    expect(evaluate(other).findings.map((x) => x.cause)).not.toContain('oom-killed');
  });

  it('no events readable: said, never inferred from', () => {
    const obs = withEngine(refused(), [engineContainer({ running: false, state: 'exited', exitCode: 0, bindings: [bind] })]);
    obs.docker!.events = read([], { ok: false, error: 'GET /events: HTTP 500 "boom"' });
    const f = evaluate(obs).findings.find((x) => x.cause === 'container-not-running')!;
    expect(f.evidence.join('\n')).toContain('could not be read (GET /events: HTTP 500 "boom"): nothing is said from them');
    expect(f.details!.restartsSince).toBeUndefined();
    expect(eventsEvidence(read([]), ID, T0)).toContain('none for this container');
  });

  it('the docker check carries the target container\'s timeline', () => {
    const obs = withEngine(refused(), [engineContainer({ running: false, state: 'exited', exitCode: 137, bindings: [bind] })]);
    const o = obs.docker!;
    o.events = read([event('oom', T0 + 30_000), event('die', T0 + 30_200, { exitCode: '137' })]);
    const [check] = finishDockerPhase({ endpoint: { kind: 'unix', socket: '/x', uri: 'unix:///x', why: '--docker-host' }, observation: o }, obs, {});
    expect(check!.detail).toContain('; container cache: Docker events since the last good probe at 03:10:00Z: died at 03:10:30Z (exit 137, after an oom event: the kernel OOM killer); timeline: 03:10:30Z oom, 03:10:30Z die (exit 137)');
  });
});

type Mode = 'forever' | 'huge' | 'garbage' | 'hang' | 'http500';

function container(res: ServerResponse, url: string): boolean {
  res.setHeader('content-type', 'application/json');
  if (url.startsWith('/version')) return void res.end(JSON.stringify({ Version: '24.0.7' })), true;
  if (url.startsWith('/containers/json')) {
    return void res.end(JSON.stringify([{ Id: ID, Names: ['/cache'], Image: 'redis:7', Command: 'redis-server', State: 'exited', Status: 'Exited (137) 1 minute ago', Ports: [], HostConfig: { NetworkMode: 'bridge' } }])), true;
  }
  if (url.startsWith(`/containers/${ID}/json`)) {
    return void res.end(JSON.stringify({ Id: ID, Name: '/cache', RestartCount: 0, State: { Status: 'exited', ExitCode: 137, OOMKilled: false }, HostConfig: { PortBindings: { '6379/tcp': [{ HostIp: '', HostPort: '6379' }] }, NetworkMode: 'bridge' }, Config: { Image: 'redis:7', Cmd: ['redis-server'] } })), true;
  }
  if (url.startsWith(`/containers/${ID}/logs`)) return void res.end(''), true;
  return false;
}

function serveEvents(mode: Mode, res: ServerResponse, nowMs: number): void {
  if (mode === 'hang') {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.flushHeaders();
    return;
  }
  if (mode === 'http500') {
    res.statusCode = 500;
    return void res.end(`{"message":"boom password=${SECRET} ${'x'.repeat(5000)}"}`);
  }
  res.writeHead(200, { 'content-type': 'application/json' });
  let sent = 0;
  let i = 0;
  const garbage = Buffer.from(`\u0000\u00ff{{{ ${'['.repeat(2000)} password=${SECRET}\n`);
  const next = (): Buffer => {
    i++;
    if (mode === 'garbage') return i % 3 ? garbage : Buffer.from(`${event('die', nowMs - 5000, { exitCode: '137' })}\n`);
    return Buffer.from(`${event(i % 2 ? 'die' : 'start', nowMs - 60_000 + (i % 1000), { exitCode: '1' })}\n`);
  };
  if (mode === 'forever') {
    // A valid event every 5 ms, never an end: what an engine that ignores `until` would do.
    const timer = setInterval(() => res.write(next()), 5);
    res.on('close', () => clearInterval(timer));
    return;
  }
  const pump = () => {
    while (sent < 50 * 1024 * 1024) {
      const b = next();
      sent += b.length;
      if (!res.write(b)) return;
    }
    res.end();
  };
  res.on('drain', pump);
  pump();
}

describe('a hostile /events', () => {
  const dir = mkdtempSync(join(tmpdir(), 'rd-events-'));
  const servers = new Map<Mode, { server: Server; socket: string; queries: string[] }>();

  beforeAll(async () => {
    for (const mode of ['forever', 'huge', 'garbage', 'hang', 'http500'] as Mode[]) {
      const socket = join(dir, `${mode}.sock`);
      const queries: string[] = [];
      const server = createServer((req, res) => {
        const url = req.url ?? '';
        if (container(res, url)) return;
        if (url.startsWith('/events')) {
          queries.push(url);
          return serveEvents(mode, res, Date.now());
        }
        res.statusCode = 404;
        res.end('{}');
      });
      await new Promise<void>((resolve) => server.listen(socket, resolve));
      servers.set(mode, { server, socket, queries });
    }
  });

  afterAll(async () => {
    for (const { server } of servers.values()) {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    }
    rmSync(dir, { recursive: true, force: true });
  });

  const phase = (mode: Mode, lastAnsweredAt?: string) =>
    runDockerPhase({ target: { host: '10.0.0.5', port: 6379 }, docker: { host: `unix://${servers.get(mode)!.socket}`, hostFrom: '--docker-host' }, timeoutMs: 1000, signal: new AbortController().signal, ...(lastAnsweredAt ? { lastAnsweredAt } : {}) });

  it('asks with since, until and the filters: the container by id, the actions', async () => {
    const last = new Date(Date.now() - 120_000).toISOString();
    const r = await phase('huge', last);
    const q = new URL(`http://x${servers.get('huge')!.queries.at(-1)!}`).searchParams;
    expect(Number(q.get('since'))).toBe(Math.floor((Date.parse(last) - 1000) / 1000));
    expect(Number(q.get('until'))).toBeLessThanOrEqual(Math.ceil(Date.now() / 1000));
    expect(JSON.parse(q.get('filters')!)).toEqual({ type: ['container'], container: [ID], event: ['die', 'oom', 'kill', 'stop', 'start', 'restart', 'health_status'] });
    expect(r.observation!.events).toMatchObject({ sinceFrom: 'last-good-probe', ok: true, truncated: 'bytes' });
  });

  it('50 MB of events: cut at the byte cap, the latest 200 kept, the containers still read', async () => {
    const before = process.memoryUsage().rss;
    const o = (await phase('huge')).observation!;
    expect(o.ok).toBe(true);
    expect(o.containers[0]!.state).toBe('exited');
    expect(o.events!.events).toHaveLength(MAX_EVENTS);
    expect(o.events!.count).toBeGreaterThan(MAX_EVENTS);
    expect(process.memoryUsage().rss - before).toBeLessThan(200 * 1024 * 1024);
    assertNoPlantedSecret('the observation', JSON.stringify(o));
  });

  it('an /events that never ends: cut at its own time bound, within the phase bound; what came is kept', async () => {
    const start = Date.now();
    const o = (await phase('forever')).observation!;
    expect(Date.now() - start).toBeLessThan(dockerBoundMs(1000) + 2000);
    expect(o.ok).toBe(true);
    expect(o.events).toMatchObject({ ok: true, truncated: 'time' });
    expect(o.events!.count).toBeGreaterThan(0);
  });

  it('an /events that sends headers and then nothing: an empty read cut by time, never a hang', async () => {
    const o = (await phase('hang')).observation!;
    expect(o.ok).toBe(true);
    expect(o.events).toMatchObject({ ok: true, count: 0, truncated: 'time' });
    const obs = refused();
    obs.docker = o;
    const f = evaluate(obs).findings.find((x) => x.cause === 'container-not-running')!;
    expect(f.evidence.join('\n')).toContain('none for this container');
  });

  it('garbage lines with a password and Slack markup among the events: skipped, nothing leaks', async () => {
    const o = (await phase('garbage')).observation!;
    expect(o.events!.ok).toBe(true);
    expect(o.events!.events.every((e) => e.action === 'die' && e.exitCode === 137)).toBe(true);
    const obs = refused();
    obs.docker = o;
    const text = JSON.stringify(evaluate(obs));
    assertNoPlantedSecret('the diagnosis', text);
    expect(text).not.toContain('<!channel>');
    expect(text).not.toContain('touch /tmp/pwned');
  });

  it('an HTTP error: said (capped), the rest of the read stands', async () => {
    const o = (await phase('http500')).observation!;
    expect(o.ok).toBe(true);
    expect(o.events!.ok).toBe(false);
    expect(o.events!.error!.length).toBeLessThan(260);
    expect(o.events!.error).toMatch(/^GET \/events: HTTP 500/);
    assertNoPlantedSecret('the events error', o.events!.error!);
  });
});

describe('docker events over SSH (the script and its output)', () => {
  it('the script: validated ids, integer window, quoted filters, cut on the host', async () => {
    const { dockerEventsScript } = await import('../../../src/engine/remote/scripts.js');
    const script = dockerEventsScript([ID], 1765077000);
    expect(script).toContain(`--filter 'container=${ID}'`);
    expect(script).toContain('de_s=1765077000; de_f=probe');
    expect(script).toContain('| head -c 1048576');
    expect(dockerEventsScript([ID])).toContain('de_s=$((de_u - 900)); de_f=default');
    expect(() => dockerEventsScript(['$(id)'])).toThrow();
    expect(() => dockerEventsScript([ID], 1.5)).toThrow();
  });

  it('its output: the window from the host clock, the events, docker\'s exit status; cut or failed said so', async () => {
    const { parseEventsOutput } = await import('../../../src/engine/docker/events.js');
    const since = Math.floor(T0 / 1000);
    const head = `### window ${since} ${since + 300} probe\n`;
    const full = parseEventsOutput(`${head}${event('die', T0 + 5000, { exitCode: '137' })}\n### rc 0\n`, '', [ID]);
    expect(full).toMatchObject({ ok: true, sinceFrom: 'last-good-probe', since: '2026-12-07T03:10:00.000Z', count: 1 });
    expect(full.truncated).toBeUndefined();
    const cut = parseEventsOutput(`${head}${event('die', T0 + 5000)}\n${event('start', T0 + 6000).slice(0, 30)}`, '', [ID]);
    expect(cut).toMatchObject({ ok: true, count: 1, truncated: 'bytes' });
    const failed = parseEventsOutput(`${head}### rc 1\n`, `permission denied while trying to connect to the Docker daemon socket password=${SECRET}\n`, [ID]);
    expect(failed.ok).toBe(false);
    expect(failed.error).toMatch(/^docker events: permission denied/);
    assertNoPlantedSecret('the events error', failed.error!);
    expect(parseEventsOutput('garbage', '', [ID])).toMatchObject({ ok: false, error: 'no answer from the events script' });
  });
});
