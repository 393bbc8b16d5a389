#!/usr/bin/env node
/** `npm run worker`: a diagnosis worker alone (scale out by running more), with /healthz, /readyz and /metrics on PORT. */
import { runProcess } from './process-main.js';

await runProcess('worker');
