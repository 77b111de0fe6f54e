/**
 * `tsquic bench`: the benchmark suite of bench/main.ts (the same as `npm run bench`). The suite
 * lives outside src/ and is not part of the published package, so it is loaded on demand; from
 * an installed package the command says where to find it.
 */
import { type Command, flagOption, stringOption } from './args.js';

export const benchCommand: Command = {
  name: 'bench',
  summary: 'run the benchmark suite (from a source checkout)',
  usage: '[--quick] [--out DIR] [--only GROUP[,GROUP]] [--no-profile]',
  description: [
    'Runs the benchmark suite: micro (packet protection, TLS handshakes, frame codecs), memory',
    '(heap per idle connection), inmem (in-memory transfer, congestion-controller grid,',
    'fairness, window trace) and loopback (two processes on 127.0.0.1, ngtcp2 comparison).',
    'Progress goes to stderr, a target summary to stdout; --out writes results.json, report.md',
    'and SVG charts.',
  ].join('\n'),
  options: {
    quick: { type: 'boolean', description: 'reduced sizes and runs (a few minutes)' },
    out: {
      type: 'string',
      valueName: 'DIR',
      description: 'write the results, report and charts here',
    },
    only: {
      type: 'string',
      valueName: 'GROUP',
      description: 'run only these groups (comma-separated)',
    },
    'no-profile': { type: 'boolean', description: 'no CPU profiles for missed targets' },
  },
  async run(args, io) {
    const argv: string[] = [];
    if (flagOption(args, 'quick')) argv.push('--quick');
    const out = stringOption(args, 'out');
    if (out !== undefined) argv.push('--out', out);
    const only = stringOption(args, 'only');
    if (only !== undefined) argv.push('--only', only);
    if (flagOption(args, 'no-profile')) argv.push('--no-profile');
    let suite: typeof import('../../bench/main.js');
    try {
      suite = await import('../../bench/main.js');
    } catch (e) {
      io.stderr.write(
        `tsquic bench: the benchmark suite is not installed here (${(e as Error).message.split('\n')[0]}); ` +
          'run it from a source checkout: npm run bench\n',
      );
      return 1;
    }
    return suite.runBench(argv, io, ['tsquic bench', ...argv].join(' '));
  },
};
