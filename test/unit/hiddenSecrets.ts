/** Secrets hidden behind the spellings a line prefilter could miss (src/core/read/secretHint.ts). */

/**
 * Hidden secrets of the hostile spellings, each once under a key (or in a URL / flag) on a line
 * of its own, and each again inside a flow name, so a leak shows in `flows`. Used by
 * test/unit/egress/secretHint.test.ts and test/unit/cli/secretsIndexed.test.ts.
 */
export function hiddenSecretLines(run: string): { lines: string[]; secrets: string[] } {
  const secrets = ['Zq7escapedPw91', 'Zq7nonAsciiTok42', 'Zq7camelApiKey63', 'Zq7urlPassword84', 'Zq7flagArgTok25', 'Zq7mysqlDashP36', 'Zq7yamlSecret47'];
  const ev = (o: Record<string, unknown>, k: number): string =>
    JSON.stringify({ v: 1, event_type: 'checkpoint', run_id: run, timestamp: new Date(Date.parse('2026-12-01T09:00:00Z') + k * 1000).toISOString(), flow: 'setup', flow_id: `s-${k}`, ...o });
  const lines = [
    ev({ evidence: { xx: secrets[0] } }, 1).replace('"xx"', '"\\u0070assword"'),
    ev({ evidence: { 'tök€n': 1, 'tok\u200ben': secrets[1] } }, 2),
    ev({ evidence: { apiKey: secrets[2] } }, 3),
    ev({ reason: `connect postgres://admin:${secrets[3]}@db:5432/app failed` }, 4),
    ev({ evidence: { argv: ['deploy', '--auth-token', secrets[4]] } }, 5),
    ev({ step: `mysql -u root -p${secrets[5]} app` }, 6),
    ev({ reason: `config:\nsecret: |\n  ${secrets[6]}\n` }, 7),
  ];
  secrets.forEach((s, k) => {
    lines.push(JSON.stringify({ v: 1, event_type: 'flow_start', run_id: run, timestamp: '2026-12-01T09:10:00Z', flow: `deploy/${s}/step`, flow_id: `leak-${k}` }));
    lines.push(JSON.stringify({ v: 1, event_type: 'success', run_id: run, timestamp: '2026-12-01T09:10:01Z', flow: `deploy/${s}/step`, flow_id: `leak-${k}`, duration_ms: 5 }));
  });
  return { lines, secrets };
}


/**
 * A trace of 3,000 `orders/submit` flows (flow_start, a checkpoint whose evidence the emitter
 * pre-redacted as flowscribe does — flagged by the prefilter and pruned in the index — and a
 * success), with {@link hiddenSecretLines} mixed in every 500 flows: the file text and its secrets.
 */
export function hiddenSecretsTrace(run: string): { text: string; secrets: string[] } {
  const { lines, secrets } = hiddenSecretLines(run);
  const body: string[] = [JSON.stringify({ v: 1, event_type: 'session_start', run_id: run, timestamp: '2026-12-01T08:59:59Z', app: 'trader' })];
  for (let k = 0; k < 3000; k++) {
    const ts = new Date(Date.parse('2026-12-01T09:00:00Z') + k).toISOString();
    body.push(JSON.stringify({ v: 1, event_type: 'flow_start', run_id: run, timestamp: ts, flow: 'orders/submit', flow_id: `f-${k}`, tags: ['AAPL'] }));
    body.push(JSON.stringify({ v: 1, event_type: 'checkpoint', run_id: run, timestamp: ts, flow: 'orders/submit', flow_id: `f-${k}`, evidence: { side: 'buy', qty: k % 50, password: '***REDACTED***' } }));
    body.push(JSON.stringify({ v: 1, event_type: 'success', run_id: run, timestamp: ts, flow: 'orders/submit', flow_id: `f-${k}`, duration_ms: k % 90 }));
    if (k % 500 === 7) body.push(...lines);
  }
  return { text: body.join('\n') + '\n', secrets };
}
