#!/usr/bin/env node
import { buildProgram, commanderExitCode } from './cli/program.js';
import { gatewayVersion } from './config/version.js';
import { GatewayError } from './domain/index.js';

/** Exit codes: 0 ok, 1 failure, 2 invalid configuration or usage. */
const EXIT_USAGE = 2;

async function main(argv: string[]): Promise<void> {
  try {
    await buildProgram(gatewayVersion()).parseAsync(argv);
  } catch (error) {
    const shown = commanderExitCode(error);
    if (shown !== undefined) {
      process.exitCode = shown === 0 ? 0 : EXIT_USAGE;
      return;
    }
    if (error instanceof GatewayError) {
      process.stderr.write(`vitals-gateway: ${error.message}\n`);
      process.exitCode = error.code.startsWith('GW_CONFIG') || error.code === 'GW_INPUT_INVALID' ? EXIT_USAGE : 1;
      return;
    }
    process.stderr.write(`vitals-gateway: unexpected error: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exitCode = 1;
  }
}

await main(process.argv);
