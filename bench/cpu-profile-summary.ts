/**
 * Summarises a V8 `.cpuprofile` (from `node --cpu-prof`, e.g. BENCH_CPU_PROF=dir npm run bench):
 * the functions with the most self time, and self time grouped by where the code lives
 * (a package under node_modules, Node's own modules, the service's dist/, or V8's pseudo-frames
 * such as "(garbage collector)" and "(idle)").
 *
 *   node dist-bench/bench/cpu-profile-summary.js <file.cpuprofile> [top=25] [from-seconds=0]
 *
 * `from-seconds` skips the start of the profile (boot and warm-up), so only the steady state is
 * summarised. Inclusive time (the samples a function is on the stack of) is listed too.
 */
import { readFileSync } from 'node:fs';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}

interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

function main(): void {
  const [file, topArg, fromArg] = process.argv.slice(2);
  if (!file) {
    console.error('Usage: node dist-bench/bench/cpu-profile-summary.js <file.cpuprofile> [top]');
    process.exitCode = 2;
    return;
  }
  const top = Number(topArg ?? 25);
  const profile = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));

  const parents = new Map<number, number>();
  for (const node of profile.nodes)
    for (const child of node.children ?? []) parents.set(child, node.id);
  const fromUs = Number(fromArg ?? 0) * 1e6;

  // Each sample's time is the delta to the next sample, attributed to the sampled (leaf) node.
  const selfUs = new Map<number, number>();
  const inclusive = new Map<string, number>();
  let elapsed = 0;
  for (let i = 0; i < profile.samples.length; i++) {
    elapsed += profile.timeDeltas[i] ?? 0;
    if (elapsed < fromUs) continue;
    const delta = profile.timeDeltas[i + 1] ?? 0;
    selfUs.set(profile.samples[i], (selfUs.get(profile.samples[i]) ?? 0) + delta);
    const onStack = new Set<string>();
    for (let id: number | undefined = profile.samples[i]; id !== undefined; id = parents.get(id))
      onStack.add(frameName(byId.get(id)!));
    for (const name of onStack) inclusive.set(name, (inclusive.get(name) ?? 0) + delta);
  }
  const functions = new Map<string, number>();
  const places = new Map<string, number>();
  let total = 0;
  for (const [id, us] of selfUs) {
    const { functionName, url } = byId.get(id)!.callFrame;
    const name = frameName(byId.get(id)!);
    functions.set(name, (functions.get(name) ?? 0) + us);
    const place = placeOf(functionName, url);
    places.set(place, (places.get(place) ?? 0) + us);
    total += us;
  }
  const busy = total - (places.get('(idle)') ?? 0);

  const show = (title: string, entries: Map<string, number>, limit: number) => {
    console.log(`\n${title}`);
    for (const [name, us] of [...entries].sort(([, a], [, b]) => b - a).slice(0, limit)) {
      const ofBusy =
        name === '(idle)' ? '' : ` ${((100 * us) / busy).toFixed(1).padStart(5)}% of busy`;
      console.log(
        `${(us / 1000).toFixed(0).padStart(8)} ms ${((100 * us) / total).toFixed(1).padStart(5)}%${ofBusy}  ${name}`,
      );
    }
  };
  console.log(
    `${file}: ${(total / 1e6).toFixed(1)} s sampled, ${(busy / 1e6).toFixed(1)} s not idle`,
  );
  show('Self time by place', places, 20);
  show(`Top ${top} functions by self time`, functions, top);
  inclusive.delete('(root) ');
  inclusive.delete('(idle) ');
  show(`Top ${top} functions by inclusive time`, inclusive, top);
}

function frameName(node: ProfileNode): string {
  const { functionName, url, lineNumber } = node.callFrame;
  return `${functionName || '(anonymous)'} ${shortUrl(url)}${url ? `:${lineNumber + 1}` : ''}`;
}

function shortUrl(url: string): string {
  const modules = url.lastIndexOf('node_modules/');
  if (modules !== -1) return url.slice(modules + 'node_modules/'.length);
  const dist = url.indexOf('/dist/');
  if (dist !== -1) return url.slice(dist + 1);
  return url.replace(/^file:\/\//, '');
}

function placeOf(functionName: string, url: string): string {
  if (!url) return functionName.startsWith('(') ? functionName : '(native)';
  if (url.startsWith('node:')) return 'node: (Node.js core)';
  const modules = url.lastIndexOf('node_modules/');
  if (modules !== -1) {
    const rest = url.slice(modules + 'node_modules/'.length).split('/');
    return rest[0].startsWith('@') ? `${rest[0]}/${rest[1]}` : rest[0];
  }
  if (url.includes('/dist/')) return 'dist/ (the service)';
  return url;
}

main();
