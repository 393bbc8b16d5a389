/**
 * The human report: what was checked, what failed, why, and what to do.
 * Pure: a Diagnosis in, a string out. Colour only through `Style`, so the
 * same function serves a terminal and a pipe.
 */
import { type Check, type CheckStatus, type Diagnosis, type Finding, type Remediation, type Severity, type Verdict, hostPort } from '../engine/index.js';
import { safeText, type Style } from './style.js';

const STATUS_LABEL: Record<CheckStatus, string> = { pass: 'pass', fail: 'FAIL', warn: 'warn', skip: 'skip' };
const SEVERITY_LABEL: Record<Severity, string> = { critical: 'CRITICAL', warning: 'WARNING', info: 'INFO' };

function statusMark(status: CheckStatus, s: Style): string {
  const label = STATUS_LABEL[status];
  if (status === 'pass') return s.green(label);
  if (status === 'fail') return s.red(label);
  if (status === 'warn') return s.yellow(label);
  return s.dim(label);
}

function severityMark(severity: Severity, s: Style): string {
  const label = SEVERITY_LABEL[severity];
  if (severity === 'critical') return s.bold(s.red(label));
  if (severity === 'warning') return s.bold(s.yellow(label));
  return s.cyan(label);
}

function verdictMark(verdict: Verdict, s: Style): string {
  const label = verdict.toUpperCase();
  if (verdict === 'healthy') return s.bold(s.green(label));
  if (verdict === 'degraded') return s.bold(s.yellow(label));
  return s.bold(s.red(label));
}

/** Continuation lines of a multi-line value keep the indentation of the first. */
function indentLines(text: string, indent: string): string {
  return safeText(text).split('\n').join(`\n${indent}`);
}

function ms(value: number): string {
  return `${Math.round(value)} ms`;
}

function targetLine(d: Diagnosis): string {
  const t = d.target;
  const facts = [t.tls ? 'TLS' : 'plaintext'];
  if (t.user) facts.push(`user ${t.user}`);
  if (t.db !== undefined) facts.push(`db ${t.db}`);
  const label = t.name ? `${t.name} → ${hostPort(t.host, t.port)}` : hostPort(t.host, t.port);
  return `${label} (${facts.join(', ')})`;
}

function renderChecks(checks: Check[], s: Style): string[] {
  if (checks.length === 0) return ['  (no checks ran)'];
  const idWidth = Math.min(24, Math.max(...checks.map((c) => c.id.length)));
  const msWidth = Math.max(...checks.map((c) => ms(c.durationMs).length));
  return checks.map((c) => {
    const detail = c.detail ? `  ${indentLines(c.detail, ' '.repeat(idWidth + msWidth + 12))}` : '';
    return `  ${statusMark(c.status, s)}  ${safeText(c.id).padEnd(idWidth)}  ${s.dim(ms(c.durationMs).padStart(msWidth))}${detail}`;
  });
}

function renderRemediation(r: Remediation, index: number, s: Style): string[] {
  const letter = String.fromCharCode(97 + (index % 26));
  const meta = s.dim(`[${r.id} · ${r.mode} · risk ${r.risk}]`);
  const lines = [`       ${letter}. ${safeText(r.title)}  ${meta}`];
  r.steps.forEach((step, i) => {
    lines.push(`          ${i + 1}. ${indentLines(step, '             ')}`);
  });
  if (r.verify) lines.push(`          ${s.dim('verify:')} ${indentLines(r.verify, '                  ')}`);
  return lines;
}

/** Fixes already printed for an earlier finding (id and title → its number): shown once, then referred to. */
type Shown = Map<string, number>;

