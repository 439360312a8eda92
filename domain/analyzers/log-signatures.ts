/**
 * `pod.log_signature`: causes a failing container's log states outright — an expired
 * certificate, a full disk, a host that does not resolve, a refused connection, a missing
 * environment variable, a shell syntax error, a runtime heap exhausted — read from the condensed
 * log tail of its crashed instance, and turned into a finding that names the cause and the action
 * that fits it (mostly `escalate`: a restart cannot renew a certificate or free a disk).
 *
 * The signatures are data ({@link LOG_SIGNATURES}): one entry per signature with its pattern, the
 * category, a cause template, the actions and a confidence. Patterns follow the messages as the
 * runtimes, libraries and shells print them (Go `crypto/x509` and `net`, Node.js `errno` codes,
 * glibc `strerror`, libpq, MySQL, the JVM, V8, POSIX shells); each entry names its source.
 */
import type { ActionKind, Analyzer, Category, ContainerLog, Evidence, Finding } from '../diagnosis.ts';
import { describeExitCode } from './exit-codes.ts';
import { findBadRollout, preferRollback } from './revisions.ts';
import {
  type ContainerView,
  capitalise,
  clip,
  containerLabel,
  containerViews,
  lastTermination,
  lines,
  nameOf,
  ownerName,
  podSubject,
  terminationLine,
  waitingLine,
} from './support.ts';

/** One log signature: a stated cause and what to do about it. */
export interface LogSignature {
  /** Stable identifier, e.g. `tls_certificate_expired`; becomes `params.signature`. */
  id: string;
  /** Matched against each log line; named groups (`host`, `key`, `path`, …) fill the cause template. */
  pattern: RegExp;
  /** The finding's category; absent: the container's failure category (`crash_loop`, or `init_failure` for init containers). */
  category?: Category;
  /**
   * The stated cause, e.g. `host name {host|of a dependency} cannot be resolved`, filled by
   * {@link fillCause} from the pattern's named groups.
   */
  cause: string;
  /** Catalog actions that fit, best first. */
  actions: ActionKind[];
  /** 0–1; above the crash-loop finding's 0.85 so the stated cause wins. */
  confidence: number;
  /**
   * For runtime heaps: a heap cap written in the container's command, args or env. Without one,
   * and with a memory limit, the runtime sizes its heap from the container's limit, so
   * `raise_memory` fits first.
   */
  raiseMemoryUnless?: RegExp;
  /** Where the message format comes from. */
  source: string;
}

/** Host, host:port or IP:port as libraries print them. */
const HOST = String.raw`(?:[A-Za-z0-9_][\w.-]*|\[[0-9a-fA-F:]+\])(?::\d+)?`;
/** Host or IP with a port: `db.shop.svc:5432`, `[fd00::1]:80`. */
const HOST_PORT = String.raw`(?:[A-Za-z0-9_][\w.-]*|\[[0-9a-fA-F:]+\]):\d+`;

/**
 * The signature library, most specific first: the first entry matching any line of the tail wins.
 */
