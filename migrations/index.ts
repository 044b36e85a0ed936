import { CreateInitialSchema1764115200000 } from './1764115200000-CreateInitialSchema.js';
import { AddLfsFileLocksProjectIdIndex1764201600000 } from './1764201600000-AddLfsFileLocksProjectIdIndex.js';
import { CreatePlatformTokens1764979200000 } from './1764979200000-CreatePlatformTokens.js';
import { CreateAuditEvents1765065600000 } from './1765065600000-CreateAuditEvents.js';
import { AddReferencesAndObjectStates1765152000000 } from './1765152000000-AddReferencesAndObjectStates.js';
import { CreateJobs1765153000000 } from './1765153000000-CreateJobs.js';
import { AddObjectDamage1765240000000 } from './1765240000000-AddObjectDamage.js';
import { AddObjectUnlinkedFrom1765244000000 } from './1765244000000-AddObjectUnlinkedFrom.js';
import { CreateLinkObjectFunction1765000200000 } from './1765000200000-CreateLinkObjectFunction.js';
import { CreateObjectLeftovers1768000000000 } from './1768000000000-CreateObjectLeftovers.js';
import { CreateStorageIdentity1768100000000 } from './1768100000000-CreateStorageIdentity.js';

/** Every migration, in order. Listed explicitly because ESM builds can't be globbed by TypeORM's loader. */
export const MIGRATIONS = [
  CreateInitialSchema1764115200000,
  AddLfsFileLocksProjectIdIndex1764201600000,
  CreatePlatformTokens1764979200000,
  // In timestamp order, as TypeORM runs them; added after the ones below (an existing database applies it last).
  CreateLinkObjectFunction1765000200000,
  CreateAuditEvents1765065600000,
  AddReferencesAndObjectStates1765152000000,
  CreateJobs1765153000000,
  AddObjectDamage1765240000000,
  AddObjectUnlinkedFrom1765244000000,
  CreateObjectLeftovers1768000000000,
  CreateStorageIdentity1768100000000,
];
