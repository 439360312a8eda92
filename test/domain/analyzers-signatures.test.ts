/**
 * `pod.log_signature`: the pattern library over log lines in the formats the runtimes, libraries
 * and shells print (each table row is such a line), and the analyzer over the real HolmesGPT
 * crash-looping pod (test/fixtures/analyzers/SOURCES.md) with those lines as its log tail.
 */
import { describe, expect, it } from 'vitest';
import { analyze } from '../../domain/analyzers/index.ts';
import { LOG_SIGNATURES, fillCause, logSignatureAnalyzer, matchLogSignature } from '../../domain/analyzers/log-signatures.ts';
import type { Evidence } from '../../domain/diagnosis.ts';
import type { Pod } from '../../domain/k8s-objects.ts';
import { evidenceFrom, loadObjects } from '../fixtures/analyzers/evidence.ts';

const CRASH_255 = 'pod-CrashLoopBackOff-exit255.holmesgpt.kubectl-get-yaml.yaml';
const POD = 'frontend-service';

/** The real crash-looping pod (container `stress`, limit 64Mi, exit 255) with one log line from its previous instance. */
function crashing(line: string, mutate: (pod: Pod) => void = () => {}): Evidence {
  const evidence = evidenceFrom(loadObjects(CRASH_255), {
    collectedAt: '2025-08-23T12:20:00Z',
    logs: [{ pod: POD, container: 'stress', previous: true, lines: ['starting', line, 'shutting down'] }],
  });
  mutate(evidence.pods[0]!);
  return evidence;
}

describe('log signature library', () => {
  it.each([
    ['exec /usr/local/bin/docker-entrypoint.sh: exec format error', 'exec_format_error', { path: '/usr/local/bin/docker-entrypoint.sh' }],
    ['Error: x509: certificate has expired or is not yet valid: current time 2026-03-02T10:27:41Z is after 2026-03-01T00:00:00Z', 'tls_certificate_expired', {}],
    ['Error: certificate has expired (code CERT_HAS_EXPIRED)', 'tls_certificate_expired', {}],
    ['tls: failed to verify certificate: x509: certificate signed by unknown authority', 'tls_certificate_invalid', {}],
    ['ssl.SSLCertVerificationError: [SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed: self signed certificate', 'tls_certificate_invalid', {}],
    ['PANIC:  could not write to file "pg_wal/xlogtemp.42": No space left on device', 'disk_full', {}],
    ["Error: ENOSPC: no space left on device, write", 'disk_full', {}],
    ['mkdir /app/cache: read-only file system', 'read_only_filesystem', {}],
    ['Exception in thread "main" java.lang.OutOfMemoryError: Java heap space', 'java_heap_oom', { what: 'Java heap space' }],
    ['FATAL ERROR: Reached heap limit Allocation failed - JavaScript heap out of memory', 'node_heap_oom', {}],
    ['fatal error: runtime: out of memory', 'go_runtime_oom', {}],
    ['psql: error: connection to server at "db" (10.96.0.7), port 5432 failed: FATAL:  password authentication failed for user "orders"', 'db_auth_failed', { user: 'orders' }],
    ["ERROR 1045 (28000): Access denied for user 'shop'@'10.244.1.7' (using password: YES)", 'db_auth_failed', { user: 'shop' }],
    ['Error: getaddrinfo ENOTFOUND redis.shop.svc.cluster.local', 'dns_resolution_failed', { host: 'redis.shop.svc.cluster.local' }],
    ['dial tcp: lookup postgres.shop.svc on 10.96.0.10:53: no such host', 'dns_resolution_failed', { host: 'postgres.shop.svc' }],
    ['psql: error: could not translate host name "orders-db" to address: Name or service not known', 'dns_resolution_failed', { host: 'orders-db' }],
    ['Error: listen EADDRINUSE: address already in use :::3000', 'port_in_use', {}],
    ['listen tcp :8080: bind: address already in use', 'port_in_use', {}],
    ['panic: required key DATABASE_URL missing value', 'missing_env_var', { key: 'DATABASE_URL' }],
    ['/entrypoint.sh: line 12: API_TOKEN: unbound variable', 'missing_env_var', { key: 'API_TOKEN' }],
    ["KeyError: 'SECRET_KEY'", 'missing_env_var', { key: 'SECRET_KEY' }],
    ['Error: environment variable STRIPE_API_KEY is not set', 'missing_env_var', { key: 'STRIPE_API_KEY' }],
    ['/bin/sh: 1: Syntax error: "(" unexpected', 'shell_syntax_error', {}],
    ["/docker-entrypoint.sh: line 7: syntax error near unexpected token `fi'", 'shell_syntax_error', {}],
    ['/bin/sh: 1: exec: gunicorn: not found', 'executable_not_found', { cmd: 'gunicorn' }],
    ['exec: "uvicorn": executable file not found in $PATH', 'executable_not_found', { cmd: 'uvicorn' }],
    ['open /var/lib/app/data.db: permission denied', 'permission_denied', { path: '/var/lib/app/data.db' }],
    ['Error: connect ECONNREFUSED 10.96.44.12:5672', 'connection_refused', { host: '10.96.44.12:5672' }],
    ['dial tcp 10.96.12.7:5432: connect: connection refused', 'connection_refused', { host: '10.96.12.7:5432' }],
    ['psql: error: connection to server at "orders-db" (10.96.0.7), port 5432 failed: Connection refused', 'connection_refused', { host: 'orders-db', port: '5432' }],
    ['[error] [net] TCP connection failed: elasticsearch.logging.svc:9200 (Connection timed out)', 'connection_timed_out', { host: 'elasticsearch.logging.svc:9200' }],
  ])('%s → %s', (line, id, groups) => {
    const match = matchLogSignature(['INFO starting', line]);
    expect(match?.signature.id).toBe(id);
    expect(match?.line).toBe(line);
    expect(match?.groups).toMatchObject(groups);
  });

  it.each([
    ['INFO  connected to postgres.shop.svc:5432'],
    ['config: PAYMENT_API_URL "payments.shop.svc:8443" is not a valid URL: missing scheme'],
    ['consumer poll timeout has expired, leaving group'],
    ['done: 18204 keys written in 98.2s'],
  ])('states no cause: %s', (line) => {
    expect(matchLogSignature([line])).toBeUndefined();
  });

  it('prefers the more specific signature when a tail states several (library order)', () => {
    const tail = ['Error: connect ECONNREFUSED 10.0.0.1:5432', 'x509: certificate has expired or is not yet valid'];
    expect(matchLogSignature(tail)?.signature.id).toBe('tls_certificate_expired');
  });

  it('has unique ids, a source, and confidences above the crash-loop finding (0.85)', () => {
    expect(new Set(LOG_SIGNATURES.map((s) => s.id)).size).toBe(LOG_SIGNATURES.length);
    for (const s of LOG_SIGNATURES) {
      expect(s.source.length, s.id).toBeGreaterThan(10);
      expect(s.confidence, s.id).toBeGreaterThan(0.85);
      expect(s.actions.length, s.id).toBeGreaterThan(0);
    }
  });

  it.each([
    ['host {host|of a dependency} fails', { host: 'db:5432' }, 'host db:5432 fails'],
    ['host {host|of a dependency} fails', {}, 'host of a dependency fails'],
    ['denied{?path| to $}', { path: '/data' }, 'denied to /data'],
    ['denied{?path| to $}', {}, 'denied'],
    ['heap ({what})', { what: 'Metaspace' }, 'heap (Metaspace)'],
  ])('fillCause(%s, %o) → %s', (template, groups, expected) => {
    expect(fillCause(template, groups)).toBe(expected);
  });
});

