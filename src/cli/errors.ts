/** Marks a {@link CliError}, whichever bundle made it (dist/cliMcp.js has its own copy of this class). */
const CLI_ERROR = Symbol.for('flowlens.cli.CliError');

/** An expected failure: printed as one line on stderr (`flowlens: <message>`), exit with this code. */
export class CliError extends Error {
  readonly [CLI_ERROR] = true;
  constructor(message: string, readonly exitCode: 1 | 2 = 1) {
    super(message);
  }

  /** `instanceof` holds for a CliError of the other bundle too (the MCP server's). */
  static override [Symbol.hasInstance](v: unknown): boolean {
    return typeof v === 'object' && v !== null && (v as Record<symbol, unknown>)[CLI_ERROR] === true;
  }
}
