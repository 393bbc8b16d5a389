/**
 * Fixes that come from the host evidence of the SSH checks: a firewall rule,
 * the OOM killer, a full data filesystem, a stopped or stuck process,
 * container and Kubernetes plumbing, and the SSH access itself. Steps quote the exact rule, path or object the
 * checks found; all of it comes from our own parsed output, never a secret.
 */
import type { Remediation } from '../model/types.js';
import { iptablesDeleteCommand } from '../shared/iptables-rule.js';
import { inertText, isPlausibleRuleText, isSafeChainName, isSafeContainerName, isSafeImageRef, isSafeK8sName, isSafeUnitName, quotePath, safeNftTable } from '../shared/shell-words.js';
import { cli, type FixTarget, keepSetting, localCli, rerun } from './fix-target.js';

/** Said instead of a command when the host's text fails the grammar of its field (shared/shell-words.ts). */
const UNTRUSTED = 'its text is not something redis-doctor repeats in a command (options it does not know, or characters no rule has: the host\'s output may have been tampered with), so check it yourself';

function iptablesSteps(tool: 'iptables' | 'ip6tables', port: number, line: string | undefined): string[] {
  const del = line ? iptablesDeleteCommand(tool, line) : undefined;
  if (del) {
    return [
      `This ${tool} rule blocks port ${port}: ${line}`,
      `Delete it: ${del} — or insert an ACCEPT for the clients before it: sudo ${tool} -I INPUT -p tcp -s <client-ip> --dport ${port} -j ACCEPT`,
    ];
  }
  // The chain alone, when it is a plain name: enough to list the rules with their numbers.
  const named = /^-A ([^ ]{1,28}) /.exec(line ?? '')?.[1];
  const chain = named && isSafeChainName(named) ? named : 'INPUT';
  return [
    `The ${tool} rule quoted in the evidence blocks port ${port}; ${UNTRUSTED}: sudo ${tool} -L ${chain} -n -v --line-numbers lists the rules of ${chain} with their numbers.`,
    `Delete the one that drops or rejects TCP port ${port} by its number: sudo ${tool} -D ${chain} <number> — or insert an ACCEPT for the clients before it: sudo ${tool} -I ${chain} -p tcp -s <client-ip> --dport ${port} -j ACCEPT`,
  ];
}

/** The rule text for a step's prose: only when it could be a real rule, else a pointer to the evidence. */
function ruleText(line: string | undefined): string {
  return line && isPlausibleRuleText(line) ? line : `the rule quoted in the evidence (${UNTRUSTED})`;
}

