/**
 * One JSON object per line on stderr, so a log shipper needs no parser.
 * Implements Bolt's Logger interface (from @slack/logger), so Bolt, the Web API
 * client and our own code write the same format.
 */
import type { LogLevel, Logger as SlackLogger } from '@slack/bolt';

export type Level = 'debug' | 'info' | 'warn' | 'error';
const ORDER: Record<Level, number> = { debug: 10, info: 20, warn: 30, error: 40 };

export type Fields = Record<string, unknown>;

export class Logger implements SlackLogger {
  private level: Level;
  private name: string;

  constructor(level: Level = 'info', name = 'redis-doctor', private readonly write: (line: string) => void = (l) => process.stderr.write(l)) {
    this.level = level;
    this.name = name;
  }

  child(name: string): Logger {
    return new Logger(this.level, name, this.write);
  }

  log(level: Level, msg: string, fields: Fields = {}): void {
    if (ORDER[level] < ORDER[this.level]) return;
    const line = { time: new Date().toISOString(), level, name: this.name, msg, ...fields };
    this.write(`${JSON.stringify(line, errorReplacer)}\n`);
  }

  // The SlackLogger methods take free-form arguments; they become one message.
  debug(...msg: unknown[]): void { this.log('debug', joinArgs(msg)); }
  info(...msg: unknown[]): void { this.log('info', joinArgs(msg)); }
  warn(...msg: unknown[]): void { this.log('warn', joinArgs(msg)); }
  error(...msg: unknown[]): void { this.log('error', joinArgs(msg)); }

  setLevel(level: LogLevel): void { this.level = level as Level; }
  getLevel(): LogLevel { return this.level as LogLevel; }
  setName(name: string): void { this.name = name; }
}

function joinArgs(args: unknown[]): string {
  return args.map((a) => (typeof a === 'string' ? a : a instanceof Error ? a.message : JSON.stringify(a, errorReplacer))).join(' ');
}

function errorReplacer(_key: string, value: unknown): unknown {
  return value instanceof Error ? { name: value.name, message: value.message } : value;
}
