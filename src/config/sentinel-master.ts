/**
 * A Sentinel master name as the config (`sentinelMaster`) and the CLI
 * (`--sentinel-master`) accept it: sent as a RESP argument, never shell text.
 * Its own module so that resolve-target.ts does not load the zod schema on
 * every CLI start (the CLI loads the config only when it needs it).
 */
export const SENTINEL_MASTER_RE = /^[A-Za-z0-9._:-]{1,128}$/;
