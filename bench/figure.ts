/** One figure of the benchmark beside its floor, measured in the same run, with its target. */
import { summarize, type Summary } from './stats';

export interface Figure {
  what: string;
  unit: string;
  /** Summary of the samples (for rates and sizes, a single sample). */
  value: Summary;
  floor: { what: string; value: Summary } | null;
  /** value ÷ floor by median (for a rate: value's rate ÷ floor's rate). */
  ratio: number | null;
  target: string;
  met: boolean;
  samples: { value: number[]; floor?: number[] };
}

const round3 = (x: number) => Math.round(x * 1000) / 1000;
const rounded = (samples: number[]) => samples.map((x) => Math.round(x * 10) / 10);

/**
 * A figure from its raw samples and its floor's; `meets` decides the target from the ratio and
 * the value's summary (so a target can bound the ratio, the value, or both).
 */
export function figure(options: {
  what: string;
  unit: string;
  samples: number[];
  floor?: { what: string; samples: number[] };
  target: string;
  meets: (ratio: number | null, value: Summary) => boolean;
}): Figure {
  const value = summarize(options.samples);
  const floor = options.floor ? { what: options.floor.what, value: summarize(options.floor.samples) } : null;
  const ratio = floor && floor.value.median !== 0 ? round3(value.median / floor.value.median) : null;
  return {
    what: options.what,
    unit: options.unit,
    value,
    floor,
    ratio,
    target: options.target,
    met: options.meets(ratio, value),
    samples: { value: rounded(options.samples), ...(options.floor ? { floor: rounded(options.floor.samples) } : {}) },
  };
}
