import { Module } from '@nestjs/common';

import { ObjectPurger } from './object-purger.js';
import { ObjectsRepository } from './objects.repository.js';
import { ReferencesRepository } from './references.repository.js';

const PROVIDERS = [ObjectsRepository, ObjectPurger, ReferencesRepository];

@Module({ providers: PROVIDERS, exports: PROVIDERS })
export class ObjectsModule {}
