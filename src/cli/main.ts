/**
 * `flowlens` — headless command-line view of flow traces. A thin shell over `src/trace`: it
 * parses arguments (commander), asks the trace core, and prints tables or `--json`.
 * Exit codes: 0 ok, 1 something asked for does not exist (or an internal error), 2 usage error.
 */
import { Command, CommanderError, Option } from 'commander';
import pkg from '../../package.json';
import { CliError, runCommand, type CommandName, type CommonOptions } from './commands';

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

/** Build the commander program; `onRun` receives the parsed command. Exported for tests. */
export function buildProgram(onRun: (name: CommandName, path: string | undefined, opts: CommonOptions) => Promise<void>): Command {
  const program = new Command('flowlens')
    .description('Read flow traces (flowscribe JSONL, SQLite stores) and show runs, flows and failures.')
    .version(version(), '-V, --version')
    .showSuggestionAfterError(true)
    .exitOverride();
  for (const c of COMMANDS) {
    const cmd = program.command(c.name).description(c.summary)
      .argument('[path]', 'workspace folder or a single trace file (default: current directory)')
      .option('--json', 'machine-readable output (schema: docs/cli.md)')
      .option('--no-redact', 'do not redact evidence/reason with ra.yaml privacy.redact_keys')
      .exitOverride();
    if (c.run) cmd.addOption(new Option('--run <id>', "run id, 'latest' or 'all'").default(undefined, c.name === 'runs' ? 'all' : 'latest'));
    cmd.action(async (path: string | undefined, opts: CommonOptions) => onRun(c.name, path, opts));
  }
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
      process.stderr.write(`flowlens: missing command (${COMMANDS.map(c => c.name).join('|')}); see flowlens --help\n`);
      return 2;
    }
    await program.parseAsync(argv, { from: 'user' });
    return process.exitCode === 1 ? 1 : 0;
  } catch (e) {
    if (e instanceof CommanderError) {
      if (e.code === 'commander.helpDisplayed' || e.code === 'commander.version' || e.exitCode === 0) return 0;
      const first = (errLines.join('') || e.message).split('\n').find(l => l.trim()) ?? e.message;
      process.stderr.write(`flowlens: ${first.replace(/^error:\s*/, '')}\n`);
      return 2;
    }
    if (e instanceof CliError) {
      process.stderr.write(`flowlens: ${e.message}\n`);
      return e.exitCode;
    }
    const msg = e instanceof Error ? e.message : String(e);
    process.stderr.write(`flowlens: internal error: ${msg.split('\n')[0]}\n`);
    return 1;
  }
}

if (require.main === module) {
  process.stdout.on('error', (e: NodeJS.ErrnoException) => {
    if (e.code === 'EPIPE') process.exit(0);
  });
  void main(process.argv.slice(2)).then(code => {
    process.exitCode = code;
  });
}
