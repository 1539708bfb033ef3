/**
 * The built-in examples of `flow example`, as the Python Flow CLI 3.28 names them. Each one pins
 * its workload, never its hardware, and runs on a machine without GPUs too (the local provider
 * on a laptop): commands that need a GPU say so instead of failing.
 */

export interface Example {
  /** The task's name (the id gets a random suffix). */
  taskName: string;
  /** One line for the list. */
  summary: string;
  /** Shell lines, run with bash -c. */
  command: string;
  uploadCode: boolean;
}

/** Fits y = 3x + 1 by gradient descent: a stand-in for train.py that needs nothing installed. */
const TRAIN_PY = `xs = [i / 10 for i in range(10)]
ys = [3 * x + 1 for x in xs]
w = b = 0.0
for step in range(1, 51):
    gw = sum(2 * (w * x + b - y) * x for x, y in zip(xs, ys)) / len(xs)
    gb = sum(2 * (w * x + b - y) for x, y in zip(xs, ys)) / len(xs)
    w -= 0.5 * gw
    b -= 0.5 * gb
    if step % 10 == 0:
        loss = sum((w * x + b - y) ** 2 for x, y in zip(xs, ys)) / len(xs)
        print(f"step {step:2d}  loss {loss:.6f}")
print(f"final loss {loss:.6f}  (w={w:.3f}, b={b:.3f})")`;

/** The same loop in awk, for hosts without python3; prints the same lines. */
const TRAIN_AWK = `awk 'BEGIN {
  n = 10; w = 0; b = 0
  for (i = 0; i < n; i++) { x[i] = i / 10; y[i] = 3 * x[i] + 1 }
  for (step = 1; step <= 50; step++) {
    gw = 0; gb = 0
    for (i = 0; i < n; i++) { e = w * x[i] + b - y[i]; gw += 2 * e * x[i] / n; gb += 2 * e / n }
    w -= 0.5 * gw; b -= 0.5 * gb
    if (step % 10 == 0) {
      loss = 0
      for (i = 0; i < n; i++) { e = w * x[i] + b - y[i]; loss += e * e / n }
      printf "step %2d  loss %.6f\\n", step, loss
    }
  }
  printf "final loss %.6f  (w=%.3f, b=%.3f)\\n", loss, w, b
}'`;

const indent = (text: string) => text.replace(/^/gm, '  ');

export const EXAMPLES: Readonly<Record<string, Example>> = {
  minimal: {
    taskName: 'minimal-example',
    summary: 'Hello world: print a greeting, the hostname and the date',
    command: ["echo 'Hello from Flow SDK!'", 'hostname 2>/dev/null || uname -n', 'date'].join('\n'),
    uploadCode: true,
  },
  'gpu-test': {
    taskName: 'gpu-test',
    summary: 'Verify GPU access and CUDA with nvidia-smi (says so when there is no GPU)',
    command: [
      'echo "Testing GPU availability..."',
      'if command -v nvidia-smi >/dev/null 2>&1 && nvidia-smi; then',
      '  echo "GPU test complete!"',
      'else',
      '  echo "No GPU found on this machine (nvidia-smi is missing or failed): nothing to test."',
      'fi',
    ].join('\n'),
    uploadCode: false,
  },
  'system-info': {
    taskName: 'system-info',
    summary: 'Print system information: hostname, CPU, memory and GPUs',
    command: [
      'echo "=== System Information ==="',
      'echo "Hostname: $(hostname 2>/dev/null || uname -n)"',
      'echo "CPU Info:"',
      'lscpu 2>/dev/null | grep "Model name" || grep -m1 "model name" /proc/cpuinfo',
      'echo "Memory:"',
      'free -h 2>/dev/null || head -n 3 /proc/meminfo',
      'echo "GPU Info:"',
      'nvidia-smi --query-gpu=name,memory.total --format=csv 2>/dev/null || echo "no GPU (nvidia-smi not found)"',
    ].join('\n'),
    uploadCode: true,
  },
  training: {
    taskName: 'basic-training',
    summary: 'A tiny training loop (python3, else awk) printing its steps and a final loss',
    command: [
      'echo "Starting training job..."',
      'if command -v python3 >/dev/null 2>&1; then',
      "  python3 - <<'PY'", // the heredoc body stays at column 0: Python reads its indentation
      TRAIN_PY,
      'PY',
      'else',
      indent(TRAIN_AWK),
      'fi',
      'echo "Training complete!"',
    ].join('\n'),
    uploadCode: true,
  },
};

export const EXAMPLE_NAMES = Object.keys(EXAMPLES);

/**
 * The example as a task file in 3.28's shape (snake_case): name, unique_name, command, priority,
 * upload_code. `--show` prints it with unique_name false, as 3.28 does, so an edited copy keeps its
 * name; a run uses true, so running an example twice never clashes.
 */
export function exampleYaml(name: string, options: { uniqueName: boolean }): string {
  const example = EXAMPLES[name]!;
  const yaml = require('yaml') as typeof import('yaml'); // lazy: keeps CLI start-up fast
  const fields = {
    name: example.taskName,
    unique_name: options.uniqueName,
    command: example.command,
    priority: 'med',
    upload_code: example.uploadCode,
  };
  return yaml.stringify(fields, { lineWidth: 0, blockQuote: 'literal' });
}

/** Printed above `--show`'s YAML: where the hardware comes from. */
export function showHeader(name: string): string {
  return (
    `# instance_type is left out: \`flow example ${name}\` runs on what the provider picks\n` +
    '# (the local provider: all GPUs of this machine, else cpu). Set instance_type\n' +
    '# (for example 1xh100) to pin one before running this file with flow run.\n'
  );
}