export const LOG_SIGNATURES: readonly LogSignature[] = [
  {
    id: 'exec_format_error',
    pattern: /exec (?<path>\S+?):? exec format error|exec format error/i,
    category: 'image_arch_mismatch',
    cause: 'the image is built for another CPU architecture than the node ({path|its binary}: exec format error)',
    actions: ['escalate'],
    confidence: 0.95,
    source: 'Linux execve(2) ENOEXEC as printed by runc/containerd: "exec /app: exec format error"',
  },
  {
    id: 'tls_certificate_expired',
    pattern: /certificate has expired|CERT_HAS_EXPIRED|CertificateExpiredException|certificate expired/i,
    cause: 'a TLS certificate it uses or checks has expired',
    actions: ['escalate'],
    confidence: 0.92,
    source: 'Go crypto/x509 "x509: certificate has expired or is not yet valid"; OpenSSL/Node CERT_HAS_EXPIRED; JDK CertificateExpiredException',
  },
  {
    id: 'tls_certificate_invalid',
    pattern:
      /x509: certificate (?:signed by unknown authority|is valid for|is not valid for)|unable to verify the first certificate|UNABLE_TO_VERIFY_LEAF_SIGNATURE|SELF_SIGNED_CERT_IN_CHAIN|DEPTH_ZERO_SELF_SIGNED_CERT|CERTIFICATE_VERIFY_FAILED|certificate verify failed|PKIX path building failed/i,
    cause: 'a TLS certificate is not trusted or does not match the host name it is used for',
    actions: ['escalate'],
    confidence: 0.9,
    source: 'Go crypto/x509 errors; OpenSSL verify codes (Node, Python ssl); JDK PKIX',
  },
  {
    id: 'disk_full',
    pattern: /no space left on device|ENOSPC|disk quota exceeded|EDQUOT|could not extend file/i,
    cause: 'the disk or volume it writes to is full (no space left on device)',
    actions: ['escalate'],
    confidence: 0.92,
    source: 'glibc strerror(ENOSPC) "No space left on device"; Node ENOSPC; PostgreSQL "could not extend file"',
  },
  {
    id: 'read_only_filesystem',
    pattern: /read-only file system|EROFS/i,
    cause: 'it writes to a read-only file system (readOnlyRootFilesystem or a read-only mount)',
    actions: ['escalate'],
    confidence: 0.9,
    source: 'glibc strerror(EROFS) "Read-only file system"',
  },
  {
    id: 'java_heap_oom',
    pattern: /java\.lang\.OutOfMemoryError: (?<what>Java heap space|GC overhead limit exceeded|Metaspace|Requested array size exceeds VM limit)/,
    category: 'oom_killed',
    cause: 'the JVM ran out of heap ({what}) before the container reached its memory limit',
    actions: ['escalate'],
    raiseMemoryUnless: /-Xmx|MaxHeapSize|MaxRAM(?!Percentage)/,
    confidence: 0.92,
    source: 'JDK java.lang.OutOfMemoryError messages',
  },
  {
    id: 'node_heap_oom',
    pattern: /JavaScript heap out of memory|Reached heap limit Allocation failed/,
    category: 'oom_killed',
    cause: 'the Node.js heap ran out (JavaScript heap out of memory) before the container reached its memory limit',
    actions: ['escalate'],
    raiseMemoryUnless: /--max-old-space-size/,
    confidence: 0.92,
    source: 'V8 "FATAL ERROR: Reached heap limit Allocation failed - JavaScript heap out of memory"',
  },
  {
    id: 'go_runtime_oom',
    pattern: /fatal error: runtime: out of memory/,
    category: 'oom_killed',
    cause: 'the Go runtime could not allocate memory (runtime: out of memory)',
    actions: ['escalate'],
    raiseMemoryUnless: /GOMEMLIMIT/,
    confidence: 0.9,
    source: 'Go runtime "fatal error: runtime: out of memory"',
  },
  {
    id: 'db_auth_failed',
    pattern:
      /password authentication failed for user "(?<user>[^"]+)"|Access denied for user '(?<user2>[^']+)'|SASL authentication failed|Authentication failed\.? ?(?:for user|\(|$)|authentication failed for user|ORA-01017|Login failed for user '(?<user3>[^']+)'/i,
    cause: 'the database refuses its credentials (authentication failed{?user| for user "$"})',
    actions: ['escalate'],
    confidence: 0.92,
    source: 'libpq "password authentication failed for user"; MySQL ER_ACCESS_DENIED_ERROR; MongoDB/Kafka SASL; SQL Server 18456; Oracle ORA-01017',
  },
  {
    id: 'dns_resolution_failed',
    pattern: new RegExp(
      String.raw`getaddrinfo (?:ENOTFOUND|EAI_AGAIN) (?<host>${HOST})|lookup (?<host2>${HOST})(?: on [\d.:\[\]]+)?:[^\n]{0,80}?(?:no such host|server misbehaving|i/o timeout)|could not translate host name "(?<host3>[^"]+)"|UnknownHostException: (?<host4>${HOST})|Temporary failure in name resolution|Name or service not known|nodename nor servname provided|Name does not resolve`,
      'i',
    ),
    cause: 'host name {host|of a dependency} cannot be resolved (DNS lookup fails)',
    actions: ['escalate'],
    confidence: 0.9,
    source: 'Go net "lookup x on 10.96.0.10:53: no such host"; Node getaddrinfo ENOTFOUND; libpq "could not translate host name"; glibc EAI_NONAME/EAI_AGAIN',
  },
  {
    id: 'port_in_use',
    pattern: /EADDRINUSE|address already in use|Address in use|port is already allocated|BindException/i,
    cause: 'the port it listens on is already in use',
    actions: ['escalate'],
    confidence: 0.9,
    source: 'glibc strerror(EADDRINUSE) "Address already in use"; Go "bind: address already in use"; Node EADDRINUSE; JDK BindException',
  },
  {
    id: 'missing_env_var',
    pattern:
      /(?:environment variable|env var|env) "?(?<key>[A-Z][A-Z0-9_]{2,})"? (?:is )?(?:not set|missing|required|undefined|must be set|is empty)|required key (?<key2>[A-Z][A-Z0-9_]+) missing value|(?<key3>[A-Z][A-Z0-9_]{2,}): unbound variable|KeyError: '(?<key4>[A-Z][A-Z0-9_]{2,})'|(?<key5>\b[A-Z][A-Z0-9]*_[A-Z0-9_]+)"? (?:environment variable )?(?:is not set|is not defined|is required|must be set|is undefined)|missing required (?:configuration|config|setting|environment variable|env)(?: key| value)?s?:? "?'?(?<key6>[\w.-]+)|Could not resolve placeholder '(?<key7>[^']+)'/,
    cause: 'a required setting is missing: {key|an environment variable or config key} is not set',
    actions: ['escalate'],
    confidence: 0.9,
    source: 'kelseyhightower/envconfig "required key X missing value"; bash "X: unbound variable"; Python os.environ KeyError; Spring "Could not resolve placeholder"',
  },
  {
    id: 'shell_syntax_error',
    pattern: /syntax error near unexpected token|Syntax error: .{1,40} unexpected|unexpected EOF while looking for matching|syntax error: unexpected (?:end of file|word)/,
    cause: 'its shell command has a syntax error',
    actions: ['escalate'],
    confidence: 0.92,
    source: 'bash "syntax error near unexpected token"; dash "Syntax error: \\"(\\" unexpected"',
  },
  {
    id: 'executable_not_found',
    pattern:
      /exec: "(?<cmd>[^"]+)": executable file not found|exec: (?<cmd2>[\w./-]+): not found|(?<cmd3>[\w./-]+): command not found|exec (?<cmd4>\S+): no such file or directory|can't execute '(?<cmd5>[^']+)': No such file/,
    cause: 'the command {cmd|it runs} does not exist in the image',
    actions: ['escalate'],
    confidence: 0.9,
    source: 'Go os/exec "executable file not found in $PATH"; dash "exec: x: not found"; bash "command not found"; busybox "can\'t execute"',
  },
  {
    id: 'permission_denied',
    pattern: /(?<path>\/[\w./-]+)?:? ?(?:permission denied|EACCES|operation not permitted)/i,
    cause: 'it is denied access{?path| to $} (permission denied: file ownership, fsGroup or securityContext)',
    actions: ['escalate'],
    confidence: 0.88,
    source: 'glibc strerror(EACCES) "Permission denied", strerror(EPERM); Node EACCES',
  },
  {
    id: 'connection_refused',
    pattern: new RegExp(
      String.raw`connection to server at "(?<host3>[^"]+)"[^\n]*?port (?<port>\d+) failed: Connection refused|(?:ECONNREFUSED|dial tcp|connect to|connecting to|connection to) ?(?<host>${HOST})?[^\n]{0,80}?(?:connection refused|ECONNREFUSED)|ECONNREFUSED (?<host2>${HOST})|(?<host4>${HOST}):? connection refused|connection refused`,
      'i',
    ),
    cause: 'a dependency{?host| at $}{?port|, port $,} refuses connections (connection refused)',
    actions: ['restart', 'escalate'],
    confidence: 0.87,
    source: 'glibc strerror(ECONNREFUSED) "Connection refused"; Go "dial tcp 10.0.0.5:5432: connect: connection refused"; Node "connect ECONNREFUSED"; libpq "connection to server at … port 5432 failed: Connection refused"',
  },
  {
    id: 'connection_timed_out',
    pattern: new RegExp(
      String.raw`(?<host>${HOST_PORT})[^\n]{0,40}?(?:connection timed out|i/o timeout|ETIMEDOUT)|(?:ETIMEDOUT|dial tcp) (?<host2>${HOST_PORT})|connection timed out|ETIMEDOUT`,
      'i',
    ),
    cause: 'its connections to {host|a dependency} time out',
    actions: ['restart', 'escalate'],
    confidence: 0.87,
    source: 'glibc strerror(ETIMEDOUT) "Connection timed out"; Go "dial tcp x: i/o timeout"; Node ETIMEDOUT',
  },
];