export const hostFixes = {
  'remove-firewall-rule': (t: FixTarget, p: { tool?: string; line?: string; table?: string } = {}): Remediation => {
    const tool = p.tool ?? 'iptables';
    const steps: string[] = [];
    if (tool === 'iptables' || tool === 'ip6tables') {
      steps.push(...iptablesSteps(tool, t.port, p.line));
      steps.push('Make it permanent where the rules are kept (/etc/iptables/rules.v4 with netfilter-persistent, /etc/sysconfig/iptables, or the tool that generated them: ufw, firewalld, Docker, Kubernetes).');
    } else if (tool === 'nft') {
      const table = p.table ? safeNftTable(p.table) : undefined;
      steps.push(`This nftables rule blocks port ${t.port}${table ? ` (table ${table})` : ''}: ${ruleText(p.line)}`);
      steps.push(`Find its handle: sudo nft -a list ruleset | grep -n 'dport' — then sudo nft delete rule ${table ?? '<family> <table>'} <chain> handle <n>`);
      steps.push('Keep the change in /etc/nftables.conf (or the tool that writes the ruleset).');
    } else if (tool === 'ufw') {
      steps.push(`ufw blocks port ${t.port}: ${ruleText(p.line)}`);
      steps.push(`sudo ufw status numbered, then sudo ufw delete <number> for that rule, and sudo ufw allow from <client-ip> to any port ${t.port} proto tcp`);
    } else {
      steps.push(`firewalld blocks port ${t.port}: ${ruleText(p.line)}`);
      steps.push(`sudo firewall-cmd --permanent --zone=<zone> --add-rich-rule='rule family="ipv4" source address="<client-ip>" port protocol="tcp" port="${t.port}" accept' && sudo firewall-cmd --reload (remove a rejecting rich rule with --remove-rich-rule).`);
    }
    steps.push(`Open the port only to the application hosts, never to 0.0.0.0/0: Redis must not be reachable from the internet.`);
    return {
      id: 'remove-firewall-rule',
      title: `Let the clients through the ${tool} rule that blocks port ${t.port}`,
      risk: 'medium',
      mode: 'guided',
      steps,
      verify: rerun(t, `nc -vz ${t.host} ${t.port} succeeds from a client host.`),
    };
  },

  'prevent-oom-kill': (t: FixTarget, p: { totalBytes?: number } = {}): Remediation => ({
    id: 'prevent-oom-kill',
    title: 'Keep Redis below the memory the host has, so the kernel stops killing it',
    risk: 'medium',
    mode: 'guided',
    steps: [
      'Confirm: sudo dmesg -T | grep -iE "out of memory|killed process" (or journalctl -k | grep -i oom) shows redis-server killed.',
      `Cap Redis: set maxmemory to well below the RAM${p.totalBytes ? ` (${Math.round(p.totalBytes / 1048576)} MiB here)` : ''} — leave room for fork copy-on-write during saves and for other processes — with an eviction policy that fits the data (allkeys-lru for a cache): ${localCli(t)} CONFIG SET maxmemory <bytes>.`,
      keepSetting(t, localCli(t), 'maxmemory <bytes>'),
      'Find what else uses memory: free -h; ps aux --sort=-rss | head.',
      'Redis recommends vm.overcommit_memory = 1 so background saves can fork: sudo sysctl -w vm.overcommit_memory=1 (and in /etc/sysctl.conf).',
      'If the data must stay in memory, give the host (or the container memory limit) more RAM.',
      'Start Redis again once memory is under control: sudo systemctl start redis-server.',
    ],
    verify: rerun(t, `${cli(t)} PING answers and INFO memory shows used_memory below maxmemory.`),
  }),

  'free-disk-space': (t: FixTarget, p: { path?: string; mount?: string } = {}): Remediation => {
    // Paths as df printed them: one quoted shell word each, or the placeholder.
    const shown = p.path !== undefined ? quotePath(p.path) : undefined;
    const path = shown ?? '<redis dir>';
    const mount = (p.mount !== undefined ? quotePath(p.mount) : undefined) ?? path;
    return {
      id: 'free-disk-space',
      title: `Free space on the filesystem of the Redis data directory${shown ? ` (${shown})` : ''}`,
      risk: 'medium',
      mode: 'guided',
      steps: [
        `See what fills it: df -h ${path}; sudo du -xsh ${mount}/* 2>/dev/null | sort -h | tail`,
        `Old files Redis leaves behind: temp-*.rdb and stale appendonly files in ${path} from failed saves can go once no save runs (INFO persistence: rdb_bgsave_in_progress:0, aof_rewrite_in_progress:0).`,
        'Rotate or delete logs and other data on that filesystem, or grow the volume; RDB saves need room for a full second copy of the dataset while they run.',
        `Once there is space, save again: ${localCli(t)} BGSAVE — writes refused with -MISCONF are accepted after the next successful save.`,
      ],
      verify: rerun(t, `df shows free space on ${path} and INFO persistence shows rdb_last_bgsave_status:ok.`),
    };
  },

  'resume-stopped-redis': (t: FixTarget, p: { pid?: number; state?: string; unit?: string } = {}): Remediation => {
    const pid = p.pid !== undefined && Number.isSafeInteger(p.pid) && p.pid > 0 ? String(p.pid) : '<pid>';
    const unit = p.unit === undefined ? 'redis-server' : isSafeUnitName(p.unit) ? p.unit : '<unit>';
    const steps: string[] = [`On ${t.host}: ps -o pid,ppid,stat,etime,cmd -p ${pid} shows the state (STAT) of the redis-server that holds port ${t.port}.`];
    if (p.state === undefined || p.state === 'stopped' || p.state === 'tracing-stop') {
      steps.push(`Stopped (T): resume it with sudo kill -CONT ${pid}; it answers again at once, with the data it had.`);
      steps.push(`Find who stopped it, or it happens again: a Ctrl-Z in a terminal that started it by hand (jobs, fg), a debugger or tracer (t: grep TracerPid /proc/${pid}/status), a backup or monitoring script that sends SIGSTOP, a cgroup freezer (cat /sys/fs/cgroup/…/cgroup.freeze; docker pause: docker unpause).`);
    }
    if (p.state === undefined || p.state === 'disk-sleep') {
      steps.push(`Uninterruptible sleep (D): it waits for the kernel, usually disk or network storage I/O; kill -CONT does not help. See where: sudo cat /proc/${pid}/stack and sudo cat /proc/${pid}/wchan; sudo dmesg -T | tail -n 50 for I/O errors, hung tasks ("blocked for more than 120 seconds") or NFS "server not responding"; iostat -x 1 5 or vmstat 1 5 for a saturated disk or swapping.`);
      steps.push('Fix the storage (or the memory pressure that makes it swap); the process resumes by itself once the I/O completes. A restart only helps after that.');
    }
    if (p.state === undefined || p.state === 'zombie') {
      steps.push(`Zombie (Z): redis-server has exited and only its process table entry is left, for its parent to reap: ps -o ppid= -p ${pid} names the parent. Restart the service: sudo systemctl restart ${unit} (a parent that never reaps its children needs fixing or restarting too).`);
    }
    steps.push(`Read the Redis log for what happened just before (journalctl -u ${unit} -n 100 --no-pager, or the logfile of redis.conf).`);
    return {
      id: 'resume-stopped-redis',
      title: `Get the stalled redis-server${pid !== '<pid>' ? ` (pid ${pid})` : ''} on ${t.host} running again`,
      risk: 'low',
      mode: 'guided',
      steps,
      verify: rerun(t, `ps -o stat= -p ${pid} shows S or R, and ${cli(t)} PING answers PONG.`),
    };
  },

  'publish-container-port': (
    t: FixTarget,
    p: { container?: string; image?: string; containerPort?: number; reason?: 'not-published' | 'loopback-only' | 'other-host-port' | 'wrong-container-port'; hostPort?: number; boundPort?: number } = {},
  ): Remediation => {
    const cport = p.containerPort !== undefined && Number.isInteger(p.containerPort) && p.containerPort > 0 && p.containerPort <= 65535 ? p.containerPort : 6379;
    const container = p.container !== undefined && isSafeContainerName(p.container) ? p.container.replace(/^\//, '') : '<container>';
    const image = p.image === undefined ? 'redis' : isSafeImageRef(p.image) ? p.image : '<image>';
    const port = (n: number | undefined) => (n !== undefined && Number.isInteger(n) && n > 0 && n <= 65535 ? n : undefined);
    const hostPort = port(p.hostPort);
    const bound = port(p.boundPort);
    const reason = p.reason ?? 'not-published';
    const first: Record<typeof reason, string> = {
      'not-published': `docker ps --filter name=${container} --format '{{.Names}} {{.Ports}}' shows "${cport}/tcp" without "->": the port is not published.`,
      'loopback-only': `docker port ${container} shows 127.0.0.1:${t.port}->${cport}/tcp: Docker accepts connections to host port ${t.port} only from the Docker host itself. Redis's own bind setting is not the problem — the -p flag is.`,
      'other-host-port': `docker port ${container} shows ${cport}/tcp published on host port ${hostPort ?? '<other port>'}, not ${t.port}: either point the client at port ${hostPort ?? '<that port>'}, or publish ${t.port} as below.`,
      'wrong-container-port': `docker port ${container} shows host port ${t.port} mapped to container port ${bound ?? '<port>'}, but Redis listens on ${cport} inside the container: Docker forwards the connection to a port nothing listens on, and the client sees it closed.`,
    };
    const publish = reason === 'loopback-only'
      ? `Recreate it published on the interface the clients reach (a running container's mappings cannot be changed): docker run -d -p 0.0.0.0:${t.port}:${cport} … ${image} (or -p <host-lan-ip>:${t.port}:${cport}); Compose: change the service's line to ports: ["${t.port}:${cport}"] (no 127.0.0.1: prefix) and run docker compose up -d.`
      : `Recreate it with the port published, to the interface the clients use: docker run -d -p ${t.address && !t.address.startsWith('127.') ? `${t.address}:` : ''}${t.port}:${cport} … ${image} (Compose: ports: ["${t.port}:${cport}"], then docker compose up -d); a running container's mappings cannot be changed.`;
    const steps = [first[reason], publish];
    if (reason !== 'loopback-only') steps.push('Inside the container Redis must listen on the container interface (bind 0.0.0.0 or * in its redis.conf) and have a password before it is reachable from other hosts.');
    else steps.push(`Publishing on 0.0.0.0 opens port ${t.port} to every network the host is on: give Redis a password (requirepass or an ACL user) and limit who reaches the port with the host firewall (note that Docker's own iptables rules bypass ufw's INPUT rules: use the DOCKER-USER chain).`);
    steps.push('Containers on the same Docker network need no published port: connect to <container-name>:6379 from them instead.');
    return {
      id: 'publish-container-port',
      title: reason === 'loopback-only'
        ? `Publish the container's Redis port on all interfaces, not 127.0.0.1 only (-p 0.0.0.0:${t.port}:${cport})`
        : reason === 'wrong-container-port'
          ? `Map host port ${t.port} to the port Redis listens on inside the container (${cport}), not ${bound ?? 'another one'}`
          : `Publish the container's Redis port ${cport} on host port ${t.port}`,
      risk: 'medium',
      mode: 'guided',
      steps,
      verify: rerun(t, `docker port ${container} shows 0.0.0.0:${t.port}->${cport}/tcp and PING answers${reason === 'loopback-only' ? ' from a client host' : ''}.`),
    };
  },

  'fix-k8s-service-endpoints': (t: FixTarget, p: { namespace?: string; service?: string } = {}): Remediation => {
    const ns = p.namespace !== undefined && isSafeK8sName(p.namespace) ? p.namespace : '<namespace>';
    const svc = p.service !== undefined && isSafeK8sName(p.service) ? p.service : '<service>';
    return {
      id: 'fix-k8s-service-endpoints',
      title: `Give the Kubernetes Service ${ns}/${svc} a ready Redis pod`,
      risk: 'low',
      mode: 'guided',
      steps: [
        `kubectl -n ${ns} get endpoints ${svc} -o wide — no addresses: no ready pod matches the Service.`,
        `kubectl -n ${ns} get svc ${svc} -o jsonpath='{.spec.selector}' and kubectl -n ${ns} get pods --show-labels: the selector must match the Redis pod labels exactly.`,
        `kubectl -n ${ns} get pods -l <selector> and kubectl -n ${ns} describe pod <pod>: a pod that is not Ready (failing readiness probe, CrashLoopBackOff, Pending) is kept out of the endpoints; kubectl -n ${ns} logs <pod> says why.`,
        'Check targetPort: it must be the port (or port name) the Redis container listens on.',
      ],
      verify: rerun(t, `kubectl -n ${ns} get endpoints ${svc} lists a ready address and PING answers.`),
    };
  },

  'verify-ssh-host-key': (t: FixTarget, q: { host?: string; port?: number; fingerprint?: string; knownHostsPath?: string } = {}): Remediation => {
    const p = { ...q, host: q.host ?? t.host, port: q.port ?? 22 };
    return {
      id: 'verify-ssh-host-key',
      title: `Check the SSH host key of ${p.host} before trusting it`,
      risk: 'low',
      mode: 'guided',
      steps: [
        `The server presented ${p.fingerprint !== undefined ? inertText(p.fingerprint, 'a key') : 'a key'} that known_hosts${p.knownHostsPath ? ` (${p.knownHostsPath})` : ''} does not list for ${p.host}. This is what a man-in-the-middle looks like; it is also what a reinstalled host looks like.`,
        `Compare out of band, on the host's console: ssh-keygen -lf /etc/ssh/ssh_host_ed25519_key.pub (and the other host keys).`,
        `Only when it matches, replace the entry: ssh-keygen -R ${p.port === 22 ? p.host : `'[${p.host}]:${p.port}'`}${p.knownHostsPath ? ` -f ${p.knownHostsPath}` : ''}, then add the verified key (ssh-keyscan -p ${p.port} ${p.host} prints it; check its fingerprint first).`,
      ],
      verify: 'Run the diagnosis again: the ssh-connect check passes.',
    };
  },

  'fix-ssh-access': (t: FixTarget, q: { host?: string; port?: number; user?: string; reason?: string } = {}): Remediation => {
    const p = { ...q, host: q.host ?? t.host, port: q.port ?? 22, reason: q.reason ?? 'unreachable' };
    return {
      id: 'fix-ssh-access',
      title: `Let the remote checks log in to ${p.host}`,
      risk: 'low',
      mode: 'guided',
      steps: [
        `Reproduce: ssh -o BatchMode=yes -p ${p.port} ${p.user ? `${p.user}@` : ''}${p.host} true (${p.reason}).`,
        p.reason === 'auth-failed'
          ? `Install the public key of the configured private key in ~${p.user ?? ''}/.ssh/authorized_keys on ${p.host} (ssh-keygen -y -f <key> prints it); an encrypted key must be loaded in ssh-agent instead.`
          : `Check that sshd runs and listens on port ${p.port} (sudo ss -ltnp | grep sshd) and that a firewall admits this machine to it.`,
        'The checks only read (ps, ss, systemctl, free, dmesg, df, iptables -S …); with sudo: true in the target\'s ssh block, a sudoers drop-in with NOPASSWD for exactly those commands and arguments (no wildcards: \'cat /etc/redis/*\' would also allow \'cat /etc/redis/x /etc/shadow\'; docs/remote-checks.md in the redis-doctor repository has one) lets them see everything.',
      ],
      verify: 'Run the diagnosis again: the ssh-connect check passes.',
    };
  },
} as const;
