/**
 * The README's "Try it with the samples" block, run as written (bash, curl, the files in
 * examples/) against the real app on a fresh embedded database: every request answers what the
 * README's comment above it promises, and the rows it describes are there. The block is read from
 * the README itself, so the two cannot drift apart.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { RunningApp, startApp } from './support/app';
import { createPgliteDatabase, TestDatabase } from './support/databases';
import { ROOT, runToExit } from './support/service-process';

const README_URL = 'http://127.0.0.1:3000';

/** The first `sh` code block after the heading `## Try it with the samples`. */
function readmeSampleBlock(): string {
  const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
  const section = readme.slice(readme.indexOf('## Try it with the samples'));
  const block = /```sh\n([\s\S]*?)```/.exec(section);
  if (!block) throw new Error('README.md has no sample block under "Try it with the samples"');
  return block[1];
}

interface PromisedAnswer {
  status: number;
  word: string;
}

/** What each comment promises, in order: `→ "lead_created"`, `→ 422 "no_customer_phone"`. */
function promisedAnswers(block: string): PromisedAnswer[] {
  const comments = block
    .split('\n')
    .filter((line) => line.trimStart().startsWith('#'))
    .join('\n');
  return [...comments.matchAll(/→ (?:(\d{3}) )?"(\w+)"/g)].map(([, status, word]) => ({
    status: status ? Number(status) : 200,
    word,
  }));
}

/** Runs the block with bash; every curl also prints its status, so each answer is two lines. */
async function runBlock(block: string, url: string): Promise<{ status: number; body: string }[]> {
  const script =
    `curl() { command curl -sS -w '\\n%{http_code}\\n' "$@"; }\n` +
    block.split(README_URL).join(url);
  const { code, stdout, stderr } = await runToExit('bash', ['-c', script], {
    PATH: process.env.PATH,
  });
  if (code !== 0 || stderr !== '') throw new Error(`The sample block failed (${code}): ${stderr}`);
  const lines = stdout.split('\n').filter((line) => line.trim() !== '');
  const answers: { status: number; body: string }[] = [];
  for (let i = 0; i + 1 < lines.length; i += 2) {
    answers.push({ body: lines[i], status: Number(lines[i + 1]) });
  }
  return answers;
}

describe("the README's sample curls", () => {
  let database: TestDatabase;
  let running: RunningApp;

  beforeAll(async () => {
    const created = await createPgliteDatabase();
    database = created.database;
    running = await startApp({ repository: created.repository });
  });
  afterAll(async () => {
    await running?.close();
    await database?.close();
  });

  it('promise the outcomes of docs/knowlarity.md §6 for the files in examples/', () => {
    const block = readmeSampleBlock();

    expect(block).toContain('examples/');
    expect(block).not.toMatch(/shared|\.\.\//);
    expect(promisedAnswers(block)).toEqual([
      { status: 200, word: 'lead_created' },
      { status: 200, word: 'duplicate_call' },
      { status: 200, word: 'lead_created' },
      { status: 200, word: 'lead_created' },
      { status: 200, word: 'lead_created' },
      { status: 200, word: 'call_linked' },
      { status: 200, word: 'lead_created' },
      { status: 422, word: 'no_customer_phone' },
    ]);
  });

  it('answer what the README promises, request by request, and leave the rows it describes', async () => {
    const block = readmeSampleBlock();

    const answers = await runBlock(block, running.url);

    const promised = promisedAnswers(block);
    expect(answers).toHaveLength(promised.length);
    answers.forEach((answer, i) => {
      const body = JSON.parse(answer.body) as Record<string, unknown>;
      expect({ status: answer.status, word: body.success ? body.outcome : body.code }).toEqual(
        promised[i],
      );
    });
    const leads = await database.sql<{ full_name: string; status: string; source: string }>(
      `select l.full_name, l.status, s.display_name || '/' || s.source_type as source
         from leads_master l join sources s on s.id = l.source_id order by l.phone_number_normalized`,
    );
    expect(leads).toEqual(
      ['9800000101', '9800000102', '9800000111', '9800000121', '9800000131'].map((phone) => ({
        full_name: `Knowlarity Lead ${phone}`,
        status: 'New',
        source: 'Knowlarity/knowlarity_call',
      })),
    );
    const calls = await database.sql<{ call_id: string; arrival_paths: string[] }>(
      'select call_id, arrival_paths from knowlarity_calls order by call_id',
    );
    expect(calls.map((c) => c.call_id)).toEqual([
      '0b6f1d2e-6a53-4c1e-9d8a-1f0c2b3a4d01',
      '0b6f1d2e-6a53-4c1e-9d8a-1f0c2b3a4d02',
      '0b6f1d2e-6a53-4c1e-9d8a-1f0c2b3a4d03',
      '4d3c2b1a-0f9e-4d8c-b7a6-958473625141',
      '5c1e7a90-3f4b-4d2a-8e61-7b9c0d1e2f31',
      '9a8b7c6d-1234-4e5f-8a9b-0c1d2e3f4a51',
    ]);
    expect(calls.every((c) => c.arrival_paths.includes('webhook'))).toBe(true);
    const [deliveries] = await database.sql<{ n: number }>(
      'select count(*)::int as n from webhook_deliveries',
    );
    expect(deliveries.n).toBe(8);
  });
});
