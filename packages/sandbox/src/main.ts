import { parseSandboxArgs, USAGE } from './args.js';
import { SANDBOX_DEFAULTS } from './options.js';
import { startSandbox } from './server.js';

/** Standalone sandbox: parse flags/env, listen, print where everything is, stop cleanly on SIGTERM/SIGINT. */
async function main(): Promise<void> {
  let parsed;
  try {
    parsed = parseSandboxArgs(process.argv.slice(2), process.env);
  } catch (error) {
    console.error(`sandbox: ${error instanceof Error ? error.message : String(error)}\n\n${USAGE}`);
    process.exitCode = 2;
    return;
  }
  if (parsed.help) {
    console.log(USAGE);
    return;
  }
  const sandbox = await startSandbox(parsed.options);
  const d = SANDBOX_DEFAULTS;
  console.log(JSON.stringify({
    msg: 'sandbox listening',
    url: sandbox.url,
    meta: `${sandbox.metaBaseUrl}/${d.meta.apiVersion}/{pixelId}/events`,
    googleAds: `${sandbox.googleAdsBaseUrl}/${d.google.apiVersion}/customers/{customerId}:uploadClickConversions`,
    oauthTokenUrl: sandbox.oauthTokenUrl,
    dataManager: `${sandbox.dataManagerBaseUrl}/v1/events:ingest`,
    control: `${sandbox.url}/__control/state`,
    faults: sandbox.control.faults().length,
  }));
  const stop = (signal: string): void => {
    console.log(JSON.stringify({ msg: 'sandbox stopping', signal }));
    void sandbox.close().then(() => { process.exitCode = 0; });
  };
  process.once('SIGTERM', () => { stop('SIGTERM'); });
  process.once('SIGINT', () => { stop('SIGINT'); });
}

void main();
