// Placeholder entry point; the CLI lands with the trace core.
process.stdout.write('flowlens: not implemented yet\n');