/** A signature matched on one log line. */
export interface SignatureMatch {
  signature: LogSignature;
  /** The matching line as logged. */
  line: string;
  /** Named groups that matched, with numbered aliases (`host2`) folded into their base name. */
  groups: Record<string, string>;
}

/**
 * The first signature (in library order) that matches any of the lines.
 *
 * @param logLines condensed log lines, oldest first.
 * @param library signatures to try (default {@link LOG_SIGNATURES}).
 * @returns the match on the newest matching line of the winning signature, or `undefined`.
 * @example matchLogSignature(['Error: getaddrinfo ENOTFOUND db.shop.svc'])?.groups.host // 'db.shop.svc'
 */
export function matchLogSignature(logLines: readonly string[], library: readonly LogSignature[] = LOG_SIGNATURES): SignatureMatch | undefined {
  for (const signature of library) {
    for (let i = logLines.length - 1; i >= 0; i--) {
      const m = signature.pattern.exec(logLines[i]!);
      if (m) return { signature, line: logLines[i]!, groups: foldGroups(m.groups ?? {}) };
    }
  }
  return undefined;
}

function foldGroups(groups: Record<string, string | undefined>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(groups)) {
    const base = name.replace(/\d+$/, '');
    if (value !== undefined && out[base] === undefined) out[base] = value.replace(/[.,;:)"']+$/, '');
  }
  return out;
}

