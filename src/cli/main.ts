import { Command, CommanderError, InvalidArgumentError } from 'commander';
import { endQuietlyWhenStdoutCloses, type CliIo } from './cli-io.js';
import { DSL_TARGETS, type DslTarget } from '../dsl/targets.js';
import type { ServeOptions } from './commands/serve.js';
import { runDashboard, type DashboardCommandOptions } from './commands/dashboard.js';
import { runDemo } from './commands/demo.js';
import { runDslCompile, runDslDecompile, runDslFmt, runDslValidate, type DslCompileOptions } from './commands/dsl.js';
import { runEnvoy } from './commands/envoy.js';
import { runEval } from './commands/eval.js';
import { runInit } from './commands/init.js';
import { runReport, type ReportOptions } from './commands/report.js';
import { runRoute } from './commands/route.js';
import { MAX_WORKERS, parseWorkers, runServe } from './commands/serve.js';
import { runStub } from './commands/stub.js';
import { runTrainSelector, type TrainSelectorOptions } from './commands/train-selector.js';
import { runValidate } from './commands/validate.js';
import { packageVersion, runVersion } from './commands/version.js';

const PROCESS_IO: CliIo = { stdout: process.stdout, stderr: process.stderr };

/**
 * Runs the `switchyard` command line and resolves to the exit code. Takes its arguments and
 * output streams as parameters (never exits the process), so tests run it in-process.
 */
