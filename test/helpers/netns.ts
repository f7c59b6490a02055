/**
 * A network lab for silent-partition tests (SPEC §11 R9): a "server" network namespace that holds the
 * database servers, and hosts joined to it by veth pairs, each pair its own /30 inside 10.213.X.0/24
 * (X drawn per lab and checked free). A host is either a namespace of its own (run a daemon in it
 * with `wrap`) or a link whose near end sits in the test's own namespace (for in-process clients).
 * `partition(i)` drops every packet on host i's link inside the server namespace (iptables DROP in
 * both directions: no RST, no ICMP — the peers just stop hearing each other); `heal(i)` removes the
 * rules. Only addresses of namespaces the lab made are ever used.
 *
 * Needs root, `ip` (iproute2), `nsenter` and `iptables`. `close()` kills what runs in the lab's
 * namespaces and deletes them and the links; an exit hook does the same if a test dies first, and a
 * new lab removes leftovers of dead test processes (names carry the pid).
 */
import { execFileSync } from "node:child_process";
import { existsSync } from "node:fs";

const PREFIX = "astlab";

export interface LabHost {
  /** This host's namespace, or undefined when its end of the link is in the test's own namespace. */
  ns?: string;
  /** This host's own address on its link. */
  address: string;
  /** The server's address as this host reaches it. */
  serverAddress: string;
  /** The argv that runs `argv` inside this host's namespace (unchanged for a root-side link). */
  wrap: (argv: string[]) => string[];
}

export interface NetLab {
  /** The namespace of the database servers. */
  server: { ns: string; wrap: (argv: string[]) => string[] };
  hosts: LabHost[];
  /**
   * Drops every packet between host i and the server, silently, until heal(i). "replies" drops only
   * what the server sends to host i: requests arrive and are executed, their answers are lost.
   */
  partition(i: number, direction?: "both" | "replies"): void;
  heal(i: number): void;
  partitioned(i: number): boolean;
  /** Idempotent. */
  close(): void;
}

function run(argv: string[]): string {
  return execFileSync(argv[0], argv.slice(1), { stdio: ["ignore", "pipe", "pipe"] }).toString();
}

const tryRun = (argv: string[]) => {
  try {
    run(argv);
  } catch {
    // already gone
  }
};

const which = (name: string) => ["/usr/sbin", "/sbin", "/usr/bin", "/bin"].some((d) => existsSync(`${d}/${name}`));

/** Why this machine cannot build a lab, or undefined when it can. Under CI=true: throws instead. */
export function netLabUnavailable(): string | undefined {
  let reason: string | undefined;
  if (process.getuid?.() !== 0) reason = "network namespaces need root";
  else if (!which("ip")) reason = "`ip` (iproute2) is not installed";
  else if (!which("iptables")) reason = "`iptables` is not installed";
  else if (!which("nsenter")) reason = "`nsenter` (util-linux) is not installed";
  if (reason && process.env.CI === "true") throw new Error(`partition tests must run under CI: ${reason} (.ci/run installs it)`);
  return reason;
}

const nsWrap = (ns: string) => (argv: string[]) => ["nsenter", `--net=/run/netns/${ns}`, "--", ...argv];

/** Removes namespaces and links left by test processes that no longer exist. */
function sweep(): void {
  const alive = (pid: number) => {
    try {
      process.kill(pid, 0);
      return true;
    } catch {
      return false;
    }
  };
  for (const line of run(["ip", "netns", "list"]).split("\n")) {
    const m = new RegExp(`^(${PREFIX}-(\\d+)-\\d+-\\w+)`).exec(line);
    if (m && !alive(Number(m[2]))) removeNs(m[1]);
  }
}

function removeNs(ns: string): void {
  let pids: string[] = [];
  try {
    pids = run(["ip", "netns", "pids", ns]).split(/\s+/).filter(Boolean);
  } catch {
    // no such namespace
  }
  for (const pid of pids) {
    try {
      process.kill(Number(pid), "SIGKILL");
    } catch {
      // gone
    }
  }
  tryRun(["ip", "netns", "del", ns]);
}

