import {
  DEFAULT_CHANNEL,
  describeState,
  parseArgs,
  printableUrl,
  subscribeText,
  urlProblem,
} from '../../examples/node/cli';

describe('the Node example: command line', () => {
  it('subscribes to a channel of the demo feed when nothing else is asked, so that the README command streams', () => {
    expect(parseArgs(['ws://localhost:8080/ws'])).toEqual({
      url: 'ws://localhost:8080/ws',
      protocols: [],
      sends: [subscribeText(DEFAULT_CHANNEL)],
      maxAttempts: Infinity,
    });
    expect(subscribeText('cpu')).toBe('{"type":"subscribe","channel":"cpu"}');
  });

  it('takes --channel, --send and --protocol (repeatable, also as --name=value), and --max-attempts', () => {
    expect(
      parseArgs([
        '--channel',
        'cpu',
        '--channel=memory',
        'ws://h/ws',
        '--send',
        'hi',
        '--protocol=p1',
        '--max-attempts',
        '3',
      ]),
    ).toEqual({
      url: 'ws://h/ws',
      protocols: ['p1'],
      sends: [subscribeText('cpu'), subscribeText('memory'), 'hi'],
      maxAttempts: 3,
    });
    // --send alone replaces the default subscription.
    expect(parseArgs(['ws://h/ws', '--send', 'hi'])).toMatchObject({ sends: ['hi'] });
    expect(parseArgs(['ws://h/ws', '--max-attempts=0'])).toMatchObject({ maxAttempts: 0 });
  });

  it('says what is wrong with a command line', () => {
    expect(parseArgs([])).toEqual({ problem: 'a URL is required' });
    expect(parseArgs(['a', 'b'])).toEqual({ problem: 'one URL expected, got 2' });
    expect(parseArgs(['ws://h', '--max-attempts'])).toEqual({ problem: '--max-attempts needs a value' });
    expect(parseArgs(['ws://h', '--max-attempts', '-1'])).toEqual({
      problem: '--max-attempts takes a whole number ≥ 0, not "-1"',
    });
    expect(parseArgs(['ws://h', '--retries', '2'])).toEqual({ problem: 'unknown option --retries' });
    expect(parseArgs(['--help'])).toEqual({ problem: '' });
  });

  it('suggests ws:// for a URL without a scheme, showing its host and port', () => {
    expect(urlProblem('localhost:8080/ws')).toBe(
      '"localhost:8080/ws" has no scheme: did you mean ws://localhost:8080/ws?',
    );
    expect(urlProblem('127.0.0.1:9000')).toBe('"127.0.0.1:9000" has no scheme: did you mean ws://127.0.0.1:9000?');
    expect(urlProblem('feed.example.com/ws')).toBe(
      '"feed.example.com/ws" has no scheme: did you mean wss://feed.example.com/ws?',
    );
    expect(urlProblem('ftp://example.com/x')).toBe(
      '"ftp://example.com/x" is not a WebSocket URL: the scheme must be ws:// or wss://',
    );
    for (const good of ['ws://localhost:8080/ws', 'wss://example.com', 'http://localhost:1/', 'HTTPS://x'])
      expect(urlProblem(good)).toBeUndefined();
  });

  it('never prints credentials, query or fragment, in the problem or the suggestion', () => {
    const problem = urlProblem('alice:s3cret@localhost:8080/ws?token=abc#frag') ?? '';
    expect(problem).toContain('localhost:8080/ws');
    expect(problem).toContain('did you mean ws://localhost:8080/ws?');
    expect(problem).not.toMatch(/alice|s3cret|token=|abc|#frag/);
    expect(printableUrl('wss://u:p@host:1/path?q=1#f')).toBe('wss://host:1/path?…');
    expect(printableUrl('ftp://u:p@host/x#f')).toBe('ftp://host/x?…');
  });

  it('prints a state with its status once ("open", not "[open] open")', () => {
    expect(describeState({ status: 'open', protocol: '', extensions: '' })).toBe('open');
    expect(describeState({ status: 'open', protocol: 'dashboard.v1', extensions: '' })).toBe(
      'open (protocol dashboard.v1)',
    );
    expect(describeState({ status: 'connecting', attempt: 2 })).toBe('connecting (attempt 2)');
    expect(
      describeState({
        status: 'reconnecting',
        attempt: 1,
        delayMs: 1234.5,
        lastClose: { code: 1001, reason: 'bye', wasClean: true },
      }),
    ).toBe('reconnecting in 1235 ms (attempt 1) after close 1001 "bye"');
  });
});