export async function runCli(argv: readonly string[], io: CliIo = PROCESS_IO): Promise<number> {
  if (io === PROCESS_IO) endQuietlyWhenStdoutCloses();
  let exitCode = 0;
  const program = new Command('switchyard')
    .description('Semantic router for LLM traffic: an Envoy ext_proc sidecar')
    .version(packageVersion(), '-V, --version', 'print the version')
    .exitOverride()
    .configureOutput({ writeOut: (text) => io.stdout.write(text), writeErr: (text) => io.stderr.write(text) });

  program
    .command('init')
    .description('write a commented starter config.yaml')
    .option('--dir <dir>', 'directory for config.yaml', '.')
    .option('--force', 'replace an existing config.yaml with the starter config')
    .action(async (options: { dir: string; force?: boolean }) => {
      exitCode = await runInit(options, io);
    });

  program
    .command('validate')
    .description('check a config file and print every problem')
    .requiredOption('--config <file>', 'config file')
    .action(async (options: { config: string }) => {
      exitCode = await runValidate(options, io);
    });

  program
    .command('version')
    .description('print the version')
    .action(async () => {
      exitCode = await runVersion(io);
    });

  program
    .command('serve')
    .description('run the ext_proc sidecar, the built-in gateway and the admin server, reloading the config when the file changes')
    .requiredOption('--config <file>', 'config file')
    .option('--grpc-port <port>', 'ext_proc gRPC port (overrides envoy.extproc_port; 0 = any free port)', parsePort)
    .option('--listen-port <port>', 'gateway listener port (overrides listeners[].port; 0 = any free port)', parsePort)
    .option('--admin-port <port>', 'admin port for /healthz, /readyz, /metrics (overrides envoy.admin_port; 0 = any free port)', parsePort)
    .option('--admin-address <address>', 'address the admin server binds', '127.0.0.1')
    .option('--sidecar <host:port>', 'send the gateway to a remote sidecar instead of starting one', parseHostPort)
    .option('--no-gateway', 'run only the sidecar, without the built-in gateway')
    .option('--workers <n>', 'processes serving traffic, sharing the listeners and the learnt state (default: $SWITCHYARD_WORKERS, else the number of cores; 1 = this process only)', parseWorkerCount)
    .action(async (options: ServeOptions) => {
      exitCode = await runServe(options, io);
    });

  program
    .command('dashboard')
    .description("print (and with --open, open) the URL of a running serve's web dashboard, checking that it answers")
    .option('--config <file>', 'the config serve runs with (its envoy.admin_port is the port)')
    .option('--admin-port <port>', 'admin port of the running serve (overrides the config)', parsePort)
    .option('--admin-address <address>', 'address of the admin server', '127.0.0.1')
    .option('--open', 'open the URL in the desktop browser (xdg-open)')
    .action(async (options: DashboardCommandOptions) => {
      exitCode = await runDashboard(options, io);
    });

  program
    .command('stub')
    .description('run an OpenAI-compatible stub upstream that answers as one model')
    .requiredOption('--port <port>', 'port to listen on (0 = any free port)', parsePort)
    .requiredOption('--model <name>', 'model name the stub answers as')
    .option('--latency-ms <ms>', 'delay before each answer starts', parseNonNegativeInteger)
    .option('--host <address>', 'address to bind', '127.0.0.1')
    .action(async (options: { port: number; model: string; latencyMs?: number; host: string }) => {
      exitCode = await runStub(options, io);
    });

  program
    .command('envoy')
    .description('render the envoy.yaml that runs a real Envoy in front of the sidecar for a config')
    .requiredOption('--config <file>', 'config file')
    .option('--check', "also decode the result strictly against Envoy's protos; exit 1 on any problem")
    .option('--out <file>', 'write to this file instead of stdout')
    .option('--sidecar <host:port>', "where Envoy reaches the sidecar when it runs elsewhere (default: the config's extproc address)", parseHostPort)
    .action(async (options: { config: string; check?: boolean; out?: string; sidecar?: { address: string; port: number } }) => {
      exitCode = await runEnvoy(options, io);
    });

  program
    .command('demo')
    .description('route a prompt suite through the whole stack against stub models and print where each went')
    .option('--config <file>', 'config file (default: examples/seed-tutorial.yaml)')
    .action(async (options: { config?: string }) => {
      exitCode = await runDemo(options, io);
    });

  program
    .command('report')
    .description('cost, savings and share kept local, by model and by decision, from an access log or a running instance')
    .option('--log <file>', "an access log: the JSON lines of `switchyard serve` (its \"request\" lines)")
    .option('--admin <url>', "a running instance's admin address, e.g. http://127.0.0.1:9901")
    .option('--window <duration>', 'only the last DURATION, e.g. 15m or 24h')
    .option('--json', 'print one JSON report')
    .action(async (options: ReportOptions) => {
      exitCode = await runReport(options, io);
    });

  program
    .command('route')
    .description('print where prompts would be routed, without calling any model')
    .requiredOption('--config <file>', 'config file')
    .option('--prompt <text>', 'one prompt')
    .option('--input <file>', 'JSONL file of prompts ({"id"?, "text"} or {"id"?, "messages"})')
    .option('--explain', "under each line, why: each signal's score against its threshold, a classifier's top labels, and whether each decision matched")
    .action(async (options: { config: string; prompt?: string; input?: string; explain?: boolean }) => {
      exitCode = await runRoute(options, io);
    });

  program
    .command('eval')
    .description('route a labelled JSONL file and report accuracy, a confusion matrix, failed lines and latency')
    .requiredOption('--config <file>', 'config file')
    .requiredOption('--input <file>', 'JSONL: {"id"?, "text" | "messages", "expect_decision"?, "expect_model"?, "expect_tier"?, "expect_blocked"?}')
    .option('--json', 'print one JSON report')
    .option('--split <name>', 'only the lines whose "split" field is this (e.g. dev or test)')
    .option('--min-accuracy <fraction>', 'exit 1 when fewer lines than this fraction (0-1) meet all their expectations', parseFraction)
    .action(async (options: { config: string; input: string; json?: boolean; split?: string; minAccuracy?: number }) => {
      exitCode = await runEval(options, io);
    });

  program
    .command('train-selector')
    .description('train a knn, kmeans, svm, mlp or ensemble model selector from a JSONL of prompts with per-model outcomes; writes the file and its model card')
    .requiredOption('--input <file>', 'JSONL: {"prompt", "outcomes": {model: 0..1}, "split"?: train|val|test, "source"?}; outcome keys cheapest model first')
    .requiredOption('--algorithm <kind>', 'knn, kmeans, svm, mlp or ensemble, or several separated by commas (the prompts are embedded once)')
    .requiredOption('--out <file>', 'selector file to write (the model card goes next to it as .md); {algorithm} in it stands for the kind')
    .option('--seed <n>', 'random seed', parseNonNegativeInteger, 1)
    .option('--source <name>', 'train on the examples of this source only (e.g. gsm8k for a math decision)')
    .option('--embedder <name>', 'prompt vector: embedder (bundled word vectors) or use-lite (the sentence encoder the domain signal reads)', 'embedder')
    .option('--k <n>', 'knn: nearest prototypes that vote, recorded as the default', parseNonNegativeInteger)
    .option('--prototypes <n>', 'knn: prototypes standing for the training prompts (default 256)', parseNonNegativeInteger)
    .option('--members <kinds>', 'ensemble: member kinds fitted on train and weighed on val (default knn,kmeans,mlp)')
    .option('--clusters <n>', 'kmeans: number of clusters', parseNonNegativeInteger)
    .option('--kernel <kernel>', 'svm: rbf or linear')
    .option('--gamma <g>', 'svm: RBF width', Number)
    .action(async (options: TrainSelectorOptions) => {
      exitCode = await runTrainSelector(options, io);
    });

  const dsl = program.command('dsl').description('the routing DSL: compile to YAML, CRDs or Helm values, decompile YAML, validate, format');
  dsl
    .command('compile <file>')
    .description('compile a DSL file to a config (yaml), a SemanticRouter custom resource (crd) or Helm values (helm)')
    .option('--format <format>', 'yaml | crd | helm', parseDslTarget, 'yaml')
    .option('--out <file>', 'write to this file instead of stdout')
    .option('--name <name>', 'metadata.name of the custom resource (crd)')
    .option('--namespace <namespace>', 'metadata.namespace of the custom resource (crd)')
    .action(async (file: string, options: DslCompileOptions) => {
      exitCode = await runDslCompile(file, options, io);
    });
  dsl
    .command('decompile <file>')
    .description('decompile a YAML config to DSL source')
    .option('--out <file>', 'write to this file instead of stdout')
    .action(async (file: string, options: { out?: string }) => {
      exitCode = await runDslDecompile(file, options, io);
    });
  dsl
    .command('validate <file>')
    .description('check a DSL file and print every problem, located')
    .action(async (file: string) => {
      exitCode = await runDslValidate(file, io);
    });
  dsl
    .command('fmt <file>')
    .description('print a DSL file in the canonical layout (comments kept)')
    .option('--write', 'rewrite the file in place')
    .option('--check', 'exit 1 when the file is not formatted')
    .action(async (file: string, options: { write?: boolean; check?: boolean }) => {
      exitCode = await runDslFmt(file, options, io);
    });

  try {
    await program.parseAsync([...argv], { from: 'user' });
    return exitCode;
  } catch (error) {
    // --version and --help end parsing through the exit override with code 0.
    if (error instanceof CommanderError) return error.exitCode;
    io.stderr.write(`switchyard: ${(error as Error).message}\n`);
    return 1;
  }
}

