/**
 * The MCP SDK and zod, as the MCP server uses them: bundled apart as dist/cliMcpSdk.js (esbuild.mjs),
 * so the other commands do not compile ~0.9 MB they never run; `flowlens mcp` loads it. Only the
 * zod builders the tools use are passed on (the whole namespace would defeat tree shaking).
 */
import * as zod from 'zod';

export { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
export { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';

/** zod's builders used by the MCP tools (src/cli/mcp/tools.ts). */
export const z = { string: zod.string, number: zod.number, boolean: zod.boolean, enum: zod.enum };
/** A tool's input schema, as the SDK takes it. */
export type ZodRawShape = zod.ZodRawShape;
