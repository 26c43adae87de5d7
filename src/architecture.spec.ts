import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';

/** Every .ts file below src/ (specs included), as paths relative to src/. */
function sourceFiles(dir = __dirname): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(path);
    return entry.name.endsWith('.ts') ? [relative(__dirname, path)] : [];
  });
}

/** What a file imports: relative imports resolved to paths below src/, packages as named. */
function importsOf(file: string): string[] {
  const text = readFileSync(join(__dirname, file), 'utf8');
  const specifiers = [...text.matchAll(/(?:from|import)\s*\(?\s*'([^']+)'/g)].map((m) => m[1]);
  return specifiers.map((specifier) =>
    specifier.startsWith('.')
      ? relative(__dirname, resolve(__dirname, dirname(file), specifier))
      : specifier,
  );
}

describe('module boundaries', () => {
  const files = sourceFiles();

  it('finds the source tree (the checks below are not vacuous)', () => {
    expect(files).toContain('knowlarity/normalize-call.ts');
    expect(importsOf('sync/sync.module.ts')).toContain('knowlarity/knowlarity.module');
  });

  it('imports the database drivers only from src/database', () => {
    const offenders = files.filter(
      (file) =>
        !file.startsWith('database/') &&
        importsOf(file).some(
          (target) =>
            target.startsWith('database/drivers') ||
            ['pg', '@electric-sql/pglite', '@supabase/supabase-js'].includes(target),
        ),
    );

    expect(offenders).toEqual([]);
  });

  it('keeps the normaliser free of Nest and of the database', () => {
    const normaliser = [
      'call-event.ts',
      'knowlarity.errors.ts',
      'normalize-call.ts',
      'phone.ts',
      'times.ts',
      'values.ts',
    ].map((name) => `knowlarity/${name}`);
    const allowed = (target: string) =>
      target.startsWith('node:') ||
      target.startsWith('knowlarity/') ||
      target === 'common/domain-error';

    const imports = normaliser.flatMap((file) =>
      importsOf(file)
        .filter((target) => !allowed(target))
        .map((target) => `${file} -> ${target}`),
    );

    expect(imports).toEqual([]);
  });

  it('provides the ingest door only in IngestModule (others import that module)', () => {
    const providers = files.filter(
      (file) =>
        file.endsWith('.module.ts') &&
        readFileSync(join(__dirname, file), 'utf8').includes('CallIngestService'),
    );

    expect(providers).toEqual(['ingest/ingest.module.ts']);
  });
});
