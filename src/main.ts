#!/usr/bin/env node
/** `npm start`: the Slack front end, with a diagnosis worker in the same process unless REDIS_DOCTOR_INLINE_WORKER=false. */
import { runProcess } from './process-main.js';

await runProcess('web');
