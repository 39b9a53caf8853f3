// Writes deploy/kubernetes/monitoring/prometheusrule.yaml from deploy/prometheus/alerts.yml, so
// Prometheus-operator clusters get the same alert rules as the Compose stack, from one source.
// Run after editing alerts.yml: `pnpm --filter @capconnect/system-tests rules:kubernetes`.
// tests/system/src/kubernetes/manifests.test.ts fails while the two differ.
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parse, stringify } from 'yaml';

const root = fileURLToPath(new URL('../../../', import.meta.url));
export const ALERTS_PATH = `${root}deploy/prometheus/alerts.yml`;
export const RULE_PATH = `${root}deploy/kubernetes/monitoring/prometheusrule.yaml`;

const HEADER = `# Generated from deploy/prometheus/alerts.yml by \`pnpm --filter @capconnect/system-tests rules:kubernetes\`:
# edit alerts.yml (it has the comments and promtool unit tests), then regenerate. The same rules as
# the Compose stack's Prometheus loads, for clusters running the Prometheus operator.
`;

/** The PrometheusRule text for an alerts file's text. */
export function prometheusRuleText(alertsText) {
  const { groups } = parse(alertsText);
  const rule = {
    apiVersion: 'monitoring.coreos.com/v1',
    kind: 'PrometheusRule',
    // Match the label to your Prometheus resource's ruleSelector, as the ServiceMonitor's.
    metadata: { name: 'capconnect', labels: { release: 'prometheus' } },
    spec: { groups },
  };
  return HEADER + stringify(rule, { lineWidth: 0 });
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  writeFileSync(RULE_PATH, prometheusRuleText(readFileSync(ALERTS_PATH, 'utf8')));
  process.stdout.write(`wrote ${RULE_PATH}\n`);
}
