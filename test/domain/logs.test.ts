/**
 * condenseLog: repeated lines collapsed with (×N), error lines kept when a tail is cut.
 */
import { describe, expect, it } from 'vitest';
import { condenseLog, ERROR_LINE } from '../../domain/logs.ts';

const lines = (...l: string[]) => l.join('\n');

describe('condenseLog', () => {
  it.each<[string, string, number, string[]]>([
    ['empty text', '', 10, []],
    ['blank lines dropped', lines('a', '', '   ', 'b'), 10, ['a', 'b']],
    ['CRLF line ends', 'a\r\nb\r\n', 10, ['a', 'b']],
    ['identical lines collapse', lines('retrying', 'retrying', 'retrying'), 10, ['retrying (×3)']],
    [
      'lines differing only by timestamp and numbers collapse, keeping the first',
      lines(
        '2024-05-01T12:00:01.123Z connecting to db:5432 attempt 1',
        '2024-05-01T12:00:02.456Z connecting to db:5432 attempt 2',
        '2024-05-01T12:00:03.789Z connecting to db:5432 attempt 3',
      ),
      10,
      ['2024-05-01T12:00:01.123Z connecting to db:5432 attempt 1 (×3)'],
    ],
    ['only consecutive repeats collapse', lines('a', 'b', 'a'), 10, ['a', 'b', 'a']],
    [
      'within the limit nothing is cut',
      lines('one', 'two', 'three'),
      3,
      ['one', 'two', 'three'],
    ],
    [
      'over the limit: newest lines kept, in order',
      lines('l-a', 'l-b', 'l-c', 'l-d', 'l-e'),
      2,
      ['l-d', 'l-e'],
    ],
    [
      'over the limit: an old error line survives the cut',
      lines('FATAL: config file missing', 'info a', 'info b', 'info c', 'info d', 'info e'),
      3,
      ['FATAL: config file missing', 'info d', 'info e'],
    ],
    [
      'errors take at most half the budget (the newest errors)',
      lines('error one', 'error two', 'error three', 'info x', 'info y', 'info z'),
      4,
      ['error two', 'error three', 'info y', 'info z'],
    ],
    [
      'collapsing happens before cutting',
      lines('boot', 'tick', 'tick', 'tick', 'tick', 'panic: nil map'),
      3,
      ['boot', 'tick (×4)', 'panic: nil map'],
    ],
    ['zero budget → nothing', lines('error a', 'error b'), 0, []],
  ])('%s', (_name, text, max, expected) => {
    expect(condenseLog(text, max)).toEqual(expected);
  });

  it('never returns more than maxLines', () => {
    const text = Array.from({ length: 500 }, (_, i) => (i % 3 === 0 ? `error ${'x'.repeat(i % 7)}` : `line ${String.fromCharCode(97 + (i % 26))}`)).join('\n');
    for (const max of [1, 5, 40]) expect(condenseLog(text, max).length).toBeLessThanOrEqual(max);
  });
});

describe('ERROR_LINE', () => {
  it.each([
    ['Error: ECONNREFUSED', true],
    ['panic: runtime error', true],
    ['java.lang.OutOfMemoryError', false], // no word boundary inside the class name
    ['Traceback (most recent call last):', true],
    ['permission denied', true],
    ['OOM killer invoked', true],
    ['connection refused', true],
    ['listening on :8080', false],
    ['terror', false],
  ])('%j → %s', (line, expected) => {
    expect(ERROR_LINE.test(line)).toBe(expected);
  });
});
