// The Prometheus queries of a Grafana dashboard, for tests that evaluate every panel against a real
// Prometheus (a panel whose query returns nothing is a broken panel). Plain Node ESM, no dependencies.

/**
 * Every target expression of every panel, rows (collapsed ones included) flattened.
 * @param {string | object} json the dashboard JSON, as text or parsed
 * @returns {{panel: string, refId: string, expr: string}[]}
 */
export function dashboardQueries(json) {
  const dashboard = typeof json === 'string' ? JSON.parse(json) : json;
  const queries = [];
  const visit = (panels) => {
    for (const panel of panels ?? []) {
      for (const target of panel.targets ?? []) {
        if (typeof target.expr === 'string' && target.expr.trim() !== '' && target.hide !== true) {
          queries.push({ panel: panel.title ?? `panel ${panel.id}`, refId: target.refId ?? '', expr: target.expr });
        }
      }
      visit(panel.panels);
    }
  };
  visit(dashboard.panels);
  return queries;
}

/**
 * Grafana variables (`$__rate_interval`, `${datasource}`, `[[x]]`) in an expression: Prometheus
 * cannot evaluate those, so a query meant to be checked directly must contain none.
 * @param {string} expr
 * @returns {string[]}
 */
export function grafanaVariables(expr) {
  return [...expr.matchAll(/\$\{?\w+\}?|\[\[\w+\]\]/g)].map((match) => match[0]);
}
