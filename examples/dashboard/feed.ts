import type { ChannelInfo } from './protocol';

/** Produces the next value of a channel, one call per message. */
export type ValueModel = () => number;

/** Random numbers in [0, 1); injectable so a feed can be replayed. */
export type Random = () => number;

/** A standard normal draw (Box–Muller). */
function gaussian(random: Random): number {
  const u = 1 - random(); // (0, 1], so the logarithm is finite
  const v = random();
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
}

/** A price: a geometric random walk, so moves scale with the level and the price never goes negative. */
function price(random: Random, start: number, volatilityPerTick: number): ValueModel {
  let value = start;
  return () => {
    value *= Math.exp(volatilityPerTick * gaussian(random));
    return value;
  };
}

/** A gauge pulled back towards its mean (Ornstein–Uhlenbeck), within bounds. */
function meanReverting(
  random: Random,
  mean: number,
  pull: number,
  noise: number,
  min: number,
  max: number,
): ValueModel {
  let value = mean;
  return () => {
    value += pull * (mean - value) + noise * gaussian(random);
    value = Math.min(max, Math.max(min, value));
    return value;
  };
}

/** CPU load with the occasional burst of work that decays away. */
function cpu(random: Random): ValueModel {
  const base = meanReverting(random, 38, 0.05, 1.6, 2, 100);
  let burst = 0;
  return () => {
    if (random() < 0.004) burst = 25 + random() * 30;
    burst *= 0.97;
    return Math.min(100, base() + burst);
  };
}

/** Heap in use: grows steadily, then drops when the collector runs. */
function memory(random: Random): ValueModel {
  let value = 5.6;
  return () => {
    value += 0.002 + 0.003 * random();
    if (value > 7.4 || random() < 0.0015) value = 5.4 + random() * 0.4;
    return value;
  };
}

/** Tail latency: log-normal noise with rare spikes. */
function latency(random: Random): ValueModel {
  const level = meanReverting(random, Math.log(120), 0.08, 0.06, Math.log(20), Math.log(5_000));
  return () => {
    const spike = random() < 0.01 ? 1.8 + random() * 2 : 1;
    return Math.exp(level()) * spike;
  };
}

/** Request throughput following a slow daily-like wave, with noise. */
function requests(random: Random): ValueModel {
  let phase = random() * Math.PI * 2;
  const noise = meanReverting(random, 0, 0.1, 25, -400, 400);
  return () => {
    phase += 0.004;
    return Math.max(0, 1_250 + 450 * Math.sin(phase) + noise());
  };
}

/** The value model of each channel of the dashboard's catalog. */
export function createModels(channels: readonly ChannelInfo[], random: Random = Math.random): Map<string, ValueModel> {
  const models = new Map<string, ValueModel>();
  for (const { name } of channels) {
    switch (name) {
      case 'BTC-USD':
        models.set(name, price(random, 64_250, 0.00035));
        break;
      case 'ETH-USD':
        models.set(name, price(random, 3_120, 0.00045));
        break;
      case 'EUR-USD':
        models.set(name, price(random, 1.0842, 0.00004));
        break;
      case 'cpu':
        models.set(name, cpu(random));
        break;
      case 'memory':
        models.set(name, memory(random));
        break;
      case 'latency-p99':
        models.set(name, latency(random));
        break;
      case 'requests':
        models.set(name, requests(random));
        break;
      default:
        models.set(name, meanReverting(random, 50, 0.05, 2, 0, 100));
    }
  }
  return models;
}
