/**
 * The boundaries between the rooms of src/ hold: eslint.config.js refuses a
 * deliberate violation of each (linted as text under a path in that room, so
 * no file is written), and lets the allowed form of the same import through.
 */
import { ESLint } from 'eslint';
import { describe, expect, it } from 'vitest';

const eslint = new ESLint({ cwd: new URL('../..', import.meta.url).pathname });

async function restricted(filePath: string, code: string): Promise<string[]> {
  const [result] = await eslint.lintText(code, { filePath });
  return (result?.messages ?? []).filter((m) => m.ruleId === 'no-restricted-imports').map((m) => m.message);
}

describe('import boundaries (eslint no-restricted-imports)', () => {
  it('jobs/ and stores/ may not import slack/', async () => {
    const code = "import { renderFinding } from '../slack/views/diagnosis.js';\nexport const x = renderFinding;\n";
    expect(await restricted('src/jobs/violation.ts', code)).toEqual([expect.stringMatching(/knows no Slack/)]);
    expect(await restricted('src/stores/violation.ts', code)).toEqual([expect.stringMatching(/knows no Slack/)]);
    expect(await restricted('src/jobs/violation.ts', "import { App } from '@slack/bolt';\nexport const x = App;\n")).toHaveLength(1);
  });

  it('the engine may not import slack/, jobs/, stores/, config/ or BullMQ', async () => {
    expect(await restricted('src/engine/rules/violation.ts', "import { section } from '../../slack/views/elements.js';\nexport const x = section;\n")).toHaveLength(1);
    expect(await restricted('src/engine/pipeline/violation.ts', "import { DiagnosisStore } from '../../stores/diagnosis-store.js';\nexport const x = DiagnosisStore;\n")).toHaveLength(1);
    expect(await restricted('src/engine/violation.ts', "import { Queue } from 'bullmq';\nexport const x = Queue;\n")).toHaveLength(1);
  });

  it('outside the engine, only engine/index.js may be imported', async () => {
    const deep = "import { evaluate } from '../engine/pipeline/evaluate.js';\nexport const x = evaluate;\n";
    expect(await restricted('src/slack/violation.ts', deep)).toEqual([expect.stringMatching(/through src\/engine\/index.ts/)]);
    expect(await restricted('src/cli/violation.ts', "import type { Finding } from '../engine/model/types.js';\nexport type X = Finding;\n")).toHaveLength(1);
    expect(await restricted('src/cli/allowed.ts', "import { parseTarget } from '../engine/index.js';\nexport const x = parseTarget;\n")).toEqual([]);
    // Inside the engine, its own modules import each other directly.
    expect(await restricted('src/engine/rules/allowed.ts', "import { hostPort } from '../util/address.js';\nexport const x = hostPort;\n")).toEqual([]);
  });
});
