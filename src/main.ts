import { runHealth } from './cli/health.ts';
import { runSecure } from './cli/secure.ts';
import { runSend } from './cli/send.ts';
import { createApp } from './app.ts';
import { formatProblems, loadConfig, resolveConfigOptions } from './config/load.ts';
import { createLogger } from './log.ts';

// Process entry: argv, env, signals and exit codes. The only module that touches `process`.

const io = {
  out: (line: string) => process.stdout.write(`${line}\n`),
  err: (line: string) => process.stderr.write(`${line}\n`),
};

const usage = 'usage: hl7v2-listener start | send <files...> [--host H] [--port P] | secure encrypt|decrypt <value> | secure new-api-key <name> | health';

async function main(argv: string[]): Promise<number> {
  const [command, ...args] = argv;
  switch (command) {
    case 'start':
      return start();
    case 'secure':
      return runSecure(args, process.env, io);
    case 'send':
      return runSend(args, io);
    case 'health':
      return runHealth(loadedConfigOrExit(), io);
    default:
      io.err(usage);
      return 2;
  }
}

function loadedConfigOrExit() {
  const options = resolveConfigOptions(process.env);
  const loaded = loadConfig(options);
  if (!loaded.ok) {
    io.err(formatProblems(loaded.problems, options));
    process.exit(1);
  }
  return loaded.config;
}

async function start(): Promise<number> {
  const config = loadedConfigOrExit();
  const log = createLogger(config.log);
  const app = createApp(config, log);
  try {
    await app.start();
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    log.fatal({ reason: message }, 'hl7v2-listener cannot start');
    io.err(`hl7v2-listener cannot start: ${message}`);
    return 1;
  }
  let signalled = false;
  const stop = (signal: NodeJS.Signals) => {
    if (signalled) {
      log.warn({ signal }, 'second signal: exiting at once');
      process.exit(1);
    }
    signalled = true;
    log.info({ signal }, 'shutting down: finishing in-flight messages');
    app.close().then(
      () => process.exit(0),
      (err: unknown) => {
        log.error({ err }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
  return new Promise<number>(() => {
    // Runs until a signal ends the process.
  });
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    io.err(`hl7v2-listener: ${err instanceof Error ? err.message : String(err)}`);
    process.exitCode = 1;
  },
);
