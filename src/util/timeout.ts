/** Bounded waits: every call on a path that must answer (the Slack ack, a store read) gets a deadline. */

/** Runs `work`, rejecting after `ms`: Redis calls on the Slack ack path must never hang. */
export async function withTimeout<T>(work: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} timed out after ${ms} ms`)), ms);
  });
  // When the timer wins, `work` may still reject later (ioredis: ECONNREFUSED on
  // reconnect); mark it handled so that is not an unhandled rejection, which
  // would end the process under Node's default --unhandled-rejections=throw.
  work.catch(() => undefined);
  try {
    return await Promise.race([work, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
