/**
 * Where finished diagnoses and each target's last known state are kept, so
 * remediation buttons and `/redis-diagnose status` work from any process.
 *
 * The queue Redis is the store, under the same hash-tag prefix as the queue
 * (one Redis Cluster slot). It may be the very thing that is down, so every
 * write also lands in a small in-process map and reads fall back to it.
 */
import type { Redis } from 'ioredis';
import type { CauseId, Diagnosis, Verdict } from '../engine/index.js';
import { BoundedMap } from '../util/bounded-map.js';
import { withTimeout } from '../util/timeout.js';
import { storeKey } from './keys.js';

export interface LastState {
  verdict: Verdict;
  primaryCause: CauseId | null;
  /** ISO time the diagnosis started. */
  at: string;
  diagnosisId: string;
}

const DIAGNOSIS_TTL_S = 7 * 24 * 3600;
const MEMORY_ENTRIES = 500;
const REDIS_MS = 500;

export class DiagnosisStore {
  private readonly diagnoses = new BoundedMap<Diagnosis>(MEMORY_ENTRIES);
  private readonly channels = new BoundedMap<string>(MEMORY_ENTRIES);
  private readonly states = new BoundedMap<LastState>(MEMORY_ENTRIES);

  constructor(private readonly redis: Redis, private readonly prefix: string) {}

  private key(...parts: string[]): string {
    return storeKey(this.prefix, ...parts);
  }

  /**
   * Stores the diagnosis and, for a config target, its last state; true when
   * Redis took it. Ad-hoc addresses get no last state: `status` lists config
   * targets only, and a hash field per typed address would grow without end.
   * `channel`: the Slack channel its findings (and so its remediation buttons)
   * are posted in; a `remediate:` click is honoured from that channel only.
   */
  async save(id: string, diagnosis: Diagnosis, channel?: string): Promise<boolean> {
    this.diagnoses.set(id, diagnosis);
    if (channel !== undefined) this.channels.set(id, channel);
    const name = diagnosis.target.name;
    const state: LastState = { verdict: diagnosis.verdict, primaryCause: diagnosis.primaryCause, at: diagnosis.startedAt, diagnosisId: id };
    if (name !== undefined) this.states.set(name, state);
    const write = this.redis.multi().set(this.key('diagnosis', id), JSON.stringify(diagnosis), 'EX', DIAGNOSIS_TTL_S);
    if (channel !== undefined) write.set(this.key('diagnosis-channel', id), channel, 'EX', DIAGNOSIS_TTL_S);
    if (name !== undefined) write.hset(this.key('last-state'), name, JSON.stringify(state));
    try {
      await withTimeout(write.exec(), REDIS_MS, 'storing the diagnosis');
      return true;
    } catch {
      return false;
    }
  }

  async get(id: string): Promise<Diagnosis | undefined> {
    const local = this.diagnoses.get(id);
    if (local) return local;
    const text = await withTimeout(this.redis.get(this.key('diagnosis', id)), REDIS_MS, 'reading the diagnosis');
    return text ? (JSON.parse(text) as Diagnosis) : undefined;
  }

  /** The channel the diagnosis was posted in (undefined: none recorded — a CLI or stored-only run). */
  async channelOf(id: string): Promise<string | undefined> {
    const local = this.channels.get(id);
    if (local !== undefined) return local;
    return (await withTimeout(this.redis.get(this.key('diagnosis-channel', id)), REDIS_MS, 'reading the diagnosis')) ?? undefined;
  }

  /** Last states by target name; `shared` is false when only this process's memory could be read. */
  async lastStates(): Promise<{ states: Map<string, LastState>; shared: boolean }> {
    try {
      const all = await withTimeout(this.redis.hgetall(this.key('last-state')), REDIS_MS, 'reading target states');
      const states = new Map<string, LastState>();
      for (const [name, text] of Object.entries(all)) states.set(name, JSON.parse(text) as LastState);
      return { states, shared: true };
    } catch {
      return { states: new Map(this.states), shared: false };
    }
  }
}