describe('pod.log_signature on the real crash-looping pod', () => {
  it.each([
    ['x509: certificate has expired or is not yet valid', 'crash_loop', ['escalate'], 'a TLS certificate it uses or checks has expired'],
    ['Error: getaddrinfo ENOTFOUND redis.shop.svc', 'crash_loop', ['escalate'], 'host name redis.shop.svc cannot be resolved'],
    ['write /data/segment: no space left on device', 'crash_loop', ['escalate'], 'no space left on device'],
    ['exec /app/server: exec format error', 'image_arch_mismatch', ['escalate'], 'another CPU architecture'],
    ['Error: connect ECONNREFUSED 10.96.44.12:5672', 'crash_loop', ['restart', 'escalate'], 'a dependency at 10.96.44.12:5672 refuses connections'],
    ['FATAL:  password authentication failed for user "orders"', 'crash_loop', ['escalate'], 'authentication failed for user "orders"'],
  ])('%s → %s %o', (line, category, actions, says) => {
    const [finding, ...rest] = logSignatureAnalyzer.analyze(crashing(line));
    expect(rest).toEqual([]);
    expect(finding).toMatchObject({ analyzer: 'pod.log_signature', category, actions, subject: `Pod/${POD}`, params: { pod: POD, container: 'stress', exitCode: 255 } });
    expect(finding!.cause).toContain('Container stress keeps crashing with exit code 255');
    expect(finding!.cause).toContain(says);
    expect(finding!.evidence[0]).toBe(`Log stress (previous instance): ${line.replace(/\s+/g, ' ')}`);
  });

  it('outranks the crash-loop finding, so the stated cause is the diagnosis', () => {
    const [best, second] = analyze(crashing('x509: certificate has expired or is not yet valid'));
    expect(best).toMatchObject({ analyzer: 'pod.log_signature', actions: ['escalate'] });
    expect(second).toMatchObject({ analyzer: 'pod.crash_loop', actions: ['restart', 'escalate'] });
  });

  it('runtime heap exhausted: raise_memory when the heap is sized from the container limit, escalate when a flag caps it', () => {
    const line = 'Exception in thread "main" java.lang.OutOfMemoryError: Java heap space';
    const [sized] = logSignatureAnalyzer.analyze(crashing(line));
    expect(sized).toMatchObject({ category: 'oom_killed', actions: ['raise_memory', 'escalate'], params: { currentLimit: '64Mi' } });
    expect(sized!.cause).toContain("sizes its heap from the container's 64Mi limit");
    const [capped] = logSignatureAnalyzer.analyze(crashing(line, (pod) => void (pod.spec!.containers[0]!.env = [{ name: 'JAVA_OPTS', value: '-Xmx48m' }])));
    expect(capped).toMatchObject({ category: 'oom_killed', actions: ['escalate'] });
    expect(capped!.cause).toContain('a heap cap in its command or env limits it');
  });

  it('says nothing when the log states no known cause, or the container is not failing', () => {
    expect(logSignatureAnalyzer.analyze(crashing('worker loop iteration 42'))).toEqual([]);
    const healthy = crashing('x509: certificate has expired', (pod) => {
      pod.status!.containerStatuses = [{ name: 'stress', ready: true, restartCount: 0, state: { running: {} } }];
    });
    expect(logSignatureAnalyzer.analyze(healthy)).toEqual([]);
  });
});
