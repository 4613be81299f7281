/** Renders bench results as Markdown, and splices them into BENCHMARKS.md between two markers. */
import { OWN_GZIP_BUDGETS } from './bundle-size';
import type { BenchResults } from './run';

export const RESULTS_BEGIN = '<!-- bench-results:begin (written by bench/run.ts; edits inside are overwritten) -->';
export const RESULTS_END = '<!-- bench-results:end -->';

const integer = (n: number): string => Math.round(n).toLocaleString('en-US');
const ratio = (n: number | undefined): string => (n === undefined || !Number.isFinite(n) ? '–' : `${n.toFixed(3)}×`);
const ms = (n: number): string => (n < 10 ? n.toFixed(3) : n.toFixed(1));
const percent = (share: number): string => `${(share * 100).toFixed(1)}%`;
const seconds = (milliseconds: number): string => `${(milliseconds / 1000).toFixed(1)} s`;
const bytes = (n: number | undefined): string => (n === undefined ? '–' : integer(n));

function table(header: readonly string[], rows: readonly (readonly string[])[], rightFrom = 1): string {
  const align = header.map((_, i) => (i >= rightFrom ? '---:' : '---'));
  return [header, align, ...rows].map((cells) => `| ${cells.join(' | ')} |`).join('\n');
}

