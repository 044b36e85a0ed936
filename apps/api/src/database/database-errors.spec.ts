import { describe, expect, it } from '@jest/globals';

import { QueryRunnerAlreadyReleasedError, QueryRunnerProviderAlreadyReleasedError } from 'typeorm';

import { isDatabaseUnavailable } from './database-errors.js';

function withCode(code: string, message = 'x'): Error {
  return Object.assign(new Error(message), { code });
}

describe(isDatabaseUnavailable.name, () => {
  it.each([
    ['a refused connection', withCode('ECONNREFUSED')],
    ['a refused connection to every address of a name', new AggregateError([withCode('ECONNREFUSED')], '')],
    ['a connection that died', new Error('Connection terminated unexpectedly')],
    ['a pool that could not connect in time', new Error('timeout exceeded when trying to connect')],
    ['a server shutting down', withCode('57P01', 'terminating connection due to administrator command')],
    ['a server starting up', withCode('57P03', 'the database system is starting up')],
    ['a connection exception', withCode('08006')],
    [
      'a TypeORM QueryFailedError around one',
      Object.assign(new Error('q'), { driverError: withCode('ECONNRESET') }),
    ],
    ['a transaction whose connection died before its COMMIT', new QueryRunnerAlreadyReleasedError()],
    [
      'a transaction whose connection died before its next statement',
      new QueryRunnerProviderAlreadyReleasedError(),
    ],
  ])('returns true for %s', (_what, error) => {
    expect(isDatabaseUnavailable(error)).toBe(true);
  });

  it.each([
    ['a unique violation', withCode('23505', 'duplicate key value')],
    ['a syntax error', withCode('42601')],
    ['a TypeError', new TypeError('Cannot read properties of undefined')],
    ['a string', 'Connection terminated'],
    ['null', null],
  ])('returns false for %s', (_what, error) => {
    expect(isDatabaseUnavailable(error)).toBe(false);
  });
});
