/**
 * Fixes for "the client cannot reach a Redis that speaks its protocol":
 * process, port, bind address, firewall, route, DNS, TLS. The checks and
 * commands follow the troubleshooting guide (systemctl/ps/ss, redis.conf
 * bind, ufw/firewall-cmd/iptables, ping/traceroute/dig) with its security
 * warnings: never expose Redis without a password and a firewall.
 */
import type { Remediation } from '../model/types.js';
import { cli, type FixTarget, localCli, rerun, url, keepSetting } from './fix-target.js';

export const connectFixes = {
  'start-redis': (t: FixTarget): Remediation => ({
    id: 'start-redis',
    title: `Start Redis on ${t.host} and make sure it listens on port ${t.port}`,
    risk: 'low',
    mode: 'guided',
    steps: [
      `On ${t.host}, check the service: sudo systemctl status redis-server (the unit is "redis" on RHEL/Fedora; brew services list on macOS). "Active: active (running)" means it runs.`,
      'Without systemd: ps aux | grep [r]edis-server',
      `See where it listens: sudo ss -ltnp | grep redis-server — expect *:${t.port} or 0.0.0.0:${t.port}; another port means a port mismatch, 127.0.0.1:${t.port} means loopback-only.`,
      'Read why it stopped: sudo journalctl -u redis-server -n 50 --no-pager, or tail -n 50 /var/log/redis/redis-server.log (the logfile directive in redis.conf); check for the OOM killer: sudo dmesg -T | grep -i -E "killed process.*redis"',
      'Start it and keep it enabled at boot: sudo systemctl start redis-server && sudo systemctl enable redis-server (manual start: redis-server /etc/redis/redis.conf with daemonize yes)',
    ],
    verify: rerun(t, `${cli(t)} PING answers PONG.`),
  }),

  /**
   * `sure: false` when the evidence leaves open that the instance for the typed port is simply
   * down (wrong-port `possible`): then the steps check which instance holds the application's
   * data before anyone moves clients to another instance.
   */
  'use-correct-port': (t: FixTarget, p: { port?: number; tls?: boolean; sure?: boolean } = {}): Remediation => {
    // The port that refused is never the suggestion: without another port, a placeholder.
    const tls = p.tls ?? t.tls;
    const found = p.port !== undefined && (p.port !== t.port || tls !== t.tls);
    const port = found ? p.port! : t.port;
    const target = { ...t, port, tls };
    const newUrl = found ? url(target) : url(target, { port: '<redis-port>' });
    const update = `Update the client configuration (REDIS_URL / REDIS_HOST / REDIS_PORT, .env, application.properties …) to ${newUrl}, then restart the application so it reloads it.`;
    if (found && p.sure === false) {
      return {
        id: 'use-correct-port',
        title: `Check which instance the client should use before moving it to port ${port}`,
        risk: 'medium',
        mode: 'guided',
        steps: [
          `Another Redis answers on ${t.host}:${port}${p.tls ? ' (TLS)' : ''}; it may be another instance with other data. Compare it with what the application expects: ${cli(target)} INFO server (run_id, config_file, tcp_port) and INFO keyspace.`,
          `If an instance should serve port ${t.port}, start it instead of moving the clients (on the host: systemctl status 'redis*', ls /etc/redis/, grep -n '^port' /etc/redis/*.conf).`,
          `Only once you know port ${port} is this application's instance: ${update}`,
        ],
        verify: rerun(target, 'the verdict is healthy.'),
      };
    }
    return {
      id: 'use-correct-port',
      title: found ? `Connect to port ${port}, where Redis answers` : 'Point the client at the port Redis really listens on',
      risk: 'low',
      mode: 'guided',
      steps: [
        found
          ? `Redis answers on ${t.host}:${port}${p.tls ? ' with TLS' : ''}: test it with ${cli(target)} PING`
          : `On the Redis host, find its port: sudo ss -ltnp | grep redis-server, and grep -nE '^\\s*(port|tls-port)' /etc/redis/redis.conf`,
        update,
        'If several Redis instances run on this host, confirm this is the instance the application should use (INFO server shows run_id, config_file and tcp_port).',
      ],
      verify: found ? rerun(target, 'the verdict is healthy.') : rerun(target, 'the verdict is healthy.', { port: '<redis-port>' }),
    };
  },

  'identify-listener': (t: FixTarget): Remediation => ({
    id: 'identify-listener',
    title: `Find out what listens on port ${t.port} and where Redis is`,
    risk: 'low',
    mode: 'guided',
    steps: [
      `On ${t.host}: sudo ss -ltnp 'sport = :${t.port}' shows the process that owns port ${t.port}.`,
      'Find the Redis port: sudo ss -ltnp | grep redis-server, and grep -nE \'^\\s*(port|tls-port)\' /etc/redis/redis.conf',
      'Point the client at the Redis port (REDIS_URL / REDIS_PORT), or move the other service if Redis must own this port.',
    ],
    verify: rerun(t, 'the port answers +PONG.'),
  }),

  'bind-all-interfaces': (t: FixTarget): Remediation => {
    const ip = t.address && !t.address.startsWith('127.') && t.address !== '::1' ? t.address : '<server-ip>';
    return {
      id: 'bind-all-interfaces',
      title: 'Let Redis listen on the network interface the clients reach',
      risk: 'medium',
      mode: 'guided',
      steps: [
        `On ${t.host}: grep -nE '^\\s*bind' /etc/redis/redis.conf — "bind 127.0.0.1 -::1" accepts local clients only.`,
        `Prefer the one interface the clients use: bind 127.0.0.1 -::1 ${ip} (bind * -::* or 0.0.0.0 listens on every interface; only behind a firewall).`,
        'Security: an address reachable from other hosts needs a password (requirepass or an ACL user) and a firewall that admits only the application hosts; otherwise anyone who reaches the port can read and wipe the data. Without a password, protected mode will answer remote clients with -DENIED.',
        `Apply: sudo systemctl restart redis-server — or at runtime, from the Redis host: ${localCli(t)} CONFIG SET bind "127.0.0.1 -::1 ${ip}".`,
        keepSetting(t, localCli(t), `bind 127.0.0.1 -::1 ${ip}`),
        `Check: sudo ss -ltnp | grep ':${t.port}' now lists ${ip}:${t.port}. In a container, bind the container interface (0.0.0.0) and publish the port (docker run -p ${t.port}:6379).`,
      ],
      verify: rerun(t, `${cli(t)} PING answers from the client host.`),
    };
  },

  'open-firewall-port': (t: FixTarget): Remediation => ({
    id: 'open-firewall-port',
    title: `Allow the clients through the firewall to TCP port ${t.port}`,
    risk: 'medium',
    mode: 'guided',
    steps: [
      `From the client: nc -vz ${t.host} ${t.port} — "refused" or a hang with Redis running points at a firewall.`,
      `On ${t.host}, look at the rules: sudo ufw status verbose; sudo firewall-cmd --list-all; sudo iptables -L INPUT -n -v --line-numbers; sudo nft list ruleset`,
      `UFW: sudo ufw allow from <client-ip> to any port ${t.port} proto tcp`,
      `firewalld: sudo firewall-cmd --permanent --zone=public --add-rich-rule='rule family="ipv4" source address="<client-ip>" port protocol="tcp" port="${t.port}" accept' && sudo firewall-cmd --reload`,
      `iptables: sudo iptables -I INPUT -p tcp -s <client-ip> --dport ${t.port} -j ACCEPT, then save it (sudo netfilter-persistent save or iptables-save).`,
      `Cloud: allow inbound TCP ${t.port} from the clients' subnet or security group in the security group / NSG / network ACL.`,
      `Be as narrow as possible: never open ${t.port} to 0.0.0.0/0; Redis must not be reachable from the internet.`,
    ],
    verify: rerun(t, `nc -vz ${t.host} ${t.port} succeeds.`),
  }),

  'check-network-path': (t: FixTarget): Remediation => ({
    id: 'check-network-path',
    title: `Check the network path from the client to ${t.host}`,
    risk: 'low',
    mode: 'guided',
    steps: [
      `ping -c 3 ${t.host} — no answer at all: the host is down, or ICMP is filtered too.`,
      `traceroute -n -T -p ${t.port} ${t.host} (or tracepath -n ${t.host}) — the last hop that answers is where packets stop.`,
      `ip route get ${t.address ?? t.host} — confirms the client has a route and which interface it uses.`,
      `nc -vz -w 3 ${t.host} ${t.port} — a hang means SYNs are dropped (firewall DROP, security group, NACL, wrong VPC/VPN route).`,
      'Check cloud security groups / NACLs, VPN and VPC peering routes between the client and the Redis host, and that the host is up.',
    ],
    verify: rerun(t, 'the TCP connect succeeds.'),
  }),

  'fix-dns': (t: FixTarget, p: { temporary?: boolean } = {}): Remediation => ({
    id: 'fix-dns',
    title: p.temporary ? `Repair name resolution for ${t.host} (the resolver did not answer)` : `Correct the name ${t.host} or its DNS record`,
    risk: 'low',
    mode: 'guided',
    steps: [
      `getent ahosts ${t.host} — resolves the way applications do (/etc/hosts, then DNS).`,
      `dig +short ${t.host} (nslookup ${t.host} on Windows); dig ${t.host} @<dns-server> asks a specific server.`,
      p.temporary
        ? 'The resolver failed or timed out: cat /etc/resolv.conf (or resolvectl status) and check that those nameservers are reachable from this host.'
        : `Check the spelling, that the record exists in its zone, and any /etc/hosts entry; in Kubernetes use <service>.<namespace>.svc.cluster.local.`,
      'Fix the record, the /etc/hosts entry or the client configuration (REDIS_HOST / REDIS_URL); an IP address works as a stop-gap.',
    ],
    verify: rerun(t, `getent ahosts ${t.host} lists the Redis server address.`),
  }),

  'check-server-responsiveness': (t: FixTarget): Remediation => ({
    id: 'check-server-responsiveness',
    title: `Find out why ${t.host}:${t.port} accepts connections but does not answer`,
    risk: 'low',
    mode: 'guided',
    steps: [
      `On ${t.host}: sudo ss -ltnp 'sport = :${t.port}' — is it redis-server that owns the port?`,
      'ps -o pid,stat,etime,cmd -C redis-server — STAT "T" means the process is stopped (kill -CONT <pid> resumes it); "D" means it waits on disk.',
      'free -h and vmstat 1 5 — heavy swapping stalls Redis; check the log (journalctl -u redis-server, /var/log/redis/redis-server.log) for "Loading", "fork" or "Background saving" lines.',
      `${localCli(t)} --latency — run on the host; very high numbers confirm a stalled server.`,
    ],
    verify: rerun(t, 'PING is answered.'),
  }),

  'use-tls': (t: FixTarget): Remediation => ({
    id: 'use-tls',
    title: `Connect with TLS: port ${t.port} speaks TLS`,
    risk: 'low',
    mode: 'guided',
    steps: [
      `Test: redis-cli -h ${t.host} -p ${t.port} --tls --cacert /path/to/ca.crt PING (--insecure skips certificate checks, for a test only).`,
      `Use ${url({ ...t, tls: true })} in the client configuration (ioredis: tls: {}, redis-py: ssl=True, Jedis: rediss:// URL), with the CA that signed the server certificate.`,
      `redis-doctor: diagnose ${url({ ...t, tls: true }, { auth: false })} --tls-ca /path/to/ca.crt`,
    ],
    verify: rerun({ ...t, tls: true }, 'the TLS handshake succeeds and PING answers.'),
  }),

  'use-plaintext': (t: FixTarget): Remediation => ({
    id: 'use-plaintext',
    title: `Connect without TLS: port ${t.port} speaks plaintext RESP`,
    risk: 'low',
    mode: 'guided',
    steps: [
      `Test: redis-cli -h ${t.host} -p ${t.port} PING (no --tls).`,
      `Use ${url({ ...t, tls: false })} (redis://, not rediss://) and turn off the client TLS option — or, if traffic must be encrypted, enable a TLS port on the server (enable-tls-port) and connect to that one.`,
      `Check whether the server has a TLS port: ${localCli({ ...t, tls: false })} CONFIG GET tls-port (run on the Redis host).`,
    ],
    verify: rerun({ ...t, tls: false }, 'PING answers.'),
  }),

  'enable-tls-port': (t: FixTarget): Remediation => ({
    id: 'enable-tls-port',
    title: 'Enable TLS on the Redis server',
    risk: 'medium',
    mode: 'guided',
    steps: [
      'Redis must be built with TLS support (BUILD_TLS=yes; the Debian/Ubuntu packages and the official image are): ldd "$(command -v redis-server)" | grep -i libssl lists libssl when it is.',
      'In redis.conf: tls-port <port>, tls-cert-file /etc/redis/tls/redis.crt, tls-key-file /etc/redis/tls/redis.key, tls-ca-cert-file /etc/redis/tls/ca.crt (tls-auth-clients optional to skip client certificates).',
      `Keep port ${t.port} plaintext while clients move, then set port 0 to switch plaintext off.`,
      'sudo systemctl restart redis-server, and give clients the CA certificate.',
    ],
    verify: rerun({ ...t, tls: true }, 'the TLS handshake succeeds.'),
  }),
} as const;
