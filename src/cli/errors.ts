/** An expected failure: printed as one line on stderr (`flowlens: <message>`), exit with this code. */
export class CliError extends Error {
  constructor(message: string, readonly exitCode: 1 | 2 = 1) {
    super(message);
  }
}
