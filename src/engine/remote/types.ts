/**
 * What the read-only SSH checks saw on the Redis host. Filled by the remote
 * checks (issue #3); each field is absent when its command was not run or
 * the tool does not exist there.
 */
export interface RemoteObservation {
  /** The SSH session itself. */
  session: {
    ok: boolean;
    /** Why no command ran: host-key-mismatch, auth-failed, unreachable, timeout, … */
    failureReason?: string;
    message?: string;
    host: string;
    port: number;
    durationMs: number;
  };
  [key: string]: unknown;
}
