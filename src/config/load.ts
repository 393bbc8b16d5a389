/**
 * Loading the YAML configuration: path from the flag, then
 * REDIS_DOCTOR_CONFIG, then ./redis-doctor.yaml (absent is fine only for the default path).
 */
import { readFileSync, existsSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import type { z } from 'zod';
import { configSchema, type Config } from './schema.js';
import { CodedError } from '../util/errors.js';

export class ConfigError extends CodedError {
  override name = 'ConfigError';
  constructor(message: string) {
    super('config', message);
  }
}

export const DEFAULT_CONFIG_PATH = './redis-doctor.yaml';

/** `targets[0].url` from a zod issue path. */
function fieldName(path: readonly PropertyKey[]): string {
  let out = '';
  for (const part of path) {
    if (typeof part === 'number') out += `[${part}]`;
    else out += out ? `.${String(part)}` : String(part);
  }
  return out || '(top level)';
}

export function formatIssues(error: z.ZodError): string {
  return error.issues.map((i) => `${fieldName(i.path)}: ${i.message}`).join('; ');
}

export function parseConfig(text: string, source: string): Config {
  let data: unknown;
  try {
    data = parseYaml(text, { maxAliasCount: 50 });
  } catch (err) {
    throw new ConfigError(`${source}: not valid YAML: ${(err as Error).message.split('\n')[0]}`);
  }
  const result = configSchema.safeParse(data ?? {});
  if (!result.success) throw new ConfigError(`${source}: ${formatIssues(result.error)}`);
  return result.data;
}

export function resolveConfigPath(flag: string | undefined, env: NodeJS.ProcessEnv = process.env): { path: string; explicit: boolean } {
  if (flag) return { path: flag, explicit: true };
  if (env.REDIS_DOCTOR_CONFIG) return { path: env.REDIS_DOCTOR_CONFIG, explicit: true };
  return { path: DEFAULT_CONFIG_PATH, explicit: false };
}

/** Loads and validates the config; an absent default file gives an empty config. */
export function loadConfig(flag?: string, env: NodeJS.ProcessEnv = process.env): Config {
  const { path, explicit } = resolveConfigPath(flag, env);
  if (!existsSync(path)) {
    if (explicit) throw new ConfigError(`config file ${path} does not exist`);
    return configSchema.parse({});
  }
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new ConfigError(`cannot read config file ${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
  return parseConfig(text, path);
}