function renderFinding(f: Finding, index: number, s: Style, shown: Shown): string[] {
  const lines = [`  ${index + 1}. ${severityMark(f.severity, s)}  ${s.bold(safeText(f.title))}  ${s.dim(`[${f.cause} · ${f.confidence}]`)}`];
  if (f.evidence.length > 0) {
    lines.push(`     ${s.dim('evidence:')}`);
    for (const e of f.evidence) lines.push(`       - ${indentLines(e, '         ')}`);
  }
  if (f.remediations.length > 0) {
    lines.push(`     ${s.dim('what to do:')}`);
    f.remediations.forEach((r, i) => {
      const key = `${r.id}\n${r.title}`;
      const earlier = shown.get(key);
      if (earlier === undefined) {
        shown.set(key, index + 1);
        lines.push(...renderRemediation(r, i, s));
      } else lines.push(`       ${String.fromCharCode(97 + (i % 26))}. ${safeText(r.title)}  ${s.dim(`[${r.id}: the same fix as in ${earlier} above]`)}`);
    });
  }
  return lines;
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

export function summaryLine(d: Diagnosis): string {
  const counts = (['critical', 'warning', 'info'] as const)
    .map((sev) => [sev, d.findings.filter((f) => f.severity === sev).length] as const)
    .filter(([, n]) => n > 0)
    .map(([sev, n]) => `${n} ${sev}`);
  const findings = d.findings.length === 0 ? 'no findings' : `${plural(d.findings.length, 'finding')} (${counts.join(', ')})`;
  const cause = d.primaryCause ? ` — ${d.primaryCause}` : '';
  return `${d.verdict}${cause}: ${findings}, ${plural(d.checks.length, 'check')} in ${ms(d.durationMs)}`;
}

export function renderText(d: Diagnosis, s: Style): string {
  const out: string[] = [];
  out.push(`${s.bold('redis-doctor')} ${s.dim(d.version)}`);
  out.push(`target   ${safeText(targetLine(d))}`);
  out.push(`verdict  ${verdictMark(d.verdict, s)}${d.primaryCause ? `  primary cause: ${s.bold(d.primaryCause)}` : ''}`);
  out.push('');
  out.push(s.bold('What was checked'));
  out.push(...renderChecks(d.checks, s));
  out.push('');
  if (d.findings.length === 0) {
    out.push(s.bold('Findings'));
    out.push(`  ${s.green('none')}: every check passed`);
  } else {
    out.push(s.bold(d.verdict === 'healthy' ? 'Findings' : 'What failed, why, and what to do'));
    const shown: Shown = new Map();
    d.findings.forEach((f, i) => {
      if (i > 0) out.push('');
      out.push(...renderFinding(f, i, s, shown));
    });
  }
  out.push('');
  out.push(colourSummary(d, s));
  return `${out.join('\n')}\n`;
}

function colourSummary(d: Diagnosis, s: Style): string {
  const line = summaryLine(d);
  if (d.verdict === 'healthy') return s.green(line);
  if (d.verdict === 'degraded') return s.yellow(line);
  return s.red(line);
}

/**
 * `--brief`: what an on-call engineer needs first, in a few lines: the verdict, the primary
 * cause with its strongest evidence, and the first thing to do. The full report stays one
 * command away (the last line says so when anything was left out).
 */
export function renderBrief(d: Diagnosis, s: Style): string {
  const out = [`${safeText(targetLine(d))}  ${verdictMark(d.verdict, s)}${d.primaryCause ? `  ${s.bold(d.primaryCause)}` : ''}`];
  const primary = d.findings[0];
  if (primary) {
    out.push(`  ${severityMark(primary.severity, s)}  ${safeText(primary.title)}  ${s.dim(`[${primary.confidence}]`)}`);
    if (primary.evidence[0] !== undefined) out.push(`  ${s.dim('evidence:')} ${indentLines(primary.evidence[0], '            ')}`);
    const fix = primary.remediations[0];
    if (fix) {
      out.push(`  ${s.dim('do:')} ${safeText(fix.title)}  ${s.dim(`[${fix.id} · ${fix.mode}]`)}`);
      if (fix.steps[0] !== undefined) out.push(`      ${indentLines(fix.steps[0], '      ')}`);
    }
  }
  const left = d.findings.length - (primary ? 1 : 0);
  const more = left > 0 ? `${plural(left, 'more finding')}: ${d.findings.slice(1, 4).map((f) => f.cause).join(', ')}${left > 3 ? ', …' : ''}; ` : '';
  const omitted = primary && (left > 0 || primary.evidence.length > 1 || primary.remediations.length > 1 || (primary.remediations[0]?.steps.length ?? 0) > 1);
  out.push(s.dim(`${more}${plural(d.checks.length, 'check')} in ${ms(d.durationMs)}${omitted ? '; without --brief for the whole report' : ''}`));
  return `${out.join('\n')}\n`;
}
