/**
 * `flowlens` — headless command-line view of flow traces. A thin shell over `src/core`: it
 * parses arguments (commander), asks the trace core, and prints tables or `--json`.
 * Exit codes: 0 ok, 1 something asked for does not exist (or an internal error), 2 usage error.
 */
import { Command, CommanderError, Option } from 'commander';
import pkg from '../../package.json';
import { CliError, runCommand, type CommandName, type CommonOptions } from './commands';
import { esc } from './output';

/** The package version (esbuild inlines package.json into the bundle). */
function version(): string {
  return (pkg as { version?: string }).version ?? '0.0.0';
}

const COMMANDS: { name: CommandName; summary: string; run: boolean }[] = [
  { name: 'runs', summary: 'list runs, newest first, with flow counts and malformed lines', run: true },
  { name: 'flows', summary: 'per-flow rollups: instances, verdicts, success rate, p50/p95/max, SLA', run: true },
  { name: 'failures', summary: 'failures and exceptions, oldest first, with file:line and evidence', run: true },
  { name: 'metrics', summary: 'counts by type/severity/class/domain, latency histograms, Pulse rollups', run: true },
  { name: 'validate', summary: 'check ra.yaml / flows.yaml (and traces against them); exit 1 on errors', run: false },
  { name: 'stores', summary: 'SQLite stores found: kind, rows, WAL applied, size, rollups', run: false },
];

const PATH_HELP = 'workspace folder or a single trace file (default: current directory)';
/** The one selector grammar (src/core/analyze/queries.ts selectRuns), for every --run and diff argument. */
const RUN_HELP = "run id or unique prefix, 'latest', 'previous' (the run before latest, same dialect) or '@N' (N-th newest, @0 = newest)";

/** A number option parser: `kind` checks the value; anything else is a usage error (exit 2). */
function numberArg(name: string, ok: (n: number) => boolean, what: string): (v: string) => number {
  return (v: string) => {
    const n = Number(v);
    if (v.trim() === '' || !Number.isFinite(n) || !ok(n)) throw new CliError(`option '${name}' must be ${what}, got '${v}'`, 2);
    return n;
  };
}