function parseDslTarget(value: string): DslTarget {
  if (!(DSL_TARGETS as readonly string[]).includes(value)) throw new InvalidArgumentError(`expected one of ${DSL_TARGETS.join(', ')}`);
  return value as DslTarget;
}

function parsePort(value: string): number {
  const port = Number(value);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new InvalidArgumentError('expected a port number 0-65535');
  return port;
}

function parseWorkerCount(value: string): number {
  const count = parseWorkers(value);
  if (count === undefined) throw new InvalidArgumentError(`expected a number of workers from 1 to ${MAX_WORKERS}`);
  return count;
}

function parseFraction(value: string): number {
  const number = Number(value);
  if (value.trim() === '' || !Number.isFinite(number) || number < 0 || number > 1) throw new InvalidArgumentError('expected a fraction from 0 to 1, e.g. 0.9');
  return number;
}

function parseNonNegativeInteger(value: string): number {
  const number = Number(value);
  if (!Number.isInteger(number) || number < 0) throw new InvalidArgumentError('expected a whole number of 0 or more');
  return number;
}

function parseHostPort(value: string): { address: string; port: number } {
  const match = /^(?:\[([^\]]+)\]|([^:]+)):(\d+)$/.exec(value);
  const port = Number(match?.[3]);
  if (match === null || port < 1 || port > 65535) throw new InvalidArgumentError('expected HOST:PORT (IPv6 as [HOST]:PORT)');
  return { address: match[1] ?? match[2] ?? '', port };
}
