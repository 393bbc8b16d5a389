import { describe, expect, it } from 'vitest';
import { rule } from '../../../src/engine/rules/handshake-incompatible.js';
import { evaluate } from '../../../src/engine/pipeline/evaluate.js';
import type { ClientProbeObservation, Observations, RespReply } from '../../../src/engine/model/types.js';
import { err, healthy, INFO_COMMAND, session, TEXT, withInfo } from '../fixtures.js';

const OK: RespReply = { kind: 'status', text: 'OK' };
const HELLO_MAP: RespReply = { kind: 'array', text: 'server redis version 7.0.15 proto 3 id 5 mode standalone role master modules' };
const SETINFO_70 = err("ERR unknown subcommand 'SETINFO'. Try CLIENT HELP.");

function probe(replies: Partial<Record<'setinfo' | 'hello3' | 'hello2', RespReply>>, extra: Partial<ClientProbeObservation> = {}): ClientProbeObservation {
  const e = (command: string, reply: RespReply | undefined) => (reply ? { command, reply, durationMs: 1 } : { command, durationMs: 0 });
  return {
    exchanges: [
      e('CONFIG GET timeout', { kind: 'array', text: 'timeout 0' }),
      e('CONFIG GET tcp-keepalive', { kind: 'array', text: 'tcp-keepalive 300' }),
      e('CLIENT SETINFO lib-name redis-doctor', replies.setinfo),
      e('CLIENT SETINFO lib-ver 1.0.0', replies.setinfo),
      e('HELLO 3', replies.hello3),
      e('HELLO 2', replies.hello2),
    ],
    closed: false,
    silent: false,
    config: { timeout: '0', 'tcp-keepalive': '300' },
    ...extra,
  };
}

function withProbe(p: ClientProbeObservation): Observations {
  const obs = healthy();
  obs.resp!.clientProbe = p;
  return obs;
}