function freeSubnet(): number {
  const used = run(["ip", "-o", "-4", "addr"]);
  for (let i = 0; i < 50; i++) {
    const x = Math.floor(Math.random() * 256);
    if (!used.includes(`10.213.${x}.`)) return x;
  }
  throw new Error("no free 10.213.X.0/24 for a network lab");
}

let labs = 0;

/**
 * Builds a lab with one host per entry of `kinds` ("ns": a namespace of its own; "root": a link whose
 * near end is in this process's namespace). Host i's link is 10.213.X.(4i)/30: host .4i+1, server .4i+2.
 */
export function netLab(kinds: ("ns" | "root")[]): NetLab {
  if (kinds.length > 60) throw new Error("at most 60 hosts per lab");
  sweep();
  const id = `${PREFIX}-${process.pid}-${labs++}`;
  const short = `a${process.pid.toString(36)}${(labs - 1).toString(36)}`;
  const serverNs = `${id}-srv`;
  const namespaces = [serverNs];
  const rootLinks: string[] = [];
  const dropped = new Set<number>();
  let closed = false;
  const close = () => {
    if (closed) return;
    closed = true;
    for (const link of rootLinks) tryRun(["ip", "link", "del", link]);
    for (const ns of namespaces) removeNs(ns);
    process.removeListener("exit", close);
  };
  process.on("exit", close);
  const x = freeSubnet();
  const srvIf = (i: number) => `${short}s${i}`;
  try {
    run(["ip", "netns", "add", serverNs]);
    run(["ip", "-n", serverNs, "link", "set", "lo", "up"]);
    const hosts = kinds.map((kind, i): LabHost => {
      const hostAddr = `10.213.${x}.${4 * i + 1}`;
      const serverAddr = `10.213.${x}.${4 * i + 2}`;
      const near = `${short}h${i}`;
      run(["ip", "link", "add", near, "type", "veth", "peer", "name", srvIf(i)]);
      run(["ip", "link", "set", srvIf(i), "netns", serverNs]);
      run(["ip", "-n", serverNs, "addr", "add", `${serverAddr}/30`, "dev", srvIf(i)]);
      run(["ip", "-n", serverNs, "link", "set", srvIf(i), "up"]);
      if (kind === "root") {
        rootLinks.push(near);
        run(["ip", "addr", "add", `${hostAddr}/30`, "dev", near]);
        run(["ip", "link", "set", near, "up"]);
        return { address: hostAddr, serverAddress: serverAddr, wrap: (argv) => argv };
      }
      const ns = `${id}-h${i}`;
      namespaces.push(ns);
      run(["ip", "netns", "add", ns]);
      run(["ip", "link", "set", near, "netns", ns]);
      run(["ip", "-n", ns, "link", "set", "lo", "up"]);
      run(["ip", "-n", ns, "addr", "add", `${hostAddr}/30`, "dev", near]);
      run(["ip", "-n", ns, "link", "set", near, "up"]);
      return { ns, address: hostAddr, serverAddress: serverAddr, wrap: nsWrap(ns) };
    });
    const rules = (i: number, direction: "both" | "replies") => [
      ...(direction === "both" ? [["INPUT", "-i", srvIf(i), "-j", "DROP"]] : []),
      ["OUTPUT", "-o", srvIf(i), "-j", "DROP"],
    ];
    const applied = new Map<number, string[][]>();
    const iptables = (op: "-I" | "-D", rule: string[]) => run(["ip", "netns", "exec", serverNs, "iptables", op, ...rule]);
    return {
      server: { ns: serverNs, wrap: nsWrap(serverNs) },
      hosts,
      partition(i, direction = "both") {
        if (dropped.has(i)) return;
        const r = rules(i, direction);
        for (const rule of r) iptables("-I", rule);
        applied.set(i, r);
        dropped.add(i);
      },
      heal(i) {
        if (!dropped.has(i)) return;
        for (const rule of applied.get(i) ?? []) iptables("-D", rule);
        applied.delete(i);
        dropped.delete(i);
      },
      partitioned: (i) => dropped.has(i),
      close,
    };
  } catch (err) {
    close();
    throw err;
  }
}
