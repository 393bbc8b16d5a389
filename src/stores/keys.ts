/**
 * Every key the bot keeps beside its queues: `<prefix>:store:<part>:…`, under
 * the queue's hash-tag prefix (one Redis Cluster slot with the BullMQ keys).
 */
export function storeKey(prefix: string, ...parts: string[]): string {
  return [prefix, 'store', ...parts].join(':');
}