/** Build the commander program; `onRun` receives the parsed command. Exported for tests. */
export function buildProgram(onRun: (name: CommandName, path: string | undefined, opts: CommonOptions) => Promise<void>): Command {
  const program = new Command('flowlens')
    .description('Read flow traces (flowscribe JSONL, SQLite stores) and show runs, flows and failures.')
    .version(version(), '-V, --version')
    .showSuggestionAfterError(true)
    .exitOverride();
  for (const c of COMMANDS) {
    const cmd = program.command(c.name).description(c.summary)
      .argument('[path]', PATH_HELP)
      .option('--json', 'machine-readable output (schema: docs/cli.md)')
      .option('--no-redact', 'print evidence, reasons and credential-looking identifiers as written')
      .option('--no-cache', 'neither read nor write the index cache of big traces (docs/cli.md)')
      .exitOverride();
    if (c.run) cmd.addOption(new Option('--run <id>', `${RUN_HELP}, or 'all'`).default(undefined, c.name === 'runs' ? 'all' : 'latest'));
    cmd.action(async (path: string | undefined, opts: CommonOptions) => onRun(c.name, path, opts));
  }
  program.command('diff').description('compare run B with base run A: flows new, gone, newly failing, fixed, slower; with the evidence that changed')
    .argument('<a>', `base run: ${RUN_HELP}`)
    .argument('<b>', `run compared with it: ${RUN_HELP}`)
    .argument('[path]', PATH_HELP)
    .option('--threshold <pct>', 'slower = p95 grew by more than this percentage (default 20)', numberArg('--threshold <pct>', n => n >= 0, 'a number ≥ 0'))
    .option('--json', 'machine-readable output (schema: docs/cli.md)')
    .option('--no-redact', 'print evidence, reasons and credential-looking identifiers as written')
    .option('--no-cache', 'neither read nor write the index cache of big traces (docs/cli.md)')
    .exitOverride()
    .action(async (a: string, b: string, path: string | undefined, opts: CommonOptions) => onRun('diff', path, { ...opts, compare: [a, b] }));
  program.command('export').description('export one run: Chrome trace-event JSON (Perfetto, chrome://tracing), a Mermaid flowchart, or OpenTelemetry OTLP/JSON (written, or sent to a collector)')
    .argument('[path]', PATH_HELP)
    .addOption(new Option('--format <format>', 'output format').choices(['chrome', 'mermaid', 'otlp']).makeOptionMandatory())
    .addOption(new Option('--run <id>', `${RUN_HELP}; 'all' with --format otlp`).default(undefined, 'latest'))
    .option('--out <file>', 'write to this file instead of stdout')
    .option('--endpoint <url>', "otlp: POST OTLP/HTTP JSON to <url>/v1/traces (or to <url> when it ends in /v1/traces) instead of writing; headers from OTEL_EXPORTER_OTLP_HEADERS")
    .option('--timeout <ms>', 'otlp --endpoint: give up after this many milliseconds per request (default 10000)', numberArg('--timeout <ms>', n => Number.isInteger(n) && n > 0, 'a whole number > 0'))
    .option('--no-redact', 'do not redact failure reasons, evidence and credential-looking names (Chrome trace, OTLP)')
    .option('--no-cache', 'neither read nor write the index cache of big traces (docs/cli.md)')
    .exitOverride()
    .action(async (path: string | undefined, opts: CommonOptions) => {
      if (opts.format !== 'otlp' && (opts.endpoint !== undefined || opts.timeout !== undefined)) throw new CliError('--endpoint and --timeout go with --format otlp', 2);
      if (opts.endpoint !== undefined && opts.out !== undefined) throw new CliError('give --endpoint (send) or --out (write), not both', 2);
      if (opts.timeout !== undefined && opts.endpoint === undefined) throw new CliError('--timeout goes with --endpoint', 2);
      return onRun('export', path, opts);
    });
  program.command('ask').description('print ask.md for one run (an AI prompt: redacted, size-capped, deterministic), or summary.md')
    .argument('[path]', PATH_HELP)
    .addOption(new Option('--run <id>', RUN_HELP).default(undefined, 'latest'))
    .option('--flow <flow>', 'focus on one flow: a flow id, or a flow name (all its instances)')
    .option('--budget <bytes>', 'ask.md size cap in UTF-8 bytes (default 12288)', numberArg('--budget <bytes>', n => Number.isInteger(n) && n > 0, 'a whole number > 0'))
    .option('--summary', 'print summary.md (a narrative of the run) instead of ask.md')
    .option('--out <file>', 'write to this file instead of stdout')
    .option('--no-cache', 'neither read nor write the index cache of big traces (docs/cli.md)')
    .exitOverride()
    .action(async (path: string | undefined, opts: CommonOptions) => {
      if (opts.summary && (opts.flow !== undefined || opts.budget !== undefined)) throw new CliError('--summary takes no --flow or --budget (summary.md covers the whole run)', 2);
      return onRun('ask', path, opts);
    });
  // A server, not a report: it reads the folder until the client closes stdin (docs/ai.md).
  // Loaded on demand, so the other commands do not pay for the MCP SDK at start-up.
  program.command('mcp').description('serve the traces of a folder to AI agents over MCP (stdio): runs, failures, flow events, rollups, diff, ask.md, search; read-only, redacted, size-capped (docs/ai.md)')
    .option('--root <dir>', 'the folder to serve; nothing outside it is read (default: current directory)')
    .exitOverride()
    .action(async (opts: { root?: string }) => {
      const { runMcp } = await import('./mcp/server');
      await runMcp({ root: opts.root, version: version() });
    });
  return program;
}

/** Entry point; resolves to the exit code. Never throws. */
export async function main(argv: string[]): Promise<number> {
  const errLines: string[] = [];
  try {
    const program = buildProgram(async (name, path, opts) => {
      await runCommand(name, path, opts, { out: s => process.stdout.write(s), err: s => process.stderr.write(s) });
    });
    for (const c of [program, ...program.commands])
      c.configureOutput({ writeErr: s => errLines.push(s), outputError: s => errLines.push(s) });
    if (argv.length === 0) {
      process.stderr.write(`flowlens: missing command (${program.commands.map(c => c.name()).join('|')}); see flowlens --help\n`);
      return 2;
    }
    await program.parseAsync(argv, { from: 'user' });
    return process.exitCode === 1 ? 1 : 0;
  } catch (e) {
    if (e instanceof CommanderError) {
      if (e.code === 'commander.helpDisplayed' || e.code === 'commander.version' || e.exitCode === 0) return 0;
      const first = (errLines.join('') || e.message).split('\n').find(l => l.trim()) ?? e.message;
      process.stderr.write(`flowlens: ${esc(first.replace(/^error:\s*/, ''))}\n`);
      return 2;
    }
    if (e instanceof CliError) {
      // Messages can quote run ids, flow names and paths from the trace: keep them one inert line.
      process.stderr.write(`flowlens: ${esc(e.message)}\n`);
      return e.exitCode;
    }
    const msg = e instanceof Error ? e.message : String(e);
    // runCommand has redacted the message (unless --no-redact); never print control characters raw.
    process.stderr.write(`flowlens: internal error: ${esc(msg.split('\n')[0])}\n`);
    return 1;
  }
}

/** Run the command line of this process (dist/cli.js, src/cli/bin.ts, calls it). */
export function runCli(): void {
  process.stdout.on('error', (e: NodeJS.ErrnoException) => {
    if (e.code === 'EPIPE') process.exit(0);
  });
  void main(process.argv.slice(2)).then(code => {
    process.exitCode = code;
  });
}

if (require.main === module) runCli();