describe('handshake-incompatible', () => {
  it('HELLO renamed away (Redis 7.0 text): warning, confirmed, which clients break, RESP2 settings and upgrade', () => {
    const unknown = err("ERR unknown command 'HELLO', with args beginning with: '3' ");
    const obs = withProbe(probe({ setinfo: SETINFO_70, hello3: unknown, hello2: err("ERR unknown command 'HELLO', with args beginning with: '2' ") }));
    const f = rule.evaluate(obs);
    expect(f).toMatchObject({ cause: 'handshake-incompatible', severity: 'warning', confidence: 'confirmed', details: { kinds: 'hello-unknown' } });
    expect(f?.title).toMatch(/^HELLO 3 is refused \(HELLO is unknown here: renamed away/);
    expect(f?.evidence[0]).toBe("HELLO 3 → -ERR unknown command 'HELLO', with args beginning with: '3'");
    expect(f?.evidence.join('\n')).toMatch(/node-redis with RESP: 3, redis-py with protocol=3/);
    expect(f?.remediations.map((r) => r.id)).toEqual(['use-resp2-handshake', 'upgrade-server-or-proxy']);
    expect(evaluate(obs)).toMatchObject({ verdict: 'degraded', primaryCause: 'handshake-incompatible' });
  });

  it('Redis 5 (no HELLO): names the version; -NOPROTO and a proxy\'s own error are told apart', () => {
    const old = withInfo(withProbe(probe({ hello3: err('ERR unknown command `HELLO`, with args beginning with: `3`, ') })), { server: { redis_version: '5.0.14' } });
    expect(rule.evaluate(old)?.title).toMatch(/Redis 5\.0\.14 predates HELLO/);
    expect(rule.evaluate(withProbe(probe({ hello3: err('NOPROTO unsupported protocol version') })))?.details?.['kinds']).toBe('noproto');
    expect(rule.evaluate(withProbe(probe({ hello3: err('ERR command not supported by proxy') })))?.details?.['kinds']).toBe('hello-refused');
  });

  it('AUTH <user> <password> on a server before 6: critical, supersedes auth-required, the URL without the user', () => {
    const obs = healthy();
    obs.client.authProvided = true;
    obs.client.user = 'app';
    delete obs.info;
    obs.resp = session([
      ['AUTH app <redacted>', err("ERR wrong number of arguments for 'auth' command")],
      ['PING', err(TEXT.noauth)],
      [INFO_COMMAND, err(TEXT.noauth)],
    ]);
    const f = rule.evaluate(obs);
    expect(f).toMatchObject({ severity: 'critical', confidence: 'confirmed', details: { kinds: 'auth-user' } });
    expect(f?.remediations.map((r) => r.id)).toEqual(['supply-password', 'upgrade-server-or-proxy']);
    expect(f?.remediations[0]?.steps.join('\n')).toContain('redis://:<password>@10.0.0.5:6379');
    const d = evaluate(obs);
    expect(d).toMatchObject({ verdict: 'unreachable', primaryCause: 'handshake-incompatible' });
    expect(d.findings.map((x) => x.cause)).not.toContain('auth-required');
  });

  it('a proxy that closes the connection at CLIENT SETINFO: critical, likely', () => {
    const p = probe({}, { closed: true });
    p.exchanges[0]!.reply = { kind: 'array', text: 'timeout 0' };
    const f = rule.evaluate(withProbe(p));
    expect(f).toMatchObject({ severity: 'critical', confidence: 'likely', details: { kinds: 'closed' } });
    expect(f?.title).toMatch(/^The connection was closed when the client sent CLIENT SETINFO/);
    expect(evaluate(withProbe(p)).verdict).toBe('degraded');
  });

  it('does not fire on Redis 7.0 (HELLO answers, SETINFO unknown: clients ignore that), Redis 7.2, -NOAUTH, silence, or a close at CONFIG', () => {
    expect(rule.evaluate(withProbe(probe({ setinfo: SETINFO_70, hello3: HELLO_MAP, hello2: HELLO_MAP })))).toBeUndefined();
    expect(rule.evaluate(withProbe(probe({ setinfo: OK, hello3: HELLO_MAP, hello2: HELLO_MAP })))).toBeUndefined();
    expect(rule.evaluate(withProbe(probe({ setinfo: err('ERR Unknown subcommand or wrong number of arguments for \'SETINFO\'. Try CLIENT HELP'), hello3: HELLO_MAP })))).toBeUndefined();
    const noauth = err('NOAUTH HELLO must be called with the client already authenticated, otherwise the HELLO <proto> AUTH <user> <pass> option can be used to authenticate the client and select the RESP protocol version at the same time');
    expect(rule.evaluate(withProbe(probe({ setinfo: err(TEXT.noauth), hello3: noauth })))).toBeUndefined();
    expect(rule.evaluate(withProbe(probe({ setinfo: SETINFO_70 }, { silent: true })))).toBeUndefined();
    const atConfig = probe({}, { closed: true });
    atConfig.exchanges.forEach((e) => delete e.reply);
    expect(rule.evaluate(withProbe(atConfig))).toBeUndefined();
    expect(rule.evaluate(healthy())).toBeUndefined();
    // An ACL user's AUTH app pass answered +OK on Redis 6+: nothing.
    const acl = healthy();
    acl.resp = session([['AUTH app <redacted>', OK], ['PING', { kind: 'status', text: 'PONG' }], [INFO_COMMAND, { kind: 'string', text: '# Server' }]]);
    expect(rule.evaluate(acl)).toBeUndefined();
  });

  it('a SETINFO error Redis does not send (a proxy, an ACL): info only', () => {
    const f = rule.evaluate(withProbe(probe({ setinfo: err('ERR proxy: CLIENT not allowed'), hello3: HELLO_MAP, hello2: HELLO_MAP })));
    expect(f).toMatchObject({ severity: 'info', details: { kinds: 'setinfo-refused' } });
  });
});
