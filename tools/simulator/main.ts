/**
 * `npm run simulate -- [options]`: serves generated calls on a local Knowlarity call-log API and
 * optionally sends them to a webhook receiver. Configuration comes from flags only; point the
 * service at it with KNOWLARITY_BASE_URL and the printed keys.
 */
import { parseArgs } from 'node:util';
import { generateCalls } from './call-generator';
import { KnowlaritySimulator } from './simulator-server';
import { deliverAsWebhooks, WEBHOOK_SHAPES, WebhookShape } from './webhook-sender';

const USAGE = `Usage: npm run simulate -- [options]

  --port N               port to listen on (default 4010; 0 picks a free one)
  --host HOST            address to listen on (default 127.0.0.1)
  --calls N              calls to generate (default 500)
  --seed N               PRNG seed (default 1)
  --from ISO --to ISO    window the calls start in (default the 24 hours before now)
  --phones N             distinct customers (default a third of --calls)
  --sr-numbers A,B       SR numbers called (default +919600000301,+919600000302)
  --outbound F           share of outbound calls (default 0.1)
  --max-page-size N      largest page served (default 100)
  --duplicate-across-pages  repeat the last call of each page on the next
  --api-key KEY          x-api-key to accept (default generated)
  --sr-api-key KEY       SR API key to accept in Authorization (default generated)
  --channel NAME         channel path segment (default Basic)
  --webhook-url URL      also send every call to this webhook receiver
  --shape S              ${WEBHOOK_SHAPES.join(' | ')} | mixed (default mixed)
  --drop F --duplicate F share of webhooks dropped / sent twice (default 0)
  --shuffle              send webhooks in a seeded random order
  --concurrency N        webhook requests in flight (default 8)
  --exit                 stop after sending the webhooks instead of serving
  --help`;

function number(value: string | undefined, name: string, fallback: number): number {
  if (value === undefined) {
    return fallback;
  }
  const parsed = Number(value);
  if (value.trim() === '' || !Number.isFinite(parsed)) {
    throw new Error(`--${name} must be a number`);
  }
  return parsed;
}

function date(value: string | undefined, name: string, fallback: Date): Date {
  if (value === undefined) {
    return fallback;
  }
  const parsed = new Date(value);
  if (Number.isNaN(parsed.getTime())) {
    throw new Error(`--${name} must be a date such as 2026-11-20T00:00:00+05:30`);
  }
  return parsed;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      port: { type: 'string' },
      host: { type: 'string' },
      calls: { type: 'string' },
      seed: { type: 'string' },
      from: { type: 'string' },
      to: { type: 'string' },
      phones: { type: 'string' },
      'sr-numbers': { type: 'string' },
      outbound: { type: 'string' },
      'max-page-size': { type: 'string' },
      'duplicate-across-pages': { type: 'boolean' },
      'api-key': { type: 'string' },
      'sr-api-key': { type: 'string' },
      channel: { type: 'string' },
      'webhook-url': { type: 'string' },
      shape: { type: 'string' },
      drop: { type: 'string' },
      duplicate: { type: 'string' },
      shuffle: { type: 'boolean' },
      concurrency: { type: 'string' },
      exit: { type: 'boolean' },
      help: { type: 'boolean' },
    },
  });
  if (values.help) {
    console.log(USAGE);
    return;
  }

  const to = date(values.to, 'to', new Date());
  const from = date(values.from, 'from', new Date(to.getTime() - 24 * 3600_000));
  const seed = number(values.seed, 'seed', 1);
  const calls = generateCalls({
    count: number(values.calls, 'calls', 500),
    seed,
    from,
    to,
    phonePoolSize: values.phones === undefined ? undefined : number(values.phones, 'phones', 0),
    srNumbers: values['sr-numbers']
      ?.split(',')
      .map((s) => s.trim())
      .filter(Boolean),
    outboundFraction: number(values.outbound, 'outbound', 0.1),
  });

  const simulator = new KnowlaritySimulator({
    apiKey: values['api-key'],
    srApiKey: values['sr-api-key'],
    channel: values.channel,
    host: values.host ?? '127.0.0.1',
    port: number(values.port, 'port', 4010),
    maxPageSize: number(values['max-page-size'], 'max-page-size', 100),
    duplicateAcrossPages: values['duplicate-across-pages'] ?? false,
    calls,
  });
  const baseUrl = await simulator.start();
  console.log(`Knowlarity simulator serving ${calls.length} calls at ${baseUrl}`);
  console.log(`  call log: GET ${baseUrl}${simulator.callLogPath}`);
  console.log(`  window:   ${from.toISOString()} .. ${to.toISOString()}`);
  console.log(`  KNOWLARITY_BASE_URL=${baseUrl}`);
  console.log(`  KNOWLARITY_API_KEY=${simulator.apiKey}`);
  console.log(`  KNOWLARITY_SR_API_KEY=${simulator.srApiKey}`);
  console.log(`  KNOWLARITY_CHANNEL=${simulator.channel}`);

  if (values['webhook-url']) {
    const shape = values.shape ?? 'mixed';
    if (shape !== 'mixed' && !(WEBHOOK_SHAPES as readonly string[]).includes(shape)) {
      throw new Error(`--shape must be one of ${WEBHOOK_SHAPES.join(', ')}, mixed`);
    }
    const report = await deliverAsWebhooks(calls, {
      url: values['webhook-url'],
      shape: shape as WebhookShape | 'mixed',
      dropFraction: number(values.drop, 'drop', 0),
      duplicateFraction: number(values.duplicate, 'duplicate', 0),
      shuffle: values.shuffle ?? false,
      seed,
      concurrency: number(values.concurrency, 'concurrency', 8),
    });
    const byStatus = new Map<number, number>();
    for (const response of report.responses) {
      byStatus.set(response.status, (byStatus.get(response.status) ?? 0) + 1);
    }
    const statuses = [...byStatus.entries()]
      .sort(([a], [b]) => a - b)
      .map(([status, count]) => `${status === 0 ? 'failed' : `HTTP ${status}`}: ${count}`)
      .join(', ');
    console.log(
      `Webhooks: ${report.sent} sent (${report.duplicated.length} duplicates), ` +
        `${report.dropped.length} dropped; ${statuses || 'none'}`,
    );
  }

  if (values.exit) {
    await simulator.stop();
    return;
  }
  console.log('Press Ctrl+C to stop.');
  const shutdown = () => {
    void simulator.stop().then(() => process.exit(0));
  };
  process.once('SIGINT', shutdown);
  process.once('SIGTERM', shutdown);
}

main().catch((error: Error) => {
  console.error(error.message);
  console.error('Run with --help for the options.');
  process.exit(1);
});
