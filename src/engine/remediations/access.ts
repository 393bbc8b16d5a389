/**
 * Fixes for "Redis answers but will not let this client in": protected mode,
 * passwords, ACL permissions. Passwords appear only as the placeholders
 * <password> and $REDIS_PASSWORD; redis-cli lines prompt with --askpass.
 */
import type { Remediation } from '../model/types.js';
import { cli, type FixTarget, localCli, rerun, shellWord, url, keepSetting } from './fix-target.js';

export const accessFixes = {
  'set-requirepass': (t: FixTarget): Remediation => ({
    id: 'set-requirepass',
    title: 'Require a password, so remote clients are admitted with it',
    risk: 'medium',
    mode: 'guided',
    steps: [
      // Hex: safe as is in a redis:// URL (base64 has / + =, which userinfo must percent-encode).
      'Generate a strong password and keep it in your secret store: export REDIS_PASSWORD="$(openssl rand -hex 32)" (hex: usable as is in a redis:// URL)',
      `On the Redis host (loopback is always admitted): ${localCli(t, { auth: false })} CONFIG SET requirepass "$REDIS_PASSWORD"`,
      keepSetting(t, `REDISCLI_AUTH="$REDIS_PASSWORD" ${localCli(t, { auth: false })}`, 'requirepass "$REDIS_PASSWORD"'),
      `For per-application users use ACLs instead: REDISCLI_AUTH="$REDIS_PASSWORD" ${localCli(t, { auth: false })} ACL SETUSER app on ">$REDIS_APP_PASSWORD" "~*" "&*" +@all -@dangerous, then ACL SAVE (aclfile)${t.configFile === '' ? ' — without a config file, ACL users live only until a restart unless an aclfile is given' : ' or CONFIG REWRITE'}.`,
      `Give every client the password (${url(t, { auth: true })}, REDISCLI_AUTH, or the client's password option): clients without it get -NOAUTH from now on.`,
      `Keep a firewall that admits only the application hosts to port ${t.port}; a password is not a reason to expose Redis to the internet.`,
    ],
    verify: rerun({ ...t, authProvided: true }, 'with REDISCLI_AUTH set the verdict is healthy.'),
  }),

  'disable-protected-mode': (t: FixTarget): Remediation => ({
    id: 'disable-protected-mode',
    title: 'Turn protected mode off (only with a password and a firewall)',
    risk: 'high',
    mode: 'guided',
    steps: [
      'Warning: protected mode is what stops an open Redis from serving the whole network. Never turn it off unless requirepass or ACL users are set and a firewall admits only trusted clients; exposed Redis instances are found and wiped or hijacked within hours.',
      'Once a password is set (set-requirepass) protected mode no longer refuses remote clients, so this step is rarely needed.',
      `If you still must: on the Redis host ${localCli(t, { auth: false })} CONFIG SET protected-mode no.`,
      keepSetting(t, localCli(t, { auth: false }), 'protected-mode no'),
      'A test container only: docker run redis redis-server --protected-mode no, on an isolated network.',
    ],
    verify: rerun(t, 'no -DENIED reply.'),
  }),

  'supply-password': (t: FixTarget): Remediation => ({
    id: 'supply-password',
    title: t.user ? `Give the client the right password for user "${t.user}"` : 'Give the client the Redis password',
    risk: 'low',
    mode: 'guided',
    steps: [
      `Test by hand: ${cli({ ...t, authProvided: true })} PING (prompts for the password; REDISCLI_AUTH=<password> works too).`,
      `Configure the client with it: ${url(t, { auth: true })}, or the client library's password${t.user ? '/username' : ''} option; redis-doctor takes REDISCLI_AUTH or --password-env <VAR>.`,
      'The password is requirepass in redis.conf (grep -n requirepass /etc/redis/redis.conf on the host), or an ACL user\'s: ACL LIST / ACL GETUSER <user> as an admin shows users and whether they are "on".',
      `Failed attempts are logged with user and client address: ${localCli(t, { auth: true })} ACL LOG 10 (run on the host as an admin).`,
    ],
    verify: rerun({ ...t, authProvided: true }, 'no -NOAUTH or -WRONGPASS.'),
  }),

  'stop-sending-password': (t: FixTarget): Remediation => ({
    id: 'stop-sending-password',
    title: 'Stop sending a password, or set one on the server',
    risk: 'low',
    mode: 'guided',
    steps: [
      'The server has no password for the default user, so AUTH fails; most clients then refuse to continue.',
      `Either remove the password from the client configuration (${url(t, { auth: false })}) …`,
      '… or, if the server is meant to require one, set it there (set-requirepass) and keep the client as it is.',
    ],
    verify: rerun(t, 'no AUTH error.'),
  }),

  'grant-acl-permissions': (t: FixTarget, p: { user?: string; commands?: string[] } = {}): Remediation => {
    const user = shellWord(p.user ?? t.user ?? 'default', '<user>');
    // Command names come from the server's -NOPERM text: only names of Redis' own shape
    // (letters, digits, `-`, `_`, `.` of module commands, `|` before a subcommand) reach a command line.
    const named = (p.commands ?? []).map((c) => c.toLowerCase()).filter((c) => /^[a-z0-9_.-]{1,64}(\|[a-z0-9_.-]{1,64})?$/.test(c));
    const commands = named.length ? named : p.commands?.length ? ['<command>'] : ['ping'];
    const grants = commands.map((c) => (c === '<command>' ? '+<command>' : shellWord(`+${c}`))).join(' ');
    const admin = { ...t, user: '<admin-user>', authProvided: true };
    return {
      id: 'grant-acl-permissions',
      title: `Allow ACL user "${p.user ?? t.user ?? 'default'}" to run ${commands.map((c) => (c === '<command>' ? 'the denied command' : c.toUpperCase())).join(', ')}`,
      risk: 'medium',
      mode: 'guided',
      steps: [
        `See what was denied: ${cli(admin)} ACL LOG 10`,
        `Check one command: ${cli(admin)} ACL DRYRUN ${user} ${commands[0]!.split('|').join(' ')}` + (commands[0] === '<command>' ? ' (the command named in the -NOPERM reply quoted in the evidence)' : ''),
        `Grant only what the application needs: ${cli(admin)} ACL SETUSER ${user} ${grants}`,
        `Keep it: ${cli(admin)} ACL SAVE (with an aclfile) or CONFIG REWRITE (users defined in redis.conf).`,
      ],
      verify: rerun(t, 'no -NOPERM replies.'),
    };
  },
} as const;
