/**
 * One shared assertion for the whole suite: no planted password reaches a
 * place a secret must never be. Secrets are planted where the lab makes them
 * (startRedis({ password }), requirepass lines of lab redis.conf files,
 * `*PASSWORD*` variables handed to a bot, plantSecret() in a test) and every
 * sink the lab reads is checked against all of them:
 *   - the bot's log lines and its Slack calls (harness and bot processes),
 *   - every key the bot wrote under its queue prefix (job records, stored
 *     diagnoses, approval ledger, audit stream) and its /metrics text,
 *   - the CLI's stdout and stderr.
 * A leak fails the test that caused it, naming the sink. The registry is per
 * test file (vitest runs each file in its own process).
 */
const planted = new Set<string>();

/** Secrets shorter than this would match ordinary text; lab secrets are longer. */
const MIN_LENGTH = 6;

export function plantSecret(secret: string): string {
  if (secret.length >= MIN_LENGTH) planted.add(secret);
  return secret;
}

/** `*PASSWORD*` / `*SECRET*` variables handed to a bot process (never the signing secret: Bolt must see it). */
export function plantEnvSecrets(env: Record<string, string | undefined>): void {
  for (const [k, v] of Object.entries(env)) if (v && /PASSWORD|_PW$|_PASS$/.test(k)) plantSecret(v);
}

function forms(secret: string): string[] {
  return [...new Set([secret, encodeURIComponent(secret), JSON.stringify(secret).slice(1, -1)])];
}

/** Throws when `text` holds a planted secret in any form a serializer would give it. */
export function assertNoPlantedSecret(where: string, text: string): void {
  for (const secret of planted) {
    for (const form of forms(secret)) {
      const at = text.indexOf(form);
      if (at >= 0) {
        const around = text.slice(Math.max(0, at - 60), at).replace(/\s+/g, ' ');
        throw new Error(`a planted secret leaked into ${where} (after: …${around})`);
      }
    }
  }
}
