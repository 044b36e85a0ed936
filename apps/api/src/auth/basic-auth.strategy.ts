import { Injectable } from '@nestjs/common';
import { formatBasicAuthorization, parseBasicAuthorization } from '@lfs-depot/auth';
import { DomainError, ErrorCode } from '@lfs-depot/contracts';
import passport from 'passport';
import { BasicStrategy } from 'passport-http';

import type { Principal } from '../core/principal.js';
import { AuthService } from './auth.service.js';

/** What the strategy runs on: the Authorization header, and the client address that keys the password throttle. */
interface BasicAuthRequest {
  headers: { authorization: string };
  client: string | undefined;
  /** The password as RFC 7617 reads it (all after the first colon); undefined when the header does not parse. */
  password: string | undefined;
}

type Verified = (error: unknown, principal?: Principal | false) => void;

const STRATEGY = 'basic';

/**
 * passport-http 0.3.0 decodes each header with the deprecated `new Buffer()`. On each of that constructor's first
 * 10,000 calls Node captures the whole stack to see whether the caller is inside node_modules (there it stays
 * silent), about 50 µs each here: a tenth of a batch request's time through the first 10,000 sign-ins of every
 * start. Once DEP0005 counts as emitted, Node stops checking, so emit it once from here, silenced (our own code
 * calls no deprecated Buffer constructor, so no warning of ours is lost).
 *
 * Node stays silent, and so keeps checking, when any of the top 100 frames is inside node_modules: a call from the
 * constructor, which Nest's injector runs, never counted. It runs from a callback of its own (see the constructor).
 */
function settleBufferDeprecationCheck(): void {
  const silenced = process.noDeprecation;
  process.noDeprecation = true;
  try {
    new Buffer(0);
  } finally {
    process.noDeprecation = silenced;
  }
}

/**
 * The header passport-http is handed. It splits the decoded pair at every colon and passes on only the text between
 * the first two, so the verify callback takes the password from parseBasicAuthorization (RFC 7617: all after the
 * first colon) instead. A password starting with a colon would leave that text empty, which passport-http refuses
 * before verifying: it gets the user-id with a stand-in password then.
 */
function headerForPassport(
  authorization: string,
  credentials: { username: string; password: string } | undefined,
): string {
  return credentials?.password.startsWith(':')
    ? formatBasicAuthorization(credentials.username, '-')
    : authorization;
}

/**
 * HTTP Basic authentication, as git-lfs's credential helper sends it (a username with a password or an access token),
 * for the LFS routes, the batch fast path and transfers alike: passport runs passport-http's BasicStrategy, whose
 * verify callback is AuthService.authenticateBasic. Anything that does not check out, including a header that is not
 * Basic or does not decode, is one 401 UNAUTHENTICATED; throttling and database errors pass through as thrown.
 *
 * Each API has its own passport Authenticator: the default one is process-wide, and several APIs in one process
 * (the tests start them side by side) would each run the strategy, and so the AuthService, of the last one built.
 */
@Injectable()
export class BasicAuthStrategy {
  private readonly passport = new passport.Passport();

  constructor(private readonly auth: AuthService) {
    // On a stack of its own, whichever code builds the strategy: a turn later, well before any request is read.
    setImmediate(settleBufferDeprecationCheck);
    this.passport.use(
      STRATEGY,
      new BasicStrategy(
        { realm: 'lfs-depot', passReqToCallback: true },
        (req: unknown, username: string, _password: string, done: Verified) => {
          this.verify(req as BasicAuthRequest, username, done);
        },
      ),
    );
  }

  /** Authenticates an `Authorization` header; `client` is the requester's address (undefined when unknown). */
  authenticate(authorization: string, client: string | undefined): Promise<Principal> {
    const credentials = parseBasicAuthorization(authorization);
    const req: BasicAuthRequest = {
      headers: { authorization: headerForPassport(authorization, credentials) },
      client,
      password: credentials?.password,
    };
    return new Promise<Principal>((resolve, reject) => {
      const middleware = this.passport.authenticate(
        STRATEGY,
        { session: false },
        (error: Error | null, principal: Principal | false | undefined) => {
          if (error) {
            reject(error);
          } else if (principal) {
            resolve(principal);
          } else {
            reject(new DomainError(ErrorCode.UNAUTHENTICATED, 'Invalid username, password or token'));
          }
        },
      ) as (req: BasicAuthRequest, res: undefined, next: (error?: Error) => void) => void;
      // passport calls next() only for a strategy that passes (BasicStrategy never does) or for an unknown one.
      middleware(req, undefined, reject);
    });
  }

  /** The verify callback: AuthService decides; `false` makes passport-http fail with its challenge (our 401). */
  private verify(req: BasicAuthRequest, username: string, done: Verified): void {
    if (req.password === undefined) {
      done(null, false); // passport-http read a header RFC 7617 does not (a scheme merely containing "basic")
      return;
    }
    this.auth.authenticateBasic(username, req.password, req.client).then(
      (principal) => done(null, principal ?? false),
      (error: unknown) => done(error),
    );
  }
}
