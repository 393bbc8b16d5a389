/**
 * An unresolvable name, without a single packet leaving this machine.
 *
 * The system resolver (/etc/resolv.conf) names a non-loopback server, and
 * glibc sends every name to it — checked here: `.invalid`, `.localhost`,
 * `.local` and single-label names are all queried, none is refused locally.
 * So a test must not resolve in this process at all. Instead:
 *
 *  - createNxdomainNetns() makes a network namespace whose /etc/resolv.conf
 *    (`ip netns exec` bind-mounts /etc/netns/<name>/resolv.conf over it)
 *    names the host end of its veth, where startNxdomainResponder() answers
 *    every query with NXDOMAIN (RCODE 3). getaddrinfo then fails with
 *    EAI_NONAME, which Node reports as ENOTFOUND;
 *  - the engine runs in a child process inside that namespace
 *    (diagnoseInNetns() in diagnose-in-netns.ts). The namespace has no route
 *    but its /30, so even a misconfigured resolver could not reach further.
 *
 * `unshare --mount` with a bind-mounted resolv.conf works too, but a
 * resolver on 127.0.0.1:53 would be shared by every test process on the
 * machine; the veth address is ours alone.
 */
import { createSocket } from 'node:dgram';
import { createNetns, type Netns } from './netns.js';

export interface NxdomainResponder {
  address: string;
  port: number;
  /** The names asked for, in order (e.g. one A and one AAAA query per lookup). */
  queries: string[];
  close(): Promise<void>;
}

/** The question name of a DNS message, or undefined if it is malformed. */
function questionName(msg: Buffer): { name: string; end: number } | undefined {
  const labels: string[] = [];
  let i = 12;
  for (let steps = 0; steps < 128 && i < msg.length; steps++) {
    const len = msg[i]!;
    if (len === 0) return { name: labels.join('.'), end: i + 5 }; // zero byte + QTYPE + QCLASS
    if (len > 63) return undefined; // compression pointers never appear in a question we are sent
    labels.push(msg.subarray(i + 1, i + 1 + len).toString('latin1'));
    i += len + 1;
  }
  return undefined;
}

/** A UDP DNS server that answers every query NXDOMAIN (RFC 1035 §4.1.1: RCODE 3, name error). */
export function startNxdomainResponder(address: string, port = 53): Promise<NxdomainResponder> {
  const socket = createSocket('udp4');
  const queries: string[] = [];
  socket.on('message', (msg, peer) => {
    const question = msg.length >= 12 ? questionName(msg) : undefined;
    if (!question || question.end > msg.length) return;
    queries.push(question.name);
    const reply = Buffer.from(msg.subarray(0, question.end));
    reply[2] = 0x80 | (msg[2]! & 0x79); // QR=1, keep opcode and RD
    reply[3] = 0x80 | 3; // RA=1, RCODE=3
    reply.writeUInt16BE(1, 4); // one question, no answers/authority/additional
    reply.fill(0, 6, 12);
    socket.send(reply, peer.port, peer.address);
  });
  return new Promise((resolve, reject) => {
    socket.once('error', reject);
    socket.bind(port, address, () => {
      socket.off('error', reject);
      resolve({
        address,
        port: socket.address().port,
        queries,
        close: () => new Promise((done) => socket.close(() => done())),
      });
    });
  });
}

export interface NxdomainNetns {
  netns: Netns;
  responder: NxdomainResponder;
  destroy(): Promise<void>;
}

/** A namespace where every name is NXDOMAIN (see above). */
export async function createNxdomainNetns(): Promise<NxdomainNetns> {
  const netns = await createNetns();
  try {
    const responder = await startNxdomainResponder(netns.hostAddress);
    // timeout/attempts keep a lost reply from costing the glibc default 5 s × 2.
    await netns.setResolvConf(`nameserver ${netns.hostAddress}\noptions timeout:1 attempts:1\n`);
    return {
      netns,
      responder,
      async destroy() {
        await responder.close();
        await netns.destroy();
      },
    };
  } catch (error) {
    await netns.destroy();
    throw error;
  }
}
