import { Module } from '@nestjs/common';

import { AuditModule } from '../audit/audit.module.js';
import { ObjectCopiesRepository } from './object-copies.repository.js';
import { ObjectDamageRepository } from './object-damage.repository.js';
import { ObjectPurger } from './object-purger.js';
import { ObjectsRepository } from './objects.repository.js';
import { ReferencesRepository } from './references.repository.js';

const PROVIDERS = [
  ObjectsRepository,
  ObjectPurger,
  ReferencesRepository,
  ObjectCopiesRepository,
  ObjectDamageRepository,
];

@Module({ imports: [AuditModule], providers: PROVIDERS, exports: PROVIDERS })
export class ObjectsModule {}