/**
 * Fill a cause template: `{name}` → the named group (empty when absent), `{name|fallback}` → the
 * group else `fallback`, `{?name|phrase $}` → the phrase with `$` replaced by the group, or nothing
 * when the group did not match.
 *
 * @example fillCause('host {host|a dependency} fails', { host: 'db' }) // 'host db fails'
 * @example fillCause('denied{?path| to $}', {}) // 'denied'
 */
export function fillCause(template: string, groups: Record<string, string>): string {
  return template.replace(/\{(\??)(\w+)(?:\|([^}]*))?\}/g, (_, optional: string, name: string, alt: string | undefined) => {
    const value = groups[name];
    if (optional) return value !== undefined ? (alt ?? '$').replace('$', value) : '';
    return value ?? alt ?? '';
  });
}

/** Container waiting reasons and states this analyzer reads logs for. */
function isFailing(view: ContainerView): boolean {
  const term = lastTermination(view.status);
  if (term?.reason === 'OOMKilled') return false;
  if (view.status.state?.waiting?.reason === 'CrashLoopBackOff') return true;
  if (view.init) return term !== undefined && term.exitCode !== 0 && view.status.ready !== true;
  return (view.status.restartCount ?? 0) >= 3 && view.status.ready === false && term !== undefined && term.exitCode !== 0;
}

