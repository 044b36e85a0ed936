import { Module } from '@nestjs/common';

import { ObjectsRepository } from './objects.repository.js';

@Module({ providers: [ObjectsRepository], exports: [ObjectsRepository] })
export class ObjectsModule {}