export function renderMarkdown(results: BenchResults): string {
  const { machine, config } = results;
  const out: string[] = [];
  const mark = (met: boolean): string => (met ? 'met' : '**missed**');
  out.push(
    `Run of ${results.date.slice(0, 10)} (${results.mode}): \`${results.command}\`, ${seconds(results.durationMs)} in all.`,
    '',
    `Machine: ${machine.cpu}, ${machine.cores} cores, ${machine.memoryGiB} GiB, Node ${machine.node}, ${machine.os}.`,
    `Versions: ${Object.entries(results.versions)
      .map(([name, version]) => `${name} ${version}`)
      .join(', ')}.`,
    '',
  );
  if (results.targets.length > 0) {
    out.push('### Targets', '');
    out.push(
      table(
        ['target', 'wanted', 'measured', ''],
        results.targets.map((t) => [t.name, t.target, t.measured, mark(t.met)]),
        9,
      ),
      '',
    );
  }
  if (results.receive) {
    out.push(
      `### Receive throughput`,
      '',
      `${integer(config.receiveMessages)} JSON text messages of ${results.messageBytes.receive} bytes from the server, ` +
        `each parsed with \`JSON.parse\`; median of ${config.rounds} rounds, and the range. "Per CPU-second" divides ` +
        "by the client process's user + system CPU time instead of wall time: steadier when other work shares the machine. " +
        '"Best rounds" compares each client\'s fastest round with raw ws\'s fastest.',
      '',
      table(
        [
          'client',
          'messages/s',
          'range',
          "× ws .on('message')",
          '× ws .onmessage',
          'per CPU-second',
          '× ws (CPU)',
          '× ws (best rounds)',
        ],
        results.receive.map((r) => [
          r.label,
          integer(r.medianMessagesPerSecond),
          `${integer(r.minMessagesPerSecond)}–${integer(r.maxMessagesPerSecond)}`,
          ratio(r.ratioToWs),
          ratio(r.ratioToWsOnMessage),
          integer(r.medianMessagesPerCpuSecond),
          ratio(r.cpuRatioToWs),
          ratio(r.bestRatioToWs),
        ]),
      ),
      '',
    );
  }
  if (results.dispatch) {
    out.push(
      '### Receive dispatch, in process',
      '',
      `What each client costs per message between ws's 'message' event and the application, without a network: a ` +
        `real \`ws\` object that never connects is fed ${integer(config.dispatchMessages)}-message bursts of the same ` +
        `JSON by the bench, which emits its events as ws's receiver does (the parse of the frames themselves is left ` +
        `out). CPU time per message of the fastest of ${config.dispatchBursts} bursts in ${config.rounds} rounds (fresh ` +
        'processes): interference only ever adds time, so this is the steadiest view of the hot path on a busy machine.',
      '',
      table(
        ['client', 'ns/message', "over ws .on('message')", 'ratio to ws'],
        results.dispatch.map((r) => [
          r.label,
          integer(r.nsPerMessage),
          `+${integer(r.overheadNs)} ns`,
          ratio(r.ratioToWs),
        ]),
      ),
      '',
    );
  }
  if (results.send) {
    out.push(
      '### Send throughput',
      '',
      `${integer(config.sendMessages)} text messages of ${results.messageBytes.send} bytes from the client, in ` +
        `batches of 1,000 per turn of the event loop; timed until the server reports it has counted them all; ` +
        `median of ${config.sendRounds} rounds. \`ws\` writes each frame with a system call of its own, which ` +
        'dominates the time of every client here.',
      '',
      table(
        ['client', 'messages/s', 'range', '× ws', 'per CPU-second', '× ws (CPU)', '× ws (best rounds)'],
        results.send.map((r) => [
          r.label,
          integer(r.medianMessagesPerSecond),
          `${integer(r.minMessagesPerSecond)}–${integer(r.maxMessagesPerSecond)}`,
          ratio(r.ratioToWs),
          integer(r.medianMessagesPerCpuSecond),
          ratio(r.cpuRatioToWs),
          ratio(r.bestRatioToWs),
        ]),
      ),
      '',
    );
  }
  if (results.latency) {
    out.push(
      '### Round-trip latency',
      '',
      `Echo at ${integer(config.latencyRatePerSecond)} messages/s for ${seconds(config.latencyDurationMs)}, ` +
        `the first 200 left out as warm-up; p50 and p99 are medians over ${config.latencyRounds} rounds, max the worst seen.`,
      '',
      table(
        ['client', 'p50 ms', 'p99 ms', 'max ms'],
        results.latency.map((r) => [r.label, ms(r.medianP50Ms), ms(r.medianP99Ms), ms(r.maxMs)]),
      ),
      '',
    );
  }
  if (results.request) {
    out.push(
      '### Request round trip',
      '',
      `${integer(config.requests)} requests of about 90 bytes per round to the bench server's echo, which sends each ` +
        'frame back: one after another, and with ' +
        `${integer(config.requestsInFlight)} in flight (each reply starts the next request), after a warm-up. Raw ws ` +
        "makes an id per request (a UUID prefix and a counter), keeps the request in a `Map` and settles it when its reply's id " +
        "comes back, JSON both ways; rx-websocket subscribes `request(socket, (id) => ({ type: 'request', id, data }), " +
        'options)` once per request (the default id and 10 s timeout), with `{ isReply: (msg, id) => msg.id === id }`, ' +
        'and with `{ replyIdOf: (msg) => msg.id }` (one function for every request). Wall time per ' +
        `round trip (the run's time over its requests), median of ${config.rounds} rounds, and the client process's ` +
        'CPU time per round trip, steadier when other work shares the machine (the server runs in a process of its own). ' +
        'With isReply each request tests every message while it waits, so its cost with many in flight grows with their ' +
        'number; with replyIdOf the requests share one subscription and each message costs one call and one map lookup.',
      '',
      table(
        [
          'client',
          'in flight',
          'µs/round trip',
          'round trips/s',
          'over raw ws',
          '× raw ws',
          'CPU µs/round trip',
          '× raw ws (CPU)',
        ],
        results.request.map((r) => [
          r.label,
          integer(r.inFlight),
          (r.medianNsPerRoundTrip / 1_000).toFixed(2),
          integer(1e9 / r.medianNsPerRoundTrip),
          `${r.overheadNs >= 0 ? '+' : ''}${integer(r.overheadNs)} ns`,
          ratio(r.ratioToWs),
          (r.medianCpuNsPerRoundTrip / 1_000).toFixed(2),
          ratio(r.cpuRatioToWs),
        ]),
        1,
      ),
      '',
    );
  }
  if (results.idle) {
    out.push(
      '### Memory per idle connection',
      '',
      `${integer(config.idleConnections)} connections open at once, V8 heap used after forced GC over the heap ` +
        `before (after a warm-up), per connection; median of ${config.memoryRounds} rounds. "External" is memory outside ` +
        'the V8 heap (buffers), for reference.',
      '',
      table(
        ['client', 'heap bytes', 'external bytes', '× ws (heap)'],
        results.idle.map((r) => [
          r.label,
          integer(r.medianHeapBytesPerConnection),
          integer(r.medianExternalBytesPerConnection),
          ratio(r.ratioToWs),
        ]),
      ),
      '',
    );
  }
  if (results.cycles) {
    out.push(
      '### Heap over connect/close cycles',
      '',
      `${integer(config.cycles)} cycles per client, 8 at a time (open, wait for open, close with 1000, wait ` +
        'for the close), after a warm-up; raw ws and rx-websocket only unless `--clients` names others; heap used after forced GC at every tenth. The slope is the least-squares ' +
        'fit over those checkpoints (what one more cycle leaves behind), and over those from 30% of the run on, once ' +
        'compiled code and caches have settled.',
      '',
      table(
        ['client', 'cycles/s', 'heap after warm-up', 'heap at the end', 'growth', 'slope B/cycle', 'from 30% B/cycle'],
        results.cycles.map((r) => {
          const first = r.runs[0];
          return [
            r.label,
            integer(r.medianCyclesPerSecond),
            first ? `${integer(first.heapStartBytes / 1024)} KiB` : '–',
            first ? `${integer(first.heapEndBytes / 1024)} KiB` : '–',
            `${integer(r.medianGrowthBytes / 1024)} KiB`,
            r.medianBytesPerCycle.toFixed(1),
            r.medianSteadyBytesPerCycle.toFixed(1),
          ];
        }),
      ),
      '',
    );
  }
  if (results.bundle) {
    out.push(
      '### Browser bundle size',
      '',
      'Small apps bundled by esbuild as the production browser build is (ES2022, ESM, minified; `isomorphic-ws` ' +
        'replaced by the platform WebSocket, development checks off), then gzipped (level 9) and brotli-compressed ' +
        '(quality 11). rx-websocket is measured from the smallest app (`message$` only) to one with each opt-in ' +
        'feature; each peer runs the same app (connect with reconnection, log parsed messages, send one). "Own" ' +
        'leaves RxJS out; "total" includes the RxJS parts the app pulls in. Bytes. `npm run size` prints the same.',
      '',
      table(
        ['app', 'own gzip', 'own brotli', 'budget', 'total gzip', 'total brotli'],
        results.bundle.map((b) => [
          b.label,
          b.ownGzipBytes === undefined ? '(part of RxJS)' : bytes(b.ownGzipBytes),
          b.ownBrotliBytes === undefined ? '(part of RxJS)' : bytes(b.ownBrotliBytes),
          OWN_GZIP_BUDGETS[b.id] === undefined ? '' : bytes(OWN_GZIP_BUDGETS[b.id]),
          bytes(b.totalGzipBytes),
          bytes(b.totalBrotliBytes),
        ]),
      ),
      '',
    );
    const ours = results.bundle.find((b) => b.id === 'rx-websocket');
    if (ours && ours.ownInputs.length > 0) {
      out.push(
        `Where rx-websocket's own ${bytes(ours.ownMinBytes)} minified bytes come from: ` +
          ours.ownInputs.map((input) => `${input.file} ${integer(input.minBytes)}`).join(', ') +
          '.',
        '',
      );
    }
  }
  if (results.storm) {
    const { storm } = results;
    out.push(
      '### Reconnection storm (simulated)',
      '',
      `${integer(storm.clients)} clients lose the server at once (bench/storm.ts, seed ${storm.seed}); peak share ` +
        'of clients getting back in one 100 ms window once the server is back, and when the last is back. ' +
        'Chart for the 10 s outage: [bench/results/storm.svg](bench/results/storm.svg).',
      '',
    );
    const outages = [...new Set(storm.rows.map((r) => r.outageMs))];
    const strategies = [...new Set(storm.rows.map((r) => r.strategy))];
    out.push(
      table(
        ['strategy', 'mean 1st retry', ...outages.map((o) => `${seconds(o)} outage: peak / all back`)],
        strategies.map((strategy) => {
          const rows = storm.rows.filter((r) => r.strategy === strategy);
          return [
            strategy,
            seconds(rows[0]?.meanFirstRetryMs ?? Number.NaN),
            ...outages.map((o) => {
              const row = rows.find((r) => r.outageMs === o);
              return row ? `${percent(row.peakShare)} / ${seconds(row.allBackMs)}` : '–';
            }),
          ];
        }),
      ),
      '',
    );
  }
  return out.join('\n');
}

/** Replaces the results section of `existing` (or appends one); creates a minimal file when there is none. */
export function updateBenchmarksMarkdown(existing: string | undefined, generated: string): string {
  const section = `${RESULTS_BEGIN}\n\n${generated.trim()}\n\n${RESULTS_END}`;
  if (existing === undefined) return `# Benchmarks\n\n${section}\n`;
  const begin = existing.indexOf(RESULTS_BEGIN);
  const end = existing.indexOf(RESULTS_END);
  if (begin === -1 || end === -1 || end < begin) return `${existing.trimEnd()}\n\n${section}\n`;
  return `${existing.slice(0, begin)}${section}${existing.slice(end + RESULTS_END.length)}`;
}
