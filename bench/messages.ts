/** The small JSON messages of the benchmarks, about 50 bytes each, as a market-data feed and its commands. */

const SYMBOLS = ['BTC-USD', 'ETH-USD', 'SOL-USD', 'XRP-USD'] as const;

/** The i-th message the server sends (the flood repeats a block of them). */
export function receiveMessage(i: number): string {
  const symbol = SYMBOLS[i % SYMBOLS.length]!;
  const price = (64_000 + ((i * 7_919) % 10_000) / 4).toFixed(2);
  return `{"seq":${100_000 + i},"sym":"${symbol}","px":${price},"qty":${1 + (i % 97)}}`;
}

/** The i-th message a client sends. */
export function sendMessage(i: number): string {
  const symbol = SYMBOLS[i % SYMBOLS.length]!;
  return `{"op":"order","id":${100_000 + (i % 900_000)},"sym":"${symbol}","qty":${1 + (i % 97)}}`;
}

/** The length of a typical message in bytes, for the report. */
export function sampleMessage(): { receiveBytes: number; sendBytes: number } {
  return { receiveBytes: Buffer.byteLength(receiveMessage(1)), sendBytes: Buffer.byteLength(sendMessage(1)) };
}