/**
 * `pod.log_signature`: for each crash-looping app container and each failing init container
 * (not of Job pods: `job.failed` owns those), the first {@link LOG_SIGNATURES} entry its log
 * matches. Cause: `Container api keeps crashing with exit code 1 (application error): <stated
 * cause>`. Actions from the signature (`rollback` first when the pod belongs to a bad rollout).
 * Params: `pod`, `container`, `signature`, the matched groups (`host`, `key`, …), `exitCode`.
 */
export const logSignatureAnalyzer: Analyzer = {
  name: 'pod.log_signature',
  analyze(evidence) {
    const bad = findBadRollout(evidence);
    return evidence.pods
      .filter((pod) => ownerName(pod, 'Job') === undefined)
      .flatMap((pod) =>
        containerViews(pod)
          .filter(isFailing)
          .flatMap((view) => {
            const log = pickLog(evidence.logs, nameOf(pod), view.status.name);
            const match = log && matchLogSignature(log.lines);
            return match ? [preferRollback(signatureFinding(evidence, view, log, match), bad, pod)] : [];
          }),
      );
  },
};

function pickLog(logs: ContainerLog[], pod: string, container: string): ContainerLog | undefined {
  const mine = logs.filter((l) => l.pod === pod && l.container === container);
  return mine.find((l) => l.previous) ?? mine[0];
}

function signatureFinding(evidence: Evidence, view: ContainerView, log: ContainerLog, match: SignatureMatch): Finding {
  const { signature, groups } = match;
  const term = lastTermination(view.status);
  const failing = view.init
    ? `${capitalise(containerLabel(view))} fails${term ? ` with ${describeExitCode(term.exitCode)}` : ''}`
    : `${capitalise(containerLabel(view))} keeps crashing${term ? ` with ${describeExitCode(term.exitCode)}` : ''}`;
  const limit = view.spec?.resources?.limits?.memory;
  const heapCapped = signature.raiseMemoryUnless?.test(JSON.stringify([view.spec?.command, view.spec?.args, view.spec?.env])) ?? true;
  const raise = signature.raiseMemoryUnless !== undefined && limit !== undefined && !heapCapped;
  const actions: ActionKind[] = raise ? ['raise_memory', ...signature.actions.filter((a) => a !== 'raise_memory')] : [...signature.actions];
  const heapNote = signature.raiseMemoryUnless === undefined ? '' : raise ? `; the runtime sizes its heap from the container's ${limit} limit` : limit === undefined ? '' : '; a heap cap in its command or env limits it, not the container limit';
  const label = log.previous ? `${view.status.name} (previous instance)` : view.status.name;
  return {
    analyzer: 'pod.log_signature',
    category: signature.category ?? (view.init ? 'init_failure' : 'crash_loop'),
    cause: `${failing}: ${fillCause(signature.cause, groups)}${heapNote}`,
    evidence: lines(clip(`Log ${label}: ${match.line}`), terminationLine(view), waitingLine(view)),
    actions,
    confidence: signature.confidence,
    subject: podSubject(view.pod),
    params: {
      pod: nameOf(view.pod),
      container: view.status.name,
      signature: signature.id,
      ...Object.fromEntries(Object.entries(groups).map(([k, v]) => [k, clip(v, 120)])),
      ...(term ? { exitCode: term.exitCode } : {}),
      ...(raise ? { currentLimit: String(limit) } : {}),
    },
  };
}
